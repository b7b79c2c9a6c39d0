// Paths into a JSON document, written the way a user reads config.json:
// "linux.namespaces[2].type", 'linux.sysctl["net.ipv4.ip_forward"]'.

/** One step into a document: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Format a path for messages. `root` names the document ("process" for an exec process file) and
 * is prefixed when given; keys that are not identifiers (sysctl names, annotation keys) are quoted.
 */
export function formatPath(segments: readonly PathSegment[], root = ''): string {
  let text = root;
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * Split an ajv instancePath ("/linux/namespaces/2/type") into segments. Whether "2" is an array
 * index or an object key ("rdma": {"2": ...}) is decided by looking at the document itself.
 */
export function segmentsFromPointer(pointer: string, document: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/**
 * Position of each segment within its parent, in the order the document lists them; comparing
 * these arrays sorts problems in reading order (a parent before its children).
 */
export function documentOrder(segments: readonly PathSegment[], document: unknown): number[] {
  const order: number[] = [];
  let node: unknown = document;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      order.push(segment);
      node = Array.isArray(node) ? node[segment] : undefined;
    } else if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      const index = Object.keys(node).indexOf(segment);
      // A missing key (a required field) sorts after the fields that are present.
      order.push(index === -1 ? Number.MAX_SAFE_INTEGER : index);
      node = (node as Record<string, unknown>)[segment];
    } else {
      order.push(Number.MAX_SAFE_INTEGER);
      node = undefined;
    }
  }
  return order;
}

/** Compare two documentOrder() results: -1, 0 or 1. */
export function compareDocumentOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// Shared pieces of the semantic rules: the problem collector and small syntax checks.
// Rules run only on documents that passed the JSON schema, so field types can be trusted.

import { PathSegment } from './json-path';
import { MAX_NETDEV_NAME_LENGTH } from './known-values';
import { SpecProblem } from './problems';

/** Collects problems in the order rules find them. */
export class ProblemList {
  readonly problems: SpecProblem[] = [];

  add(path: readonly PathSegment[], text: string): void {
    this.problems.push({ path: [...path], text });
  }

  /** Record `problem` at `path` unless `ok`; returns ok, so callers can stop early. */
  check(ok: boolean, path: readonly PathSegment[], text: string): boolean {
    if (!ok) this.add(path, text);
    return ok;
  }
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}

/** The message for a path that must be absolute. */
export function notAbsolute(path: string): string {
  return `'${path}' is not an absolute path`;
}

/** The hint for a rule that needs a namespace: `add {"type": "uts"} to linux.namespaces`. */
export function addNamespaceHint(type: string): string {
  return `add {"type": "${type}"} to linux.namespaces`;
}

/**
 * A Linux CPU or memory-node list such as "0-3,7" (cpuset(7) "list format"). Empty is allowed:
 * every field using this format treats "" as unset. Spaces around entries are tolerated, as the
 * runtime-spec schema's pattern for execCPUAffinity allows them.
 */
export function isIdList(text: string): boolean {
  if (text.trim() === '') return true;
  return text.split(',').every((entry) => {
    const match = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(entry);
    return match !== null && (match[2] === undefined || Number(match[1]) <= Number(match[2]));
  });
}

/** Explain a bad id list: `'0-a' is not a CPU list; expected numbers and ranges such as 0-3,7`. */
export function notAnIdList(text: string, what: 'CPU' | 'memory node'): string {
  return `'${text}' is not a ${what} list; expected numbers and ranges such as 0-3,7`;
}

/**
 * Whether the kernel accepts `name` as a network interface name (net/core/dev.c dev_valid_name):
 * 1 to 15 bytes, not "." or "..", no '/', ':' or whitespace.
 */
export function isValidNetdevName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= MAX_NETDEV_NAME_LENGTH &&
    name !== '.' &&
    name !== '..' &&
    !/[/:\s]/.test(name)
  );
}

export const NETDEV_NAME_RULE = `interface names have 1 to ${MAX_NETDEV_NAME_LENGTH} characters, no '/', ':' or whitespace, and are not '.' or '..'`;

/** "expected -20 to 19, got 25" */
export function outOfRange(low: number, high: number, value: number): string {
  return `expected ${low} to ${high}, got ${value}`;
}

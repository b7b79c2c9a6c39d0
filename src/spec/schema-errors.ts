// Turn ajv's validation errors into one sentence per problem.
// ajv says "must be equal to one of the allowed values"; users need to read
// "linux.namespaces[2].type: 'pidd' is not a namespace type; expected one of pid, network, ...".

import { PathSegment, segmentsFromPointer } from './json-path';
import { NAMESPACE_TYPES, RLIMIT_TYPES, listValues } from './known-values';
import { SpecProblem, describeJsonType, formatNumber, quoteValue, sortByDocumentOrder } from './problems';

/** The part of an ajv ErrorObject we read (the generated validator has no types). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * What the enumerated fields hold, for "'x' is not <noun>". Keyed by the field's path with array
 * indices written "[]", matched against the end of a problem's path (so "scheduler.policy" also
 * matches in an `exec --process` document). Paths, not schema locations, because the generated
 * validator reports enum errors relative to the referenced definition ("#/enum").
 */
const ENUM_NOUNS: Record<string, string> = {
  'namespaces[].type': 'a namespace type',
  'seccomp.defaultAction': 'a seccomp action',
  'syscalls[].action': 'a seccomp action',
  'seccomp.architectures[]': 'a seccomp architecture',
  'seccomp.flags[]': 'a seccomp flag',
  'syscalls[].args[].op': 'a seccomp operator',
  rootfsPropagation: 'a rootfs propagation mode',
  'personality.domain': 'a personality domain',
  'scheduler.policy': 'a scheduler policy',
  'scheduler.flags[]': 'a scheduler flag',
  'ioPriority.class': 'an I/O priority class',
  'memoryPolicy.mode': 'a memory policy mode',
  'memoryPolicy.flags[]': 'a memory policy flag',
  status: 'a container status',
};

/** Enumerations whose values read better in the order the spec documents them. */
const ENUM_DISPLAY_ORDER: Record<string, readonly string[]> = {
  'namespaces[].type': NAMESPACE_TYPES,
};

/** Patterns in the schemas, and what they mean in words. */
const PATTERN_DESCRIPTIONS: Record<string, (value: string) => string> = {
  '^RLIMIT_[A-Z]+$': (v) => `'${v}' is not an rlimit type; expected one of ${listValues(RLIMIT_TYPES)}`,
  '^[cbup]$': (v) => `'${v}' is not a device type; expected one of c, b, u, p`,
  '^[1-9][0-9]*[KMG]B$': (v) => `'${v}' is not a huge page size; expected a size such as 64KB, 2MB or 1GB`,
  '^MB:[^\\n]*$': (v) => `'${v}' is not a memory bandwidth schema; expected one line starting with 'MB:'`,
  '^[^\\n]*$': () => 'must not contain a newline',
};

const ARTICLES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** ajv keywords that only say "some branch failed"; their branches' errors say why. */
const COMBINATOR_KEYWORDS = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'not']);

/** Convert ajv's errors for `document` into problems, most relevant (first in the document) first. */
export function problemsFromSchemaErrors(errors: readonly SchemaError[], document: unknown): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  for (const error of withoutRedundantErrors(errors)) {
    const problem = problemFromSchemaError(error, document);
    const key = JSON.stringify(problem);
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return sortByDocumentOrder(problems, document);
}

/**
 * Keep the errors that explain something: drop "must match a schema in anyOf" when an error
 * inside that branch says more, and drop an enum or pattern complaint about a value whose type
 * is already wrong ("expected a string, got number 5" says it all).
 */
function withoutRedundantErrors(errors: readonly SchemaError[]): SchemaError[] {
  const pathsWithTypeErrors = new Set(errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath));
  return errors.filter((error) => {
    if (error.keyword !== 'type' && pathsWithTypeErrors.has(error.instancePath)) return false;
    if (!COMBINATOR_KEYWORDS.has(error.keyword)) return true;
    return !errors.some(
      (other) =>
        !COMBINATOR_KEYWORDS.has(other.keyword) &&
        (other.instancePath === error.instancePath || other.instancePath.startsWith(`${error.instancePath}/`)),
    );
  });
}

function problemFromSchemaError(error: SchemaError, document: unknown): SpecProblem {
  const path = segmentsFromPointer(error.instancePath, document);
  const value = valueAt(document, path);
  return { path, text: describeSchemaError(error, value, path) };
}

function describeSchemaError(error: SchemaError, value: unknown, path: PathSegment[]): string {
  const params = error.params;
  switch (error.keyword) {
    case 'required':
      return `missing required field '${String(params.missingProperty)}'`;
    case 'type':
      return `expected ${describeExpectedTypes(String(params.type))}, got ${describeJsonType(value)}`;
    case 'enum':
      return describeEnumError(error, value, path);
    case 'pattern':
      return describePatternError(String(params.pattern), value);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return describeLimitError(String(params.comparison), Number(params.limit), value);
    case 'minItems':
      return `must contain at least ${String(params.limit)} ${Number(params.limit) === 1 ? 'entry' : 'entries'}`;
    case 'maxItems':
      return `must contain at most ${String(params.limit)} ${Number(params.limit) === 1 ? 'entry' : 'entries'}`;
    case 'minLength':
      return Number(params.limit) === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`;
    case 'additionalProperties':
      return `unknown field '${String(params.additionalProperty)}'`;
    case 'uniqueItems':
      return 'must not contain duplicate entries';
    case 'anyOf':
    case 'oneOf':
      return 'does not match any of the allowed forms';
    default:
      return error.message ?? `fails the schema's '${error.keyword}' rule`;
  }
}

function describeExpectedTypes(types: string): string {
  return types
    .split(',')
    .map((type) => ARTICLES[type] ?? type)
    .join(' or ');
}

function describeEnumError(error: SchemaError, value: unknown, path: PathSegment[]): string {
  const field = enumFieldKey(path);
  let allowed = (error.params.allowedValues as unknown[]) ?? [];
  const displayOrder = field && ENUM_DISPLAY_ORDER[field];
  if (displayOrder) allowed = [...allowed].sort((a, b) => rank(displayOrder, a) - rank(displayOrder, b));
  const noun = (field && ENUM_NOUNS[field]) ?? `a valid ${String(path[path.length - 1] ?? 'value')}`;
  return `${quoteValue(value)} is not ${noun}; expected one of ${listValues(allowed)}`;
}

function rank(order: readonly string[], value: unknown): number {
  const index = order.indexOf(String(value));
  return index === -1 ? order.length : index;
}

/** The ENUM_NOUNS key that `path` ends with, if any. */
function enumFieldKey(path: readonly PathSegment[]): string | undefined {
  const written = path.map((segment) => (typeof segment === 'number' ? '[]' : `.${segment}`)).join('').replace(/^\./, '');
  return Object.keys(ENUM_NOUNS).find((key) => written === key || written.endsWith(`.${key}`));
}

function describePatternError(pattern: string, value: unknown): string {
  const describe = PATTERN_DESCRIPTIONS[pattern];
  if (describe) return describe(String(value));
  return `${quoteValue(value)} does not match the required format ${pattern}`;
}

function describeLimitError(comparison: string, limit: number, value: unknown): string {
  const bound = formatNumber(limit);
  const got = quoteValue(value);
  switch (comparison) {
    case '>=':
      return `expected at least ${bound}, got ${got}`;
    case '>':
      return `expected more than ${bound}, got ${got}`;
    case '<=':
      return `expected at most ${bound}, got ${got}`;
    default:
      return `expected less than ${bound}, got ${got}`;
  }
}

function valueAt(document: unknown, path: readonly PathSegment[]): unknown {
  let node = document;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

// A problem found in a config (or exec process) document, and how problems become one HuskError.

import { HuskError } from '../errors';
import { PathSegment, compareDocumentOrder, documentOrder, formatPath } from './json-path';

export interface SpecProblem {
  /** Where, from the document root. Empty for the document itself. */
  path: PathSegment[];
  /** What is wrong, as the rest of a sentence: "expected an integer, got string". */
  text: string;
}

/** Which document problems are in: decides how paths are written. */
export interface DocumentKind {
  /** Prefix for every path: "" for config.json, "process" for an `exec --process` file. */
  root: string;
  /** Name for the document itself, used when the path is empty. */
  label: string;
}

export const CONFIG_DOCUMENT: DocumentKind = { root: '', label: 'config.json' };
export const PROCESS_DOCUMENT: DocumentKind = { root: 'process', label: 'process' };

/** "linux.namespaces[2].type: 'pidd' is not a namespace type; ..." */
export function describeProblem(problem: SpecProblem, kind: DocumentKind = CONFIG_DOCUMENT): string {
  const where = formatPath(problem.path, kind.root) || kind.label;
  return `${where}: ${problem.text}`;
}

/** Order problems as the document lists what they are about (stable for equal positions). */
export function sortByDocumentOrder(problems: SpecProblem[], document: unknown): SpecProblem[] {
  const keyed = problems.map((problem, index) => ({ problem, index, order: documentOrder(problem.path, document) }));
  keyed.sort((a, b) => compareDocumentOrder(a.order, b.order) || a.index - b.index);
  return keyed.map((entry) => entry.problem);
}

/** One line: the first problem, and how many more there are. */
export function summarizeProblems(problems: readonly SpecProblem[], kind: DocumentKind = CONFIG_DOCUMENT): string {
  const first = describeProblem(problems[0], kind);
  const more = problems.length - 1;
  if (more === 0) return first;
  return `${first} (and ${more} more problem${more === 1 ? '' : 's'})`;
}

/** Throw a HuskError describing the problems; does nothing when there are none. */
export function throwIfProblems(problems: readonly SpecProblem[], kind: DocumentKind = CONFIG_DOCUMENT): void {
  if (problems.length > 0) throw new HuskError(summarizeProblems(problems, kind));
}

/** How a value reads in a message: strings quoted, everything else as JSON. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return formatNumber(value);
  return JSON.stringify(value) ?? String(value);
}

// Limits of the schema's int64/uint64 are not representable as doubles; print what the schema
// author wrote rather than the rounded double.
const EXACT_LIMITS = new Map<number, string>([
  [2 ** 64, '18446744073709551615'],
  [2 ** 63, '9223372036854775807'],
  [-(2 ** 63), '-9223372036854775808'],
]);

export function formatNumber(value: number): string {
  const exact = EXACT_LIMITS.get(value);
  if (exact !== undefined) return exact;
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value).toString();
  return String(value);
}

/** What a value is, for "expected X, got Y": "string", "number 1.5", "array", "null". */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return `number ${formatNumber(value)}`;
  return typeof value;
}

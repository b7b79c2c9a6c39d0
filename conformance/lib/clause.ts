// What a conformance clause is: one testable requirement of the runtime-spec, named by its file
// and section, with the requirement's gist in our own words, the scenario (containers run by one
// runtime) that produces the observations it needs, and a check of those observations.
//
// Several clauses share one scenario: a scenario runs once per runtime, its result is handed to
// every clause that names it. A scenario that throws fails all of its clauses with its message
// (or skips them, when it threw a Skip).
import type { ScenarioContext } from './context';

export type SpecFile = 'runtime.md' | 'runtime-linux.md' | 'config.md' | 'config-linux.md' | 'features.md' | 'features-linux.md';

/** RFC 2119 level of the sentence; "should" in lower case is recorded as SHOULD with a note in the gist. */
export type Level = 'MUST' | 'MUST NOT' | 'SHOULD' | 'SHOULD NOT' | 'MAY';

export type Verdict =
  | { status: 'pass'; note?: string }
  | { status: 'fail'; reason: string }
  | { status: 'skip'; reason: string };

export interface Scenario<T> {
  /** Unique; shown in the report next to failures. */
  readonly name: string;
  run(ctx: ScenarioContext): Promise<T>;
}

export interface Clause<T = unknown> {
  /** Stable key (explanations refer to it), e.g. "runtime/start/not-created". */
  id: string;
  spec: SpecFile;
  /** The section heading in the spec file, e.g. "Start" or "Linux mount options". */
  section: string;
  level: Level;
  /** The requirement in our words. */
  gist: string;
  scenario: Scenario<T>;
  /** Throws Failure (via expect/fail) or Skip; returning normally is a pass. */
  check(observation: T): void | string;
  /** A reason why this host cannot exercise the clause (checked before anything runs). */
  hostSkip?: () => string | undefined;
}

/** Thrown by checks: the clause fails with this reason. */
export class Failure extends Error {}

/** Thrown by checks or scenarios: the clause cannot be checked here (host, runtime option). */
export class Skip extends Error {}

export function fail(reason: string): never {
  throw new Failure(reason);
}

export function skip(reason: string): never {
  throw new Skip(reason);
}

export function expect(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new Failure(reason);
}

/** expect(actual === expected) with both values in the reason. */
export function expectEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Failure(`${what}: expected ${e}, got ${a}`);
}

const registry: Clause<unknown>[] = [];
const ids = new Set<string>();

export function clause<T>(definition: Clause<T>): Clause<T> {
  if (ids.has(definition.id)) throw new Error(`duplicate clause id ${definition.id}`);
  ids.add(definition.id);
  registry.push(definition as Clause<unknown>);
  return definition;
}

export function allClauses(): readonly Clause<unknown>[] {
  return registry;
}

/** A scenario, memoised per runtime by the runner. */
export function scenario<T>(name: string, run: (ctx: ScenarioContext) => Promise<T>): Scenario<T> {
  return { name, run };
}

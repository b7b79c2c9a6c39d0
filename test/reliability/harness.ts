// What the reliability tests share: their sizes (CI mode by default, the long mode behind
// HUSK_RELIABILITY_LONG=1 or the single knobs below), the figures they report, a bounded-
// parallelism map, a seeded random generator, and the check that a husk command failed the way
// husk promises to (exit status 1, one line on stderr, no stack, no crash, no hang).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';
import { Runtime, RunOptions, RunResult, describeResult } from '../helpers/runtime';

const long = process.env.HUSK_RELIABILITY_LONG === '1';

function knob(name: string, ciValue: number, longValue: number): number {
  const text = process.env[name];
  if (text !== undefined && text !== '') {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${text}: expected a whole number`);
    return value;
  }
  return long ? longValue : ciValue;
}

/** Sizes: CI mode by default; HUSK_RELIABILITY_LONG=1 for the full figures. */
export const SIZES = {
  /** Containers taken through their whole lifecycle at once. */
  parallel: knob('HUSK_PARALLEL', 20, 100),
  /** How many husk commands run at the same moment while they do (2 cores here). */
  commandConcurrency: knob('HUSK_COMMAND_CONCURRENCY', 12, 24),
  /** Racing creates of one id. */
  racingCreates: knob('HUSK_RACING_CREATES', 20, 20),
  /** Rounds of delete racing start/kill/state on one id. */
  raceRounds: knob('HUSK_RACE_ROUNDS', 8, 40),
  /** Sequential lifecycles of the soak. */
  soak: knob('HUSK_SOAK', 100, 2000),
  /** Mutated configs and process files tried. */
  fuzzCases: knob('HUSK_FUZZ_CASES', 150, 1500),
  /** Seed of the fuzzer (a failure prints it; re-run with HUSK_FUZZ_SEED to reproduce). */
  fuzzSeed: knob('HUSK_FUZZ_SEED', 20240611, 20240611),
};

export interface Figures {
  /** husk commands run. */
  operations: number;
  /** HUSK_FAULT kills and external SIGKILLs of husk. */
  faults: number;
  /** Malformed configs, process files and hostile bundles tried. */
  badInputs: number;
  /** Things left behind (processes, mounts, cgroups, state entries), torn states, crashes. */
  leaks: number;
  /** Free-form lines for the report (soak counts before/after). */
  notes?: string[];
}

export function newFigures(): Figures {
  return { operations: 0, faults: 0, badInputs: 0, leaks: 0, notes: [] };
}

/** Where the test files append their figures; scripts/reliability-report.js sums them. */
export const FIGURES_FILE = process.env.HUSK_RELIABILITY_FIGURES || path.join(REPO_ROOT, 'build', 'reliability-figures.jsonl');

export function recordFigures(part: string, figures: Figures): void {
  fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  fs.appendFileSync(FIGURES_FILE, `${JSON.stringify({ part, ...figures })}\n`);
  const notes = figures.notes?.length ? `\n  ${figures.notes.join('\n  ')}` : '';
  process.stdout.write(
    `# reliability ${part}: operations ${figures.operations}, faults injected ${figures.faults}, ` +
      `bad inputs ${figures.badInputs}, leaks ${figures.leaks}${notes}\n`,
  );
}

/** Runs a husk command and counts it. */
export function counted(runtime: Runtime, figures: Figures) {
  return async (args: string[], options: RunOptions = {}): Promise<RunResult> => {
    figures.operations++;
    return runtime.run(args, options);
  };
}

/** A stack trace line of Node ("    at f (file.js:1:2)"), which husk must never print. */
const STACK_LINE = /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+)$/m;

/**
 * What is wrong with a husk result, judged by husk's error contract, or undefined: exit status 0,
 * or 1 with exactly one line on stderr that is not an internal error; never a signal, another
 * status or a stack trace. `--debug` makes husk print the stack of an internal error (a bug), so
 * callers pass it (with --log, so debug lines go to a file, not stderr).
 */
export function contractViolation(result: RunResult): string | undefined {
  // runc's exec fails with 255 (its own failures, as opposed to the process's status); husk too.
  const failure = / exec /.test(result.command) ? 255 : 1;
  if (result.signal) return `husk died of ${result.signal}`;
  if (result.status !== 0 && result.status !== failure) return `exit status ${result.status}`;
  if (STACK_LINE.test(result.stderr)) return 'a stack trace on stderr (internal error)';
  if (result.status === failure) {
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    if (lines.length !== 1) return `${lines.length} lines on stderr, expected one`;
    if (/\b(TypeError|ReferenceError|RangeError|SyntaxError|Maximum call stack|Cannot read properties|is not a function|is not defined)\b/.test(lines[0])) {
      return 'an internal error message';
    }
  }
  return undefined;
}

export function describeViolation(result: RunResult, violation: string): string {
  return `${violation}: ${describeResult(result)}`;
}

/** Map with at most `limit` calls of `fn` pending at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A counting semaphore: at most `limit` holders at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

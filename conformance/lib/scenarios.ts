// Scenario shapes many clauses share: the default bundle run once, and "does this config run?".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bundle } from '../../test/helpers/bundle';
import type { RunResult } from '../../test/helpers/runtime';
import { Runtime } from '../../test/helpers/runtime';
import { Scenario, expect, scenario } from './clause';
import { CheckerReport, ReportError, parseReport } from './checker';
import { CHECKER_IN_CONTAINER, CheckerRun, ScenarioContext, oneLine } from './context';

/** The template bundle (runc spec's defaults) running the checker once, with a few probes. */
export const defaultRun = scenario<CheckerRun>('default-config', async (ctx) => {
  const bundle = ctx.bundle();
  return ctx.runChecker(bundle, ['--open', '/dev/ptmx']);
});

/** What running a config produced: the runtime's exit, and the checker's report when it printed one. */
export interface Attempt {
  result: RunResult;
  report?: CheckerReport;
  reportError?: string;
  id: string;
}

/**
 * A scenario that edits a fresh bundle with `edit` and `run`s the checker (with `args`). It never
 * throws for a failing container: clauses decide whether failure was required.
 */
export function attempt(name: string, edit: (bundle: Bundle, ctx: ScenarioContext) => void | Promise<void>, args: string[] = []): Scenario<Attempt> {
  return scenario<Attempt>(name, async (ctx) => {
    const bundle = ctx.bundle();
    bundle.setArgs(CHECKER_IN_CONTAINER, ...args);
    await edit(bundle, ctx);
    bundle.save();
    const id = ctx.newId();
    const result = await ctx.run(['run', '--bundle', bundle.dir, id]);
    const outcome: Attempt = { result, id };
    if (result.status === 0) {
      try {
        outcome.report = parseReport(result.stdout, result);
      } catch (error) {
        outcome.reportError = error instanceof ReportError ? error.message : String(error);
      }
    }
    return outcome;
  });
}

/** The clause check for "this config must be refused". */
export function mustFail(obs: Attempt, what: string): void {
  expect(obs.result.status !== 0, `the runtime ran a config with ${what}`);
}

/** The clause check for "this config must run"; returns the report. */
export function mustRun(obs: Attempt): CheckerReport {
  expect(obs.result.status === 0, `the container failed: ${oneLine(obs.result)}`);
  expect(obs.report, obs.reportError ?? 'no report');
  return obs.report;
}

/**
 * The same runtime and --root, started through `sh -c 'SETUP; exec BIN "$@"'`: for clauses about
 * what the runtime inherits from its caller (umask, oom_score_adj).
 */
export function wrappedRuntime(ctx: ScenarioContext, label: string, setup: string, prefix = ''): Runtime {
  const dir = ctx.newDir(`wrap-${label}`);
  const wrapper = path.join(dir, 'runtime');
  fs.writeFileSync(wrapper, `#!/bin/sh\n${setup}\nexec ${prefix} ${JSON.stringify(ctx.runtime.bin)} "$@"\n`, { mode: 0o755 });
  return new Runtime(ctx.runtime.name, wrapper, ctx.runtime.root, path.join(dir, 'io'));
}

/**
 * Which items make `attempt` fail: try them all at once; on failure, bisect (halves in parallel)
 * down to the items that fail alone. A handful of containers instead of one per item.
 */
export async function refusedItems<T>(items: T[], attemptWith: (subset: T[]) => Promise<boolean>): Promise<T[]> {
  if (items.length === 0 || (await attemptWith(items))) return [];
  if (items.length === 1) return items;
  const half = Math.ceil(items.length / 2);
  const [first, second] = await Promise.all([refusedItems(items.slice(0, half), attemptWith), refusedItems(items.slice(half), attemptWith)]);
  return [...first, ...second];
}

// Runs the selected clauses against every runtime: each scenario once per runtime, scenarios of
// all runtimes interleaved in a pool of `jobs` concurrent ones, then each clause's check on the
// scenario's observation. Nothing is left behind: ids are force-deleted per scenario, deferred
// cleanups run, and a final sweep looks for processes, mounts, cgroups and state the suite owns.
import * as path from 'node:path';
import { describeLeftovers, findLeftovers, forceCleanup, isEmpty } from '../../test/helpers/cleanup';
import type { TestContext } from '../../test/helpers/context';
import { Runtime } from '../../test/helpers/runtime';
import { Clause, Failure, Scenario, Skip, Verdict, allClauses } from './clause';
import { RuntimeUnderTest, ScenarioContext, ScenarioError, Workspace } from './context';
import { teardownFixtures } from './fixtures';
import { probeHost } from './host';

export interface ClauseOutcome {
  clause: Clause<unknown>;
  /** Runtime name → verdict. */
  verdicts: Record<string, Verdict>;
  /** Set when the whole clause was skipped before running, because of the host. */
  hostSkip?: string;
}

export interface SuiteResult {
  runtimes: RuntimeUnderTest[];
  outcomes: ClauseOutcome[];
  /** Runtime name → seconds spent in its scenarios (summed; they overlap in time). */
  scenarioSeconds: Record<string, number>;
  wallSeconds: number;
  /** Cleanup problems and leftovers: any entry is a suite failure. */
  problems: string[];
  host: ReturnType<typeof probeHost>;
}

export interface SuiteOptions {
  runtimes: RuntimeUnderTest[];
  jobs: number;
  /** Only clauses whose id or scenario name matches. */
  only?: RegExp;
  scenarioTimeoutMs?: number;
  log?: (line: string) => void;
}

const DEFAULT_SCENARIO_TIMEOUT_MS = 90_000;

function verdictOf(run: () => void | string): Verdict {
  try {
    const note = run();
    return note ? { status: 'pass', note } : { status: 'pass' };
  } catch (error) {
    if (error instanceof Skip) return { status: 'skip', reason: error.message };
    if (error instanceof Failure) return { status: 'fail', reason: error.message };
    return { status: 'fail', reason: `check crashed: ${error instanceof Error ? error.stack ?? error.message : String(error)}` };
  }
}

function scenarioFailure(scenario: Scenario<unknown>, error: unknown): Verdict {
  if (error instanceof Skip) return { status: 'skip', reason: error.message };
  const message = error instanceof ScenarioError || error instanceof Failure ? error.message : error instanceof Error ? error.stack ?? error.message : String(error);
  return { status: 'fail', reason: `scenario ${scenario.name}: ${message}` };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioError(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `tasks` with at most `limit` at a time. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}

export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const host = probeHost();
  const workspace = Workspace.create(host);
  const runtimes = options.runtimes.map(
    (rt) => new Runtime(rt.name, rt.bin, path.join(workspace.dir, `root-${rt.name}`), path.join(workspace.dir, `io-${rt.name}`)),
  );
  const selected = allClauses().filter(
    (clause) => !options.only || options.only.test(clause.id) || options.only.test(clause.scenario.name) || options.only.test(clause.spec),
  );
  const outcomes: ClauseOutcome[] = selected.map((clause) => {
    const reason = clause.hostSkip?.();
    const verdicts: Record<string, Verdict> = {};
    if (reason) for (const rt of options.runtimes) verdicts[rt.name] = { status: 'skip', reason };
    return { clause, verdicts, hostSkip: reason };
  });

  const byScenario = new Map<string, { scenario: Scenario<unknown>; outcomes: ClauseOutcome[] }>();
  for (const outcome of outcomes) {
    if (outcome.hostSkip) continue;
    const scenario = outcome.clause.scenario;
    const entry = byScenario.get(scenario.name);
    if (entry && entry.scenario !== scenario) throw new Error(`two scenarios are named ${scenario.name}`);
    if (entry) entry.outcomes.push(outcome);
    else byScenario.set(scenario.name, { scenario, outcomes: [outcome] });
  }

  const problems: string[] = [];
  const scenarioSeconds: Record<string, number> = {};
  const tasks: (() => Promise<void>)[] = [];
  for (const { scenario, outcomes: dependents } of byScenario.values()) {
    for (const runtime of runtimes) {
      tasks.push(async () => {
        const ctx = new ScenarioContext(workspace, runtime, runtime.name, scenario.name);
        const t0 = Date.now();
        let observation: unknown;
        let failed: Verdict | undefined;
        try {
          observation = await withTimeout(scenario.run(ctx), options.scenarioTimeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS, `scenario ${scenario.name}`);
        } catch (error) {
          failed = scenarioFailure(scenario, error);
        }
        const cleanupProblems = await ctx.cleanup();
        for (const problem of cleanupProblems) problems.push(`${runtime.name} ${scenario.name} cleanup: ${problem}`);
        const seconds = (Date.now() - t0) / 1000;
        scenarioSeconds[runtime.name] = (scenarioSeconds[runtime.name] ?? 0) + seconds;
        for (const outcome of dependents) {
          outcome.verdicts[runtime.name] = failed ?? verdictOf(() => outcome.clause.check(observation));
        }
        log(`${runtime.name.padEnd(5)} ${scenario.name} ${seconds.toFixed(2)}s${failed ? ` (${failed.status}: ${'reason' in failed ? failed.reason.split('\n')[0] : ''})` : ''}`);
      });
    }
  }
  // Tasks are scenario-major, runtime-minor: the runtimes make progress together.
  await pool(tasks, options.jobs);

  teardownFixtures();
  // What the runtimes left behind (the suite's own leftovers count too: they are bugs as well).
  const sweepContext = { prefix: workspace.prefix, tmpDir: workspace.dir, runtimes, ids: [] } as unknown as TestContext;
  const leftovers = findLeftovers(sweepContext);
  if (!isEmpty(leftovers)) problems.push(`left behind after every scenario's cleanup:\n${describeLeftovers(leftovers)}`);
  await forceCleanup(sweepContext);
  workspace.remove();

  return {
    runtimes: options.runtimes,
    outcomes,
    scenarioSeconds,
    wallSeconds: (Date.now() - started) / 1000,
    problems,
    host,
  };
}

// Concurrency: many containers through their whole lifecycle at once, racing creates of one id,
// and delete racing start/kill/state on one id. Throughout, a watcher reads every state.json
// under --root as containerd would (no lock): none may ever be torn. Every container ends
// deleted and nothing is left behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { describeLeftovers, findLeftovers, isEmpty } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { RunResult, describeResult } from '../helpers/runtime';
import { suiteOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';
import { SIZES, Semaphore, contractViolation, counted, newFigures, recordFigures } from './harness';

const COMMAND_TIMEOUT_MS = 60_000;

/** Reads every <root>/<id>/state.json in a loop until stopped; counts reads and torn files. */
class StateWatcher {
  reads = 0;
  readonly torn: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly root: string) {
    this.loop = this.watch();
  }

  private async watch(): Promise<void> {
    while (this.running) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(this.root);
      } catch {
        // not made yet
      }
      for (const name of names) {
        let text: string;
        try {
          text = fs.readFileSync(path.join(this.root, name, 'state.json'), 'utf8');
        } catch {
          continue; // no state (yet, or any more): fine
        }
        try {
          JSON.parse(text);
          this.reads++;
        } catch (err) {
          this.torn.push(`${name}/state.json: ${(err as Error).message}: ${JSON.stringify(text.slice(0, 200))}`);
        }
      }
      await sleep(3);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe('reliability: concurrency', { ...suiteOptions(), timeout: 30 * 60_000 }, () => {
  const context = useTestContext();
  const figures = newFigures();
  after(() => recordFigures('concurrency', figures));

  async function execAvailable(ctx: TestContext): Promise<boolean> {
    const result = await ctx.runtime.run(['exec', '--help']);
    return result.status === 0;
  }

  function checker(problems: string[]) {
    return (result: RunResult, what: string, expectOk: boolean): RunResult => {
      const violation = contractViolation(result);
      if (violation) problems.push(`${what}: ${violation}: ${describeResult(result)}`);
      else if (expectOk && result.status !== 0) problems.push(`${what} failed: ${describeResult(result)}`);
      return result;
    };
  }

  function countLeaks(ctx: TestContext): string {
    const leftovers = findLeftovers(ctx);
    if (isEmpty(leftovers)) return '';
    figures.leaks += Object.values(leftovers).reduce((sum, list: unknown[]) => sum + list.length, 0);
    return describeLeftovers(leftovers);
  }

  async function settledLeaks(ctx: TestContext): Promise<string> {
    // Processes get a moment to be reaped, as in assertNothingLeft.
    for (let attempt = 0; attempt < 40 && !isEmpty(findLeftovers(ctx)); attempt++) await sleep(50);
    return countLeaks(ctx);
  }

  it(`${SIZES.parallel} containers created, started, exec'd into, killed and deleted in parallel`, { timeout: 30 * 60_000 }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    // TODO(exec): included only when this build has `husk exec` (it is being finished separately).
    const withExec = await execAvailable(ctx);
    const run = counted(ctx.runtime, figures);
    const semaphore = new Semaphore(SIZES.commandConcurrency);
    const husk = (args: string[]) => semaphore.run(() => run(args, { timeoutMs: COMMAND_TIMEOUT_MS }));
    const problems: string[] = [];
    const check = checker(problems);
    const watcher = new StateWatcher(ctx.runtime.root);
    const ids = Array.from({ length: SIZES.parallel }, () => ctx.newId());
    let listed = 0;
    let listing = true;
    const statusesSeen = new Map<string, number>();
    const lister = (async () => {
      while (listing) {
        // Outside the semaphore: lists keep coming while the lifecycles run.
        const result = check(await run(['list', '--format', 'json'], { timeoutMs: COMMAND_TIMEOUT_MS }), 'list', true);
        if (result.status === 0) {
          for (const entry of (JSON.parse(result.stdout) ?? []) as Array<{ status: string }>) {
            statusesSeen.set(entry.status, (statusesSeen.get(entry.status) ?? 0) + 1);
          }
          listed++;
        }
        await sleep(50);
      }
    })();

    await Promise.all(
      ids.map(async (id) => {
        if (check(await husk(['create', '--bundle', bundle.dir, id]), `create ${id}`, true).status !== 0) return;
        check(await husk(['start', id]), `start ${id}`, true);
        const state = check(await husk(['state', id]), `state ${id}`, true);
        if (state.status === 0 && JSON.parse(state.stdout).status !== 'running') problems.push(`${id} is not running after start: ${state.stdout}`);
        if (withExec) {
          const exec = check(await husk(['exec', id, 'sh', '-c', 'echo $$']), `exec ${id}`, true);
          if (exec.status === 0 && !/^\d+\n$/.test(exec.stdout)) problems.push(`exec ${id} printed ${JSON.stringify(exec.stdout)}`);
        }
        check(await husk(['kill', id, 'KILL']), `kill ${id}`, true);
        await waitFor(`${id} to stop`, async () => {
          const result = await husk(['state', id]);
          return result.status === 0 && JSON.parse(result.stdout).status === 'stopped';
        }, { timeoutMs: COMMAND_TIMEOUT_MS, intervalMs: 50 });
        check(await husk(['delete', id]), `delete ${id}`, true);
      }),
    );
    listing = false;
    await lister;
    await watcher.stop();
    const remaining = await ctx.runtime.listIds();
    figures.operations++;
    figures.notes!.push(`parallel: ${ids.length} containers, exec ${withExec ? 'included' : 'NOT included (no exec in this build)'}, ` +
      `${watcher.reads} unlocked state.json reads and ${listed} lists during the run (statuses seen: ` +
      `${[...statusesSeen].map(([status, n]) => `${status} ${n}`).join(', ') || 'none'}), ${watcher.torn.length} torn`);
    figures.leaks += watcher.torn.length + remaining.length;
    const leaks = await settledLeaks(ctx);
    assert.deepEqual(problems, []);
    assert.deepEqual(watcher.torn, [], 'a state.json was torn');
    assert.deepEqual(remaining, [], 'containers left in list');
    assert.equal(leaks, '', 'left behind');
  });

  it(`${SIZES.racingCreates} racing creates of one id: exactly one wins, the rest say "already exists"`, { timeout: 10 * 60_000 }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const run = counted(ctx.runtime, figures);
    const id = ctx.newId();
    const results = await Promise.all(
      Array.from({ length: SIZES.racingCreates }, () => run(['create', '--bundle', bundle.dir, id], { timeoutMs: COMMAND_TIMEOUT_MS })),
    );
    const winners = results.filter((r) => r.status === 0);
    const losers = results.filter((r) => r.status !== 0);
    const problems: string[] = [];
    for (const loser of losers) {
      const violation = contractViolation(loser);
      if (violation) problems.push(`${violation}: ${describeResult(loser)}`);
      else if (!loser.stderr.includes(`container '${id}' already exists`)) problems.push(`not "already exists": ${describeResult(loser)}`);
    }
    const state = await ctx.runtime.state(id);
    figures.operations++;
    assert.equal(state.status, 'created');
    const deleted = await run(['delete', id]);
    assert.equal(deleted.status, 0, describeResult(deleted));
    const leaks = await settledLeaks(ctx);
    assert.equal(winners.length, 1, `winners: ${winners.map(describeResult).join('\n')}`);
    assert.deepEqual(problems, []);
    assert.equal(leaks, '', 'left behind');
  });

  it(`delete racing create/start/kill/state on one id (${SIZES.raceRounds} rounds): never torn, always deleted in the end`, { timeout: 20 * 60_000 }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const run = counted(ctx.runtime, figures);
    const husk = (args: string[]) => run(args, { timeoutMs: COMMAND_TIMEOUT_MS });
    const problems: string[] = [];
    const check = checker(problems);
    const watcher = new StateWatcher(ctx.runtime.root);
    for (let round = 0; round < SIZES.raceRounds; round++) {
      const id = ctx.newId();
      // Even rounds race against a created container; odd rounds race the create itself too.
      const racingCreate = round % 2 === 1;
      if (!racingCreate) check(await husk(['create', '--bundle', bundle.dir, id]), `create ${id}`, true);
      const racers: Array<[string, string[]]> = [
        ['start', ['start', id]],
        ['kill', ['kill', id, 'KILL']],
        ['delete', ['delete', id]],
        ['delete --force', ['delete', '--force', id]],
        ['state', ['state', id]],
        ['kill --all', ['kill', '--all', id, 'KILL']],
        ['list', ['list', '--format', 'json']],
      ];
      if (racingCreate) racers.unshift(['create', ['create', '--bundle', bundle.dir, id]]);
      // A random-ish but reproducible order of launch, a few ms apart.
      const results = await Promise.all(
        racers.map(async ([name, args], index) => {
          await sleep(((index * 7 + round * 3) % racers.length) * 2);
          return [name, await husk(args)] as const;
        }),
      );
      for (const [name, result] of results) {
        check(result, `round ${round} ${name}`, name === 'delete --force' || name === 'list');
        if (name === 'state' && result.status === 0) JSON.parse(result.stdout);
        if (/torn|not valid JSON|is still being created/.test(result.stderr)) problems.push(`round ${round} ${name}: ${describeResult(result)}`);
      }
      // Whatever won, the container is either gone or in a consistent state that delete --force ends.
      const after = await husk(['state', id]);
      check(after, `round ${round} state after`, false);
      if (after.status === 0) JSON.parse(after.stdout);
      check(await husk(['delete', '--force', id]), `round ${round} final delete --force`, true);
      const gone = await husk(['state', id]);
      if (gone.status === 0) problems.push(`round ${round}: ${id} still exists after delete --force`);
    }
    await watcher.stop();
    figures.notes!.push(`races: ${SIZES.raceRounds} rounds, ${watcher.reads} unlocked state.json reads, ${watcher.torn.length} torn`);
    figures.leaks += watcher.torn.length;
    const leaks = await settledLeaks(ctx);
    assert.deepEqual(problems, []);
    assert.deepEqual(watcher.torn, []);
    assert.equal(leaks, '', 'left behind');
  });
});

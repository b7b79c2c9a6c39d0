// Crashes: husk SIGKILLed at each step of create and of delete (HUSK_FAULT=<point>, see
// src/fault.ts), and from outside while a hook runs. Afterwards:
//   * every process of the container is shown by `list` (never running unknown to it);
//   * `delete --force` succeeds and removes every process, mount, cgroup and state entry;
//   * a new create of the same id works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { describeLeftovers, findLeftovers, isEmpty } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { allPids, isProcessAlive, processCgroupText } from '../helpers/procfs';
import { RunResult, describeResult } from '../helpers/runtime';
import { suiteOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';
import { contractViolation, counted, newFigures, recordFigures } from './harness';

/** Every HUSK_FAULT point of create, in the order create reaches them (src/fault.ts). */
const CREATE_POINTS = [
  'create:claim',
  'create:claimed',
  'create:provisional',
  'create:cgroup',
  'create:before-clone',
  'create:after-clone',
  'create:init-pid',
  'create:mounts',
  'create:hooks',
  'create:ready',
];
const DELETE_POINTS = ['delete:locked', 'delete:killed', 'delete:cgroup', 'delete:renamed', 'delete:hooks'];

const TIMEOUT_MS = 30_000;

describe('reliability: crashes', { ...suiteOptions(), timeout: 20 * 60_000 }, () => {
  const context = useTestContext();
  const figures = newFigures();
  after(() => recordFigures('crashes', figures));

  /** A bundle whose create passes every fault point: prestart and createRuntime hooks, poststop too. */
  function hookedBundle(ctx: TestContext, hookScript = 'exit 0'): Bundle {
    const bundle = makeBundle(ctx).setArgs('sleep', '600');
    const hook = { path: '/bin/sh', args: ['sh', '-c', hookScript] };
    bundle.config.hooks = { prestart: [hook], createRuntime: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] };
    return bundle.save();
  }

  function ok(result: RunResult, what: string): RunResult {
    const violation = contractViolation(result);
    assert.equal(violation, undefined, `${what}: ${violation}: ${describeResult(result)}`);
    assert.equal(result.status, 0, `${what} failed: ${describeResult(result)}`);
    return result;
  }

  /** Live processes whose cgroup path names the container (as the id's own path component). */
  function containerProcesses(id: string): number[] {
    return allPids().filter((pid) => isProcessAlive(pid) && processCgroupText(pid).split('\n').some((line) => line.endsWith(`/${id}`)));
  }

  /** "Never running unknown to list": if any process of the container lives, list shows it. */
  async function checkListed(ctx: TestContext, id: string, what: string): Promise<void> {
    const before = containerProcesses(id);
    const run = counted(ctx.runtime, figures);
    const list = ok(await run(['list', '--format', 'json']), `${what}: list`);
    const listed = ((JSON.parse(list.stdout) ?? []) as Array<{ id: string }>).map((c) => c.id);
    const stillThere = before.filter((pid) => isProcessAlive(pid));
    if (stillThere.length > 0 && !listed.includes(id)) {
      figures.leaks++;
      assert.fail(`${what}: processes ${stillThere.join(', ')} of ${id} run, but list does not show it: ${list.stdout}`);
    }
  }

  async function checkNothingLeft(ctx: TestContext, what: string): Promise<void> {
    let leftovers = findLeftovers(ctx);
    for (let attempt = 0; attempt < 60 && !isEmpty(leftovers); attempt++) {
      await sleep(50);
      leftovers = findLeftovers(ctx);
    }
    if (!isEmpty(leftovers)) {
      figures.leaks += Object.values(leftovers).reduce((sum, list: unknown[]) => sum + list.length, 0);
      assert.fail(`${what}: left behind:\n${describeLeftovers(leftovers)}`);
    }
  }

  /** After the crash: list, delete --force, nothing left, and the id is usable again. */
  async function recoverAndReuse(ctx: TestContext, bundle: Bundle, id: string, what: string): Promise<void> {
    const run = counted(ctx.runtime, figures);
    await checkListed(ctx, id, what);
    const state = await run(['state', id]);
    assert.equal(contractViolation(state), undefined, `${what}: state: ${describeResult(state)}`);
    if (state.status === 0) JSON.parse(state.stdout);
    ok(await run(['delete', '--force', id]), `${what}: delete --force`);
    const list = ok(await run(['list', '-q']), `${what}: list`);
    assert.ok(!list.stdout.split('\n').includes(id), `${what}: ${id} still listed after delete --force`);
    await checkNothingLeft(ctx, what);
    ok(await run(['create', '--bundle', bundle.dir, id]), `${what}: create again`);
    ok(await run(['start', id]), `${what}: start`);
    ok(await run(['delete', '--force', id]), `${what}: delete --force again`);
    await checkNothingLeft(ctx, `${what}, after re-use`);
  }

  for (const point of CREATE_POINTS) {
    it(`create killed at ${point}: delete --force cleans up, the id works again`, { timeout: TIMEOUT_MS * 4 }, async () => {
      const ctx = context();
      const bundle = hookedBundle(ctx);
      const id = ctx.newId();
      const run = counted(ctx.runtime, figures);
      const crashed = await run(['create', '--bundle', bundle.dir, id], { env: { HUSK_FAULT: point }, timeoutMs: TIMEOUT_MS });
      assert.equal(crashed.signal, 'SIGKILL', `HUSK_FAULT=${point} did not fire: ${describeResult(crashed)}`);
      figures.faults++;
      await recoverAndReuse(ctx, bundle, id, `HUSK_FAULT=${point}`);
    });
  }

  for (const point of DELETE_POINTS) {
    it(`delete killed at ${point}: delete --force finishes it, the id works again`, { timeout: TIMEOUT_MS * 4 }, async () => {
      const ctx = context();
      const bundle = hookedBundle(ctx);
      const id = ctx.newId();
      const run = counted(ctx.runtime, figures);
      ok(await run(['create', '--bundle', bundle.dir, id]), 'create');
      ok(await run(['start', id]), 'start');
      const crashed = await run(['delete', '--force', id], { env: { HUSK_FAULT: point }, timeoutMs: TIMEOUT_MS });
      assert.equal(crashed.signal, 'SIGKILL', `HUSK_FAULT=${point} did not fire: ${describeResult(crashed)}`);
      figures.faults++;
      await recoverAndReuse(ctx, bundle, id, `HUSK_FAULT=${point}`);
    });
  }

  it('create killed from outside while a prestart hook runs', { timeout: TIMEOUT_MS * 4 }, async () => {
    const ctx = context();
    const markerDir = ctx.newDir('hook-marker');
    const marker = path.join(markerDir, 'hook-running');
    // The hook outlives the husk that ran it (nothing can end it once its runtime is SIGKILLed;
    // see docs/husk.md), so it only lingers briefly.
    const bundle = hookedBundle(ctx, `touch ${marker}; sleep 0.5`);
    const id = ctx.newId();
    figures.operations++;
    const husk = spawn(ctx.runtime.bin, ['--root', ctx.runtime.root, 'create', '--bundle', bundle.dir, id], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => husk.on('exit', (_code, signal) => resolve(signal)));
    await waitFor('the prestart hook to run', () => fs.existsSync(marker), { timeoutMs: TIMEOUT_MS });
    husk.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    figures.faults++;
    await recoverAndReuse(ctx, hookedBundle(ctx), id, 'SIGKILL during a prestart hook');
  });

  it('a created container whose create was killed after the init got ready can still be started', { timeout: TIMEOUT_MS * 2 }, async () => {
    const ctx = context();
    const bundle = hookedBundle(ctx);
    const id = ctx.newId();
    const run = counted(ctx.runtime, figures);
    const crashed = await run(['create', '--bundle', bundle.dir, id], { env: { HUSK_FAULT: 'create:ready' } });
    assert.equal(crashed.signal, 'SIGKILL', describeResult(crashed));
    figures.faults++;
    const state = JSON.parse(ok(await run(['state', id]), 'state').stdout);
    assert.equal(state.status, 'created');
    ok(await run(['start', id]), 'start');
    assert.equal(JSON.parse(ok(await run(['state', id]), 'state').stdout).status, 'running');
    ok(await run(['delete', '--force', id]), 'delete --force');
    await checkNothingLeft(ctx, 'start after a killed create');
  });
});

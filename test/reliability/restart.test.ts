// State survives restarts of the caller: containerd and conmon call state/kill/delete from new
// processes at any time, from anywhere; and after a host reboot the --root they find is stale
// (pids that no longer exist, or that the new boot gave to other processes, cgroup paths that
// someone else may have made again). husk reports those containers stopped and deletes them
// without touching the processes and cgroups that now have their pids and paths.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { describeLeftovers, findLeftovers, isEmpty } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { isProcessAlive, readProcFile } from '../helpers/procfs';
import { RunResult, describeResult } from '../helpers/runtime';
import { suiteOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';
import { contractViolation, counted, newFigures, recordFigures } from './harness';

interface RawState {
  pid: number;
  pidStartTime: number;
  bootId?: string;
  cgroup: { paths: Record<string, string> } | null;
  [field: string]: unknown;
}

describe('reliability: state across restarts and reboots', { ...suiteOptions(), timeout: 10 * 60_000 }, () => {
  const context = useTestContext();
  const figures = newFigures();
  after(() => recordFigures('restart', figures));
  const strangers: ChildProcess[] = [];
  after(() => strangers.forEach((child) => child.kill('SIGKILL')));

  function ok(result: RunResult, what: string): RunResult {
    const violation = contractViolation(result);
    assert.equal(violation, undefined, `${what}: ${violation}: ${describeResult(result)}`);
    assert.equal(result.status, 0, `${what} failed: ${describeResult(result)}`);
    return result;
  }

  function oneLineFailure(result: RunResult, what: string, mentions: string): void {
    assert.equal(contractViolation(result), undefined, `${what}: ${describeResult(result)}`);
    assert.equal(result.status, 1, `${what} should fail: ${describeResult(result)}`);
    assert.ok(result.stderr.includes(mentions), `${what} should mention ${mentions}: ${describeResult(result)}`);
  }

  function statePath(ctx: TestContext, id: string): string {
    return path.join(ctx.runtime.root, id, 'state.json');
  }

  function readRawState(ctx: TestContext, id: string): RawState {
    return JSON.parse(fs.readFileSync(statePath(ctx, id), 'utf8')) as RawState;
  }

  /** What a reboot (or an editor) leaves: the file replaced, as husk itself would. */
  function writeRawState(ctx: TestContext, id: string, state: RawState): void {
    const temporary = `${statePath(ctx, id)}.test-tmp`;
    fs.writeFileSync(temporary, JSON.stringify(state));
    fs.renameSync(temporary, statePath(ctx, id));
  }

  function startTimeOf(pid: number): number {
    const stat = readProcFile(`/proc/${pid}/stat`) ?? '';
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  }

  /** A running container, then "the reboot": its processes killed and its cgroups removed behind husk's back. */
  async function containerThatARebootEnded(ctx: TestContext): Promise<{ id: string; state: RawState }> {
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const id = ctx.newId();
    const run = counted(ctx.runtime, figures);
    ok(await run(['run', '--detach', '--bundle', bundle.dir, id]), 'run --detach');
    const state = readRawState(ctx, id);
    process.kill(state.pid, 'SIGKILL');
    await waitFor('the init to die', () => !isProcessAlive(state.pid));
    for (const dir of Object.values(state.cgroup?.paths ?? {})) {
      await waitFor(`${dir} to be removable`, () => {
        try {
          fs.rmdirSync(dir);
          return true;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ENOENT';
        }
      });
    }
    return { id, state };
  }

  /** An unrelated long-lived process (what the new boot gave the old pid to). */
  function stranger(): ChildProcess {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    strangers.push(child);
    return child;
  }

  async function expectStoppedAndDeletable(ctx: TestContext, id: string, what: string): Promise<void> {
    const run = counted(ctx.runtime, figures);
    const state = JSON.parse(ok(await run(['state', id]), `${what}: state`).stdout);
    assert.equal(state.status, 'stopped', `${what}: ${JSON.stringify(state)}`);
    assert.equal(state.pid, 0);
    const listed = JSON.parse(ok(await run(['list', '--format', 'json']), `${what}: list`).stdout) as Array<{ id: string; status: string }>;
    assert.equal(listed.find((c) => c.id === id)?.status, 'stopped', `${what}: list`);
    oneLineFailure(await run(['kill', id, 'KILL']), `${what}: kill`, 'not running');
    ok(await run(['kill', '--all', id, 'KILL']), `${what}: kill --all`);
    ok(await run(['delete', id]), `${what}: delete`);
    oneLineFailure(await run(['state', id]), `${what}: state after delete`, 'does not exist');
  }

  async function checkNothingLeft(ctx: TestContext, what: string): Promise<void> {
    let leftovers = findLeftovers(ctx);
    for (let attempt = 0; attempt < 40 && !isEmpty(leftovers); attempt++) {
      await sleep(50);
      leftovers = findLeftovers(ctx);
    }
    if (!isEmpty(leftovers)) {
      figures.leaks += Object.values(leftovers).reduce((sum, list: unknown[]) => sum + list.length, 0);
      assert.fail(`${what}: left behind:\n${describeLeftovers(leftovers)}`);
    }
  }

  it('state, start, kill and delete from new processes in another directory, the creator long gone (relative --root)', async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const id = ctx.newId();
    const creatorDir = ctx.newDir('creator-cwd');
    const relativeRoot = 'relative-root';
    const absoluteRoot = path.join(creatorDir, relativeRoot);
    // The creating husk runs in creatorDir with a relative --root and is gone when it returns.
    const createdWith = await runIn(creatorDir, ['--root', relativeRoot, 'create', '--bundle', bundle.dir, id]);
    figures.operations++;
    ok(createdWith, 'create with a relative --root');
    // Every later command: a new process, elsewhere, naming the root absolutely (as a shim does).
    const elsewhere = ctx.newDir('caller-cwd');
    const husk = async (args: string[]) => {
      figures.operations++;
      return runIn(elsewhere, ['--root', absoluteRoot, ...args]);
    };
    try {
      assert.equal(JSON.parse(ok(await husk(['state', id]), 'state').stdout).status, 'created');
      ok(await husk(['start', id]), 'start');
      assert.equal(JSON.parse(ok(await husk(['state', id]), 'state').stdout).status, 'running');
      ok(await husk(['kill', id, 'KILL']), 'kill');
      await waitFor('stopped', async () => JSON.parse(ok(await husk(['state', id]), 'state').stdout).status === 'stopped');
      ok(await husk(['delete', id]), 'delete');
      assert.deepEqual(fs.readdirSync(absoluteRoot), []);
    } finally {
      await husk(['delete', '--force', id]);
    }
    await checkNothingLeft(ctx, 'relative root');

    async function runIn(cwd: string, args: string[]): Promise<RunResult> {
      const out = path.join(ctx.tmpDir, `restart-${process.hrtime.bigint()}`);
      const stdout = fs.openSync(`${out}.stdout`, 'w');
      const stderr = fs.openSync(`${out}.stderr`, 'w');
      const child = spawn(ctx.runtime.bin, args, { cwd, stdio: ['ignore', stdout, stderr] });
      fs.closeSync(stdout);
      fs.closeSync(stderr);
      const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
      return {
        command: [ctx.runtime.bin, ...args].join(' '),
        status,
        signal,
        stdout: fs.readFileSync(`${out}.stdout`, 'utf8'),
        stderr: fs.readFileSync(`${out}.stderr`, 'utf8'),
      };
    }
  });

  it('stale --root, same boot: the recorded pid no longer exists → stopped; kill refuses, delete works', async () => {
    const ctx = context();
    const { id } = await containerThatARebootEnded(ctx);
    await expectStoppedAndDeletable(ctx, id, 'pid gone');
    await checkNothingLeft(ctx, 'pid gone');
  });

  it('stale --root, same boot: the pid was recycled by another process (other start time) → stopped, the stranger untouched', async () => {
    const ctx = context();
    const { id, state } = await containerThatARebootEnded(ctx);
    const other = stranger();
    await waitFor('the stranger to run', () => isProcessAlive(other.pid!));
    writeRawState(ctx, id, { ...state, pid: other.pid!, pidStartTime: startTimeOf(other.pid!) - 1 });
    await expectStoppedAndDeletable(ctx, id, 'pid recycled');
    assert.ok(isProcessAlive(other.pid!), 'delete killed the process that has the recycled pid');
    await checkNothingLeft(ctx, 'pid recycled');
  });

  it('stale --root after a reboot: pid and start time now name a stranger, its cgroup path re-made and occupied → stopped, nothing of theirs touched', async () => {
    const ctx = context();
    const { id, state } = await containerThatARebootEnded(ctx);
    const other = stranger();
    await waitFor('the stranger to run', () => isProcessAlive(other.pid!));
    // The new boot: same pid AND same start time (possible across boots), the cgroup path taken.
    const cgroupDirs = Object.values(state.cgroup?.paths ?? {});
    const pidsDir = cgroupDirs.find((dir) => dir.includes('/pids/')) ?? cgroupDirs[0];
    fs.mkdirSync(pidsDir, { recursive: true });
    fs.writeFileSync(path.join(pidsDir, 'cgroup.procs'), String(other.pid));
    writeRawState(ctx, id, { ...state, pid: other.pid!, pidStartTime: startTimeOf(other.pid!), bootId: randomUUID() });
    try {
      await expectStoppedAndDeletable(ctx, id, 'rebooted');
      assert.ok(isProcessAlive(other.pid!), 'delete killed the process that has the old pid after the reboot');
      assert.ok(fs.existsSync(pidsDir), "delete removed the cgroup that someone made at the old path after the reboot");
      assert.ok(fs.readFileSync(path.join(pidsDir, 'cgroup.procs'), 'utf8').includes(String(other.pid)));
    } finally {
      other.kill('SIGKILL');
      await waitFor('the stranger to die', () => !isProcessAlive(other.pid!));
      await waitFor(`${pidsDir} removed`, () => {
        try {
          fs.rmdirSync(pidsDir);
          return true;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ENOENT';
        }
      });
    }
    await checkNothingLeft(ctx, 'rebooted');
  });

  it('stale --root: remnants of killed creates and deletes (@creating-*, @deleting-*) are swept by the next delete', async () => {
    const ctx = context();
    const root = ctx.runtime.root;
    fs.mkdirSync(root, { recursive: true });
    // A dead pid: one of ours that has exited and been reaped.
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('exit', resolve));
    for (const name of [`@creating-${dead.pid}-x1`, `@deleting-${dead.pid}-x2-1`]) {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'lock'), '');
    }
    const run = counted(ctx.runtime, figures);
    ok(await run(['delete', '--force', ctx.newId()]), 'delete --force of nothing');
    assert.deepEqual(fs.readdirSync(root), []);
  });
});

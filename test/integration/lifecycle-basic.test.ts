// Acceptance tests of the core lifecycle: run, create, start, kill, delete,
// list, state. Proven against runc (HUSK_TEST_RUNTIME=/usr/sbin/runc).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { isProcessAlive } from '../helpers/procfs';
import { ContainerState } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';

const SIGKILL_NUMBER = 9;
const LONG_SLEEP = ['sleep', '600'];

describe('lifecycle: basic', suiteOptions(), () => {
  const context = useTestContext();

  /** A bundle whose program records that it ran by creating <marker dir>/ran, then runs `then`. */
  function bundleWithMarker(ctx: TestContext, then: string): { bundle: Bundle; markerFile: string } {
    const markerDir = ctx.newDir('marker');
    const bundle = makeBundle(ctx)
      .addBindMount(markerDir, '/marker')
      .setShellScript(`touch /marker/ran; ${then}`)
      .save();
    return { bundle, markerFile: path.join(markerDir, 'ran') };
  }

  async function createContainer(ctx: TestContext, bundle: Bundle, extraArgs: string[] = []): Promise<string> {
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', ...extraArgs, '--bundle', bundle.dir, id]);
    return id;
  }

  async function runningContainer(ctx: TestContext): Promise<{ id: string; state: ContainerState }> {
    const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
    const id = await createContainer(ctx, bundle);
    await ctx.runtime.runOk(['start', id]);
    return { id, state: await ctx.runtime.waitForStatus(id, 'running') };
  }

  describe('run (foreground)', () => {
    it('exits 0 for /bin/true', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs('/bin/true').save();
      const result = await ctx.runtime.run(['run', '--bundle', bundle.dir, ctx.newId()]);
      assert.equal(result.status, 0, result.stderr);
    });

    it("passes on the program's exit status (sh -c 'exit 3' -> 3)", testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setShellScript('exit 3').save();
      const result = await ctx.runtime.run(['run', '--bundle', bundle.dir, ctx.newId()]);
      assert.equal(result.status, 3, result.stderr);
    });

    it('exits 128+N when the program is killed by signal N', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
      const id = ctx.newId();
      const foreground = ctx.runtime.run(['run', '--bundle', bundle.dir, id]);
      await ctx.runtime.waitForStatus(id, 'running');
      await ctx.runtime.runOk(['kill', id, 'KILL']);
      const result = await foreground;
      assert.equal(result.status, 128 + SIGKILL_NUMBER, result.stderr);
    });

    it('removes the container when the program exits', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs('/bin/true').save();
      const id = ctx.newId();
      await ctx.runtime.runOk(['run', '--bundle', bundle.dir, id]);
      assert.deepEqual(await ctx.runtime.listIds(), []);
      assert.notEqual((await ctx.runtime.run(['state', id])).status, 0);
    });
  });

  describe('create', () => {
    it('leaves a waiting init: state created with pid and bundle, program not yet run', testOptions, async () => {
      const ctx = context();
      const { bundle, markerFile } = bundleWithMarker(ctx, 'exit 0');
      const id = await createContainer(ctx, bundle);
      const state = await ctx.runtime.state(id);
      assert.equal(state.status, 'created');
      assert.equal(state.id, id);
      assert.equal(state.bundle, bundle.dir);
      assert.ok(state.pid > 0, `pid ${state.pid}`);
      assert.ok(isProcessAlive(state.pid), `init ${state.pid} is not alive`);
      await sleep(100); // give a wrongly started program time to leave its marker
      assert.equal(fs.existsSync(markerFile), false, 'the program ran before start');
    });

    it('writes --pid-file with the init pid before it returns', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
      const pidFile = path.join(ctx.newDir('pidfile'), 'pid');
      const id = await createContainer(ctx, bundle, ['--pid-file', pidFile]);
      const written = fs.readFileSync(pidFile, 'utf8');
      assert.match(written, /^\d+$/, `pid file content ${JSON.stringify(written)}`);
      assert.equal(Number(written), (await ctx.runtime.state(id)).pid);
    });
  });

  describe('start', () => {
    it('runs the program and the container is running', testOptions, async () => {
      const ctx = context();
      const { bundle, markerFile } = bundleWithMarker(ctx, LONG_SLEEP.join(' '));
      const id = await createContainer(ctx, bundle);
      await ctx.runtime.runOk(['start', id]);
      await waitFor('the program to create its marker', () => fs.existsSync(markerFile));
      const state = await ctx.runtime.state(id);
      assert.equal(state.status, 'running');
      assert.ok(isProcessAlive(state.pid));
    });

    it('a short program ends up stopped with pid 0', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs('/bin/true').save();
      const id = await createContainer(ctx, bundle);
      await ctx.runtime.runOk(['start', id]);
      const state = await ctx.runtime.waitForStatus(id, 'stopped');
      assert.equal(state.pid, 0); // runc reports pid 0 once stopped
    });
  });

  describe('kill', () => {
    for (const signal of ['KILL', 'SIGKILL', String(SIGKILL_NUMBER)]) {
      it(`kill ${signal} stops a running container`, testOptions, async () => {
        const ctx = context();
        const { id, state } = await runningContainer(ctx);
        await ctx.runtime.runOk(['kill', id, signal]);
        await ctx.runtime.waitForStatus(id, 'stopped');
        await waitFor(`process ${state.pid} to die`, () => !isProcessAlive(state.pid));
      });
    }
  });

  describe('delete', () => {
    it('removes a stopped container from list, state and the state dir', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      await ctx.runtime.runOk(['kill', id, 'KILL']);
      await ctx.runtime.waitForStatus(id, 'stopped');
      await ctx.runtime.runOk(['delete', id]);
      assert.deepEqual(await ctx.runtime.listIds(), []);
      assert.notEqual((await ctx.runtime.run(['state', id])).status, 0);
      const remaining = fs.readdirSync(ctx.runtime.root).filter((name) => name.includes(id));
      assert.deepEqual(remaining, [], 'state dir still there');
    });

    it('delete --force kills and removes a running container', testOptions, async () => {
      const ctx = context();
      const { id, state } = await runningContainer(ctx);
      await ctx.runtime.runOk(['delete', '--force', id]);
      await waitFor(`process ${state.pid} to die`, () => !isProcessAlive(state.pid));
      assert.deepEqual(await ctx.runtime.listIds(), []);
    });

    it('delete removes a created (never started) container', testOptions, async () => {
      const ctx = context();
      const { bundle, markerFile } = bundleWithMarker(ctx, 'exit 0');
      const id = await createContainer(ctx, bundle);
      const { pid } = await ctx.runtime.state(id);
      await ctx.runtime.runOk(['delete', id]);
      await waitFor(`init ${pid} to die`, () => !isProcessAlive(pid));
      assert.deepEqual(await ctx.runtime.listIds(), []);
      assert.equal(fs.existsSync(markerFile), false, 'deleting a created container ran its program');
    });
  });

  describe('run --detach', () => {
    it('returns while the container keeps running', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
      const id = ctx.newId();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
      const state = await ctx.runtime.state(id);
      assert.equal(state.status, 'running');
      assert.ok(isProcessAlive(state.pid));
    });
  });

  describe('state and list', () => {
    it('state JSON has the spec fields and runc extras (rootfs, created, owner)', testOptions, async () => {
      const ctx = context();
      const before = Date.now();
      const { id, state } = await runningContainer(ctx);
      const bundleDir = state.bundle;
      // The version of the runtime spec the state follows (runc 1.1.5: "1.0.2-dev").
      assert.match(state.ociVersion, /^\d+\.\d+\.\d+/);
      assert.equal(state.id, id);
      assert.equal(state.status, 'running');
      assert.equal(typeof state.pid, 'number');
      assert.ok(path.isAbsolute(bundleDir), `bundle ${bundleDir} is not absolute`);
      assert.equal(state.rootfs, path.join(bundleDir, 'rootfs'));
      assert.match(String(state.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const created = Date.parse(String(state.created));
      assert.ok(created >= before - 1000 && created <= Date.now() + 1000, `created ${state.created}`);
      assert.equal(typeof state.owner, 'string');
    });

    it('list prints a table with a header and one row per container', testOptions, async () => {
      const ctx = context();
      const { id, state } = await runningContainer(ctx);
      const result = await ctx.runtime.runOk(['list']);
      const [header, ...rows] = result.stdout.trimEnd().split('\n');
      assert.deepEqual(header.trim().split(/\s+/), ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']);
      assert.equal(rows.length, 1, result.stdout);
      const [rowId, rowPid, rowStatus, rowBundle] = rows[0].trim().split(/\s+/);
      assert.deepEqual([rowId, Number(rowPid), rowStatus, rowBundle], [id, state.pid, 'running', state.bundle]);
    });

    it('list --format json is an array of states', testOptions, async () => {
      const ctx = context();
      const { id, state } = await runningContainer(ctx);
      const listed = JSON.parse((await ctx.runtime.runOk(['list', '--format', 'json'])).stdout) as ContainerState[];
      assert.equal(listed.length, 1);
      assert.equal(listed[0].id, id);
      assert.equal(listed[0].pid, state.pid);
      assert.equal(listed[0].status, 'running');
      assert.equal(listed[0].bundle, state.bundle);
    });

    it('list of an empty root: header only, and json null', testOptions, async () => {
      const ctx = context();
      const table = await ctx.runtime.runOk(['list']);
      assert.deepEqual(table.stdout.trim().split('\n').length, 1, table.stdout);
      const json = await ctx.runtime.runOk(['list', '--format', 'json']);
      assert.equal(json.stdout.trim(), 'null'); // runc prints null, not []
    });
  });
});

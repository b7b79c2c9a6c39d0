// Daemon mode (docs/daemon.md): the front end build/bin/husk served by a private `husk daemon`.
// A command run through it must end as direct husk's does; the container's processes are the
// front end's children; signals reach the container in the foreground and the worker before it;
// a worker killed half-way leaves what `delete --force` removes; every case the daemon cannot
// serve runs the Node CLI instead and still works; the daemon guards its socket.
//
// HUSK_TIMING=1 tells which path served a command: its first phase is "worker" in a daemon worker
// and "node" in the Node CLI (src/timing.ts). This file starts its own daemon and names it to the
// front end explicitly, whatever $HUSK_TEST_RUNTIME and $HUSK_DAEMON_SOCKET say (`make
// test-daemon` sets both for the rest of the suite).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Bundle, makeBundle } from '../helpers/bundle';
import { assertNothingLeft, findLeftovers } from '../helpers/cleanup';
import { integrationSkipReason, TestContext } from '../helpers/context';
import {
  daemonDirectory,
  daemonsOn,
  FRONT_END_BIN,
  FrontEndRuntime,
  parentPid,
  PrivateDaemon,
  processesNaming,
  servedBy,
  socketAnswers,
  SpawnOptions,
  spawnRuntime,
  startDaemon,
  withDaemon,
  withoutTiming,
} from '../helpers/daemon';
import { HUSK_BIN, REPO_ROOT } from '../helpers/paths';
import { isProcessAlive, processCmdline } from '../helpers/procfs';
import { describeResult, RunResult, Runtime } from '../helpers/runtime';
import { testOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';

const TIMING = { HUSK_TIMING: '1' };
const PTY_RUN = path.join(REPO_ROOT, 'test', 'helpers', 'pty-run.py');

function skipReason(): string | false {
  const reason = integrationSkipReason();
  if (reason) return reason;
  if (!fs.existsSync(FRONT_END_BIN)) return `no front end at ${FRONT_END_BIN} (make builds it)`;
  return false;
}

describe('daemon mode', { skip: skipReason() }, () => {
  const context = useTestContext();
  let daemon: PrivateDaemon | undefined;
  let daemonDir: string | undefined;

  before(async () => {
    daemonDir = daemonDirectory();
    daemon = await startDaemon({ socket: path.join(daemonDir, 'daemon.sock'), idleExitSeconds: 60 });
  });

  // After useTestContext's afterEach (registered first): every worker, including those of the
  // cleanup's `delete --force`, has left; the daemon itself is still there for the next test.
  afterEach(async () => {
    if (!daemon) return;
    const d = daemon;
    await waitFor(() => `the workers of husk daemon to exit (left: ${d.workers().map((pid) => `${pid} ${processCmdline(pid)}`).join('; ')})`, () => d.workers().length === 0, {
      timeoutMs: 5000,
    });
    assert.ok(!d.hasExited, `husk daemon exited during the test; log: ${d.log()}`);
  });

  after(async () => {
    try {
      await daemon?.stop();
      if (daemon) assert.deepEqual(processesNaming(daemon.socket), [], 'husk daemon or a worker is still there');
    } finally {
      if (daemonDir) fs.rmSync(daemonDir, { recursive: true, force: true });
    }
  });

  interface Husks {
    /** build/bin/husk bound to this file's daemon. */
    front: FrontEndRuntime;
    /** bin/husk, the Node CLI, on the same --root. */
    direct: Runtime;
  }
  const husksOf = new WeakMap<TestContext, Husks>();

  function husks(ctx: TestContext): Husks {
    let found = husksOf.get(ctx);
    if (!found) {
      const root = path.join(ctx.tmpDir, 'root-daemon');
      const front = new FrontEndRuntime(daemonSocket(), root, path.join(ctx.tmpDir, 'io-front-end'));
      const direct = new Runtime('husk', HUSK_BIN, root, path.join(ctx.tmpDir, 'io-direct'));
      // Cleanup deletes through the Node CLI: it works whatever state the daemon is in.
      ctx.runtimes.push(direct);
      found = { front, direct };
      husksOf.set(ctx, found);
    }
    return found;
  }

  function daemonSocket(): string {
    if (!daemon) throw new Error('husk daemon not started');
    return daemon.socket;
  }

  function assertServedBy(result: RunResult, expected: 'worker' | 'node'): void {
    assert.equal(servedBy(result.stderr), expected, `expected the ${expected} to serve it: ${describeResult(result)}`);
    if (expected === 'worker') {
      // The daemon loads what commands need once: a worker that loads a Node module compiles it
      // again for every command (perf_hooks cost ~3 ms that way).
      const line = result.stderr.split('\n').find((candidate) => candidate.startsWith('husk-timing '));
      const timing = JSON.parse(line!.slice('husk-timing '.length)) as { nodeModulesLoaded?: string[] };
      assert.deepEqual(timing.nodeModulesLoaded, [], `the worker loaded Node modules: ${describeResult(result)}`);
    }
  }

  /** A bundle with a host directory bound at /marker (the program leaves files there). */
  function bundleWithMarker(ctx: TestContext, script: string): { bundle: Bundle; markerDir: string } {
    const markerDir = ctx.newDir('marker');
    const bundle = makeBundle(ctx).addBindMount(markerDir, '/marker').setShellScript(script).save();
    return { bundle, markerDir };
  }

  /** The front end in the background (own process group), with HUSK_TIMING=1. */
  function spawnFront(ctx: TestContext, args: string[], options: SpawnOptions = {}) {
    const { front } = husks(ctx);
    return spawnRuntime(FRONT_END_BIN, ['--root', front.root, ...args], path.join(ctx.tmpDir, 'io-spawned'), {
      ...options,
      env: { HUSK_DAEMON_SOCKET: front.socket, ...TIMING, ...options.env },
    });
  }

  function rootEntries(ctx: TestContext): string[] {
    const root = husks(ctx).front.root;
    return fs.existsSync(root) ? fs.readdirSync(root) : [];
  }

  describe('served by the daemon', () => {
    it('run: a worker serves it, with the stdout, stderr and exit status (3) of direct husk', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const bundle = makeBundle(ctx).setShellScript('echo "out of $(hostname)"; echo "to stderr" >&2; exit 3').save();
      const viaDaemon = await front.run(['run', '--bundle', bundle.dir, ctx.newId()], { env: TIMING });
      const viaNode = await direct.run(['run', '--bundle', bundle.dir, ctx.newId()], { env: TIMING });
      assertServedBy(viaDaemon, 'worker');
      assertServedBy(viaNode, 'node');
      assert.equal(viaDaemon.status, 3, describeResult(viaDaemon));
      assert.equal(viaDaemon.signal, null);
      assert.equal(viaDaemon.stdout, 'out of runc\n');
      assert.equal(viaDaemon.stdout, viaNode.stdout);
      assert.equal(withoutTiming(viaDaemon.stderr), 'to stderr\n');
      assert.equal(withoutTiming(viaDaemon.stderr), withoutTiming(viaNode.stderr));
      assert.deepEqual(rootEntries(ctx), [], 'run left state behind');
    });

    it('create, state, list, kill, delete through the front end: what direct husk shows, each served by a worker', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const id = ctx.newId();
      assertServedBy(await front.runOk(['create', '--bundle', bundle.dir, id], { env: TIMING }), 'worker');
      const stateViaDaemon = await front.runOk(['state', id], { env: TIMING });
      assertServedBy(stateViaDaemon, 'worker');
      assert.deepEqual(JSON.parse(stateViaDaemon.stdout), await direct.state(id));
      assert.equal(JSON.parse(stateViaDaemon.stdout).status, 'created');
      assertServedBy(await front.runOk(['start', id], { env: TIMING }), 'worker');
      const running = await direct.waitForStatus(id, 'running');
      const list = await front.runOk(['list', '--format', 'json'], { env: TIMING });
      assertServedBy(list, 'worker');
      assert.deepEqual(JSON.parse(list.stdout), JSON.parse((await direct.runOk(['list', '--format', 'json'])).stdout));
      assertServedBy(await front.runOk(['kill', id, 'KILL'], { env: TIMING }), 'worker');
      await direct.waitForStatus(id, 'stopped');
      await waitFor(`init ${running.pid} to die`, () => !isProcessAlive(running.pid));
      assertServedBy(await front.runOk(['delete', id], { env: TIMING }), 'worker');
      const gone = await front.run(['state', id], { env: TIMING });
      assertServedBy(gone, 'worker');
      assert.equal(gone.status, 1, describeResult(gone));
      assert.match(gone.stderr, /does not exist/);
      assert.deepEqual(rootEntries(ctx), []);
    });
  });

  describe("the container's processes are the front end's children", () => {
    it('run in the foreground: the init\'s parent is the front end', testOptions, async () => {
      const ctx = context();
      const { direct } = husks(ctx);
      const bundle = makeBundle(ctx).setArgs('sleep', '3').save();
      const id = ctx.newId();
      const run = spawnFront(ctx, ['run', '--bundle', bundle.dir, id]);
      const state = await direct.waitForStatus(id, 'running');
      assert.equal(parentPid(state.pid), run.pid, `init ${state.pid} (${processCmdline(state.pid)}) is not the child of the front end ${run.pid}`);
      const result = await run.result;
      assert.equal(result.status, 0, describeResult(result));
      assertServedBy(result, 'worker');
    });

    it('exec in the foreground: the process\'s parent is the front end', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const id = ctx.newId();
      await front.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
      const init = (await direct.state(id)).pid;
      const pidNamespace = fs.readlinkSync(`/proc/${init}/ns/pid`);
      const exec = spawnFront(ctx, ['exec', id, 'sleep', '3']);
      // The exec'd process: `sleep 3` in the container's pid namespace.
      const execd = await waitFor('the exec\'d sleep 3 to appear in the container', () =>
        fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).find((pid) => {
          try {
            return pid !== init && processCmdline(pid) === 'sleep 3' && fs.readlinkSync(`/proc/${pid}/ns/pid`) === pidNamespace;
          } catch {
            return false;
          }
        }),
      );
      assert.equal(parentPid(execd), exec.pid, `exec'd process ${execd} is not the child of the front end ${exec.pid}`);
      const result = await exec.result;
      assert.equal(result.status, 0, describeResult(result));
      assertServedBy(result, 'worker');
    });
  });

  describe('signals', () => {
    it('in the foreground, SIGTERM to the front end reaches the container: exit status 42 from its trap, container gone', testOptions, async () => {
      const ctx = context();
      const { direct } = husks(ctx);
      const { bundle, markerDir } = bundleWithMarker(ctx, 'trap "exit 42" TERM; touch /marker/ready; sleep 30 & wait');
      const id = ctx.newId();
      const run = spawnFront(ctx, ['run', '--bundle', bundle.dir, id]);
      await waitFor('the trap to be set', () => fs.existsSync(path.join(markerDir, 'ready')));
      const init = (await direct.state(id)).pid;
      run.signal('SIGTERM');
      const result = await run.result;
      assert.equal(result.signal, null, describeResult(result));
      assert.equal(result.status, 42, describeResult(result));
      assertServedBy(result, 'worker');
      assert.equal(isProcessAlive(init), false, `init ${init} still alive`);
      assert.notEqual((await direct.run(['state', id])).status, 0, 'the container is still there');
      assert.deepEqual(rootEntries(ctx), []);
    });

    it('before the foreground (a createRuntime hook running), SIGTERM kills the worker and the front end dies of it; delete --force leaves nothing', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const hookDir = ctx.newDir('hook');
      const bundle = makeBundle(ctx).setArgs('true');
      bundle.config.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${hookDir}/pid; touch ${hookDir}/ready; exec sleep 30`] }],
      };
      bundle.save();
      const id = ctx.newId();
      const run = spawnFront(ctx, ['run', '--bundle', bundle.dir, id]);
      let hookPid: number | undefined;
      try {
        await waitFor('the createRuntime hook to run', () => fs.existsSync(path.join(hookDir, 'ready')));
        hookPid = Number(fs.readFileSync(path.join(hookDir, 'pid'), 'utf8'));
        assert.ok(daemon!.workers().length > 0, 'no worker while the hook runs');
        run.signal('SIGTERM');
        const result = await run.result;
        assert.equal(result.signal, 'SIGTERM', describeResult(result));
        // The worker died of it (else it would wait on the hook for 30 s).
        await waitFor('the worker to die', () => daemon!.workers().length === 0, { timeoutMs: 3000 });
      } finally {
        if (hookPid && isProcessAlive(hookPid)) process.kill(hookPid, 'SIGKILL');
      }
      assert.deepEqual(await direct.listIds(), [id], 'the half-made container is not listed');
      const deleted = await front.run(['delete', '--force', id], { env: TIMING });
      assert.equal(deleted.status, 0, describeResult(deleted));
      assertServedBy(deleted, 'worker');
      assert.deepEqual(rootEntries(ctx), []);
      await assertNothingLeft(ctx);
    });

    it('a worker killed at a fault point (HUSK_FAULT=create:cgroup): the front end dies of SIGKILL; delete --force removes the cgroup and the state', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const id = ctx.newId();
      const created = await front.run(['create', '--bundle', bundle.dir, id], { env: { ...TIMING, HUSK_FAULT: 'create:cgroup' } });
      assert.equal(created.signal, 'SIGKILL', describeResult(created));
      assert.equal(servedBy(created.stderr), undefined, 'a killed worker printed its timing line');
      const before = findLeftovers(ctx);
      assert.ok(before.cgroups.length > 0, 'the fault point was not reached: no cgroup made');
      assert.deepEqual(await direct.listIds(), [id]);
      const deleted = await front.run(['delete', '--force', id], { env: TIMING });
      assert.equal(deleted.status, 0, describeResult(deleted));
      assertServedBy(deleted, 'worker');
      assert.deepEqual(rootEntries(ctx), []);
      assert.deepEqual(findLeftovers(ctx).cgroups, [], 'cgroups left');
      await assertNothingLeft(ctx);
    });
  });

  describe('the Node CLI when the daemon cannot serve', () => {
    it('no daemon at the socket: the Node CLI runs it, same result', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const bundle = makeBundle(ctx).setShellScript('echo fallback; exit 3').save();
      const nowhere = path.join(ctx.newDir('no-daemon'), 'daemon.sock');
      const result = await front.run(['run', '--bundle', bundle.dir, ctx.newId()], { env: { ...TIMING, HUSK_DAEMON_SOCKET: nowhere } });
      assertServedBy(result, 'node');
      assert.equal(result.status, 3, describeResult(result));
      assert.equal(result.stdout, 'fallback\n');
    });

    it('HUSK_DAEMON_SOCKET=off: the Node CLI, even with a daemon listening', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const result = await front.run(['list'], { env: { ...TIMING, HUSK_DAEMON_SOCKET: 'off' } });
      assert.equal(result.status, 0, describeResult(result));
      assertServedBy(result, 'node');
    });

    it('a caller in another mount namespace (unshare -m): the Node CLI runs it, and it works', testOptions, async () => {
      const ctx = context();
      const { direct } = husks(ctx);
      const bundle = makeBundle(ctx).setShellScript('echo from-another-mount-namespace; exit 3').save();
      const result = await spawnFront(ctx, ['run', '--bundle', bundle.dir, ctx.newId()], {
        prefix: ['unshare', '--mount', '--propagation', 'unchanged'],
      }).result;
      assertServedBy(result, 'node');
      assert.equal(result.status, 3, describeResult(result));
      assert.equal(result.stdout, 'from-another-mount-namespace\n');
      // And create in another mount namespace leaves a container the host's husk sees and deletes.
      const id = ctx.newId();
      const sleeper = makeBundle(ctx).setArgs('sleep', '600').save();
      const created = await spawnFront(ctx, ['create', '--bundle', sleeper.dir, id], { prefix: ['unshare', '--mount', '--propagation', 'unchanged'] }).result;
      assert.equal(created.status, 0, describeResult(created));
      assertServedBy(created, 'node');
      assert.equal((await direct.state(id)).status, 'created');
    });

    it('run in the foreground with process.terminal on a tty: the Node CLI runs it (the terminal is the caller\'s)', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const bundle = makeBundle(ctx).setShellScript('tty; echo on-a-terminal; exit 3');
      bundle.config.process.terminal = true;
      bundle.save();
      const command = [FRONT_END_BIN, '--root', front.root, 'run', '--bundle', bundle.dir, ctx.newId()];
      let status: number;
      let output: string;
      try {
        const { stdout } = await promisify(execFile)('python3', [PTY_RUN, '--', ...command], {
          timeout: 25_000,
          env: { ...process.env, ...TIMING, HUSK_DAEMON_SOCKET: front.socket },
        });
        status = 0;
        output = stdout;
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        if (typeof e.code !== 'number') throw err;
        status = e.code;
        output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      }
      output = output.replace(/\r\n/g, '\n');
      assert.equal(status, 3, output);
      assert.match(output, /^\/dev\/pts\/\d+\non-a-terminal\n/m, output);
      assert.equal(servedBy(output), 'node', output);
    });
  });

  describe('the context of the caller', () => {
    it('--preserve-fds: fd 3 given to the front end reaches the container', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const file = path.join(ctx.newDir('fds'), 'preserved');
      fs.writeFileSync(file, 'read through fd 3\n');
      const fd = fs.openSync(file, 'r');
      const bundle = makeBundle(ctx).setShellScript('cat <&3; ls /proc/self/fd | sort -n | tr "\\n" " "').save();
      let result: RunResult;
      try {
        result = await front.run(['run', '--preserve-fds', '1', '--bundle', bundle.dir, ctx.newId()], { env: TIMING, extraFds: [fd] });
      } finally {
        fs.closeSync(fd);
      }
      assertServedBy(result, 'worker');
      assert.equal(result.status, 0, describeResult(result));
      // 0-2, the preserved 3, and the fd `ls` reads /proc/self/fd with: nothing of the front end's.
      assert.equal(result.stdout, 'read through fd 3\n0 1 2 3 4 ');
    });

    it('cwd and umask are the caller\'s: a relative --bundle and --pid-file resolve against its cwd, the pid file gets its umask', testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const callerDir = ctx.newDir('caller');
      const id = ctx.newId();
      const created = await spawnFront(ctx, ['create', '--bundle', path.relative(callerDir, bundle.dir), '--pid-file', 'container.pid', id], {
        cwd: callerDir,
        prefix: ['sh', '-c', 'umask 077; exec "$@"', 'sh'],
      }).result;
      assert.equal(created.status, 0, describeResult(created));
      assertServedBy(created, 'worker');
      const state = await direct.state(id);
      assert.equal(state.bundle, bundle.dir);
      const pidFile = path.join(callerDir, 'container.pid');
      assert.ok(fs.existsSync(pidFile), `no ${pidFile}`);
      assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), state.pid);
      assert.equal(fs.statSync(pidFile).mode & 0o777, 0o600, 'the pid file ignores the caller\'s umask 077');
      assert.equal(fs.existsSync(path.join('/', 'container.pid')), false, 'the pid file went to the daemon\'s cwd');
      await front.runOk(['delete', '--force', id]);
    });

    it("the caller's environment and pid: socket activation (LISTEN_PID=the front end's pid, LISTEN_FDS=1) passes fd 3 on", testOptions, async () => {
      const ctx = context();
      const file = path.join(ctx.newDir('fds'), 'listen');
      const fd = fs.openSync(file, 'w');
      const bundle = makeBundle(ctx).setShellScript('echo "$LISTEN_FDS $LISTEN_PID"; echo to-listen-fd >&3').save();
      let result: RunResult;
      try {
        // $$ survives exec: LISTEN_PID names the front end, which the worker must take for "the runtime".
        result = await spawnFront(ctx, ['run', '--bundle', bundle.dir, ctx.newId()], {
          prefix: ['sh', '-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', 'sh'],
          extraFds: [fd],
        }).result;
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(result.status, 0, describeResult(result));
      assertServedBy(result, 'worker');
      assert.equal(result.stdout, '1 1\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'to-listen-fd\n');
    });

    it("the daemon's own environment does not reach a command: a HUSK_FAULT the daemon has is not the caller's", testOptions, async () => {
      const ctx = context();
      const { front, direct } = husks(ctx);
      const socket = path.join(ctx.newDir('env'), 'd.sock');
      await withDaemon({ socket, idleExitSeconds: 30, env: { HUSK_FAULT: 'create:claimed' } }, async (faulty) => {
        const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
        const id = ctx.newId();
        const created = await new FrontEndRuntime(socket, front.root, path.join(ctx.tmpDir, 'io-env')).run(['create', '--bundle', bundle.dir, id], {
          env: TIMING,
        });
        assert.equal(created.status, 0, describeResult(created));
        assertServedBy(created, 'worker');
        assert.equal((await direct.state(id)).status, 'created');
      });
    });
  });

  describe('husk daemon and its socket', () => {
    it('the socket is mode 0600', testOptions, () => {
      const stat = fs.statSync(daemonSocket());
      assert.ok(stat.isSocket());
      assert.equal(stat.mode & 0o777, 0o600, `mode ${(stat.mode & 0o777).toString(8)}`);
    });

    /** A daemon of the test's own (not the file's: a refusal that fails must not take the file's daemon's socket). */
    function withLiveDaemon(ctx: TestContext, body: (live: PrivateDaemon) => Promise<void>): Promise<void> {
      return withDaemon({ socket: path.join(ctx.newDir('live'), 'd.sock'), idleExitSeconds: 30 }, body);
    }

    it('refuses to start on a socket a live daemon answers on (status 1); that daemon keeps serving', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      await withLiveDaemon(ctx, async (live) => {
        const second = await spawnRuntime(HUSK_BIN, ['daemon', '--socket', live.socket, '--idle-exit', '2'], path.join(ctx.tmpDir, 'io-second')).result;
        assert.equal(second.status, 1, describeResult(second));
        assert.deepEqual(daemonsOn(live.socket), [live.pid], 'another daemon runs on the socket');
        const served = await new FrontEndRuntime(live.socket, front.root, path.join(ctx.tmpDir, 'io-live')).runOk(['list'], { env: TIMING });
        assertServedBy(served, 'worker');
      });
    });

    it("the refusal says why ('already listens'), when started with the V8 flags it wants (no re-exec)", testOptions, async () => {
      const ctx = context();
      await withLiveDaemon(ctx, async (live) => {
        const args = [...live.v8Flags(), HUSK_BIN, 'daemon', '--socket', live.socket, '--idle-exit', '2'];
        const second = await spawnRuntime(process.execPath, args, path.join(ctx.tmpDir, 'io-second')).result;
        assert.equal(second.status, 1, describeResult(second));
        assert.match(second.stderr, /a husk daemon already listens on /, describeResult(second));
        assert.ok(await socketAnswers(live.socket));
      });
    });

    // As `husk daemon` is usually started, it re-executes itself with its V8 flags
    // (src/daemon/serve.ts, addon/binding.cc Execve); Node leaves fds 0-2 close-on-exec, so
    // without care the re-executed daemon's stdio is gone and its errors vanish.
    it("the refusal says why ('already listens') as `husk daemon` is usually started", testOptions, async () => {
      const ctx = context();
      await withLiveDaemon(ctx, async (live) => {
        const second = await spawnRuntime(HUSK_BIN, ['daemon', '--socket', live.socket, '--idle-exit', '2'], path.join(ctx.tmpDir, 'io-second')).result;
        assert.equal(second.status, 1, describeResult(second));
        assert.match(second.stderr, /a husk daemon already listens on /, describeResult(second));
      });
    });

    it('replaces a stale socket file (nobody listening) and serves on it', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const socket = path.join(ctx.newDir('stale'), 'd.sock');
      // A socket bound and never listened on, left behind: what a killed daemon leaves. The hard
      // link keeps its inode, so a replacement cannot get the same inode number.
      execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socket]);
      fs.linkSync(socket, `${socket}.stale`);
      const staleInode = fs.statSync(socket).ino;
      assert.equal(await socketAnswers(socket), false);
      await withDaemon({ socket, idleExitSeconds: 30 }, async (replacing) => {
        assert.notEqual(fs.statSync(socket).ino, staleInode, 'the socket file was not replaced');
        assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
        const served = await new FrontEndRuntime(socket, front.root, path.join(ctx.tmpDir, 'io-stale')).runOk(['list'], { env: TIMING });
        assertServedBy(served, 'worker');
      });
    });

    it('refuses a socket path that is not a socket, and leaves the file alone', testOptions, async () => {
      const ctx = context();
      const file = path.join(ctx.newDir('not-a-socket'), 'd.sock');
      fs.writeFileSync(file, 'keep me\n');
      const args = [...daemon!.v8Flags(), HUSK_BIN, 'daemon', '--socket', file];
      const refused = await spawnRuntime(process.execPath, args, path.join(ctx.tmpDir, 'io-not-socket')).result;
      assert.equal(refused.status, 1, describeResult(refused));
      assert.match(refused.stderr, /exists and is not a socket/);
      assert.equal(fs.readFileSync(file, 'utf8'), 'keep me\n');
    });

    it('--idle-exit 1: exits (status 0) after a second without a command and removes its socket', testOptions, async () => {
      const ctx = context();
      const { front } = husks(ctx);
      const socket = path.join(ctx.newDir('idle'), 'd.sock');
      await withDaemon({ socket, idleExitSeconds: 1 }, async (idle) => {
        const served = await new FrontEndRuntime(socket, front.root, path.join(ctx.tmpDir, 'io-idle')).runOk(['list'], { env: TIMING });
        assertServedBy(served, 'worker');
        const servedAt = Date.now();
        const exit = await Promise.race([idle.exited, sleep(8000).then(() => undefined)]);
        assert.deepEqual(exit, { status: 0, signal: null }, `husk daemon --idle-exit 1 did not exit; log: ${idle.log()}`);
        assert.ok(Date.now() - servedAt >= 900, `exited ${Date.now() - servedAt} ms after the last command`);
        assert.equal(fs.existsSync(socket), false, 'the socket is still there');
        // The front end then runs the Node CLI.
        const after = await new FrontEndRuntime(socket, front.root, path.join(ctx.tmpDir, 'io-idle')).runOk(['list'], { env: TIMING });
        assertServedBy(after, 'node');
      });
    });

    it('SIGTERM: the daemon reaps its spares, removes its socket and exits 0; a run in flight finishes with its status; front ends then run the Node CLI', testOptions, async () => {
      const ctx = context();
      const { direct } = husks(ctx);
      const socket = path.join(ctx.newDir('term'), 'd.sock');
      await withDaemon({ socket, idleExitSeconds: 30 }, async (stopping) => {
        const front = new FrontEndRuntime(socket, direct.root, path.join(ctx.tmpDir, 'io-term'));
        const bundle = makeBundle(ctx).setShellScript('sleep 1; echo finished; exit 4').save();
        const id = ctx.newId();
        const run = spawnRuntime(FRONT_END_BIN, ['--root', direct.root, 'run', '--bundle', bundle.dir, id], path.join(ctx.tmpDir, 'io-term-run'), {
          env: { HUSK_DAEMON_SOCKET: socket, ...TIMING },
        });
        await direct.waitForStatus(id, 'running');
        const spares = processesNaming(socket).filter((pid) => pid !== stopping.pid && !stopping.workers().includes(pid));
        assert.ok(spares.length > 0, 'no spare worker waits for a connection');
        process.kill(stopping.pid, 'SIGTERM');
        assert.deepEqual(await stopping.exited, { status: 0, signal: null }, `log: ${stopping.log()}`);
        // Reaped before it exited: no spare is left to accept a connection nobody answers for.
        assert.deepEqual(spares.filter(isProcessAlive), [], 'spare workers outlived the daemon');
        assert.equal(fs.existsSync(socket), false, 'the socket is still there');
        const result = await run.result;
        assert.equal(result.status, 4, describeResult(result));
        assert.equal(result.stdout, 'finished\n');
        assertServedBy(result, 'worker');
        assertServedBy(await front.runOk(['list'], { env: TIMING }), 'node');
      });
    });

    it('SIGKILL: the socket file stays, front ends run the Node CLI meanwhile, and the next daemon replaces it', testOptions, async () => {
      const ctx = context();
      const { direct } = husks(ctx);
      const socket = path.join(ctx.newDir('kill'), 'd.sock');
      const front = new FrontEndRuntime(socket, direct.root, path.join(ctx.tmpDir, 'io-kill'));
      // Its spares die of its death (PDEATHSIG); stop() checks that none is left.
      await withDaemon({ socket, idleExitSeconds: 30 }, async (killed) => {
        process.kill(killed.pid, 'SIGKILL');
        assert.equal((await killed.exited).signal, 'SIGKILL');
        assert.ok(fs.statSync(socket).isSocket(), 'the socket file is gone');
        assertServedBy(await front.runOk(['list'], { env: TIMING }), 'node');
      });
      await withDaemon({ socket, idleExitSeconds: 30 }, async () => {
        assertServedBy(await front.runOk(['list'], { env: TIMING }), 'worker');
      });
    });
  });
});

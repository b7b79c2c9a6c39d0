// `exec`: a new process inside a running container, with runc's flags. Everything here holds for
// runc too (HUSK_TEST_RUNTIME=/usr/sbin/runc), except where a test says it checks husk's words.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { linesOf } from '../helpers/inside';
import { isProcessAlive, processCgroupText, readProcFile } from '../helpers/procfs';
import { describeResult, RunResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';

const NAMESPACES = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'user', 'time'];
const SIGKILL = 9;

interface Running {
  id: string;
  pid: number;
  bundle: Bundle;
}

describe('exec', suiteOptions(), () => {
  const context = useTestContext();

  /** A container whose init sleeps, started detached. */
  async function runningContainer(ctx: TestContext, configure: (b: Bundle) => Bundle = (b) => b): Promise<Running> {
    const bundle = configure(makeBundle(ctx).setArgs('sleep', '600')).save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    const state = await ctx.runtime.waitForStatus(id, 'running');
    return { id, pid: state.pid, bundle };
  }

  async function exec(ctx: TestContext, id: string, args: string[], flags: string[] = [], input?: string): Promise<RunResult> {
    return ctx.runtime.run(['exec', ...flags, id, ...args], { input });
  }

  async function execOk(ctx: TestContext, id: string, args: string[], flags: string[] = []): Promise<string> {
    const result = await exec(ctx, id, args, flags);
    assert.equal(result.status, 0, describeResult(result));
    return result.stdout;
  }

  /** Pids in the container's cgroup (its pids hierarchy, or the unified one). */
  function cgroupMembers(initPid: number): number[] {
    const line = processCgroupText(initPid)
      .split('\n')
      .find((l) => /^\d+:pids:/.test(l) || /^0::/.test(l));
    assert.ok(line, processCgroupText(initPid));
    const [, controller, cgroupPath] = line.split(':');
    const dir = controller === 'pids' ? path.join('/sys/fs/cgroup/pids', cgroupPath) : path.join('/sys/fs/cgroup', cgroupPath);
    return linesOf(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')).map(Number);
  }

  describe('what the process joins', () => {
    it("sees the same namespaces as the init, every kind (user and time included)", testOptions, async (t) => {
      const ctx = context();
      if (ctx.runtime.name === 'runc') return t.skip('runc 1.1 has no time namespaces');
      const { id, pid } = await runningContainer(ctx, (b) =>
        b.setUserNamespace(100000, 65536).setNamespace({ type: 'cgroup' }).setNamespace({ type: 'time' }),
      );
      const script = NAMESPACES.map((ns) => `readlink /proc/self/ns/${ns}`).join('; ');
      const inside = linesOf(await execOk(ctx, id, ['sh', '-c', script]));
      const ofInit = NAMESPACES.map((ns) => fs.readlinkSync(`/proc/${pid}/ns/${ns}`));
      assert.deepEqual(inside, ofInit);
      // All of them the container's own, not husk's (time aside: runc's spec makes none).
      for (const ns of ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'user', 'time']) {
        assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), ns);
      }
    });

    it('works in a created container, before start (in its pid namespace, not its init)', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const id = ctx.newId();
      await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
      // husk: pid 2 (nothing else runs there yet); runc's own helper processes took a few.
      const pid = Number((await execOk(ctx, id, ['sh', '-c', 'echo $$'])).trim());
      assert.ok(pid > 1 && pid < 100, String(pid));
      assert.equal((await ctx.runtime.state(id)).status, 'created');
    });

    it('joins only what the container has: a shared host namespace stays shared', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => b.removeNamespace('network'));
      assert.equal((await execOk(ctx, id, ['readlink', '/proc/self/ns/net'])).trim(), fs.readlinkSync('/proc/self/ns/net'));
    });

    it("is in the init's pid namespace (not pid 1) and in its cgroup, in every hierarchy", testOptions, async () => {
      const ctx = context();
      const { id, pid } = await runningContainer(ctx);
      const [ownPid, ...cgroup] = linesOf(await execOk(ctx, id, ['sh', '-c', 'echo $$; cat /proc/self/cgroup']));
      assert.ok(Number(ownPid) > 1, ownPid);
      assert.deepEqual(cgroup, linesOf(readProcFile(`/proc/${pid}/cgroup`) ?? ''));
    });

    it("is under the container's seccomp filter", testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => {
        b.config.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 /* EXDEV */ }],
        };
        return b;
      });
      const result = await exec(ctx, id, ['sh', '-c', 'grep "^Seccomp:" /proc/self/status; hostname blocked; echo "hostname=$?"']);
      assert.match(result.stdout, /Seccomp:\s+2/, describeResult(result));
      assert.match(result.stdout, /hostname=1/, describeResult(result));
      assert.match(result.stderr, /cross-device/i, describeResult(result));
    });

    it("sees the init's root also when the init only chrooted (no mount namespace of its own)", testOptions, async () => {
      const ctx = context();
      const marker = `marker-${Date.now()}`;
      const { id, bundle } = await runningContainer(ctx, (b) => {
        b.removeNamespace('mount');
        b.config.mounts = [];
        delete b.config.linux.maskedPaths;
        delete b.config.linux.readonlyPaths;
        b.setReadonlyRoot(false);
        return b;
      });
      fs.writeFileSync(path.join(bundle.rootfs, marker), '');
      assert.deepEqual(linesOf(await execOk(ctx, id, ['ls', '/'])).filter((name) => name === marker), [marker]);
    });

    it('sees the rootfs, hostname and mounts of the container', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => b.setHostname('exec-host'));
      const [hostname, root] = linesOf(await execOk(ctx, id, ['sh', '-c', 'hostname; ls /']));
      assert.equal(hostname, 'exec-host');
      assert.ok(root.includes('bin'), root);
    });
  });

  describe('process flags', () => {
    it('--user, --additional-gids, --cwd and --env take effect; env is the config env plus --env', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => b.setEnv(['PATH=/bin:/sbin', 'FROM_CONFIG=1']));
      const out = await execOk(ctx, id, ['sh', '-c', 'id -u; id -g; id -G; pwd; echo "$FROM_CONFIG $EXTRA $HOME"'], [
        '--user', '1000:1000', '--additional-gids', '20', '--cwd', '/tmp', '--env', 'EXTRA=yes',
      ]);
      assert.deepEqual(linesOf(out), ['1000', '1000', '1000 20', '/tmp', '1 yes /tmp']);
    });

    it('--env replaces a variable of the config; --user uid alone keeps the config gid', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => b.setEnv(['PATH=/bin:/sbin', 'COLOR=red']).setUser({ uid: 0, gid: 0 }));
      const out = await execOk(ctx, id, ['sh', '-c', 'echo $COLOR; id -u; id -g'], ['-e', 'COLOR=blue', '-u', '1000']);
      assert.deepEqual(linesOf(out), ['blue', '1000', '0']);
    });

    it("the command's own flags are its own (sh -c, ls -la)", testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      assert.equal((await execOk(ctx, id, ['sh', '-c', 'echo -n a; echo b'])).trim(), 'ab');
      assert.match(await execOk(ctx, id, ['ls', '-la', '/']), /bin/);
    });

    it('--cap adds a capability to the sets; without it the config sets apply', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const capEff = async (flags: string[]) =>
        BigInt('0x' + (await execOk(ctx, id, ['sh', '-c', 'grep CapEff /proc/self/status'], flags)).trim().split(/\s+/)[1]);
      const NET_ADMIN = 1n << 12n;
      assert.equal((await capEff([])) & NET_ADMIN, 0n);
      assert.equal((await capEff(['--cap', 'CAP_NET_ADMIN'])) & NET_ADMIN, NET_ADMIN);
    });

    it('--no-new-privs sets no_new_privs where the config does not', testOptions, async () => {
      const ctx = context();
      const { id, bundle } = await runningContainer(ctx, (b) => {
        b.config.process.noNewPrivileges = false;
        return b;
      });
      assert.ok(bundle);
      const nnp = async (flags: string[]) => (await execOk(ctx, id, ['sh', '-c', 'grep NoNewPrivs /proc/self/status'], flags)).trim();
      assert.match(await nnp([]), /NoNewPrivs:\s+0/);
      assert.match(await nnp(['--no-new-privs']), /NoNewPrivs:\s+1/);
    });

    it('--process runs the process.json as written (the process flags are ignored)', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const file = path.join(ctx.newDir('process'), 'process.json');
      fs.writeFileSync(file, JSON.stringify({
        user: { uid: 1000, gid: 1000 },
        args: ['sh', '-c', 'id -u; pwd; echo $ONLY_HERE'],
        env: ['PATH=/bin', 'ONLY_HERE=from-file'],
        cwd: '/tmp',
      }));
      const out = await execOk(ctx, id, [], ['--process', file]);
      assert.deepEqual(linesOf(out), ['1000', '/tmp', 'from-file']);
    });

    it('gets the rlimits of the config', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx, (b) => b.setRlimit('RLIMIT_NOFILE', 321, 654));
      assert.deepEqual(linesOf(await execOk(ctx, id, ['sh', '-c', 'ulimit -n; ulimit -Hn'])), ['321', '654']);
    });

    it('--preserve-fds passes extra fds (3..) to the process', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const file = path.join(ctx.newDir('fd'), 'out');
      const fd = fs.openSync(file, 'w');
      try {
        const result = await ctx.runtime.run(['exec', '--preserve-fds', '1', id, 'sh', '-c', 'echo through-fd-3 >&3'], { extraFds: [fd] });
        assert.equal(result.status, 0, describeResult(result));
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(fs.readFileSync(file, 'utf8'), 'through-fd-3\n');
    });

    it('without --preserve-fds no fd beyond stdio reaches the process', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      // `; true` keeps ash from exec'ing ls in place of the shell, whose own fds are listed.
      const fds = linesOf(await execOk(ctx, id, ['sh', '-c', 'ls /proc/$$/fd; true']));
      assert.deepEqual(fds, ['0', '1', '2']);
    });

    it('--cgroup puts the process into an existing sub-cgroup of the container', testOptions, async () => {
      const ctx = context();
      const { id, pid } = await runningContainer(ctx);
      const pidsLine = processCgroupText(pid).split('\n').find((l) => /^\d+:pids:/.test(l));
      if (!pidsLine) return; // no v1 pids hierarchy on this host
      const containerDir = path.join('/sys/fs/cgroup/pids', pidsLine.split(':')[2]);
      fs.mkdirSync(path.join(containerDir, 'sub'));
      const cgroups = linesOf(await execOk(ctx, id, ['cat', '/proc/self/cgroup'], ['--cgroup', 'pids:sub']));
      const pids = cgroups.find((l) => /^\d+:pids:/.test(l)) ?? '';
      assert.ok(pids.endsWith('/sub'), cgroups.join('\n'));
      // The other hierarchies keep the container's own cgroup.
      const memory = cgroups.find((l) => /^\d+:memory:/.test(l));
      if (memory) assert.ok(!memory.endsWith('/sub'), memory);
    });
  });

  describe('exit status and signals', () => {
    it("passes on the process's exit status", testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      assert.equal((await exec(ctx, id, ['sh', '-c', 'exit 7'])).status, 7);
      assert.equal((await exec(ctx, id, ['true'])).status, 0);
    });

    it('exits 128+N when signal N killed the process', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      assert.equal((await exec(ctx, id, ['sh', '-c', 'kill -9 $$'])).status, 128 + SIGKILL);
    });

    it('passes stdin through to the process in the foreground', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const result = await exec(ctx, id, ['sh', '-c', 'read line; echo "got $line"'], [], 'hello\n');
      assert.equal(result.stdout, 'got hello\n', describeResult(result));
    });

    it('forwards the signals it gets to the process', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const marker = path.join(ctx.newDir('out'), 'stdout');
      const out = fs.openSync(marker, 'w');
      const child = spawn(ctx.runtime.bin, ['--root', ctx.runtime.root, 'exec', id, 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'], {
        stdio: ['ignore', out, 'inherit'],
      });
      fs.closeSync(out);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor('the exec to start', () => fs.readFileSync(marker, 'utf8').includes('ready'));
      child.kill('SIGTERM');
      assert.equal(await exited, 42);
      assert.match(fs.readFileSync(marker, 'utf8'), /got-term/);
    });

    it('--detach returns at once and writes --pid-file; the process and the init are signalled independently', testOptions, async () => {
      const ctx = context();
      const { id, pid: initPid } = await runningContainer(ctx);
      const pidFile = path.join(ctx.newDir('pid'), 'exec.pid');
      await execOk(ctx, id, ['sleep', '600'], ['--detach', '--pid-file', pidFile]);
      const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(isProcessAlive(execPid), 'the exec\'d process runs');
      assert.ok(cgroupMembers(initPid).includes(execPid), 'it is in the container\'s cgroup');
      // Killing the exec'd process leaves the init alone...
      process.kill(execPid, 'SIGKILL');
      await waitFor('the exec\'d process to die', () => !isProcessAlive(execPid));
      assert.equal((await ctx.runtime.state(id)).status, 'running');
      // ...and another one outlives a signal to the init that the init ignores (pid 1 ignores TERM without a handler).
      await execOk(ctx, id, ['sleep', '600'], ['-d', '--pid-file', pidFile]);
      const second = Number(fs.readFileSync(pidFile, 'utf8'));
      await ctx.runtime.runOk(['kill', id, 'TERM']);
      await sleep(200);
      assert.ok(isProcessAlive(second));
      assert.ok(isProcessAlive(initPid));
    });
  });

  describe('the container ends, its exec\'d processes end', () => {
    it('kill --all KILL takes the exec\'d processes with the init', testOptions, async () => {
      const ctx = context();
      const { id, pid: initPid } = await runningContainer(ctx);
      const pidFile = path.join(ctx.newDir('pid'), 'exec.pid');
      await execOk(ctx, id, ['sleep', '600'], ['-d', '--pid-file', pidFile]);
      const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
      await ctx.runtime.runOk(['kill', '--all', id, 'KILL']);
      await waitFor('init and exec\'d process to die', () => !isProcessAlive(initPid) && !isProcessAlive(execPid));
    });

    it('delete --force takes the exec\'d processes with the container', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const pidFile = path.join(ctx.newDir('pid'), 'exec.pid');
      await execOk(ctx, id, ['sleep', '600'], ['-d', '--pid-file', pidFile]);
      const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
      await ctx.runtime.runOk(['delete', '--force', id]);
      await waitFor('the exec\'d process to die', () => !isProcessAlive(execPid));
    });

    it('a foreground exec ends when the container is killed, with 128+9', testOptions, async () => {
      const ctx = context();
      const { id } = await runningContainer(ctx);
      const foreground = exec(ctx, id, ['sleep', '600']);
      await sleep(300);
      await ctx.runtime.runOk(['kill', id, 'KILL']);
      const result = await foreground;
      assert.equal(result.status, 128 + SIGKILL, describeResult(result));
    });
  });
});

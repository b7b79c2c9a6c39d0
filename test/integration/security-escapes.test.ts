// The container escapes runc has shipped fixes for, each tried from a real container against the
// protection husk has for it. Every test here fails on a build with that protection taken out;
// the comment above each says which protection, where it lives, and how that was checked.
//
//   CVE-2019-5736   the init waits for `start` as a copy of node: nothing in the container may
//                   read its /proc/<pid>/exe, environ or fds (addon/clone.c, PR_SET_DUMPABLE 0)
//   CVE-2016-9962   the same for a process being exec'd in, until its execve (addon/exec.c)
//   CVE-2024-21626  no host fd, no host working directory (addon/process.c)
//   CVE-2021-30465  mount destinations resolved inside the rootfs (addon/resolve.c)
//   CVE-2025-31133  masked paths: the real /dev/null, opened once (addon/mounts.c)
//   CVE-2025-52881  sysctl writes land in the procfs file they name (addon/attributes.c)
//
// Races are made deterministic with a createContainer hook: it runs in the container's mount
// namespace after the mounts and before pivot_root, exactly where a process racing husk would
// swap a path.
//
// Under runc 1.1.5 (HUSK_TEST_RUNTIME=/usr/sbin/runc) the CVE-2024-21626 and 2025 tests fail:
// that version predates those fixes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { linesOf, outputInside, runInside } from '../helpers/inside';
import { HUSK_BIN, REPO_ROOT } from '../helpers/paths';
import { hostMounts, parseMountInfo, readProcFile } from '../helpers/procfs';
import { assertOneLineFailure, describeResult, RunResult, Runtime, runtimeName, runtimeUnderTestBin } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const UNDER_HUSK = runtimeName(runtimeUnderTestBin()) === 'husk';
const SLOW = { timeout: 60_000 };

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** `run` the script with `fds` handed to the runtime as its fds 3.. but not preserved: fds a caller leaked. */
async function runWithLeakedFds(ctx: TestContext, bundle: Bundle, script: string, fds: number[]): Promise<RunResult> {
  bundle.setShellScript(script).save();
  return ctx.runtime.run(['run', '--bundle', bundle.dir, ctx.newId()], { extraFds: fds });
}



/** A host file that must come out of the test as it went in: same content, nothing mounted on it. */
function assertUntouched(file: string, content: string): void {
  assert.equal(fs.readFileSync(file, 'utf8'), content, `${file} was written`);
  assert.deepEqual(hostMounts().filter((mount) => mount.mountPoint === file), [], `something is mounted on ${file}`);
}

/** A createContainer hook running `script` with /bin/sh (in the container's mount namespace, before pivot_root). */
function addCreateContainerHook(bundle: Bundle, script: string): void {
  const hooks = (bundle.config.hooks ?? {}) as Record<string, unknown[]>;
  hooks.createContainer = [...(hooks.createContainer ?? []), { path: '/bin/sh', args: ['sh', '-c', script], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }];
  bundle.config.hooks = hooks;
}

describe('security: escapes runc has had', suiteOptions(), () => {
  const context = useTestContext();

  /**
   * husk run by a private copy of node, so that an attack on /proc/<pid>/exe that got through
   * would overwrite the copy, never the node everyone uses. Same --root as the runtime under test
   * (whose `delete --force` cleans up). Under another runtime: that runtime, and no write.
   */
  function runtimeOnNodeCopy(ctx: TestContext): { runtime: Runtime; nodeCopy?: string } {
    if (!UNDER_HUSK) return { runtime: ctx.runtime };
    const dir = ctx.newDir('node-copy');
    const nodeCopy = path.join(dir, 'node');
    fs.copyFileSync(fs.realpathSync(process.execPath), nodeCopy);
    fs.chmodSync(nodeCopy, 0o755);
    const wrapper = path.join(dir, 'husk');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec env -u NODE_EXTRA_CA_CERTS '${nodeCopy}' '${HUSK_BIN}' "$@"\n`, { mode: 0o755 });
    return { runtime: new Runtime('husk', wrapper, ctx.runtime.root, path.join(dir, 'io')), nodeCopy };
  }

  describe('CVE-2019-5736: the host binary running the runtime', () => {
    // Protection: addon/clone.c run_stage1, prctl(PR_SET_DUMPABLE, 0) before anything else
    // (inherited by the init, undone by its execve). Checked by removal: with the two
    // set_dumpable(plan, 0) calls deleted, the second container reads /proc/1/exe
    // (-> the node copy), /proc/1/environ (husk's environment) and the exec fifo's fd link, and
    // overwrites the node copy through the fd it opened once the first container has started.
    it('a second container in the pid namespace of a created one cannot read or open the waiting init (node): exe, environ, fds', SLOW, async () => {
      const ctx = context();
      const shared = ctx.newDir('shared');
      const { runtime: onCopy, nodeCopy } = runtimeOnNodeCopy(ctx);
      const copyHash = nodeCopy && sha256(nodeCopy);

      const first = makeBundle(ctx).setArgs('sleep', '600').save();
      const firstId = ctx.newId();
      await onCopy.runOk(['create', '--bundle', first.dir, firstId]);
      const { pid } = await ctx.runtime.state(firstId);
      // The premise: the waiting init runs the node copy (if it ever runs something else, point the attack there).
      if (nodeCopy) assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), nodeCopy, 'the waiting init should be a copy of node');

      // Seen from the host: all the waiting init holds beyond stdio is its fifos in the state dir.
      const stateDir = path.join(ctx.runtime.root, firstId);
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`).map(Number).filter((fd) => fd > 2)) {
        const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        assert.ok(target.startsWith(`${stateDir}/`) && fs.statSync(`/proc/${pid}/fd/${fd}`).isFIFO(), `the waiting init holds fd ${fd} -> ${target}`);
      }

      // The attacker: root (no user namespace), the default capabilities, in the first
      // container's pid namespace, where the waiting init is pid 1. It keeps /proc/1/exe open
      // (the attack of CVE-2019-5736: while node runs, a write fails with ETXTBSY; once the init
      // has exec'd its program, nothing runs the binary any more) and writes after `start`.
      const attack = `
r=/shared/report
note() { echo "$*" >> $r; }
t=$(readlink /proc/1/exe 2>/dev/null) && note "readable: /proc/1/exe -> $t"
head -c 1 /proc/1/environ >/dev/null 2>&1 && note "readable: /proc/1/environ"
for f in /proc/1/fd/*; do t=$(readlink "$f" 2>/dev/null) && note "readable: $f -> $t"; done
hold() {
  note "opened: /proc/1/exe"
  touch /shared/ready
  while [ ! -e /shared/go ]; do sleep 0.05; done
  if [ "$WRITE" = 1 ]; then (echo overwritten > /proc/self/fd/3) 2>/dev/null && note "written: /proc/1/exe"; fi
  :
}
hold 3< /proc/1/exe || { note "refused: opening /proc/1/exe"; touch /shared/ready; }
note finished
sleep 600`;
      const second = makeBundle(ctx)
        .setNamespace({ type: 'pid', path: `/proc/${pid}/ns/pid` })
        .addBindMount(shared, '/shared')
        .addEnv(`WRITE=${nodeCopy ? 1 : 0}`)
        .setShellScript(attack)
        .save();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', second.dir, ctx.newId()]);
      await waitFor('the attacker to have tried /proc/1/exe', () => fs.existsSync(path.join(shared, 'ready')), { timeoutMs: 10_000 });

      await onCopy.runOk(['start', firstId]);
      await ctx.runtime.waitForStatus(firstId, 'running');
      fs.writeFileSync(path.join(shared, 'go'), '');
      const report = await waitFor('the attacker to finish', () => {
        const text = readProcFile(path.join(shared, 'report')) ?? '';
        return text.includes('finished') && text;
      }, { timeoutMs: 10_000 });

      assert.deepEqual(linesOf(report), ['refused: opening /proc/1/exe', 'finished']);
      if (nodeCopy) assert.equal(sha256(nodeCopy), copyHash, 'the node copy was overwritten');
    });
  });

  describe('CVE-2016-9962: a process joining the container', () => {
    // Protection: addon/exec.c run_exec_stage1, prctl(PR_SET_DUMPABLE, 0) before setns (the
    // process inherits it and keeps it until execve). The exec'd process is held in a syscall
    // just before its execve (personality, through a seccomp NOTIFY rule and an agent that does
    // not answer), after it has joined every namespace and dropped to the container's user and
    // capabilities, while it is still a copy of husk. Checked by removal: without that prctl
    // the container's init reads the held process's exe (node), environ and fd links.
    it("a process being exec'd in cannot be read from inside the container before its execve", SLOW, async (t) => {
      const ctx = context();
      const help = await ctx.runtime.run(['exec', '--help']);
      if (help.status !== 0) {
        t.skip(`${ctx.runtime.name} exec is not available`);
        return;
      }
      const agentDir = ctx.newDir('agent');
      const shared = ctx.newDir('shared');
      const socketPath = path.join(agentDir, 'agent.sock');
      const agent = spawn('python3', [path.join(REPO_ROOT, 'test', 'helpers', 'seccomp-hold-agent.py'), socketPath, agentDir], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        await waitFor(`the agent to listen on ${socketPath}`, () => fs.existsSync(socketPath), { timeoutMs: 10_000 });
        // The init inspects the process whose container pid the test hands it in /shared/target.
        const inspector = `
while [ ! -s /shared/target ]; do sleep 0.05; done
p=$(cat /shared/target); r=/shared/report
note() { echo "$*" >> $r; }
[ -d /proc/$p ] && note "present: $p"
t=$(readlink /proc/$p/exe 2>/dev/null) && note "readable: exe -> $t"
head -c 1 /proc/$p/environ >/dev/null 2>&1 && note "readable: environ"
for f in /proc/$p/fd/*; do t=$(readlink "$f" 2>/dev/null) && note "readable: fd $f -> $t"; done
note finished
sleep 600`;
        const bundle = makeBundle(ctx).addBindMount(shared, '/shared').setShellScript(inspector);
        bundle.config.linux.personality = { domain: 'LINUX' };
        bundle.config.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          listenerPath: socketPath,
          syscalls: [{ names: ['personality'], action: 'SCMP_ACT_NOTIFY' }],
        };
        bundle.save();
        const id = ctx.newId();
        await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
        await ctx.runtime.waitForStatus(id, 'running');

        const exec = ctx.runtime.run(['exec', id, 'true'], { timeoutMs: 30_000 });
        const heldFile = path.join(agentDir, 'held.json');
        const held = await waitFor('the exec\'d process to be held before its execve', () => fs.existsSync(heldFile) && JSON.parse(fs.readFileSync(heldFile, 'utf8')), { timeoutMs: 10_000 });
        const hostPid = held.pid as number;
        const nsPids = (readProcFile(`/proc/${hostPid}/status`) ?? '').split('\n').find((line) => line.startsWith('NSpid:'));
        assert.ok(nsPids, `no NSpid for the held process ${hostPid}`);
        const containerPid = nsPids.split(/\s+/).pop();
        if (UNDER_HUSK) {
          // A copy of what cloned it: node under bin/husk; in daemon mode the front end
          // (build/bin/husk, an ELF program), which clones the container's processes itself.
          const runtimeExe = fs.realpathSync(ctx.runtime.bin);
          const cloner = fs.readFileSync(runtimeExe).subarray(0, 4).toString('latin1') === '\x7fELF' ? runtimeExe : fs.realpathSync(process.execPath);
          assert.equal(fs.readlinkSync(`/proc/${hostPid}/exe`), cloner, 'the held process should still be a copy of what cloned it');
        }

        fs.writeFileSync(path.join(shared, 'target'), `${containerPid}\n`);
        const report = await waitFor('the inspection', () => {
          const text = readProcFile(path.join(shared, 'report')) ?? '';
          return text.includes('finished') && text;
        }, { timeoutMs: 10_000 });
        fs.writeFileSync(path.join(agentDir, 'release'), '');
        const result = await exec;
        assert.equal(result.status, 0, describeResult(result));
        assert.deepEqual(linesOf(report), [`present: ${containerPid}`, 'finished']);
      } finally {
        fs.writeFileSync(path.join(agentDir, 'release'), '');
        agent.kill();
      }
    });
  });

  describe('CVE-2024-21626: host fds and working directory', () => {
    // Protection: addon/process.c husk_check_cwd_inside (getcwd after chdir must give a path
    // under the root). Checked by removal: without that call, cwd /proc/self/fd/3 puts the
    // process in the host directory: it runs, and its file appears there.
    it('process.cwd /proc/self/fd/N cannot reach a host directory through an fd husk inherited', SLOW, async () => {
      const ctx = context();
      const hostDir = ctx.newDir('host-dir');
      fs.writeFileSync(path.join(hostDir, 'host-marker'), 'host');
      // The caller leaks a directory fd to husk (fd 3 of husk, not preserved): runc's bug was
      // such an fd (to the host cgroupfs) reachable as the container's working directory.
      const dirFd = fs.openSync(hostDir, 'r');
      try {
        for (const n of [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
          const bundle = makeBundle(ctx).setCwd(`/proc/self/fd/${n}`);
          const result = await runWithLeakedFds(ctx, bundle, `touch escaped-through-${n}; echo ran`, [dirFd]);
          assert.notEqual(result.status, 0, `cwd /proc/self/fd/${n}: ${describeResult(result)}`);
          assertOneLineFailure(result, /working directory \/proc\/self\/fd\/\d+/);
          if (n === 3) assert.match(result.stderr, /outside the container's root/);
        }
      } finally {
        fs.closeSync(dirFd);
      }
      assert.deepEqual(fs.readdirSync(hostDir), ['host-marker']);
    });

    // Protection: addon/process.c husk_prepare_fds (close_range of everything but stdio and
    // --preserve-fds). Checked by removal: with close_fd_range doing nothing, the container keeps
    // every fd husk had, its lock on the container's state among them, and `run` hangs.
    it('fds the caller leaked to husk are not in the container; --preserve-fds ones are', testOptions, async () => {
      const ctx = context();
      const leaked = path.join(ctx.newDir('leaked'), 'file');
      fs.writeFileSync(leaked, 'host');
      const fd = fs.openSync(leaked, 'r');
      try {
        const listShellFds = 'ls /proc/$$/fd; true';
        const bundle = makeBundle(ctx);
        const notPreserved = await runWithLeakedFds(ctx, bundle, listShellFds, [fd]);
        assert.equal(notPreserved.status, 0, describeResult(notPreserved));
        assert.deepEqual(linesOf(notPreserved.stdout), ['0', '1', '2']);
        assert.deepEqual(linesOf(await outputInside(ctx, bundle, listShellFds, { preservedFds: [fd] })), ['0', '1', '2', '3']);
      } finally {
        fs.closeSync(fd);
      }
    });

    // Protection: as above, for `exec --cwd` (husk_prepare_process is shared with exec).
    it('exec --cwd /proc/self/fd/3 cannot reach a host directory either', testOptions, async (t) => {
      const ctx = context();
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const id = ctx.newId();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
      await ctx.runtime.waitForStatus(id, 'running');
      if ((await ctx.runtime.run(['exec', '--help'])).status !== 0) {
        t.skip(`${ctx.runtime.name} exec is not available`);
        return;
      }
      const hostDir = ctx.newDir('host-dir');
      const dirFd = fs.openSync(hostDir, 'r');
      try {
        const result = await ctx.runtime.run(['exec', '--cwd', '/proc/self/fd/3', id, 'sh', '-c', 'touch escaped; echo ran'], { extraFds: [dirFd] });
        assert.notEqual(result.status, 0, describeResult(result));
        assert.ok(!result.stdout.includes('ran'), describeResult(result));
      } finally {
        fs.closeSync(dirFd);
      }
      assert.deepEqual(fs.readdirSync(hostDir), []);
    });
  });

  describe('CVE-2021-30465 and the 2025 mount races: paths resolved inside the rootfs', () => {
    // Protection: addon/resolve.c husk_open_in_root (openat2 RESOLVE_IN_ROOT), used by
    // mount_one for every destination. Checked by removal: with husk_open_in_root resolving
    // the path relative to the rootfs fd as the host would (resolve flags 0, leading '/'
    // stripped), the links are followed on the host (the init's root is still the host's
    // then), the tmpfs goes over the host directory in the container's mount namespace, is gone
    // with the old root after pivot_root, and the path inside is the read-only rootfs.
    it('a mount destination that is a symlink to a host path (absolute or ../..) lands inside the rootfs', testOptions, async () => {
      const ctx = context();
      const hostDir = ctx.newDir('host-target');
      const bundle = makeBundle(ctx);
      // The same path exists inside the rootfs: resolved inside, the links lead there.
      fs.mkdirSync(path.join(bundle.rootfs, hostDir), { recursive: true });
      fs.symlinkSync(hostDir, path.join(bundle.rootfs, 'absolute-link'));
      fs.symlinkSync(`${'../'.repeat(12)}${hostDir.slice(1)}`, path.join(bundle.rootfs, 'relative-link'));
      bundle.addMount({ destination: '/absolute-link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      bundle.addMount({ destination: '/relative-link/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      const output = await outputInside(ctx, bundle, 'cat /proc/self/mountinfo; echo x > /absolute-link/written');
      const tmpfsAt = parseMountInfo(output.split('\n').filter((line) => line.includes(' - ')).join('\n'))
        .filter((mount) => mount.fsType === 'tmpfs')
        .map((mount) => mount.mountPoint);
      assert.ok(tmpfsAt.includes(hostDir), `no tmpfs at ${hostDir} inside: ${tmpfsAt.join(', ')}`);
      assert.ok(tmpfsAt.includes(`${hostDir}/sub`), `no tmpfs at ${hostDir}/sub inside: ${tmpfsAt.join(', ')}`);
      assert.deepEqual(fs.readdirSync(hostDir), [], 'the host directory was written');
      assert.deepEqual(hostMounts().filter((mount) => mount.mountPoint.startsWith(hostDir)), []);
    });

    // Protection: addon/mounts.c open_dev_null (the container's /dev/null must be char 1:3,
    // opened without following a symlink). Checked by removal: with /dev/null opened by
    // husk_open_in_root (symlinks followed inside the root) and not checked (runc before 1.2.8
    // had no check), create works and the masked file shows, read-write, the host file.
    it('CVE-2025-31133: /dev/null swapped for a symlink to a host file before masking fails create; the file stays as it was', testOptions, async () => {
      const ctx = context();
      const shared = ctx.newDir('shared');
      const victim = path.join(shared, 'victim');
      fs.writeFileSync(victim, 'host file\n');
      const bundle = makeBundle(ctx).addBindMount(shared, '/shared');
      fs.writeFileSync(path.join(bundle.rootfs, 'etc', 'hidden'), 'secret\n');
      (bundle.config.linux.maskedPaths as string[]).push('/etc/hidden');
      addCreateContainerHook(bundle, `rm -f '${bundle.rootfs}/dev/null' && ln -s /shared/victim '${bundle.rootfs}/dev/null'`);
      const result = await runInside(ctx, bundle, 'cat /etc/hidden; echo x > /etc/hidden');
      assertOneLineFailure(result, /masking path \/\S+ \(linux\.maskedPaths\[\d+\]\): ENODEV.*not the null device/);
      assertUntouched(victim, 'host file\n');
    });

    // Protection: the same open_dev_null, and the mount made from that fd (open_tree +
    // move_mount), so the file checked is the file mounted. A link to a real null device
    // passes a stat-then-mount check, and between the two a racing process can point it
    // elsewhere; husk refuses any link. Checked against the code before (stat("/dev/null"),
    // then mount("/dev/null", path)): there create succeeds.
    it('a /dev/null that is a symlink, even to a null device, is refused for masking', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      addCreateContainerHook(bundle, `mknod '${bundle.rootfs}/dev/real-null' c 1 3 && rm -f '${bundle.rootfs}/dev/null' && ln -s /dev/real-null '${bundle.rootfs}/dev/null'`);
      const result = await runInside(ctx, bundle, 'echo ran');
      assertOneLineFailure(result, /masking path \/\S+ \(linux\.maskedPaths\[\d+\]\): ENODEV/);
    });

    // Protection: addon/mounts.c mask_one / make_readonly_one open the path with
    // husk_open_in_root_no_symlinks. Checked against the code before (plain paths after
    // pivot_root): with the same path present inside the rootfs, it masked (and made read-only)
    // whatever the link led to, and create succeeded.
    for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
      it(`linux.${field}: an entry that is a symlink pointing out of the rootfs is refused; the host target is untouched`, testOptions, async () => {
        const ctx = context();
        const hostDir = ctx.newDir('host-target');
        const victim = path.join(hostDir, 'victim');
        fs.writeFileSync(victim, 'host file\n');
        const bundle = makeBundle(ctx);
        fs.mkdirSync(path.join(bundle.rootfs, hostDir), { recursive: true });
        fs.writeFileSync(path.join(bundle.rootfs, victim), 'inside copy\n');
        fs.symlinkSync(field === 'maskedPaths' ? victim : hostDir, path.join(bundle.rootfs, 'etc', 'link-out'));
        (bundle.config.linux[field] as string[]).push('/etc/link-out');
        const result = await runInside(ctx, bundle, 'echo ran');
        const what = field === 'maskedPaths' ? 'masking path' : 'making path read-only';
        assertOneLineFailure(result, new RegExp(`${what} /etc/link-out \\(linux\\.${field}\\[\\d+\\]\\): ELOOP`));
        assertUntouched(victim, 'host file\n');
      });
    }

    // Protection: addon/attributes.c open_proc_file (a private clone of the /proc mount, without
    // what is mounted over its files). The hook stands for a process racing husk: it binds
    // /proc/sys/kernel/domainname over /proc/sys/net/ipv4/ip_forward. Checked against the code
    // before (openat2 of the path itself, RESOLVE_NO_SYMLINKS, procfs check): the sysctl's "1"
    // becomes the container's domainname.
    it('CVE-2025-52881: a file mounted over the /proc/sys entry does not receive the sysctl write', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      bundle.config.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      const procSys = `${bundle.rootfs}/proc/sys`;
      addCreateContainerHook(bundle, `mount --bind '${procSys}/kernel/domainname' '${procSys}/net/ipv4/ip_forward'`);
      const output = await outputInside(ctx, bundle, 'cat /proc/sys/kernel/domainname');
      assert.deepEqual(linesOf(output), ['(none)']);
    });
  });
});

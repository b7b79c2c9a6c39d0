// Podman (Debian's 4.3, with conmon) drives husk: `podman --runtime <husk>` with its own storage
// root and runroot, cgroupfs (no systemd here), the file events backend and a containers.conf of
// its own, in a sandbox namespace (sandbox.ts) where its CNI bridge network lives too. Images
// come from the busybox OCI archive made at test time (`podman load`). Each test checks what the
// container saw, what Podman reported, and the command lines conmon and Podman gave husk.
// Twice: with husk as bin/husk (Node), then in daemon mode (docs/daemon.md): conmon and Podman run
// the front end, build/bin/husk, and a private `husk daemon` in the sandbox serves it; the last
// test checks which commands the daemon served: all but the --uidmap container's two.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';
import { buildOciArchive, type OciImage } from './oci-image';
import { cgroupExists, cgroupV1Mount, clientSkipReason, describe as describeResult, HUSK_MODES, huskBinary, runCommand, Sandbox, waitFor, type CommandResult } from './sandbox';
import { setupPodman } from './setup';

const CLIENT_BINARIES = ['podman', 'conmon', 'python3', 'ip'];
const PTY_RUN = path.join(REPO_ROOT, 'test', 'helpers', 'pty-run.py');
const TEST_TIMEOUT = { timeout: 90_000 };

for (const mode of HUSK_MODES) describe(`Podman drives husk through conmon (${mode})`, { skip: clientSkipReason(CLIENT_BINARIES, mode) }, () => {
  let sandbox: Sandbox;
  let image: OciImage;
  let runtime: string;
  let huskRoot: string;
  let env: Record<string, string>;
  let globalFlags: string[];
  // Container cgroups go under this parent (--cgroup-parent), conmon's in <parent>/conmon.
  const cgroupParent = `/husk-clients-podman-${mode}-${process.pid}`;
  /** The container run with --uidmap (its conmon has a mount namespace of its own). */
  let usernsId = '';

  const podman = (args: string[], options: { input?: string } = {}): Promise<CommandResult> =>
    sandbox.run('podman', [...globalFlags, ...args], { env, ...options });
  const ok = async (args: string[], options: { input?: string } = {}): Promise<CommandResult> => {
    const result = await podman(args, options);
    assert.equal(result.status, 0, describeResult(result));
    return result;
  };
  /** `podman run` flags every container here gets. */
  const runFlags = (): string[] => ['--cgroup-parent', cgroupParent];
  const huskList = async (): Promise<string[]> => {
    const listed = await sandbox.run(huskBinary(mode), ['--root', huskRoot, 'list', '-q']);
    return listed.stdout.split('\n').filter((line) => line !== '');
  };
  const inspect = async (name: string, format: string): Promise<string> => (await ok(['inspect', '--format', format, name])).stdout.trim();
  /** husk's command lines for one container id, without the global flags. */
  const callsFor = (id: string): string[] =>
    sandbox
      .huskCalls()
      .filter((call) => call.includes(id))
      .map((call) => call.replace(/^--log-format=json --log \S+ /, '').replaceAll(id, 'ID'));

  before(async () => {
    sandbox = await Sandbox.start('podman');
    sandbox.ownCgroupParent(cgroupParent);
    huskRoot = path.join(sandbox.dir, 'husk-root');
    // What Podman runs: husk with its state under the sandbox (Podman passes no --root), logged.
    runtime = sandbox.writeHuskWrapper('husk', ['--root', huskRoot], mode);
    ({ env, globalFlags } = setupPodman(sandbox, { husk: runtime }));
    globalFlags.push('--runtime', 'husk');
    // On the default socket: Podman passes the runtime only a few variables of its own
    // (conmon: PATH, HOME, XDG_RUNTIME_DIR...; its own calls: XDG_RUNTIME_DIR, PWD), never HUSK_DAEMON_SOCKET.
    if (mode === 'daemon') await sandbox.startHuskDaemon();
    const bundle = sandbox.makeBusyboxBundle();
    image = buildOciArchive(path.join(bundle, 'rootfs'), sandbox.dir, 'localhost/husk-busybox:test');
    const loaded = await ok(['load', '-i', image.archive]);
    assert.match(loaded.stdout, /Loaded image: localhost\/husk-busybox:test/);
    const info = await ok(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Host.CgroupManager}}']);
    assert.equal(info.stdout.trim(), `husk ${runtime} cgroupfs`);
  });

  after(async () => {
    if (!sandbox) return;
    let leftInHusk: string[];
    let leftovers: string[];
    try {
      await podman(['rm', '--all', '--force', '--time', '0']);
      leftInHusk = await huskList();
    } finally {
      // Also when before() failed half-way: the namespace holder and the husk daemon must go.
      leftovers = await sandbox.close();
    }
    assert.deepEqual(leftInHusk, [], 'husk state left behind');
    assert.deepEqual(leftovers, [], 'processes left in the sandbox (conmon, containers)');
    assert.equal(cgroupExists(cgroupParent), false, 'cgroups left behind');
  });

  it('run --rm with husk given by path: output, exit status, --network none, no state left', TEST_TIMEOUT, async () => {
    // The plain form: `podman --runtime /path/to/husk`, husk's default --root (in the sandbox's /run).
    const flags = globalFlags.map((flag) => (flag === 'husk' ? huskBinary(mode) : flag));
    const result = await sandbox.run('podman', [
      ...flags, 'run', '--rm', ...runFlags(), '--network', 'none', image.reference,
      'sh', '-c', 'echo hello from husk; id -u; ls /sys/class/net; ulimit -n; exit 3',
    ], { env });
    assert.equal(result.status, 3, describeResult(result));
    assert.deepEqual(result.stdout.trim().split('\n'), ['hello from husk', '0', 'lo', '1024']);
    const ps = await ok(['ps', '--all', '--format', '{{.Names}}']);
    assert.equal(ps.stdout.trim(), '');
  });

  it('run -d, exec, top, pause/unpause, update, stop, logs, rm', TEST_TIMEOUT, async () => {
    const id = (await ok(['run', '-d', ...runFlags(), '--name', 'web', '--network', 'none', '--memory', '64m', image.reference,
      'sh', '-c', 'trap "echo got-term; exit 0" TERM; echo started; while true; do sleep 0.1; done'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(await inspect('web', '{{.State.Status}}'), 'running');
    const pid = Number(await inspect('web', '{{.State.Pid}}'));
    assert.ok(pid > 1 && fs.existsSync(`/proc/${pid}`));

    const exec = await podman(['exec', 'web', 'sh', '-c', 'echo in-exec; tr "\\0" " " < /proc/1/cmdline; echo; exit 4']);
    assert.equal(exec.status, 4, describeResult(exec));
    assert.equal(exec.stdout.split('\n')[0], 'in-exec');
    assert.match(exec.stdout.split('\n')[1], /^sh -c trap .* while true/);

    // exec -it: conmon receives the exec's pty master on its console socket.
    const execTty = await runCommand('python3', [
      PTY_RUN, '--rows', '20', '--cols', '70', '--', ...sandbox.inside('podman', [...globalFlags, 'exec', '-it', 'web', 'sh', '-c', 'tty; stty size; exit 3']),
    ], { env });
    assert.equal(execTty.status, 3, describeResult(execTty));
    assert.deepEqual(execTty.stdout.trim().split(/\r?\n/).slice(-2), ['/dev/pts/0', '20 70']);

    const top = await ok(['top', 'web', 'pid', 'args']);
    assert.match(top.stdout, /sh -c trap/);

    const freezer = cgroupV1Mount('freezer');
    const cgroup = `${cgroupParent}/libpod-${id}`;
    await ok(['pause', 'web']);
    assert.equal(await inspect('web', '{{.State.Status}}'), 'paused');
    if (freezer) assert.equal(fs.readFileSync(path.join(freezer, cgroup, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    await ok(['unpause', 'web']);
    assert.equal(await inspect('web', '{{.State.Status}}'), 'running');

    const memory = cgroupV1Mount('memory');
    await ok(['update', '--memory', '128m', '--cpu-shares', '512', 'web']);
    const limits = await ok(['exec', 'web', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares']);
    assert.deepEqual(limits.stdout.trim().split('\n'), ['134217728', '512']);
    if (memory) assert.equal(fs.readFileSync(path.join(memory, cgroup, 'memory.limit_in_bytes'), 'utf8').trim(), '134217728');

    await ok(['stop', '--time', '10', 'web']);
    assert.equal(await inspect('web', '{{.State.Status}}'), 'exited');
    assert.equal(await inspect('web', '{{.State.ExitCode}}'), '0');
    const logs = await ok(['logs', 'web']);
    assert.deepEqual(logs.stdout.trim().split('\n'), ['started', 'got-term']);
    await ok(['rm', 'web']);

    const calls = callsFor(id);
    assert.ok(calls[0].startsWith('create --bundle '), calls[0]);
    assert.ok(calls[0].endsWith(' ID'), calls[0]);
    const verbs = calls.map((call) => call.split(' ')[0]);
    for (const verb of ['create', 'start', 'exec', 'pause', 'resume', 'update', 'kill', 'delete']) assert.ok(verbs.includes(verb), `${verb} in ${verbs}`);
    assert.ok(calls.some((call) => /^exec --pid-file \S+ --process \S+ --detach ID$/.test(call)), calls.join('\n'));
    assert.ok(calls.some((call) => /^exec --pid-file \S+ --process \S+ --detach --tty --console-socket \S+ ID$/.test(call)), calls.join('\n'));
    assert.ok(calls.some((call) => /^update --resources=\S+ ID$/.test(call)), calls.join('\n'));
    assert.ok(calls.includes('kill ID 15'));
    assert.deepEqual(await huskList(), []);
    assert.equal(cgroupExists(cgroup), false);
  });

  it('run -it: a terminal through conmon\'s console socket, its size, typed input, exit status', TEST_TIMEOUT, async () => {
    const result = await runCommand('python3', [
      PTY_RUN, '--rows', '33', '--cols', '101', '--input-after', 'READY', '--input', 'typed-line\\r', '--',
      ...sandbox.inside('podman', [...globalFlags, 'run', '--rm', '-it', ...runFlags(), '--name', 'tty', '--network', 'none', image.reference,
        'sh', '-c', 'tty; stty size; echo READY; read x; echo "got=$x"; exit 6']),
    ], { env });
    assert.equal(result.status, 6, describeResult(result));
    const lines = result.stdout.split(/\r?\n/).map((line) => line.trim());
    assert.ok(lines.includes('/dev/pts/0'), result.stdout);
    assert.ok(lines.includes('33 101'), result.stdout);
    assert.ok(lines.includes('got=typed-line'), result.stdout);
    assert.ok(sandbox.huskCalls().some((call) => / create .* --console-socket \S+ [0-9a-f]{64}$/.test(call)));
  });

  it('--memory, --pids-limit, --cap-drop, seccomp profiles, --read-only, -v, --tmpfs', TEST_TIMEOUT, async () => {
    const volume = path.join(sandbox.dir, 'volume');
    fs.mkdirSync(volume);
    fs.writeFileSync(path.join(volume, 'from-host'), 'host data\n');
    const result = await podman(['run', '--rm', ...runFlags(), '--network', 'none', '--memory', '64m', '--pids-limit', '50',
      '--cap-drop', 'NET_RAW', '--cap-drop', 'CHOWN', '--read-only', '-v', `${volume}:/data`, '--tmpfs', '/scratch:size=1m',
      image.reference, 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; grep CapEff /proc/self/status; grep "^Seccomp:" /proc/self/status; ' +
      'cat /data/from-host; echo written > /data/from-container; touch /etc/x 2>/dev/null && echo etc-writable || echo etc-readonly; ' +
      'echo ok > /tmp/t && cat /tmp/t; grep " /scratch " /proc/mounts | cut -d" " -f3,4']);
    assert.equal(result.status, 0, describeResult(result));
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], '67108864');
    assert.equal(lines[1], '50');
    // Podman's default capabilities (containers.conf) without NET_RAW (13) and CHOWN (0).
    const effective = BigInt(`0x${lines[2].split(/\s+/)[1]}`);
    assert.equal(effective & (1n << 13n), 0n);
    assert.equal(effective & 1n, 0n);
    assert.notEqual(effective & (1n << 5n), 0n, 'KILL is still there');
    assert.equal(lines[3], 'Seccomp:\t2', 'Podman\'s default profile is loaded');
    assert.deepEqual(lines.slice(4, 7), ['host data', 'etc-readonly', 'ok']);
    assert.match(lines[7], /^tmpfs rw,nosuid,nodev,/);
    assert.equal(fs.readFileSync(path.join(volume, 'from-container'), 'utf8'), 'written\n');

    // A profile of one's own, and none.
    const profile = path.join(sandbox.dir, 'seccomp.json');
    fs.writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }));
    const custom = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--security-opt', `seccomp=${profile}`, image.reference,
      'sh', '-c', 'mkdir /tmp/d 2>&1; echo status=$?']);
    assert.match(custom.stdout, /Operation not permitted\nstatus=1/);
    const unconfined = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--security-opt', 'seccomp=unconfined', image.reference,
      'grep', '^Seccomp:', '/proc/self/status']);
    assert.equal(unconfined.stdout.trim(), 'Seccomp:\t0');
  });

  it('--tmpfs with tmpcopyup on a read-only tmpfs, --device, --privileged, --user, --uidmap', TEST_TIMEOUT, async () => {
    // Podman puts tmpcopyup on --tmpfs, and its own binds (/etc/hosts, /etc/hostname) inside.
    const etc = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--tmpfs', '/etc:ro', image.reference,
      'sh', '-c', 'head -1 /etc/passwd; ls /etc/hosts; touch /etc/new 2>/dev/null || echo read-only; grep " /etc " /proc/mounts | cut -d" " -f3,4 | cut -d, -f1']);
    assert.deepEqual(etc.stdout.trim().split('\n'), ['root:x:0:0:root:/root:/bin/sh', '/etc/hosts', 'read-only', 'tmpfs ro']);

    // Podman writes the host node's st_mode (S_IFCHR|0666) as the device's fileMode.
    const device = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--device', '/dev/fuse', image.reference, 'stat', '-c', '%F %t:%T', '/dev/fuse']);
    assert.equal(device.stdout.trim(), 'character special file a:e5');
    const privileged = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--privileged', image.reference,
      'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; test -c /dev/fuse && echo has-host-devices']);
    // Every capability the host's bounding set has (this machine lacks CAP_SYS_RESOURCE).
    const hostBounding = fs.readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\t(\S+)$/m)?.[1];
    assert.ok(privileged.stdout.includes(`CapEff:\t${hostBounding}\n`), privileged.stdout);
    assert.match(privileged.stdout, /Seccomp:\t0\nhas-host-devices/);

    const user = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--user', '1000:1000', '--group-add', '65534', '-w', '/tmp',
      '--hostname', 'podhost', '--env', 'FOO=bar', '--sysctl', 'kernel.msgmax=9000', image.reference,
      'sh', '-c', 'id; pwd; hostname; echo $FOO; cat /proc/sys/kernel/msgmax']);
    assert.deepEqual(user.stdout.trim().split('\n'), ['uid=1000(user) gid=1000(user) groups=1000(user),65534(nogroup)', '/tmp', 'podhost', 'bar', '9000']);

    const cidFile = path.join(sandbox.dir, 'userns.cid');
    const userns = await ok(['run', '--rm', ...runFlags(), '--network', 'none', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536',
      '--cidfile', cidFile, image.reference, 'sh', '-c', 'cat /proc/self/uid_map; id -u']);
    assert.deepEqual(userns.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).join(' ')), ['0 100000 65536', '0']);
    usernsId = fs.readFileSync(cidFile, 'utf8').trim();
  });

  it('the default network: a CNI bridge in the sandbox, the address Podman reports', TEST_TIMEOUT, async () => {
    await ok(['run', '-d', ...runFlags(), '--name', 'net', image.reference, 'sleep', '1000']);
    const address = await inspect('net', '{{.NetworkSettings.IPAddress}}');
    assert.match(address, /^10\.88\.\d+\.\d+$/);
    const seen = await ok(['exec', 'net', 'sh', '-c', 'ip -4 -o addr show eth0 | tr -s " " | cut -d" " -f4; ip route | head -1']);
    const [cidr, route] = seen.stdout.trim().split('\n');
    assert.equal(cidr, `${address}/16`);
    assert.match(route, /^default via 10\.88\.0\.1 dev eth0/);
    await ok(['rm', '--force', '--time', '0', 'net']);
  });

  it('init then rm --force (delete --force of a created container), create + start -a, a failing start', TEST_TIMEOUT, async () => {
    await ok(['create', ...runFlags(), '--name', 'made', '--network', 'none', image.reference, 'sh', '-c', 'echo ran; exit 2']);
    await ok(['init', 'made']);
    assert.equal(await inspect('made', '{{.State.Status}}'), 'initialized');
    const id = await inspect('made', '{{.Id}}');
    assert.deepEqual(await huskList(), [id]);
    await ok(['rm', '--force', 'made']);
    assert.deepEqual(await huskList(), []);
    assert.deepEqual(callsFor(id).map((call) => call.split(' ')[0]), ['create', 'delete']);

    await ok(['create', ...runFlags(), '--name', 'later', '--network', 'none', image.reference, 'sh', '-c', 'echo ran; exit 2']);
    const started = await podman(['start', '--attach', 'later']);
    assert.equal(started.status, 2, describeResult(started));
    assert.equal(started.stdout.trim(), 'ran');
    assert.equal(await inspect('later', '{{.State.ExitCode}}'), '2');
    await ok(['rm', 'later']);

    // husk's JSON error line reaches the user through conmon and Podman.
    const failed = await podman(['run', '--rm', ...runFlags(), '--network', 'none', image.reference, '/no/such/program']);
    // Podman's status for "command not found", as with runc's message.
    assert.equal(failed.status, 127, describeResult(failed));
    assert.match(failed.stderr, /container init failed finding the program to run '\/no\/such\/program'.*ENOENT/);
    await waitFor('the failed container to be removed', async () => ((await huskList()).length === 0 ? true : undefined));
  });

  it('tight limits: --pids-limit 1 and --memory 2m (runc 1.1 fails below ~3m)', TEST_TIMEOUT, async () => {
    // Stage 1 and the init share the cgroup for a moment: pids.max is written once the init is
    // alone there. The init keeps little of husk's memory (addon/memory.c), so 2 MiB is enough.
    const pids = await podman(['run', '--rm', ...runFlags(), '--network', 'none', '--pids-limit', '1', image.reference,
      'cat', '/sys/fs/cgroup/pids/pids.max']);
    assert.equal(pids.status, 0, describeResult(pids));
    assert.equal(pids.stdout.trim(), '1');
    const memory = await podman(['run', '--rm', ...runFlags(), '--network', 'none', '--memory', '2m', image.reference,
      'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.equal(memory.status, 0, describeResult(memory));
    assert.equal(memory.stdout.trim(), String(2 << 20));
  });

  if (mode === 'daemon') {
    it('husk daemon served every command but the --uidmap container\'s (conmon in a mount namespace of its own)', TEST_TIMEOUT, async (t) => {
      const calls = sandbox.huskCalls();
      assert.ok(calls.length >= 40, `Podman's and conmon's calls:\n${calls.join('\n')}`);
      // The daemon served every front end Podman and conmon ran but two. For a container with a
      // user namespace (--uidmap), Podman starts conmon in a mount namespace of its own, and a front
      // end in another mount namespace than the daemon's runs the Node CLI by design: conmon's
      // create, and the delete of the `podman container cleanup` conmon starts at the exit.
      const fallbacks = sandbox.nodeFallbacks();
      const usernsCalls = sandbox.huskCalls().filter((call) => call.includes(usernsId));
      assert.deepEqual(
        fallbacks.map(({ command, inSandboxMountNamespace }) => [inSandboxMountNamespace, usernsCalls.find((call) => command.endsWith(` ${call}`))?.replace(/^--log-format=json --log \S+ /, '').split(' ')[0]]),
        [[false, 'create'], [false, 'delete']],
        fallbacks.map((run) => JSON.stringify(run)).join('\n'),
      );
      t.diagnostic(`husk daemon served ${calls.length - fallbacks.length} of the ${calls.length} husk commands Podman and conmon ran`);
      // The fallback log works: a front end told not to connect runs `node`, and it is logged.
      const off = await sandbox.run(runtime, ['list', '-q'], { env: { HUSK_DAEMON_SOCKET: 'off' } });
      assert.equal(off.status, 0, describeResult(off));
      const logged = sandbox.nodeFallbacks().slice(fallbacks.length);
      assert.deepEqual(logged.map((run) => [run.inSandboxMountNamespace, run.command.endsWith(` --root ${huskRoot} list -q`)]), [[true, true]], JSON.stringify(logged));
    });
  }
});

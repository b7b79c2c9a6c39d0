// containerd (Debian's 1.6) drives husk through its io.containerd.runc.v2 shim, the way a
// Kubernetes node or `ctr` uses runc: a private containerd (its own config, root, state and
// sockets in a temporary directory, the CRI plugin off, in a sandbox namespace: sandbox.ts),
// and `ctr run --runc-binary <husk wrapper> --runc-root <dir>` for each container. Every test
// checks what the container saw and what containerd reported (exit statuses, task status,
// metrics, errors), and the command lines the shim gave husk.
// Twice: with husk as bin/husk (Node), then in daemon mode (docs/daemon.md): the shim runs the
// front end, build/bin/husk, and a private `husk daemon` in the sandbox serves it; the last test
// checks that the daemon served every command (none fell back to the Node CLI).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';
import { buildOciArchive, type OciImage } from './oci-image';
import { cgroupExists, cgroupV1Mount, clientSkipReason, describe as describeResult, HUSK_MODES, runCommand, Sandbox, waitFor, type CommandResult } from './sandbox';
import { startContainerd } from './setup';

const CLIENT_BINARIES = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'python3'];
const PTY_RUN = path.join(REPO_ROOT, 'test', 'helpers', 'pty-run.py');
const TEST_TIMEOUT = { timeout: 60_000 };

for (const mode of HUSK_MODES) describe(`containerd drives husk through the runc v2 shim (${mode})`, { skip: clientSkipReason(CLIENT_BINARIES, mode) }, () => {
  let sandbox: Sandbox;
  let containerd: ChildProcess;
  let image: OciImage;
  let rootfs: string;
  let huskRoot: string;
  let runcBinary: string;
  let socket: string;
  // containerd's namespace: container cgroups are /<namespace>/<id>, husk's state <huskRoot>/<namespace>.
  const namespace = `husk-clients-${mode}-${process.pid}`;

  const ctr = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> =>
    sandbox.run('ctr', ['--address', socket, '--namespace', namespace, ...args], options);
  const ok = async (args: string[], options: { input?: string } = {}): Promise<CommandResult> => {
    const result = await ctr(args, options);
    assert.equal(result.status, 0, describeResult(result));
    return result;
  };
  /** ctr run's flags that plug husk in. */
  const runtimeFlags = (): string[] => ['--runc-binary', runcBinary, '--runc-root', huskRoot];
  /** husk's state for the namespace: the containers it knows. */
  const huskList = async (): Promise<string[]> => {
    const listed = await sandbox.run(runcBinary, ['--root', path.join(huskRoot, namespace), 'list', '-q']);
    return listed.stdout.split('\n').filter((line) => line !== '');
  };
  const taskStatus = async (id: string): Promise<string | undefined> => {
    const listed = await ok(['task', 'ls']);
    const line = listed.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
    return line?.trim().split(/\s+/)[2];
  };

  before(async () => {
    sandbox = await Sandbox.start('containerd');
    sandbox.ownCgroupParent(`/${namespace}`);
    huskRoot = path.join(sandbox.dir, 'husk-root');
    runcBinary = sandbox.writeHuskWrapper('husk', [], mode);
    // Before containerd: the shims it starts inherit its environment (no HUSK_DAEMON_SOCKET).
    if (mode === 'daemon') await sandbox.startHuskDaemon();
    ({ daemon: containerd, socket } = await startContainerd(sandbox));
    const bundle = sandbox.makeBusyboxBundle();
    rootfs = path.join(bundle, 'rootfs');
    image = buildOciArchive(rootfs, sandbox.dir, 'localhost/husk-busybox:test');
    const imported = await ok(['images', 'import', image.archive]);
    assert.match(imported.stdout, /unpacking localhost\/husk-busybox:test/);
  });

  after(async () => {
    if (!sandbox) return;
    let leftInHusk: string[];
    let leftovers: string[];
    try {
      // Whatever a failed test left: tasks, then containers, then containerd itself.
      if (socket) {
        for (const id of (await ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['task', 'delete', '--force', id]);
        for (const id of (await ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['container', 'rm', id]);
      }
      leftInHusk = await huskList();
      if (containerd && containerd.exitCode === null) {
        const exited = new Promise((resolve) => containerd.once('exit', resolve));
        containerd.kill('SIGTERM');
        await exited;
      }
    } finally {
      // Also when before() failed half-way: the namespace holder and the husk daemon must go.
      leftovers = await sandbox.close();
    }
    assert.deepEqual(leftInHusk, [], 'husk state left behind');
    // The shims exit when their last task is deleted; anything still running was leaked.
    assert.deepEqual(leftovers.filter((p) => !p.includes('containerd --config')), [], 'processes left in the sandbox');
    assert.equal(cgroupExists(`/${namespace}`), false, 'cgroups left behind');
  });

  it('run --rm --rootfs, attached: output, exit status, cgroup, and the shim\'s command lines', TEST_TIMEOUT, async () => {
    const result = await ctr([
      'run', '--rm', ...runtimeFlags(), '--rootfs', rootfs, 'rootfs-attached',
      '/bin/sh', '-c', 'echo hello from husk; id -u; cat /proc/self/cgroup | grep ":pids:"; echo $$; exit 3',
    ]);
    assert.equal(result.status, 3, describeResult(result));
    const lines = result.stdout.trim().split('\n');
    assert.deepEqual([lines[0], lines[1], lines[3]], ['hello from husk', '0', '1'], result.stdout);
    // ctr's default cgroupsPath: /<namespace>/<id>.
    assert.match(lines[2], new RegExp(`^\\d+:pids:/${namespace}/rootfs-attached$`));
    const calls = sandbox.huskCalls().filter((call) => call.includes('rootfs-attached'));
    const state = path.join(sandbox.dir, 'state', 'io.containerd.runtime.v2.task', namespace, 'rootfs-attached');
    assert.deepEqual(calls.map((call) => call.replace(/^--root \S+ --log \S+ --log-format json /, '')), [
      `create --bundle ${state} --pid-file ${state}/init.pid rootfs-attached`,
      'start rootfs-attached',
      'delete rootfs-attached',
      'delete --force rootfs-attached',
    ]);
    assert.ok(calls.every((call) => call.startsWith(`--root ${huskRoot}/${namespace} --log ${state}/log.json --log-format json `)), calls.join('\n'));
    assert.deepEqual(await huskList(), []);
  });

  it('run --rm with the imported image: its env, stdin, stdout and stderr apart', TEST_TIMEOUT, async () => {
    const result = await ctr(
      ['run', '--rm', ...runtimeFlags(), image.reference, 'image-attached', 'sh', '-c', 'read line; echo "got $line"; echo "$HUSK_IMAGE $PATH"; echo to-stderr >&2; grep " / " /proc/mounts | cut -d" " -f3'],
      { input: 'typed on stdin\n' },
    );
    assert.equal(result.status, 0, describeResult(result));
    assert.deepEqual(result.stdout.trim().split('\n'), ['got typed on stdin', 'busybox /usr/local/bin:/usr/bin:/bin', 'overlay']);
    assert.equal(result.stderr.trim(), 'to-stderr');
  });

  it('run --rm -t: a terminal through the console socket, its size, typed input, exit status', TEST_TIMEOUT, async () => {
    const result = await runCommand('python3', [
      PTY_RUN, '--rows', '30', '--cols', '100', '--input-after', 'READY', '--input', 'typed-line\\r', '--',
      ...sandbox.inside('ctr', ['--address', socket, '--namespace', namespace, 'run', '--rm', '-t', ...runtimeFlags(), image.reference, 'image-tty',
        'sh', '-c', 'tty; sleep 0.5; stty size; echo READY; read x; echo "got=$x"; exit 6']),
    ]);
    assert.equal(result.status, 6, describeResult(result));
    const lines = result.stdout.split(/\r?\n/).map((line) => line.trim());
    assert.ok(lines.includes('/dev/pts/0'), result.stdout);
    assert.ok(lines.includes('30 100'), `ctr gives the pty its terminal's size: ${result.stdout}`);
    assert.ok(lines.includes('got=typed-line'), result.stdout);
    const create = sandbox.huskCalls().find((call) => call.includes(' create ') && call.endsWith(' image-tty'));
    assert.match(create ?? '', / --console-socket \S+\/pty\.sock image-tty$/);
  });

  it('run -d, task exec (with and without -t), pause/resume, metrics, ps, kill, delete', TEST_TIMEOUT, async () => {
    const id = 'detached';
    const log = path.join(sandbox.dir, `${id}.log`);
    await ok(['run', '-d', ...runtimeFlags(), '--log-uri', `file://${log}`, image.reference, id,
      'sh', '-c', 'trap "echo got-term; exit 7" TERM; echo started; while true; do sleep 0.1; done']);
    assert.equal(await taskStatus(id), 'RUNNING');
    const pid = Number((await ok(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith(id))?.trim().split(/\s+/)[1]);
    assert.ok(pid > 1 && fs.existsSync(`/proc/${pid}`), 'ctr shows the init\'s host pid');
    await waitFor('the container to log', () => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started') ? true : undefined));

    // exec without a terminal: output, exit status, same pid namespace as the init.
    const exec = await ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo in-exec; tr "\\0" " " < /proc/1/cmdline; echo; exit 5']);
    assert.equal(exec.status, 5, describeResult(exec));
    const execLines = exec.stdout.trim().split('\n');
    assert.equal(execLines[0], 'in-exec');
    assert.match(execLines[1], /^sh -c trap .* while true/, 'pid 1 in the exec\'s pid namespace is the init');
    assert.ok(sandbox.huskCalls().some((call) => / exec --process \S+ --detach --pid-file \S+\/e1\.pid detached$/.test(call)));

    // exec -t.
    const execTty = await runCommand('python3', [
      PTY_RUN, '--rows', '24', '--cols', '80', '--',
      ...sandbox.inside('ctr', ['--address', socket, '--namespace', namespace, 'task', 'exec', '-t', '--exec-id', 'e2', id, 'sh', '-c', 'tty; exit 9']),
    ]);
    assert.equal(execTty.status, 9, describeResult(execTty));
    assert.match(execTty.stdout, /\/dev\/pts\/\d+/);
    assert.ok(sandbox.huskCalls().some((call) => / exec --process \S+ --console-socket \S+ --detach --pid-file \S+\/e2\.pid detached$/.test(call)));

    // pause / resume: containerd's status and the freezer.
    const freezer = cgroupV1Mount('freezer');
    await ok(['task', 'pause', id]);
    assert.equal(await taskStatus(id), 'PAUSED');
    if (freezer) assert.equal(fs.readFileSync(path.join(freezer, namespace, id, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    await ok(['task', 'resume', id]);
    assert.equal(await taskStatus(id), 'RUNNING');
    if (freezer) assert.equal(fs.readFileSync(path.join(freezer, namespace, id, 'freezer.state'), 'utf8').trim(), 'THAWED');

    // metrics: the shim reads the container's cgroup (found from the init husk started).
    const metrics = await ok(['task', 'metrics', id]);
    const usage = Number(metrics.stdout.match(/memory\.usage_in_bytes\s+(\d+)/)?.[1]);
    assert.ok(usage > 0, metrics.stdout);
    assert.ok(Number(metrics.stdout.match(/pids\.current\s+(\d+)/)?.[1]) >= 1, metrics.stdout);

    // ps: `husk ps --format json`, host pids.
    const ps = await ok(['task', 'ps', id]);
    assert.ok(ps.stdout.split('\n').some((line) => line.trim().startsWith(String(pid))), ps.stdout);

    // kill (SIGTERM): the trap runs; containerd records the exit status.
    await ok(['task', 'kill', id]);
    await waitFor('the task to stop', async () => ((await taskStatus(id)) === 'STOPPED' ? true : undefined));
    assert.match(fs.readFileSync(log, 'utf8'), /got-term/);
    const deleted = await ok(['task', 'delete', id]);
    assert.match(deleted.stderr, /exit with non-zero exit code 7/);
    await ok(['container', 'rm', id]);
    const verbs = sandbox.huskCalls().filter((call) => call.endsWith(` ${id}`) || call.endsWith(` ${id} 15`)).map((call) => call.replace(/^--root \S+ --log \S+ --log-format json /, '').split(' ')[0]);
    for (const verb of ['create', 'start', 'exec', 'pause', 'resume', 'ps', 'kill', 'delete']) assert.ok(verbs.includes(verb), `${verb} in ${verbs}`);
    assert.deepEqual(await huskList(), []);
    assert.equal(cgroupExists(`/${namespace}/${id}`), false);
  });

  it('task kill -s KILL: exit status 137; task delete --force of a running task', TEST_TIMEOUT, async () => {
    await ok(['run', '-d', ...runtimeFlags(), image.reference, 'killed', 'sleep', '1000']);
    await ok(['task', 'kill', '-s', 'KILL', 'killed']);
    await waitFor('the task to stop', async () => ((await taskStatus('killed')) === 'STOPPED' ? true : undefined));
    const deleted = await ok(['task', 'delete', 'killed']);
    assert.match(deleted.stderr, /exit code 137/);
    await ok(['container', 'rm', 'killed']);

    // delete --force of a running task: the shim kills it and calls `husk delete --force`.
    await ok(['run', '-d', ...runtimeFlags(), image.reference, 'forced', 'sleep', '1000']);
    await ok(['task', 'delete', '--force', 'forced']);
    await ok(['container', 'rm', 'forced']);
    assert.deepEqual(await huskList(), []);
  });

  it('an init killed from the host, and an OOM kill: containerd sees both (exit 137, /tasks/oom)', TEST_TIMEOUT, async () => {
    await ok(['run', '-d', ...runtimeFlags(), image.reference, 'shot', 'sleep', '1000']);
    const pid = Number((await ok(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith('shot'))?.trim().split(/\s+/)[1]);
    process.kill(pid, 'SIGKILL');
    await waitFor('the task to stop', async () => ((await taskStatus('shot')) === 'STOPPED' ? true : undefined));
    // husk's own view of a container whose init died behind its back.
    const state = JSON.parse((await sandbox.run(runcBinary, ['--root', path.join(huskRoot, namespace), 'state', 'shot'])).stdout);
    assert.deepEqual([state.status, state.pid], ['stopped', 0]);
    assert.match((await ok(['task', 'delete', 'shot'])).stderr, /exit code 137/);
    await ok(['container', 'rm', 'shot']);

    // The shim watches the memory cgroup husk made (memory.oom_control) and publishes /tasks/oom.
    const eventsLog = path.join(sandbox.dir, 'events.log');
    const events = sandbox.spawnDaemon('ctr', ['--address', socket, '--namespace', namespace, 'events'], eventsLog);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const oom = await ctr(['run', '--rm', ...runtimeFlags(), '--memory-limit', String(32 << 20), image.reference, 'oom',
        'sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived']);
      assert.equal(oom.status, 137, describeResult(oom));
      assert.doesNotMatch(oom.stdout, /survived/);
      await waitFor('the /tasks/oom event', () => (fs.readFileSync(eventsLog, 'utf8').includes('/tasks/oom {"container_id":"oom"}') ? true : undefined));
    } finally {
      events.kill('SIGKILL');
    }
    await ctr(['container', 'rm', 'oom']);
  });

  it('a container that fails to start: husk\'s --log JSON line is what ctr shows', TEST_TIMEOUT, async () => {
    const result = await ctr(['run', '--rm', ...runtimeFlags(), '--rootfs', rootfs, 'fails', '/no/such/program']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /OCI runtime create failed: container init failed finding the program to run '\/no\/such\/program'.*ENOENT/);
    assert.deepEqual(await huskList(), []);
    assert.equal(cgroupExists(`/${namespace}/fails`), false);
    await ctr(['container', 'rm', 'fails']);
  });

  if (mode === 'daemon') {
    it('husk daemon served every command: none fell back to the Node CLI', TEST_TIMEOUT, async (t) => {
      const calls = sandbox.huskCalls();
      assert.ok(calls.length >= 40, `the shim's calls:\n${calls.join('\n')}`);
      assert.deepEqual(sandbox.nodeFallbacks(), [], 'front ends that ran the Node CLI');
      t.diagnostic(`husk daemon served all ${calls.length} husk commands the shims (and the test) ran`);
      // The fallback log works: a front end told not to connect runs `node`, and it is logged.
      const off = await sandbox.run(runcBinary, ['--root', path.join(huskRoot, namespace), 'list', '-q'], { env: { HUSK_DAEMON_SOCKET: 'off' } });
      assert.equal(off.status, 0, describeResult(off));
      assert.deepEqual(sandbox.nodeFallbacks().map((run) => run.command.split(' ').slice(-2)), [['list', '-q']]);
    });
  }
});

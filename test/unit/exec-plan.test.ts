// The exec planning rules (src/linux/exec-plan.ts), the exec command line (src/cli/exec.ts), the
// terminal rules (src/linux/terminal.ts) and socket activation (src/linux/socket-activation.ts):
// all pure, all without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import type { CgroupRecord } from '../../src/cgroups/types';
import * as execCommand from '../../src/cli/exec';
import { preprocessArgv } from '../../src/cli/exec';
import { GLOBAL_OPTIONS } from '../../src/cli/context';
import { parseFast } from '../../src/cli/fast-path';
import * as k from '../../src/linux/constants';
import {
  type ExecProcessFlags,
  buildExecPlan,
  execCgroupDirectories,
  execProcessFromFlags,
  namespacesToJoin,
  parseSubCgroupFlags,
  parseUserFlag,
} from '../../src/linux/exec-plan';
import type { HostProbe } from '../../src/linux/host-probe';
import { socketActivationOf, withActivationEnv } from '../../src/linux/socket-activation';
import { explainChildFailure } from '../../src/lifecycle/child-steps';
import type { LaunchPlan } from '../../src/linux/plan';
import { checkTerminalRequest, planConsoleSize } from '../../src/linux/terminal';
import type { Process } from '../../src/spec/types';

function throwsHusk(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

const configProcess: Process = {
  terminal: true,
  consoleSize: { height: 10, width: 20 },
  user: { uid: 0, gid: 0, additionalGids: [5] },
  args: ['sleep', '600'],
  env: ['PATH=/bin', 'COLOR=red'],
  cwd: '/',
  capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] },
  rlimits: [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }],
  noNewPrivileges: false,
};

const noFlags: ExecProcessFlags = { args: ['ls'], env: [], tty: false, additionalGids: [], caps: [], noNewPrivs: false };

test('exec flags change the config process the way runc getProcess does', () => {
  const process = execProcessFromFlags(configProcess, {
    args: ['sh', '-c', 'id'],
    cwd: '/tmp',
    env: ['COLOR=blue', 'NEW=1'],
    tty: false,
    user: '1000:1001',
    additionalGids: [7],
    caps: ['CAP_NET_ADMIN'],
    noNewPrivs: true,
    apparmor: 'profile',
    processLabel: 'label',
  });
  assert.deepEqual(process.args, ['sh', '-c', 'id']);
  assert.equal(process.cwd, '/tmp');
  assert.deepEqual(process.env, ['PATH=/bin', 'COLOR=red', 'COLOR=blue', 'NEW=1']);
  assert.deepEqual(process.user, { uid: 1000, gid: 1001, additionalGids: [5, 7] });
  assert.deepEqual(process.capabilities?.bounding, ['CAP_KILL', 'CAP_NET_ADMIN']);
  assert.deepEqual(process.capabilities?.ambient, ['CAP_NET_ADMIN']);
  assert.deepEqual(process.capabilities?.inheritable, []);
  assert.equal(process.noNewPrivileges, true);
  assert.equal(process.apparmorProfile, 'profile');
  assert.equal(process.selinuxLabel, 'label');
  // runc: the config's terminal never carries over to exec; only --tty gives one.
  assert.equal(process.terminal, false);
  assert.equal(process.consoleSize, undefined);
  // The config itself is untouched.
  assert.deepEqual(configProcess.args, ['sleep', '600']);
});

test('--user uid alone keeps the config gid; --tty asks for a terminal; no command is an error', () => {
  const process = execProcessFromFlags(configProcess, { ...noFlags, user: '33', tty: true });
  assert.deepEqual([process.user.uid, process.user.gid, process.terminal], [33, 0, true]);
  throwsHusk(() => execProcessFromFlags(configProcess, { ...noFlags, args: [] }), /command/);
  throwsHusk(() => execProcessFromFlags(undefined, noFlags), /no process/);
});

test('--cap without process.capabilities adds nothing (the process keeps all of root\'s)', () => {
  const { capabilities: _dropped, ...withoutCaps } = configProcess;
  assert.equal(execProcessFromFlags(withoutCaps, { ...noFlags, caps: ['CAP_SYS_ADMIN'] }).capabilities, undefined);
});

test('--user takes numbers only', () => {
  assert.deepEqual(parseUserFlag('0'), { uid: 0, gid: undefined });
  assert.deepEqual(parseUserFlag('1000:100'), { uid: 1000, gid: 100 });
  for (const bad of ['root', '1000:', ':5', '-1', '1:2:3', '']) throwsHusk(() => parseUserFlag(bad), /--user/);
  throwsHusk(() => execProcessFromFlags(configProcess, { ...noFlags, additionalGids: [-1] }), /--additional-gids/);
});

test('namespaces to join: those of the init that differ from husk\'s, missing kinds skipped', () => {
  const links: Record<string, string> = {
    '/proc/self/ns/user': 'user:[1]', '/proc/42/ns/user': 'user:[1]',
    '/proc/self/ns/mnt': 'mnt:[2]', '/proc/42/ns/mnt': 'mnt:[20]',
    '/proc/self/ns/pid': 'pid:[3]', '/proc/42/ns/pid': 'pid:[30]',
    '/proc/self/ns/net': 'net:[4]', '/proc/42/ns/net': 'net:[4]',
    '/proc/self/ns/ipc': 'ipc:[5]', '/proc/42/ns/ipc': 'ipc:[50]',
    '/proc/self/ns/uts': 'uts:[6]', '/proc/42/ns/uts': 'uts:[60]',
    '/proc/self/ns/cgroup': 'cgroup:[7]', '/proc/42/ns/cgroup': 'cgroup:[7]',
  }; // no time namespaces on this "kernel"
  const readLink = (file: string) => {
    if (!(file in links)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return links[file];
  };
  assert.equal(namespacesToJoin(42, readLink), k.CLONE_NEWNS | k.CLONE_NEWPID | k.CLONE_NEWIPC | k.CLONE_NEWUTS);
  const gone = (file: string) => {
    if (file.startsWith('/proc/self/')) return 'x';
    throw Object.assign(new Error('ESRCH'), { code: 'ESRCH' });
  };
  throwsHusk(() => namespacesToJoin(42, gone), /pid 42/);
});

const hostProbe: Partial<HostProbe> = {
  hardLimitOf: () => k.RLIM_INFINITY,
  canRaiseHardLimits: () => true,
  maxOpenFiles: () => 1048576,
};
const noLsm = { apparmorEnabled: () => false, selinuxEnabled: () => false };

function context(overrides: Partial<Parameters<typeof buildExecPlan>[1]> = {}): Parameters<typeof buildExecPlan>[1] {
  return {
    nsPidfd: 9, nsFlags: k.CLONE_NEWNS | k.CLONE_NEWPID, cgroupFd: -1, preserveFds: 0, consoleSocketFd: -1,
    linux: undefined, containerRoot: '/nonexistent', sessionKeyring: '_ses.c1', probe: hostProbe, lsmProbe: noLsm, lastCap: 40,
    ...overrides,
  };
}

test('the exec plan: process fields as for an init, HOME from the container\'s passwd, a new session', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-exec-'));
  try {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
    const process = execProcessFromFlags(configProcess, { ...noFlags, user: '1000:1000', tty: true });
    const plan = buildExecPlan(process, context({ containerRoot: root, consoleSocketFd: 12 }));
    assert.deepEqual(plan.args, ['ls']);
    assert.deepEqual(plan.env, ['PATH=/bin', 'COLOR=red', 'HOME=/home/user']);
    assert.deepEqual([plan.uid, plan.gid, plan.additionalGids, plan.umask], [1000, 1000, [5], 0o022]);
    assert.deepEqual(plan.rlimits, [{ resource: k.RLIMIT_NOFILE, soft: '100', hard: '200' }]);
    assert.equal(plan.capabilities?.bounding, String(1 << 5));
    assert.deepEqual([plan.nsPidfd, plan.nsFlags, plan.newSession, plan.sessionKeyring], [9, k.CLONE_NEWNS | k.CLONE_NEWPID, true, '_ses.c1']);
    assert.deepEqual([plan.terminal, plan.consoleSocketFd, plan.consoleSize, plan.mountConsole], [true, 12, null, false]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the exec plan refuses what an init would refuse, naming the field', () => {
  throwsHusk(() => buildExecPlan({ ...configProcess, cwd: 'relative' }, context()), /process\.cwd/);
  throwsHusk(() => buildExecPlan({ ...configProcess, args: [] }, context()), /process\.args/);
  const userNamespace = { namespaces: [{ type: 'user' as const }], uidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }] };
  throwsHusk(() => buildExecPlan({ ...configProcess, user: { uid: 5000, gid: 0 } }, context({ linux: userNamespace })), /5000 is not mapped/);
  throwsHusk(() => buildExecPlan({ ...configProcess, apparmorProfile: 'x' }, context()), /AppArmor is not enabled/);
  throwsHusk(() => buildExecPlan(configProcess, context({ preserveFds: -1 })), /--preserve-fds/);
});

test('in a joined user namespace a hard limit cannot be raised above husk\'s', () => {
  const process = { ...configProcess, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5000 }] };
  const probe = { ...hostProbe, hardLimitOf: () => '4096' };
  assert.equal(buildExecPlan(process, context({ probe })).rlimits[0].hard, '5000');
  throwsHusk(() => buildExecPlan(process, context({ probe, nsFlags: k.CLONE_NEWUSER })), /RLIMIT_NOFILE|rlimits/);
});

test('--cgroup values: per controller, or one path for all', () => {
  assert.deepEqual([...parseSubCgroupFlags(['sub'])], [['', 'sub']]);
  assert.deepEqual([...parseSubCgroupFlags(['cpu,cpuacct:a/b', 'memory:/m/'])], [['cpu', 'a/b'], ['cpuacct', 'a/b'], ['memory', 'm']]);
  throwsHusk(() => parseSubCgroupFlags(['a', 'memory:b']), /controller/);
  throwsHusk(() => parseSubCgroupFlags(['memory:../escape']), /below/);
  throwsHusk(() => parseSubCgroupFlags(['x:y:z']), /not \[<controller>:\]<path>/);
});

test('--cgroup directories: the sub-cgroup where it applies, the container\'s elsewhere; must exist', () => {
  const record: CgroupRecord = {
    mode: 'hybrid',
    paths: { 'cpu,cpuacct': '/cg/cpu,cpuacct/c1', memory: '/cg/memory/c1', '': '/cg/unified/c1' },
    created: [],
  };
  const exists = () => true;
  assert.deepEqual(execCgroupDirectories(record, new Map(), exists), record.paths);
  assert.deepEqual(execCgroupDirectories(record, parseSubCgroupFlags(['cpuacct:s']), exists), {
    'cpu,cpuacct': '/cg/cpu,cpuacct/c1/s', memory: '/cg/memory/c1', '': '/cg/unified/c1',
  });
  assert.deepEqual(Object.values(execCgroupDirectories(record, parseSubCgroupFlags(['s']), exists)), [
    '/cg/cpu,cpuacct/c1/s', '/cg/memory/c1/s', '/cg/unified/c1/s',
  ]);
  throwsHusk(() => execCgroupDirectories(record, parseSubCgroupFlags(['blkio:s']), exists), /no cgroup for controller 'blkio'/);
  throwsHusk(() => execCgroupDirectories(record, parseSubCgroupFlags(['s']), () => false), /does not exist/);
});

test('the exec command line: "--" goes after the container id, so the command keeps its flags', () => {
  assert.deepEqual(preprocessArgv(['exec', 'c1', 'sh', '-c', 'x']), ['exec', 'c1', '--', 'sh', '-c', 'x']);
  assert.deepEqual(preprocessArgv(['--root', '/r', 'exec', '-t', '-u', '1000', '--env=A=1', '-e', 'B=2', 'c1', 'ls', '-la']), [
    '--root', '/r', 'exec', '-t', '-u', '1000', '--env=A=1', '-e', 'B=2', 'c1', '--', 'ls', '-la',
  ]);
  // Bundled short flags: -tu takes the next word; -u1000 holds its value.
  assert.deepEqual(preprocessArgv(['exec', '-tu', '1000', 'c1', 'id']), ['exec', '-tu', '1000', 'c1', '--', 'id']);
  assert.deepEqual(preprocessArgv(['exec', '-u1000', 'c1', 'id']), ['exec', '-u1000', 'c1', '--', 'id']);
  // Nothing to do: no command, an explicit --, another subcommand, a container named exec.
  for (const line of [['exec', 'c1'], ['exec', 'c1', '--', 'ls'], ['kill', 'c1', 'KILL'], ['--root', '/r', 'delete', 'exec']]) {
    assert.deepEqual(preprocessArgv(line), line);
  }
});

test('the fast parser reads exec as runc does: flags, the id, then the command untouched', () => {
  const parsed = parseFast(['--root', '/r', 'exec', '-t', '-e', 'A=1', 'c1', 'sh', '-c', 'echo -n x', '--env', 'B'], GLOBAL_OPTIONS, { exec: () => execCommand });
  assert.ok(parsed);
  assert.equal(parsed.argv['container-id'], 'c1');
  assert.deepEqual(parsed.argv.command, ['sh', '-c', 'echo -n x', '--env', 'B']);
  assert.deepEqual([parsed.argv.tty, parsed.argv.env, parsed.argv.root], [true, 'A=1', '/r']);
  assert.deepEqual(parseFast(['exec', '-p', '/p.json', 'c1'], GLOBAL_OPTIONS, { exec: () => execCommand })?.argv.command, []);
});

test('terminal rules: runc\'s, with reasons', () => {
  checkTerminalRequest({ terminal: true, consoleSocket: '/s', detached: true });
  checkTerminalRequest({ terminal: true, consoleSocket: undefined, detached: false });
  checkTerminalRequest({ terminal: false, consoleSocket: undefined, detached: true });
  throwsHusk(() => checkTerminalRequest({ terminal: true, consoleSocket: undefined, detached: true }), /--console-socket/);
  throwsHusk(() => checkTerminalRequest({ terminal: false, consoleSocket: '/s', detached: true }), /no terminal/);
  throwsHusk(() => checkTerminalRequest({ terminal: true, consoleSocket: '/s', detached: false }), /foreground/);
});

test('consoleSize: both dimensions or none, within a winsize', () => {
  assert.deepEqual(planConsoleSize({ height: 24, width: 80 }, 'process.consoleSize'), { height: 24, width: 80 });
  assert.equal(planConsoleSize({ height: 0, width: 80 }, 'process.consoleSize'), null);
  assert.equal(planConsoleSize(undefined, 'process.consoleSize'), null);
  throwsHusk(() => planConsoleSize({ height: 70000, width: 80 }, 'process.consoleSize'), /process\.consoleSize\.height/);
});

test('socket activation: only when LISTEN_PID names husk; env gets LISTEN_FDS=N LISTEN_PID=1', () => {
  assert.deepEqual(socketActivationOf({ LISTEN_PID: '77', LISTEN_FDS: '2' }, 77), { listenFds: 2 });
  assert.deepEqual(socketActivationOf({ LISTEN_PID: '78', LISTEN_FDS: '2' }, 77), { listenFds: 0 });
  assert.deepEqual(socketActivationOf({ LISTEN_FDS: '2' }, 77), { listenFds: 0 });
  assert.deepEqual(socketActivationOf({ LISTEN_PID: '77', LISTEN_FDS: 'x' }, 77), { listenFds: 0 });
  assert.deepEqual(withActivationEnv(['A=1'], { listenFds: 2 }), ['A=1', 'LISTEN_FDS=2', 'LISTEN_PID=1']);
  assert.deepEqual(withActivationEnv(['A=1'], { listenFds: 0 }), ['A=1']);
});

test('terminal and exec steps are explained in words (addon/sync.h numbers them from 100)', () => {
  const plan = { args: ['sh'], env: [], cwd: '/', uid: 0, gid: 0, rlimits: [] } as unknown as LaunchPlan;
  const errnoText = (errno: number) => (errno === 2 ? 'ENOENT: No such file or directory' : `E${errno}`);
  assert.equal(
    explainChildFailure(100, 2, 1, plan, errnoText),
    'container init failed setting up the terminal: opening /dev/ptmx (does the container mount devpts on /dev/pts?): ENOENT: No such file or directory',
  );
  assert.equal(explainChildFailure(101, 1, -1, plan, errnoText, "exec'd process"), "exec'd process failed joining the container's namespaces: E1");
  assert.equal(explainChildFailure(100, 32, 9, plan, errnoText), 'container init failed setting up the terminal: sending the pty master to the console socket: E32');
});

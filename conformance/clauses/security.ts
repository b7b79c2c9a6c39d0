// config-linux.md: Seccomp (actions, errno, argument operators, flags, the notify listener),
// Sysctl, Rootfs Mount Propagation, Masked Paths, Readonly Paths, Personality, Mount Label,
// Memory policy, Network Devices.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bundle } from '../../test/helpers/bundle';
import { REPO_ROOT } from '../../test/helpers/paths';
import { clause, expect, expectEqual, scenario } from '../lib/clause';
import { CheckerReport, mountAt, optionList, parseReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, ScenarioError, oneLine } from '../lib/context';
import { mountFixtures } from '../lib/fixtures';
import { probeHost } from '../lib/host';
import { Attempt, attempt, mustFail, mustRun, wrappedRuntime } from '../lib/scenarios';
import { readText, waitFor, waitForFile } from '../lib/util';

const SPEC = 'config-linux.md';

// x86_64 syscall numbers of the harmless syscalls the filters act on.
const NR = {
  sched_yield: 24,
  alarm: 37,
  getuid: 102,
  getppid: 110,
  getpgid: 121,
  getsid: 124,
  getpriority: 140,
  sched_getscheduler: 145,
  sched_get_priority_max: 146,
  sched_get_priority_min: 147,
  sched_rr_get_interval: 148,
};

const x86_64 = () => (process.arch === 'x64' ? undefined : 'the seccomp probes use x86_64 syscall numbers');

function seccomp(bundle: Bundle, value: Record<string, unknown>): void {
  bundle.config.linux.seccomp = value;
}

const rule = (names: string[], action: string, extra: Record<string, unknown> = {}) => ({ names, action, ...extra });
const arg = (index: number, value: number, op: string, valueTwo?: number) => ({ index, value, op, ...(valueTwo !== undefined ? { valueTwo } : {}) });

const PROBES: [string, number, ...number[]][] = [
  ['getppid', NR.getppid],
  ['getsid', NR.getsid, 0],
  ['eq_match', NR.getpgid, 4242],
  ['eq_other', NR.getpgid, 0],
  ['ne_match', NR.sched_get_priority_max, 0],
  ['ne_other', NR.sched_get_priority_max, 1],
  ['lt_match', NR.sched_get_priority_min, 1],
  ['lt_other', NR.sched_get_priority_min, 2],
  ['le_match', NR.sched_getscheduler, 5000],
  ['le_other', NR.sched_getscheduler, 5001],
  ['ge_match', NR.getpriority, 5, 0],
  ['ge_other', NR.getpriority, 0, 0],
  ['gt_match', NR.sched_rr_get_interval, 200000, 0],
  ['gt_other', NR.sched_rr_get_interval, 0, 0],
  ['masked_match', NR.alarm, 0x142],
  ['masked_other', NR.alarm, 0x143],
  ['alarm_cancel', NR.alarm, 0],
  ['and_match', NR.getpriority, 1, 4242],
  ['and_other', NR.getpriority, 1, 0],
  ['log', NR.getuid],
  ['trace', NR.sched_yield],
];

const seccompActions = attempt(
  'seccomp-actions',
  (bundle) =>
    seccomp(bundle, {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        rule(['getppid'], 'SCMP_ACT_ERRNO', { errnoRet: 121 }),
        rule(['getsid'], 'SCMP_ACT_ERRNO'),
        rule(['getpgid'], 'SCMP_ACT_ERRNO', { errnoRet: 101, args: [arg(0, 4242, 'SCMP_CMP_EQ')] }),
        rule(['sched_get_priority_max'], 'SCMP_ACT_ERRNO', { errnoRet: 102, args: [arg(0, 1, 'SCMP_CMP_NE')] }),
        rule(['sched_get_priority_min'], 'SCMP_ACT_ERRNO', { errnoRet: 103, args: [arg(0, 2, 'SCMP_CMP_LT')] }),
        rule(['sched_getscheduler'], 'SCMP_ACT_ERRNO', { errnoRet: 104, args: [arg(0, 5000, 'SCMP_CMP_LE')] }),
        rule(['getpriority'], 'SCMP_ACT_ERRNO', { errnoRet: 105, args: [arg(0, 5, 'SCMP_CMP_GE')] }),
        rule(['getpriority'], 'SCMP_ACT_ERRNO', { errnoRet: 108, args: [arg(0, 1, 'SCMP_CMP_EQ'), arg(1, 4242, 'SCMP_CMP_EQ')] }),
        rule(['sched_rr_get_interval'], 'SCMP_ACT_ERRNO', { errnoRet: 106, args: [arg(0, 100000, 'SCMP_CMP_GT')] }),
        rule(['alarm'], 'SCMP_ACT_ERRNO', { errnoRet: 107, args: [arg(0, 0xff, 'SCMP_CMP_MASKED_EQ', 0x42)] }),
        rule(['getuid'], 'SCMP_ACT_LOG'),
        rule(['sched_yield'], 'SCMP_ACT_TRACE'),
      ],
    }),
  PROBES.flatMap(([name, nr, ...args]) => ['--syscall', `${name}=${[nr, ...args].join(',')}`]),
);

function syscallErrno(report: CheckerReport, name: string): string {
  const seen = report.syscalls?.[name];
  expect(seen, `no ${name} probe result`);
  return seen.errno ?? 'OK';
}

clause({
  id: 'config-linux/seccomp/filter-installed',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'with linux.seccomp the process runs under a seccomp filter (Seccomp: 2)',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(mustRun(obs).seccomp.mode, 2, 'seccomp mode'),
});

clause({
  id: 'config-linux/seccomp/errno-errnoRet',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'SCMP_ACT_ERRNO with errnoRet makes the syscall fail with that errno (getppid -> 121)',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'getppid'), 'EREMOTEIO', 'getppid'),
});

clause({
  id: 'config-linux/seccomp/errno-default-eperm',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'errnoRet defaults to EPERM (getsid under SCMP_ACT_ERRNO without errnoRet)',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'getsid'), 'EPERM', 'getsid'),
});

const OPERATORS: [string, string, string, string][] = [
  ['SCMP_CMP_EQ', 'eq', 'ENETUNREACH', 'getpgid(4242) matches arg0 == 4242, getpgid(0) does not'],
  ['SCMP_CMP_NE', 'ne', 'ENETRESET', 'sched_get_priority_max(0) matches arg0 != 1, (1) does not'],
  ['SCMP_CMP_LT', 'lt', 'ECONNABORTED', 'sched_get_priority_min(1) matches arg0 < 2, (2) does not'],
  ['SCMP_CMP_LE', 'le', 'ECONNRESET', 'sched_getscheduler(5000) matches arg0 <= 5000, (5001) does not'],
  ['SCMP_CMP_GE', 'ge', 'ENOBUFS', 'getpriority(5, 0) matches arg0 >= 5, (0, 0) does not'],
  ['SCMP_CMP_GT', 'gt', 'EISCONN', 'sched_rr_get_interval(200000) matches arg0 > 100000, (0) does not'],
  ['SCMP_CMP_MASKED_EQ', 'masked', 'ENOTCONN', 'alarm(0x142) matches (arg0 & 0xff) == 0x42, alarm(0x143) does not'],
];

for (const [op, key, errno, example] of OPERATORS) {
  clause({
    id: `config-linux/seccomp/operator-${key}`,
    spec: SPEC,
    section: 'Seccomp',
    level: 'MUST',
    gist: `the args operator ${op} matches as libseccomp defines it: ${example}`,
    scenario: seccompActions,
    hostSkip: x86_64,
    check(obs) {
      const report = mustRun(obs);
      expectEqual(syscallErrno(report, `${key}_match`), errno, `${key}_match`);
      expect(syscallErrno(report, `${key}_other`) !== errno, `${key}_other also failed with ${errno}`);
    },
  });
}

clause({
  id: 'config-linux/seccomp/args-and',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'conditions on different arguments of one rule must all match: getpriority(1, 4242) matches arg0 == 1 && arg1 == 4242, (1, 0) does not',
  scenario: seccompActions,
  hostSkip: x86_64,
  check(obs) {
    const report = mustRun(obs);
    expectEqual(syscallErrno(report, 'and_match'), 'ESHUTDOWN', 'getpriority(1, 4242)');
    expect(syscallErrno(report, 'and_other') !== 'ESHUTDOWN', 'getpriority(1, 0) matched too');
  },
});

clause({
  id: 'config-linux/seccomp/action-log',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'SCMP_ACT_LOG lets the syscall through (and logs it): getuid succeeds',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'log'), 'OK', 'getuid'),
});

clause({
  id: 'config-linux/seccomp/action-trace',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'SCMP_ACT_TRACE hands the syscall to a tracer: with none attached, sched_yield fails with ENOSYS',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'trace'), 'ENOSYS', 'sched_yield'),
});

clause({
  id: 'config-linux/seccomp/architectures',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'architectures lists the architectures of the filter: x86_64 with x86 and x32 loads and filters native syscalls',
  scenario: seccompActions,
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'getsid'), 'EPERM', 'getsid'),
});

// ---------------------------------------------------------------- default action and errno

function allSyscallNames(): string[] {
  const header = readText('/usr/include/x86_64-linux-gnu/asm/unistd_64.h') ?? '';
  return [...header.matchAll(/^#define __NR_(\w+) \d+/gm)].map((match) => match[1]);
}

const defaultErrno = attempt(
  'seccomp-default-errno',
  (bundle) =>
    seccomp(bundle, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 109,
      syscalls: [rule(allSyscallNames().filter((name) => name !== 'getsid'), 'SCMP_ACT_ALLOW')],
    }),
  ['--syscall', `getsid=${NR.getsid},0`, '--syscall', `getppid=${NR.getppid}`],
);

const haveSyscallList = () => (x86_64() ?? (allSyscallNames().length > 300 ? undefined : 'no <asm/unistd_64.h> to list every syscall from'));

clause({
  id: 'config-linux/seccomp/defaultErrnoRet',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'defaultAction applies to syscalls no rule names, and defaultErrnoRet is its errno (getsid -> 109); SCMP_ACT_ALLOW rules let the rest through',
  scenario: defaultErrno,
  hostSkip: haveSyscallList,
  check(obs) {
    const report = mustRun(obs);
    expectEqual(syscallErrno(report, 'getsid'), 'ETOOMANYREFS', 'getsid');
    expectEqual(syscallErrno(report, 'getppid'), 'OK', 'getppid');
  },
});

// ---------------------------------------------------------------- actions that kill

for (const [action, what] of [
  ['SCMP_ACT_KILL', 'kills the thread (the process, single-threaded here)'],
  ['SCMP_ACT_KILL_PROCESS', 'kills the process'],
  ['SCMP_ACT_KILL_THREAD', 'kills the thread (the process, single-threaded here)'],
  ['SCMP_ACT_TRAP', 'sends SIGSYS (whose default action ends the process)'],
] as const) {
  const name = action.toLowerCase().replace(/_/g, '-');
  clause({
    id: `config-linux/seccomp/action-${action.slice('SCMP_ACT_'.length).toLowerCase().replace(/_/g, '-')}`,
    spec: SPEC,
    section: 'Seccomp',
    level: 'MUST',
    gist: `${action} ${what}: the program dies at getsid, before it prints`,
    scenario: attempt(`seccomp-${name}`, (bundle) => seccomp(bundle, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['getsid'], action)] }), ['--syscall', `getsid=${NR.getsid},0`]),
    hostSkip: x86_64,
    check(obs) {
      expect(obs.result.status !== 0, 'the program exited 0');
      expect(!obs.result.stdout.includes('"argv"'), 'the program printed its report: getsid did not kill it');
      expectEqual(obs.result.status, 128 + 31, 'exit status of run (128 + SIGSYS)');
    },
  });
}

// ---------------------------------------------------------------- flags

clause({
  id: 'config-linux/seccomp/flags',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'flags are passed to seccomp(2): a filter with SECCOMP_FILTER_FLAG_LOG, SPEC_ALLOW and TSYNC loads and works',
  scenario: attempt(
    'seccomp-flags',
    (bundle) =>
      seccomp(bundle, {
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],
        syscalls: [rule(['getsid'], 'SCMP_ACT_ERRNO')],
      }),
    ['--syscall', `getsid=${NR.getsid},0`],
  ),
  hostSkip: x86_64,
  check: (obs) => expectEqual(syscallErrno(mustRun(obs), 'getsid'), 'EPERM', 'getsid'),
});

// ---------------------------------------------------------------- notify and the seccomp agent

interface AgentRecord {
  state?: Record<string, any>;
  fdCount?: number;
  fdMessages?: number;
  closed?: boolean;
  trailing?: number;
  notified?: number[];
}

interface Notify {
  obs: Attempt;
  record?: AgentRecord;
  metadata: string;
}

const AGENT_ERRNO = 110; // ETIMEDOUT

const seccompNotify = scenario<Notify>('seccomp-notify', async (ctx) => {
  const dir = ctx.newDir('agent');
  const socket = path.join(dir, 'agent.sock');
  const recordFile = path.join(dir, 'record.json');
  const agent: ChildProcess = spawn('python3', [path.join(REPO_ROOT, 'conformance', 'helpers', 'seccomp-agent.py'), socket, recordFile, String(AGENT_ERRNO)], { stdio: 'ignore' });
  ctx.defer(() => {
    agent.kill('SIGKILL');
  });
  await waitForFile(socket);
  const metadata = 'conformance-metadata';
  const run = attempt(
    'seccomp-notify-run',
    (bundle) =>
      seccomp(bundle, {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: socket,
        listenerMetadata: metadata,
        syscalls: [rule(['getsid'], 'SCMP_ACT_NOTIFY')],
      }),
    ['--syscall', `getsid=${NR.getsid},0`],
  );
  const obs = await run.run(ctx);
  let record: AgentRecord | undefined;
  try {
    record = await waitFor('the agent record', () => {
      const text = readText(recordFile);
      return text ? (JSON.parse(text) as AgentRecord) : false;
    }, { timeoutMs: 2000 });
  } catch {
    record = undefined;
  }
  return { obs, record, metadata };
});

function agentState(notify: Notify): Record<string, any> {
  expect(notify.record?.state, `the agent received no container process state (container: ${notify.obs.result.status === 0 ? 'ran' : oneLine(notify.obs.result)})`);
  return notify.record.state;
}

clause({
  id: 'config-linux/seccomp/notify-state',
  spec: SPEC,
  section: 'The Container Process State',
  level: 'MUST',
  gist: 'with SCMP_ACT_NOTIFY the runtime sends the container process state (ociVersion, pid, state) as JSON over the AF_UNIX SOCK_STREAM listenerPath',
  scenario: seccompNotify,
  hostSkip: x86_64,
  check(notify) {
    const state = agentState(notify);
    expect(typeof state.ociVersion === 'string', `ociVersion is ${JSON.stringify(state.ociVersion)}`);
    expect(typeof state.pid === 'number' && state.pid > 0, `pid is ${JSON.stringify(state.pid)}`);
    expect(state.state && state.state.id === notify.obs.id, `state.id is ${JSON.stringify(state.state?.id)}`);
  },
});

clause({
  id: 'config-linux/seccomp/notify-fds',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: "the seccomp fd goes with SCM_RIGHTS, named 'seccompFd' in the fds array (one fd, one name)",
  scenario: seccompNotify,
  hostSkip: x86_64,
  check(notify) {
    const state = agentState(notify);
    expectEqual(state.fds, ['seccompFd'], 'fds');
    expectEqual(notify.record?.fdCount, 1, 'fds received with SCM_RIGHTS');
  },
});

clause({
  id: 'config-linux/seccomp/notify-connection-closed',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'exactly one container process state per connection, and the connection is closed after sending it (within 2 s, nothing after the JSON)',
  scenario: seccompNotify,
  hostSkip: x86_64,
  check(notify) {
    agentState(notify);
    expectEqual(notify.record?.trailing, 0, 'bytes after the state');
    expect(notify.record?.closed, 'the runtime kept the connection open after sending the state');
  },
});

clause({
  id: 'config-linux/seccomp/notify-fds-first-message',
  spec: SPEC,
  section: 'The Container Process State',
  level: 'MUST',
  gist: 'file descriptors are sent with SCM_RIGHTS, in the first sendmsg(2) only',
  scenario: seccompNotify,
  hostSkip: x86_64,
  check(notify) {
    agentState(notify);
    expectEqual(notify.record?.fdMessages, 1, 'messages carrying fds');
  },
});

clause({
  id: 'config-linux/seccomp/notify-metadata',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'listenerMetadata is sent as the metadata field of the container process state',
  scenario: seccompNotify,
  hostSkip: x86_64,
  check: (notify) => expectEqual(agentState(notify).metadata, notify.metadata, 'metadata'),
});

clause({
  id: 'config-linux/seccomp/notify-works',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'the listener fd the agent received is the filter\'s: the notified syscall (getsid) returns what the agent answers',
  scenario: seccompNotify,
  hostSkip: x86_64,
  check(notify) {
    agentState(notify);
    expectEqual(syscallErrno(mustRun(notify.obs), 'getsid'), 'ETIMEDOUT', 'getsid');
  },
});

clause({
  id: 'config-linux/seccomp/notify-send-fails',
  spec: SPEC,
  section: 'Seccomp',
  level: 'MUST',
  gist: 'if sending the state to listenerPath fails (nothing listens), the runtime generates an error',
  scenario: attempt('seccomp-notify-no-agent', (bundle, ctx) =>
    seccomp(bundle, {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: path.join(ctx.newDir('no-agent'), 'nobody.sock'),
      syscalls: [rule(['getsid'], 'SCMP_ACT_NOTIFY')],
    }),
  ),
  hostSkip: x86_64,
  check: (obs) => mustFail(obs, 'a listenerPath nobody listens on'),
});

// ---------------------------------------------------------------- invalid seccomp configs

const INVALID_SECCOMP: [string, string, Record<string, unknown>][] = [
  ['errnoRet-on-allow', "errnoRet on an action without an errno (SCMP_ACT_KILL_PROCESS) is an error ('MUST print an error and fail')", { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['getsid'], 'SCMP_ACT_KILL_PROCESS', { errnoRet: 5 })] }],
  ['defaultErrnoRet-on-allow', 'defaultErrnoRet with a default action without an errno (SCMP_ACT_ALLOW) is an error', { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 5 }],
  ['names-empty', 'names must contain at least one entry: an empty names is an error', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule([], 'SCMP_ACT_ERRNO')] }],
  ['metadata-without-listener', 'listenerMetadata must not be set without listenerPath: such a config is an error', { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }],
  ['unknown-action', "an unknown action ('SCMP_ACT_CONFORMANCE') is an invalid value and an error", { defaultAction: 'SCMP_ACT_CONFORMANCE' }],
  ['unknown-architecture', "an unknown architecture ('SCMP_ARCH_CONFORMANCE') is an invalid value and an error", { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_CONFORMANCE'] }],
  ['unknown-operator', "an unknown operator ('SCMP_CMP_CONFORMANCE') is an invalid value and an error", { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['getsid'], 'SCMP_ACT_ERRNO', { args: [arg(0, 1, 'SCMP_CMP_CONFORMANCE')] })] }],
];

for (const [name, gist, value] of INVALID_SECCOMP) {
  clause({
    id: `config-linux/seccomp/invalid-${name}`,
    spec: SPEC,
    section: 'Seccomp',
    level: 'MUST',
    gist,
    scenario: attempt(`seccomp-invalid-${name}`, (bundle) => seccomp(bundle, value)),
    check: (obs) => mustFail(obs, name),
  });
}

// ---------------------------------------------------------------- sysctl

const sysctlRun = attempt(
  'sysctl',
  (bundle) => {
    bundle.config.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'net.core.somaxconn': '321', 'kernel.shmmax': '123456789', 'kernel.msgmax': '12345' };
  },
  ['--sysctl', 'net.ipv4.ip_forward', '--sysctl', 'net.core.somaxconn', '--sysctl', 'kernel.shmmax', '--sysctl', 'kernel.msgmax'],
);

clause({
  id: 'config-linux/sysctl/network',
  spec: SPEC,
  section: 'Sysctl',
  level: 'MUST',
  gist: "sysctl sets kernel parameters for the container: net.ipv4.ip_forward and net.core.somaxconn in its network namespace",
  scenario: sysctlRun,
  check(obs) {
    const sysctls = mustRun(obs).sysctls ?? {};
    expectEqual([sysctls['net.ipv4.ip_forward'], sysctls['net.core.somaxconn']], ['1', '321'], 'net sysctls');
  },
});

clause({
  id: 'config-linux/sysctl/ipc',
  spec: SPEC,
  section: 'Sysctl',
  level: 'MUST',
  gist: 'sysctl sets kernel parameters for the container: kernel.shmmax and kernel.msgmax in its IPC namespace',
  scenario: sysctlRun,
  check(obs) {
    const sysctls = mustRun(obs).sysctls ?? {};
    expectEqual([sysctls['kernel.shmmax'], sysctls['kernel.msgmax']], ['123456789', '12345'], 'ipc sysctls');
  },
});

// ---------------------------------------------------------------- rootfs propagation

function propagationOf(report: CheckerReport): string[] {
  const root = mountAt(report, '/');
  expect(root, 'nothing is mounted at /');
  return root.optional.map((field) => field.replace(/:\d+$/, '')).sort();
}

for (const [value, expected, what] of [
  ['private', [], 'no propagation'],
  ['shared', ['shared'], 'a new peer group'],
  ['slave', ['master'], 'propagation from the host (the bundle is on a shared host mount)'],
  ['unbindable', ['unbindable'], 'unbindable'],
] as const) {
  const run =
    value === 'slave'
      ? scenario<Attempt>('rootfs-propagation-slave', async (ctx) =>
          attempt('rootfs-propagation-slave-run', (bundle) => {
            // The rootfs is itself a shared mount on the host, as an image's overlay mount usually is.
            sharedRootfs(ctx, bundle);
            bundle.config.linux.rootfsPropagation = 'slave';
          }).run(ctx),
        )
      : attempt(`rootfs-propagation-${value}`, (bundle) => {
          bundle.config.linux.rootfsPropagation = value;
        });
  clause({
    id: `config-linux/rootfs-propagation/${value}`,
    spec: SPEC,
    section: 'Rootfs Mount Propagation',
    level: 'MUST',
    gist: `rootfsPropagation '${value}' gives the rootfs mount ${what}`,
    scenario: run,
    check(obs) {
      const fields = propagationOf(mustRun(obs));
      if (value === 'shared') expect(fields.includes('shared'), `/ has ${fields.join(' ') || 'no propagation fields'}`);
      else expectEqual(fields, [...expected], 'propagation of /');
    },
  });
}

/** Bind the bundle's rootfs on itself on the host and make it shared (unmounted after the scenario). */
function sharedRootfs(ctx: ScenarioContext, bundle: Bundle): void {
  const rootfs = bundle.rootfs;
  const bind = spawnSync('mount', ['--bind', rootfs, rootfs], { encoding: 'utf8' });
  if (bind.status !== 0) throw new ScenarioError(`mount --bind ${rootfs}: ${bind.stderr}`);
  ctx.defer(() => {
    spawnSync('umount', ['-l', rootfs]);
  });
  spawnSync('mount', ['--make-shared', rootfs]);
}

/** The same context, but bundles are made under `parent`. */
function withBundleParent(ctx: ScenarioContext, parent: string): ScenarioContext {
  return Object.assign(Object.create(Object.getPrototypeOf(ctx)) as ScenarioContext, ctx, {
    bundle: () => ctx.bundle(parent),
  });
}

for (const value of ['private', 'slave', 'shared', 'unbindable']) {
  clause({
    id: `runtime/create/bundle-on-shared-mount-${value}`,
    spec: 'runtime.md',
    section: 'Create',
    level: 'MUST',
    gist: `create makes the container as config.json says when the bundle lies on a shared host mount (as on systemd hosts), with rootfsPropagation '${value}'`,
    scenario: scenario<Attempt>(`bundle-on-shared-mount-${value}`, async (ctx) => {
      const parent = mountFixtures(ctx.workspace).sharedBundles;
      return attempt(`bundle-on-shared-mount-${value}-run`, (bundle) => {
        bundle.config.linux.rootfsPropagation = value;
      }).run(withBundleParent(ctx, parent));
    }),
    check: (obs) => void mustRun(obs),
  });
}

clause({
  id: 'config-linux/rootfs-propagation/invalid',
  spec: SPEC,
  section: 'Rootfs Mount Propagation',
  level: 'MUST',
  gist: "a rootfsPropagation other than shared, slave, private, unbindable ('conformance') is an invalid value and an error",
  scenario: attempt('rootfs-propagation-invalid', (bundle) => {
    bundle.config.linux.rootfsPropagation = 'conformance';
  }),
  check: (obs) => mustFail(obs, "rootfsPropagation 'conformance'"),
});

// ---------------------------------------------------------------- masked and readonly paths

const pathsRun = attempt(
  'masked-readonly-paths',
  (bundle) => {
    fs.mkdirSync(path.join(bundle.rootfs, 'conf-masked-dir'));
    fs.writeFileSync(path.join(bundle.rootfs, 'conf-masked-dir', 'secret'), 'secret\n');
    fs.writeFileSync(path.join(bundle.rootfs, 'conf-masked-file'), 'secret\n');
    fs.mkdirSync(path.join(bundle.rootfs, 'conf-ro-dir'));
    bundle.setReadonlyRoot(false);
    bundle.config.linux.maskedPaths = ['/proc/kcore', '/conf-masked-dir', '/conf-masked-file'];
    bundle.config.linux.readonlyPaths = ['/proc/sys', '/conf-ro-dir'];
  },
  ['--open', '/conf-masked-file', '--open', '/proc/kcore', '--stat', '/conf-masked-dir/secret', '--write', '/conf-ro-dir/probe', '--write', '/conf-writable-probe', '--write', '/proc/sys/kernel/domainname'],
);

clause({
  id: 'config-linux/masked-paths/file',
  spec: SPEC,
  section: 'Masked Paths',
  level: 'MUST',
  gist: 'maskedPaths masks files so that they cannot be read (/conf-masked-file and /proc/kcore read as nothing)',
  scenario: pathsRun,
  check(obs) {
    const opens = mustRun(obs).opens ?? {};
    for (const file of ['/conf-masked-file', '/proc/kcore']) expect(opens[file] !== 'OK', `${file} can be read (${opens[file]})`);
  },
});

clause({
  id: 'config-linux/masked-paths/directory',
  spec: SPEC,
  section: 'Masked Paths',
  level: 'MUST',
  gist: 'maskedPaths masks directories so that their content cannot be read (/conf-masked-dir/secret is gone)',
  scenario: pathsRun,
  check: (obs) => expect(mustRun(obs).stats?.['/conf-masked-dir/secret']?.errno, 'the file under the masked directory is visible'),
});

clause({
  id: 'config-linux/readonly-paths/directory',
  spec: SPEC,
  section: 'Readonly Paths',
  level: 'MUST',
  gist: 'readonlyPaths makes paths read-only inside the container (a write under /conf-ro-dir fails EROFS; the rest of the rootfs stays writable)',
  scenario: pathsRun,
  check(obs) {
    const report = mustRun(obs);
    expectEqual(report.writes?.['/conf-ro-dir/probe'], 'EROFS', 'writing under /conf-ro-dir');
    expectEqual(report.writes?.['/conf-writable-probe'], 'OK', 'writing elsewhere in the rootfs');
    const mount = mountAt(report, '/conf-ro-dir');
    expect(mount && optionList(mount).includes('ro'), '/conf-ro-dir is not a read-only mount');
  },
});

clause({
  id: 'config-linux/readonly-paths/proc-sys',
  spec: SPEC,
  section: 'Readonly Paths',
  level: 'MUST',
  gist: 'readonlyPaths /proc/sys (the example) is read-only: writing a sysctl there fails',
  scenario: pathsRun,
  check: (obs) => expectEqual(mustRun(obs).writes?.['/proc/sys/kernel/domainname'], 'EROFS', 'writing /proc/sys/kernel/domainname'),
});

for (const [field, section] of [
  ['maskedPaths', 'Masked Paths'],
  ['readonlyPaths', 'Readonly Paths'],
] as const) {
  clause({
    id: `config-linux/${field === 'maskedPaths' ? 'masked-paths' : 'readonly-paths'}/absolute`,
    spec: SPEC,
    section,
    level: 'MUST',
    gist: `${field} values must be absolute paths: a relative one is an invalid value and an error`,
    scenario: attempt(`${field}-relative`, (bundle) => {
      bundle.config.linux[field] = ['proc/kcore'];
    }),
    check: (obs) => mustFail(obs, `a relative ${field} entry`),
  });
}

// ---------------------------------------------------------------- personality

clause({
  id: 'config-linux/personality/linux32',
  spec: SPEC,
  section: 'Personality',
  level: 'MUST',
  gist: "personality domain LINUX32 sets the execution domain: uname reports a 32-bit machine (i686)",
  scenario: attempt('personality-linux32', (bundle) => {
    bundle.config.linux.personality = { domain: 'LINUX32' };
  }),
  hostSkip: x86_64,
  check(obs) {
    const report = mustRun(obs);
    expectEqual(report.personality & 0xff, 0x08, 'personality (PER_LINUX32)');
    expectEqual(report.machine, 'i686', 'uname machine');
  },
});

interface Linux64 {
  report?: CheckerReport;
  error?: string;
}

const linuxFrom32 = scenario<Linux64>('personality-linux-from-linux32', async (ctx) => {
  const runtime = wrappedRuntime(ctx, 'linux32', '', 'setarch linux32');
  const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER);
  bundle.config.linux.personality = { domain: 'LINUX' };
  bundle.save();
  const result = await runtime.run(['run', '--bundle', bundle.dir, ctx.newId()]);
  if (result.status !== 0) return { error: oneLine(result) };
  return { report: parseReport(result.stdout, result) };
});

clause({
  id: 'config-linux/personality/linux',
  spec: SPEC,
  section: 'Personality',
  level: 'MUST',
  gist: 'personality domain LINUX sets the Linux execution domain, even when the runtime itself runs as linux32',
  scenario: linuxFrom32,
  hostSkip: x86_64,
  check(obs) {
    expect(obs.report, `the container failed: ${obs.error}`);
    expectEqual(obs.report.personality & 0xff, 0, 'personality (PER_LINUX)');
    expectEqual(obs.report.machine, 'x86_64', 'uname machine');
  },
});

clause({
  id: 'config-linux/personality/invalid-domain',
  spec: SPEC,
  section: 'Personality',
  level: 'MUST',
  gist: "a domain other than LINUX and LINUX32 ('LINUX_CONFORMANCE') is an invalid value and an error",
  scenario: attempt('personality-invalid', (bundle) => {
    bundle.config.linux.personality = { domain: 'LINUX_CONFORMANCE' };
  }),
  check: (obs) => mustFail(obs, "personality domain 'LINUX_CONFORMANCE'"),
});

// ---------------------------------------------------------------- mount label, memory policy, net devices

clause({
  id: 'config-linux/mount-label',
  spec: SPEC,
  section: 'Mount Label',
  level: 'MUST',
  gist: "mountLabel sets the SELinux context of the container's mounts",
  scenario: attempt('mount-label', (bundle) => {
    bundle.config.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
  }),
  hostSkip: () => (probeHost().selinux ? undefined : 'SELinux is not enabled on this host'),
  check: (obs) => void mustRun(obs),
});

clause({
  id: 'config-linux/memory-policy',
  spec: SPEC,
  section: 'Memory policy',
  level: 'MUST',
  gist: 'memoryPolicy sets the NUMA memory policy of the container (MPOL_BIND to node 0)',
  scenario: attempt('memory-policy', (bundle) => {
    bundle.config.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
  }),
  check(obs) {
    const { memoryPolicy } = mustRun(obs);
    expectEqual([memoryPolicy.mode, memoryPolicy.nodes], [2, 1], 'memory policy mode and node mask');
  },
});

clause({
  id: 'config-linux/memory-policy/invalid-mode',
  spec: SPEC,
  section: 'Memory policy',
  level: 'MUST',
  gist: "a memory policy mode outside the list ('MPOL_CONFORMANCE') is an invalid value and an error",
  scenario: attempt('memory-policy-invalid', (bundle) => {
    bundle.config.linux.memoryPolicy = { mode: 'MPOL_CONFORMANCE' };
  }),
  check: (obs) => mustFail(obs, "memoryPolicy mode 'MPOL_CONFORMANCE'"),
});

interface NetDevice {
  hostName: string;
  result?: { status: number | null; stdout: string; stderr: string };
  error?: string;
}

const netDevice = scenario<NetDevice>('net-devices', async (ctx) => {
  const hostName = `cf${process.pid % 100000}${ctx.runtimeName[0]}${ctx.workspace.next()}`.slice(0, 14);
  // A veth pair (the dummy driver is often missing); the end moved into the container dies with
  // its network namespace, and takes the peer with it.
  const add = spawnSync('ip', ['link', 'add', hostName, 'type', 'veth', 'peer', 'name', `${hostName}p`], { encoding: 'utf8' });
  if (add.status !== 0) throw new ScenarioError(`ip link add: ${add.stderr}`);
  ctx.defer(() => {
    spawnSync('ip', ['link', 'delete', hostName]);
  });
  spawnSync('ip', ['addr', 'add', '192.0.2.7/24', 'dev', hostName]);
  const bundle = ctx.bundle();
  bundle.config.linux.netDevices = { [hostName]: { name: 'ctr0' } };
  bundle.setShellScript('cat /sys/class/net/ctr0/flags && ip -4 addr show dev ctr0').save();
  const result = await ctx.run(['run', '--bundle', bundle.dir, ctx.newId()]);
  return { hostName, result };
});

function netOutput(obs: NetDevice): string[] {
  expect(obs.result && obs.result.status === 0, `the container failed: status ${obs.result?.status}: ${obs.result?.stderr.trim().split('\n').pop()}`);
  return obs.result.stdout.split('\n');
}

clause({
  id: 'config-linux/net-devices/moved',
  spec: SPEC,
  section: 'Network Devices',
  level: 'MUST',
  gist: "a listed network device is made available in the container's network namespace, under its new name (ctr0)",
  scenario: netDevice,
  check: (obs) => expect(/^0x/.test(netOutput(obs)[0] ?? ''), 'ctr0 does not exist in the container'),
});

clause({
  id: 'config-linux/net-devices/up',
  spec: SPEC,
  section: 'Network Devices',
  level: 'MUST',
  gist: 'the runtime sets the moved device up',
  scenario: netDevice,
  check: (obs) => expect((Number(netOutput(obs)[0]) & 1) === 1, `ctr0's flags are ${netOutput(obs)[0]} (IFF_UP not set)`),
});

clause({
  id: 'config-linux/net-devices/addresses',
  spec: SPEC,
  section: 'Network Devices',
  level: 'MUST',
  gist: 'the runtime preserves the permanent global addresses of the device (192.0.2.7/24)',
  scenario: netDevice,
  check: (obs) => expect(netOutput(obs).some((line) => line.includes('192.0.2.7/24')), 'the address is gone'),
});


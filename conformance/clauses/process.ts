// config.md: specification version, root, process (cwd, env, args, rlimits, capabilities,
// noNewPrivileges, oomScoreAdj, scheduler, ioPriority, user), hostname, domainname, annotations,
// extensibility and valid values.
import * as os from 'node:os';
import * as path from 'node:path';
import { clause, expect, expectEqual, scenario } from '../lib/clause';
import { CheckerReport, capabilityNames, mountAt, optionList, parseReport, sortedNames } from '../lib/checker';
import { CHECKER_IN_CONTAINER, oneLine } from '../lib/context';
import { HostInfo, hostHasCapability, probeHost } from '../lib/host';
import { Attempt, attempt, mustFail, mustRun, wrappedRuntime } from '../lib/scenarios';

const SPEC = 'config.md';

// ---------------------------------------------------------------- process fields, non-root user

const PROCESS_CAPS = {
  bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_AUDIT_WRITE', 'CAP_NET_RAW'],
  permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  effective: ['CAP_CHOWN', 'CAP_KILL'],
  ambient: ['CAP_NET_BIND_SERVICE'],
};

const PROCESS_ENV = ['PATH=/usr/bin:/bin', 'HOME=/conformance-home', 'CONF_A=1', 'CONF_EMPTY=', 'CONF_EQ=a=b'];
const PROCESS_ARGS = ['checker', '--read', '/etc/conformance-rootfs', 'an argument with spaces', ''];
const PROCESS_RLIMITS = [
  { type: 'RLIMIT_NOFILE', soft: 777, hard: 888 },
  { type: 'RLIMIT_CORE', soft: 1000, hard: 2000 },
  { type: 'RLIMIT_NPROC', soft: 400, hard: 500 },
  { type: 'RLIMIT_MSGQUEUE', soft: 8192, hard: 16384 },
  { type: 'RLIMIT_CPU', soft: 3600, hard: 7200 },
];

const processFields = attempt(
  'process-fields',
  (bundle) => {
    bundle.config.process = {
      ...bundle.config.process,
      user: { uid: 1000, gid: 1001, umask: 0o027, additionalGids: [2000, 2001] },
      cwd: '/tmp',
      env: PROCESS_ENV,
      args: PROCESS_ARGS,
      rlimits: PROCESS_RLIMITS,
      noNewPrivileges: true,
      oomScoreAdj: 432,
      capabilities: PROCESS_CAPS,
    };
    bundle.setHostname('conf-host');
    bundle.config.domainname = 'conf.example';
  },
);

function processReport(obs: Attempt): CheckerReport {
  return mustRun(obs);
}

clause({
  id: 'config/process/cwd',
  spec: SPEC,
  section: 'Process',
  level: 'MUST',
  gist: 'cwd is the working directory set for the executable',
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).cwd, '/tmp', 'cwd'),
});

clause({
  id: 'config/process/env',
  spec: SPEC,
  section: 'Process',
  level: 'MUST',
  gist: "env is the process's environment (environ semantics: entries with '=' in values and empty values kept)",
  scenario: processFields,
  check: (obs) => expectEqual([...processReport(obs).env].sort(), [...PROCESS_ENV].sort(), 'environment'),
});

clause({
  id: 'config/process/args',
  spec: SPEC,
  section: 'Process',
  level: 'MUST',
  gist: "args is the program's argv, exactly (spaces and empty arguments kept)",
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).argv, PROCESS_ARGS, 'argv'),
});

clause({
  id: 'config/process/args-execvp',
  spec: SPEC,
  section: 'Process',
  level: 'MUST',
  gist: "args[0] is used as execvp's file: a bare name is found on the container's PATH",
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).files?.['/etc/conformance-rootfs'], 'yes\n', 'the program found as "checker" read the rootfs'),
});

for (const which of ['soft', 'hard'] as const) {
  clause({
    id: `config/process/rlimits-${which}`,
    spec: SPEC,
    section: 'POSIX process',
    level: 'MUST',
    gist: `for each rlimit, getrlimit succeeds and rlim_${which === 'soft' ? 'cur' : 'max'} matches the configured ${which} value`,
    scenario: processFields,
    check(obs) {
      const report = processReport(obs);
      for (const limit of PROCESS_RLIMITS) {
        const seen = report.rlimits[limit.type];
        expect(seen && !seen.errno, `getrlimit(${limit.type}) failed: ${seen?.errno}`);
        expectEqual(seen[which], String(limit[which]), `${limit.type} ${which}`);
      }
    },
  });
}

clause({
  id: 'config/user/uid',
  spec: SPEC,
  section: 'POSIX-platform User',
  level: 'MUST',
  gist: 'uid is the user id of the process (real, effective, saved and filesystem)',
  scenario: processFields,
  check(obs) {
    const { ids } = processReport(obs);
    expectEqual([ids.uid, ids.euid, ids.suid, ids.fsuid], [1000, 1000, 1000, 1000], 'uids');
  },
});

clause({
  id: 'config/user/gid',
  spec: SPEC,
  section: 'POSIX-platform User',
  level: 'MUST',
  gist: 'gid is the group id of the process (real, effective, saved and filesystem)',
  scenario: processFields,
  check(obs) {
    const { ids } = processReport(obs);
    expectEqual([ids.gid, ids.egid, ids.sgid, ids.fsgid], [1001, 1001, 1001, 1001], 'gids');
  },
});

clause({
  id: 'config/user/additionalGids',
  spec: SPEC,
  section: 'POSIX-platform User',
  level: 'MUST',
  gist: 'additionalGids are added to the process (its supplementary groups)',
  scenario: processFields,
  check(obs) {
    const groups = [...processReport(obs).ids.groups].sort((a, b) => a - b);
    for (const gid of [2000, 2001]) expect(groups.includes(gid), `supplementary groups are ${JSON.stringify(groups)}`);
  },
});

clause({
  id: 'config/user/umask',
  spec: SPEC,
  section: 'POSIX-platform User',
  level: 'MUST',
  gist: 'umask is the umask of the user',
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).umask, 0o027, 'umask'),
});

clause({
  id: 'config/hostname',
  spec: SPEC,
  section: 'Hostname',
  level: 'MUST',
  gist: "hostname is the container's hostname as its processes see it (in its UTS namespace)",
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).hostname, 'conf-host', 'hostname'),
});

clause({
  id: 'config/domainname',
  spec: SPEC,
  section: 'Domainname',
  level: 'MUST',
  gist: "domainname is the container's domainname as its processes see it",
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).domainname, 'conf.example', 'domainname'),
});

clause({
  id: 'config/process/noNewPrivileges-true',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'noNewPrivileges true sets no_new_privs on the process',
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).noNewPrivs, 1, 'no_new_privs'),
});

clause({
  id: 'config/process/oomScoreAdj-set',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'if oomScoreAdj is set, the runtime sets oom_score_adj to it',
  scenario: processFields,
  check: (obs) => expectEqual(processReport(obs).oomScoreAdj, 432, 'oom_score_adj'),
});

for (const set of ['bounding', 'inheritable', 'ambient'] as const) {
  clause({
    id: `config/process/capabilities-${set}`,
    spec: SPEC,
    section: 'Linux Process',
    level: 'MUST',
    gist: `capabilities.${set} is the ${set} set the process keeps (non-root user, checked after execve)`,
    scenario: processFields,
    check: (obs) => expectEqual(capabilityNames(processReport(obs).caps[set]), sortedNames(PROCESS_CAPS[set]), `${set} capabilities`),
  });
}

clause({
  id: 'config/process/capabilities-effective-permitted-user',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'capabilities.effective/permitted: a non-root process holds, after execve(2), exactly its configured ambient capabilities in both (nothing leaks)',
  scenario: processFields,
  check(obs) {
    const { caps } = processReport(obs);
    expectEqual(capabilityNames(caps.effective), sortedNames(PROCESS_CAPS.ambient), 'effective capabilities');
    expectEqual(capabilityNames(caps.permitted), sortedNames(PROCESS_CAPS.ambient), 'permitted capabilities');
  },
});

// ---------------------------------------------------------------- root with a small capability set

const ROOT_CAPS = {
  bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_SYS_CHROOT'],
  permitted: ['CAP_CHOWN', 'CAP_KILL'],
  effective: ['CAP_CHOWN', 'CAP_KILL'],
  inheritable: ['CAP_KILL'],
  ambient: [] as string[],
};

const rootCaps = attempt('process-root-capabilities', (bundle) => {
  bundle.config.process.capabilities = ROOT_CAPS;
  bundle.config.process.noNewPrivileges = false;
});

clause({
  id: 'config/process/capabilities-bounding-root',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'capabilities.bounding is the bounding set of a root process too',
  scenario: rootCaps,
  check: (obs) => expectEqual(capabilityNames(mustRun(obs).caps.bounding), sortedNames(ROOT_CAPS.bounding), 'bounding capabilities'),
});

clause({
  id: 'config/process/capabilities-effective-permitted-root',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'capabilities.effective/permitted: a root process holds, after execve(2), its bounding and inheritable capabilities and nothing more',
  scenario: rootCaps,
  check(obs) {
    const { caps } = mustRun(obs);
    const expected = sortedNames([...ROOT_CAPS.bounding, ...ROOT_CAPS.inheritable]);
    expectEqual(capabilityNames(caps.effective), expected, 'effective capabilities');
    expectEqual(capabilityNames(caps.permitted), expected, 'permitted capabilities');
    expectEqual(capabilityNames(caps.inheritable), sortedNames(ROOT_CAPS.inheritable), 'inheritable capabilities');
  },
});

clause({
  id: 'config/process/noNewPrivileges-false',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST NOT',
  gist: 'with noNewPrivileges false the process may gain privileges: no_new_privs is not set',
  scenario: rootCaps,
  check: (obs) => expectEqual(mustRun(obs).noNewPrivs, 0, 'no_new_privs'),
});

const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const ungrantable = attempt('capabilities-ungrantable', (bundle) => {
  bundle.config.process.capabilities = { bounding: ALL_CAPS, permitted: ALL_CAPS, effective: ALL_CAPS, inheritable: ALL_CAPS, ambient: ALL_CAPS };
});

clause({
  id: 'config/process/capabilities-ungrantable',
  spec: SPEC,
  section: 'Linux Process',
  level: 'SHOULD NOT',
  gist: 'the runtime does not fail when the config asks for capabilities it cannot grant (here: every capability, in a sandbox that lacks some)',
  scenario: ungrantable,
  hostSkip: () => (ALL_CAPS.every((_, bit) => hostHasCapability(probeOnce(), bit)) ? 'the runtime holds every capability here, so every one can be granted' : undefined),
  check: (obs) => void mustRun(obs),
});

const unknownCap = attempt('capabilities-unknown-name', (bundle) => {
  const caps = bundle.config.process.capabilities as Record<string, string[]>;
  caps.bounding = [...caps.bounding, 'CAP_CONFORMANCE_UNKNOWN'];
});

clause({
  id: 'config/process/capabilities-unmappable-warning',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'a capability that cannot be mapped to a kernel interface (an unknown name) is logged as a warning, and a warning does not change the flow (runtime.md "Warnings")',
  scenario: unknownCap,
  check(obs) {
    mustRun(obs);
    expect(obs.result.stderr.includes('CAP_CONFORMANCE_UNKNOWN'), `nothing was logged about CAP_CONFORMANCE_UNKNOWN: ${JSON.stringify(obs.result.stderr.slice(0, 200))}`);
  },
});

let probed: HostInfo | undefined;
function probeOnce(): HostInfo {
  probed ??= probeHost();
  return probed;
}

// ---------------------------------------------------------------- inherited from the caller

interface Inherited {
  umask?: number;
  oomScoreAdj?: number;
  error?: string;
}

const inheritedFromCaller = scenario<Inherited>('process-inherited-from-caller', async (ctx) => {
  const runtime = wrappedRuntime(ctx, 'inherit', 'umask 0037\necho 123 > /proc/self/oom_score_adj');
  const bundle = ctx.bundle();
  const process = bundle.config.process as Record<string, unknown>;
  const user = { ...(process.user as Record<string, unknown>) };
  delete user.umask;
  process.user = user;
  delete process.oomScoreAdj;
  bundle.setArgs(CHECKER_IN_CONTAINER).save();
  const id = ctx.newId();
  const result = await runtime.run(['run', '--bundle', bundle.dir, id]);
  if (result.status !== 0) return { error: oneLine(result) };
  const report = parseReport(result.stdout, result);
  return { umask: report.umask, oomScoreAdj: report.oomScoreAdj };
});

clause({
  id: 'config/process/oomScoreAdj-unset',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST NOT',
  gist: "if oomScoreAdj is not set, the runtime does not change oom_score_adj (the caller's 123 is kept)",
  scenario: inheritedFromCaller,
  check(obs) {
    expect(!obs.error, `the container failed: ${obs.error}`);
    expectEqual(obs.oomScoreAdj, 123, 'oom_score_adj');
  },
});

clause({
  id: 'config/user/umask-unset',
  spec: SPEC,
  section: 'POSIX-platform User',
  level: 'SHOULD',
  gist: "if umask is unspecified, the umask is not changed from the calling process's (0037 here); the spec's lower-case \"should\"",
  scenario: inheritedFromCaller,
  check(obs) {
    expect(!obs.error, `the container failed: ${obs.error}`);
    expectEqual(obs.umask, 0o037, 'umask');
  },
});

// ---------------------------------------------------------------- scheduler and I/O priority

const schedulerRun = attempt('process-scheduler', (bundle) => {
  bundle.config.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
});

clause({
  id: 'config/process/scheduler',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'scheduler sets the scheduling policy and nice value of the process (SCHED_BATCH, nice 7)',
  scenario: schedulerRun,
  check(obs) {
    const { sched } = mustRun(obs);
    expectEqual([sched.policy, sched.nice], [3, 7], 'policy and nice');
  },
});

const ioPriorityRun = attempt('process-io-priority', (bundle) => {
  bundle.config.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
});

clause({
  id: 'config/process/ioPriority',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: "ioPriority sets the I/O scheduling class and level of the container's processes (best-effort, 6)",
  scenario: ioPriorityRun,
  check(obs) {
    const { ioPriority } = mustRun(obs);
    expectEqual([ioPriority.class, ioPriority.level], [2, 6], 'I/O class and level');
  },
});

const execAffinity = attempt('process-exec-cpu-affinity', (bundle) => {
  bundle.config.process.execCPUAffinity = { initial: '0', final: '0' };
});

clause({
  id: 'config/process/execCPUAffinity-not-init',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST NOT',
  gist: "execCPUAffinity is not applicable to the container's init process: it runs with the CPUs it would have had without it",
  scenario: execAffinity,
  hostSkip: () => (os.cpus().length < 2 ? 'one CPU: affinity to CPU 0 cannot be told apart' : undefined),
  check(obs) {
    const report = mustRun(obs);
    expect(report.affinity.length > 1, `the init is bound to CPUs ${JSON.stringify(report.affinity)}`);
  },
});

clause({
  id: 'config/process/apparmorProfile',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'apparmorProfile names the AppArmor profile of the process',
  scenario: attempt('process-apparmor', (bundle) => {
    bundle.config.process.apparmorProfile = 'unconfined';
  }, ['--read', '/proc/self/attr/current']),
  hostSkip: () => (probeOnce().appArmor ? undefined : 'AppArmor is not enabled on this host'),
  check: (obs) => expect((mustRun(obs).files?.['/proc/self/attr/current'] ?? '').toString().startsWith('unconfined'), 'profile not applied'),
});

clause({
  id: 'config/process/selinuxLabel',
  spec: SPEC,
  section: 'Linux Process',
  level: 'MUST',
  gist: 'selinuxLabel is the SELinux label of the process',
  scenario: attempt('process-selinux', (bundle) => {
    bundle.config.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  }, ['--read', '/proc/self/attr/current']),
  hostSkip: () => (probeOnce().selinux ? undefined : 'SELinux is not enabled on this host'),
  check: (obs) => expect(String(mustRun(obs).files?.['/proc/self/attr/current'] ?? '').startsWith('system_u:system_r:container_t'), 'label not applied'),
});

clause({
  id: 'config/process/consoleSize-ignored',
  spec: SPEC,
  section: 'Process',
  level: 'MUST',
  gist: 'consoleSize is ignored when terminal is false (the container runs as without it)',
  scenario: attempt('process-console-size-without-terminal', (bundle) => {
    bundle.config.process.consoleSize = { height: 40, width: 100 };
    bundle.config.process.terminal = false;
  }),
  check: (obs) => void mustRun(obs),
});

// ---------------------------------------------------------------- root

const rootAbsolute = attempt(
  'root-absolute-path',
  (bundle) => {
    bundle.config.root.path = path.join(bundle.dir, 'rootfs');
  },
  ['--read', '/etc/conformance-rootfs'],
);

clause({
  id: 'config/root/path-absolute',
  spec: SPEC,
  section: 'Root',
  level: 'MUST',
  gist: 'root.path may be an absolute path: the container runs in that directory',
  scenario: rootAbsolute,
  check: (obs) => expectEqual(fileOf(mustRun(obs)), 'yes\n', '/etc/conformance-rootfs'),
});

function fileOf(report: CheckerReport): string | undefined {
  const entry = report.files?.['/etc/conformance-rootfs'];
  return typeof entry === 'string' ? entry : undefined;
}

const rootRelative = attempt('root-relative-path', () => undefined, ['--read', '/etc/conformance-rootfs']);

clause({
  id: 'config/root/path-relative',
  spec: SPEC,
  section: 'Root',
  level: 'MUST',
  gist: "root.path may be relative to the bundle ('rootfs'): the container runs in <bundle>/rootfs",
  scenario: rootRelative,
  check: (obs) => expectEqual(fileOf(mustRun(obs)), 'yes\n', '/etc/conformance-rootfs'),
});

clause({
  id: 'config/root/path-must-exist',
  spec: SPEC,
  section: 'Root',
  level: 'MUST',
  gist: 'a directory must exist at root.path: a missing one is an error',
  scenario: attempt('root-missing', (bundle) => {
    bundle.config.root.path = 'no-such-rootfs';
  }),
  check: (obs) => mustFail(obs, 'a root.path that does not exist'),
});

const rootReadonly = attempt(
  'root-readonly',
  (bundle) => {
    bundle.setReadonlyRoot(true);
  },
  ['--write', '/conformance-ro-probe'],
);

clause({
  id: 'config/root/readonly',
  spec: SPEC,
  section: 'Root',
  level: 'MUST',
  gist: 'with root.readonly true the root filesystem is read-only inside the container',
  scenario: rootReadonly,
  check(obs) {
    const report = mustRun(obs);
    const root = mountAt(report, '/');
    expect(root && optionList(root).includes('ro'), `/ is mounted ${root?.options}`);
    expectEqual(report.writes?.['/conformance-ro-probe'], 'EROFS', 'writing a file at /');
  },
});

// ---------------------------------------------------------------- version, annotations, extensibility

clause({
  id: 'config/ociVersion/semver',
  spec: SPEC,
  section: 'Specification version',
  level: 'MUST',
  gist: 'ociVersion must be SemVer: a config whose ociVersion is not is invalid, and invalid values are an error ("Valid values")',
  scenario: attempt('oci-version-not-semver', (bundle) => {
    bundle.config.ociVersion = 'not-a-version';
  }),
  check: (obs) => mustFail(obs, "ociVersion 'not-a-version'"),
});

clause({
  id: 'config/ociVersion/compatible-minor',
  spec: SPEC,
  section: 'Specification version',
  level: 'MUST',
  gist: 'compatibility within a major version: a config declaring 1.0.0 runs on a runtime of a later 1.x',
  scenario: attempt('oci-version-1.0.0', (bundle) => {
    bundle.config.ociVersion = '1.0.0';
  }),
  check: (obs) => void mustRun(obs),
});

clause({
  id: 'config/extensibility/unknown-properties',
  spec: SPEC,
  section: 'Extensibility',
  level: 'MUST',
  gist: 'unknown properties (top level, in process, in linux) are ignored, never an error',
  scenario: attempt('unknown-properties', (bundle) => {
    bundle.config.conformanceUnknown = { nested: [1, 2] };
    bundle.config.process.conformanceUnknown = 'x';
    bundle.config.linux.conformanceUnknown = true;
  }),
  check: (obs) => void mustRun(obs),
});

clause({
  id: 'config/annotations/key-not-empty',
  spec: SPEC,
  section: 'Annotations',
  level: 'MUST NOT',
  gist: 'annotation keys must not be empty: a config with an empty key is invalid and an error',
  scenario: attempt('annotations-empty-key', (bundle) => {
    bundle.config.annotations = { '': 'value' };
  }),
  check: (obs) => mustFail(obs, 'an empty annotation key'),
});

clause({
  id: 'config/annotations/values-strings',
  spec: SPEC,
  section: 'Annotations',
  level: 'MUST',
  gist: 'annotation values must be strings: a number is invalid and an error',
  scenario: attempt('annotations-number-value', (bundle) => {
    bundle.config.annotations = { 'com.example.number': 7 };
  }),
  check: (obs) => mustFail(obs, 'an annotation value that is a number'),
});

clause({
  id: 'config/annotations/unknown-keys',
  spec: SPEC,
  section: 'Annotations',
  level: 'MUST',
  gist: 'unknown annotation keys are handled like unknown properties: ignored',
  scenario: attempt('annotations-unknown-keys', (bundle) => {
    bundle.config.annotations = { 'com.example.conformance.unknown': 'x', 'org.opencontainers.image.os': 'linux' };
  }),
  check: (obs) => void mustRun(obs),
});

// ---------------------------------------------------------------- invalid values

const INVALID: [string, string, string, (config: Record<string, any>) => void][] = [
  ['process-cwd-relative', 'Process', 'cwd must be an absolute path: a relative cwd is an error', (c) => (c.process.cwd = 'tmp')],
  ['process-args-empty', 'Process', 'args needs at least one entry: an empty args is an error', (c) => (c.process.args = [])],
  ['rlimit-unknown-type', 'POSIX process', 'an rlimit type that cannot be mapped to a kernel interface is an error', (c) => (c.process.rlimits = [{ type: 'RLIMIT_CONFORMANCE', soft: 1, hard: 1 }])],
  ['rlimit-duplicate', 'POSIX process', 'duplicated rlimit types are an error', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 100 }, { type: 'RLIMIT_NOFILE', soft: 200, hard: 200 }])],
  ['scheduler-policy', 'Linux Process', "an unknown scheduler policy ('SCHED_CONFORMANCE') is an error", (c) => (c.process.scheduler = { policy: 'SCHED_CONFORMANCE' })],
  ['ioPriority-class', 'Linux Process', "an unknown ioPriority class ('IOPRIO_CLASS_CONFORMANCE') is an error", (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_CONFORMANCE', priority: 1 })],
  ['mount-idmap-uid-only', 'POSIX-platform Mounts', "a mount's uidMappings must come with gidMappings: uidMappings alone is an error", (c) =>
    c.mounts.push({ destination: '/conformance-idmap', type: 'bind', source: '/tmp', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] })],
];

for (const [name, section, gist, edit] of INVALID) {
  clause({
    id: `config/valid-values/${name}`,
    spec: SPEC,
    section,
    level: 'MUST',
    gist,
    scenario: attempt(`invalid-${name}`, (bundle) => edit(bundle.config as Record<string, any>)),
    check: (obs) => mustFail(obs, name),
  });
}


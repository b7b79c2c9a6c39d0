// `husk exec` → ExecPlan: the process to start inside a running container, and what of the
// container it joins. Pure apart from the reads a caller can replace (namespace links, host
// probe), so every rule here is unit-tested as non-root.
//
// What the process gets, as in runc (exec.go getProcess, utils_linux.go newProcess):
//   * with --process FILE: that process object, exactly (the other process flags are ignored);
//   * otherwise the config's process with the command line's changes: args replaced, --cwd,
//     --env appended (a later entry wins), --user uid[:gid], --additional-gids appended, --cap
//     added to the bounding, effective, permitted and ambient sets, --no-new-privs, --apparmor,
//     --process-label; terminal only with --tty (never from the config: runc resets it).
//   * every namespace of the container's init that differs from husk's own, the container's
//     cgroup (or an existing sub-cgroup with --cgroup), the container's session keyring, seccomp
//     filter and personality, and the process's rlimits, user, capabilities, no_new_privs,
//     scheduler, I/O priority and LSM labels (runc's setns_init_linux.go does the same list).
//     Not linux.sysctl (the container's, set once by the init) nor process.oomScoreAdj (runc
//     leaves the exec'd process the value it inherits).
import * as fs from 'fs';
import * as path from 'path';
import { HuskError } from '../errors';
import type { CgroupRecord } from '../cgroups/types';
import type { Linux, Process } from '../spec/types';
import { planCapabilities, readLastCap } from './capabilities';
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
} from './constants';
import { type HostProbe, defaultHostProbe } from './host-probe';
import type { NamespaceSetup } from './namespaces';
import type { LaunchPlan } from './plan';
import { type LsmProbe, defaultLsmProbe, planSecurityAttributes } from './process-attributes';
import { planArgs, planCwd, planEnv } from './process';
import { planRlimits, rlimitCeiling } from './rlimits';
import { planConsoleSize } from './terminal';
import { homeDirectory, planProcessUser } from './user';

/**
 * What an exec'd process shares with the init's plan, with the same names and meanings
 * (LaunchPlan documents them). One difference of use: an exec'd process is always a session
 * leader (runc's setsid in nsexec), and mountConsole is always false (/dev/console belongs to the
 * init's terminal).
 */
type ProcessFieldsOfLaunchPlan = Pick<
  LaunchPlan,
  | 'args'
  | 'env'
  | 'cwd'
  | 'uid'
  | 'gid'
  | 'additionalGids'
  | 'umask'
  | 'rlimits'
  | 'preserveFds'
  | 'newSession'
  | 'capabilities'
  | 'noNewPrivileges'
  | 'seccomp'
  | 'scheduler'
  | 'ioPriority'
  | 'personality'
  | 'apparmorProfile'
  | 'selinuxLabel'
  | 'terminal'
  | 'consoleSocketFd'
  | 'consoleSize'
  | 'mountConsole'
>;

export interface ExecPlan extends ProcessFieldsOfLaunchPlan {
  // ---- the container to join ----
  /** pidfd of the container's init: setns(nsPidfd, nsFlags) joins its namespaces. Owned by the caller. */
  nsPidfd: number;
  /** CLONE_NEW* of every namespace of the init that is not husk's own (joining one's own user namespace is EINVAL). */
  nsFlags: number;
  /** cgroup v2 directory fd for CLONE_INTO_CGROUP, or -1 (v1 and hybrid: the caller writes cgroup.procs). */
  cgroupFd: number;
  /** fd of the init's root directory (/proc/<pid>/root): the process chroots there after joining; -1: the mount namespace's root. */
  rootFd: number;
  /** The container's session keyring ("_ses.<id>"), joined as runc does; "" with --no-new-keyring at create. */
  sessionKeyring: string;
}

/** The process flags of `husk exec` (without --process). */
export interface ExecProcessFlags {
  args: string[];
  cwd?: string;
  env: string[];
  tty: boolean;
  /** "uid" or "uid:gid". */
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs: boolean;
  apparmor?: string;
  processLabel?: string;
}

/** runc's getProcess for the command-line form: the config's process changed by the flags. */
export function execProcessFromFlags(configProcess: Process | undefined, flags: ExecProcessFlags): Process {
  if (!configProcess) throw new HuskError("the container's config has no process to take the defaults of exec from");
  // runc: "process args cannot be empty" (exec needs a command unless --process is given).
  if (flags.args.length === 0) throw new HuskError('exec: a command to run is required (or --process <file>)');
  const process: Process = structuredClone(configProcess);
  process.args = [...flags.args];
  delete process.commandLine;
  if (flags.cwd) process.cwd = flags.cwd;
  if (flags.apparmor) process.apparmorProfile = flags.apparmor;
  if (flags.processLabel) process.selinuxLabel = flags.processLabel;
  if (flags.caps.length > 0 && process.capabilities) {
    // Without process.capabilities the process keeps all of root's, so there is nothing to add.
    const caps = process.capabilities;
    for (const set of ['bounding', 'effective', 'permitted', 'ambient'] as const) caps[set] = [...(caps[set] ?? []), ...flags.caps];
  }
  process.env = [...(process.env ?? []), ...flags.env];
  process.terminal = flags.tty;
  delete process.consoleSize;
  if (flags.noNewPrivs) process.noNewPrivileges = true;
  if (flags.user !== undefined) {
    const { uid, gid } = parseUserFlag(flags.user);
    process.user = { ...process.user, uid, ...(gid !== undefined ? { gid } : {}) };
  }
  for (const gid of flags.additionalGids) {
    if (!Number.isInteger(gid) || gid < 0) throw new HuskError(`--additional-gids: ${gid} is not a group id`);
  }
  if (flags.additionalGids.length > 0) {
    process.user = { ...process.user, additionalGids: [...(process.user.additionalGids ?? []), ...flags.additionalGids] };
  }
  return process;
}

/** --user "uid[:gid]": numbers only, as runc takes them (no names: there is no passwd lookup). */
export function parseUserFlag(text: string): { uid: number; gid?: number } {
  const match = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!match) throw new HuskError(`--user: '${text}' is not <uid>[:<gid>] (numbers)`);
  const uid = Number(match[1]);
  const gid = match[2] === undefined ? undefined : Number(match[2]);
  return { uid, gid };
}

/** The namespace files of /proc/<pid>/ns that setns(pidfd) can join, with their flags. */
export const JOINABLE_NAMESPACES: ReadonlyArray<readonly [string, number]> = [
  ['user', CLONE_NEWUSER],
  ['mnt', CLONE_NEWNS],
  ['pid', CLONE_NEWPID],
  ['net', CLONE_NEWNET],
  ['ipc', CLONE_NEWIPC],
  ['uts', CLONE_NEWUTS],
  ['cgroup', CLONE_NEWCGROUP],
  ['time', CLONE_NEWTIME],
];

/**
 * CLONE_NEW* of each namespace of `initPid` that husk is not in already. Comparing the links
 * ("net:[4026531840]") rather than trusting the config covers namespaces joined by path and
 * configs edited since create. A kind the kernel lacks (no /proc/<pid>/ns/time) is skipped.
 */
export function namespacesToJoin(initPid: number, readLink: (file: string) => string = fs.readlinkSync): number {
  let flags = 0;
  for (const [name, flag] of JOINABLE_NAMESPACES) {
    let ours: string;
    try {
      ours = readLink(`/proc/self/ns/${name}`);
    } catch {
      continue; // this kernel has no such namespace
    }
    let theirs: string;
    try {
      theirs = readLink(`/proc/${initPid}/ns/${name}`);
    } catch (err) {
      throw new HuskError(`cannot read the namespaces of the container's init (pid ${initPid}): ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    if (theirs !== ours) flags |= flag;
  }
  return flags;
}

export interface ExecPlanContext {
  nsPidfd: number;
  nsFlags: number;
  cgroupFd: number;
  rootFd?: number;
  preserveFds: number;
  consoleSocketFd: number;
  /** The container's linux section (user namespace mappings check the process's ids). */
  linux: Linux | undefined;
  /** Where the container's files are seen from the host, for HOME: /proc/<init pid>/root. */
  containerRoot: string;
  /** See ExecPlan.sessionKeyring. */
  sessionKeyring: string;
  probe?: Partial<HostProbe>;
  lsmProbe?: LsmProbe;
  lastCap?: number;
  warn?: (message: string) => void;
  /** Details worth a --debug line (seccomp rules libseccomp skipped). */
  debug?: (message: string) => void;
}

/** The process (from --process or execProcessFromFlags) → ExecPlan. Throws HuskError naming the field. */
export function buildExecPlan(process: Process, context: ExecPlanContext): ExecPlan {
  if (!process.user) throw new HuskError('process.user: required (uid and gid to run the process as)');
  if (!Number.isInteger(context.preserveFds) || context.preserveFds < 0) {
    throw new HuskError(`--preserve-fds: ${context.preserveFds} is not a number of file descriptors`);
  }
  const probe: HostProbe = { ...defaultHostProbe(), ...context.probe };
  const args = planArgs(process);
  const cwd = planCwd(process.cwd);
  const user = planProcessUser(process.user, context.linux, configUserNamespace(context.linux));
  const joinsUserNamespace = (context.nsFlags & CLONE_NEWUSER) !== 0;
  // The container's sysctls were the init's to write; oomScoreAdj stays as inherited (runc).
  const { sysctls: _sysctls, oomScoreAdj: _oomScoreAdj, ...security } = planSecurityAttributes(
    process,
    context.linux,
    context.lsmProbe ?? defaultLsmProbe(),
    context.debug ?? (() => {}),
  );
  return {
    nsPidfd: context.nsPidfd,
    nsFlags: context.nsFlags,
    cgroupFd: context.cgroupFd,
    rootFd: context.rootFd ?? -1,

    args,
    env: planEnv(process.env, () => homeDirectory(user.uid, context.containerRoot, [])),
    cwd,
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    umask: user.umask,
    // The process sets them after joining the user namespace, where raising a hard limit is
    // impossible: the same ceiling as an init created in a new user namespace.
    rlimits: planRlimits(process.rlimits, rlimitCeiling(probe, joinsUserNamespace)),
    preserveFds: context.preserveFds,
    newSession: true,
    capabilities: planCapabilities(process.capabilities, context.lastCap ?? readLastCap(), context.warn ?? (() => {})),
    noNewPrivileges: process.noNewPrivileges === true,
    sessionKeyring: context.sessionKeyring,
    ...security,

    terminal: process.terminal === true,
    consoleSocketFd: context.consoleSocketFd,
    consoleSize: process.terminal === true ? planConsoleSize(process.consoleSize, 'process.consoleSize') : null,
    mountConsole: false,
  };
}

/** Just enough of planNamespaces for planProcessUser: whether the config creates the user namespace. */
function configUserNamespace(linux: Linux | undefined): NamespaceSetup {
  const index = (linux?.namespaces ?? []).findIndex((ns) => ns.type === 'user');
  const creates = index >= 0 && !linux?.namespaces?.[index].path;
  return {
    created: creates ? CLONE_NEWUSER : 0,
    joined: index >= 0 && !creates ? CLONE_NEWUSER : 0,
    indexOf: index >= 0 ? { user: index } : {},
    joins: [],
    timeOffsets: null,
  };
}

/**
 * --cgroup values → sub-cgroup per controller ("" = every hierarchy). runc's format:
 * "[<controller>[,<controller>...]:]<path>"; a value without a controller must be the only one.
 */
export function parseSubCgroupFlags(values: string[]): Map<string, string> {
  const byController = new Map<string, string>();
  for (const value of values) {
    const parts = value.split(':');
    if (parts.length > 2) throw new HuskError(`--cgroup: '${value}' is not [<controller>:]<path>`);
    if (parts.length === 1) {
      if (values.length !== 1) throw new HuskError(`--cgroup: '${value}' needs a <controller>: prefix when --cgroup is given more than once`);
      byController.set('', checkSubPath(value, value));
      continue;
    }
    const [controllers, sub] = parts;
    for (const controller of controllers.split(',')) {
      if (!controller) throw new HuskError(`--cgroup: '${value}' names an empty controller`);
      byController.set(controller, checkSubPath(sub, value));
    }
  }
  return byController;
}

function checkSubPath(sub: string, value: string): string {
  const normalised = path.posix.normalize(sub).replace(/^\/+|\/+$/g, '');
  if (normalised === '' || normalised === '.' || normalised.split('/').includes('..')) {
    throw new HuskError(`--cgroup: '${value}' must name a sub-cgroup below the container's cgroup`);
  }
  return normalised;
}

/**
 * The cgroup directory per hierarchy (keys as in CgroupRecord.paths) the exec'd process goes to:
 * the container's own, or the --cgroup sub-cgroup where one applies to that hierarchy. A
 * controller the container has no hierarchy for is an error; so is a sub-cgroup that does not
 * exist (runc: "an (existing) sub-cgroup").
 */
export function execCgroupDirectories(
  record: CgroupRecord,
  subCgroups: Map<string, string>,
  isDirectory: (dir: string) => boolean = (dir) => fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true,
): Record<string, string> {
  const keys = Object.keys(record.paths);
  for (const controller of subCgroups.keys()) {
    if (controller === '') continue;
    if (!keys.some((key) => key.split(',').includes(controller))) {
      throw new HuskError(`--cgroup: the container has no cgroup for controller '${controller}'`);
    }
  }
  const directories: Record<string, string> = {};
  for (const key of keys) {
    const sub = subCgroups.get('') ?? key.split(',').map((c) => subCgroups.get(c)).find((s) => s !== undefined);
    const dir = sub === undefined ? record.paths[key] : path.join(record.paths[key], sub);
    if (sub !== undefined && !isDirectory(dir)) throw new HuskError(`--cgroup: sub-cgroup ${dir} does not exist`);
    directories[key] = dir;
  }
  return directories;
}

// Spec → LaunchPlan: every check a user must read an answer to happens here, before any process
// or kernel object exists; the addon then executes the plan without decisions of its own.
// One module per kernel concern does the work; this one composes them and checks the rules
// that span concerns (what needs which namespace).
import * as path from 'path';
import type { LaunchPlan } from './plan';
import type { Spec } from '../spec/types';
import { HuskError } from '../errors';
import { CLONE_NEWCGROUP, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWUTS } from './constants';
import { planDevices } from './devices';
import { planChildHooks } from './hooks';
import { planCapabilities, readLastCap } from './capabilities';
import { logDebug, logWarn } from '../log';
import { type HostProbe, defaultHostProbe } from './host-probe';
import { needsDevSetup, planMounts } from './mounts';
import { type NamespaceSetup, createsNamespace, hasOwnNamespace, planNamespaces } from './namespaces';
import { containerPath } from './paths';
import { planArgs, planCwd, planEnv } from './process';
import { type LsmProbe, defaultLsmProbe, planSecurityAttributes } from './process-attributes';
import { planRlimits, rlimitCeiling } from './rlimits';
import { planRoot, planRootfsPropagation } from './rootfs';
import { planConsoleSize, wantsTerminal } from './terminal';
import { type IdMapText, homeDirectory, planProcessUser, userNamespaceMaps } from './user';

export interface BuildPlanOptions {
  /** The bundle directory (config.json's); relative root.path and bind sources resolve against it. */
  bundle: string;
  /** --no-pivot */
  noPivot: boolean;
  /** --preserve-fds */
  preserveFds: number;
  /** Host path of the exec fifo; "" = do not wait for `start`. */
  execFifo: string;
  /** cgroup v2 directory fd for CLONE_INTO_CGROUP; -1 or absent for none. */
  cgroupFd?: number;
  /**
   * cgroup v1 only: the container's cgroup directory in each hierarchy, keyed by the hierarchy's
   * host mount point (e.g. {"/sys/fs/cgroup/memory": "/sys/fs/cgroup/memory/husk/abc"}), so
   * that a "cgroup" mount without a cgroup namespace shows the container its own cgroups.
   */
  cgroupV1Paths?: Readonly<Record<string, string>>;
  /** Host facts; any member left out is read from the real host. */
  probe?: Partial<HostProbe>;
  /** process.terminal: fd of the connected socket the pty master goes to (see LaunchPlan). */
  consoleSocketFd?: number;
  /** Which LSMs the host runs (AppArmor, SELinux); read from the host when left out. */
  lsmProbe?: LsmProbe;
}

/** Everything the launch needs from the spec: the plan, and the id maps the parent writes. */
export interface Launch {
  plan: LaunchPlan;
  /** uid_map/gid_map text for a new user namespace (LaunchPlan has no field for it yet); null without one. */
  idMaps: IdMapText | null;
}

export function buildLaunchPlan(spec: Spec, options: BuildPlanOptions): LaunchPlan {
  return buildLaunch(spec, options).plan;
}

export function buildLaunch(spec: Spec, options: BuildPlanOptions): Launch {
  const probe: HostProbe = { ...defaultHostProbe(), ...options.probe };
  const process = spec.process;
  // runtime-spec: process is REQUIRED for `start`; runc: "process property must not be empty".
  if (!process) throw new HuskError('process: required (the program the container runs)');
  if (!process.user) throw new HuskError('process.user: required (uid and gid to run the process as)');
  checkPreserveFds(options.preserveFds);
  checkUnimplemented(spec);
  const args = planArgs(process);
  const cwd = planCwd(process.cwd);

  const bundle = path.resolve(options.bundle);
  const root = planRoot(spec.root, bundle);
  const namespaces = planNamespaces(spec.linux, (nsPath) => probe.namespaceTypeOf(nsPath));
  checkUtsFields(spec, namespaces);
  const newUserNamespace = createsNamespace(namespaces, CLONE_NEWUSER);
  const idMaps = userNamespaceMaps(spec.linux, namespaces);
  const user = planProcessUser(process.user, spec.linux, namespaces);

  const hasMountNamespace = hasOwnNamespace(namespaces, CLONE_NEWNS);
  const newMountNamespace = createsNamespace(namespaces, CLONE_NEWNS);
  if (!hasMountNamespace) checkNothingToMount(spec, 'requires a mount namespace of the container\'s own; add {"type": "mount"} to linux.namespaces');
  // runtime-spec: a namespace joined by path is set up already, and the runtime must refuse
  // config that would set it up again.
  else if (!newMountNamespace) checkNothingToMount(spec, 'the mount namespace is joined by path, so it is set up already');
  const hasCgroupMount = (spec.mounts ?? []).some((m) => m.type === 'cgroup');
  const mountsPlan = planMounts(spec.mounts, {
    bundle,
    sysfsForbidden: newUserNamespace && !createsNamespace(namespaces, CLONE_NEWNET),
    cgroup: {
      cgroupVersion: hasCgroupMount ? probe.cgroupVersion() : 2,
      v1Hierarchies: hasCgroupMount && probe.cgroupVersion() === 1 ? probe.cgroupV1Hierarchies() : [],
      newCgroupNamespace: createsNamespace(namespaces, CLONE_NEWCGROUP),
      newUserNamespace,
      v1ContainerPaths: options.cgroupV1Paths,
    },
  });
  const bindDevicesFromHost = newUserNamespace || probe.runningInUserNamespace();
  if (bindDevicesFromHost && !hasMountNamespace) {
    throw new HuskError(
      'linux.namespaces: device nodes must be bound from the host in a user namespace, which needs a mount namespace; add {"type": "mount"}',
    );
  }
  const devicesPlan = planDevices(spec.linux?.devices, {
    setUpDev: needsDevSetup(mountsPlan.mounts),
    bindFromHost: bindDevicesFromHost,
    hasProcKcore: probe.hasProcKcore(),
  });

  const plan: LaunchPlan = {
    newNamespaceFlags: namespaces.created & ~CLONE_NEWUSER,
    newUserNamespace,
    joins: namespaces.joins,
    timeOffsets: namespaces.timeOffsets,
    cgroupFd: options.cgroupFd ?? -1,

    rootfs: root.rootfs,
    // Nothing to change without a mount namespace of the container's own (0 = leave "/" alone).
    rootfsPropagation: hasMountNamespace ? planRootfsPropagation(spec.linux?.rootfsPropagation, options.noPivot) : 0,
    readonlyRoot: root.readonly,
    rootfsSetup: newMountNamespace ? 'new-namespace' : hasMountNamespace ? 'joined' : 'chroot',
    noPivot: options.noPivot,
    mounts: mountsPlan.mounts,
    devices: devicesPlan.devices,
    symlinks: [...mountsPlan.symlinks, ...devicesPlan.symlinks],
    maskedPaths: (spec.linux?.maskedPaths ?? []).map((p, i) => containerPath(p, `linux.maskedPaths[${i}]`)),
    readonlyPaths: (spec.linux?.readonlyPaths ?? []).map((p, i) => containerPath(p, `linux.readonlyPaths[${i}]`)),
    hostname: spec.hostname ?? '',
    domainname: spec.domainname ?? '',

    args,
    env: planEnv(process.env, () => homeDirectory(user.uid, root.rootfs, mountsPlan.mounts)),
    cwd,
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    umask: user.umask,
    rlimits: planRlimits(process.rlimits, rlimitCeiling(probe, newUserNamespace)),
    preserveFds: options.preserveFds,
    execFifo: options.execFifo,
    // runc always makes the init a session leader (setsid in nsexec), terminal or not.
    newSession: true,

    createContainerHooks: planChildHooks(spec.hooks?.createContainer, 'hooks.createContainer'),
    startContainerHooks: planChildHooks(spec.hooks?.startContainer, 'hooks.startContainer'),

    capabilities: planCapabilities(process.capabilities, readLastCap(), logWarn),
    noNewPrivileges: process.noNewPrivileges === true,

    terminal: wantsTerminal(process),
    consoleSocketFd: options.consoleSocketFd ?? -1,
    consoleSize: wantsTerminal(process) ? planConsoleSize(process.consoleSize, 'process.consoleSize') : null,
    // Without a mount namespace of its own, /dev/console is the host's: runc binds over it even
    // then; husk leaves the host's alone.
    mountConsole: wantsTerminal(process) && hasMountNamespace,

    ...planSecurityAttributes(process, spec.linux, options.lsmProbe ?? defaultLsmProbe(), logDebug),
  };
  return { plan, idMaps };
}

/**
 * hostname and domainname change the UTS namespace the container is in, so it must be one of
 * its own (new or joined); runc: "unable to set hostname without a private UTS namespace".
 */
function checkUtsFields(spec: Spec, namespaces: NamespaceSetup): void {
  if (hasOwnNamespace(namespaces, CLONE_NEWUTS)) return;
  for (const field of ['hostname', 'domainname'] as const) {
    if (spec[field]) {
      throw new HuskError(`${field}: setting it needs a UTS namespace of the container's own; add {"type": "uts"} to linux.namespaces`);
    }
  }
}

/**
 * Without a mount namespace of its own the container shares husk's: a mount, a remount of "/"
 * read-only or a propagation change would happen on the host. runc performs them there (and
 * leaves them behind); husk refuses. runc refuses masked/readonly paths likewise ("unable to
 * restrict sys entries without a private MNT namespace").
 */
/** Without a new mount namespace nothing may be mounted; `why` completes each message. */
function checkNothingToMount(spec: Spec, why: string): void {
  if (spec.mounts?.length) throw new HuskError(`mounts: ${why}`);
  if (spec.linux?.maskedPaths?.length) throw new HuskError(`linux.maskedPaths: ${why}`);
  if (spec.linux?.readonlyPaths?.length) throw new HuskError(`linux.readonlyPaths: ${why}`);
  if (spec.root?.readonly) throw new HuskError(`root.readonly: ${why}`);
  if (spec.linux?.rootfsPropagation) throw new HuskError(`linux.rootfsPropagation: ${why}`);
}

/**
 * Fields husk validates but does not carry out yet. config.md "Valid values": runtimes MUST
 * generate an error for unsupported values rather than ignore them; config-linux.md "IntelRdt"
 * even asks for one when there is no resctrl. `husk features` reports the same (intelRdt and
 * netDevices disabled, no memoryPolicy).
 */
function checkUnimplemented(spec: Spec): void {
  const linux = spec.linux;
  if (linux?.intelRdt) throw new HuskError('linux.intelRdt: Intel RDT (resctrl) is not supported by husk; remove the field');
  if (linux?.netDevices && Object.keys(linux.netDevices).length > 0) {
    throw new HuskError('linux.netDevices: moving network devices into the container is not supported by husk yet; remove the field');
  }
  if (linux?.memoryPolicy) throw new HuskError('linux.memoryPolicy: NUMA memory policies are not supported by husk yet; remove the field');
}

function checkPreserveFds(preserveFds: number): void {
  if (!Number.isInteger(preserveFds) || preserveFds < 0) {
    throw new HuskError(`--preserve-fds: ${preserveFds} is not a number of file descriptors`);
  }
}

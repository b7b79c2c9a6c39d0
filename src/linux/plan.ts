// The LaunchPlan: everything the C addon needs to start a container init, fully resolved.
//
// TypeScript decides, C executes: every value here is already validated and translated to the
// numbers the kernel wants (mount flags, clone flags, rlimit resource numbers). addon/binding.cc
// copies this object into `struct husk_plan` (addon/plan.h) before clone3; the field names here
// and there are the contract between the two halves. Keep them in step.
import type { CapabilityPlan } from './capabilities';
import type { SchedulerPlan, SysctlWrite } from './process-attributes';
import type { SeccompPlan } from './seccomp';

/** A namespace the container joins by path. The addon opens `path` in the parent before clone. */
export interface NamespaceJoin {
  /** CLONE_NEW* constant of the namespace kind (e.g. 0x40000000 for network). */
  cloneFlag: number;
  /** Host path of the namespace file, e.g. /proc/1234/ns/net or /run/netns/x. */
  path: string;
}

/** Offsets of a new time namespace (linux.timeOffsets). */
export interface TimeOffsets {
  monotonicSecs: number;
  monotonicNanosecs: number;
  boottimeSecs: number;
  boottimeNanosecs: number;
}

/** One mount operation, in config order. Paths are container paths (absolute, inside rootfs). */
export interface MountOp {
  /** Host path for binds; the "device" argument of mount(2) otherwise (e.g. "proc", "tmpfs"). */
  source: string;
  /** Absolute path inside the container, resolved under rootfs without leaving it. */
  destination: string;
  /** Filesystem type; "" for binds. */
  fstype: string;
  /** mount(2) flags for the first mount call. Binds carry MS_BIND (| MS_REC for rbind). */
  flags: number;
  /** mount(2) data string (fs-specific options such as "mode=755,size=65536k"); "" for none. */
  data: string;
  /**
   * Flags for a second `MS_REMOUNT | MS_BIND | remountFlags` call, 0 for none. A bind mount
   * ignores ro/nosuid/nodev/noexec/atime flags on the first call, so they are applied here.
   */
  remountFlags: number;
  /** Propagation flags (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, each | MS_REC), applied in order. */
  propagation: number[];
  /** mount_setattr(2) attributes set recursively (rro, rnosuid, ...: MOUNT_ATTR_*), 0 for none. */
  recursiveAttrSet: number;
  /** mount_setattr(2) attributes cleared recursively (rrw, rsuid, ...), 0 for none. */
  recursiveAttrClear: number;
  /** What to create at the destination if missing: "dir" or "file" (binds of a regular file). */
  destinationKind: 'dir' | 'file';
  /** tmpcopyup (tmpfs only): copy what the destination held into the new tmpfs. */
  copyUp?: boolean;
}

/** A device node to create in the container's /dev (or bind from the host inside a user namespace). */
export interface DeviceNode {
  /** Absolute path inside the container, e.g. /dev/null. */
  path: string;
  /** st_mode: file type bits (S_IFCHR, S_IFBLK, S_IFIFO) | permission bits. */
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
  /** Host path to bind-mount instead of mknod (used inside a user namespace, where mknod fails). */
  bindFrom: string;
}

export interface Symlink {
  /** What the link points to, e.g. /proc/self/fd. */
  target: string;
  /** Absolute path of the link inside the container, e.g. /dev/fd. */
  path: string;
}

export interface Rlimit {
  /** RLIMIT_* number. */
  resource: number;
  /** Soft and hard limits as decimal strings so that 2^64-1 (RLIM_INFINITY) survives JS numbers. */
  soft: string;
  hard: string;
}

/** A hook the container side runs itself (createContainer, startContainer). */
export interface ChildHook {
  path: string;
  args: string[];
  env: string[];
  /** Seconds; 0 means no timeout. */
  timeout: number;
}

export interface LaunchPlan {
  // ---- namespaces ----
  /** CLONE_NEW* flags (excluding CLONE_NEWUSER) of namespaces created new. */
  newNamespaceFlags: number;
  /** Create a new user namespace; the parent writes its maps when the child asks. */
  newUserNamespace: boolean;
  /** Namespaces joined by path, in the order to join them (user first). */
  joins: NamespaceJoin[];
  /** Offsets for a new time namespace, or null. */
  timeOffsets: TimeOffsets | null;
  /** Directory fd of a cgroup v2 cgroup for CLONE_INTO_CGROUP, or -1. */
  cgroupFd: number;

  // ---- filesystem ----
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Propagation applied to "/" (recursively) in the new mount namespace before any mount. */
  rootfsPropagation: number;
  readonlyRoot: boolean;
  /**
   * 'new-namespace': mounts, devices and pivot_root in the container's new mount namespace;
   * 'chroot': no mount namespace of its own, only chroot into the rootfs (runc does the same);
   * 'joined': a mount namespace joined by path is set up already (runtime-spec), nothing is done.
   * Absent means 'new-namespace'.
   */
  rootfsSetup?: 'new-namespace' | 'chroot' | 'joined';
  /** --no-pivot: MS_MOVE + chroot instead of pivot_root. */
  noPivot: boolean;
  mounts: MountOp[];
  devices: DeviceNode[];
  symlinks: Symlink[];
  /** Paths masked over (issue: security). Files get /dev/null bound on them, dirs a read-only tmpfs. */
  maskedPaths: string[];
  readonlyPaths: string[];
  /** "" = leave unchanged. */
  hostname: string;
  domainname: string;

  // ---- process ----
  /** args[0] as given; the child resolves it through PATH inside the container before signalling ready. */
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** -1 = leave the inherited umask alone (runc: 0022 is the default it sets). */
  umask: number;
  rlimits: Rlimit[];
  /** fds 3 .. 3+preserveFds-1 stay open in the container. */
  preserveFds: number;
  /** Host path of the exec fifo: the init blocks reading it until `start` writes a byte. "" = no wait. */
  execFifo: string;
  /**
   * Host path of the result fifo: after start, the init writes "hook N", "hook-timeout N" or
   * "exec ERRNO" into it if a startContainer hook or the execve fails, so `start` can fail too.
   * Set by the lifecycle; absent or "" = none.
   */
  resultFifo?: string;
  /** Whether the init gets a new session (setsid). */
  newSession: boolean;

  createContainerHooks: ChildHook[];
  startContainerHooks: ChildHook[];

  // ---- privileges ----
  /** Capability sets to apply (after the user switch, with keep-caps across it); null leaves them as inherited. */
  capabilities: CapabilityPlan | null;
  /** prctl(PR_SET_NO_NEW_PRIVS) before execve. */
  noNewPrivileges: boolean;
  /**
   * Name of a new session keyring the init joins ("_ses.<id>", as runc names it), so the container
   * does not share the caller's keys; "" with --no-new-keyring. Set by the lifecycle (it knows the id).
   */
  sessionKeyring?: string;

  // ---- terminal (process.terminal; src/linux/terminal.ts, addon/console.c) ----
  /** Give the process a pty made inside the container: its slave becomes stdio and controlling terminal. */
  terminal: boolean;
  /**
   * fd (in husk) of a connected unix socket the pty master is sent to with SCM_RIGHTS: the
   * --console-socket connection, or husk's own socketpair for a foreground `run`. -1 for none.
   * Set by the lifecycle, which owns and closes it.
   */
  consoleSocketFd: number;
  /** process.consoleSize, set on the pty before the process starts; null leaves the kernel's 0x0. */
  consoleSize: ConsoleSize | null;
  /** Bind the pty slave onto /dev/console (the init, when it has a mount namespace of its own). */
  mountConsole: boolean;

  // ---- seccomp and kernel process attributes (src/linux/seccomp.ts, process-attributes.ts;
  //      addon/seccomp.c, addon/attributes.c). Absent means "none" / "leave it alone". ----
  /** linux.seccomp resolved; its BPF `program` is compiled by launchInit just before the spawn. */
  seccomp?: SeccompPlan | null;
  /** linux.sysctl: /proc/sys files the child writes after pivot_root, in config order. */
  sysctls?: SysctlWrite[];
  /** process.oomScoreAdj: husk writes it for the first stage, whose children inherit it. null: unchanged. */
  oomScoreAdj?: number | null;
  /** process.scheduler for sched_setattr(2), before the user switch. */
  scheduler?: SchedulerPlan | null;
  /** process.ioPriority as the ioprio_set(2) value; -1: unchanged. */
  ioPriority?: number;
  /** linux.personality as the personality(2) persona; -1: unchanged. */
  personality?: number;
  /** process.apparmorProfile, set as the exec profile; "" for none (refused when AppArmor is off). */
  apparmorProfile?: string;
  /** process.selinuxLabel, set as the exec context; "" for none (refused when SELinux is off). */
  selinuxLabel?: string;
}

/** Rows and columns of a terminal (runtime-spec process.consoleSize: height and width). */
export interface ConsoleSize {
  height: number;
  width: number;
}

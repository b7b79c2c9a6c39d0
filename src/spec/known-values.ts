// Value lists the config checks need in more than one place. Enumerations the JSON schema
// already holds (seccomp actions, scheduler policies, ...) are not repeated here.

/** Namespace types in the order config-linux.md lists them; used to order messages. */
export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;

/** setrlimit(2) resources, as named in config.md (process.rlimits[].type). */
export const RLIMIT_TYPES = [
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK',
] as const;

/** Clocks a time namespace can offset (time_namespaces(7)). */
export const TIME_NAMESPACE_CLOCKS = ['boottime', 'monotonic'] as const;

/** Seccomp actions that take an errno (config-linux.md: errnoRet / defaultErrnoRet). */
export const SECCOMP_ACTIONS_WITH_ERRNO = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'] as const;

/** Highest syscall argument index seccomp can inspect (a syscall has six arguments). */
export const SECCOMP_MAX_ARG_INDEX = 5;

/**
 * sysctls that are isolated by the IPC namespace (ipc_namespaces(7) and the fs.mqueue.* tree).
 * Every other sysctl outside net.* would change the host; runc rejects those, and so does husk.
 */
export const IPC_NAMESPACED_SYSCTLS = [
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
] as const;

/** Longest network interface name the kernel accepts (IFNAMSIZ - 1). */
export const MAX_NETDEV_NAME_LENGTH = 15;

/** Join values for a message: "a, b, c". */
export function listValues(values: readonly unknown[]): string {
  return values.map(String).join(', ');
}

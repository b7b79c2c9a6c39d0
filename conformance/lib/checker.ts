// The JSON the in-container checker (conformance/checker/checker.c) prints, and readers for it.
import type { RunResult } from '../../test/helpers/runtime';

export interface CheckerMount {
  id: number;
  parent: number;
  device: string;
  root: string;
  mountPoint: string;
  /** Per-mount options: rw/ro, nosuid, nodev, noexec, relatime, noatime, ... */
  options: string;
  /** shared:N, master:N, propagate_from:N, unbindable */
  optional: string[];
  fsType: string;
  source: string;
  /** Superblock options: rw/ro, sync, dirsync, lazytime, mode=, size=, ... */
  superOptions: string;
}

export interface CheckerStat {
  path?: string;
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
  target?: string;
  size?: number;
  errno?: string;
}

export interface CheckerReport {
  argv: string[];
  env: string[];
  pid: number;
  ppid: number;
  cwd: string | null;
  ids: { uid: number; euid: number; suid: number; fsuid: number; gid: number; egid: number; sgid: number; fsgid: number; groups: number[] };
  umask?: number;
  caps: { effective: string; permitted: string; inheritable: string; bounding: string; ambient: string };
  seccomp: { mode: number; filters: number };
  noNewPrivs: number;
  cpusAllowedList: string | null;
  rlimits: Record<string, { soft?: string; hard?: string; errno?: string }>;
  oomScoreAdj?: number;
  personality: number;
  hostname: string;
  domainname: string;
  machine: string;
  sched: { policy?: number; nice?: number; priority?: number; flags?: number; errno?: string };
  ioPriority: { class?: number; level?: number; errno?: string };
  memoryPolicy: { mode?: number; nodes?: number; errno?: string };
  affinity: number[];
  namespaces: Record<string, string>;
  uidMap: string | { errno: string };
  gidMap: string | { errno: string };
  setgroups: string | { errno: string };
  timensOffsets: string | { errno: string };
  cgroup: string[];
  cgroupValues: Record<string, string>;
  winsize: { rows?: number; cols?: number; errno?: string };
  fds: Record<string, string>;
  mounts: CheckerMount[];
  devices: CheckerStat[];
  files?: Record<string, string | { errno: string }>;
  sysctls?: Record<string, string | { errno: string }>;
  opens?: Record<string, string>;
  writes?: Record<string, string>;
  mkdirs?: Record<string, string>;
  execs?: Record<string, string>;
  stats?: Record<string, CheckerStat>;
  syscalls?: Record<string, { ret: number; errno?: string }>;
}

export class ReportError extends Error {}

/** The last JSON object line of the output (a runtime may print warnings on the same stream). */
export function parseReport(output: string, result?: RunResult): CheckerReport {
  const lines = output.split('\n').filter((line) => line.startsWith('{'));
  if (lines.length === 0) {
    const detail = result ? ` (runtime status ${result.status}, stderr ${JSON.stringify(result.stderr.slice(-300))})` : '';
    throw new ReportError(`the checker printed no report${detail}`);
  }
  return JSON.parse(lines[lines.length - 1]) as CheckerReport;
}

/** capability(7) numbers; the checker reports the sets as hex masks. */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** "00000000a80425fb" → sorted capability names. */
export function capabilityNames(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return names.sort();
}

export function sortedNames(names: readonly string[] | undefined): string[] {
  return [...new Set(names ?? [])].sort();
}

/** The mount visible at `mountPoint` (the last one mounted there, i.e. the top of the stack). */
export function mountAt(report: CheckerReport, mountPoint: string): CheckerMount | undefined {
  const matches = report.mounts.filter((mount) => mount.mountPoint === mountPoint);
  return matches[matches.length - 1];
}

export function mountsAt(report: CheckerReport, mountPoint: string): CheckerMount[] {
  return report.mounts.filter((mount) => mount.mountPoint === mountPoint);
}

export function optionList(mount: CheckerMount): string[] {
  return mount.options.split(',');
}

export function superOptionList(mount: CheckerMount): string[] {
  return mount.superOptions.split(',');
}

export function device(report: CheckerReport, devicePath: string): import('./checker').CheckerStat | undefined {
  return report.devices.find((entry) => entry.path === devicePath);
}

/** "0 100000 65536" lines of a uid_map/gid_map, whitespace-normalised. */
export function mapLines(map: string | { errno: string }): string[] {
  if (typeof map !== 'string') return [`(${map.errno})`];
  return map
    .split('\n')
    .map((line) => line.trim().split(/\s+/).join(' '))
    .filter((line) => line !== '');
}

export function fileText(entry: string | { errno: string } | undefined): string | undefined {
  return typeof entry === 'string' ? entry : undefined;
}

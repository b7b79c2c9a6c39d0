// Kernel attributes of the container process besides identity, capabilities and seccomp:
// linux.sysctl, process.oomScoreAdj, process.scheduler, process.ioPriority, linux.personality,
// and the LSM labels (process.apparmorProfile, process.selinuxLabel, linux.mountLabel).
// Pure: host facts come in through LsmProbe. The spec rules (src/spec/rules-*.ts) have already
// checked ranges and which sysctls are namespaced; this turns names into numbers.
import * as fs from 'fs';
import { HuskError } from '../errors';
import type { Linux, Process } from '../spec/types';
import type { LaunchPlan } from './plan';
import { planSeccomp } from './seccomp';

export interface SysctlWrite {
  /** "/proc/sys/net/ipv4/ip_forward": the child writes it after pivot_root. */
  path: string;
  value: string;
}

/**
 * linux.sysctl in config order. A key in the dotted form ("net.ipv4.ip_forward") maps dots to
 * slashes; a key with slashes ("net/ipv4/conf/eth0.1/forwarding") is taken as the path, which is
 * the only way to name an entry whose component has a dot in it (sysctl(8) does the same).
 */
export function planSysctls(sysctl: Linux['sysctl']): SysctlWrite[] {
  return Object.entries(sysctl ?? {}).map(([key, value]) => {
    const at = `linux.sysctl[${JSON.stringify(key)}]`;
    const relative = key.includes('/') ? key : key.replace(/\./g, '/');
    const parts = relative.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw new HuskError(`${at}: not a sysctl name (expected e.g. "net.ipv4.ip_forward")`);
    }
    if (typeof value !== 'string') throw new HuskError(`${at}: the value must be a string`);
    return { path: `/proc/sys/${relative}`, value };
  });
}

/** sched(7) policy numbers (linux/sched.h). SCHED_ISO is reserved and unimplemented in Linux. */
const SCHEDULER_POLICIES: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};

/** SCHED_FLAG_* (linux/sched.h). */
const SCHEDULER_FLAGS: Readonly<Record<string, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** The fields of struct sched_attr that sched_setattr(2) takes. */
export interface SchedulerPlan {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  /** Nanoseconds, decimal strings (uint64). */
  runtime: string;
  deadline: string;
  period: string;
}

export function planScheduler(scheduler: Process['scheduler']): SchedulerPlan | null {
  if (!scheduler) return null;
  const at = 'process.scheduler';
  const policy = SCHEDULER_POLICIES[scheduler.policy];
  if (policy === undefined) throw new HuskError(`${at}.policy: '${scheduler.policy}' is not a scheduler policy`);
  if (scheduler.policy === 'SCHED_ISO') {
    throw new HuskError(`${at}.policy: SCHED_ISO is not implemented by Linux (sched(7)); sched_setattr would fail with EINVAL`);
  }
  let flags = 0;
  (scheduler.flags ?? []).forEach((flag, i) => {
    const bit = SCHEDULER_FLAGS[flag];
    if (bit === undefined) throw new HuskError(`${at}.flags[${i}]: '${flag}' is not a scheduler flag`);
    flags |= bit;
  });
  return {
    policy,
    flags,
    nice: scheduler.nice ?? 0,
    priority: scheduler.priority ?? 0,
    runtime: String(scheduler.runtime ?? 0),
    deadline: String(scheduler.deadline ?? 0),
    period: String(scheduler.period ?? 0),
  };
}

/** IOPRIO_CLASS_* (linux/ioprio.h). */
const IO_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
};
const IOPRIO_CLASS_SHIFT = 13;

/** The ioprio_set(2) value (class << 13 | level), or -1 to leave the I/O priority alone. */
export function planIoPriority(ioPriority: Process['ioPriority']): number {
  if (!ioPriority) return -1;
  const at = 'process.ioPriority';
  const ioClass = IO_PRIORITY_CLASSES[ioPriority.class];
  if (ioClass === undefined) throw new HuskError(`${at}.class: '${ioPriority.class}' is not an I/O priority class (${Object.keys(IO_PRIORITY_CLASSES).join(', ')})`);
  if (!Number.isInteger(ioPriority.priority) || ioPriority.priority < 0 || ioPriority.priority > 7) {
    throw new HuskError(`${at}.priority: expected 0 (highest) to 7 (lowest), got ${ioPriority.priority}`);
  }
  return (ioClass << IOPRIO_CLASS_SHIFT) | ioPriority.priority;
}

/** personality(2) personas (linux/personality.h) for the domains config-linux.md names. */
const PERSONALITY_DOMAINS: Readonly<Record<string, number>> = {
  LINUX: 0x0000,
  LINUX32: 0x0008,
};

/** The persona to set, or -1 to leave it alone. */
export function planPersonality(personality: Linux['personality']): number {
  if (!personality) return -1;
  const persona = PERSONALITY_DOMAINS[personality.domain];
  if (persona === undefined) throw new HuskError(`linux.personality.domain: '${personality.domain}' is not a personality domain (LINUX, LINUX32)`);
  // config-linux.md: "Currently no flag values are supported."
  if (personality.flags && personality.flags.length > 0) {
    throw new HuskError(`linux.personality.flags: runtime-spec defines no personality flags, got '${personality.flags[0]}'`);
  }
  return persona;
}

/** null to leave oom_score_adj alone (config.md: "If oomScoreAdj is not set, the runtime MUST NOT change it"). */
export function planOomScoreAdj(value: Process['oomScoreAdj']): number | null {
  if (value === undefined) return null;
  if (!Number.isInteger(value) || value < -1000 || value > 1000) {
    throw new HuskError(`process.oomScoreAdj: expected an integer from -1000 to 1000, got ${value}`);
  }
  return value;
}

/** Which Linux security modules this host has enabled. */
export interface LsmProbe {
  apparmorEnabled(): boolean;
  selinuxEnabled(): boolean;
}

export function defaultLsmProbe(): LsmProbe {
  return {
    // runc's test (apparmor.IsEnabled): the module parameter says Y.
    apparmorEnabled: () => readText('/sys/module/apparmor/parameters/enabled').trim() === 'Y',
    // selinuxfs mounted (go-selinux looks for it the same way).
    selinuxEnabled: () => fs.existsSync('/sys/fs/selinux/enforce'),
  };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface LsmLabels {
  /** process.apparmorProfile, "" for none: the child asks for it on exec. */
  apparmorProfile: string;
  /** process.selinuxLabel, "" for none: the child sets it as its exec context. */
  selinuxLabel: string;
}

/**
 * A label for an LSM the host does not run cannot be applied, and pretending would leave the
 * container less confined than its config says: a clear error instead (runc refuses an SELinux
 * label without SELinux the same way). linux.mountLabel needs the mounts to carry a context=
 * option, which husk does not add yet: refused on SELinux hosts too, rather than ignored.
 */
export function planLsmLabels(process: Process, linux: Linux | undefined, probe: LsmProbe): LsmLabels {
  const apparmorProfile = process.apparmorProfile ?? '';
  const selinuxLabel = process.selinuxLabel ?? '';
  const mountLabel = linux?.mountLabel ?? '';
  if (apparmorProfile && !probe.apparmorEnabled()) {
    throw new HuskError(`process.apparmorProfile: AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y), so profile '${apparmorProfile}' cannot be applied; remove the field or enable AppArmor`);
  }
  if ((selinuxLabel || mountLabel) && !probe.selinuxEnabled()) {
    const field = selinuxLabel ? 'process.selinuxLabel' : 'linux.mountLabel';
    throw new HuskError(`${field}: SELinux is not enabled on this host (no /sys/fs/selinux), so the label cannot be applied; remove the field or enable SELinux`);
  }
  if (mountLabel) {
    throw new HuskError('linux.mountLabel: SELinux mount labels are not supported by husk yet; remove the field');
  }
  return { apparmorProfile, selinuxLabel };
}

/**
 * "0-3,7" → the CPU numbers, for sched_setaffinity masks (process.execCPUAffinity). The spec
 * rules have checked the syntax already.
 */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [first, last] = part.split('-').map((n) => Number(n));
    for (let cpu = first; cpu <= (last ?? first); cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * The LaunchPlan fields of this module and of seccomp.ts, for build-plan.ts. Only what the
 * config asks for is present: an absent field means "none" / "leave it alone" to the addon.
 */
export function planSecurityAttributes(
  process: Process,
  linux: Linux | undefined,
  lsm: LsmProbe,
  debug: (message: string) => void,
): Pick<LaunchPlan, 'seccomp' | 'sysctls' | 'oomScoreAdj' | 'scheduler' | 'ioPriority' | 'personality' | 'apparmorProfile' | 'selinuxLabel'> {
  const fields: ReturnType<typeof planSecurityAttributes> = {};
  const seccomp = planSeccomp(linux?.seccomp, { noNewPrivileges: process.noNewPrivileges === true, debug });
  if (seccomp) fields.seccomp = seccomp;
  const sysctls = planSysctls(linux?.sysctl);
  if (sysctls.length > 0) fields.sysctls = sysctls;
  const oomScoreAdj = planOomScoreAdj(process.oomScoreAdj);
  if (oomScoreAdj !== null) fields.oomScoreAdj = oomScoreAdj;
  const scheduler = planScheduler(process.scheduler);
  if (scheduler) fields.scheduler = scheduler;
  const ioPriority = planIoPriority(process.ioPriority);
  if (ioPriority >= 0) fields.ioPriority = ioPriority;
  const personality = planPersonality(linux?.personality);
  if (personality >= 0) fields.personality = personality;
  const labels = planLsmLabels(process, linux, lsm);
  if (labels.apparmorProfile) fields.apparmorProfile = labels.apparmorProfile;
  if (labels.selinuxLabel) fields.selinuxLabel = labels.selinuxLabel;
  return fields;
}

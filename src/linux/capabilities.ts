// process.capabilities → bitmasks for capset(2). Names are the kernel's (capability.h); a name
// this table lacks, or one newer than the running kernel, is skipped with a warning (the
// runtime-spec asks for a warning; runc does the same, so a config written for a newer kernel
// still runs).
import * as fs from 'fs';
import { HuskError } from '../errors';
import type { Capabilities } from '../spec/types';
import { didYouMean } from './suggest';

export const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
};

/** Bitmasks as decimal strings (bits above 31 must survive the trip to C intact). */
export interface CapabilityPlan {
  bounding: string;
  effective: string;
  permitted: string;
  inheritable: string;
  ambient: string;
  lastCap: number;
}

export function readLastCap(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return 40;
  }
}

const SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

/** null when the config has no process.capabilities: the process keeps what it has (runc). */
export function planCapabilities(
  caps: Capabilities | undefined,
  lastCap: number,
  warn: (message: string) => void,
): CapabilityPlan | null {
  if (!caps) return null;
  const plan = { lastCap } as CapabilityPlan;
  for (const set of SETS) {
    let mask = 0n;
    (caps[set] ?? []).forEach((name, index) => {
      const where = `process.capabilities.${set}[${index}]`;
      const bit = CAPABILITY_NUMBERS[name.toUpperCase()];
      // config.md "Linux Process": a value that cannot be mapped to a kernel interface MUST be
      // logged as a warning, and a warning does not change the flow (runtime.md "Warnings"); runc
      // warns and goes on too. The warning still points at a likely typo.
      if (bit === undefined) {
        warn(`${where}: '${name}' is not a capability${didYouMean(name.toUpperCase(), Object.keys(CAPABILITY_NUMBERS))}; skipped`);
        return;
      }
      if (bit > lastCap) {
        warn(`${where}: ${name} is not known to this kernel; skipped`);
        return;
      }
      mask |= 1n << BigInt(bit);
    });
    plan[set] = mask.toString();
  }
  checkEffectiveWithinPermitted(caps, BigInt(plan.permitted), lastCap);
  return plan;
}

/**
 * capset(2) refuses an effective capability that is not permitted (EPERM, which is all the init
 * could report, naming no field); runc fails the same way. Say which one, before any process.
 */
function checkEffectiveWithinPermitted(caps: Capabilities, permitted: bigint, lastCap: number): void {
  (caps.effective ?? []).forEach((name, index) => {
    const bit = CAPABILITY_NUMBERS[name.toUpperCase()];
    if (bit === undefined || bit > lastCap || (permitted & (1n << BigInt(bit))) !== 0n) return;
    throw new HuskError(
      `process.capabilities.effective[${index}]: ${name} is not in process.capabilities.permitted (the kernel allows only permitted capabilities to be effective)`,
    );
  });
}

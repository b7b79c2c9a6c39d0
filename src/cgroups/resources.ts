// linux.resources → the cgroupfs writes that implement them, as pure data (so they are testable
// without any filesystem). Only pids.limit, memory.limit and cpu shares/quota/period are supported
// so far; anything else set in the config is refused with a sentence naming the field, rather
// than silently running the container without the limit it asked for.
import { HuskError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { logWarn } from '../log';

/** One write: `value` into `file` of the container's cgroup (in `controller`'s hierarchy on v1). */
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
}

/** cgroup v2 has no hierarchy per controller; CgroupWrite.controller then only explains the file. */
export type CgroupVersion = 1 | 2;

/**
 * Fields this version of husk does not apply, as config paths ("linux.resources.memory.swap").
 * `devices` is not listed: device rules are a separate step (Cgroup.applyDeviceRules), because
 * the runtime must add its default device allowlist to them first.
 */
export function unsupportedResourceFields(resources: Resources): string[] {
  const unsupported: string[] = [];
  const note = (field: string): void => {
    unsupported.push(`linux.resources.${field}`);
  };
  for (const [key, value] of Object.entries(resources) as Array<[keyof Resources, unknown]>) {
    if (!isSet(value) || key === 'devices') continue;
    if (key === 'pids') continue;
    if (key === 'memory') {
      for (const [field, fieldValue] of Object.entries(value as object)) {
        if (!isSet(fieldValue) || SUPPORTED_MEMORY_FIELDS.has(field) || IGNORED_MEMORY_FIELDS.has(field)) continue;
        note(`memory.${field}`);
      }
      continue;
    }
    if (key === 'cpu') {
      for (const [field, fieldValue] of Object.entries(value as object)) {
        if (!isSet(fieldValue) || SUPPORTED_CPU_FIELDS.has(field)) continue;
        note(`cpu.${field}`);
      }
      continue;
    }
    note(key);
  }
  return unsupported;
}

const SUPPORTED_MEMORY_FIELDS = new Set(['limit']);
// runc ignores kernel memory limits with a warning (the kernel dropped them), and
// checkBeforeUpdate only matters to `update`.
const IGNORED_MEMORY_FIELDS = new Set(['kernel', 'kernelTCP', 'checkBeforeUpdate']);
const SUPPORTED_CPU_FIELDS = new Set(['shares', 'quota', 'period']);

/** Unset in the JSON sense: absent, null, an empty list or an empty object. */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value as object).some(isSet);
  return true;
}

/** Throws HuskError naming every unsupported field that is set. */
export function assertResourcesSupported(resources: Resources): void {
  const unsupported = unsupportedResourceFields(resources);
  if (unsupported.length === 1) throw new HuskError(`${unsupported[0]} is not supported yet`);
  if (unsupported.length > 1) throw new HuskError(`${unsupported.join(', ')} are not supported yet`);
  const memory = resources.memory;
  if (memory && (isSet(memory.kernel) || isSet(memory.kernelTCP))) {
    logWarn('linux.resources.memory.kernel and kernelTCP are ignored: kernel memory limits no longer exist');
  }
}

/**
 * cpu.shares (v1, 2..262144) → cpu.weight (v2, 1..10000). runc used the linear map
 * 1 + (shares-2)*9999/262142 until 2025, which sent the default 1024 shares to weight 39 instead
 * of the v2 default 100. Current runc and crun (runc PR #4785, crun issue #1721) use a quadratic
 * curve in log2(shares) through (2, 1), (1024, 100) and (262144, 10000); we use the same, so a
 * config means the same thing under either runtime. 0 means unset.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/** pids.max value: a positive limit, or "max" for 0/negative (runc: -1 means unlimited). */
function pidsMax(limit: number): string {
  return limit > 0 ? String(Math.trunc(limit)) : 'max';
}

/** The writes for cgroup v1, in the order to make them. Call assertResourcesSupported first. */
export function v1ResourceWrites(resources: Resources): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (resources.pids?.limit !== undefined && resources.pids.limit !== null) {
    writes.push({ controller: 'pids', file: 'pids.max', value: pidsMax(resources.pids.limit) });
  }
  const memoryLimit = resources.memory?.limit;
  if (isSet(memoryLimit) && memoryLimit !== 0) {
    writes.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(memoryLimit) });
  }
  const cpu = resources.cpu;
  if (cpu?.shares) writes.push({ controller: 'cpu', file: 'cpu.shares', value: String(cpu.shares) });
  // Period before quota: the kernel checks quota against the period in force.
  if (cpu?.period) writes.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(cpu.period) });
  if (cpu?.quota) writes.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(cpu.quota) });
  return writes;
}

/** The writes for cgroup v2, in the order to make them. Call assertResourcesSupported first. */
export function v2ResourceWrites(resources: Resources): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (resources.pids?.limit !== undefined && resources.pids.limit !== null) {
    writes.push({ controller: 'pids', file: 'pids.max', value: pidsMax(resources.pids.limit) });
  }
  const memoryLimit = resources.memory?.limit;
  if (isSet(memoryLimit) && memoryLimit !== 0) {
    writes.push({ controller: 'memory', file: 'memory.max', value: memoryLimit === -1 ? 'max' : String(memoryLimit) });
  }
  const cpu = resources.cpu;
  if (cpu?.shares) writes.push({ controller: 'cpu', file: 'cpu.weight', value: String(cpuSharesToWeight(cpu.shares)) });
  if (cpu?.quota || cpu?.period) {
    // cpu.max is "$QUOTA $PERIOD"; "max" is no quota; leaving the period out keeps the current one.
    const quota = cpu.quota && cpu.quota > 0 ? String(cpu.quota) : 'max';
    writes.push({ controller: 'cpu', file: 'cpu.max', value: cpu.period ? `${quota} ${cpu.period}` : quota });
  }
  return writes;
}

/** A device rule as the v1 devices controller wants it: "c 1:3 rwm" ('*' for any). */
export function v1DeviceRuleLine(rule: DeviceCgroupRule): string {
  const number = (n: number | undefined): string => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${rule.type || 'a'} ${number(rule.major)}:${number(rule.minor)} ${rule.access || 'rwm'}`;
}

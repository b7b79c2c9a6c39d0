// `husk update`: what a change to linux.resources means given what is already applied.
//
// runc's update copies a fixed set of fields into the container's stored config and re-applies
// all of it; fields not given become 0, which means "leave as is" for the cgroup writes, but the
// stored config forgets them. husk keeps what it applied (CgroupRecord.resources) and overlays the
// change on it, so a later update (or a reader of the state) sees every limit in force.
//
// Two pairs must be written together, because one value is only meaningful with the other:
//  * memory.limit and memory.swap: on v2, memory.swap.max = swap - limit (the spec's swap is
//    memory+swap), so changing either needs the other's current value; on v1 the kernel checks
//    memsw >= limit.
//  * cpu.quota and cpu.period: v2 has one file, cpu.max "QUOTA PERIOD". runc's update keeps the
//    old value of the one not given, and so does husk.
//
// Lists replace what was there, except the per-device ones below. `devices` is an ordered rule
// list: a new one replaces the config's rules (husk's runtime rules stay after it; see
// CgroupBase.updateResources). runc's update ignores devices.
import type { Resources } from '../spec/types';

type AnyObject = Record<string, unknown>;

/**
 * Fields where 0 means "not set" (runc's update flags default to 0 and leave such limits alone).
 * Elsewhere 0 is a value: swappiness 0, cpu.idle 0, burst 0, rdma 0, classID 0.
 */
const ZERO_MEANS_UNCHANGED = new Set([
  'memory.limit', 'memory.reservation', 'memory.swap', 'memory.kernel', 'memory.kernelTCP',
  'cpu.shares', 'cpu.quota', 'cpu.period', 'cpu.realtimeRuntime', 'cpu.realtimePeriod',
  'pids.limit', 'blockIO.weight', 'blockIO.leafWeight',
]);

/** List fields whose entries are merged by identity (a new limit for one device keeps the others). */
const KEYED_LISTS: Record<string, (entry: AnyObject) => string> = {
  'blockIO.weightDevice': (e) => `${e.major}:${e.minor}`,
  'blockIO.throttleReadBpsDevice': (e) => `${e.major}:${e.minor}`,
  'blockIO.throttleWriteBpsDevice': (e) => `${e.major}:${e.minor}`,
  'blockIO.throttleReadIOPSDevice': (e) => `${e.major}:${e.minor}`,
  'blockIO.throttleWriteIOPSDevice': (e) => `${e.major}:${e.minor}`,
  'network.priorities': (e) => String(e.name),
  hugepageLimits: (e) => String(e.pageSize),
};

function isObject(value: unknown): value is AnyObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeList(field: string, base: unknown, change: unknown[]): unknown[] {
  const keyOf = KEYED_LISTS[field];
  if (!keyOf || !Array.isArray(base)) return change;
  const merged = new Map<string, unknown>();
  for (const entry of base) if (isObject(entry)) merged.set(keyOf(entry), entry);
  for (const entry of change) if (isObject(entry)) merged.set(keyOf(entry), entry);
  return [...merged.values()];
}

function mergeAt(prefix: string, base: unknown, change: AnyObject): AnyObject {
  const result: AnyObject = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(change)) {
    const field = prefix ? `${prefix}.${key}` : key;
    if (value === undefined || value === null) continue;
    if (value === 0 && ZERO_MEANS_UNCHANGED.has(field)) continue;
    if (Array.isArray(value)) result[key] = mergeList(field, result[key], value);
    else if (isObject(value)) result[key] = mergeAt(field, result[key], value);
    else result[key] = value;
  }
  return result;
}

/** What is in force after `change` is applied on top of `base`. */
export function mergeResources(base: Resources | undefined, change: Resources): Resources {
  return mergeAt('', base ?? {}, change as AnyObject) as Resources;
}

/**
 * runc's fix-up: `update --memory -1` without --memory-swap also lifts memory+swap (otherwise the
 * old swap limit would sit below an unlimited memory limit, which neither version allows).
 */
export function normalizeChange(change: Resources): Resources {
  const memory = change.memory;
  if (memory?.limit === -1 && (memory.swap === undefined || memory.swap === null || memory.swap === 0)) {
    return { ...change, memory: { ...memory, swap: -1 } };
  }
  return change;
}

/** The resources to write for `change`: the change, plus the partner of each pair it touches. */
export function resourcesToApply(merged: Resources, change: Resources): Resources {
  const toApply: Resources = { ...change };
  const touches = (value: number | undefined | null): boolean => value !== undefined && value !== null && value !== 0;
  if (change.memory && (touches(change.memory.limit) || touches(change.memory.swap))) {
    toApply.memory = { ...change.memory, limit: merged.memory?.limit, swap: merged.memory?.swap };
  }
  if (change.cpu && (touches(change.cpu.quota) || touches(change.cpu.period))) {
    toApply.cpu = { ...change.cpu, quota: merged.cpu?.quota, period: merged.cpu?.period };
  }
  return toApply;
}

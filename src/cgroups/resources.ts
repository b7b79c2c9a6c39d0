// linux.resources → the cgroupfs writes that implement them, as pure data (testable without any
// filesystem). Two translations, one per cgroup version, each following what runc does
// (libcontainer/cgroups/fs for v1, fs2 for v2) and saying so where a choice was made.
//
// What is NOT here: checking the values (resource-values.ts, called first), the order in which the
// kernel accepts interdependent writes, and the choice between alternative files that only the
// host can make (write-engine.ts). A field one cgroup version cannot express at all is refused
// here with a sentence naming it; a field the host lacks a controller or file for is refused when
// the write finds no file. Nothing is skipped silently.
import * as fs from 'fs';
import { HuskError } from '../errors';
import type { DeviceCgroupRule, Resources, ThrottleDevice } from '../spec/types';
import { logWarn } from '../log';
import { FIELD_PREFIX, isSwappinessUnset } from './resource-values';

/** One write: `value` into `file` of the container's cgroup (in `controller`'s hierarchy on v1). */
export interface CgroupWrite {
  /** v1: the controller whose hierarchy holds the file; v2: the controller providing the file. */
  controller: string;
  file: string;
  value: string;
  /** The linux.resources field this write implements, without the prefix ("memory.limit"). */
  field: string;
  /** Written instead when `file` does not exist (e.g. blkio.weight → blkio.bfq.weight). */
  fallback?: { file: string; value: string };
  /** A missing file is not an error (runc: swap limits without swap accounting, hugetlb rsvd). */
  optional?: boolean;
}

/** What the translation needs to know about the host; tests pass their own. */
export interface ResourceHostFacts {
  /** Huge page sizes the kernel offers, in the spec's notation ("2MB", "1GB"). */
  hugePageSizes(): string[];
}

export const systemHostFacts: ResourceHostFacts = {
  hugePageSizes: () => hugePageSizesFrom('/sys/kernel/mm/hugepages'),
};

/** /sys/kernel/mm/hugepages/hugepages-2048kB → "2MB" (runc's notation: binary units, KB/MB/GB). */
export function hugePageSizesFrom(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const sizes: string[] = [];
  for (const name of names) {
    const match = /^hugepages-(\d+)kB$/.exec(name);
    if (match) sizes.push(formatPageSize(Number(match[1]) * 1024));
  }
  return sizes;
}

function formatPageSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value}${units[unit]}`;
}

/**
 * A JSON number as cgroupfs wants it. Limits near 2^63 arrive as doubles (JSON.parse cannot do
 * better); BigInt prints them as plain digits instead of "9.2e18".
 */
export function decimal(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(Math.trunc(value)).toString();
}

/** Set in the JSON sense: not absent and not null. */
function given<T>(value: T | undefined | null): value is T {
  return value !== undefined && value !== null;
}

/** Set and not 0: for the fields where runc (and the spec's zero values) read 0 as "not set". */
function nonZero(value: number | undefined | null): value is number {
  return given(value) && value !== 0;
}

function hasEntries(value: unknown): boolean {
  if (!given(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

function refuse(field: string, why: string): never {
  throw new HuskError(`${FIELD_PREFIX}${field} ${why}`);
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

/** blkio weight (10..1000) → io.weight (1..10000), runc's linear map (cgroups.ConvertBlkIOToIOWeightValue). */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight <= 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * memory.swap in the spec is the v1 "memory+swap" limit; cgroup v2's memory.swap.max counts swap
 * alone. runc's conversion (cgroups.ConvertMemorySwapToCgroupV2Value): swap - limit, with -1 as
 * "max", 0 as "unset", and an unlimited memory with no swap given meaning unlimited swap too.
 * Returns undefined for "do not write".
 */
export function memorySwapToV2(swap: number, limit: number): string | undefined {
  if (limit === -1 && swap === 0) return 'max';
  if (swap === -1) return 'max';
  if (swap === 0) return undefined;
  if (limit === 0 || limit === -1) {
    refuse('memory.swap', `(${decimal(swap)}) needs a memory.limit: on cgroup v2 the swap allowance is memory.swap minus memory.limit`);
  }
  if (swap < limit) {
    refuse('memory.swap', `(${decimal(swap)}, memory plus swap) is less than memory.limit (${decimal(limit)})`);
  }
  return decimal(swap - limit);
}

/** pids.max: a positive limit, "max" for -1; 0 is "not set" (runc). */
function pidsMaxValue(limit: number): string {
  return limit > 0 ? decimal(limit) : 'max';
}

/** Huge page size as written in the spec, checked against what the kernel offers. */
function checkedPageSize(pageSize: string, index: number, host: ResourceHostFacts): string {
  const offered = host.hugePageSizes();
  if (!offered.includes(pageSize)) {
    const choice = offered.length > 0 ? `this host offers ${offered.join(', ')}` : 'this host offers no huge pages';
    refuse(`hugepageLimits[${index}].pageSize`, `'${pageSize}' is not a huge page size of this kernel (${choice})`);
  }
  return pageSize;
}

const THROTTLE_LISTS: Array<[keyof NonNullable<Resources['blockIO']>, string, string]> = [
  // [spec field, v1 file, v2 io.max key]
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
];

function warnIgnoredKernelMemory(resources: Resources, version: 1 | 2): void {
  const memory = resources.memory;
  if (nonZero(memory?.kernel)) {
    // runc too: the kernel stopped enforcing kmem limits (Linux 5.16 made the file a no-op; this
    // host's kernel accepts the write and keeps "unlimited").
    logWarn('linux.resources.memory.kernel is ignored: kernel memory limits no longer exist in Linux');
  }
  if (version === 2 && nonZero(memory?.kernelTCP)) {
    logWarn('linux.resources.memory.kernelTCP is ignored on cgroup v2: TCP buffer memory is part of memory.max there');
  }
}

/**
 * The writes for cgroup v1, in runc's order (cpuset, memory, cpu, pids, blkio, hugetlb, net_cls,
 * net_prio, rdma). Call checkResourceValues first. Devices are a separate step
 * (Cgroup.applyDeviceRules), because the runtime's default allowlist must be added to them.
 */
export function v1ResourceWrites(resources: Resources, host: ResourceHostFacts = systemHostFacts): CgroupWrite[] {
  if (hasEntries(resources.unified)) {
    // runc: "invalid configuration: cannot use unified on cgroup v1".
    refuse('unified', 'names cgroup v2 files, but this host keeps its controllers in cgroup v1 hierarchies');
  }
  warnIgnoredKernelMemory(resources, 1);
  const writes: CgroupWrite[] = [];
  const add = (controller: string, field: string, file: string, value: string, extra: Partial<CgroupWrite> = {}): void => {
    writes.push({ controller, field, file, value, ...extra });
  };

  const cpu = resources.cpu;
  if (given(cpu?.cpus) && cpu.cpus !== '') add('cpuset', 'cpu.cpus', 'cpuset.cpus', cpu.cpus);
  if (given(cpu?.mems) && cpu.mems !== '') add('cpuset', 'cpu.mems', 'cpuset.mems', cpu.mems);

  const memory = resources.memory;
  if (memory) {
    // The kernel keeps memsw >= limit at every moment, so which of the two goes first depends
    // on the old values; the write engine retries the refused one after the other.
    if (nonZero(memory.limit)) add('memory', 'memory.limit', 'memory.limit_in_bytes', decimal(memory.limit));
    if (nonZero(memory.swap)) {
      add('memory', 'memory.swap', 'memory.memsw.limit_in_bytes', decimal(memory.swap));
    } else if (memory.limit === -1) {
      // runc: unlimited memory with no swap given means unlimited memory+swap too, where the
      // kernel has swap accounting (the file exists).
      add('memory', 'memory.limit', 'memory.memsw.limit_in_bytes', '-1', { optional: true });
    }
    if (nonZero(memory.reservation)) add('memory', 'memory.reservation', 'memory.soft_limit_in_bytes', decimal(memory.reservation));
    // runc ignores kernelTCP; the v1 kernel still enforces it (this host: the file holds what is
    // written), so husk applies it, as crun does.
    if (nonZero(memory.kernelTCP)) add('memory', 'memory.kernelTCP', 'memory.kmem.tcp.limit_in_bytes', decimal(memory.kernelTCP));
    if (given(memory.swappiness) && !isSwappinessUnset(memory.swappiness)) {
      add('memory', 'memory.swappiness', 'memory.swappiness', decimal(memory.swappiness));
    }
    // runc writes only "1"; writing "0" for an explicit false lets `update` turn the killer back on.
    if (given(memory.disableOOMKiller)) add('memory', 'memory.disableOOMKiller', 'memory.oom_control', memory.disableOOMKiller ? '1' : '0');
    // Since Linux 5.x use_hierarchy is always 1 and refuses 0; the write makes the kernel say so.
    if (given(memory.useHierarchy)) add('memory', 'memory.useHierarchy', 'memory.use_hierarchy', memory.useHierarchy ? '1' : '0');
  }

  if (cpu) {
    // An idle group (cpu.idle 1) has no weight of its own: the kernel refuses shares for it.
    if (nonZero(cpu.shares) && cpu.idle !== 1) add('cpu', 'cpu.shares', 'cpu.shares', decimal(cpu.shares));
    // period, quota and burst are checked against each other and the parent's as each is
    // written; the write engine retries whichever the kernel refuses after the others (runc:
    // period first, then quota, then burst, retrying period/burst after quota on EINVAL).
    if (nonZero(cpu.period)) add('cpu', 'cpu.period', 'cpu.cfs_period_us', decimal(cpu.period));
    if (nonZero(cpu.quota)) add('cpu', 'cpu.quota', 'cpu.cfs_quota_us', decimal(cpu.quota));
    if (given(cpu.burst)) add('cpu', 'cpu.burst', 'cpu.cfs_burst_us', decimal(cpu.burst));
    if (given(cpu.idle)) add('cpu', 'cpu.idle', 'cpu.idle', decimal(cpu.idle));
    // Real-time bandwidth: runc writes these before the process joins (a SCHED_RR task cannot
    // join a group without rt runtime); applyResources runs before the init exists.
    if (nonZero(cpu.realtimePeriod)) add('cpu', 'cpu.realtimePeriod', 'cpu.rt_period_us', decimal(cpu.realtimePeriod));
    if (nonZero(cpu.realtimeRuntime)) add('cpu', 'cpu.realtimeRuntime', 'cpu.rt_runtime_us', decimal(cpu.realtimeRuntime));
  }

  if (nonZero(resources.pids?.limit)) add('pids', 'pids.limit', 'pids.max', pidsMaxValue(resources.pids.limit));

  const blockIO = resources.blockIO;
  if (blockIO) {
    // CFQ's blkio.weight is gone since Linux 5.0; BFQ offers blkio.bfq.weight (runc's fallback).
    if (nonZero(blockIO.weight)) {
      add('blkio', 'blockIO.weight', 'blkio.weight', decimal(blockIO.weight), {
        fallback: { file: 'blkio.bfq.weight', value: decimal(blockIO.weight) },
      });
    }
    if (nonZero(blockIO.leafWeight)) add('blkio', 'blockIO.leafWeight', 'blkio.leaf_weight', decimal(blockIO.leafWeight));
    (blockIO.weightDevice ?? []).forEach((device, index) => {
      const id = `${device.major}:${device.minor}`;
      if (nonZero(device.weight)) {
        const line = `${id} ${decimal(device.weight)}`;
        add('blkio', `blockIO.weightDevice[${index}].weight`, 'blkio.weight_device', line, {
          fallback: { file: 'blkio.bfq.weight_device', value: line },
        });
      }
      if (nonZero(device.leafWeight)) {
        add('blkio', `blockIO.weightDevice[${index}].leafWeight`, 'blkio.leaf_weight_device', `${id} ${decimal(device.leafWeight)}`);
      }
    });
    for (const [field, file] of THROTTLE_LISTS) {
      ((blockIO[field] ?? []) as ThrottleDevice[]).forEach((device, index) => {
        // v1: rate 0 removes the device's limit.
        add('blkio', `blockIO.${field}[${index}]`, file, `${device.major}:${device.minor} ${decimal(device.rate)}`);
      });
    }
  }

  (resources.hugepageLimits ?? []).forEach((limit, index) => {
    const size = checkedPageSize(limit.pageSize, index, host);
    const value = decimal(limit.limit);
    add('hugetlb', `hugepageLimits[${index}]`, `hugetlb.${size}.limit_in_bytes`, value);
    // runc sets the reservation limit to the same value where the kernel has one (5.7+).
    add('hugetlb', `hugepageLimits[${index}]`, `hugetlb.${size}.rsvd.limit_in_bytes`, value, { optional: true });
  });

  const network = resources.network;
  // runc writes the class id only when it is not 0 (0 is "no class", the kernel's default).
  if (nonZero(network?.classID)) add('net_cls', 'network.classID', 'net_cls.classid', decimal(network.classID));
  (network?.priorities ?? []).forEach((entry, index) => {
    add('net_prio', `network.priorities[${index}]`, 'net_prio.ifpriomap', `${entry.name} ${decimal(entry.priority)}`);
  });

  for (const write of rdmaWrites(resources)) writes.push(write);
  return writes;
}

/** rdma.max lines: "mlx5_1 hca_handle=3 hca_object=max" (same syntax on v1 and v2). */
function rdmaWrites(resources: Resources): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  for (const [device, limits] of Object.entries(resources.rdma ?? {})) {
    const parts = [device];
    if (given(limits.hcaHandles)) parts.push(`hca_handle=${decimal(limits.hcaHandles)}`);
    if (given(limits.hcaObjects)) parts.push(`hca_object=${decimal(limits.hcaObjects)}`);
    if (parts.length > 1) writes.push({ controller: 'rdma', field: `rdma.${device}`, file: 'rdma.max', value: parts.join(' ') });
  }
  return writes;
}

/** "max" for -1 (v1's "unlimited"), the number otherwise (runc numToStr). */
function v2Limit(value: number): string {
  return value === -1 ? 'max' : decimal(value);
}

/**
 * The writes for cgroup v2 (runc's fs2 order: pids, memory, io, cpu, cpuset, hugetlb, rdma, then
 * unified, which therefore wins over the structured fields). Call checkResourceValues first.
 * Fields cgroup v2 has no equivalent for are refused, naming the field.
 */
export function v2ResourceWrites(resources: Resources, host: ResourceHostFacts = systemHostFacts): CgroupWrite[] {
  refuseV1OnlyFields(resources);
  warnIgnoredKernelMemory(resources, 2);
  const writes: CgroupWrite[] = [];
  const add = (controller: string, field: string, file: string, value: string, extra: Partial<CgroupWrite> = {}): void => {
    writes.push({ controller, field, file, value, ...extra });
  };

  if (nonZero(resources.pids?.limit)) add('pids', 'pids.limit', 'pids.max', pidsMaxValue(resources.pids.limit));

  const memory = resources.memory;
  if (memory) {
    const limit = memory.limit ?? 0;
    const swap = memorySwapToV2(memory.swap ?? 0, limit);
    if (swap !== undefined) {
      // runc: without swap accounting (no memory.swap.max), "max" and "0" are what there is anyway.
      add('memory', 'memory.swap', 'memory.swap.max', swap, { optional: swap === 'max' || swap === '0' });
    }
    if (limit !== 0) add('memory', 'memory.limit', 'memory.max', v2Limit(limit));
    if (nonZero(memory.reservation)) add('memory', 'memory.reservation', 'memory.low', v2Limit(memory.reservation));
  }

  const blockIO = resources.blockIO;
  if (blockIO) {
    // runc: BFQ's io.bfq.weight takes the blkio weight as it is; otherwise io.weight gets the
    // converted value.
    if (nonZero(blockIO.weight)) {
      add('io', 'blockIO.weight', 'io.bfq.weight', decimal(blockIO.weight), {
        fallback: { file: 'io.weight', value: decimal(blkioWeightToIoWeight(blockIO.weight)) },
      });
    }
    (blockIO.weightDevice ?? []).forEach((device, index) => {
      // Per-device weights exist on v2 only in BFQ (io.bfq.weight takes "MAJ:MIN WEIGHT",
      // Linux 5.4+). runc skips them silently without BFQ; husk reports the missing file.
      if (nonZero(device.weight)) add('io', `blockIO.weightDevice[${index}].weight`, 'io.bfq.weight', `${device.major}:${device.minor} ${decimal(device.weight)}`);
    });
    for (const [field, , key] of THROTTLE_LISTS) {
      ((blockIO[field] ?? []) as ThrottleDevice[]).forEach((device, index) => {
        // runc skips rate 0; on v1 it removes the limit, so husk writes "max", which does that on v2.
        const rate = device.rate === 0 ? 'max' : decimal(device.rate);
        add('io', `blockIO.${field}[${index}]`, 'io.max', `${device.major}:${device.minor} ${key}=${rate}`);
      });
    }
  }

  const cpu = resources.cpu;
  if (cpu) {
    if (given(cpu.idle)) add('cpu', 'cpu.idle', 'cpu.idle', decimal(cpu.idle));
    // runc: "can not set cpu.weight if cpu.idle is enabled".
    if (nonZero(cpu.shares) && cpu.idle !== 1) add('cpu', 'cpu.shares', 'cpu.weight', decimal(cpuSharesToWeight(cpu.shares)));
    if (nonZero(cpu.quota) || nonZero(cpu.period)) {
      // cpu.max is "QUOTA PERIOD"; "max" means no quota. runc writes the kernel's default period
      // (100000 µs) when only a quota is given.
      const quota = cpu.quota && cpu.quota > 0 ? decimal(cpu.quota) : 'max';
      const period = nonZero(cpu.period) ? decimal(cpu.period) : '100000';
      add('cpu', cpu.quota ? 'cpu.quota' : 'cpu.period', 'cpu.max', `${quota} ${period}`);
    }
    // burst ≤ quota is checked as it is written; the write engine retries it after cpu.max.
    if (given(cpu.burst)) add('cpu', 'cpu.burst', 'cpu.max.burst', decimal(cpu.burst));
    if (given(cpu.cpus) && cpu.cpus !== '') add('cpuset', 'cpu.cpus', 'cpuset.cpus', cpu.cpus);
    if (given(cpu.mems) && cpu.mems !== '') add('cpuset', 'cpu.mems', 'cpuset.mems', cpu.mems);
  }

  (resources.hugepageLimits ?? []).forEach((limit, index) => {
    const size = checkedPageSize(limit.pageSize, index, host);
    add('hugetlb', `hugepageLimits[${index}]`, `hugetlb.${size}.max`, decimal(limit.limit));
  });

  for (const write of rdmaWrites(resources)) writes.push(write);

  for (const [key, value] of Object.entries(resources.unified ?? {})) {
    // runc writes a multi-line value one line at a time (io.max takes one device per write).
    const lines = value.split('\n').filter((line) => line.trim() !== '');
    const controller = key.split('.')[0];
    for (const line of lines.length > 0 ? lines : [value]) add(controller, `unified["${key}"]`, key, line);
  }
  return writes;
}

/** Fields that exist only in cgroup v1: a clear refusal instead of a silently ignored limit. */
function refuseV1OnlyFields(resources: Resources): void {
  const memory = resources.memory;
  if (given(memory?.swappiness) && !isSwappinessUnset(memory.swappiness)) {
    refuse('memory.swappiness', 'cannot be applied on cgroup v2, which has no per-cgroup swappiness');
  }
  if (memory?.disableOOMKiller === true) {
    refuse('memory.disableOOMKiller', 'cannot be applied on cgroup v2, which has no switch to disable the OOM killer');
  }
  if (memory?.useHierarchy === false) {
    refuse('memory.useHierarchy', 'false cannot be applied on cgroup v2, which is always hierarchical');
  }
  const cpu = resources.cpu;
  for (const field of ['realtimeRuntime', 'realtimePeriod'] as const) {
    if (nonZero(cpu?.[field])) refuse(`cpu.${field}`, 'cannot be applied on cgroup v2, which has no real-time CPU bandwidth control');
  }
  const blockIO = resources.blockIO;
  if (nonZero(blockIO?.leafWeight)) refuse('blockIO.leafWeight', 'cannot be applied on cgroup v2, which has no leaf weights');
  (blockIO?.weightDevice ?? []).forEach((device, index) => {
    if (nonZero(device.leafWeight)) refuse(`blockIO.weightDevice[${index}].leafWeight`, 'cannot be applied on cgroup v2, which has no leaf weights');
  });
  const network = resources.network;
  if (nonZero(network?.classID)) {
    refuse('network.classID', 'cannot be applied on cgroup v2, which has no net_cls controller (classify packets with an eBPF or nftables cgroup match instead)');
  }
  if (hasEntries(network?.priorities)) {
    refuse('network.priorities', 'cannot be applied on cgroup v2, which has no net_prio controller');
  }
}

/** A device rule as the v1 devices controller wants it: "c 1:3 rwm" ('*' for any). */
export function v1DeviceRuleLine(rule: DeviceCgroupRule): string {
  const number = (n: number | undefined): string => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${rule.type || 'a'} ${number(rule.major)}:${number(rule.minor)} ${rule.access || 'rwm'}`;
}

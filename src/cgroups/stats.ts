// The container's resource usage in the JSON shape `runc events` prints (runc's types/events.go),
// read from the cgroup files. Go's encoding decides the shape: fields tagged omitempty vanish
// when zero, structs never do, map keys come out sorted, and a nil slice is `null`. Counters are
// u64 and limits reach 2^64-1, beyond what a JavaScript number holds exactly, so every counter is
// a bigint and toJsonLine prints them as plain digits.
//
// v1 (runc libcontainer/cgroups/fs): cpuacct.* and cpu.stat, cpuset.*, memory.* (memsw for swap,
// kmem, kmem.tcp), pids.*, blkio.* (runc's order of preference among BFQ, CFQ and throttle files),
// hugetlb.<size>.*.
// v2 (runc fs2): cpu.stat, memory.* with swap reported as memory+swap (v1's meaning), io.stat,
// hugetlb.<size>.current/events.
import * as fs from 'fs';
import * as path from 'path';
import { readCgroupFile } from './files';
import { hugePageSizesFrom } from './resources';

export type U64 = bigint;
type JsonObject = { [key: string]: unknown };

export const U64_MAX = (1n << 64n) - 1n;
/** USER_HZ: cpuacct.stat counts in clock ticks, 100 per second on every Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100n;
const NANOSECONDS_PER_SECOND = 1_000_000_000n;

/** JSON with bigints as bare digits (JSON.stringify refuses bigints). */
export function toJsonLine(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `\u0000u64:${v}\u0000` : v));
  return text.replace(/"\\u0000u64:(\d+)\\u0000"/g, '$1');
}

/** Copy `entries` without those omitempty would drop: 0n, 0, "", empty arrays/objects, undefined. */
function omitEmpty(entries: JsonObject, keep: string[] = []): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(entries)) {
    if (!keep.includes(key) && isEmptyValue(value)) continue;
    result[key] = value;
  }
  return result;
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === 0n || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return false;
}

/** A u64 cgroup value; "max" is 2^64-1 (runc's GetCgroupParamUint). Undefined when missing or odd. */
export function readU64(dir: string | undefined, file: string): U64 | undefined {
  if (dir === undefined) return undefined;
  const text = readCgroupFile(dir, file);
  if (text === undefined) return undefined;
  return parseU64(text.trim());
}

function parseU64(text: string): U64 | undefined {
  if (text === 'max') return U64_MAX;
  if (!/^-?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  // Some v1 files print -1 for "unlimited"; runc's parser clamps negatives to 0.
  return value < 0n ? 0n : value;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events...) → map. */
export function readFlatKeyed(dir: string | undefined, file: string): Map<string, U64> {
  const result = new Map<string, U64>();
  if (dir === undefined) return result;
  const text = readCgroupFile(dir, file) ?? '';
  for (const line of text.split('\n')) {
    const [key, value, ...rest] = line.trim().split(/\s+/);
    if (!key || value === undefined || rest.length > 0) continue;
    const parsed = parseU64(value);
    if (parsed !== undefined) result.set(key, parsed);
  }
  return result;
}

/** "0-2,4" → [0, 1, 2, 4]. */
export function parseIdList(text: string | undefined): number[] {
  const ids: number[] = [];
  for (const part of (text ?? '').trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) continue;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    for (let id = low; id <= high; id++) ids.push(id);
  }
  return ids;
}

function sortedObject(map: Map<string, U64>): JsonObject {
  const result: JsonObject = {};
  for (const key of [...map.keys()].sort()) result[key] = map.get(key);
  return result;
}

function numberList(text: string | undefined): U64[] {
  return (text ?? '').trim().split(/\s+/).filter((word) => /^\d+$/.test(word)).map((word) => BigInt(word));
}

/** The parts of the stats every version fills the same way. */
function assemble(parts: { cpu: JsonObject; cpuset: JsonObject; memory: JsonObject; pids: JsonObject; blkio: JsonObject; hugetlb: JsonObject }): JsonObject {
  return { ...parts, intel_rdt: {}, network_interfaces: null };
}

function pidsStats(dir: string | undefined): JsonObject {
  const limit = readU64(dir, 'pids.max');
  return omitEmpty({ current: readU64(dir, 'pids.current'), limit: limit === U64_MAX ? 0n : limit });
}

function throttling(stat: Map<string, U64>, timeKey: string, timeScale: bigint): JsonObject {
  const time = stat.get(timeKey);
  return omitEmpty({
    periods: stat.get('nr_periods'),
    throttledPeriods: stat.get('nr_throttled'),
    throttledTime: time === undefined ? undefined : time * timeScale,
  });
}

// ---- cgroup v1 ----

/** `dirFor(controller)`: the container's directory in the hierarchy carrying it, if mounted. */
export function v1Stats(dirFor: (controller: string) => string | undefined, hugePagesDir = '/sys/kernel/mm/hugepages'): JsonObject {
  return assemble({
    cpu: v1Cpu(dirFor('cpuacct'), dirFor('cpu')),
    cpuset: v1Cpuset(dirFor('cpuset')),
    memory: v1Memory(dirFor('memory')),
    pids: pidsStats(dirFor('pids')),
    blkio: v1Blkio(dirFor('blkio')),
    hugetlb: v1Hugetlb(dirFor('hugetlb'), hugePagesDir),
  });
}

function v1Cpu(cpuacct: string | undefined, cpu: string | undefined): JsonObject {
  const perCpuModes = { user: [] as U64[], kernel: [] as U64[] };
  // cpuacct.usage_all: "cpu user system" then one line per CPU, in nanoseconds.
  const all = cpuacct ? readCgroupFile(cpuacct, 'cpuacct.usage_all') : undefined;
  for (const line of (all ?? '').split('\n').slice(1)) {
    const [, user, system] = line.trim().split(/\s+/);
    if (user === undefined || system === undefined) continue;
    perCpuModes.user.push(BigInt(user));
    perCpuModes.kernel.push(BigInt(system));
  }
  const ticks = readFlatKeyed(cpuacct, 'cpuacct.stat');
  const toNanoseconds = (t: U64 | undefined): U64 => ((t ?? 0n) * NANOSECONDS_PER_SECOND) / CLOCK_TICKS_PER_SECOND;
  const usage = {
    ...omitEmpty({
      total: readU64(cpuacct, 'cpuacct.usage'),
      percpu: numberList(cpuacct ? readCgroupFile(cpuacct, 'cpuacct.usage_percpu') : undefined),
      percpu_kernel: perCpuModes.kernel,
      percpu_user: perCpuModes.user,
    }),
    kernel: toNanoseconds(ticks.get('system')),
    user: toNanoseconds(ticks.get('user')),
  };
  return { usage, throttling: throttling(readFlatKeyed(cpu, 'cpu.stat'), 'throttled_time', 1n) };
}

function v1Cpuset(dir: string | undefined): JsonObject {
  const flag = (file: string): U64 => readU64(dir, file) ?? 0n;
  const relax = dir ? Number((readCgroupFile(dir, 'cpuset.sched_relax_domain_level') ?? '0').trim()) : 0;
  return {
    ...omitEmpty({ cpus: parseIdList(dir ? readCgroupFile(dir, 'cpuset.cpus') : undefined) }),
    cpu_exclusive: flag('cpuset.cpu_exclusive'),
    ...omitEmpty({ mems: parseIdList(dir ? readCgroupFile(dir, 'cpuset.mems') : undefined) }),
    mem_hardwall: flag('cpuset.mem_hardwall'),
    mem_exclusive: flag('cpuset.mem_exclusive'),
    memory_migrate: flag('cpuset.memory_migrate'),
    memory_spread_page: flag('cpuset.memory_spread_page'),
    memory_spread_slab: flag('cpuset.memory_spread_slab'),
    memory_pressure: flag('cpuset.memory_pressure'),
    sched_load_balance: flag('cpuset.sched_load_balance'),
    sched_relax_domain_level: Number.isFinite(relax) ? relax : 0,
  };
}

/** One of runc's MemoryEntry: limit and failcnt always, usage and max when not zero. */
function memoryEntry(limit: U64 | undefined, usage: U64 | undefined, max: U64 | undefined, failcnt: U64 | undefined): JsonObject {
  return { limit: limit ?? 0n, ...omitEmpty({ usage, max }), failcnt: failcnt ?? 0n };
}

function v1Memory(dir: string | undefined): JsonObject {
  const entry = (prefix: string): JsonObject => memoryEntry(
    readU64(dir, `${prefix}.limit_in_bytes`),
    readU64(dir, `${prefix}.usage_in_bytes`),
    readU64(dir, `${prefix}.max_usage_in_bytes`),
    readU64(dir, `${prefix}.failcnt`),
  );
  const raw = readFlatKeyed(dir, 'memory.stat');
  return {
    ...omitEmpty({ cache: raw.get('cache') }),
    usage: entry('memory'),
    swap: entry('memory.memsw'),
    kernel: entry('memory.kmem'),
    kernelTCP: entry('memory.kmem.tcp'),
    ...omitEmpty({ raw: sortedObject(raw) }),
  };
}

/** "8:0 Read 4096" lines (and "8:0 4096" for sectors); "Total N" summary lines are skipped. */
function readBlkioEntries(dir: string, file: string): JsonObject[] {
  const text = readCgroupFile(dir, file) ?? '';
  const entries: JsonObject[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/[\s:]+/).filter((f) => f !== '');
    if (fields.length < 3) continue;
    const [major, minor] = fields;
    const op = fields.length === 4 ? fields[2] : '';
    const value = fields[fields.length - 1];
    if (!/^\d+$/.test(major) || !/^\d+$/.test(minor) || !/^\d+$/.test(value)) continue;
    entries.push(omitEmpty({ major: BigInt(major), minor: BigInt(minor), op, value: BigInt(value) }));
  }
  return entries;
}

// runc's groups of blkio files, in its order of preference. A group is used when its first file
// has entries; the BFQ and CFQ files only count I/O on devices using those schedulers, the
// throttle files count everything.
const BLKIO_FILE_GROUPS: Array<Array<[string, string]>> = [
  [
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

// The key order of runc's Blkio struct.
const BLKIO_KEYS = [
  'ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive',
  'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive',
];

function v1Blkio(dir: string | undefined): JsonObject {
  if (dir === undefined) return {};
  for (const group of BLKIO_FILE_GROUPS) {
    const found: JsonObject = {};
    if (readBlkioEntries(dir, group[0][0]).length === 0) continue;
    for (const [file, key] of group) found[key] = readBlkioEntries(dir, file);
    const ordered: JsonObject = {};
    for (const key of BLKIO_KEYS) ordered[key] = found[key];
    return omitEmpty(ordered);
  }
  return {};
}

function v1Hugetlb(dir: string | undefined, hugePagesDir: string): JsonObject {
  const result: JsonObject = {};
  if (dir === undefined) return result;
  for (const size of hugePageSizesFrom(hugePagesDir)) {
    result[size] = {
      ...omitEmpty({
        usage: readU64(dir, `hugetlb.${size}.usage_in_bytes`),
        max: readU64(dir, `hugetlb.${size}.max_usage_in_bytes`),
      }),
      failcnt: readU64(dir, `hugetlb.${size}.failcnt`) ?? 0n,
    };
  }
  return result;
}

// ---- cgroup v2 ----

export function v2Stats(dir: string, hugePagesDir = '/sys/kernel/mm/hugepages'): JsonObject {
  return assemble({
    cpu: v2Cpu(dir),
    cpuset: v2Cpuset(dir),
    memory: v2Memory(dir),
    pids: pidsStats(dir),
    blkio: v2Io(dir),
    hugetlb: v2Hugetlb(dir, hugePagesDir),
  });
}

function v2Cpu(dir: string): JsonObject {
  const stat = readFlatKeyed(dir, 'cpu.stat');
  const micro = (key: string): U64 | undefined => {
    const value = stat.get(key);
    return value === undefined ? undefined : value * 1000n;
  };
  return {
    usage: { ...omitEmpty({ total: micro('usage_usec') }), kernel: micro('system_usec') ?? 0n, user: micro('user_usec') ?? 0n },
    throttling: throttling(stat, 'throttled_usec', 1000n),
  };
}

/** runc fills no cpuset stats on v2; husk reports the effective sets, which v2 has. */
function v2Cpuset(dir: string): JsonObject {
  return {
    ...omitEmpty({ cpus: parseIdList(readCgroupFile(dir, 'cpuset.cpus.effective')) }),
    cpu_exclusive: 0n,
    ...omitEmpty({ mems: parseIdList(readCgroupFile(dir, 'cpuset.mems.effective')) }),
    mem_hardwall: 0n,
    mem_exclusive: 0n,
    memory_migrate: 0n,
    memory_spread_page: 0n,
    memory_spread_slab: 0n,
    memory_pressure: 0n,
    sched_load_balance: 0n,
    sched_relax_domain_level: 0,
  };
}

function v2Memory(dir: string): JsonObject {
  const raw = readFlatKeyed(dir, 'memory.stat');
  const events = readFlatKeyed(dir, 'memory.events');
  const usage = readU64(dir, 'memory.current');
  const limit = readU64(dir, 'memory.max');
  const swapUsage = readU64(dir, 'memory.swap.current');
  const swapLimit = readU64(dir, 'memory.swap.max');
  // runc: v1 reported memory+swap, so v2's swap figures are added to the memory ones.
  const combinedLimit = swapLimit === U64_MAX || limit === U64_MAX ? U64_MAX : (swapLimit ?? 0n) + (limit ?? 0n);
  return {
    ...omitEmpty({ cache: raw.get('file') }),
    // failcnt: how often usage hit memory.max (memory.events "max"); runc leaves it 0 on v2.
    usage: memoryEntry(limit, usage, readU64(dir, 'memory.peak'), events.get('max')),
    swap: memoryEntry(combinedLimit, (swapUsage ?? 0n) + (usage ?? 0n), undefined, undefined),
    kernel: memoryEntry(undefined, undefined, undefined, undefined),
    kernelTCP: memoryEntry(undefined, undefined, undefined, undefined),
    ...omitEmpty({ raw: sortedObject(raw) }),
  };
}

/** io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." → runc's v1-shaped tables. */
function v2Io(dir: string): JsonObject {
  const bytes: JsonObject[] = [];
  const serviced: JsonObject[] = [];
  const tables: Record<string, [JsonObject[], string]> = {
    rbytes: [bytes, 'Read'], wbytes: [bytes, 'Write'], rios: [serviced, 'Read'], wios: [serviced, 'Write'],
  };
  for (const line of (readCgroupFile(dir, 'io.stat') ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const match = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!match) continue;
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      const table = tables[key];
      if (!table || !/^\d+$/.test(value ?? '')) continue;
      table[0].push(omitEmpty({ major: BigInt(match[1]), minor: BigInt(match[2]), op: table[1], value: BigInt(value) }));
    }
  }
  return omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: serviced });
}

function v2Hugetlb(dir: string, hugePagesDir: string): JsonObject {
  const result: JsonObject = {};
  for (const size of hugePageSizesFrom(hugePagesDir)) {
    if (!fs.existsSync(path.join(dir, `hugetlb.${size}.current`))) continue;
    result[size] = {
      ...omitEmpty({ usage: readU64(dir, `hugetlb.${size}.current`) }),
      failcnt: readFlatKeyed(dir, `hugetlb.${size}.events`).get('max') ?? 0n,
    };
  }
  return result;
}

// ---- OOM ----

/** What the memory controller says about OOM so far; undefined without a memory controller. */
export interface OomCounters {
  /** Processes the OOM killer killed in this cgroup (v1 memory.oom_control, v2 memory.events). */
  kills: U64;
  /** v1 with the killer disabled: tasks are waiting for memory right now (under_oom 1). */
  underOom: boolean;
}

export function v1OomCounters(memoryDir: string | undefined): OomCounters | undefined {
  if (memoryDir === undefined) return undefined;
  const control = readFlatKeyed(memoryDir, 'memory.oom_control');
  if (control.size === 0) return undefined;
  return { kills: control.get('oom_kill') ?? 0n, underOom: control.get('under_oom') === 1n };
}

export function v2OomCounters(dir: string): OomCounters | undefined {
  const events = readFlatKeyed(dir, 'memory.events');
  if (events.size === 0) return undefined;
  return { kills: events.get('oom_kill') ?? 0n, underOom: false };
}

// Resource writes, stats and OOM counters against temp directories laid out like cgroupfs: a v2
// container directory with the control files a kernel would show, and v1 hierarchies. A plain
// file keeps only the last value written, so sequences of writes to one file (io.max) and the
// kernel's cross-checks (memsw >= limit) are tested through applyWrites with a fake kernel.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { CgroupHost, planCgroup, probeCgroupHost, toJsonLine } from '../../src/cgroups';
import { CgroupWriteError } from '../../src/cgroups/files';
import { v2ResourceWrites, type CgroupWrite } from '../../src/cgroups/resources';
import { v2Stats } from '../../src/cgroups/stats';
import { applyWrites, applyWritesRestoringOnFailure } from '../../src/cgroups/write-engine';

let top: string;

beforeEach(() => {
  top = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-cgwrites-'));
});

afterEach(() => {
  fs.rmSync(top, { recursive: true, force: true });
});

function huskError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof HuskError)) return false;
    assert.match(e.message, pattern);
    return true;
  };
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

function populate(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

// What a 6.x kernel shows in a new cgroup2 directory whose parent enabled these controllers.
const V2_CONTROLLERS = 'cpuset cpu io memory hugetlb pids rdma';
const V2_FILES: Record<string, string> = {
  'cgroup.controllers': `${V2_CONTROLLERS}\n`,
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.freeze': '0\n',
  'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n',
  'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
  'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-1\n', 'cpuset.mems.effective': '0\n',
  'io.max': '', 'io.weight': 'default 100\n', 'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
  'memory.max': 'max\n', 'memory.low': '0\n', 'memory.high': 'max\n', 'memory.swap.max': 'max\n',
  'memory.current': '1048576\n', 'memory.swap.current': '4096\n', 'memory.peak': '2097152\n',
  'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n',
  'memory.stat': 'anon 1000\nfile 2000\nkernel 300\n',
  'pids.max': 'max\n', 'pids.current': '2\n',
  'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.current': '0\n', 'hugetlb.2MB.events': 'max 0\n',
  'hugetlb.1GB.max': 'max\n', 'hugetlb.1GB.current': '0\n', 'hugetlb.1GB.events': 'max 0\n',
  'rdma.max': '',
};

/** A pure v2 host under top/v2 and a created container cgroup populated like the kernel would. */
function v2Container(files: Record<string, string> = V2_FILES) {
  const root = path.join(top, 'v2');
  fs.mkdirSync(root, { recursive: true });
  populate(root, { 'cgroup.controllers': `${V2_CONTROLLERS}\n`, 'cgroup.subtree_control': `${V2_CONTROLLERS}\n` });
  const host = probeCgroupHost({ mountinfo: `30 25 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, selfCgroup: '0::/\n' });
  const cgroup = planCgroup({ id: 'c1', cgroupsPath: '/ctr', host });
  cgroup.create();
  const dir = cgroup.unifiedPath as string;
  populate(dir, files);
  return { cgroup, dir };
}

test('v2: every resource lands in its file of the one directory', () => {
  const { cgroup, dir } = v2Container({ ...V2_FILES, 'io.bfq.weight': 'default 100\n' });
  cgroup.applyResources({
    memory: { limit: 268435456, swap: 536870912, reservation: 134217728 },
    cpu: { shares: 2048, quota: 50000, period: 100000, burst: 10000, cpus: '1', mems: '0', idle: 0 },
    pids: { limit: 32 },
    blockIO: { weight: 700, throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 300 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
    rdma: { mlx5_0: { hcaHandles: 2, hcaObjects: 100 } },
    unified: { 'memory.high': '200000000' },
  });
  const expected: Record<string, string> = {
    'memory.max': '268435456', 'memory.swap.max': '268435456', 'memory.low': '134217728',
    'cpu.weight': '174', 'cpu.max': '50000 100000', 'cpu.max.burst': '10000', 'cpu.idle': '0',
    'cpuset.cpus': '1', 'cpuset.mems': '0', 'pids.max': '32', 'io.bfq.weight': '700', 'io.max': '8:0 wiops=300',
    'hugetlb.2MB.max': '2097152', 'rdma.max': 'mlx5_0 hca_handle=2 hca_object=100', 'memory.high': '200000000',
  };
  for (const [file, value] of Object.entries(expected)) assert.equal(read(dir, file), value, file);
});

test('v2: without BFQ the blkio weight goes to io.weight, converted', () => {
  const { cgroup, dir } = v2Container();
  cgroup.applyResources({ blockIO: { weight: 500 } });
  assert.equal(read(dir, 'io.weight'), '4950');
  assert.throws(
    () => cgroup.applyResources({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }),
    huskError(/^linux\.resources\.blockIO\.weightDevice\[0\]\.weight cannot be applied: this kernel offers no io\.bfq\.weight in .*; per-device weights need the BFQ I\/O scheduler on the device$/),
  );
});

test('v2: without swap accounting "max" is skipped (runc) but a real swap limit is an error', () => {
  const files = { ...V2_FILES };
  delete files['memory.swap.max'];
  const { cgroup, dir } = v2Container(files);
  cgroup.applyResources({ memory: { limit: -1 } });
  assert.equal(read(dir, 'memory.max'), 'max');
  assert.throws(() => cgroup.applyResources({ memory: { limit: 100 << 20, swap: 200 << 20 } }), huskError(/^linux\.resources\.memory\.swap cannot be applied: this kernel offers no memory\.swap\.max in .*; swap accounting is off$/));
});

test('v2: a controller the parent did not enable is named; unified files too', () => {
  const { cgroup, dir } = v2Container({ ...V2_FILES, 'cgroup.controllers': 'cpu memory pids\n' });
  fs.rmSync(path.join(dir, 'io.max'));
  assert.throws(() => cgroup.applyResources({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }), huskError(/^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\] cannot be applied: the io controller is not enabled for .*\/ctr \(see cgroup\.subtree_control of its parent\)$/));
  assert.throws(() => cgroup.applyResources({ unified: { 'misc.max': 'x 1' } }), huskError(/^linux\.resources\.unified\["misc\.max"\] cannot be applied: the misc controller is not enabled/));
  assert.throws(() => cgroup.applyResources({ unified: { 'memory.nonsense': '1' } }), huskError(/^linux\.resources\.unified\["memory\.nonsense"\] cannot be applied: this kernel offers no memory\.nonsense/));
});

test('v2: checkBeforeUpdate refuses a limit at or below memory.current (runc CheckMemoryUsage)', () => {
  const { cgroup, dir } = v2Container();
  assert.throws(() => cgroup.applyResources({ memory: { limit: 1048576, checkBeforeUpdate: true } }), huskError(/^linux\.resources\.memory\.limit 1048576 is not above the container's current usage \(1048576 bytes\), and memory\.checkBeforeUpdate is set$/));
  assert.equal(read(dir, 'memory.max'), 'max\n');
  cgroup.applyResources({ memory: { limit: 1048576 } });
  assert.equal(read(dir, 'memory.max'), '1048576');
});

test('v2: stats in runc\'s events shape, swap reported as memory+swap', () => {
  const { cgroup } = v2Container({ ...V2_FILES, 'memory.max': '268435456\n', 'memory.swap.max': '268435456\n' });
  const stats = JSON.parse(toJsonLine(v2Stats(cgroup.unifiedPath as string, path.join(top, 'no-hugepages'))));
  assert.deepEqual(stats.cpu, { usage: { total: 1500000, kernel: 500000, user: 1000000 }, throttling: { periods: 4, throttledPeriods: 1, throttledTime: 20000 } });
  assert.deepEqual(stats.memory.usage, { limit: 268435456, usage: 1048576, max: 2097152, failcnt: 3 });
  assert.deepEqual(stats.memory.swap, { limit: 536870912, usage: 1052672, failcnt: 0 });
  assert.equal(stats.memory.cache, 2000);
  assert.deepEqual(stats.memory.raw, { anon: 1000, file: 2000, kernel: 300 });
  assert.deepEqual(stats.pids, { current: 2 });
  assert.deepEqual(stats.blkio, {
    ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write', value: 8192 }],
    ioServicedRecursive: [{ major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write', value: 2 }],
  });
  assert.deepEqual(stats.cpuset.cpus, [0, 1]);
  assert.deepEqual(Object.keys(stats), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  assert.equal(stats.network_interfaces, null);
  assert.deepEqual(cgroup.oomCounters(), { kills: 1n, underOom: false });
});

test('u64 values beyond 2^53 are printed exactly', () => {
  assert.equal(toJsonLine({ a: (1n << 64n) - 1n, b: [9223372036854771712n], c: 'x' }), '{"a":18446744073709551615,"b":[9223372036854771712],"c":"x"}');
  const { cgroup } = v2Container();
  assert.match(toJsonLine(cgroup.stats()), /"usage":\{"limit":18446744073709551615,"usage":1048576/);
});

// ---- v1 ----

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'pids', 'blkio'];

function fakeV1Host(): CgroupHost {
  const mountLines = V1_CONTROLLERS.map((c, i) => `${40 + i} 31 0:${40 + i} / ${top}/${c} rw - cgroup cgroup rw,${c}`);
  const selfLines = V1_CONTROLLERS.map((c, i) => `${i + 1}:${c}:/`);
  for (const c of V1_CONTROLLERS) fs.mkdirSync(path.join(top, c));
  return probeCgroupHost({ mountinfo: `${mountLines.join('\n')}\n`, selfCgroup: `${selfLines.join('\n')}\n` });
}

test('v1: BFQ weight file when blkio.weight is gone; memsw only where swap accounting exists', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  populate(cgroup.paths.blkio, { 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '' });
  populate(cgroup.paths.memory, { 'memory.limit_in_bytes': '9223372036854771712' });
  cgroup.applyResources({ blockIO: { weight: 250, weightDevice: [{ major: 253, minor: 0, weight: 600 }] }, memory: { limit: -1 } });
  assert.equal(read(cgroup.paths.blkio, 'blkio.bfq.weight'), '250');
  assert.equal(read(cgroup.paths.blkio, 'blkio.bfq.weight_device'), '253:0 600');
  assert.equal(read(cgroup.paths.memory, 'memory.limit_in_bytes'), '-1');
  assert.throws(
    () => cgroup.applyResources({ blockIO: { leafWeight: 100 } }),
    huskError(/^linux\.resources\.blockIO\.leafWeight cannot be applied: this kernel's blkio controller has no blkio\.leaf_weight \(looked in .*\); leaf weights belonged to the CFQ I\/O scheduler, removed in Linux 5\.0$/),
  );
  assert.throws(() => cgroup.applyResources({ network: { classID: 1 } }), huskError(/^linux\.resources\.network\.classID needs the net_cls cgroup controller, which is not mounted/));
});

test('v1: stats in runc\'s events shape from the cpuacct, cpu, cpuset, memory, pids and blkio files', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  const p = cgroup.paths;
  populate(p.cpuacct, {
    'cpuacct.usage': '7076948', 'cpuacct.usage_percpu': '4650460 2426488 \n',
    'cpuacct.usage_all': 'cpu user system\n0 0 4000000\n1 4000000 0\n', 'cpuacct.stat': 'user 2\nsystem 1\n',
  });
  populate(p.cpu, { 'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n' });
  populate(p.cpuset, {
    'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n', 'cpuset.cpu_exclusive': '0', 'cpuset.mem_hardwall': '0', 'cpuset.mem_exclusive': '0',
    'cpuset.memory_migrate': '0', 'cpuset.memory_spread_page': '0', 'cpuset.memory_spread_slab': '0', 'cpuset.memory_pressure': '0',
    'cpuset.sched_load_balance': '1', 'cpuset.sched_relax_domain_level': '-1',
  });
  const max = '9223372036854771712';
  populate(p.memory, {
    'memory.limit_in_bytes': '67108864', 'memory.usage_in_bytes': '974848', 'memory.max_usage_in_bytes': '2813952', 'memory.failcnt': '0',
    'memory.memsw.limit_in_bytes': max, 'memory.memsw.usage_in_bytes': '708608', 'memory.memsw.max_usage_in_bytes': '2813952', 'memory.memsw.failcnt': '0',
    'memory.kmem.limit_in_bytes': max, 'memory.kmem.usage_in_bytes': '491520', 'memory.kmem.max_usage_in_bytes': '610304', 'memory.kmem.failcnt': '0',
    'memory.kmem.tcp.limit_in_bytes': max, 'memory.kmem.tcp.usage_in_bytes': '0', 'memory.kmem.tcp.max_usage_in_bytes': '0', 'memory.kmem.tcp.failcnt': '0',
    'memory.stat': 'cache 0\nrss 53248\nhierarchical_memory_limit 67108864\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
  });
  populate(p.pids, { 'pids.current': '1', 'pids.max': '50' });
  populate(p.blkio, {
    'blkio.bfq.io_serviced_recursive': '', 'blkio.bfq.io_service_bytes_recursive': '',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 3\n8:0 Write 0\n8:0 Total 3\nTotal 3\n',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 12288\n8:0 Write 0\n8:0 Total 12288\nTotal 12288\n',
  });
  const line = toJsonLine(cgroup.stats());
  // The shape runc 1.1.5 printed on this host (field order, omitted zeros, hugetlb not mounted).
  assert.equal(line, '{"cpu":{"usage":{"total":7076948,"percpu":[4650460,2426488],"percpu_kernel":[4000000,0],"percpu_user":[0,4000000],"kernel":10000000,"user":20000000},"throttling":{}},'
    + '"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,"sched_relax_domain_level":-1},'
    + `"memory":{"usage":{"limit":67108864,"usage":974848,"max":2813952,"failcnt":0},"swap":{"limit":${max},"usage":708608,"max":2813952,"failcnt":0},"kernel":{"limit":${max},"usage":491520,"max":610304,"failcnt":0},"kernelTCP":{"limit":${max},"failcnt":0},`
    + '"raw":{"cache":0,"hierarchical_memory_limit":67108864,"rss":53248}},'
    + '"pids":{"current":1,"limit":50},'
    + '"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":12288},{"major":8,"op":"Write"},{"major":8,"op":"Total","value":12288}],"ioServicedRecursive":[{"major":8,"op":"Read","value":3},{"major":8,"op":"Write"},{"major":8,"op":"Total","value":3}]},'
    + '"hugetlb":{},"intel_rdt":{},"network_interfaces":null}');
  assert.deepEqual(cgroup.oomCounters(), { kills: 2n, underOom: false });
});

// ---- the write engine's ordering ----

/** A fake kernel that, like the real one, refuses memsw < limit and burst > quota at every moment. */
function fakeKernel(initial: Record<string, string>) {
  const values = { ...initial };
  const log: string[] = [];
  const write = (_dir: string, file: string, value: string): void => {
    const next = { ...values, [file]: value };
    const num = (f: string): number => (next[f] === '-1' ? Infinity : Number(next[f]));
    const invalid = num('memory.memsw.limit_in_bytes') < num('memory.limit_in_bytes') || num('cpu.cfs_burst_us') > num('cpu.cfs_quota_us');
    if (!(file in values)) throw new CgroupWriteError(file, value, Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    if (invalid) {
      log.push(`${file}=${value} EINVAL`);
      throw new CgroupWriteError(`/fake/${file}`, value, Object.assign(new Error('invalid argument'), { code: 'EINVAL' }));
    }
    values[file] = value;
    log.push(`${file}=${value}`);
  };
  return { values, log, write };
}

const TARGET = { directoryFor: () => '/fake', describeMissingFile: () => 'missing' };

function memoryWrites(limit: string, swap: string): CgroupWrite[] {
  return [
    { controller: 'memory', field: 'memory.limit', file: 'memory.limit_in_bytes', value: limit },
    { controller: 'memory', field: 'memory.swap', file: 'memory.memsw.limit_in_bytes', value: swap },
  ];
}

test('write engine: a write the kernel refuses for ordering is retried after the others', () => {
  // Raising both: memsw must go first, the engine finds that out.
  const up = fakeKernel({ 'memory.limit_in_bytes': '100', 'memory.memsw.limit_in_bytes': '200' });
  applyWrites(memoryWrites('300', '400'), TARGET, up.write);
  assert.deepEqual(up.values, { 'memory.limit_in_bytes': '300', 'memory.memsw.limit_in_bytes': '400' });
  assert.deepEqual(up.log, ['memory.limit_in_bytes=300 EINVAL', 'memory.memsw.limit_in_bytes=400', 'memory.limit_in_bytes=300']);
  // Lowering both works in the given order.
  const down = fakeKernel({ 'memory.limit_in_bytes': '300', 'memory.memsw.limit_in_bytes': '400' });
  applyWrites(memoryWrites('50', '60'), TARGET, down.write);
  assert.deepEqual(down.log, ['memory.limit_in_bytes=50', 'memory.memsw.limit_in_bytes=60']);
  // A burst above the old quota goes in after the new quota.
  const cpu = fakeKernel({ 'cpu.cfs_quota_us': '1000', 'cpu.cfs_burst_us': '0' });
  applyWrites([
    { controller: 'cpu', field: 'cpu.burst', file: 'cpu.cfs_burst_us', value: '5000' },
    { controller: 'cpu', field: 'cpu.quota', file: 'cpu.cfs_quota_us', value: '10000' },
  ], TARGET, cpu.write);
  assert.deepEqual(cpu.values, { 'cpu.cfs_quota_us': '10000', 'cpu.cfs_burst_us': '5000' });
});

test('write engine: a value refused in every round is reported with its field, file and errno', () => {
  const kernel = fakeKernel({ 'memory.limit_in_bytes': '100', 'memory.memsw.limit_in_bytes': '200' });
  assert.throws(
    () => applyWrites(memoryWrites('300', '250'), TARGET, kernel.write),
    huskError(/^linux\.resources\.memory\.limit: the kernel refused '300' for \/fake\/memory\.limit_in_bytes \(EINVAL: invalid argument\)$/),
  );
  assert.throws(() => applyWrites(v2ResourceWrites({ pids: { limit: 3 } }), TARGET, kernel.write), huskError(/^linux\.resources\.pids\.limit cannot be applied: missing$/));
});

test('write engine (update): a failed update puts the single-value files back as they were', () => {
  const kernel = fakeKernel({ 'memory.limit_in_bytes': '100', 'memory.memsw.limit_in_bytes': '200', 'cpu.cfs_quota_us': '1000', 'cpu.cfs_burst_us': '0' });
  const read = (_dir: string, file: string): string | undefined => kernel.values[file];
  const writes: CgroupWrite[] = [
    { controller: 'cpu', field: 'cpu.quota', file: 'cpu.cfs_quota_us', value: '5000' },
    ...memoryWrites('300', '250'), // memsw below the limit: refused in every round
  ];
  assert.throws(() => applyWritesRestoringOnFailure(writes, TARGET, kernel.write, read), huskError(/^linux\.resources\.memory\.limit: the kernel refused '300'/));
  assert.deepEqual(kernel.values, { 'memory.limit_in_bytes': '100', 'memory.memsw.limit_in_bytes': '200', 'cpu.cfs_quota_us': '1000', 'cpu.cfs_burst_us': '0' });
});

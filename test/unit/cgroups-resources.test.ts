// linux.resources → cgroup v1 and v2 writes, and the checks of the values: pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { checkResourceValues } from '../../src/cgroups/resource-values';
import {
  ResourceHostFacts, blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2, v1DeviceRuleLine, v1ResourceWrites,
  v2ResourceWrites,
} from '../../src/cgroups/resources';
import type { Resources } from '../../src/spec/types';

const HOST: ResourceHostFacts = { hugePageSizes: () => ['2MB', '1GB'] };

function huskError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof HuskError)) return false;
    assert.match(e.message, pattern);
    return true;
  };
}

/** [file, value] pairs (v2) or [controller, file, value] (v1). */
function v2Pairs(resources: Resources): string[][] {
  return v2ResourceWrites(resources, HOST).map((w) => [w.file, w.value]);
}

function v1Triples(resources: Resources): string[][] {
  return v1ResourceWrites(resources, HOST).map((w) => [w.controller, w.file, w.value]);
}

test('cpu shares become weights on runc\'s current curve: 2→1, 1024→100, 262144→10000', () => {
  assert.equal(cpuSharesToWeight(0), 0);
  assert.equal(cpuSharesToWeight(2), 1);
  assert.equal(cpuSharesToWeight(1024), 100);
  assert.equal(cpuSharesToWeight(262144), 10000);
  assert.equal(cpuSharesToWeight(512), 59);
  assert.equal(cpuSharesToWeight(2048), 174);
  assert.equal(cpuSharesToWeight(10 ** 7), 10000);
});

test('blkio weight becomes io.weight on runc\'s linear map: 10→1, 500→4950, 1000→10000', () => {
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(500), 4950);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
  assert.equal(blkioWeightToIoWeight(0), 0);
});

test('memory.swap (memory+swap) becomes memory.swap.max = swap - limit on v2, as runc converts it', () => {
  assert.equal(memorySwapToV2(300, 100), '200');
  assert.equal(memorySwapToV2(100, 100), '0');
  assert.equal(memorySwapToV2(-1, 100), 'max');
  assert.equal(memorySwapToV2(0, -1), 'max'); // unlimited memory, swap not given: unlimited swap too
  assert.equal(memorySwapToV2(0, 100), undefined);
  assert.throws(() => memorySwapToV2(300, 0), huskError(/^linux\.resources\.memory\.swap \(300\) needs a memory\.limit/));
  assert.throws(() => memorySwapToV2(50, 100), huskError(/memory\.swap \(50, memory plus swap\) is less than memory\.limit \(100\)/));
});

test('v1: every field to its file in its controller\'s hierarchy', () => {
  const resources: Resources = {
    memory: { limit: 1 << 28, swap: 1 << 29, reservation: 1 << 27, kernelTCP: 1 << 20, swappiness: 30, disableOOMKiller: true, useHierarchy: true },
    cpu: { shares: 512, quota: 20000, period: 50000, burst: 1000, realtimeRuntime: 1000, realtimePeriod: 10000, cpus: '0-1', mems: '0', idle: 0 },
    pids: { limit: 64 },
    blockIO: {
      weight: 300, leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 400 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
  };
  assert.deepEqual(v1Triples(resources), [
    ['cpuset', 'cpuset.cpus', '0-1'],
    ['cpuset', 'cpuset.mems', '0'],
    ['memory', 'memory.limit_in_bytes', '268435456'],
    ['memory', 'memory.memsw.limit_in_bytes', '536870912'],
    ['memory', 'memory.soft_limit_in_bytes', '134217728'],
    ['memory', 'memory.kmem.tcp.limit_in_bytes', '1048576'],
    ['memory', 'memory.swappiness', '30'],
    ['memory', 'memory.oom_control', '1'],
    ['memory', 'memory.use_hierarchy', '1'],
    ['cpu', 'cpu.shares', '512'],
    ['cpu', 'cpu.cfs_period_us', '50000'],
    ['cpu', 'cpu.cfs_quota_us', '20000'],
    ['cpu', 'cpu.cfs_burst_us', '1000'],
    ['cpu', 'cpu.idle', '0'],
    ['cpu', 'cpu.rt_period_us', '10000'],
    ['cpu', 'cpu.rt_runtime_us', '1000'],
    ['pids', 'pids.max', '64'],
    ['blkio', 'blkio.weight', '300'],
    ['blkio', 'blkio.leaf_weight', '200'],
    ['blkio', 'blkio.weight_device', '8:0 500'],
    ['blkio', 'blkio.leaf_weight_device', '8:0 400'],
    ['blkio', 'blkio.throttle.read_bps_device', '8:0 1048576'],
    ['blkio', 'blkio.throttle.write_bps_device', '8:0 2097152'],
    ['blkio', 'blkio.throttle.read_iops_device', '8:0 100'],
    ['blkio', 'blkio.throttle.write_iops_device', '8:0 0'],
    ['hugetlb', 'hugetlb.2MB.limit_in_bytes', '4194304'],
    ['hugetlb', 'hugetlb.2MB.rsvd.limit_in_bytes', '4194304'],
    ['net_cls', 'net_cls.classid', '1048577'],
    ['net_prio', 'net_prio.ifpriomap', 'eth0 5'],
    ['rdma', 'rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
  ]);
  const weight = v1ResourceWrites({ blockIO: { weight: 300 } }, HOST)[0];
  assert.deepEqual(weight.fallback, { file: 'blkio.bfq.weight', value: '300' }, 'BFQ weight when CFQ\'s file is gone (runc)');
  assert.equal(weight.field, 'blockIO.weight');
});

test('v1: 0 means not set, -1 means unlimited, and unlimited memory lifts memory+swap too', () => {
  assert.deepEqual(v1Triples({ memory: { limit: 0, swap: 0, reservation: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, pids: { limit: 0 } }), []);
  assert.deepEqual(v1Triples({ memory: { limit: -1 }, cpu: { quota: -1 }, pids: { limit: -1 } }), [
    ['memory', 'memory.limit_in_bytes', '-1'],
    ['memory', 'memory.memsw.limit_in_bytes', '-1'],
    ['cpu', 'cpu.cfs_quota_us', '-1'],
    ['pids', 'pids.max', 'max'],
  ]);
  assert.equal(v1ResourceWrites({ memory: { limit: -1 } }, HOST)[1].optional, true, 'only where swap accounting exists');
  assert.deepEqual(v1Triples({ memory: { swappiness: 2 ** 64 } }), [], 'Docker\'s "unset" swappiness');
  assert.deepEqual(v1Triples({ cpu: { shares: 1024, idle: 1 } }), [['cpu', 'cpu.idle', '1']], 'an idle group has no weight');
  assert.deepEqual(v1Triples({ memory: { limit: 9223372036854775807 } }), [['memory', 'memory.limit_in_bytes', '9223372036854775808']]);
});

test('v1: unified is refused unless empty (runc: "cannot use unified on cgroup v1")', () => {
  assert.throws(() => v1ResourceWrites({ unified: { 'memory.high': '1M' } }, HOST), huskError(/^linux\.resources\.unified names cgroup v2 files/));
  assert.deepEqual(v1ResourceWrites({ unified: {} }, HOST), []);
});

test('v2: every field it can express, in runc\'s fs2 order, unified last', () => {
  const resources: Resources = {
    memory: { limit: 1 << 28, swap: 1 << 29, reservation: 1 << 27 },
    cpu: { shares: 1024, quota: 20000, period: 50000, burst: 1000, cpus: '0-1', mems: '0', idle: 0 },
    pids: { limit: 64 },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
    },
    hugepageLimits: [{ pageSize: '1GB', limit: 1073741824 }],
    rdma: { mlx5_1: { hcaHandles: 3 } },
    unified: { 'memory.high': '100000000', 'io.max': '8:0 rbps=5\n8:16 wbps=6\n' },
  };
  assert.deepEqual(v2Pairs(resources), [
    ['pids.max', '64'],
    ['memory.swap.max', '268435456'],
    ['memory.max', '268435456'],
    ['memory.low', '134217728'],
    ['io.bfq.weight', '500'],
    ['io.bfq.weight', '8:0 300'],
    ['io.max', '8:0 rbps=1048576'],
    ['io.max', '8:16 wbps=max'],
    ['io.max', '8:0 riops=100'],
    ['io.max', '8:0 wiops=200'],
    ['cpu.idle', '0'],
    ['cpu.weight', '100'],
    ['cpu.max', '20000 50000'],
    ['cpu.max.burst', '1000'],
    ['cpuset.cpus', '0-1'],
    ['cpuset.mems', '0'],
    ['hugetlb.1GB.max', '1073741824'],
    ['rdma.max', 'mlx5_1 hca_handle=3'],
    ['memory.high', '100000000'],
    ['io.max', '8:0 rbps=5'],
    ['io.max', '8:16 wbps=6'],
  ]);
  const weight = v2ResourceWrites({ blockIO: { weight: 500 } }, HOST)[0];
  assert.deepEqual(weight.fallback, { file: 'io.weight', value: '4950' }, 'io.weight with the converted value without BFQ');
});

test('v2: cpu.max gets the default period with a quota alone; "max" without a positive quota', () => {
  assert.deepEqual(v2Pairs({ cpu: { quota: 25000 } }), [['cpu.max', '25000 100000']]);
  assert.deepEqual(v2Pairs({ cpu: { period: 20000 } }), [['cpu.max', 'max 20000']]);
  assert.deepEqual(v2Pairs({ cpu: { quota: -1, period: 20000 } }), [['cpu.max', 'max 20000']]);
  assert.deepEqual(v2Pairs({ pids: { limit: -1 }, memory: { limit: -1 } }), [['pids.max', 'max'], ['memory.swap.max', 'max'], ['memory.max', 'max']]);
  const swapOnly = v2ResourceWrites({ memory: { limit: -1 } }, HOST)[0];
  assert.equal(swapOnly.optional, true, 'no memory.swap.max without swap accounting is fine for "max"');
  assert.deepEqual(v2Pairs({ memory: { limit: 100, swap: 100 } }), [['memory.swap.max', '0'], ['memory.max', '100']]);
  assert.deepEqual(v2Pairs({ cpu: { shares: 1024, idle: 1 } }), [['cpu.idle', '1']], 'runc: no cpu.weight for an idle group');
});

test('v2: fields without a v2 equivalent are refused, naming the field', () => {
  const cases: Array<[Resources, RegExp]> = [
    [{ cpu: { realtimeRuntime: 1000 } }, /^linux\.resources\.cpu\.realtimeRuntime cannot be applied on cgroup v2/],
    [{ cpu: { realtimePeriod: 1000 } }, /^linux\.resources\.cpu\.realtimePeriod cannot be applied on cgroup v2/],
    [{ network: { classID: 1 } }, /^linux\.resources\.network\.classID cannot be applied on cgroup v2, which has no net_cls/],
    [{ network: { priorities: [{ name: 'eth0', priority: 1 }] } }, /^linux\.resources\.network\.priorities cannot be applied on cgroup v2/],
    [{ memory: { swappiness: 10 } }, /^linux\.resources\.memory\.swappiness cannot be applied on cgroup v2/],
    [{ memory: { disableOOMKiller: true } }, /^linux\.resources\.memory\.disableOOMKiller cannot be applied on cgroup v2/],
    [{ memory: { useHierarchy: false } }, /^linux\.resources\.memory\.useHierarchy false cannot be applied/],
    [{ blockIO: { leafWeight: 100 } }, /^linux\.resources\.blockIO\.leafWeight cannot be applied on cgroup v2/],
    [{ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 100 }] } }, /^linux\.resources\.blockIO\.weightDevice\[0\]\.leafWeight cannot be applied/],
    [{ memory: { swap: 10 } }, /^linux\.resources\.memory\.swap \(10\) needs a memory\.limit/],
  ];
  for (const [resources, pattern] of cases) assert.throws(() => v2ResourceWrites(resources, HOST), huskError(pattern), JSON.stringify(resources));
  // Their "not set" values are fine.
  assert.deepEqual(v2Pairs({ cpu: { realtimeRuntime: 0 }, memory: { swappiness: 2 ** 64, disableOOMKiller: false, useHierarchy: true }, network: { classID: 0, priorities: [] } }), []);
  assert.deepEqual(v1Triples({ network: { classID: 0 } }), [], 'runc: class id 0 is not written');
});

test('huge page sizes the kernel does not offer are refused with the sizes it does', () => {
  assert.throws(() => v1ResourceWrites({ hugepageLimits: [{ pageSize: '4MB', limit: 1 }] }, HOST), huskError(/^linux\.resources\.hugepageLimits\[0\]\.pageSize '4MB' is not a huge page size of this kernel \(this host offers 2MB, 1GB\)$/));
  assert.throws(() => v2ResourceWrites({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, { hugePageSizes: () => [] }), huskError(/this host offers no huge pages/));
});

test('bad values: negative, fractional, out of range, malformed; all named in one message', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ memory: { limit: -5 } }, /^linux\.resources\.memory\.limit is -5: expected a number of bytes, or -1 for unlimited$/],
    [{ memory: { limit: 1.5 } }, /^linux\.resources\.memory\.limit must be an integer, got 1\.5$/],
    [{ memory: { limit: '1g' } }, /^linux\.resources\.memory\.limit must be an integer, got "1g"$/],
    [{ memory: { limit: 200, swap: 100 } }, /^linux\.resources\.memory\.swap \(100, memory plus swap\) is less than memory\.limit \(200\)$/],
    [{ memory: { swappiness: 101 } }, /^linux\.resources\.memory\.swappiness is 101: expected 0 to 100$/],
    [{ memory: { disableOOMKiller: 'yes' } }, /disableOOMKiller must be true or false/],
    [{ pids: { limit: -2 } }, /^linux\.resources\.pids\.limit is -2: expected a number of processes, or -1 for unlimited$/],
    [{ cpu: { shares: 1 } }, /^linux\.resources\.cpu\.shares is 1: expected 2 to 262144 \(or 0 for not set\)$/],
    [{ cpu: { quota: -7 } }, /^linux\.resources\.cpu\.quota is -7/],
    [{ cpu: { period: -1 } }, /^linux\.resources\.cpu\.period is -1/],
    [{ cpu: { idle: 2 } }, /^linux\.resources\.cpu\.idle is 2: expected 0 to 1$/],
    [{ cpu: { quota: 1000, burst: 2000 } }, /^linux\.resources\.cpu\.burst \(2000\) is more than the quota \(1000\)$/],
    [{ cpu: { cpus: '0-a' } }, /^linux\.resources\.cpu\.cpus '0-a' is not a CPU list/],
    [{ cpu: { mems: '2-1' } }, /^linux\.resources\.cpu\.mems '2-1' is not a memory node list/],
    [{ blockIO: { weight: 5 } }, /^linux\.resources\.blockIO\.weight is 5: expected 10 to 1000/],
    [{ blockIO: { weightDevice: [{ major: -1, minor: 0, weight: 2000 }] } }, /blockIO\.weightDevice\[0\]\.major is -1.*; linux\.resources\.blockIO\.weightDevice\[0\]\.weight is 2000/],
    [{ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } }, /^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\]\.rate is -1/],
    [{ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0 }] } }, /throttleReadBpsDevice\[0\]\.rate is missing/],
    [{ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, /^linux\.resources\.hugepageLimits\[0\]\.pageSize '2M' is not a page size; expected a size such as 2MB or 1GB$/],
    [{ hugepageLimits: [{ pageSize: '2MB', limit: -1 }] }, /hugepageLimits\[0\]\.limit is -1/],
    [{ network: { classID: -1 } }, /^linux\.resources\.network\.classID is -1: expected 0 to 4294967295$/],
    [{ network: { priorities: [{ name: 'eth 0', priority: 1 }] } }, /network\.priorities\[0\]\.name 'eth 0' is not a network interface name/],
    [{ rdma: { mlx: { hcaHandles: -3 } } }, /^linux\.resources\.rdma\.mlx\.hcaHandles is -3/],
    [{ unified: { '../memory.max': '1' } }, /unified\["\.\.\/memory\.max"\] is not a cgroup interface file name/],
    [{ unified: { 'memory.max': 5 } }, /unified\["memory\.max"\] must be a string, got 5/],
    [{ memory: { limit: -2 }, pids: { limit: -3 } }, /memory\.limit is -2.*; linux\.resources\.pids\.limit is -3/],
    [[1], /^linux\.resources must be an object/],
  ];
  for (const [resources, pattern] of cases) {
    assert.throws(() => checkResourceValues(resources as Resources), huskError(pattern), JSON.stringify(resources));
  }
  checkResourceValues({ memory: { limit: -1, swap: -1, swappiness: 2 ** 64 }, cpu: { quota: -1, shares: 0, cpus: '' }, pids: { limit: 0 } });
  checkResourceValues(undefined as unknown as Resources);
});

test('device rules in the v1 devices controller syntax', () => {
  assert.equal(v1DeviceRuleLine({ allow: false, access: 'rwm' }), 'a *:* rwm');
  assert.equal(v1DeviceRuleLine({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }), 'c 1:3 rw');
  assert.equal(v1DeviceRuleLine({ allow: true, type: 'c', major: 136, minor: -1 }), 'c 136:* rwm');
});

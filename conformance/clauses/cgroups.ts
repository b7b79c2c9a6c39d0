// config-linux.md "Control groups": cgroupsPath, and each resource of linux.resources as the
// host's cgroup files show it while the container exists (created, not started).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Level, Scenario, clause, expect, expectEqual, fail, scenario } from '../lib/clause';
import { CHECKER_IN_CONTAINER, ScenarioContext, oneLine } from '../lib/context';
import { HostInfo, probeHost } from '../lib/host';
import { attempt, mustFail } from '../lib/scenarios';
import { readText, removeCgroupsNamed } from '../lib/util';
import type { RunResult } from '../../test/helpers/runtime';

const SPEC = 'config-linux.md';

let hostInfo: HostInfo | undefined;
const host = (): HostInfo => (hostInfo ??= probeHost());

/** controller → the host directory of the process's cgroup ('unified' for the v2 hierarchy). */
function controllerDirs(pid: number): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const line of (readText(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers, cgroupPath] = match;
    if (controllers === '') {
      dirs.unified = path.join(host().cgroupMode === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified', cgroupPath);
      continue;
    }
    for (const controller of controllers.split(',')) {
      const mountPoint = host().v1Controllers[controller];
      if (mountPoint) dirs[controller] = path.join(mountPoint, cgroupPath);
    }
  }
  return dirs;
}

interface CgroupView {
  create: RunResult;
  /** The init's pid as `state` gave it (0 when create failed). */
  pid: number;
  /** controller → cgroup directory on the host. */
  dirs: Record<string, string>;
  /** "controller/file" → content (trimmed), for the files asked for. */
  files: Record<string, string | undefined>;
  /** The cgroup paths of the process as /proc/<pid>/cgroup shows them. */
  procCgroup: string;
  pidInCgroup: boolean;
}

/** Create a container with `edit`, read `files` from its cgroups, delete it. */
function cgroupScenario(name: string, edit: (config: Record<string, any>, ctx: ScenarioContext) => void, files: string[]): Scenario<CgroupView> {
  return scenario<CgroupView>(name, async (ctx) => {
    const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER);
    edit(bundle.config as Record<string, any>, ctx);
    bundle.save();
    const id = ctx.newId();
    const create = await ctx.run(['create', '--bundle', bundle.dir, id]);
    const view: CgroupView = { create, pid: 0, dirs: {}, files: {}, procCgroup: '', pidInCgroup: false };
    if (create.status !== 0) return view;
    const pid = Number((await ctx.state(id))?.pid);
    view.pid = pid;
    view.dirs = controllerDirs(pid);
    view.procCgroup = readText(`/proc/${pid}/cgroup`) ?? '';
    for (const file of files) {
      const [controller, name] = file.split('/');
      const dir = view.dirs[controller];
      view.files[file] = dir ? readText(path.join(dir, name))?.trim() : undefined;
    }
    const memoryDir = view.dirs.memory ?? view.dirs.unified;
    view.pidInCgroup = memoryDir !== undefined && (readText(path.join(memoryDir, 'cgroup.procs')) ?? '').split('\n').includes(String(pid));
    await ctx.run(['delete', '--force', id]);
    return view;
  });
}

function created(view: CgroupView): void {
  expect(view.create.status === 0, `create failed: ${oneLine(view.create)}`);
}

function fileValue(view: CgroupView, file: string): string {
  created(view);
  const value = view.files[file];
  if (value === undefined) {
    // Rarely seen in full runs (1 in ~5): say whether the init was there at all, and where.
    const where = view.procCgroup ? `its cgroups: ${view.procCgroup.trim().split('\n').join(', ')}` : 'no /proc entry for it then';
    fail(`${file} does not exist for the container's cgroup (init pid ${view.pid}; ${where})`);
  }
  return value;
}

const needV1 = (...controllers: string[]) => () => {
  if (host().cgroupMode === 'v2') return 'the checks read cgroup v1 files; this host is cgroup v2';
  const missing = controllers.filter((controller) => !host().v1Controllers[controller]);
  return missing.length > 0 ? `the ${missing.join(', ')} cgroup controller is not mounted as a v1 hierarchy on this host` : undefined;
};

function resources(config: Record<string, any>): Record<string, any> {
  config.linux.resources ??= {};
  return config.linux.resources;
}

// ---------------------------------------------------------------- cgroupsPath

const absolutePath = cgroupScenario(
  'cgroups-path-absolute',
  (config, ctx) => {
    const parent = `${ctx.workspace.prefix}-${ctx.runtimeName}-abs`;
    ctx.defer(() => removeCgroupsNamed(parent));
    config.linux.cgroupsPath = `/${parent}/${ctx.workspace.next()}`;
  },
  [],
);

clause({
  id: 'config-linux/cgroups-path/absolute',
  spec: SPEC,
  section: 'Cgroups Path',
  level: 'MUST',
  gist: 'an absolute cgroupsPath is taken relative to the cgroups mount point (the cgroup is created if it does not exist)',
  scenario: absolutePath,
  hostSkip: needV1('memory', 'pids'),
  check(view) {
    created(view);
    for (const controller of ['memory', 'pids', 'cpu']) {
      const dir = view.dirs[controller];
      expect(dir, `the process is in no ${controller} cgroup`);
      const relative = path.relative(host().v1Controllers[controller], dir);
      expect(/-abs\/\d+$/.test(relative) && relative.split('/').length === 2, `the ${controller} cgroup is /${relative}, not the cgroupsPath under the mount point`);
    }
    expect(view.pidInCgroup, 'the process is not listed in its cgroup.procs');
  },
});

const relativePath = cgroupScenario(
  'cgroups-path-relative',
  (config, ctx) => {
    const parent = `${ctx.workspace.prefix}-${ctx.runtimeName}-rel`;
    ctx.defer(() => removeCgroupsNamed(parent));
    config.linux.cgroupsPath = `${parent}/${ctx.workspace.next()}`;
  },
  [],
);

clause({
  id: 'config-linux/cgroups-path/relative',
  spec: SPEC,
  section: 'Cgroups Path',
  level: 'MAY',
  gist: 'a relative cgroupsPath may be interpreted relative to a runtime-determined location: the process is in a cgroup ending with it',
  scenario: relativePath,
  hostSkip: needV1('memory'),
  check(view) {
    created(view);
    expect(/-rel\/\d+$/.test(view.dirs.memory ?? ''), `the memory cgroup is ${view.dirs.memory}`);
  },
});

interface Consistent {
  first: Record<string, string>;
  second: Record<string, string>;
  errors: string[];
}

const consistentPath = scenario<Consistent>('cgroups-path-consistent', async (ctx) => {
  const parent = `${ctx.workspace.prefix}-${ctx.runtimeName}-same`;
  ctx.defer(() => removeCgroupsNamed(parent));
  const cgroupsPath = `/${parent}/${ctx.workspace.next()}`;
  const seen: Record<string, string>[] = [];
  const errors: string[] = [];
  for (let i = 0; i < 2; i++) {
    const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER).setCgroupsPath(cgroupsPath).save();
    const id = ctx.newId();
    const create = await ctx.run(['create', '--bundle', bundle.dir, id]);
    if (create.status !== 0) {
      errors.push(oneLine(create));
      seen.push({});
      continue;
    }
    seen.push(controllerDirs(Number((await ctx.state(id))?.pid)));
    await ctx.run(['delete', '--force', id]);
  }
  return { first: seen[0], second: seen[1], errors };
});

clause({
  id: 'config-linux/cgroups-path/consistent',
  spec: SPEC,
  section: 'Cgroups Path',
  level: 'MUST',
  gist: 'the same cgroupsPath attaches to the same place in the hierarchy every time (two containers, one after the other)',
  scenario: consistentPath,
  check(obs) {
    expect(obs.errors.length === 0, `create failed: ${obs.errors.join('; ')}`);
    expect(Object.keys(obs.first).length > 0, 'no cgroups seen');
    expectEqual(obs.second, obs.first, 'cgroup directories of the second container');
  },
});

// ---------------------------------------------------------------- resources

interface ResourceCase {
  id: string;
  section: string;
  level?: Level;
  gist: string;
  controllers: string[];
  /** cgroup v1 file ("controller/file") → expected content (or a test of it). */
  expect: Record<string, string | ((value: string) => boolean)>;
  edit(resources: Record<string, any>): void;
  hostSkip?: () => string | undefined;
}

const MiB = 1024 * 1024;

function bfqDeviceSkip(): string | undefined {
  const device = host().blockDevice;
  if (!device) return 'no block device found';
  const name = fs.readdirSync('/sys/block').find((entry) => readText(`/sys/block/${entry}/dev`)?.trim() === device);
  const scheduler = name ? readText(`/sys/block/${name}/queue/scheduler`) ?? '' : '';
  return scheduler.includes('[bfq]') ? undefined : `per-device weights need the BFQ I/O scheduler; ${name ?? device} uses ${scheduler.trim() || 'none'}`;
}

function blkioFileSkip(file: string): () => string | undefined {
  return () => {
    const mountPoint = host().v1Controllers.blkio;
    if (!mountPoint) return 'no blkio v1 controller';
    return fs.existsSync(path.join(mountPoint, file)) ? undefined : `this kernel has no ${file} (the CFQ scheduler is gone since Linux 5.0)`;
  };
}

const RESOURCE_CASES: ResourceCase[] = [
  {
    id: 'memory',
    section: 'Memory',
    gist: 'memory limit, reservation, swap (memory+swap), swappiness, disableOOMKiller and useHierarchy are applied to the memory cgroup',
    controllers: ['memory'],
    expect: {
      'memory/memory.limit_in_bytes': String(64 * MiB),
      'memory/memory.soft_limit_in_bytes': String(32 * MiB),
      'memory/memory.memsw.limit_in_bytes': String(128 * MiB),
      'memory/memory.swappiness': '20',
      'memory/memory.oom_control': (value) => /^oom_kill_disable 1$/m.test(value),
      'memory/memory.use_hierarchy': '1',
    },
    edit: (r) => (r.memory = { limit: 64 * MiB, reservation: 32 * MiB, swap: 128 * MiB, swappiness: 20, disableOOMKiller: true, useHierarchy: true }),
    hostSkip: () => (fs.existsSync(path.join(host().v1Controllers.memory ?? '/nonexistent', 'memory.memsw.limit_in_bytes')) ? undefined : 'swap accounting is off (no memory.memsw.*)'),
  },
  {
    id: 'memory-unlimited',
    section: 'Memory',
    gist: 'a memory limit of -1 means unlimited',
    controllers: ['memory'],
    expect: { 'memory/memory.limit_in_bytes': (value) => BigInt(value) >= 9223372036854771712n },
    edit: (r) => (r.memory = { limit: -1 }),
  },
  {
    id: 'memory-kernelTCP',
    section: 'Memory',
    gist: 'kernelTCP (NOT RECOMMENDED) sets the hard limit for kernel TCP buffer memory',
    controllers: ['memory'],
    expect: { 'memory/memory.kmem.tcp.limit_in_bytes': String(16 * MiB) },
    edit: (r) => (r.memory = { kernelTCP: 16 * MiB }),
  },
  {
    id: 'cpu',
    section: 'CPU',
    gist: 'cpu shares, quota, period, cpus and mems are applied to the cpu and cpuset cgroups',
    controllers: ['cpu', 'cpuset'],
    expect: {
      'cpu/cpu.shares': '512',
      'cpu/cpu.cfs_quota_us': '20000',
      'cpu/cpu.cfs_period_us': '100000',
      'cpuset/cpuset.cpus': '0',
      'cpuset/cpuset.mems': '0',
    },
    edit: (r) => (r.cpu = { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' }),
  },
  {
    id: 'cpu-burst',
    section: 'CPU',
    gist: 'cpu burst is applied (cpu.cfs_burst_us), no larger than the quota',
    controllers: ['cpu'],
    expect: { 'cpu/cpu.cfs_burst_us': '10000' },
    edit: (r) => (r.cpu = { quota: 50000, period: 100000, burst: 10000 }),
    hostSkip: () => (fs.existsSync(path.join(host().v1Controllers.cpu ?? '/nonexistent', 'cpu.cfs_burst_us')) ? undefined : 'this kernel has no cpu.cfs_burst_us'),
  },
  {
    id: 'cpu-idle',
    section: 'CPU',
    gist: 'cpu idle 1 configures the cgroup as SCHED_IDLE (cpu.idle)',
    controllers: ['cpu'],
    expect: { 'cpu/cpu.idle': '1' },
    edit: (r) => (r.cpu = { idle: 1 }),
    hostSkip: () => (fs.existsSync(path.join(host().v1Controllers.cpu ?? '/nonexistent', 'cpu.idle')) ? undefined : 'this kernel has no cpu.idle'),
  },
  {
    id: 'cpu-realtime',
    section: 'CPU',
    gist: 'realtimeRuntime and realtimePeriod are applied (cpu.rt_runtime_us, cpu.rt_period_us)',
    controllers: ['cpu'],
    expect: { 'cpu/cpu.rt_runtime_us': '10000', 'cpu/cpu.rt_period_us': '1000000' },
    edit: (r) => (r.cpu = { realtimeRuntime: 10000, realtimePeriod: 1000000 }),
    hostSkip: () => (fs.existsSync(path.join(host().v1Controllers.cpu ?? '/nonexistent', 'cpu.rt_runtime_us')) ? undefined : 'the kernel has no RT group scheduling'),
  },
  {
    id: 'pids',
    section: 'PIDs',
    gist: 'pids limit is the maximum number of tasks in the cgroup',
    controllers: ['pids'],
    expect: { 'pids/pids.max': '77' },
    edit: (r) => (r.pids = { limit: 77 }),
  },
  {
    id: 'pids-zero',
    section: 'PIDs',
    level: 'SHOULD',
    gist: '0 is a valid pids limit and is treated as such (pids.max 0), not as "unset"',
    controllers: ['pids'],
    expect: { 'pids/pids.max': '0' },
    edit: (r) => (r.pids = { limit: 0 }),
  },
  {
    id: 'pids-unlimited',
    section: 'PIDs',
    gist: 'a pids limit of -1 means no limit (max)',
    controllers: ['pids'],
    expect: { 'pids/pids.max': 'max' },
    edit: (r) => (r.pids = { limit: -1 }),
  },
  {
    id: 'blockIO-weight',
    section: 'Block IO',
    gist: 'blockIO weight is the per-cgroup weight (blkio.weight, or blkio.bfq.weight where only BFQ offers one)',
    controllers: ['blkio'],
    expect: { 'blkio/blkio.weight|blkio.bfq.weight': '300' },
    edit: (r) => (r.blockIO = { weight: 300 }),
  },
  {
    id: 'blockIO-leafWeight',
    section: 'Block IO',
    gist: 'blockIO leafWeight is applied (blkio.leaf_weight)',
    controllers: ['blkio'],
    expect: { 'blkio/blkio.leaf_weight': '300' },
    edit: (r) => (r.blockIO = { leafWeight: 300 }),
    hostSkip: blkioFileSkip('blkio.leaf_weight'),
  },
  {
    id: 'blockIO-weightDevice',
    section: 'Block IO',
    gist: 'blockIO weightDevice sets the weight of one device',
    controllers: ['blkio'],
    expect: { 'blkio/blkio.bfq.weight_device': (value) => value.includes(`${host().blockDevice} 300`) },
    edit: (r) => {
      const [major, minor] = (host().blockDevice ?? '0:0').split(':').map(Number);
      r.blockIO = { weightDevice: [{ major, minor, weight: 300 }] };
    },
    hostSkip: bfqDeviceSkip,
  },
  {
    id: 'blockIO-throttle',
    section: 'Block IO',
    gist: 'throttleReadBpsDevice, throttleWriteBpsDevice, throttleReadIOPSDevice and throttleWriteIOPSDevice set per-device rate limits',
    controllers: ['blkio'],
    expect: {
      'blkio/blkio.throttle.read_bps_device': () => true,
      'blkio/blkio.throttle.write_bps_device': () => true,
      'blkio/blkio.throttle.read_iops_device': () => true,
      'blkio/blkio.throttle.write_iops_device': () => true,
    },
    edit: (r) => {
      const [major, minor] = (host().blockDevice ?? '0:0').split(':').map(Number);
      r.blockIO = {
        throttleReadBpsDevice: [{ major, minor, rate: 1 * MiB }],
        throttleWriteBpsDevice: [{ major, minor, rate: 2 * MiB }],
        throttleReadIOPSDevice: [{ major, minor, rate: 100 }],
        throttleWriteIOPSDevice: [{ major, minor, rate: 200 }],
      };
    },
    hostSkip: () => (host().blockDevice ? undefined : 'no block device found'),
  },
  {
    id: 'hugepageLimits',
    section: 'Huge page limits',
    gist: 'hugepageLimits limit HugeTLB usage per page size (hugetlb.2MB.limit_in_bytes)',
    controllers: ['hugetlb'],
    expect: { 'hugetlb/hugetlb.2MB.limit_in_bytes': String(4 * MiB) },
    edit: (r) => (r.hugepageLimits = [{ pageSize: '2MB', limit: 4 * MiB }]),
    hostSkip: needV1('hugetlb'),
  },
  {
    id: 'network-classID',
    section: 'Network',
    gist: 'network classID tags the packets of the cgroup (net_cls.classid)',
    controllers: ['net_cls'],
    expect: { 'net_cls/net_cls.classid': '1048577' },
    edit: (r) => (r.network = { classID: 1048577 }),
    hostSkip: needV1('net_cls'),
  },
  {
    id: 'network-priorities',
    section: 'Network',
    gist: 'network priorities set the priority of traffic per interface (net_prio.ifpriomap)',
    controllers: ['net_prio'],
    expect: { 'net_prio/net_prio.ifpriomap': (value) => /^lo 5$/m.test(value) },
    edit: (r) => (r.network = { priorities: [{ name: 'lo', priority: 5 }] }),
    hostSkip: needV1('net_prio'),
  },
  {
    id: 'rdma',
    section: 'RDMA',
    gist: 'rdma limits hca handles and objects per device (rdma.max)',
    controllers: ['rdma'],
    expect: { 'rdma/rdma.max': () => true },
    edit: (r) => (r.rdma = { mlx5_0: { hcaHandles: 3, hcaObjects: 100 } }),
    hostSkip: needV1('rdma'),
  },
];

for (const c of RESOURCE_CASES) {
  const files = Object.keys(c.expect).flatMap((file) => {
    const [controller, names] = file.split('/');
    return names.split('|').map((name) => `${controller}/${name}`);
  });
  const view = cgroupScenario(`cgroups-${c.id}`, (config) => c.edit(resources(config)), files);
  clause({
    id: `config-linux/resources/${c.id}`,
    spec: SPEC,
    section: c.section,
    level: c.level ?? 'MUST',
    gist: c.gist,
    scenario: view,
    hostSkip: c.hostSkip ?? needV1(...c.controllers),
    check(obs) {
      for (const [file, expected] of Object.entries(c.expect)) {
        const [controller, names] = file.split('/');
        const candidates = names.split('|').map((name) => `${controller}/${name}`);
        const present = candidates.find((candidate) => obs.files[candidate] !== undefined);
        const value = fileValue(obs, present ?? candidates[0]);
        if (typeof expected === 'string') expectEqual(value, expected, present ?? file);
        else expect(expected(value), `${present ?? file} is ${JSON.stringify(value)}`);
        if (c.id === 'blockIO-throttle') {
          const rates = { read_bps_device: MiB, write_bps_device: 2 * MiB, read_iops_device: 100, write_iops_device: 200 };
          const kind = (present ?? '').replace('blkio/blkio.throttle.', '') as keyof typeof rates;
          expect(value.split('\n').includes(`${host().blockDevice} ${rates[kind]}`), `${present} is ${JSON.stringify(value)}`);
        }
      }
    },
  });
}

clause({
  id: 'config-linux/unified/controller-missing',
  spec: SPEC,
  section: 'Unified',
  level: 'MUST',
  gist: "unified naming a controller that is not present (memory.max, on a host whose memory controller is v1) is an error",
  scenario: attempt('cgroups-unified-on-v1', (bundle) => {
    resources(bundle.config as Record<string, any>).unified = { 'memory.max': '1000000' };
  }),
  hostSkip: () => (host().cgroupMode === 'v2' ? 'on a cgroup v2 host the memory controller is present' : undefined),
  check: (obs) => mustFail(obs, 'unified memory.max on a host without a v2 memory controller'),
});

clause({
  id: 'config-linux/intelRdt/no-resctrl',
  spec: SPEC,
  section: 'IntelRdt',
  level: 'MUST',
  gist: 'with intelRdt set and no resctrl filesystem mounted, the runtime generates an error',
  scenario: attempt('intel-rdt-without-resctrl', (bundle) => {
    bundle.config.linux.intelRdt = { closID: 'conformance' };
  }),
  hostSkip: () => (host().resctrl ? 'resctrl is mounted here' : undefined),
  check: (obs) => mustFail(obs, 'intelRdt without resctrl'),
});



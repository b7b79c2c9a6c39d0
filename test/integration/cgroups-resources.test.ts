// Acceptance tests of cgroup limits, pause/resume, update, events and ps on this machine's real
// cgroup hierarchy. The files are located the way any tool would: from /proc/<init>/cgroup and
// /proc/self/mountinfo, so the tests do not depend on where husk decides to put a cgroup. They
// read v1 file names on v1/hybrid hosts and v2 names on pure v2 hosts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { hostMounts, processCgroupText, processState, readProcFile } from '../helpers/procfs';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const MiB = 1024 * 1024;

/** Whether the memory controller lives in a v1 hierarchy here (v1 or hybrid) or in cgroup2. */
function hostCgroupVersion(): 1 | 2 {
  const v1Memory = hostMounts().some((m) => m.fsType === 'cgroup' && m.superOptions?.split(',').includes('memory'));
  return v1Memory ? 1 : 2;
}

/** Whether a v1 hierarchy carries `controller` (hugetlb, net_cls... are not mounted everywhere). */
function v1ControllerMounted(controller: string): boolean {
  return hostMounts().some((m) => m.fsType === 'cgroup' && (m.superOptions ?? '').split(',').includes(controller));
}

/** The directory of `pid`'s cgroup that holds `controller`'s files (v2: the one directory). */
function cgroupDirOf(pid: number, controller: string): string {
  const lines = processCgroupText(pid).trim().split('\n');
  for (const mount of hostMounts()) {
    if (mount.fsType === 'cgroup2' && hostCgroupVersion() === 2) {
      const line = lines.find((l) => l.startsWith('0::'));
      if (line) return path.join(mount.mountPoint, path.relative(mount.root ?? '/', line.slice(3)));
    }
    if (mount.fsType !== 'cgroup' || !(mount.superOptions ?? '').split(',').includes(controller)) continue;
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
    if (line) return path.join(mount.mountPoint, path.relative(mount.root ?? '/', line.split(':').slice(2).join(':')));
  }
  throw new Error(`no ${controller} cgroup for process ${pid}: ${lines.join(' | ')}`);
}

function readCgroup(pid: number, controller: string, file: string): string {
  const text = readProcFile(path.join(cgroupDirOf(pid, controller), file));
  if (text === undefined) throw new Error(`cannot read ${file} of process ${pid}`);
  return text.trim();
}

/** A block device this host has, as "major:minor" (for throttle limits). */
function someBlockDevice(): string {
  for (const name of fs.readdirSync('/sys/block')) {
    if (name.startsWith('loop') || name.startsWith('zram')) continue;
    const dev = readProcFile(`/sys/block/${name}/dev`);
    if (dev) return dev.trim();
  }
  throw new Error('no block device in /sys/block');
}

describe('cgroups: limits, pause/resume, update, events, ps', suiteOptions(), () => {
  const context = useTestContext();
  const version = hostCgroupVersion();

  async function started(ctx: TestContext, bundle: Bundle): Promise<{ id: string; pid: number }> {
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
    await ctx.runtime.runOk(['start', id]);
    const state = await ctx.runtime.waitForStatus(id, 'running');
    return { id, pid: state.pid };
  }

  function withResources(ctx: TestContext, resources: Record<string, unknown>, ...args: string[]): Bundle {
    const bundle = makeBundle(ctx).setArgs(...(args.length > 0 ? args : ['sleep', '600']));
    bundle.config.linux.resources = { ...(bundle.config.linux.resources as object), ...resources };
    return bundle.save();
  }

  it('writes every configured limit into the host\'s cgroup files, and delete removes them', testOptions, async () => {
    const ctx = context();
    const [major, minor] = someBlockDevice().split(':').map(Number);
    const common = {
      memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 128 * MiB },
      cpu: { shares: 512, quota: 25000, period: 50000, cpus: '0', mems: '0' },
      pids: { limit: 40 },
      blockIO: { throttleReadBpsDevice: [{ major, minor, rate: 10 * MiB }], throttleWriteIOPSDevice: [{ major, minor, rate: 300 }] },
    };
    const v1Only = { memory: { ...common.memory, swappiness: 10, kernelTCP: 16 * MiB, disableOOMKiller: true }, cpu: { ...common.cpu, burst: 1000 } };
    const bundle = withResources(ctx, version === 1 ? { ...common, ...v1Only } : common);
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
    const { pid } = await ctx.runtime.state(id);
    const dirs = ['memory', 'cpu', 'pids', 'cpuset', 'blkio'].map((c) => cgroupDirOf(pid, c));
    const expected: Array<[string, string, string]> = version === 1
      ? [
        ['memory', 'memory.limit_in_bytes', String(64 * MiB)],
        ['memory', 'memory.soft_limit_in_bytes', String(32 * MiB)],
        ['memory', 'memory.memsw.limit_in_bytes', String(128 * MiB)],
        ['memory', 'memory.swappiness', '10'],
        ['memory', 'memory.kmem.tcp.limit_in_bytes', String(16 * MiB)],
        ['cpu', 'cpu.shares', '512'],
        ['cpu', 'cpu.cfs_quota_us', '25000'],
        ['cpu', 'cpu.cfs_period_us', '50000'],
        ['cpu', 'cpu.cfs_burst_us', '1000'],
        ['cpuset', 'cpuset.cpus', '0'],
        ['cpuset', 'cpuset.mems', '0'],
        ['pids', 'pids.max', '40'],
        ['blkio', 'blkio.throttle.read_bps_device', `${major}:${minor} ${10 * MiB}`],
        ['blkio', 'blkio.throttle.write_iops_device', `${major}:${minor} 300`],
      ]
      : [
        ['memory', 'memory.max', String(64 * MiB)],
        ['memory', 'memory.low', String(32 * MiB)],
        ['memory', 'memory.swap.max', String(64 * MiB)],
        ['cpu', 'cpu.weight', '59'],
        ['cpu', 'cpu.max', '25000 50000'],
        ['cpuset', 'cpuset.cpus', '0'],
        ['pids', 'pids.max', '40'],
      ];
    for (const [controller, file, value] of expected) assert.equal(readCgroup(pid, controller, file), value, file);
    if (version === 1) assert.match(readCgroup(pid, 'memory', 'memory.oom_control'), /^oom_kill_disable 1$/m);
    if (version === 2) assert.match(readCgroup(pid, 'io', 'io.max'), new RegExp(`^${major}:${minor} rbps=${10 * MiB} wbps=max riops=max wiops=300`, 'm'));
    await ctx.runtime.runOk(['delete', '--force', id]);
    for (const dir of dirs) assert.equal(fs.existsSync(dir), false, `${dir} removed by delete`);
  });

  it('a pids-limited container cannot fork past the limit', testOptions, async () => {
    const ctx = context();
    // sh counts 1, 2, ... as it starts background sleeps; busybox sh gives up at the first failed fork.
    const bundle = withResources(ctx, { pids: { limit: 5 } }, 'sh', '-c', 'i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); echo $i; done');
    const result = await ctx.runtime.run(['run', '--bundle', bundle.dir, ctx.newId()]);
    assert.notEqual(result.status, 0, 'the shell fails when fork fails');
    assert.match(result.stderr, /can't fork/);
    const counted = result.stdout.trim().split('\n');
    assert.equal(counted[counted.length - 1], '4', 'sh itself plus 4 sleeps make the 5 allowed');
  });

  it('a memory-limited container is OOM-killed and events reports it; events ends after delete', { timeout: 30_000 }, async () => {
    const ctx = context();
    const marker = ctx.newDir('marker');
    // dd's 64 MiB buffer cannot fit in 16 MiB: the OOM killer takes dd, the shell survives.
    const script = 'while [ ! -e /marker/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? > /marker/dd; sleep 600';
    const bundle = withResources(ctx, { memory: { limit: 16 * MiB, swap: 16 * MiB } }, 'sh', '-c', script).addBindMount(marker, '/marker').save();
    const { id } = await started(ctx, bundle);

    const events = spawn(ctx.runtime.bin, ['--root', ctx.runtime.root, 'events', '--interval', '200ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffered = '';
    events.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      lines.push(...complete);
    });
    events.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => events.on('exit', (code) => resolve(code)));
    try {
      // The first stats line proves the stream (and its OOM baseline) is up.
      const first = await waitFor(() => `a stats line (stderr: ${stderr})`, () => lines.find((l) => l.includes('"type":"stats"')), { timeoutMs: 5000 });
      const stats = JSON.parse(first) as { type: string; id: string; data: { memory: { usage: { limit: number } }; pids: { current: number } } };
      assert.equal(stats.id, id);
      assert.equal(stats.data.memory.usage.limit, 16 * MiB);
      assert.ok(stats.data.pids.current >= 1);

      fs.writeFileSync(path.join(marker, 'go'), '');
      await waitFor(() => `an oom event (got ${JSON.stringify(lines.filter((l) => !l.includes('"stats"')))})`, () => lines.includes(`{"type":"oom","id":"${id}"}`), { timeoutMs: 10_000 });
      const ddStatus = await waitFor('dd to report', () => readProcFile(path.join(marker, 'dd'))?.trim());
      assert.equal(ddStatus, '137', 'dd was SIGKILLed');

      await ctx.runtime.runOk(['delete', '--force', id]);
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 3000))]);
      assert.equal(code, 0, 'events exits by itself once the cgroup is gone');
    } finally {
      events.kill('SIGKILL');
    }
  });

  it('pause freezes every process (state paused, tasks in D), resume thaws them', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await started(ctx, makeBundle(ctx).setShellScript('sleep 600 & sleep 600').save());
    const psJson = JSON.parse((await ctx.runtime.runOk(['ps', '--format', 'json', id])).stdout) as number[];
    assert.equal(psJson.length, 2);
    assert.ok(psJson.includes(pid));

    await ctx.runtime.runOk(['pause', id]);
    assert.equal((await ctx.runtime.state(id)).status, 'paused');
    if (version === 1) assert.equal(readCgroup(pid, 'freezer', 'freezer.state'), 'FROZEN');
    else assert.match(readCgroup(pid, 'memory', 'cgroup.events'), /^frozen 1$/m);
    // The v1 freezer parks tasks in uninterruptible sleep; the v2 freezer in an interruptible one.
    if (version === 1) for (const member of psJson) assert.equal(processState(member), 'D', `process ${member} is frozen`);
    const again = await ctx.runtime.run(['pause', id]);
    assert.notEqual(again.status, 0, 'a paused container cannot be paused again');

    await ctx.runtime.runOk(['resume', id]);
    assert.equal((await ctx.runtime.state(id)).status, 'running');
    if (version === 1) assert.equal(readCgroup(pid, 'freezer', 'freezer.state'), 'THAWED');
    for (const member of psJson) await waitFor(`process ${member} to sleep again`, () => processState(member) === 'S');
    const notPaused = await ctx.runtime.run(['resume', id]);
    assert.notEqual(notPaused.status, 0);
    assert.match(notPaused.stderr, /not paused/);
  });

  it('update changes live limits (flags and --resources -), keeping the half of a pair not given', testOptions, async () => {
    const ctx = context();
    const bundle = withResources(ctx, { memory: { limit: 64 * MiB }, pids: { limit: 20 }, cpu: { shares: 1024, quota: 50000, period: 100000 } });
    const { id, pid } = await started(ctx, bundle);

    await ctx.runtime.runOk(['update', '--memory', '128m', '--memory-swap', '256m', '--pids-limit', '12', '--cpu-share', '256', '--cpu-quota', '30000', '--cpuset-cpus', '0', id]);
    const quotaOnly = version === 1
      ? [['memory', 'memory.limit_in_bytes', String(128 * MiB)], ['memory', 'memory.memsw.limit_in_bytes', String(256 * MiB)], ['cpu', 'cpu.shares', '256'], ['cpu', 'cpu.cfs_quota_us', '30000'], ['cpu', 'cpu.cfs_period_us', '100000']]
      : [['memory', 'memory.max', String(128 * MiB)], ['memory', 'memory.swap.max', String(128 * MiB)], ['cpu', 'cpu.weight', '30'], ['cpu', 'cpu.max', '30000 100000']];
    for (const [controller, file, value] of [...quotaOnly, ['pids', 'pids.max', '12'], ['cpuset', 'cpuset.cpus', '0']]) {
      assert.equal(readCgroup(pid, controller, file), value, file);
    }

    // A period alone keeps the quota in force (runc's rule for update).
    await ctx.runtime.runOk(['update', '--cpu-period', '200000', id]);
    if (version === 1) assert.equal(readCgroup(pid, 'cpu', 'cpu.cfs_period_us'), '200000');
    else assert.equal(readCgroup(pid, 'cpu', 'cpu.max'), '30000 200000');
    assert.equal(readCgroup(pid, 'cpu', version === 1 ? 'cpu.cfs_quota_us' : 'cpu.max').split(' ')[0], '30000');

    const json = JSON.stringify({ pids: { limit: 7 }, memory: { limit: 96 * MiB } });
    await ctx.runtime.runOk(['update', '--resources', '-', id], { input: json });
    assert.equal(readCgroup(pid, 'pids', 'pids.max'), '7');
    assert.equal(readCgroup(pid, 'memory', version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(96 * MiB));

    const stats = JSON.parse((await ctx.runtime.runOk(['events', '--stats', id])).stdout) as { data: { pids: { limit: number }; memory: { usage: { limit: number } } } };
    assert.equal(stats.data.pids.limit, 7);
    assert.equal(stats.data.memory.usage.limit, 96 * MiB);

    const refused = await ctx.runtime.run(['update', '--memory', '1k', id]);
    assert.notEqual(refused.status, 0, 'a limit below the current usage is refused by the kernel');
    assert.match(refused.stderr, /memory\.limit/);
    assert.equal(readCgroup(pid, 'memory', version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(96 * MiB));
    const malformed = await ctx.runtime.run(['update', '--pids-limit', 'lots', id]);
    assert.notEqual(malformed.status, 0);
    assert.match(malformed.stderr, /--pids-limit/);
  });

  it('ps: a table filtered to the container\'s processes (with ps arguments) and a json pid list', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await started(ctx, makeBundle(ctx).setArgs('sleep', '600').save());
    const table = (await ctx.runtime.runOk(['ps', id])).stdout.trim().split('\n');
    assert.match(table[0], /\bPID\b/);
    assert.equal(table.length, 2, table.join('\n'));
    assert.ok(table[1].includes(String(pid)) && table[1].includes('sleep 600'), table[1]);
    const custom = (await ctx.runtime.runOk(['ps', id, '-o', 'pid,comm'])).stdout.trim().split('\n');
    assert.deepEqual(custom.slice(1).map((l) => l.trim().split(/\s+/)), [[String(pid), 'sleep']]);
    assert.deepEqual(JSON.parse((await ctx.runtime.runOk(['ps', '--format', 'json', id])).stdout), [pid]);
  });

  it('bad or unsupported limits fail create with the field named, leaving nothing behind', testOptions, async () => {
    const ctx = context();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ memory: { limit: -5 } }, /linux\.resources\.memory\.limit is -5/],
      [{ cpu: { shares: 1 } }, /linux\.resources\.cpu\.shares/],
      [{ cpu: { quota: 500, period: 100000 } }, /linux\.resources\.cpu\.quota: the kernel refused '500'/],
      [{ network: { classID: 1 } }, /linux\.resources\.network\.classID/],
    ];
    if (version === 1) {
      cases.push([{ unified: { 'memory.high': '1' } }, /linux\.resources\.unified names cgroup v2 files/]);
      if (!v1ControllerMounted('hugetlb')) {
        cases.push([{ hugepageLimits: [{ pageSize: '2MB', limit: 2 * MiB }] }, /linux\.resources\.hugepageLimits\[0\] needs the hugetlb cgroup controller, which is not mounted/]);
      }
    } else {
      cases.push([{ cpu: { realtimeRuntime: 1000 } }, /linux\.resources\.cpu\.realtimeRuntime cannot be applied on cgroup v2/]);
    }
    for (const [resources, pattern] of cases) {
      const bundle = withResources(ctx, resources, '/bin/true');
      const id = ctx.newId();
      const result = await ctx.runtime.run(['create', '--bundle', bundle.dir, id]);
      assert.notEqual(result.status, 0, JSON.stringify(resources));
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    }
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });
});

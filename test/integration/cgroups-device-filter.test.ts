// The cgroup v2 device filter on the real kernel. This machine is hybrid (v1 controllers, a
// controller-less cgroup2 at /sys/fs/cgroup/unified), where husk, like runc, enforces device
// rules with the v1 controller; but a BPF_PROG_TYPE_CGROUP_DEVICE program can be attached to any
// cgroup2 directory, so the filter is tested there in throwaway cgroups:
//   * the same rule lists, once written to a v1 devices cgroup and once compiled and attached to
//     a cgroup2 one, decide every open (r, w, rw) and mknod of a set of device nodes alike (and as
//     the TypeScript model of the v1 controller says);
//   * husk's V2Cgroup attaches the program at create, replaces it on update, and its removal
//     takes the program with it;
//   * `husk update -r` changes the device rules of a running container (v1 here, eBPF on v2).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { addon } from '../../src/addon';
import { openCgroup, planCgroup, probeCgroupHost } from '../../src/cgroups';
import { runtimeDeviceRules } from '../../src/cgroups/default-device-rules';
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, compileDeviceFilter, emulateV1DeviceRules, v1DeviceAccessAllowed,
} from '../../src/cgroups/device-filter';
import { v1DeviceRuleLine } from '../../src/cgroups/resources';
import type { DeviceCgroupRule } from '../../src/spec/types';
import { makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { REPO_ROOT } from '../helpers/paths';
import { hostMounts, processCgroupText } from '../helpers/procfs';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

const cgroup2 = hostMounts().find((m) => m.fsType === 'cgroup2');
const v1Devices = hostMounts().find((m) => m.fsType === 'cgroup' && (m.superOptions ?? '').split(',').includes('devices'));

// Device nodes the probe opens: char 1:3/5/9 are null, zero and urandom; nothing drives majors
// 77 and 78 here, so an allowed open fails with ENXIO and a denied one with EPERM.
const NODES: Array<[type: 'b' | 'c', major: number, minor: number]> = [];
for (const minor of [3, 5, 9]) {
  for (const major of [1, 77, 78]) NODES.push(['c', major, minor]);
  for (const major of [77, 78]) NODES.push(['b', major, minor]);
}
const OPERATIONS: Record<string, number> = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, rw: BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD };
const ALL_OPS = NODES.flatMap(([t, ma, mi]) => Object.keys(OPERATIONS).map((op) => `${op}:${t}:${ma}:${mi}`));

function buildProbe(ctx: TestContext): string {
  const binary = path.join(ctx.tmpDir, 'device-probe');
  if (!fs.existsSync(binary)) {
    execFileSync('gcc', ['-static', '-O2', '-o', binary, path.join(REPO_ROOT, 'test', 'helpers', 'device-probe.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return binary;
}

/** Runs the probe in the given cgroups; "OP" → "OK" / errno name. */
function probe(binary: string, procsFiles: string[], dir: string, ops: string[]): Record<string, string> {
  const output = execFileSync(binary, ['check', ...procsFiles, '--', dir, ...ops], { encoding: 'utf8' });
  const results: Record<string, string> = {};
  for (const line of output.trim().split('\n')) {
    const [op, result] = line.split('=');
    results[op] = result;
  }
  assert.deepEqual(Object.keys(results).sort(), [...ops].sort(), output);
  return results;
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRules(random: () => number): DeviceCgroupRule[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const rules: DeviceCgroupRule[] = [];
  for (let i = Math.floor(random() * 7); i > 0; i--) {
    const rule: DeviceCgroupRule = { allow: random() < 0.5, type: pick(['a', 'b', 'c', 'c', 'c']) };
    const major = pick([undefined, 1, 77, 78]);
    if (major !== undefined) rule.major = major;
    const minor = pick([undefined, 3, 5]);
    if (minor !== undefined) rule.minor = minor;
    rule.access = pick(['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm']);
    rules.push(rule);
  }
  // Start like a container config half of the time: deny everything, then allow.
  return random() < 0.5 ? [{ allow: false, access: 'rwm' }, ...rules] : rules;
}

describe('cgroup v2 device filter (eBPF) on the real kernel', suiteOptions(), () => {
  const context = useTestContext();
  const skipNoCgroup2 = cgroup2 ? false : 'no cgroup2 mount';

  /** mkdir a throwaway cgroup; removes it (and with it its programs) after `body`. */
  async function withCgroup<T>(parent: string, name: string, body: (dir: string) => Promise<T> | T): Promise<T> {
    const dir = path.join(parent, name);
    fs.mkdirSync(dir);
    try {
      return await body(dir);
    } finally {
      fs.rmdirSync(dir);
    }
  }

  it('decides every open and mknod as the v1 devices controller does, for fixed and seeded random rule lists', { ...testOptions, skip: skipNoCgroup2 }, async () => {
    const ctx = context();
    const binary = buildProbe(ctx);
    const nodes = ctx.newDir('nodes');
    execFileSync(binary, ['make', nodes, ...NODES.map(([t, ma, mi]) => `${t}:${ma}:${mi}`)]);
    const baseline = probe(binary, [], nodes, ALL_OPS);
    assert.deepEqual(Object.entries(baseline).filter(([, r]) => r === 'EPERM' || r === 'EACCES'), [], 'outside the test cgroups nothing is refused');

    const name = `husk-bpf-test-${process.pid}`;
    await withCgroup(cgroup2!.mountPoint, name, async (v2Dir) => {
      const compare = async (rules: DeviceCgroupRule[], v1Dir: string | undefined): Promise<Record<string, string>> => {
        addon().attachDeviceFilter(v2Dir, compileDeviceFilter(rules));
        const viaFilter = probe(binary, [path.join(v2Dir, 'cgroup.procs')], nodes, ALL_OPS);
        const state = emulateV1DeviceRules(rules);
        let viaV1: Record<string, string> | undefined;
        if (v1Dir) {
          fs.writeFileSync(path.join(v1Dir, 'devices.allow'), 'a'); // back to allow-all, no exceptions
          for (const rule of rules) fs.writeFileSync(path.join(v1Dir, rule.allow ? 'devices.allow' : 'devices.deny'), v1DeviceRuleLine(rule));
          viaV1 = probe(binary, [path.join(v1Dir, 'cgroup.procs')], nodes, ALL_OPS);
        }
        for (const op of ALL_OPS) {
          const [access, type, major, minor] = op.split(':');
          const allowed = v1DeviceAccessAllowed(state, type as 'b' | 'c', Number(major), Number(minor), OPERATIONS[access]);
          const says = (result: string): string => (result === 'EPERM' ? 'denied' : 'allowed');
          const context = `rules ${JSON.stringify(rules)}, ${op}`;
          assert.equal(says(viaFilter[op]), allowed ? 'allowed' : 'denied', `${context}: eBPF filter (${viaFilter[op]})`);
          if (viaV1) assert.equal(says(viaV1[op]), allowed ? 'allowed' : 'denied', `${context}: v1 controller (${viaV1[op]})`);
        }
        return viaFilter;
      };
      const run = async (v1Dir: string | undefined): Promise<void> => {
        // The container default: deny all, runc's allowlist; /dev/null yes, mknod yes, major 77 no.
        let results = await compare([{ allow: false, access: 'rwm' }, ...runtimeDeviceRules([])], v1Dir);
        assert.equal(results['rw:c:1:3'], 'OK');
        assert.equal(results['r:c:77:3'], 'EPERM');
        assert.equal(results['m:b:77:3'], 'OK');
        // Only /dev/null, and mknod of char 77 devices.
        results = await compare([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 77, access: 'm' }], v1Dir);
        assert.equal(results['r:c:1:3'], 'OK');
        assert.equal(results['r:c:1:5'], 'EPERM', '/dev/zero is denied');
        assert.equal(results['m:c:77:3'], 'OK');
        assert.equal(results['m:c:78:3'], 'EPERM');
        assert.equal(results['m:b:77:3'], 'EPERM');
        assert.equal(results['r:c:77:3'], 'EPERM', 'mknod does not grant open');
        // Allow by default, deny writing /dev/zero: O_RDWR is refused too (runc's filter lets it through).
        results = await compare([{ allow: false, type: 'c', major: 1, minor: 5, access: 'w' }], v1Dir);
        assert.equal(results['r:c:1:5'], 'OK');
        assert.equal(results['w:c:1:5'], 'EPERM');
        assert.equal(results['rw:c:1:5'], 'EPERM');
        const random = prng(0x62706621);
        for (let n = 0; n < 40; n++) await compare(randomRules(random), v1Dir);
      };
      if (v1Devices) await withCgroup(v1Devices.mountPoint, name, run);
      else await run(undefined);
      // Every attach replaced husk's previous program: one left.
      assert.deepEqual(addon().deviceFilters(v2Dir).map((p) => p.name), ['husk_devices']);
    });
    assert.equal(fs.existsSync(path.join(cgroup2!.mountPoint, name)), false);
  });

  it("husk's V2Cgroup attaches the filter at create, replaces it on update, and destroy takes it away", { ...testOptions, skip: skipNoCgroup2 }, async () => {
    const ctx = context();
    const binary = buildProbe(ctx);
    const nodes = ctx.newDir('nodes');
    execFileSync(binary, ['make', nodes, ...NODES.map(([t, ma, mi]) => `${t}:${ma}:${mi}`)]);
    await withCgroup(cgroup2!.mountPoint, `husk-bpf-test-${process.pid}`, async (base) => {
      // A pure v2 host whose hierarchy starts at `base` (so husk enables no controller above it).
      const host = probeCgroupHost({ mountinfo: `90 30 0:99 / ${base} rw - cgroup2 cgroup2 rw\n`, selfCgroup: '0::/\n' });
      const cgroup = planCgroup({ id: 'c1', cgroupsPath: '/c1', host });
      assert.equal(cgroup.mode, 'v2');
      cgroup.create();
      const dir = cgroup.unifiedPath as string;
      try {
        cgroup.applyDeviceRules([{ allow: false, access: 'rwm' }], runtimeDeviceRules([{ path: '/dev/x', type: 'c', major: 77, minor: 3 }]));
        assert.deepEqual(addon().deviceFilters(dir).map((p) => p.name), ['husk_devices']);
        const ops = ['rw:c:1:3', 'r:c:77:3', 'r:c:77:5', 'w:c:77:5', 'm:b:78:9'];
        assert.deepEqual(probe(binary, [path.join(dir, 'cgroup.procs')], nodes, ops), {
          'rw:c:1:3': 'OK', 'r:c:77:3': 'ENXIO', 'r:c:77:5': 'EPERM', 'w:c:77:5': 'EPERM', 'm:b:78:9': 'OK',
        });
        const [before] = addon().deviceFilters(dir);
        const merged = openCgroup(cgroup.toRecord()).updateResources({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 77, minor: 5, access: 'r' }] });
        assert.deepEqual(merged.devices?.length, 2);
        const after = addon().deviceFilters(dir);
        assert.equal(after.length, 1);
        assert.notEqual(after[0].id, before.id, 'the program was replaced');
        assert.deepEqual(probe(binary, [path.join(dir, 'cgroup.procs')], nodes, ops), {
          'rw:c:1:3': 'OK', 'r:c:77:3': 'ENXIO', 'r:c:77:5': 'ENXIO', 'w:c:77:5': 'EPERM', 'm:b:78:9': 'OK',
        });
      } finally {
        cgroup.destroy();
      }
      assert.equal(fs.existsSync(dir), false);
    });
  });

  it('update -r changes the device rules of a running container', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600');
    bundle.config.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    bundle.save();
    // The node is made from outside (the container has no CAP_MKNOD): /c-77-3 in its rootfs.
    execFileSync(buildProbe(ctx), ['make', bundle.rootfs, 'c:77:3']);
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    const { pid } = await ctx.runtime.state(id);
    const shell = (script: string) => ctx.runtime.run(['exec', id, 'sh', '-c', script]);
    // No driver for major 77: an allowed open fails with ENXIO, a denied one with EPERM.
    assert.match((await shell('cat /c-77-3')).stderr, /Operation not permitted/);

    const allow77 = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 77, access: 'r' }] };
    await ctx.runtime.runOk(['update', '--resources', '-', id], { input: JSON.stringify(allow77) });
    assert.match((await shell('cat /c-77-3')).stderr, /No such device or address/);
    assert.match((await shell('echo > /c-77-3')).stderr, /Operation not permitted/, 'only reading was allowed');
    assert.match((await shell('cat /dev/null && echo null-ok')).stdout, /null-ok/, "runc's default allowlist stays");
    if (v1Devices) {
      // v1 (as on this hybrid host): the kernel's own list shows the new exception.
      const line = processCgroupText(pid).split('\n').find((l) => l.split(':')[1]?.split(',').includes('devices'));
      const list = fs.readFileSync(path.join(v1Devices.mountPoint, line!.split(':')[2], 'devices.list'), 'utf8');
      assert.match(list, /^c 77:\* r$/m);
    }

    await ctx.runtime.runOk(['update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: false, access: 'rwm' }] }) });
    assert.match((await shell('cat /c-77-3')).stderr, /Operation not permitted/);
    const state = JSON.parse(fs.readFileSync(path.join(ctx.runtime.root, id, 'state.json'), 'utf8')) as { cgroup: { resources?: { devices?: unknown[] } } };
    assert.deepEqual(state.cgroup.resources?.devices, [{ allow: false, access: 'rwm' }]);

    const bad = await ctx.runtime.run(['update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: true, type: 'x' }] }) });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /linux\.resources\.devices\[0\]\.type 'x' is not a device rule type/);
  });
});

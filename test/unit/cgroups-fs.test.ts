// v1, v2 and hybrid cgroups against a temp directory laid out like cgroupfs. A real cgroupfs
// populates a new directory with its control files; here the tests write the files a step needs.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { Cgroup, CgroupHost, openCgroup, planCgroup, probeCgroupHost } from '../../src/cgroups';
import { decodeInstructions } from '../../src/cgroups/device-filter';
import { setDeviceFilterAttacher } from '../../src/cgroups/v2';

let top: string;

beforeEach(() => {
  top = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-cgfs-'));
});

afterEach(() => {
  fs.rmSync(top, { recursive: true, force: true });
});

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'pids'];

/** A v1 (or hybrid) host under `top`; the memory controller has us in /own/path. */
function fakeV1Host(options: { hybrid?: boolean; omit?: string[] } = {}): CgroupHost {
  const controllers = V1_CONTROLLERS.filter((c) => !(options.omit ?? []).includes(c));
  const mountLines = controllers.map((c, i) => `${40 + i} 31 0:${40 + i} / ${top}/${c} rw - cgroup cgroup rw,${c}`);
  mountLines.push(`60 31 0:60 / ${top}/systemd rw - cgroup cgroup rw,xattr,name=systemd`);
  const selfLines = controllers.map((c, i) => `${i + 1}:${c}:${c === 'memory' ? '/own/path' : '/'}`);
  selfLines.push('20:name=systemd:/');
  for (const c of [...controllers, 'systemd']) fs.mkdirSync(path.join(top, c));
  fs.mkdirSync(path.join(top, 'memory', 'own', 'path'), { recursive: true });
  if (options.hybrid) {
    mountLines.push(`61 31 0:61 / ${top}/unified rw - cgroup2 cgroup2 rw`);
    selfLines.push('0::/');
    fs.mkdirSync(path.join(top, 'unified'));
  }
  return probeCgroupHost({ mountinfo: `${mountLines.join('\n')}\n`, selfCgroup: `${selfLines.join('\n')}\n` });
}

/** A pure v2 host under `top`/v2; we live in /own, which has processes (so no subtree_control there). */
function fakeV2Host(): CgroupHost {
  const root = path.join(top, 'v2');
  fs.mkdirSync(path.join(root, 'own'), { recursive: true });
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory pids\n');
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), 'cpu\n');
  fs.writeFileSync(path.join(root, 'own', 'cgroup.controllers'), 'cpu\n');
  fs.writeFileSync(path.join(root, 'own', 'cgroup.subtree_control'), '\n');
  return probeCgroupHost({ mountinfo: `30 25 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, selfCgroup: '0::/own\n' });
}

/** What a real cgroupfs would show in a freshly created directory. */
function populate(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

function huskError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof HuskError && pattern.test(e.message);
}

test('v1 create makes one directory per hierarchy below our own cgroup and records them', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  for (const dir of Object.values(cgroup.paths)) assert.ok(fs.statSync(dir).isDirectory(), dir);
  assert.equal(cgroup.paths.memory, path.join(top, 'memory', 'own', 'path', 'c1'));
  assert.equal(cgroup.paths['name=systemd'], path.join(top, 'systemd', 'c1'));
  assert.deepEqual(cgroup.toRecord().created.sort(), Object.values(cgroup.paths).sort());
  assert.equal(cgroup.unifiedPath, undefined);
  assert.equal(cgroup.mode, 'v1');
});

test('destroy removes exactly the directories create made, deepest first, and not pre-existing parents', () => {
  fs.mkdirSync(path.join(top, 'shared')); // not a hierarchy: just proves nothing outside is touched
  const host = fakeV1Host();
  fs.mkdirSync(path.join(top, 'pids', 'pre'));
  const cgroup = planCgroup({ id: 'x', cgroupsPath: '/pre/a/b', host });
  cgroup.create();
  const created = cgroup.toRecord().created;
  assert.ok(created.includes(path.join(top, 'cpu', 'pre')), 'pre did not exist in the cpu hierarchy');
  assert.ok(!created.includes(path.join(top, 'pids', 'pre')), 'pre existed in the pids hierarchy');
  assert.ok(created.indexOf(path.join(top, 'cpu', 'pre')) < created.indexOf(path.join(top, 'cpu', 'pre', 'a')), 'parents first');
  // The container made sub-cgroups of its own inside its cgroup.
  fs.mkdirSync(path.join(cgroup.paths.cpu, 'inner', 'deeper'), { recursive: true });
  cgroup.destroy();
  for (const dir of created) assert.equal(fs.existsSync(dir), false, dir);
  assert.ok(fs.existsSync(path.join(top, 'pids', 'pre')), 'a directory husk did not create stays');
  assert.ok(fs.existsSync(path.join(top, 'shared')));
  assert.deepEqual(cgroup.toRecord().created, []);
  cgroup.destroy(); // twice is harmless
});

test('destroy leaves a created parent that now holds another container\'s cgroup', () => {
  const host = fakeV1Host();
  const first = planCgroup({ id: 'a', cgroupsPath: '/group/a', host });
  first.create();
  const second = planCgroup({ id: 'b', cgroupsPath: '/group/b', host });
  second.create();
  first.destroy();
  assert.ok(fs.existsSync(path.join(top, 'cpu', 'group', 'b')));
  assert.equal(fs.existsSync(path.join(top, 'cpu', 'group', 'a')), false);
  second.destroy();
  assert.ok(fs.existsSync(path.join(top, 'cpu', 'group')), 'b did not create /group, so it does not remove it');
});

test('a reopened record destroys what the creating process made', () => {
  const cgroup = planCgroup({ id: 'c1', cgroupsPath: '/r/c1', host: fakeV1Host() });
  cgroup.create();
  const record = JSON.parse(JSON.stringify(cgroup.toRecord()));
  const reopened: Cgroup = openCgroup(record);
  assert.deepEqual(reopened.paths, cgroup.paths);
  assert.equal(reopened.exists(), true);
  reopened.destroy();
  assert.equal(fs.existsSync(path.join(top, 'cpu', 'r')), false);
  assert.equal(reopened.exists(), false);
});

test('create refuses a pre-existing cgroup that holds processes, and removes what it made', () => {
  const host = fakeV1Host();
  fs.mkdirSync(path.join(top, 'devices', 'busy'));
  fs.writeFileSync(path.join(top, 'devices', 'busy', 'cgroup.procs'), '12345\n');
  const cgroup = planCgroup({ id: 'busy', cgroupsPath: '/busy', host });
  assert.throws(() => cgroup.create(), huskError(/cgroup .*devices\/busy already exists and holds 1 process\(es\); refusing to share it/));
  for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory']) assert.equal(fs.existsSync(path.join(top, c, 'busy')), false, c);
  assert.ok(fs.existsSync(path.join(top, 'devices', 'busy')), 'the pre-existing one is not removed');
});

test('create rolls back when a directory cannot be made', () => {
  const host = fakeV1Host();
  fs.rmdirSync(path.join(top, 'pids'));
  fs.writeFileSync(path.join(top, 'pids'), 'not a directory');
  const cgroup = planCgroup({ id: 'c1', cgroupsPath: '/deep/c1', host });
  assert.throws(() => cgroup.create(), huskError(/creating cgroup .*pids\/deep: ENOTDIR/));
  for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer']) assert.equal(fs.existsSync(path.join(top, c, 'deep')), false, c);
});

test('addProcess writes the pid into every hierarchy; pids lists the cgroup and its sub-cgroups', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  for (const dir of Object.values(cgroup.paths)) populate(dir, { 'cgroup.procs': '' });
  cgroup.addProcess(4242);
  for (const dir of Object.values(cgroup.paths)) assert.equal(read(path.join(dir, 'cgroup.procs')), '4242');
  const freezerDir = cgroup.paths.freezer;
  fs.mkdirSync(path.join(freezerDir, 'sub'));
  populate(path.join(freezerDir, 'sub'), { 'cgroup.procs': '7\n8\n' });
  populate(freezerDir, { 'cgroup.procs': '4242\n7\n' });
  assert.deepEqual(cgroup.pids().sort((a, b) => a - b), [7, 8, 4242]);
});

test('v1 freezer: freeze writes FROZEN and waits for it, thaw writes THAWED', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  const state = path.join(cgroup.paths.freezer, 'freezer.state');
  populate(cgroup.paths.freezer, { 'freezer.state': 'THAWED\n' });
  assert.equal(cgroup.isFrozen(), false);
  cgroup.freeze();
  assert.equal(read(state), 'FROZEN');
  assert.equal(cgroup.isFrozen(), true);
  cgroup.thaw();
  assert.equal(read(state), 'THAWED');
  assert.equal(cgroup.isFrozen(), false);
});

test('without a freezer hierarchy, pause fails clearly and nothing is frozen', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host({ omit: ['freezer'] }) });
  assert.throws(() => cgroup.freeze(), huskError(/cannot pause the container: the freezer cgroup controller is not mounted/));
  assert.equal(cgroup.isFrozen(), false);
});

test('killAll with another signal signals each listed process once, frozen around the listing', async () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    populate(cgroup.paths.freezer, { 'cgroup.procs': `${child.pid}\n`, 'freezer.state': 'THAWED' });
    cgroup.killAll('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    assert.equal(read(path.join(cgroup.paths.freezer, 'freezer.state')), 'THAWED', 'thawed again afterwards');
  } finally {
    child.kill('SIGKILL');
  }
});

test('killAll of a paused container does not resume it (unless the signal is SIGKILL)', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  populate(cgroup.paths.freezer, { 'cgroup.procs': '', 'freezer.state': 'FROZEN' });
  cgroup.killAll('SIGUSR1');
  assert.equal(read(path.join(cgroup.paths.freezer, 'freezer.state')), 'FROZEN');
  assert.throws(() => cgroup.killAll('SIGNOPE' as NodeJS.Signals), huskError(/unknown signal SIGNOPE/));
});

test('v1 resources are written into the controller\'s own hierarchy', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  populate(cgroup.paths.pids, { 'pids.max': 'max' });
  populate(cgroup.paths.memory, { 'memory.limit_in_bytes': '9223372036854771712' });
  populate(cgroup.paths.cpu, { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1' });
  // A real kernel reads back what was written; the fake file does too.
  cgroup.applyResources({ pids: { limit: 64 }, memory: { limit: 268435456 }, cpu: { shares: 512, quota: 20000, period: 50000 } });
  assert.equal(read(path.join(cgroup.paths.pids, 'pids.max')), '64');
  assert.equal(read(path.join(cgroup.paths.memory, 'memory.limit_in_bytes')), '268435456');
  assert.equal(read(path.join(cgroup.paths.cpu, 'cpu.shares')), '512');
  assert.equal(read(path.join(cgroup.paths.cpu, 'cpu.cfs_period_us')), '50000');
  assert.equal(read(path.join(cgroup.paths.cpu, 'cpu.cfs_quota_us')), '20000');
  cgroup.applyResources(undefined);
});

test('v1 resources: an unmounted controller, a missing file or a bad value is named; bad values before any write', () => {
  const host = fakeV1Host({ omit: ['memory'] });
  const withoutMemory = planCgroup({ id: 'c1', host });
  withoutMemory.create();
  assert.throws(() => withoutMemory.applyResources({ memory: { limit: 1 << 20 } }), huskError(/^linux\.resources\.memory\.limit needs the memory cgroup controller, which is not mounted as a cgroup v1 hierarchy on this host$/));
  const cgroup = planCgroup({ id: 'c2', host });
  cgroup.create();
  populate(cgroup.paths.pids, { 'pids.max': 'max' });
  assert.throws(() => cgroup.applyResources({ pids: { limit: 5 }, cpu: { shares: 1 } }), huskError(/^linux\.resources\.cpu\.shares is 1: expected 2 to 262144/));
  assert.equal(read(path.join(cgroup.paths.pids, 'pids.max')), 'max');
  assert.throws(() => cgroup.applyResources({ cpu: { idle: 1 } }), huskError(/^linux\.resources\.cpu\.idle cannot be applied: this kernel's cpu controller has no cpu\.idle \(looked in .*\/cpu\/c2\)$/));
});

test('v1 device rules go to devices.allow / devices.deny in order', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  populate(cgroup.paths.devices, { 'devices.allow': '', 'devices.deny': '' });
  cgroup.applyDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
  assert.equal(read(path.join(cgroup.paths.devices, 'devices.deny')), 'a *:* rwm');
  assert.equal(read(path.join(cgroup.paths.devices, 'devices.allow')), 'c 1:3 rwm');
});

test('v1 update of device rules writes only the difference, keeping the runtime rules; old records are refused', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host() });
  cgroup.create();
  const dir = cgroup.paths.devices;
  populate(dir, { 'devices.allow': '', 'devices.deny': '' });
  const runtime = [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
  cgroup.applyDeviceRules([{ allow: false, access: 'rwm' }], runtime);
  assert.deepEqual(cgroup.toRecord().runtimeDeviceRules, runtime);
  populate(dir, { 'devices.allow': '', 'devices.deny': '' });
  // Opening /dev/zero for reading is added; the runtime's /dev/null rule stays (nothing written for it).
  const change = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }];
  const merged = openCgroup(cgroup.toRecord()).updateResources({ devices: change });
  assert.deepEqual(merged.devices, change);
  assert.equal(read(path.join(dir, 'devices.allow')), 'c 1:5 r');
  assert.equal(read(path.join(dir, 'devices.deny')), '');
  // An unchanged list writes nothing.
  populate(dir, { 'devices.allow': '', 'devices.deny': '' });
  const after = openCgroup({ ...cgroup.toRecord(), resources: merged });
  after.updateResources({ devices: change });
  assert.equal(read(path.join(dir, 'devices.allow')), '');
  // A bad rule is refused before anything is written.
  assert.throws(() => after.updateResources({ devices: [{ allow: true, type: 'x' }] }), huskError(/^linux\.resources\.devices\[0\]\.type 'x' is not a device rule type/));
  assert.throws(() => after.updateResources({ devices: [{ allow: 'yes' } as never] }), huskError(/^linux\.resources\.devices\[0\]\.allow must be true or false/));
  const { runtimeDeviceRules: _dropped, ...oldRecord } = cgroup.toRecord();
  assert.throws(() => openCgroup(oldRecord).updateResources({ devices: [] }), huskError(/does not record the runtime's device rules/));
});

test('hybrid: v1 hierarchies plus the unified one; SIGKILL uses cgroup.kill there', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV1Host({ hybrid: true }) });
  assert.equal(cgroup.mode, 'hybrid');
  cgroup.create();
  assert.equal(cgroup.unifiedPath, path.join(top, 'unified', 'c1'));
  assert.ok(fs.statSync(path.join(top, 'unified', 'c1')).isDirectory());
  populate(cgroup.unifiedPath as string, { 'cgroup.kill': '' });
  populate(cgroup.paths.freezer, { 'cgroup.procs': '', 'freezer.state': 'THAWED' });
  cgroup.killAll();
  assert.equal(read(path.join(cgroup.unifiedPath as string, 'cgroup.kill')), '1');
  // cgroupfs lets rmdir remove a cgroup with its control files; a plain directory needs them gone.
  for (const dir of Object.values(cgroup.paths)) for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
  cgroup.destroy();
  assert.equal(fs.existsSync(path.join(top, 'unified', 'c1')), false);
});

test('v2 create enables the available controllers above the container, ignoring refusals', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV2Host() });
  cgroup.create();
  assert.equal(cgroup.unifiedPath, path.join(top, 'v2', 'own', 'c1'));
  // The root had cpu enabled and offered memory and pids: each missing one is written as "+x"
  // (the fake file keeps the last write). In /own only cpu is available and nothing is enabled.
  assert.equal(read(path.join(top, 'v2', 'cgroup.subtree_control')), '+pids');
  assert.equal(read(path.join(top, 'v2', 'own', 'cgroup.subtree_control')), '+cpu');
  assert.deepEqual(cgroup.toRecord(), { mode: 'v2', paths: { '': path.join(top, 'v2', 'own', 'c1') }, created: [path.join(top, 'v2', 'own', 'c1')] });
  cgroup.destroy();
  assert.equal(fs.existsSync(path.join(top, 'v2', 'own', 'c1')), false);
  assert.ok(fs.existsSync(path.join(top, 'v2', 'own')));
});

test('v2 freezer and resources use the one directory', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV2Host() });
  cgroup.create();
  const dir = cgroup.unifiedPath as string;
  populate(dir, { 'cgroup.freeze': '0', 'cgroup.events': 'populated 1\nfrozen 1\n', 'pids.max': 'max', 'memory.max': 'max', 'cpu.max': 'max 100000' });
  cgroup.freeze();
  assert.equal(read(path.join(dir, 'cgroup.freeze')), '1');
  assert.equal(cgroup.isFrozen(), true);
  cgroup.thaw();
  assert.equal(read(path.join(dir, 'cgroup.freeze')), '0');
  cgroup.applyResources({ pids: { limit: 10 }, memory: { limit: 1 << 20 }, cpu: { quota: 25000, period: 100000 } });
  assert.equal(read(path.join(dir, 'pids.max')), '10');
  assert.equal(read(path.join(dir, 'memory.max')), '1048576');
  assert.equal(read(path.join(dir, 'cpu.max')), '25000 100000');
  assert.throws(() => cgroup.applyResources({ cpu: { shares: 1024 } }), huskError(/^linux\.resources\.cpu\.shares cannot be applied: the cpu controller is not enabled for .*own\/c1 \(see cgroup\.subtree_control of its parent\)$/));
});

test('v2 device rules: an eBPF program attached to the directory at create, replaced on update', () => {
  const attached: Array<{ dir: string; program: Buffer }> = [];
  const previous = setDeviceFilterAttacher((dir, program) => attached.push({ dir, program }));
  try {
    const cgroup = planCgroup({ id: 'c1', host: fakeV2Host() });
    cgroup.create();
    cgroup.applyDeviceRules([]);
    assert.equal(attached.length, 0, 'no rules: no program');
    cgroup.applyDeviceRules([{ allow: false }], [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
    assert.equal(attached.length, 1);
    assert.equal(attached[0].dir, cgroup.unifiedPath);
    // Deny by default with one exception: 6 loads, 5 for the exception, 2 for the default.
    assert.equal(decodeInstructions(attached[0].program).length, 13);
    const reopened = openCgroup(cgroup.toRecord());
    reopened.updateResources({ devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(attached.length, 2);
    assert.deepEqual(decodeInstructions(attached[1].program).map((i) => [i.code, i.imm]), [[0xb4, 1], [0x95, 0]]);
    // The same rules again: nothing to replace.
    openCgroup(reopened.toRecord()).updateResources({ devices: [{ allow: true, type: 'a' }] });
    assert.equal(attached.length, 2);
    // A refused attach is one line naming the field.
    setDeviceFilterAttacher(() => {
      throw new HuskError('linux.resources.devices: cannot enforce the device rules with an eBPF program: EPERM');
    });
    assert.throws(() => openCgroup(reopened.toRecord()).updateResources({ devices: [{ allow: false }] }), huskError(/^linux\.resources\.devices: cannot enforce/));
  } finally {
    setDeviceFilterAttacher(previous);
  }
});

test('v2 SIGKILL writes cgroup.kill and returns once the cgroup is empty', () => {
  const cgroup = planCgroup({ id: 'c1', host: fakeV2Host() });
  cgroup.create();
  const dir = cgroup.unifiedPath as string;
  populate(dir, { 'cgroup.kill': '', 'cgroup.procs': '', 'cgroup.freeze': '0', 'cgroup.events': 'frozen 0\n' });
  cgroup.killAll('SIGKILL');
  assert.equal(read(path.join(dir, 'cgroup.kill')), '1');
});

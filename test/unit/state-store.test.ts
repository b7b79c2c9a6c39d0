import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import {
  ContainerState, STATE_FORMAT_VERSION, containerStatus, execFifoPath, listContainerIds, listContainers, readState,
  removeStateDir, rfc3339Nano, nowRfc3339Nano, toRuncStateOutput, toSpecState, writeState,
} from '../../src/state';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-state-'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function sampleState(id: string, overrides: Partial<ContainerState> = {}): ContainerState {
  return {
    huskStateVersion: STATE_FORMAT_VERSION,
    ociVersion: '1.2.0',
    id,
    pid: 4242,
    pidStartTime: 777,
    bundle: '/bundles/x',
    rootfs: '/bundles/x/rootfs',
    configPath: '/bundles/x/config.json',
    annotations: {},
    created: '2024-01-02T03:04:05.123456789Z',
    owner: '',
    cgroup: { mode: 'v2', paths: { '': '/sys/fs/cgroup/x' }, created: ['/sys/fs/cgroup/x'] },
    privatePidNamespace: true,
    hooks: { poststop: [{ path: '/bin/true' }] },
    execFifo: path.join(root, id, 'exec.fifo'),
    ...overrides,
  };
}

function makeContainerDir(id: string): void {
  fs.mkdirSync(path.join(root, id), { recursive: true });
}

test('state.json round-trips, is private to root, and leaves no temp file', () => {
  makeContainerDir('c1');
  const state = sampleState('c1', { annotations: { a: 'b' }, extra: { console: '/dev/pts/3' } });
  writeState(root, state);
  assert.deepEqual(readState(root, 'c1'), state);
  assert.deepEqual(fs.readdirSync(path.join(root, 'c1')), ['state.json']);
  assert.equal(fs.statSync(path.join(root, 'c1', 'state.json')).mode & 0o777, 0o600);
  writeState(root, { ...state, pid: 5 });
  assert.equal(readState(root, 'c1').pid, 5);
});

test('reading a container that does not exist says so', () => {
  assert.throws(() => readState(root, 'nope'), (e: unknown) => e instanceof HuskError && e.message === "container 'nope' does not exist");
});

test('a directory without state.json is reported as being created, not as missing', () => {
  makeContainerDir('half');
  assert.throws(() => readState(root, 'half'), /container 'half' is still being created, or its creation failed: .*state.json does not exist yet/);
});

test('a torn state.json is reported with its path', () => {
  makeContainerDir('torn');
  const full = JSON.stringify(sampleState('torn'));
  fs.writeFileSync(path.join(root, 'torn', 'state.json'), full.slice(0, full.length / 2));
  assert.throws(() => readState(root, 'torn'), /state of container 'torn' in .*torn\/state.json is not valid JSON \(torn or corrupted\)/);
});

test('a state.json of the wrong shape is rejected with the field at fault', () => {
  makeContainerDir('odd');
  const file = path.join(root, 'odd', 'state.json');
  fs.writeFileSync(file, JSON.stringify({ ...sampleState('odd'), pid: 'x' }));
  assert.throws(() => readState(root, 'odd'), /is invalid: "pid" is not a non-negative integer/);
  fs.writeFileSync(file, JSON.stringify(sampleState('other')));
  assert.throws(() => readState(root, 'odd'), /is invalid: it names container "other"/);
  fs.writeFileSync(file, JSON.stringify({ ...sampleState('odd'), huskStateVersion: 99 }));
  assert.throws(() => readState(root, 'odd'), /huskStateVersion is 99, this husk reads version 1/);
  fs.writeFileSync(file, '[]');
  assert.throws(() => readState(root, 'odd'), /is invalid: it is not a JSON object/);
});

test('paths are built only from valid ids', () => {
  assert.throws(() => readState(root, '../etc'), /invalid container id/);
  assert.throws(() => removeStateDir(root, '..'), /invalid container id/);
  assert.equal(execFifoPath(root, 'c'), path.join(root, 'c', 'exec.fifo'));
});

test('removeStateDir removes everything, and a missing directory is fine', () => {
  makeContainerDir('gone');
  writeState(root, sampleState('gone'));
  fs.writeFileSync(path.join(root, 'gone', 'lock'), '');
  removeStateDir(root, 'gone');
  assert.equal(fs.existsSync(path.join(root, 'gone')), false);
  removeStateDir(root, 'gone');
});

test('created timestamps use RFC 3339 with nanoseconds, trailing zeros trimmed (Go RFC3339Nano)', () => {
  assert.equal(rfc3339Nano(1704164645123456789n), '2024-01-02T03:04:05.123456789Z');
  assert.equal(rfc3339Nano(1704164645120000000n), '2024-01-02T03:04:05.12Z');
  assert.equal(rfc3339Nano(1704164645000000000n), '2024-01-02T03:04:05Z');
  const now = nowRfc3339Nano();
  assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  assert.ok(Math.abs(Date.parse(now) - Date.now()) < 5000);
});

test('status: stopped, paused, created, running, as runc derives them', () => {
  const state = sampleState('s');
  const alive = { isAlive: () => true, isFrozen: () => false, fileExists: () => false };
  assert.equal(containerStatus(state, alive), 'running');
  assert.equal(containerStatus(state, { ...alive, fileExists: (p: string) => p === state.execFifo }), 'created');
  assert.equal(containerStatus(state, { ...alive, isFrozen: () => true }), 'paused');
  assert.equal(containerStatus(state, { ...alive, isAlive: () => false }), 'stopped');
  assert.equal(containerStatus(state, { ...alive, isAlive: () => false, isFrozen: () => true }), 'stopped');
  assert.equal(containerStatus({ ...state, pid: 0 }, alive), 'stopped');
});

test('status passes the recorded start time to the liveness check', () => {
  const seen: Array<[number, number]> = [];
  containerStatus(sampleState('s'), {
    isAlive: (pid, start) => {
      seen.push([pid, start]);
      return false;
    },
  });
  assert.deepEqual(seen, [[4242, 777]]);
});

test('status with the real probes: our own process, with and without its fifo', () => {
  const startTime = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19]);
  makeContainerDir('me');
  const state = sampleState('me', { pid: process.pid, pidStartTime: startTime, cgroup: null });
  assert.equal(containerStatus(state), 'running');
  fs.writeFileSync(state.execFifo, '');
  assert.equal(containerStatus(state), 'created');
  assert.equal(containerStatus({ ...state, pidStartTime: startTime + 1 }), 'stopped');
});

test('spec state for hooks drops the pid once stopped; runc state output keeps runc key order', () => {
  const state = sampleState('o', { annotations: { k: 'v' } });
  assert.deepEqual(toSpecState(state, 'running'), {
    ociVersion: '1.2.0', id: 'o', status: 'running', bundle: '/bundles/x', pid: 4242, annotations: { k: 'v' },
  });
  assert.equal('pid' in toSpecState(state, 'stopped'), false);
  const output = toRuncStateOutput(state, 'created');
  assert.deepEqual(Object.keys(output), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
  assert.equal(toRuncStateOutput(state, 'stopped').pid, 0);
  assert.equal('annotations' in toRuncStateOutput(sampleState('p'), 'running'), false);
});

test('listContainers returns good containers sorted and skips half-written ones', () => {
  for (const id of ['b', 'a', 'half', 'torn']) makeContainerDir(id);
  writeState(root, sampleState('b'));
  writeState(root, sampleState('a', { pid: 0 }));
  fs.writeFileSync(path.join(root, 'torn', 'state.json'), '{"huskStateVer');
  fs.mkdirSync(path.join(root, '@creating-1-x'));
  fs.writeFileSync(path.join(root, '@deleting-1-y'), '');
  fs.writeFileSync(path.join(root, 'stray-file'), '');
  assert.deepEqual(listContainerIds(root), ['a', 'b', 'half', 'torn']);
  const listed = listContainers(root, { isAlive: () => true, isFrozen: () => false, fileExists: () => false });
  assert.deepEqual(listed.map((c) => [c.state.id, c.status]), [['a', 'stopped'], ['b', 'running']]);
});

test('listContainers of a root that does not exist is empty', () => {
  assert.deepEqual(listContainers(path.join(root, 'missing')), []);
});

// What husk processes killed halfway leave in --root, and how later commands read and remove it
// (the real thing is exercised by test/reliability/crashes.test.ts with HUSK_FAULT).
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CREATOR_KEY, ContainerState, Locker, NoSuchContainerError, STATE_FORMAT_VERSION, containerStatus, isFromAnotherBoot,
  removeStateDir, sweepRemnants, withContainerLock, withNewContainer, withRootLock,
} from '../../src/state';

/** flock semantics per open file, without the addon (see state-lock.test.ts). */
class FakeLocker implements Locker {
  readonly holders = new Map<string, number>();

  lock(fd: number, _exclusive: boolean, nonBlocking: boolean): boolean {
    const st = fs.fstatSync(fd);
    const key = `${st.dev}:${st.ino}`;
    const holder = this.holders.get(key);
    if (holder !== undefined && holder !== fd) {
      if (nonBlocking) return false;
      throw new Error('FakeLocker: this blocking flock would wait forever');
    }
    this.holders.set(key, fd);
    return true;
  }

  release(fd: number): void {
    for (const [key, holder] of this.holders) if (holder === fd) this.holders.delete(key);
  }
}

let root: string;
let locker: FakeLocker;

beforeEach(() => {
  root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'husk-crash-')), 'root');
  fs.mkdirSync(root);
  locker = new FakeLocker();
});

afterEach(() => {
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

/** A pid that no process has: one of ours that has exited and been reaped. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

function sampleState(overrides: Partial<ContainerState> = {}): ContainerState {
  return {
    huskStateVersion: STATE_FORMAT_VERSION,
    ociVersion: '1.2.0',
    id: 'c',
    pid: 4242,
    pidStartTime: 777,
    bundle: '/b',
    rootfs: '/b/rootfs',
    configPath: '/b/config.json',
    annotations: {},
    created: '2024-01-02T03:04:05Z',
    owner: '',
    cgroup: null,
    privatePidNamespace: true,
    hooks: {},
    execFifo: '/r/c/exec.fifo',
    ...overrides,
  };
}

test('removeStateDir renames the directory out of the way first and leaves nothing', () => {
  fs.mkdirSync(path.join(root, 'c'));
  fs.writeFileSync(path.join(root, 'c', 'state.json'), '{}');
  fs.writeFileSync(path.join(root, 'c', 'lock'), '');
  removeStateDir(root, 'c');
  assert.deepEqual(fs.readdirSync(root), []);
  removeStateDir(root, 'c'); // gone already: fine
});

test('sweepRemnants removes staging directories of killed creates when the root lock is free, never while it is held', () => {
  fs.mkdirSync(path.join(root, '@creating-1-abc'));
  fs.writeFileSync(path.join(root, '@creating-1-abc', 'lock'), '');
  withRootLock(root, () => {
    sweepRemnants(root, { locker }); // a create is claiming an id right now: hands off
    assert.ok(fs.existsSync(path.join(root, '@creating-1-abc')));
  }, { locker });
  sweepRemnants(root, { locker });
  assert.deepEqual(fs.readdirSync(root), []);
});

test('sweepRemnants removes @deleting-* of dead processes and keeps those of live ones', () => {
  const dead = `@deleting-${deadPid()}-x-1`;
  const live = `@deleting-${process.pid}-y-1`;
  for (const name of [dead, live]) fs.mkdirSync(path.join(root, name, 'sub'), { recursive: true });
  sweepRemnants(root, { locker });
  assert.deepEqual(fs.readdirSync(root).sort(), [live]);
});

test('sweepRemnants on a missing or clean root does nothing and never creates the root lock', () => {
  sweepRemnants(path.join(root, 'nope'), { locker });
  fs.mkdirSync(path.join(root, 'c1'));
  sweepRemnants(root, { locker });
  assert.deepEqual(fs.readdirSync(root), ['c1']);
});

test('claiming an id removes the staging directory a killed create left', () => {
  fs.mkdirSync(path.join(root, '@creating-99-old'));
  withNewContainer(root, 'fresh', () => undefined, { locker });
  assert.deepEqual(fs.readdirSync(root).sort(), ['fresh']);
});

test('a missing container is a NoSuchContainerError (delete --force treats it as done)', () => {
  assert.throws(() => withContainerLock(root, 'ghost', () => 0, { locker }), (e: unknown) => e instanceof NoSuchContainerError);
});

test('status of a provisional state: creating while its creator lives, then what is left of it', () => {
  const creator = { pid: 31337, startTime: 5 };
  const provisional = sampleState({ pid: 0, pidStartTime: 0, extra: { [CREATOR_KEY]: creator } });
  const probes = (creatorAlive: boolean, initAlive: boolean, fifo: boolean) => ({
    isAlive: (pid: number) => (pid === creator.pid ? creatorAlive : initAlive),
    fileExists: () => fifo,
    isFrozen: () => false,
  });
  assert.equal(containerStatus(provisional, probes(true, false, true)), 'creating');
  assert.equal(containerStatus(provisional, probes(false, false, true)), 'stopped', 'killed before the clone');
  const withInit = { ...provisional, pid: 4242, pidStartTime: 9 };
  assert.equal(containerStatus(withInit, probes(true, true, true)), 'creating');
  assert.equal(containerStatus(withInit, probes(false, true, true)), 'created', 'killed after the init got ready: it can be started or deleted');
  assert.equal(containerStatus(withInit, probes(false, false, true)), 'stopped');
});

test('a state from another boot is stopped whatever its pid names now', () => {
  const state = sampleState({ bootId: 'old-boot' });
  const alive = { isAlive: () => true, fileExists: () => false, isFrozen: () => false };
  assert.equal(containerStatus(state, { ...alive, bootId: () => 'old-boot' }), 'running');
  assert.equal(containerStatus(state, { ...alive, bootId: () => 'new-boot' }), 'stopped');
  assert.equal(isFromAnotherBoot(state, { bootId: () => 'new-boot' }), true);
  assert.equal(containerStatus(state, { ...alive, bootId: () => undefined }), 'running', 'an unknown boot id is not a reboot');
  assert.equal(containerStatus(sampleState(), { ...alive, bootId: () => 'new-boot' }), 'running', 'states written before boot ids were recorded');
});

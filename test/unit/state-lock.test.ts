import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { Locker, withContainerLock, withNewContainer, withRootLock } from '../../src/state/lock';

/**
 * flock semantics without the addon: a lock belongs to an open file (fd) and conflicts with locks
 * taken through other fds on the same inode, even in the same process. A blocking request that
 * would wait forever in this single-threaded test fails loudly instead.
 */
class FakeLocker implements Locker {
  readonly holders = new Map<string, number>();
  readonly calls: Array<{ fd: number; exclusive: boolean; nonBlocking: boolean }> = [];
  onLock: ((fd: number) => void) | undefined;

  lock(fd: number, exclusive: boolean, nonBlocking: boolean): boolean {
    this.calls.push({ fd, exclusive, nonBlocking });
    this.onLock?.(fd);
    const key = inodeKey(fd);
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

function inodeKey(fd: number): string {
  const st = fs.fstatSync(fd);
  return `${st.dev}:${st.ino}`;
}

let root: string;
let locker: FakeLocker;

beforeEach(() => {
  root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'husk-lock-')), 'root');
  locker = new FakeLocker();
});

afterEach(() => {
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

test('withNewContainer creates <root>/<id> with its lock held during fn, then releases it', () => {
  const result = withNewContainer(root, 'c1', (dir) => {
    assert.equal(dir, path.join(root, 'c1'));
    assert.deepEqual(fs.readdirSync(dir), ['lock']);
    assert.equal(locker.holders.size, 1, 'the container lock is held inside fn');
    return 42;
  }, { locker });
  assert.equal(result, 42);
  assert.equal(locker.holders.size, 0);
  assert.equal(fs.statSync(root).mode & 0o777, 0o700, 'runc creates --root 0700');
  assert.deepEqual(fs.readdirSync(root).sort(), ['c1'], 'no staging directory or lock file is left behind');
});

test('a second create of the same id gets "already exists", also while the first is still creating', () => {
  withNewContainer(root, 'dup', () => {
    assert.throws(
      () => withNewContainer(root, 'dup', () => 0, { locker }),
      (e: unknown) => e instanceof HuskError && e.message === "container 'dup' already exists",
    );
  }, { locker });
  assert.throws(() => withNewContainer(root, 'dup', () => 0, { locker }), /container 'dup' already exists/);
});

test('a create whose fn throws removes the directory and releases the lock', () => {
  assert.throws(() => withNewContainer(root, 'bad', () => {
    throw new HuskError('mount failed');
  }, { locker }), /mount failed/);
  assert.equal(fs.existsSync(path.join(root, 'bad')), false);
  assert.equal(locker.holders.size, 0);
  withNewContainer(root, 'bad', () => undefined, { locker }); // the id is free again
});

test('an async create holds the lock until its promise settles, and cleans up on rejection', async () => {
  let resolve: () => void = () => undefined;
  const pending = withNewContainer(root, 'slow', () => new Promise<void>((r) => { resolve = r; }), { locker });
  assert.equal(locker.holders.size, 1);
  resolve();
  await pending;
  assert.equal(locker.holders.size, 0);

  await assert.rejects(withNewContainer(root, 'slow2', async () => {
    throw new HuskError('hook failed');
  }, { locker }), /hook failed/);
  assert.equal(fs.existsSync(path.join(root, 'slow2')), false);
  assert.equal(locker.holders.size, 0);
});

test('withContainerLock on a missing container says it does not exist', () => {
  assert.throws(() => withContainerLock(root, 'ghost', () => 0, { locker }), (e: unknown) => e instanceof HuskError && e.message === "container 'ghost' does not exist");
  assert.throws(() => withContainerLock(root, 'a/b', () => 0, { locker }), /invalid container id/);
});

test('withContainerLock takes an exclusive lock and releases it, also when fn throws', () => {
  withNewContainer(root, 'c', () => undefined, { locker });
  withContainerLock(root, 'c', () => {
    assert.equal(locker.holders.size, 1);
  }, { locker });
  assert.equal(locker.holders.size, 0);
  assert.ok(locker.calls.every((c) => c.exclusive));
  assert.throws(() => withContainerLock(root, 'c', () => {
    throw new Error('boom');
  }, { locker }), /boom/);
  assert.equal(locker.holders.size, 0);
});

test('nested locking of one container in one process does not deadlock', () => {
  withNewContainer(root, 'n', () => {
    withContainerLock(root, 'n', () => {
      withContainerLock(root, 'n', () => undefined, { locker });
    }, { locker });
  }, { locker });
});

test('with a timeout, a lock held elsewhere fails with "busy" instead of waiting forever', () => {
  withNewContainer(root, 'held', () => undefined, { locker });
  // Another husk process holds the lock: in flock terms, another open file on the same inode.
  const otherFd = fs.openSync(path.join(root, 'held', 'lock'), 'r');
  try {
    locker.lock(otherFd, true, true);
    const started = Date.now();
    assert.throws(
      () => withContainerLock(root, 'held', () => 0, { locker, timeoutMs: 50 }),
      /container 'held' is busy: another husk command holds its lock/,
    );
    assert.ok(Date.now() - started >= 50);
  } finally {
    locker.release(otherFd);
    fs.closeSync(otherFd);
  }
  withContainerLock(root, 'held', () => 0, { locker, timeoutMs: 50 });
});

test('a waiter whose container was deleted meanwhile is told it does not exist', () => {
  withNewContainer(root, 'del', () => undefined, { locker });
  // While "waiting" for the lock, another husk deletes the container.
  locker.onLock = () => {
    locker.onLock = undefined;
    fs.rmSync(path.join(root, 'del'), { recursive: true, force: true });
  };
  assert.throws(() => withContainerLock(root, 'del', () => 0, { locker }), /container 'del' does not exist/);
});

test('a waiter whose container was deleted and re-created locks the new one', () => {
  withNewContainer(root, 'again', () => undefined, { locker });
  locker.onLock = () => {
    locker.onLock = undefined;
    fs.rmSync(path.join(root, 'again'), { recursive: true, force: true });
    withNewContainer(root, 'again', () => fs.writeFileSync(path.join(root, 'again', 'marker'), 'new'), { locker });
  };
  let lockedInodes: string[] = [];
  withContainerLock(root, 'again', () => {
    lockedInodes = [...locker.holders.keys()];
  }, { locker });
  const current = fs.statSync(path.join(root, 'again', 'lock'));
  assert.deepEqual(lockedInodes, [`${current.dev}:${current.ino}`]);
  assert.equal(locker.calls.length >= 2, true);
});

test('the root lock serializes claims and is released afterwards', () => {
  fs.mkdirSync(root, { recursive: true });
  withRootLock(root, () => {
    assert.equal(locker.holders.size, 1);
  }, { locker });
  assert.equal(locker.holders.size, 0);
});

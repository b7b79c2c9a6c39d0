// Locks that keep concurrent husk processes from corrupting a container's state.
//
//  * The container lock is a flock(2) on <root>/<id>/lock. Every command that changes a
//    container (start, kill, pause, delete, and create while it builds it) holds it.
//    Reading (state, list) does not need it: state.json is replaced atomically.
//  * The lock file lives inside the container's directory, so `delete` removes it with the rest.
//    A process that was waiting for the lock then holds a lock on a file that is no longer
//    there; it notices (the inode at the path changed or vanished) and reports "does not exist"
//    or retries on the new container of the same id. A lock file beside the directory
//    (<root>/<id>.lock) would have the same problem when deleted, and would be left behind, or
//    be created by a mere `husk state nosuch`, when it is not.
//  * The root lock (a flock on the --root directory itself, so --root holds nothing but
//    containers, as runc's does) serializes the claim of a new id: under it, the new directory is prepared under a temporary name with its lock file
//    already locked, then renamed into place. So the directory never exists unlocked and without
//    its lock file, and of two creates of one id exactly one wins.
//
// flock comes from the addon, loaded lazily; tests inject a Locker instead.
//
// Note for the launcher: a flock belongs to the open file description, which a clone3'd child
// shares until it closes its copy of the fd. So the launcher names the lock fds held here
// (heldLockFds) in the plan, and the container side closes them first thing: a container init
// stuck in a createContainer hook after `husk create` was killed would otherwise hold the lock,
// and `delete --force` would wait for it forever.
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../addon';
import { HuskError, describeSystemError } from '../errors';
import { faultPoint } from '../fault';
import { validateContainerId } from './id';
import { isProcessAlive } from './proc';
import { DELETING_PREFIX, NoSuchContainerError } from './store';

export interface Locker {
  /** flock(fd, exclusive ? LOCK_EX : LOCK_SH [| LOCK_NB]); false only when nonBlocking and held elsewhere. */
  lock(fd: number, exclusive: boolean, nonBlocking: boolean): boolean;
  /** Called just before husk closes a locked fd (closing is what releases a flock). */
  release(fd: number): void;
}

/** The real thing: flock(2) through the addon. */
export const flockLocker: Locker = {
  lock: (fd, exclusive, nonBlocking) => addon().flock(fd, exclusive, nonBlocking),
  release: () => undefined,
};

export interface LockOptions {
  /** Defaults to flockLocker. */
  locker?: Locker;
  /**
   * Give up after this long with "is busy" instead of waiting indefinitely. Undefined waits in a
   * blocking flock (the normal case: the other husk command finishes soon).
   */
  timeoutMs?: number;
}

export const CONTAINER_LOCK_FILE = 'lock';
/** '@' cannot occur in a container id, so these names never collide with a container directory. */
export const CREATING_PREFIX = '@creating-';

/** Lock paths this process holds, and their fds, so nested withContainerLock calls on one container do not self-deadlock. */
const heldHere = new Map<string, number>();

/** The fds of the container locks this process holds now (for the launcher: see the note above). */
export function heldLockFds(): number[] {
  return [...heldHere.values()];
}

/**
 * Run `fn` holding the container's lock; returns what `fn` returns. When `fn` returns a promise,
 * the lock is held until it settles. Throws HuskError "container 'x' does not exist" if there is
 * no such container (or it was deleted while we waited).
 */
export function withContainerLock<T>(root: string, id: string, fn: () => T, options: LockOptions = {}): T {
  validateContainerId(id);
  const lockPath = path.join(root, id, CONTAINER_LOCK_FILE);
  if (heldHere.has(lockPath)) return fn();
  const fd = lockExistingContainer(lockPath, id, options);
  return runHolding(fd, lockPath, options.locker ?? flockLocker, fn);
}

/**
 * Claim a new container id and run `fn(dir)` holding its lock. Throws HuskError
 * "container 'x' already exists" if the id is taken (also when another create wins the race).
 * If `fn` throws (or its promise rejects), the new state directory is removed again: the caller
 * must have undone whatever else it made (processes, cgroups) before rethrowing.
 */
export function withNewContainer<T>(root: string, id: string, fn: (dir: string) => T, options: LockOptions = {}): T {
  validateContainerId(id);
  const locker = options.locker ?? flockLocker;
  const dir = path.join(root, id);
  const lockPath = path.join(dir, CONTAINER_LOCK_FILE);
  ensureRootDirectory(root);
  const fd = withRootLock(root, () => claimDirectory(root, id, locker), options);
  const removeOnFailure = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const guarded = (): T => {
    let result: T;
    try {
      result = fn(dir);
    } catch (err) {
      removeOnFailure();
      throw err;
    }
    if (isPromiseLike(result)) {
      return result.then(undefined, (err: unknown) => {
        removeOnFailure();
        throw err;
      }) as T;
    }
    return result;
  };
  return runHolding(fd, lockPath, locker, guarded);
}

/** Run `fn` holding the root lock (exclusive, short: only around claiming an id). */
export function withRootLock<T>(root: string, fn: () => T, options: LockOptions = {}): T {
  const locker = options.locker ?? flockLocker;
  let fd: number;
  try {
    // flock works on a directory fd: no lock file is needed, and none is left in --root.
    fd = fs.openSync(root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new HuskError(`cannot open the state root ${root}: ${describeSystemError(err)}`);
  }
  try {
    acquire(fd, locker, options.timeoutMs, `the state root ${root}`);
    return fn();
  } finally {
    locker.release(fd);
    fs.closeSync(fd);
  }
}

/** runc creates --root with mode 0700: other users have no business reading container state. */
function ensureRootDirectory(root: string): void {
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HuskError(`cannot create state root ${root}: ${describeSystemError(err)}`);
  }
}

/** Under the root lock: build <root>/@creating-<pid>-<time>/ with a locked lock file, rename it to <root>/<id>. */
function claimDirectory(root: string, id: string, locker: Locker): number {
  const dir = path.join(root, id);
  if (pathExists(dir)) throw new HuskError(`container '${id}' already exists`);
  // Not named after the id: <prefix><id> could exceed NAME_MAX for a 255-character id.
  const staging = path.join(root, `${CREATING_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  // Under the root lock every staging directory but ours is what a killed create left.
  removeRemnants(root, true);
  let fd: number | undefined;
  try {
    fs.mkdirSync(staging, 0o711);
    fd = fs.openSync(path.join(staging, CONTAINER_LOCK_FILE), 'wx', 0o600);
    if (!locker.lock(fd, true, true)) throw new HuskError(`internal error: fresh lock file for '${id}' is locked`);
    faultPoint('create:claim');
    fs.renameSync(staging, dir);
    return fd;
  } catch (err) {
    if (fd !== undefined) {
      locker.release(fd);
      fs.closeSync(fd);
    }
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof HuskError) throw err;
    throw new HuskError(`cannot create state directory ${dir}: ${describeSystemError(err)}`);
  }
}

/**
 * Remove what killed husk processes left under root outside any container directory: staging
 * directories of a create killed while claiming its id (only ever made and renamed under the
 * root lock, so any that exists while we hold it is garbage) and @deleting-* directories of a
 * delete killed while removing them (garbage once their process is gone). Best effort and cheap
 * (one readdir; the root lock only when there is a staging directory, and never waited for).
 */
export function sweepRemnants(root: string, options: LockOptions = {}): void {
  try {
    if (!fs.readdirSync(root).some((name) => name.startsWith(CREATING_PREFIX) || name.startsWith(DELETING_PREFIX))) return;
    removeRemnants(root, false);
    if (!fs.readdirSync(root).some((name) => name.startsWith(CREATING_PREFIX))) return;
    withRootLock(root, () => removeRemnants(root, true), { ...options, timeoutMs: 0 });
  } catch {
    // A busy root lock means a create is claiming an id right now; the next sweep gets it.
  }
}

function removeRemnants(root: string, holdingRootLock: boolean): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const garbage = name.startsWith(CREATING_PREFIX)
      ? holdingRootLock
      : name.startsWith(DELETING_PREFIX) && !isProcessAlive(Number(name.slice(DELETING_PREFIX.length).split('-')[0]));
    if (garbage) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/** Open and lock <root>/<id>/lock, retrying if the container was deleted and re-created while we waited. */
function lockExistingContainer(lockPath: string, id: string, options: LockOptions): number {
  const locker = options.locker ?? flockLocker;
  for (;;) {
    let fd: number;
    try {
      fd = fs.openSync(lockPath, fs.constants.O_RDONLY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new NoSuchContainerError(id);
      throw new HuskError(`cannot open ${lockPath}: ${describeSystemError(err)}`);
    }
    try {
      acquire(fd, locker, options.timeoutMs, `container '${id}'`);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    if (isStillAt(fd, lockPath)) return fd;
    locker.release(fd);
    fs.closeSync(fd);
  }
}

function acquire(fd: number, locker: Locker, timeoutMs: number | undefined, what: string): void {
  if (timeoutMs === undefined) {
    locker.lock(fd, true, false);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let delayMs = 1;
  while (!locker.lock(fd, true, true)) {
    if (Date.now() >= deadline) throw new HuskError(`${what} is busy: another husk command holds its lock`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
    delayMs = Math.min(delayMs * 2, 50);
  }
}

/** Whether the file behind `fd` is still the one at `file` (not unlinked, not replaced). */
function isStillAt(fd: number, file: string): boolean {
  try {
    const held = fs.fstatSync(fd);
    const current = fs.statSync(file);
    return held.dev === current.dev && held.ino === current.ino;
  } catch {
    return false;
  }
}

function runHolding<T>(fd: number, lockPath: string, locker: Locker, fn: () => T): T {
  heldHere.set(lockPath, fd);
  const release = (): void => {
    heldHere.delete(lockPath);
    locker.release(fd);
    fs.closeSync(fd);
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    release();
    throw err;
  }
  if (isPromiseLike(result)) return Promise.resolve(result).finally(release) as T;
  release();
  return result;
}

function isPromiseLike(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

function pathExists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

// Small, synchronous helpers for cgroupfs files and directories. Every failure becomes a HuskError
// that names the file and the value, because "EINVAL" alone never tells a user which limit was bad.
import * as fs from 'fs';
import * as path from 'path';
import { HuskError, describeSystemError } from '../errors';

/** Block the thread for `ms` milliseconds (husk is a short-lived CLI; cgroup waits are short). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/** Contents of dir/file, or undefined when it does not exist. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw new HuskError(`reading ${path.join(dir, file)}: ${describeSystemError(err)}`);
  }
}

/**
 * Write `value` to dir/file with one write(2). O_TRUNC as runc does (harmless on cgroupfs, and it
 * makes plain files in unit tests hold exactly the last value); never O_CREAT: a missing control
 * file means a missing controller, and creating a regular file would hide that.
 */
export function writeCgroupFile(dir: string, file: string, value: string): void {
  const target = path.join(dir, file);
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  } catch (err) {
    throw new CgroupWriteError(target, value, err);
  }
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    throw new CgroupWriteError(target, value, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** A failed cgroupfs write; keeps the errno so callers can retry (EINVAL, EBUSY) or rephrase (ENOENT). */
export class CgroupWriteError extends HuskError {
  readonly errno: string | undefined;
  /** The system's words for the failure ("EINVAL: invalid argument"). */
  readonly reason: string;
  readonly target: string;
  readonly value: string;

  constructor(target: string, value: string, cause: unknown) {
    super(`writing '${value}' to ${target}: ${describeSystemError(cause)}`);
    this.errno = errnoOf(cause);
    this.reason = describeSystemError(cause);
    this.target = target;
    this.value = value;
  }
}

/** Pids listed in dir/cgroup.procs ([] if the cgroup is gone). */
export function readProcs(dir: string): number[] {
  const text = readCgroupFile(dir, 'cgroup.procs');
  if (text === undefined) return [];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Sub-cgroups of dir, recursively, children after their parents. */
export function descendantCgroups(dir: string): string[] {
  const found: string[] = [];
  const visit = (current: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      return; // vanished meanwhile
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = path.join(current, entry.name);
      found.push(child);
      visit(child);
    }
  };
  visit(dir);
  return found;
}

/** Pids in dir and every sub-cgroup below it (containers may create their own sub-cgroups). */
export function readProcsRecursive(dir: string): number[] {
  const pids = new Set<number>(readProcs(dir));
  for (const child of descendantCgroups(dir)) for (const pid of readProcs(child)) pids.add(pid);
  return [...pids];
}

/**
 * Add a process to a cgroup. runc retries EINVAL a few times: the kernel refuses a task that is
 * still being created (TASK_NEW) with EINVAL.
 */
export function writeCgroupProc(dir: string, pid: number): void {
  const attempts = 5;
  for (let attempt = 1; ; attempt++) {
    try {
      writeCgroupFile(dir, 'cgroup.procs', String(pid));
      return;
    } catch (err) {
      if (!(err instanceof CgroupWriteError) || err.errno !== 'EINVAL' || attempt === attempts) throw err;
      sleepSync(30);
    }
  }
}

/**
 * rmdir a cgroup directory. EBUSY right after a kill usually means tasks that are still exiting,
 * so retry with a growing delay (runc: 5 tries from 10 ms). ENOENT counts as success.
 */
export function removeCgroupDir(dir: string, options: { retries?: number; firstDelayMs?: number } = {}): void {
  const retries = options.retries ?? 5;
  let delay = options.firstDelayMs ?? 10;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= retries) {
        throw new HuskError(`removing cgroup ${dir}: ${describeSystemError(err)}`);
      }
      sleepSync(delay);
      delay *= 2;
    }
  }
}

/**
 * mkdir every missing directory from the deepest existing ancestor down to `dir`; returns the
 * ones this call created, parents first (so a caller can remove exactly those, in reverse).
 */
export function mkdirTracked(dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) {
    if (path.dirname(current) === current) break;
    missing.unshift(current);
  }
  const created: string[] = [];
  for (const component of missing) {
    try {
      fs.mkdirSync(component, 0o755);
      created.push(component);
    } catch (err) {
      // Another container being created at the same time may have made a shared parent.
      if (errnoOf(err) === 'EEXIST') continue;
      throw Object.assign(new HuskError(`creating cgroup ${component}: ${describeSystemError(err)}`), { created });
    }
  }
  return created;
}

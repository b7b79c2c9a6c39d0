// Carrying out a list of CgroupWrites against real (or fake) cgroupfs directories.
//
// Two things the pure translation (resources.ts) cannot decide:
//  * Order. The kernel checks some values against others at the moment of each write: memsw must
//    stay >= the memory limit, a CFS quota must fit the period and the parent's bandwidth, a burst
//    must stay <= the quota, rt runtime must fit the rt period. Which write has to go first
//    depends on the values in force. runc hard-codes a retry per pair; here one rule covers them
//    all: a write the kernel refuses with EINVAL is retried after the others, for as long as a
//    round makes progress. A value that is simply invalid fails in every round and is reported.
//  * Which file exists. blkio.weight vs blkio.bfq.weight (v1), io.bfq.weight vs io.weight (v2),
//    optional files such as memory.swap.max without swap accounting.
import { HuskError } from '../errors';
import { logWarn } from '../log';
import { CgroupWriteError, readCgroupFile, writeCgroupFile } from './files';
import { FIELD_PREFIX } from './resource-values';
import type { CgroupWrite } from './resources';

export interface WriteTarget {
  /** The directory the write goes to; throws a HuskError naming the field when there is none. */
  directoryFor(write: CgroupWrite): string;
  /** Why `write.file` (and its fallback) does not exist in `dir`, as the end of a sentence. */
  describeMissingFile(write: CgroupWrite, dir: string): string;
  /** Extra words for a write the kernel refused (e.g. the current memory usage on EBUSY). */
  explainRefusal?(write: CgroupWrite, dir: string, error: CgroupWriteError): string | undefined;
}

/** How one file gets its value; tests pass a fake kernel that enforces constraints. */
export type FileWriter = (dir: string, file: string, value: string) => void;
/** How one file's current value is read (undefined when missing). */
export type FileReader = (dir: string, file: string) => string | undefined;

/**
 * applyWrites for `update`: the files about to change are read first, and when a write fails the
 * ones that held a single value get it back, so a refused update leaves the limits in force
 * (runc, too, re-applies the old configuration when an update fails). Files holding a table
 * (io.max, blkio.throttle.*, memory.oom_control) or nothing are not restorable this way and keep
 * what was written. Throws the original failure; a failed restore is a warning.
 */
export function applyWritesRestoringOnFailure(
  writes: CgroupWrite[],
  target: WriteTarget,
  writeFile: FileWriter = writeCgroupFile,
  readFile: FileReader = readCgroupFile,
): void {
  const snapshots = snapshotTargets(writes, target, readFile);
  try {
    applyWrites(writes, target, writeFile);
  } catch (err) {
    try {
      applyWrites(snapshots.reverse(), target, writeFile);
    } catch (restoreError) {
      logWarn(`restoring the previous limits after a failed update: ${(restoreError as Error).message}; the cgroup may hold a mix of old and new values`);
    }
    throw err;
  }
}

function snapshotTargets(writes: CgroupWrite[], target: WriteTarget, readFile: FileReader): CgroupWrite[] {
  const snapshots: CgroupWrite[] = [];
  const seen = new Set<string>();
  for (const write of writes) {
    let dir: string;
    try {
      dir = target.directoryFor(write);
    } catch {
      continue; // applyWrites reports the missing controller
    }
    for (const file of [write.file, write.fallback?.file]) {
      if (file === undefined || seen.has(`${dir}/${file}`)) continue;
      seen.add(`${dir}/${file}`);
      const value = readFile(dir, file)?.trim();
      if (value === undefined || value === '' || value.includes('\n')) continue;
      snapshots.push({ controller: write.controller, field: write.field, file, value, optional: true });
    }
  }
  return snapshots;
}

export function applyWrites(writes: CgroupWrite[], target: WriteTarget, writeFile: FileWriter = writeCgroupFile): void {
  let pending = writes;
  while (pending.length > 0) {
    const refused: Array<{ write: CgroupWrite; error: CgroupWriteError }> = [];
    for (const write of pending) {
      try {
        writeOne(write, target, writeFile);
      } catch (err) {
        if (err instanceof CgroupWriteError && err.errno === 'EINVAL' && pending.length > 1) {
          refused.push({ write, error: err });
          continue;
        }
        throw describeFailure(write, err, target);
      }
    }
    if (refused.length === pending.length) throw describeFailure(refused[0].write, refused[0].error, target);
    pending = refused.map((entry) => entry.write);
  }
}

function writeOne(write: CgroupWrite, target: WriteTarget, writeFile: FileWriter): void {
  const dir = target.directoryFor(write);
  if (tryWrite(writeFile, dir, write.file, write.value)) return;
  if (write.fallback && tryWrite(writeFile, dir, write.fallback.file, write.fallback.value)) return;
  if (write.optional) return;
  throw new HuskError(`${FIELD_PREFIX}${write.field} cannot be applied: ${target.describeMissingFile(write, dir)}`);
}

/** false when the file does not exist; other failures throw. */
function tryWrite(writeFile: FileWriter, dir: string, file: string, value: string): boolean {
  try {
    writeFile(dir, file, value);
    return true;
  } catch (err) {
    if (err instanceof CgroupWriteError && err.errno === 'ENOENT') return false;
    throw err;
  }
}

function describeFailure(write: CgroupWrite, err: unknown, target: WriteTarget): Error {
  if (!(err instanceof CgroupWriteError)) return err as Error;
  let dir: string;
  try {
    dir = target.directoryFor(write);
  } catch {
    return err;
  }
  const extra = target.explainRefusal?.(write, dir, err);
  return new HuskError(
    `${FIELD_PREFIX}${write.field}: the kernel refused '${err.value}' for ${err.target} (${err.reason})${extra ? `: ${extra}` : ''}`,
  );
}

// The container state directory <root>/<id>/ and its state.json.
//
//   <root>/<id>/state.json   what later commands need (below), replaced atomically
//   <root>/<id>/exec.fifo    exists from create until start (see status.ts)
//   <root>/<id>/lock         the container lock (lock.ts)
//
// state.json is written to a temporary file and renamed over the old one, so a reader sees
// either the old or the new state, never half of one; that is why `state` and `list` read
// without the lock. A missing or unparseable file is reported as such, never as a crash.
// No fsync, as in runc: the state describes processes that a crash of the machine ends anyway,
// and --root is meant to be a tmpfs; on a disk-backed /run the two fsyncs cost 2.5-4 ms per
// write (measured here), paid by create, start and run.
import * as fs from 'fs';
import * as path from 'path';
import type { CgroupRecord } from '../cgroups/types';
import { HuskError, describeSystemError } from '../errors';
import { faultPoint } from '../fault';
import type { Hooks } from '../spec/types';
import { isValidContainerId, validateContainerId } from './id';

export const STATE_FILE = 'state.json';
export const EXEC_FIFO_FILE = 'exec.fifo';
export const STATE_FORMAT_VERSION = 1;
/** A state directory being removed (removeStateDir); '@' cannot occur in a container id. */
export const DELETING_PREFIX = '@deleting-';

/** "container 'x' does not exist": a type of its own, for `delete --force`, which must succeed then. */
export class NoSuchContainerError extends HuskError {
  constructor(readonly id: string) {
    super(`container '${id}' does not exist`);
  }
}

/** What husk keeps about a container between commands. */
export interface ContainerState {
  /** Format of this file; bumped when a field changes meaning. */
  huskStateVersion: number;
  /** From the config (runtime-spec "ociVersion"). */
  ociVersion: string;
  id: string;
  /** Host pid of the container's init process; 0 until it exists. */
  pid: number;
  /**
   * Start time of the init (/proc/<pid>/stat field 22). With pid it identifies the init for
   * good: a recycled pid has another start time and is never taken for the container.
   */
  pidStartTime: number;
  /** Absolute path of the bundle directory. */
  bundle: string;
  /** Absolute path of the root filesystem on the host (runc's `state` prints it). */
  rootfs: string;
  /** Absolute path of the config.json the container was created from. */
  configPath: string;
  annotations: Record<string, string>;
  /** When the container was created: RFC 3339 with nanoseconds, UTC (runc's format). */
  created: string;
  /** runc prints the owner; it is always "" for containers of the root user. */
  owner: string;
  /** The container's cgroup (see cgroups/types.ts), or null if it has none. */
  cgroup: CgroupRecord | null;
  /**
   * Whether the container has its own pid namespace. If not, its processes outlive the init
   * and `kill --all` / `delete` must kill the whole cgroup, not just the init.
   */
  privatePidNamespace: boolean;
  /** The config's hooks: poststart runs at start and poststop at delete, long after create. */
  hooks: Hooks;
  /** Absolute path of the exec fifo (<root>/<id>/exec.fifo). */
  execFifo: string;
  /**
   * The kernel's boot id at create (proc.ts currentBootId). Under another boot id the container
   * is stopped whatever its pid now names, and its cgroup paths belong to someone else.
   * Absent in states written before husk recorded it.
   */
  bootId?: string;
  /** Free-form data the lifecycle code keeps with the container (kept as-is across read/write). */
  extra?: Record<string, unknown>;
}

export function stateDirectory(root: string, id: string): string {
  validateContainerId(id);
  return path.join(root, id);
}

export function stateFilePath(root: string, id: string): string {
  return path.join(stateDirectory(root, id), STATE_FILE);
}

export function execFifoPath(root: string, id: string): string {
  return path.join(stateDirectory(root, id), EXEC_FIFO_FILE);
}

/** "2024-01-02T03:04:05.123456789Z", trailing zeros of the fraction trimmed (Go's RFC3339Nano, as runc prints). */
export function rfc3339Nano(epochNanoseconds: bigint): string {
  const seconds = epochNanoseconds / 1_000_000_000n;
  const fraction = (epochNanoseconds % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}${fraction ? `.${fraction}` : ''}Z`;
}

/** The current wall-clock time with sub-millisecond digits, for ContainerState.created. */
export function nowRfc3339Nano(): string {
  const nanoseconds = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  return rfc3339Nano(nanoseconds);
}

/**
 * Replace <root>/<id>/state.json atomically (temp file, rename).
 * Call it holding the container lock. The directory must exist (withNewContainer made it).
 */
export function writeState(root: string, state: ContainerState): void {
  const dir = stateDirectory(root, state.id);
  const target = path.join(dir, STATE_FILE);
  const temporary = path.join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(state)}\n`);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target);
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw new HuskError(`cannot write state of container '${state.id}' to ${target}: ${describeSystemError(err)}`);
  }
}

/**
 * Read <root>/<id>/state.json. HuskError "container 'x' does not exist" when there is no such
 * container; another HuskError, naming the file, when it is half-created, torn or malformed.
 */
export function readState(root: string, id: string): ContainerState {
  const dir = stateDirectory(root, id);
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !fs.existsSync(dir)) throw new NoSuchContainerError(id);
    if (code === 'ENOENT') {
      throw new HuskError(`container '${id}' is still being created, or its creation failed: ${file} does not exist yet`);
    }
    throw new HuskError(`cannot read state of container '${id}' from ${file}: ${describeSystemError(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HuskError(`state of container '${id}' in ${file} is not valid JSON (torn or corrupted): ${(err as Error).message}`);
  }
  const problem = stateShapeProblem(parsed, id);
  if (problem) throw new HuskError(`state of container '${id}' in ${file} is invalid: ${problem}`);
  return parsed as ContainerState;
}

/** What is wrong with a parsed state.json, or undefined if it has the fields husk relies on. */
function stateShapeProblem(value: unknown, id: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const state = value as Record<string, unknown>;
  if (state.huskStateVersion !== STATE_FORMAT_VERSION) {
    return `huskStateVersion is ${JSON.stringify(state.huskStateVersion)}, this husk reads version ${STATE_FORMAT_VERSION}`;
  }
  if (state.id !== id) return `it names container ${JSON.stringify(state.id)}`;
  for (const field of ['ociVersion', 'bundle', 'rootfs', 'configPath', 'created', 'owner', 'execFifo']) {
    if (typeof state[field] !== 'string') return `"${field}" is not a string`;
  }
  for (const field of ['pid', 'pidStartTime']) {
    if (!Number.isInteger(state[field]) || (state[field] as number) < 0) return `"${field}" is not a non-negative integer`;
  }
  if (typeof state.privatePidNamespace !== 'boolean') return '"privatePidNamespace" is not a boolean';
  for (const field of ['annotations', 'hooks']) {
    if (typeof state[field] !== 'object' || state[field] === null) return `"${field}" is not an object`;
  }
  if (state.cgroup !== null && (typeof state.cgroup !== 'object' || typeof (state.cgroup as CgroupRecord).paths !== 'object')) {
    return '"cgroup" is neither null nor a cgroup record';
  }
  return undefined;
}

/** Tombstones made by this process (unique names within one millisecond). */
let removals = 0;

/**
 * Remove <root>/<id>/ and everything in it. Call it holding the container lock (the lock file
 * goes too; waiters then find the container gone). Removing a missing directory is not an error.
 *
 * The directory is first renamed to <root>/@deleting-<pid>-<time> (one atomic step: the id is
 * free from then on), then removed. A husk killed halfway through a recursive removal would
 * otherwise leave <root>/<id> without its lock file or state.json, which no later command could
 * lock or read; a half-removed @deleting-* directory is garbage that sweepRemnants removes.
 */
export function removeStateDir(root: string, id: string): void {
  const dir = stateDirectory(root, id);
  const tombstone = path.join(root, `${DELETING_PREFIX}${process.pid}-${Date.now().toString(36)}-${++removals}`);
  try {
    fs.renameSync(dir, tombstone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new HuskError(`cannot remove state directory ${dir}: ${describeSystemError(err)}`);
  }
  faultPoint('delete:renamed');
  try {
    fs.rmSync(tombstone, { recursive: true, force: true });
  } catch (err) {
    throw new HuskError(`cannot remove state directory ${dir} (renamed to ${tombstone}): ${describeSystemError(err)}`);
  }
}

/** Ids of the container directories under root, sorted (runc's list is sorted by name too). */
export function listContainerIds(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new HuskError(`cannot list containers in ${root}: ${describeSystemError(err)}`);
  }
  // Lock files, staging directories and foreign files have names no container id can have.
  return entries
    .filter((entry) => entry.isDirectory() && isValidContainerId(entry.name))
    .map((entry) => entry.name)
    .sort();
}

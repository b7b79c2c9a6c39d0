// What v1, v2 and hybrid cgroups have in common: a set of directories (one per hierarchy) that
// husk creates, joins processes to, empties and removes. Subclasses add the freezer and resources.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HuskError, describeSystemError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { type CgroupMode, UNIFIED_KEY } from './host';
import {
  descendantCgroups, errnoOf, mkdirTracked, readProcsRecursive, removeCgroupDir, sleepSync, writeCgroupProc,
} from './files';
import { emulateV1DeviceRules, sameDeviceState } from './device-filter';
import { FIELD_PREFIX, checkResourceValues } from './resource-values';
import type { OomCounters } from './stats';
import { mergeResources, normalizeChange, resourcesToApply } from './update-resources';
import type { Cgroup, CgroupRecord, Signal } from './types';

const SIGKILL = os.constants.signals.SIGKILL;
const KILL_DEADLINE_MS = 10_000;

export abstract class CgroupBase implements Cgroup {
  readonly mode: CgroupMode;
  readonly paths: Readonly<Record<string, string>>;
  protected created: string[];
  /** Mount point per hierarchy key: the highest directory create() may prepare. Known only when planned. */
  protected readonly mountPoints: Readonly<Record<string, string>>;

  constructor(record: CgroupRecord, mountPoints: Record<string, string> = {}) {
    this.mode = record.mode;
    this.mountPoints = Object.freeze({ ...mountPoints });
    this.paths = Object.freeze({ ...record.paths });
    this.created = [...record.created];
    this.applied = record.resources;
    this.runtimeDeviceRules = record.runtimeDeviceRules;
  }

  v1DirectoriesByMountPoint(): Record<string, string> {
    const byMountPoint: Record<string, string> = {};
    for (const [key, dir] of Object.entries(this.paths)) {
      const mountPoint = this.mountPoints[key];
      if (key !== UNIFIED_KEY && mountPoint) byMountPoint[mountPoint] = dir;
    }
    return byMountPoint;
  }

  applyResources(resources: Resources | undefined): void {
    if (!resources) return;
    checkResourceValues(resources);
    this.writeResources(resources, false);
    this.applied = mergeResources(this.applied, resources);
  }

  updateResources(change: Resources): Resources {
    checkResourceValues(change);
    const normalized = normalizeChange(change);
    const merged = mergeResources(this.applied, normalized);
    const { devices, ...limits } = resourcesToApply(merged, normalized);
    checkResourceValues(limits);
    const deviceChange = devices ? this.deviceRuleChange(devices) : undefined;
    // Devices first: a v2 program is swapped in one step, and a v1 transition that fails part-way
    // is walked back; then the limits, which restore themselves on failure, and if they fail the
    // device rules go back too.
    if (deviceChange) this.replaceDeviceRules(deviceChange.from, deviceChange.to);
    try {
      this.writeResources(limits, true);
    } catch (err) {
      if (deviceChange) {
        try {
          this.replaceDeviceRules(deviceChange.to, deviceChange.from);
        } catch {
          // The first error is the one to report.
        }
      }
      throw err;
    }
    this.applied = merged;
    return merged;
  }

  applyDeviceRules(configRules: DeviceCgroupRule[], runtimeRules: DeviceCgroupRule[] = []): void {
    const rules = [...configRules, ...runtimeRules];
    emulateV1DeviceRules(rules); // refuses a rule the kernel could not take, before any write
    if (rules.length > 0) this.writeDeviceRules(rules);
    this.runtimeDeviceRules = [...runtimeRules];
    // The rules in force are resources.devices + runtimeDeviceRules (update relies on it).
    if (configRules.length > 0 || this.applied?.devices !== undefined) this.applied = { ...this.applied, devices: [...configRules] };
  }

  /** The full rule lists before and after `update` gives new config rules; undefined when nothing changes. */
  private deviceRuleChange(configRules: DeviceCgroupRule[]): { from: DeviceCgroupRule[]; to: DeviceCgroupRule[] } | undefined {
    if (this.runtimeDeviceRules === undefined) {
      // Without them the new list would lack runc's default allowlist (/dev/null, ptys...).
      throw new HuskError(`${FIELD_PREFIX}devices cannot be changed: the container's state does not record the runtime's device rules (created by an older husk); recreate it`);
    }
    const from = [...(this.applied?.devices ?? []), ...this.runtimeDeviceRules];
    const to = [...configRules, ...this.runtimeDeviceRules];
    return sameDeviceState(emulateV1DeviceRules(from), emulateV1DeviceRules(to)) ? undefined : { from, to };
  }

  appliedResources(): Resources | undefined {
    return this.applied;
  }

  /** linux.resources as applied so far (create, then each update), kept in the record. */
  protected applied: Resources | undefined;
  /** See CgroupRecord.runtimeDeviceRules; undefined until applyDeviceRules (or in old records). */
  protected runtimeDeviceRules: DeviceCgroupRule[] | undefined;

  abstract get unifiedPath(): string | undefined;
  /**
   * Write `resources` (already checked) in this version's files. `restoreOnFailure`: put back
   * the previous values when a write fails (update; create destroys the cgroup instead).
   */
  protected abstract writeResources(resources: Resources, restoreOnFailure: boolean): void;
  /** Enforce a full rule list on a cgroup with none yet (create). */
  protected abstract writeDeviceRules(rules: DeviceCgroupRule[]): void;
  /** Go from enforcing `from` to enforcing `to` on a live cgroup (update). */
  protected abstract replaceDeviceRules(from: DeviceCgroupRule[], to: DeviceCgroupRule[]): void;
  abstract stats(): Record<string, unknown>;
  abstract oomCounters(): OomCounters | undefined;
  /** Whether freeze() can work at all (v1 needs the freezer hierarchy). */
  abstract canFreeze(): boolean;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  /** The directory whose cgroup.procs lists the container's processes. */
  protected abstract processListingDir(): string;
  /** Kill everything with one write (cgroup.kill, Linux 5.14+); false when unavailable. */
  protected abstract killWithCgroupKill(): boolean;
  /** Per-hierarchy preparation right after the directories exist (v1 cpuset, v2 controllers). */
  protected abstract prepareCreated(key: string, dir: string, createdHere: string[]): void;

  create(): void {
    const createdNow: string[] = [];
    try {
      for (const [key, dir] of Object.entries(this.paths)) {
        const madeHere = this.makeDirectories(dir, createdNow);
        this.prepareCreated(key, dir, madeHere);
        this.refuseOccupied(dir, madeHere);
      }
    } catch (err) {
      try {
        this.removeDirectories(createdNow);
      } catch {
        // The first error is the one worth reporting.
      }
      throw err;
    }
    this.created.push(...createdNow);
  }

  addProcess(pid: number): void {
    for (const dir of Object.values(this.paths)) writeCgroupProc(dir, pid);
  }

  pids(): number[] {
    return readProcsRecursive(this.processListingDir());
  }

  exists(): boolean {
    return Object.values(this.paths).some((dir) => fs.existsSync(dir));
  }

  killAll(signal: Signal = SIGKILL): void {
    const number = signalNumber(signal);
    if (number === SIGKILL) this.killUntilEmpty();
    else this.signalEveryProcessOnce(number);
  }

  destroy(): void {
    try {
      this.removeDirectories(this.created);
    } finally {
      this.created = this.created.filter((dir) => fs.existsSync(dir));
    }
  }

  toRecord(): CgroupRecord {
    const record: CgroupRecord = { mode: this.mode, paths: { ...this.paths }, created: [...this.created] };
    if (this.applied !== undefined) record.resources = this.applied;
    if (this.runtimeDeviceRules !== undefined) record.runtimeDeviceRules = this.runtimeDeviceRules;
    return record;
  }

  /** mkdir dir and its missing parents; records them in `createdNow` as they appear. */
  private makeDirectories(dir: string, createdNow: string[]): string[] {
    try {
      const made = mkdirTracked(dir);
      createdNow.push(...made);
      return made;
    } catch (err) {
      createdNow.push(...((err as { created?: string[] }).created ?? []));
      throw err;
    }
  }

  /**
   * A cgroup that existed before and already holds processes belongs to something else: putting
   * the container there would mix them, and kill/delete would hit the strangers. (runc refuses
   * a non-empty cgroup too.)
   */
  private refuseOccupied(dir: string, madeHere: string[]): void {
    if (madeHere.includes(dir)) return;
    const occupants = readProcsRecursive(dir);
    if (occupants.length > 0) {
      throw new HuskError(`cgroup ${dir} already exists and holds ${occupants.length} process(es); refusing to share it`);
    }
  }

  private signalEveryProcessOnce(signal: number): void {
    const freezeAround = this.canFreeze() && !this.isFrozen();
    if (freezeAround) this.freeze();
    try {
      for (const pid of this.pids()) signalProcess(pid, signal);
    } finally {
      // Signals to frozen tasks stay pending and are delivered on thaw. A cgroup that was paused
      // before stays paused: killing is not resuming.
      if (freezeAround) this.thaw();
    }
  }

  private killUntilEmpty(): void {
    this.killWithCgroupKill();
    const deadline = Date.now() + KILL_DEADLINE_MS;
    let delayMs = 1;
    for (;;) {
      if (this.pids().length === 0) return;
      if (Date.now() > deadline) {
        throw new HuskError(`${this.pids().length} process(es) in cgroup ${this.processListingDir()} survived SIGKILL for ${KILL_DEADLINE_MS / 1000}s`);
      }
      this.killListedProcessesFrozen();
      sleepSync(delayMs);
      delayMs = Math.min(delayMs * 2, 100);
    }
  }

  /** Freeze (so no one forks past the list), SIGKILL the list, thaw (so v1 frozen tasks can die). */
  private killListedProcessesFrozen(): void {
    const frozen = this.canFreeze() && this.tryFreeze();
    try {
      for (const pid of this.pids()) signalProcess(pid, SIGKILL);
    } finally {
      if (frozen || this.isFrozen()) this.thaw();
    }
  }

  private tryFreeze(): boolean {
    try {
      this.freeze();
      return true;
    } catch {
      return false; // killing without the freezer still converges, only slower
    }
  }

  /**
   * rmdir `dirs` deepest first. A leaf the container filled with its own sub-cgroups loses those
   * first (they are inside a directory husk created, so they are the container's). A parent that
   * still has other children (another container's cgroup) is left alone.
   */
  private removeDirectories(dirs: string[]): void {
    const leaves = new Set(Object.values(this.paths));
    const deepestFirst = [...dirs].sort((a, b) => depth(b) - depth(a));
    let firstError: unknown;
    for (const dir of deepestFirst) {
      try {
        if (leaves.has(dir)) {
          // Most often the leaf has no child cgroup and goes at once: the directory walk (four
          // syscalls per hierarchy, ~12 hierarchies on v1) is only for one that has.
          if (removedAtOnce(dir)) continue;
          for (const child of descendantCgroups(dir).reverse()) removeCgroupDir(child);
          removeCgroupDir(dir);
        } else {
          removeParentIfEmpty(dir);
        }
      } catch (err) {
        // Keep going: one busy hierarchy must not leave the others behind.
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
  }
}

/** One rmdir: true when the directory is gone now (or was), false when it is busy or has children. */
function removedAtOnce(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    return errnoOf(err) === 'ENOENT';
  }
}

function removeParentIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'EBUSY' || code === 'ENOTEMPTY') return;
    throw new HuskError(`removing cgroup ${dir}: ${describeSystemError(err)}`);
  }
}

function depth(dir: string): number {
  return dir.split(path.sep).length;
}

function signalNumber(signal: Signal): number {
  if (typeof signal === 'number') return signal;
  const number = os.constants.signals[signal];
  if (number === undefined) throw new HuskError(`unknown signal ${signal}`);
  return number;
}

/** kill(2), ignoring processes that are already gone. */
function signalProcess(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (errnoOf(err) === 'ESRCH') return;
    throw new HuskError(`sending signal ${signal} to process ${pid}: ${describeSystemError(err)}`);
  }
}

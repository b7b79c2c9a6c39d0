// cgroup v1: one hierarchy per controller (or per group of co-mounted controllers such as
// "cpu,cpuacct"), each with its own directory for the container.
import * as path from 'path';
import { HuskError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { CgroupBase } from './base';
import { emulateV1DeviceRules, v1DeviceTransition } from './device-filter';
import { CgroupWriteError, readCgroupFile, sleepSync, writeCgroupFile } from './files';
import { UNIFIED_KEY } from './host';
import { FIELD_PREFIX, refuseLimitBelowUsage } from './resource-values';
import { CgroupWrite, v1DeviceRuleLine, v1ResourceWrites } from './resources';
import { OomCounters, readU64, v1OomCounters, v1Stats } from './stats';
import { WriteTarget, applyWrites, applyWritesRestoringOnFailure } from './write-engine';

const FREEZE_ATTEMPTS = 1000;

export class V1Cgroup extends CgroupBase {
  get unifiedPath(): string | undefined {
    return undefined;
  }

  /** The container's directory in the hierarchy that carries `controller`, if it is mounted. */
  directoryFor(controller: string): string | undefined {
    for (const [key, dir] of Object.entries(this.paths)) {
      if (key !== UNIFIED_KEY && key.split(',').includes(controller)) return dir;
    }
    return undefined;
  }

  canFreeze(): boolean {
    return this.directoryFor('freezer') !== undefined;
  }

  /**
   * Write FROZEN until freezer.state reads FROZEN. A task can hold the cgroup in FREEZING for a
   * while (e.g. in vfork); like runc, thaw briefly every 50 attempts to unstick it.
   */
  freeze(): void {
    const dir = this.freezerDirectory('pause');
    for (let attempt = 0; attempt < FREEZE_ATTEMPTS; attempt++) {
      if (attempt % 50 === 49) {
        writeCgroupFile(dir, 'freezer.state', 'THAWED');
        sleepSync(10);
      }
      writeCgroupFile(dir, 'freezer.state', 'FROZEN');
      if (attempt % 25 === 24) sleepSync(10);
      const state = readFreezerState(dir);
      if (state === 'FROZEN') return;
      if (state !== 'FREEZING') throw new HuskError(`unexpected freezer state '${state}' in ${dir}`);
      sleepSync(1);
    }
    writeCgroupFile(dir, 'freezer.state', 'THAWED');
    throw new HuskError(`cgroup ${dir} did not freeze after ${FREEZE_ATTEMPTS} attempts`);
  }

  thaw(): void {
    writeCgroupFile(this.freezerDirectory('resume'), 'freezer.state', 'THAWED');
  }

  isFrozen(): boolean {
    const dir = this.directoryFor('freezer');
    return dir !== undefined && readFreezerState(dir) === 'FROZEN';
  }

  protected writeResources(resources: Resources, restoreOnFailure: boolean): void {
    const writes = v1ResourceWrites(resources);
    this.checkMemoryBeforeUpdate(resources);
    if (restoreOnFailure) applyWritesRestoringOnFailure(writes, this.writeTarget());
    else applyWrites(writes, this.writeTarget());
    const shares = writes.find((w) => w.file === 'cpu.shares');
    if (shares) this.checkSharesTookEffect(shares);
  }

  stats(): Record<string, unknown> {
    return v1Stats((controller) => this.directoryFor(controller));
  }

  oomCounters(): OomCounters | undefined {
    return v1OomCounters(this.directoryFor('memory'));
  }

  protected writeDeviceRules(rules: DeviceCgroupRule[]): void {
    // In order, as runc writes them: the kernel replays each write on its default and exception
    // list (device-filter.ts describes the meaning, which v2's program reproduces).
    const dir = this.devicesDirectory();
    for (const rule of rules) writeDeviceRule(dir, rule);
  }

  /**
   * Only the differences between the two states, restrictions first (v1DeviceTransition). If a
   * write fails, the ones made are walked back before the error is reported.
   */
  protected replaceDeviceRules(from: DeviceCgroupRule[], to: DeviceCgroupRule[]): void {
    const dir = this.devicesDirectory();
    const before = emulateV1DeviceRules(from);
    const steps = v1DeviceTransition(before, emulateV1DeviceRules(to));
    const written: DeviceCgroupRule[] = [];
    try {
      for (const rule of steps) {
        writeDeviceRule(dir, rule);
        written.push(rule);
      }
    } catch (err) {
      try {
        for (const rule of v1DeviceTransition(emulateV1DeviceRules(written, before), before)) writeDeviceRule(dir, rule);
      } catch {
        // The first error is the one to report.
      }
      throw err;
    }
  }

  private devicesDirectory(): string {
    const dir = this.directoryFor('devices');
    if (!dir) throw new HuskError('linux.resources.devices needs the devices cgroup controller, which is not mounted');
    return dir;
  }

  protected processListingDir(): string {
    // Any hierarchy lists the same processes; prefer the ones runc reads.
    return this.directoryFor('freezer') ?? this.directoryFor('devices') ?? Object.values(this.paths)[0];
  }

  protected killWithCgroupKill(): boolean {
    return false;
  }

  /**
   * A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and the kernel refuses to
   * add a task to it (ENOSPC). Copy both from the parent into every directory we just made,
   * parents first, as runc does (unless the parent has cgroup.clone_children set, the kernel does
   * not do it for us).
   */
  protected prepareCreated(key: string, _dir: string, createdHere: string[]): void {
    if (!key.split(',').includes('cpuset')) return;
    for (const dir of createdHere) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const current = readCgroupFile(dir, file);
        if (current === undefined || current.trim() !== '') continue;
        const inherited = (readCgroupFile(path.dirname(dir), file) ?? '').trim();
        if (inherited !== '') writeCgroupFile(dir, file, inherited);
      }
    }
  }

  private freezerDirectory(action: string): string {
    const dir = this.directoryFor('freezer');
    if (!dir) throw new HuskError(`cannot ${action} the container: the freezer cgroup controller is not mounted`);
    return dir;
  }

  /** Words added when a controller a limit needs is missing (the hybrid host says where it is). */
  protected missingControllerHint(_controller: string): string {
    return '';
  }

  private writeTarget(): WriteTarget {
    return {
      directoryFor: (write) => {
        const dir = this.directoryFor(write.controller);
        if (dir) return dir;
        throw new HuskError(
          `${FIELD_PREFIX}${write.field} needs the ${write.controller} cgroup controller, which is not mounted as a cgroup v1 hierarchy on this host${this.missingControllerHint(write.controller)}`,
        );
      },
      describeMissingFile: (write, dir) => {
        const files = write.fallback ? `${write.file} or ${write.fallback.file}` : write.file;
        return `this kernel's ${write.controller} controller has no ${files} (looked in ${dir})${MISSING_FILE_HINTS[write.file] ?? ''}`;
      },
      explainRefusal,
    };
  }

  /**
   * memory.checkBeforeUpdate (runc does this on v2; husk on both): refuse a new limit at or below
   * what the container already uses, instead of letting the kernel reclaim or OOM-kill to fit.
   */
  private checkMemoryBeforeUpdate(resources: Resources): void {
    const memory = resources.memory;
    if (!memory?.checkBeforeUpdate) return;
    const dir = this.directoryFor('memory');
    refuseLimitBelowUsage('memory.limit', memory.limit, readU64(dir, 'memory.usage_in_bytes'));
    refuseLimitBelowUsage('memory.swap', memory.swap, readU64(dir, 'memory.memsw.usage_in_bytes'));
  }

  /** The kernel silently clamps cpu.shares to [2, 262144]; say so rather than run with another value. */
  private checkSharesTookEffect(write: CgroupWrite): void {
    const dir = this.directoryFor('cpu');
    const applied = dir ? (readCgroupFile(dir, 'cpu.shares') ?? '').trim() : write.value;
    if (applied !== '' && applied !== write.value) {
      throw new HuskError(`linux.resources.cpu.shares ${write.value} is out of range: the kernel applied ${applied}`);
    }
  }
}

// Why a file may be missing, where the reason is known.
const MISSING_FILE_HINTS: Record<string, string> = {
  'blkio.leaf_weight': '; leaf weights belonged to the CFQ I/O scheduler, removed in Linux 5.0',
  'blkio.leaf_weight_device': '; leaf weights belonged to the CFQ I/O scheduler, removed in Linux 5.0',
  'memory.memsw.limit_in_bytes': '; swap accounting is off (boot with swapaccount=1)',
  'cpu.rt_runtime_us': '; the kernel was built without CONFIG_RT_GROUP_SCHED',
  'cpu.rt_period_us': '; the kernel was built without CONFIG_RT_GROUP_SCHED',
};

/**
 * What a refusal means, where it is known: EBUSY on a memory limit is "below current usage" (runc
 * says the same, with the numbers); EOPNOTSUPP on a per-device BFQ weight is a device whose I/O
 * scheduler is not BFQ.
 */
function explainRefusal(write: CgroupWrite, dir: string, error: CgroupWriteError): string | undefined {
  if ((error.errno === 'ENOTSUP' || error.errno === 'EOPNOTSUPP') && write.field.startsWith('blockIO.weightDevice')) {
    return 'per-device weights need the BFQ I/O scheduler on that device (see /sys/dev/block/MAJ:MIN/queue/scheduler)';
  }
  if (error.errno !== 'EBUSY') return undefined;
  const prefix = write.file === 'memory.memsw.limit_in_bytes' ? 'memory.memsw' : write.file === 'memory.limit_in_bytes' ? 'memory' : undefined;
  if (prefix === undefined) return undefined;
  const usage = readU64(dir, `${prefix}.usage_in_bytes`);
  const peak = readU64(dir, `${prefix}.max_usage_in_bytes`);
  return `the container uses ${usage ?? '?'} bytes (peak ${peak ?? '?'}), more than the new limit, and the kernel could not reclaim enough`;
}

function readFreezerState(dir: string): string {
  return (readCgroupFile(dir, 'freezer.state') ?? '').trim();
}

/** One devices.allow / devices.deny write; a refusal names the field and the rule. */
function writeDeviceRule(dir: string, rule: DeviceCgroupRule): void {
  const file = rule.allow ? 'devices.allow' : 'devices.deny';
  const line = v1DeviceRuleLine(rule);
  try {
    writeCgroupFile(dir, file, line);
  } catch (err) {
    const reason = err instanceof CgroupWriteError ? err.reason : String(err);
    // EPERM: the parent cgroup does not allow what the rule grants (the kernel checks each allow).
    throw new HuskError(`${FIELD_PREFIX}devices: the kernel refused '${line}' for ${path.join(dir, file)} (${reason})`);
  }
}

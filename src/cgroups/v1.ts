// cgroup v1: one hierarchy per controller (or per group of co-mounted controllers such as
// "cpu,cpuacct"), each with its own directory for the container.
import * as path from 'path';
import { HuskError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { CgroupBase } from './base';
import { CgroupWriteError, readCgroupFile, sleepSync, writeCgroupFile } from './files';
import { UNIFIED_KEY } from './host';
import { CgroupWrite, assertResourcesSupported, v1DeviceRuleLine, v1ResourceWrites } from './resources';

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

  applyResources(resources: Resources | undefined): void {
    if (!resources) return;
    assertResourcesSupported(resources);
    const writes = v1ResourceWrites(resources);
    const period = writes.find((w) => w.file === 'cpu.cfs_period_us');
    const quota = writes.find((w) => w.file === 'cpu.cfs_quota_us');
    for (const write of writes) {
      if (write === period || write === quota) continue;
      this.applyWrite(write);
    }
    this.applyCpuBandwidth(period, quota);
    const shares = writes.find((w) => w.file === 'cpu.shares');
    if (shares) this.checkSharesTookEffect(shares);
  }

  applyDeviceRules(rules: DeviceCgroupRule[]): void {
    if (rules.length === 0) return;
    const dir = this.directoryFor('devices');
    if (!dir) throw new HuskError('linux.resources.devices needs the devices cgroup controller, which is not mounted');
    // In order: the kernel's list then ends as the OCI rules say, the last matching rule winning
    // for the common shapes ("deny all" first, then specific allows).
    for (const rule of rules) writeCgroupFile(dir, rule.allow ? 'devices.allow' : 'devices.deny', v1DeviceRuleLine(rule));
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

  private applyWrite(write: CgroupWrite): void {
    const dir = this.directoryFor(write.controller);
    if (!dir) {
      throw new HuskError(`linux.resources needs the ${write.controller} cgroup controller for ${write.file}, but it is not mounted`);
    }
    writeCgroupFile(dir, write.file, write.value);
  }

  /**
   * The kernel rejects a quota/period pair that is invalid against the values currently in force,
   * so the right order depends on both; runc tries period first and on EINVAL quota first.
   */
  private applyCpuBandwidth(period: CgroupWrite | undefined, quota: CgroupWrite | undefined): void {
    const ordered = [period, quota].filter((w): w is CgroupWrite => w !== undefined);
    try {
      for (const write of ordered) this.applyWrite(write);
    } catch (err) {
      if (!(err instanceof CgroupWriteError) || err.errno !== 'EINVAL' || ordered.length < 2) throw err;
      for (const write of [...ordered].reverse()) this.applyWrite(write);
    }
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

function readFreezerState(dir: string): string {
  return (readCgroupFile(dir, 'freezer.state') ?? '').trim();
}

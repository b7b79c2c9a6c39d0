// cgroup v2: one unified hierarchy; the container has one directory.
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../addon';
import { HuskError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { CgroupBase } from './base';
import { compileDeviceFilter } from './device-filter';
import { readCgroupFile, sleepSync, writeCgroupFile } from './files';
import { UNIFIED_KEY } from './host';
import { FIELD_PREFIX, refuseLimitBelowUsage } from './resource-values';
import { v2ResourceWrites } from './resources';
import { OomCounters, readU64, v2OomCounters, v2Stats } from './stats';
import { WriteTarget, applyWrites, applyWritesRestoringOnFailure } from './write-engine';

const FREEZE_TIMEOUT_MS = 10_000;

export class V2Cgroup extends CgroupBase {
  get unifiedPath(): string | undefined {
    return this.paths[UNIFIED_KEY];
  }

  /** The container's cgroup2 directory. */
  get directory(): string {
    const dir = this.paths[UNIFIED_KEY];
    if (dir === undefined) throw new HuskError('internal error: cgroup v2 record without a unified path');
    return dir;
  }

  canFreeze(): boolean {
    return true;
  }

  /** Write 1 to cgroup.freeze, then wait until cgroup.events says "frozen 1" (Linux 5.2+). */
  freeze(): void {
    const dir = this.directory;
    writeCgroupFile(dir, 'cgroup.freeze', '1');
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    let delayMs = 1;
    while (!this.isFrozen()) {
      if (Date.now() > deadline) {
        writeCgroupFile(dir, 'cgroup.freeze', '0');
        throw new HuskError(`cgroup ${dir} did not freeze within ${FREEZE_TIMEOUT_MS / 1000}s`);
      }
      sleepSync(delayMs);
      delayMs = Math.min(delayMs * 2, 50);
    }
  }

  thaw(): void {
    writeCgroupFile(this.directory, 'cgroup.freeze', '0');
  }

  isFrozen(): boolean {
    const events = readCgroupFile(this.directory, 'cgroup.events');
    if (events !== undefined) return /^frozen 1$/m.test(events);
    return (readCgroupFile(this.directory, 'cgroup.freeze') ?? '').trim() === '1';
  }

  protected writeResources(resources: Resources, restoreOnFailure: boolean): void {
    const writes = v2ResourceWrites(resources);
    if (resources.memory?.checkBeforeUpdate) {
      // runc's CheckMemoryUsage compares both the limit and memory+swap with memory.current.
      const usage = readU64(this.directory, 'memory.current');
      refuseLimitBelowUsage('memory.limit', resources.memory.limit, usage);
      refuseLimitBelowUsage('memory.swap', resources.memory.swap, usage);
    }
    if (restoreOnFailure) applyWritesRestoringOnFailure(writes, this.writeTarget());
    else applyWrites(writes, this.writeTarget());
  }

  stats(): Record<string, unknown> {
    return v2Stats(this.directory);
  }

  oomCounters(): OomCounters | undefined {
    return v2OomCounters(this.directory);
  }

  private writeTarget(): WriteTarget {
    return {
      directoryFor: () => this.directory,
      describeMissingFile: (write, dir) => {
        // A controller's files exist only when the parent enabled it in cgroup.subtree_control.
        const available = words(readCgroupFile(dir, 'cgroup.controllers'));
        if (write.controller !== 'cgroup' && !available.includes(write.controller)) {
          return `the ${write.controller} controller is not enabled for ${dir} (see cgroup.subtree_control of its parent)`;
        }
        const files = write.fallback ? `${write.file} or ${write.fallback.file}` : write.file;
        return `this kernel offers no ${files} in ${dir}${MISSING_FILE_HINTS[write.file] ?? ''}`;
      },
    };
  }

  /** cgroup v2 has no devices files: an eBPF program attached to the cgroup decides (device-filter.ts). */
  protected writeDeviceRules(rules: DeviceCgroupRule[]): void {
    deviceFilterAttacher(this.directory, compileDeviceFilter(rules));
  }

  /** The new program is attached before husk's old one is detached: never a moment without one. */
  protected replaceDeviceRules(_from: DeviceCgroupRule[], to: DeviceCgroupRule[]): void {
    deviceFilterAttacher(this.directory, compileDeviceFilter(to));
  }

  protected processListingDir(): string {
    return this.directory;
  }

  /** cgroup.kill (Linux 5.14+) SIGKILLs the whole subtree at once, with no race against fork. */
  protected killWithCgroupKill(): boolean {
    return writeCgroupKill(this.directory);
  }

  /**
   * Enable every available controller in the cgroups above the container's, from the hierarchy
   * root down, as runc does: a v2 cgroup only gets a controller's files (pids.max, memory.max...)
   * when its parent lists the controller in cgroup.subtree_control. This fails (EBUSY) in a
   * parent that holds processes itself — for example husk's own cgroup when cgroupsPath is
   * relative — and like runc we ignore that here: applyResources then names the missing
   * controller if one is actually needed.
   */
  protected prepareCreated(key: string, dir: string): void {
    const root = this.mountPoints[key];
    if (root === undefined) return;
    const ancestors: string[] = [];
    for (let current = path.dirname(dir); current.startsWith(root); current = path.dirname(current)) {
      ancestors.unshift(current);
      if (current === root) break;
    }
    for (const ancestor of ancestors) enableAvailableControllers(ancestor);
  }
}

const MISSING_FILE_HINTS: Record<string, string> = {
  'io.bfq.weight': '; per-device weights need the BFQ I/O scheduler on the device',
  'memory.swap.max': '; swap accounting is off',
  'cpu.idle': '; cpu.idle needs Linux 5.15 or later',
  'cpu.max.burst': '; cpu.max.burst needs Linux 5.14 or later',
};

function enableAvailableControllers(dir: string): void {
  const available = words(readCgroupFile(dir, 'cgroup.controllers'));
  const enabled = new Set(words(readCgroupFile(dir, 'cgroup.subtree_control')));
  for (const controller of available) {
    if (enabled.has(controller)) continue;
    try {
      writeCgroupFile(dir, 'cgroup.subtree_control', `+${controller}`);
    } catch {
      // See prepareCreated: a missing controller is reported when a limit needs it.
    }
  }
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((w) => w !== '');
}

/** Write 1 to dir/cgroup.kill; false when the kernel has no cgroup.kill (before 5.14). */
export function writeCgroupKill(dir: string): boolean {
  // cgroup.kill is write-only (reading it fails with EINVAL), so test for it by name.
  if (!fs.existsSync(path.join(dir, 'cgroup.kill'))) return false;
  writeCgroupFile(dir, 'cgroup.kill', '1');
  return true;
}

/** Attaches a compiled device filter to a cgroup2 directory, replacing husk's previous one. */
export type DeviceFilterAttacher = (cgroupDir: string, program: Buffer) => void;

let deviceFilterAttacher: DeviceFilterAttacher = attachWithAddon;

/** Tests without root or a cgroup2 mount swap the attacher; returns the previous one. */
export function setDeviceFilterAttacher(attacher: DeviceFilterAttacher): DeviceFilterAttacher {
  const previous = deviceFilterAttacher;
  deviceFilterAttacher = attacher;
  return previous;
}

function attachWithAddon(cgroupDir: string, program: Buffer): void {
  try {
    addon().attachDeviceFilter(cgroupDir, program);
  } catch (err) {
    const e = err as Error & { verifierLog?: string };
    // The verifier's last lines say why it refused the program (a husk bug, not a config error).
    const log = (e.verifierLog ?? '').split('\n').filter((line) => line.trim() !== '').slice(-3).join(' | ');
    throw new HuskError(`${FIELD_PREFIX}devices: cannot enforce the device rules with an eBPF program: ${e.message}${log ? ` (verifier: ${log})` : ''}`);
  }
}

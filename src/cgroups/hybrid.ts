// Hybrid hosts: the controllers live in v1 hierarchies, and a controller-less cgroup2 hierarchy is
// mounted beside them (usually at /sys/fs/cgroup/unified, as on this project's build host).
//
// runc's cgroupfs driver, on such hosts, also creates and joins the container's cgroup in the
// unified hierarchy (libcontainer/cgroups/fs: in hybrid mode it adds a "" subsystem that only
// joins), so tools that look at the v2 tree (systemd, newer containerd) see the container. We do
// the same. Everything that needs a controller — limits and the freezer — stays on v1; the unified
// directory contributes membership, and cgroup.kill for a race-free SIGKILL.
import * as path from 'path';
import { readCgroupFile } from './files';
import { UNIFIED_KEY } from './host';
import { V1Cgroup } from './v1';
import { writeCgroupKill } from './v2';

export class HybridCgroup extends V1Cgroup {
  get unifiedPath(): string | undefined {
    return this.paths[UNIFIED_KEY];
  }

  /**
   * A controller this host has only in cgroup2 (here: hugetlb) cannot limit the container: like
   * runc, husk uses the unified hierarchy of a hybrid host for membership only.
   */
  protected missingControllerHint(controller: string): string {
    const unified = this.unifiedPath;
    if (unified === undefined) return '';
    const offered = (readCgroupFile(path.dirname(unified), 'cgroup.controllers') ?? '').split(/\s+/);
    return offered.includes(controller)
      ? ` (this hybrid host has ${controller} only in its cgroup2 hierarchy, which husk, like runc, joins without setting limits there)`
      : '';
  }

  protected killWithCgroupKill(): boolean {
    const unified = this.unifiedPath;
    return unified !== undefined && writeCgroupKill(unified);
  }
}

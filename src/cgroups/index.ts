// Cgroups for containers: one interface (Cgroup), chosen by probing the host.
//
//   const cgroup = planCgroup({ id, cgroupsPath: spec.linux?.cgroupsPath, systemd });
//   cgroup.create(); cgroup.applyResources(spec.linux?.resources); cgroup.addProcess(pid);
//   state.cgroup = cgroup.toRecord();                  // later commands:
//   const cgroup = openCgroup(state.cgroup); cgroup.killAll(); cgroup.destroy();
import { HuskError } from '../errors';
import { CgroupBase } from './base';
import { CgroupHost, CgroupHostSources, HierarchyMount, UNIFIED_KEY, probeCgroupHost } from './host';
import { HybridCgroup } from './hybrid';
import { hierarchyDirectory, resolveCgroupsPath } from './paths';
import type { Cgroup, CgroupRecord } from './types';
import { V1Cgroup } from './v1';
import { V2Cgroup } from './v2';

export type { Cgroup, CgroupRecord, Signal } from './types';
export type { CgroupHost, CgroupMode, HierarchyMount } from './host';
export { UNIFIED_KEY, probeCgroupHost, parseSelfCgroup } from './host';
export { expandSlice, resolveCgroupsPath } from './paths';
export type { CgroupPathSpec, CgroupPathRequest } from './paths';
export { blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2 } from './resources';
export { checkResourceValues } from './resource-values';
export type { OomCounters } from './stats';
export { toJsonLine } from './stats';

export interface PlanCgroupOptions {
  /** Container id: the cgroup's name when cgroupsPath is empty. */
  id: string;
  /** linux.cgroupsPath. */
  cgroupsPath?: string;
  /** --systemd-cgroup: cgroupsPath is "slice:prefix:name" (mapped onto cgroupfs; see paths.ts). */
  systemd?: boolean;
  /** The probed host; probed from /proc/self when omitted. Tests pass a fake one. */
  host?: CgroupHost;
  /** Instead of `host`: the texts to probe (tests). */
  sources?: CgroupHostSources;
}

/**
 * Decide where the container's cgroup goes, without touching the filesystem. Throws HuskError for
 * a bad cgroupsPath, or on a v1 host without the devices controller (runc treats that as fatal:
 * a container without device isolation is not what the user asked for).
 */
export function planCgroup(options: PlanCgroupOptions): Cgroup {
  const host = options.host ?? probeCgroupHost(options.sources);
  const spec = resolveCgroupsPath({ cgroupsPath: options.cgroupsPath, id: options.id, systemd: options.systemd === true });
  const mounts = hierarchiesToJoin(host);
  const paths: Record<string, string> = {};
  const mountPoints: Record<string, string> = {};
  for (const mount of mounts) {
    // Like runc, a hierarchy /proc/self/cgroup does not mention cannot take a relative path and
    // is skipped — except devices, whose absence would silently drop device isolation.
    if (spec.base === 'own' && mount.ownCgroup === undefined && !mount.controllers.includes('devices')) continue;
    paths[mount.key] = hierarchyDirectory(mount, spec);
    mountPoints[mount.key] = mount.mountPoint;
  }
  return construct({ mode: host.mode, paths, created: [] }, mountPoints);
}

/** A cgroup described by a record from state.json (made by an earlier husk process). */
export function openCgroup(record: CgroupRecord): Cgroup {
  return construct(record, {});
}

function hierarchiesToJoin(host: CgroupHost): HierarchyMount[] {
  if (host.mode === 'v2') {
    if (!host.unified) throw new HuskError('internal error: cgroup v2 host without a cgroup2 mount');
    return [host.unified];
  }
  if (!host.v1.some((m) => m.controllers.includes('devices'))) {
    throw new HuskError('the devices cgroup controller is not mounted; husk will not create a container without device isolation');
  }
  return host.mode === 'hybrid' && host.unified ? [...host.v1, host.unified] : host.v1;
}

function construct(record: CgroupRecord, mountPoints: Record<string, string>): CgroupBase {
  switch (record.mode) {
    case 'v1':
      return new V1Cgroup(record, mountPoints);
    case 'v2':
      if (record.paths[UNIFIED_KEY] === undefined) throw new HuskError('cgroup record for v2 has no unified path');
      return new V2Cgroup(record, mountPoints);
    case 'hybrid':
      return new HybridCgroup(record, mountPoints);
    default:
      throw new HuskError(`unknown cgroup mode '${String((record as { mode: unknown }).mode)}' in state`);
  }
}

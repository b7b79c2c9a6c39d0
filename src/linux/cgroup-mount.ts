// A mount of type "cgroup" (runc's name for "the container's cgroup filesystem") → the mount
// operations that show the container its cgroups on this host's cgroup version.
import * as path from 'path';
import type { MountOp, Symlink } from './plan';
import * as k from './constants';
import type { CgroupV1Hierarchy } from './host-probe';
import type { ParsedMountOptions } from './mount-options';

export interface CgroupMountContext {
  cgroupVersion: 1 | 2;
  /** The host's v1 hierarchies (used on v1 and hybrid hosts). */
  v1Hierarchies: CgroupV1Hierarchy[];
  /** The container gets a new cgroup namespace (its cgroup becomes the root it sees). */
  newCgroupNamespace: boolean;
  /** The container gets a new user namespace. */
  newUserNamespace: boolean;
  /**
   * The container's own cgroup directory (host path) in each v1 hierarchy, keyed by the
   * hierarchy's host mount point, when the cgroup manager knows them before the plan is built.
   */
  v1ContainerPaths?: Readonly<Record<string, string>>;
}

export interface CgroupMountPlan {
  mounts: MountOp[];
  /** Links for co-mounted v1 controllers (cpu → cpu,cpuacct), created after the mounts. */
  symlinks: Symlink[];
}

const BIND_ONLY_FLAGS = k.MS_BIND | k.MS_REC | k.MS_REMOUNT;
/** runc's flags for the tmpfs and the per-controller mounts it builds (defaultMountFlags). */
const CGROUP_TMPFS_FLAGS = k.MS_NOSUID | k.MS_NODEV | k.MS_NOEXEC;
/** Where the host's cgroup2 hierarchy is mounted on a pure v2 host. */
const HOST_CGROUP2_MOUNTPOINT = '/sys/fs/cgroup';

/**
 * Plan a "cgroup" mount at `destination` (already normalised) with its parsed options.
 *
 * cgroup v2 (as runc's mountCgroupV2): a cgroup2 mount. A new user namespace without a new cgroup
 * namespace cannot mount cgroup2 (the cgroup namespace belongs to husk's user namespace), so
 * runc falls back to binding the host's /sys/fs/cgroup; husk decides that here.
 *
 * cgroup v1 and hybrid hosts (as runc's mountCgroupV1): a tmpfs at the destination, then one
 * directory per host hierarchy, named like the host's (cpu,cpuacct; systemd for name=systemd),
 * and symlinks for co-mounted controllers.
 *  - With a new cgroup namespace each hierarchy is a fresh cgroup mount (data = its controllers),
 *    which the namespace roots at the container's own cgroup: exactly runc's behaviour.
 *  - Without one, runc binds the container's own cgroup directory of each hierarchy; husk does
 *    too when the cgroup manager passed those directories (v1ContainerPaths). For a hierarchy
 *    without one, husk binds the host's hierarchy root instead, and always read-only: the
 *    container then sees every cgroup of the host but can change none.
 * The tmpfs itself stays writable, as runc 1.1 leaves it.
 */
export function planCgroupMount(
  destination: string,
  source: string,
  parsed: ParsedMountOptions,
  context: CgroupMountContext,
): CgroupMountPlan {
  const common = () => ({
    propagation: [...parsed.propagation],
    recursiveAttrSet: parsed.recursiveAttrSet,
    recursiveAttrClear: parsed.recursiveAttrClear,
    destinationKind: 'dir' as const,
  });

  if (context.cgroupVersion === 2) {
    if (context.newUserNamespace && !context.newCgroupNamespace) {
      return {
        mounts: [
          {
            ...common(),
            source: HOST_CGROUP2_MOUNTPOINT,
            destination,
            fstype: '',
            flags: k.MS_BIND,
            data: '',
            remountFlags: parsed.flags & ~BIND_ONLY_FLAGS,
          },
        ],
        symlinks: [],
      };
    }
    return {
      mounts: [{ ...common(), source, destination, fstype: 'cgroup2', flags: parsed.flags, data: parsed.data, remountFlags: 0 }],
      symlinks: [],
    };
  }

  const mounts: MountOp[] = [
    { ...common(), source: 'tmpfs', destination, fstype: 'tmpfs', flags: CGROUP_TMPFS_FLAGS, data: 'mode=755', remountFlags: 0 },
  ];
  const symlinks: Symlink[] = [];
  for (const hierarchy of context.v1Hierarchies) {
    const directory = path.posix.basename(hierarchy.mountpoint);
    const hierarchyDestination = path.posix.join(destination, directory);
    if (context.newCgroupNamespace) {
      mounts.push({
        ...common(),
        source: 'cgroup',
        destination: hierarchyDestination,
        fstype: 'cgroup',
        flags: CGROUP_TMPFS_FLAGS | (parsed.flags & k.MS_RDONLY),
        data: hierarchy.controllers,
        remountFlags: 0,
      });
    } else {
      const ownDirectory = context.v1ContainerPaths?.[hierarchy.mountpoint];
      mounts.push({
        ...common(),
        source: ownDirectory ?? hierarchy.mountpoint,
        destination: hierarchyDestination,
        fstype: '',
        flags: k.MS_BIND | k.MS_REC,
        data: '',
        remountFlags: (parsed.flags & ~BIND_ONLY_FLAGS) | (ownDirectory === undefined ? k.MS_RDONLY : 0),
      });
    }
    if (directory.includes(',')) {
      for (const controller of directory.split(',')) {
        symlinks.push({ target: directory, path: path.posix.join(destination, controller) });
      }
    }
  }
  return { mounts, symlinks };
}

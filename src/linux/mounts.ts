// mounts[] → MountOp[], in config order (runtime-spec: "The runtime MUST mount entries in the
// listed order"). Paths are checked lexically here; the addon resolves symlinks inside the rootfs
// at mount time, because an earlier mount can change what a later destination points at.
import * as fs from 'fs';
import * as path from 'path';
import type { MountOp, Symlink } from './plan';
import type { Mount } from '../spec/types';
import { HuskError, describeSystemError } from '../errors';
import * as k from './constants';
import { type CgroupMountContext, planCgroupMount } from './cgroup-mount';
import { checksOptionSpelling, isBindMount, parseMountOptions } from './mount-options';
import { containerPath, isSameOrBelow } from './paths';

export interface MountPlanContext {
  /** Absolute bundle directory: relative bind sources are resolved against it. */
  bundle: string;
  /**
   * The container gets a new user namespace but not a new network namespace: sysfs cannot be
   * mounted then (the kernel wants CAP_SYS_ADMIN over the network namespace's owner).
   */
  sysfsForbidden?: boolean;
  cgroup: CgroupMountContext;
}

export interface MountsPlan {
  mounts: MountOp[];
  /** Symlinks the mounts need (co-mounted cgroup v1 controllers). */
  symlinks: Symlink[];
}

/** Flags that only say "this is a bind"; everything else on a bind goes to the remount. */
const BIND_ONLY_FLAGS = k.MS_BIND | k.MS_REC | k.MS_REMOUNT;

/**
 * Files under /proc that may be mounted over: the ones lxcfs emulates, and a few more runc
 * allows (libcontainer/rootfs_linux.go checkProcMount). Anything else under /proc could hide
 * or redirect the kernel's view of the container (CVE-2019-16884 and relatives).
 */
const MOUNTABLE_PROC_FILES: readonly string[] = [
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
  '/proc/sys/crypto/fips_enabled',
];

export function planMounts(mounts: Mount[] | undefined, context: MountPlanContext): MountsPlan {
  const plan: MountsPlan = { mounts: [], symlinks: [] };
  (mounts ?? []).forEach((mount, index) => {
    const planned = planMount(mount, `mounts[${index}]`, context);
    plan.mounts.push(...planned.mounts);
    plan.symlinks.push(...planned.symlinks);
  });
  return plan;
}

function planMount(mount: Mount, where: string, context: MountPlanContext): MountsPlan {
  const destination = mountDestination(mount.destination, `${where}.destination`);
  const parsed = parseMountOptions(mount.options, `${where}.options`, checksOptionSpelling(mount.type, mount.options));
  // runtime-spec 1.1 id-mapped mounts: LaunchPlan has no place for the mappings yet.
  if (mount.uidMappings !== undefined || mount.gidMappings !== undefined) {
    const field = mount.uidMappings !== undefined ? 'uidMappings' : 'gidMappings';
    throw new HuskError(`${where}.${field}: id-mapped mounts are not supported yet`);
  }
  // runc applies it to tmpfs only and ignores it elsewhere; on anything else it is a mistake.
  if (parsed.copyUp && mount.type !== 'tmpfs') {
    throw new HuskError(`${where}.options: 'tmpcopyup' applies to tmpfs mounts only, not to ${mount.type ? `type '${mount.type}'` : 'a bind mount'}`);
  }
  const common = {
    destination,
    propagation: [...parsed.propagation],
    recursiveAttrSet: parsed.recursiveAttrSet,
    recursiveAttrClear: parsed.recursiveAttrClear,
  };

  if (isBindMount(mount.type, parsed)) {
    const source = bindSource(mount.source, context.bundle, `${where}.source`);
    checkProcDestination(destination, where, { kind: 'bind', source: source.path });
    return {
      mounts: [
        {
          ...common,
          source: source.path,
          fstype: '',
          // Only MS_BIND/MS_REC count on the first call; the kernel ignores ro, nosuid, nodev,
          // noexec and the atime flags there, so they are applied by the remount (as runc does).
          // Type "bind" without bind/rbind in the options is a plain (non-recursive) bind.
          flags: k.MS_BIND | (parsed.flags & k.MS_REC),
          // Bind mounts take no filesystem data; whatever unknown options there were are dropped
          // here, as the kernel would drop them.
          data: '',
          remountFlags: parsed.flags & ~BIND_ONLY_FLAGS,
          destinationKind: source.isDirectory ? 'dir' : 'file',
        },
      ],
      symlinks: [],
    };
  }

  if (!mount.type) {
    throw new HuskError(`${where}.type: required unless the mount is a bind mount (type "bind", or option bind/rbind)`);
  }
  checkProcDestination(destination, where, { kind: 'filesystem', fstype: mount.type });
  const source = mount.source ?? mount.type;
  if (source.includes('\0')) throw new HuskError(`${where}.source: contains a NUL byte`);
  if (mount.type === 'cgroup') return planCgroupMount(destination, source, parsed, context.cgroup);
  if (mount.type === 'sysfs' && context.sysfsForbidden) {
    // runc fails here at mount time with EPERM; `runc spec --rootless` writes an rbind of /sys.
    throw new HuskError(
      `${where}: sysfs cannot be mounted from a new user namespace that has no network namespace of its own; ` +
        'add {"type": "network"} to linux.namespaces, or bind /sys (type "bind", options ["rbind", "ro"])',
    );
  }
  return {
    mounts: [
      {
        ...common,
        source,
        fstype: mount.type,
        flags: parsed.flags,
        data: parsed.data,
        remountFlags: 0,
        destinationKind: 'dir',
        ...(parsed.copyUp ? { copyUp: true } : {}),
      },
    ],
    symlinks: [],
  };
}

/**
 * A mount destination, absolute and normalised. runtime-spec: a relative destination "MUST be
 * interpreted as relative to /" (deprecated); runc 1.1 does that too, with a warning.
 */
function mountDestination(destination: string | undefined, where: string): string {
  if (typeof destination !== 'string' || destination === '') throw new HuskError(`${where}: required`);
  const normalised = containerPath(destination.startsWith('/') ? destination : '/' + destination, where);
  if (normalised === '/') throw new HuskError(`${where}: cannot mount over the container's root (root.path is the root)`);
  return normalised;
}

/** The host path of a bind mount's source (relative to the bundle if relative), which must exist. */
function bindSource(source: string | undefined, bundle: string, where: string): { path: string; isDirectory: boolean } {
  if (!source) throw new HuskError(`${where}: required for a bind mount`);
  if (source.includes('\0')) throw new HuskError(`${where}: contains a NUL byte`);
  const hostPath = path.resolve(bundle, source);
  try {
    return { path: hostPath, isDirectory: fs.statSync(hostPath).isDirectory() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HuskError(`${where}: ${hostPath} does not exist`);
    throw new HuskError(`${where}: cannot use ${hostPath}: ${describeSystemError(err)}`);
  }
}

type ProcCheckSubject = { kind: 'bind'; source: string } | { kind: 'filesystem'; fstype: string };

/**
 * runc's checkProcMount, done lexically: only a procfs may go on /proc itself (a new proc mount,
 * or a bind of a procfs), and under /proc only the files in MOUNTABLE_PROC_FILES.
 */
function checkProcDestination(destination: string, where: string, subject: ProcCheckSubject): void {
  if (!isSameOrBelow(destination, '/proc')) return;
  if (destination === '/proc') {
    if (subject.kind === 'filesystem' && subject.fstype === 'proc') return;
    if (subject.kind === 'bind' && isOnProcfs(subject.source)) return;
    throw new HuskError(`${where}.destination: only a proc filesystem may be mounted on /proc`);
  }
  if (MOUNTABLE_PROC_FILES.includes(destination)) return;
  throw new HuskError(
    `${where}.destination: ${destination} is inside /proc, where only these may be mounted: ${MOUNTABLE_PROC_FILES.join(', ')}`,
  );
}

function isOnProcfs(hostPath: string): boolean {
  try {
    return fs.statfsSync(hostPath).type === k.PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Whether /dev gets husk's default devices and symlinks. runc skips them when /dev is a bind
 * mount (needsSetupDev): the host's /dev (or whatever was bound) already has its own.
 */
export function needsDevSetup(mounts: MountOp[]): boolean {
  return !mounts.some((mount) => (mount.flags & k.MS_BIND) !== 0 && mount.destination === '/dev');
}

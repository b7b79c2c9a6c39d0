// root and linux.rootfsPropagation → the rootfs directory on the host and the propagation of "/"
// in the container's mount namespace.
import * as fs from 'fs';
import * as path from 'path';
import type { Root } from '../spec/types';
import { HuskError, describeSystemError } from '../errors';
import * as k from './constants';
import { PROPAGATION_NAMES, propagationFlagOf } from './mount-options';

export interface RootPlan {
  /** Absolute, canonical host path of the rootfs directory. */
  rootfs: string;
  readonly: boolean;
}

/**
 * root.path is absolute or relative to the bundle (runtime-spec config.md "Root") and must be
 * an existing directory. runc refuses a path that goes through a symlink ("invalid rootfs: not an
 * absolute path, or a symlink"); husk resolves it instead, which names the same directory.
 */
export function planRoot(root: Root | undefined, bundle: string): RootPlan {
  if (!root) throw new HuskError('root: required (the container\'s root filesystem)');
  if (!root.path) throw new HuskError('root.path: required');
  if (root.path.includes('\0')) throw new HuskError('root.path: contains a NUL byte');
  const rootfs = path.resolve(bundle, root.path);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(rootfs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HuskError(`root.path: ${rootfs} does not exist`);
    throw new HuskError(`root.path: cannot use ${rootfs}: ${describeSystemError(err)}`);
  }
  if (!stat.isDirectory()) throw new HuskError(`root.path: ${rootfs} is not a directory`);
  return { rootfs: fs.realpathSync(rootfs), readonly: root.readonly === true };
}

/** runc's default when linux.rootfsPropagation is absent (rootfs_linux.go prepareRoot). */
export const DEFAULT_ROOTFS_PROPAGATION = k.MS_SLAVE | k.MS_REC;

/**
 * linux.rootfsPropagation → MS_* flags for "/". The runtime-spec names shared, slave, private and
 * unbindable; runc also accepts the recursive r- forms, and so does husk.
 */
export function planRootfsPropagation(value: string | undefined, noPivot: boolean): number {
  if (value === undefined || value === '') return DEFAULT_ROOTFS_PROPAGATION;
  const flags = propagationFlagOf(value);
  if (flags === undefined) {
    throw new HuskError(`linux.rootfsPropagation: '${value}' is not a propagation type (${PROPAGATION_NAMES.join(', ')})`);
  }
  // Without pivot_root the host's mounts stay in the container's mount namespace, below the
  // chroot, where the container can never unmount them; made private, they no longer follow the
  // host's unmounts either and stay pinned for the container's lifetime. runc refuses it too
  // ("rootfsPropagation of [r]private is not safe without pivot_root", runc PR #1606).
  if (noPivot && (flags & k.MS_PRIVATE) !== 0) {
    throw new HuskError(`linux.rootfsPropagation: '${value}' is not safe with --no-pivot (pivot_root is skipped)`);
  }
  return flags;
}

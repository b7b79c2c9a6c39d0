// Path rules shared by the plan builders: container paths are normalised lexically here; symlinks
// inside the rootfs are resolved by the addon at mount time (a mount may change them), except
// where the plan itself must read a file from the rootfs (resolveInRoot).
import * as fs from 'fs';
import * as path from 'path';
import { HuskError } from '../errors';

/**
 * Normalise an absolute container path: collapse "//" and ".", apply ".." components.
 * Returns null when a ".." would climb above "/": such a path names nothing inside the container
 * and, written by hand, is almost certainly an attempt or a mistake worth reporting.
 */
export function normaliseContainerPath(containerPath: string): string | null {
  const parts: string[] = [];
  for (const part of containerPath.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return '/' + parts.join('/');
}

/**
 * A validated absolute container path for the field at `jsonPath`. Relative paths are an error:
 * callers that accept them for compatibility (mount destinations) prefix "/" themselves.
 */
export function containerPath(value: string, jsonPath: string): string {
  if (value.includes('\0')) throw new HuskError(`${jsonPath}: contains a NUL byte`);
  if (!value.startsWith('/')) throw new HuskError(`${jsonPath}: '${value}' must be an absolute path`);
  const normalised = normaliseContainerPath(value);
  if (normalised === null) throw new HuskError(`${jsonPath}: '${value}' climbs above the container's root with '..'`);
  return normalised;
}

/** True when `inner` is `outer` or lies below it (both normalised absolute paths). */
export function isSameOrBelow(inner: string, outer: string): boolean {
  if (outer === '/') return true;
  return inner === outer || inner.startsWith(outer + '/');
}

/**
 * The host path of `containerPath` under `root`, following symlinks as the container would see
 * them: an absolute link target is taken relative to `root`, and ".." never leaves it. Returns
 * null when a component does not exist. Used only to read files of the rootfs at plan time
 * (e.g. /etc/passwd), so a hostile link can at worst make husk read another rootfs file.
 */
export function resolveInRoot(root: string, containerPathToResolve: string): string | null {
  const maxLinks = 40; // the kernel's MAXSYMLINKS
  let linksFollowed = 0;
  const pending = containerPathToResolve.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = path.join(root, ...resolved, part);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(hostPath);
    } catch {
      return null;
    }
    if (!stat.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++linksFollowed > maxLinks) return null;
    const target = fs.readlinkSync(hostPath);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return path.join(root, ...resolved);
}

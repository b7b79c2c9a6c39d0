// Where a container's cgroup goes: linux.cgroupsPath → one directory per hierarchy.
//
// What runc does (libcontainer/specconv CreateCgroupConfig, libcontainer/cgroups/fs/paths.go),
// which is what we follow, because the spec leaves the interpretation to the runtime:
//  * cgroupsPath "" (or absent): the cgroup is named after the container id and is RELATIVE.
//  * an absolute path ("/a/b") is taken from the root of each hierarchy; runc joins it to the
//    mount point and ignores the mount's root field, and so do we.
//  * a relative path ("a/b") is taken below the runtime's OWN cgroup, looked up per hierarchy in
//    /proc/self/cgroup (on v1 each controller can put us in a different place; here, for example,
//    the memory controller has us in /process_api/<hash> while the others have us in /).
//  * runc cleans paths lexically as if they were absolute, so "../../x" silently becomes "/x".
//    We refuse instead: a path that climbs out of its base (the hierarchy root for absolute paths,
//    our own cgroup for relative ones) is an error, as is a path naming the base itself (the
//    container needs a cgroup of its own, and destroying it must not touch ours).
//  * with --systemd-cgroup the path has the form "slice:prefix:name". There is no systemd here to
//    create units, so we map it onto cgroupfs the way runc's systemd driver names things:
//    the slice "a-b.slice" expands to /a.slice/a-b.slice (systemd encodes nesting with '-'),
//    the unit is "<prefix>-<name>.scope" (or <name> itself when it ends in ".slice"), and the
//    result is an absolute path: /a.slice/a-b.slice/<prefix>-<name>.scope. An empty slice means
//    "system.slice"; an empty cgroupsPath means "system.slice:runc:<id>" (runc uses the prefix
//    "runc" too, which keeps the names identical for tools that look them up).
import * as path from 'path';
import { HuskError } from '../errors';
import { HierarchyMount, isWithin } from './host';

export interface CgroupPathSpec {
  /** 'root': below the root of each hierarchy. 'own': below husk's own cgroup in each hierarchy. */
  base: 'root' | 'own';
  /** Normalized relative path below the base: no leading '/', no '.', no '..', never empty. */
  relative: string;
  /** What the configuration said, for messages. */
  source: string;
}

export interface CgroupPathRequest {
  /** linux.cgroupsPath, if any. */
  cgroupsPath: string | undefined;
  /** The container id: names the cgroup when cgroupsPath is empty. */
  id: string;
  /** --systemd-cgroup. */
  systemd: boolean;
}

const DEFAULT_SYSTEMD_SLICE = 'system.slice';
const DEFAULT_SCOPE_PREFIX = 'runc';

export function resolveCgroupsPath(request: CgroupPathRequest): CgroupPathSpec {
  const given = request.cgroupsPath ?? '';
  if (request.systemd) return resolveSystemdPath(given === '' ? `:${DEFAULT_SCOPE_PREFIX}:${request.id}` : given);
  if (given === '') return { base: 'own', relative: normalizeBelow(request.id, request.id), source: request.id };
  const base = given.startsWith('/') ? 'root' : 'own';
  return { base, relative: normalizeBelow(given, given), source: given };
}

/** "slice:prefix:name" → the absolute cgroupfs path runc's systemd driver would use. */
function resolveSystemdPath(given: string): CgroupPathSpec {
  const parts = given.split(':');
  if (parts.length !== 3) {
    throw new HuskError(`linux.cgroupsPath '${given}' is not of the form "slice:prefix:name" that --systemd-cgroup needs`);
  }
  const [slice, prefix, name] = parts;
  if (name === '') throw new HuskError(`linux.cgroupsPath '${given}' has an empty unit name`);
  for (const [what, value] of [['prefix', prefix], ['name', name]]) {
    if (value.includes('/')) throw new HuskError(`linux.cgroupsPath '${given}': the ${what} '${value}' must not contain '/'`);
  }
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  const slicePath = expandSlice(slice === '' ? DEFAULT_SYSTEMD_SLICE : slice);
  return { base: 'root', relative: normalizeBelow(`${slicePath}/${unit}`, given), source: given };
}

/**
 * systemd names nested slices with '-': "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice.
 * "-.slice" is the root slice. Returns an absolute path ("/" for the root slice).
 */
export function expandSlice(slice: string): string {
  const suffix = '.slice';
  if (!slice.endsWith(suffix) || slice === suffix || slice.includes('/')) {
    throw new HuskError(`invalid systemd slice name '${slice}': it must end in ".slice" and contain no '/'`);
  }
  const stem = slice.slice(0, -suffix.length);
  if (stem === '-') return '/';
  let result = '';
  let prefix = '';
  for (const component of stem.split('-')) {
    if (component === '') throw new HuskError(`invalid systemd slice name '${slice}': empty component between '-'`);
    result += `/${prefix}${component}${suffix}`;
    prefix += `${component}-`;
  }
  return result;
}

/**
 * Lexically normalize `p` below its base. Throws if it climbs above the base with '..' or names
 * the base itself. `source` is what to quote in the error.
 */
function normalizeBelow(p: string, source: string): string {
  const kept: string[] = [];
  for (const component of p.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (kept.length === 0) {
        throw new HuskError(`linux.cgroupsPath '${source}' uses '..' to leave the cgroup hierarchy it is rooted in`);
      }
      kept.pop();
      continue;
    }
    kept.push(component);
  }
  if (kept.length === 0) {
    throw new HuskError(`linux.cgroupsPath '${source}' names the cgroup husk itself runs in or a hierarchy root; a container needs a cgroup of its own`);
  }
  return kept.join('/');
}

/** The container's directory in one hierarchy. */
export function hierarchyDirectory(mount: HierarchyMount, spec: CgroupPathSpec): string {
  if (spec.base === 'root') return path.join(mount.mountPoint, spec.relative);
  const own = mount.ownCgroup;
  const hierarchyName = mount.key === '' ? 'the cgroup2 hierarchy' : `the ${mount.key} hierarchy`;
  if (own === undefined) {
    throw new HuskError(`cannot place relative linux.cgroupsPath '${spec.source}': /proc/self/cgroup does not list ${hierarchyName}`);
  }
  if (!isWithin(own, mount.mountRoot)) {
    throw new HuskError(
      `cannot place relative linux.cgroupsPath '${spec.source}': husk's own cgroup ${own} in ${hierarchyName} is not visible at ${mount.mountPoint}`,
    );
  }
  const ownBelowMount = path.posix.relative(mount.mountRoot, own);
  return path.join(mount.mountPoint, ownBelowMount, spec.relative);
}

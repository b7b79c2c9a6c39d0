// process.user and linux.uidMappings/gidMappings → the ids the init switches to, and the text the
// parent writes to /proc/<pid>/uid_map and gid_map of a new user namespace.
import type { IdMapping, Linux, User } from '../spec/types';
import type { MountOp } from './plan';
import { HuskError } from '../errors';
import { readRegularFile } from '../regular-file';
import { CLONE_NEWUSER, MS_BIND } from './constants';
import { type NamespaceSetup, createsNamespace } from './namespaces';
import { isSameOrBelow, resolveInRoot } from './paths';

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Always a real mask: runc sets 0022 when process.user.umask is absent (finalizeRootfs). */
  umask: number;
}

/** The contents of uid_map and gid_map for a new user namespace. */
export interface IdMapText {
  uidMap: string;
  gidMap: string;
}

const MAX_ID = 2 ** 32; // ids are uint32; a range may end exactly at 2^32
/** Since Linux 4.15 a map may have up to 340 lines (user_namespaces(7)). */
const MAX_MAP_LINES = 340;
/** runc's umask when the spec gives none (libcontainer/rootfs_linux.go finalizeRootfs). */
export const DEFAULT_UMASK = 0o022;

/**
 * The uid/gid map text for a new user namespace, or null when the container creates none.
 * Mappings are required exactly when a new user namespace is created (runc: "User namespaces
 * enabled, but no uid mappings found."), and meaningless without one.
 */
export function userNamespaceMaps(linux: Linux | undefined, namespaces: NamespaceSetup): IdMapText | null {
  const userIndex = namespaces.indexOf.user;
  if (!createsNamespace(namespaces, CLONE_NEWUSER)) {
    const given = linux?.uidMappings?.length ? 'linux.uidMappings' : linux?.gidMappings?.length ? 'linux.gidMappings' : null;
    // Joining a user namespace: containerd and CRI-O write that namespace's own mappings next to
    // its path, and runc accepts them when they match. They are not needed (the namespace has its
    // maps already), so they are ignored here rather than compared.
    if (given && userIndex === undefined) {
      throw new HuskError(`${given}: mappings need a new user namespace; add {"type": "user"} to linux.namespaces`);
    }
    return null;
  }
  const requiredBy = `linux.namespaces[${userIndex}] creates a user namespace`;
  if (!linux?.uidMappings?.length) throw new HuskError(`linux.uidMappings: required because ${requiredBy}`);
  if (!linux?.gidMappings?.length) throw new HuskError(`linux.gidMappings: required because ${requiredBy}`);
  return {
    uidMap: idMapText(linux.uidMappings, 'linux.uidMappings'),
    gidMap: idMapText(linux.gidMappings, 'linux.gidMappings'),
  };
}

/** "containerID hostID size\n" per mapping, after the checks the kernel would fail with EINVAL. */
export function idMapText(mappings: IdMapping[], where: string): string {
  if (mappings.length > MAX_MAP_LINES) {
    throw new HuskError(`${where}: ${mappings.length} mappings; the kernel accepts at most ${MAX_MAP_LINES}`);
  }
  mappings.forEach((mapping, index) => {
    const at = `${where}[${index}]`;
    for (const field of ['containerID', 'hostID', 'size'] as const) {
      const value = mapping[field];
      if (!Number.isInteger(value) || value < 0 || value >= MAX_ID) {
        throw new HuskError(`${at}.${field}: ${value} is not an id (0 to ${MAX_ID - 1})`);
      }
    }
    if (mapping.size === 0) throw new HuskError(`${at}.size: must be at least 1`);
    for (const side of ['containerID', 'hostID'] as const) {
      if (mapping[side] + mapping.size > MAX_ID) {
        throw new HuskError(`${at}: ${side} ${mapping[side]} + size ${mapping.size} runs past the last id`);
      }
      // Overlapping ranges on either side make the mapping ambiguous; the kernel refuses them.
      for (let other = 0; other < index; other++) {
        const o = mappings[other];
        if (mapping[side] < o[side] + o.size && o[side] < mapping[side] + mapping.size) {
          throw new HuskError(`${at}: ${side} range overlaps ${where}[${other}]`);
        }
      }
    }
  });
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function isMapped(id: number, mappings: IdMapping[]): boolean {
  return mappings.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/**
 * process.user → ids and umask. Inside a new user namespace every id the process takes must be
 * mapped, or setuid/setgid/setgroups fail in the child with EINVAL; saying which id is clearer.
 */
export function planProcessUser(user: User, linux: Linux | undefined, namespaces: NamespaceSetup): ProcessUser {
  const ids: Array<[string, number]> = [
    ['process.user.uid', user.uid],
    ['process.user.gid', user.gid],
    ...(user.additionalGids ?? []).map((gid, i): [string, number] => [`process.user.additionalGids[${i}]`, gid]),
  ];
  for (const [where, id] of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_ID - 1) {
      // 2^32-1 is (uid_t)-1, which setuid/setgid read as "leave unchanged".
      throw new HuskError(`${where}: ${id} is not a valid id`);
    }
  }
  if (createsNamespace(namespaces, CLONE_NEWUSER)) {
    for (const [where, id] of ids) {
      const mappings = where === 'process.user.uid' ? linux?.uidMappings : linux?.gidMappings;
      const mapField = where === 'process.user.uid' ? 'linux.uidMappings' : 'linux.gidMappings';
      if (!isMapped(id, mappings ?? [])) throw new HuskError(`${where}: ${id} is not mapped by ${mapField}`);
    }
  }
  let umask = DEFAULT_UMASK;
  if (user.umask !== undefined) {
    if (!Number.isInteger(user.umask) || user.umask < 0 || user.umask > 0o777) {
      throw new HuskError(`process.user.umask: ${user.umask} is not a file mode mask (0 to 511, i.e. 0o777)`);
    }
    umask = user.umask;
  }
  return { uid: user.uid, gid: user.gid, additionalGids: [...(user.additionalGids ?? [])], umask };
}

/** A larger /etc/passwd is not read (HOME falls back to "/"). */
const MAX_PASSWD_BYTES = 16 * 1024 * 1024;

/**
 * HOME for the process when its env has none. runc sets HOME to the home directory of the
 * uid's entry in the container's /etc/passwd, or "/" when there is none (init_linux.go
 * setupUser). runc reads the file after the mounts; husk reads it before, so a bind mount onto
 * /etc/passwd (or a parent directory) is followed to its host source.
 */
export function homeDirectory(uid: number, rootfs: string, mounts: MountOp[]): string {
  const passwd = hostPathOfContainerFile('/etc/passwd', rootfs, mounts);
  if (passwd === null) return '/';
  let text: string;
  try {
    // The image controls this file: a fifo or a device there must not hang husk, nor a huge
    // file stall it; such a passwd counts as unreadable (runc's lookup would hang on a fifo).
    text = readRegularFile(passwd, MAX_PASSWD_BYTES);
  } catch {
    return '/';
  }
  for (const line of text.split('\n')) {
    // name:password:uid:gid:gecos:home:shell
    const fields = line.split(':');
    if (fields.length >= 6 && fields[2] === String(uid)) return fields[5] || '/';
  }
  return '/';
}

/**
 * Where the container will find `file`: under the last bind mount that covers it (its host
 * source), else in the rootfs (symlinks resolved inside it). Other mounts (tmpfs...) hide it.
 */
function hostPathOfContainerFile(file: string, rootfs: string, mounts: MountOp[]): string | null {
  for (let i = mounts.length - 1; i >= 0; i--) {
    const mount = mounts[i];
    if (!isSameOrBelow(file, mount.destination)) continue;
    if ((mount.flags & MS_BIND) === 0) return null;
    return mount.source + file.slice(mount.destination === '/' ? 0 : mount.destination.length);
  }
  return resolveInRoot(rootfs, file);
}

// Which cgroup hierarchies this host has, where they are mounted, and where husk itself sits in
// each: read from /proc/self/mountinfo and /proc/self/cgroup. Both texts can be injected, so unit
// tests describe a fake host whose "mount points" are directories in a temp dir.
import * as fs from 'fs';
import { HuskError } from '../errors';

/**
 * v1: only v1 hierarchies. v2: only the unified hierarchy. hybrid: v1 hierarchies carry the
 * controllers and a cgroup2 mount (usually /sys/fs/cgroup/unified) exists beside them.
 */
export type CgroupMode = 'v1' | 'v2' | 'hybrid';

/** Key of the cgroup2 hierarchy in per-hierarchy maps; v1 hierarchies are keyed by their controllers. */
export const UNIFIED_KEY = '';

export interface HierarchyMount {
  /** "cpu,cpuacct", "memory", "name=systemd"... (as in /proc/self/cgroup); UNIFIED_KEY for cgroup2. */
  key: string;
  /** Controllers of a v1 hierarchy; empty for cgroup2. */
  controllers: string[];
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** Path inside the hierarchy that is visible at mountPoint (mountinfo field 4), usually "/". */
  mountRoot: string;
  /** husk's own cgroup in this hierarchy (path from the hierarchy root), if /proc/self/cgroup names it. */
  ownCgroup: string | undefined;
}

export interface CgroupHost {
  mode: CgroupMode;
  /** v1 hierarchies a container joins (runc's list: every controller it knows, plus name=systemd). */
  v1: HierarchyMount[];
  /** The cgroup2 hierarchy, if mounted. */
  unified: HierarchyMount | undefined;
}

export interface CgroupHostSources {
  /** Text of /proc/self/mountinfo. */
  mountinfo?: string;
  /** Text of /proc/self/cgroup. */
  selfCgroup?: string;
}

// The v1 controllers runc's cgroupfs driver joins. A hierarchy carrying none of them (and not
// name=systemd) belongs to someone else, and a container is not put into it.
const KNOWN_V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);
const SYSTEMD_NAMED_HIERARCHY = 'name=systemd';

interface MountinfoCgroupEntry {
  mountRoot: string;
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  superOptions: string[];
}

/** Probe the host (or the injected texts). Throws HuskError when no cgroup filesystem is mounted. */
export function probeCgroupHost(sources: CgroupHostSources = {}): CgroupHost {
  const mountinfo = sources.mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const selfCgroup = sources.selfCgroup ?? fs.readFileSync('/proc/self/cgroup', 'utf8');
  const ownPaths = parseSelfCgroup(selfCgroup);
  const entries = parseCgroupMounts(mountinfo);

  const v1 = collectV1Hierarchies(entries, ownPaths);
  const unified = findUnifiedHierarchy(entries, ownPaths);
  const hasV1Controllers = v1.some((h) => h.controllers.some((c) => KNOWN_V1_CONTROLLERS.has(c)));

  if (hasV1Controllers) return { mode: unified ? 'hybrid' : 'v1', v1, unified };
  if (unified) return { mode: 'v2', v1: [], unified };
  throw new HuskError('no cgroup filesystem is mounted (looked for cgroup and cgroup2 in /proc/self/mountinfo)');
}

/** /proc/self/cgroup → map from the controllers field ("cpu,cpuacct", "" for v2) to the path. */
export function parseSelfCgroup(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // hierarchy-id:controller-list:path — the path may itself contain ':'.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    result.set(line.slice(first + 1, second), line.slice(second + 1));
  }
  return result;
}

function parseCgroupMounts(mountinfo: string): MountinfoCgroupEntry[] {
  const entries: MountinfoCgroupEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const fsType = after[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    entries.push({
      mountRoot: unescapeMountinfo(before[3] ?? '/'),
      mountPoint: unescapeMountinfo(before[4] ?? ''),
      fsType,
      superOptions: (after[2] ?? '').split(','),
    });
  }
  return entries;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function controllersOf(entry: MountinfoCgroupEntry): string[] {
  return entry.superOptions.filter((o) => KNOWN_V1_CONTROLLERS.has(o) || o === SYSTEMD_NAMED_HIERARCHY);
}

function collectV1Hierarchies(entries: MountinfoCgroupEntry[], ownPaths: Map<string, string>): HierarchyMount[] {
  const byKey = new Map<string, HierarchyMount>();
  for (const entry of entries) {
    if (entry.fsType !== 'cgroup') continue;
    const controllers = controllersOf(entry);
    if (controllers.length === 0) continue;
    const { key, ownCgroup } = matchSelfCgroupLine(controllers, ownPaths);
    const candidate: HierarchyMount = {
      key, controllers, mountPoint: entry.mountPoint, mountRoot: entry.mountRoot, ownCgroup,
    };
    const existing = byKey.get(key);
    // The same hierarchy can be mounted more than once (bind mounts in nested setups). Keep the
    // first mount that can reach our own cgroup; runc simply takes the first.
    if (!existing || (!reaches(existing) && reaches(candidate))) byKey.set(key, candidate);
  }
  return [...byKey.values()];
}

function findUnifiedHierarchy(entries: MountinfoCgroupEntry[], ownPaths: Map<string, string>): HierarchyMount | undefined {
  const entry = entries.find((e) => e.fsType === 'cgroup2');
  if (!entry) return undefined;
  return {
    key: UNIFIED_KEY,
    controllers: [],
    mountPoint: entry.mountPoint,
    mountRoot: entry.mountRoot,
    ownCgroup: ownPaths.get(''),
  };
}

/** The /proc/self/cgroup line of a v1 hierarchy is the one listing the same controllers. */
function matchSelfCgroupLine(controllers: string[], ownPaths: Map<string, string>): { key: string; ownCgroup: string | undefined } {
  for (const [key, path] of ownPaths) {
    if (key === '') continue;
    const listed = key.split(',');
    if (listed.some((c) => controllers.includes(c))) return { key, ownCgroup: path };
  }
  return { key: controllers.join(','), ownCgroup: undefined };
}

function reaches(mount: HierarchyMount): boolean {
  return mount.ownCgroup !== undefined && isWithin(mount.ownCgroup, mount.mountRoot);
}

/** Whether cgroup path `inner` is `outer` or below it (both absolute, "/"-separated). */
export function isWithin(inner: string, outer: string): boolean {
  if (outer === '/' || inner === outer) return true;
  return inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
}

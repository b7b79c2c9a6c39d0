// Facts about the host that change how a spec is planned. Behind an interface so that the plan
// builders stay pure: unit tests pass a fake, `husk create` uses defaultHostProbe().
import * as fs from 'fs';
import { addon } from '../addon';
import { CGROUP2_SUPER_MAGIC, RLIM_INFINITY } from './constants';

/** One mounted cgroup v1 hierarchy of the host. */
export interface CgroupV1Hierarchy {
  /** Host mount point, e.g. /sys/fs/cgroup/cpu,cpuacct or /sys/fs/cgroup/systemd. */
  mountpoint: string;
  /** The hierarchy's controllers (and name=), as mount(2) data: "cpu,cpuacct", "name=systemd". */
  controllers: string;
}

export interface HostProbe {
  /** 2 when /sys/fs/cgroup is a cgroup2 mount (pure v2); 1 for v1 and hybrid hosts. */
  cgroupVersion(): 1 | 2;
  /** The v1 hierarchies mounted on the host, in mount order (empty on pure v2). */
  cgroupV1Hierarchies(): CgroupV1Hierarchy[];
  /** CLONE_NEW* type of a namespace file; throws if `nsPath` is not a namespace file. */
  namespaceTypeOf(nsPath: string): number;
  /** Whether husk itself runs inside a (non-initial) user namespace, where mknod is refused. */
  runningInUserNamespace(): boolean;
  /** Whether /proc/kcore exists (CONFIG_PROC_KCORE); runc links /dev/core to it only then. */
  hasProcKcore(): boolean;
  /** husk's own hard limit for an RLIMIT_* resource, as a decimal string; null if unknown. */
  hardLimitOf(resource: number): string | null;
  /** Whether husk may raise hard limits above its own (CAP_SYS_RESOURCE in the initial user namespace). */
  canRaiseHardLimits(): boolean;
  /** fs.nr_open: the ceiling of RLIMIT_NOFILE even with CAP_SYS_RESOURCE. */
  maxOpenFiles(): number;
}

const CAP_SYS_RESOURCE = 24;

/** The probe that reads the real host (/proc, /sys) and asks the addon about namespace files. */
export function defaultHostProbe(): HostProbe {
  return {
    cgroupVersion,
    cgroupV1Hierarchies,
    namespaceTypeOf: (nsPath) => addon().namespaceType(nsPath),
    runningInUserNamespace,
    hasProcKcore: () => fs.existsSync('/proc/kcore'),
    hardLimitOf,
    canRaiseHardLimits,
    maxOpenFiles: () => Number(readText('/proc/sys/fs/nr_open').trim()) || 1048576,
  };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// runc's test (cgroups.IsCgroup2UnifiedMode): the filesystem at /sys/fs/cgroup itself.
function cgroupVersion(): 1 | 2 {
  try {
    return fs.statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC ? 2 : 1;
  } catch {
    return 1;
  }
}

function cgroupV1Hierarchies(): CgroupV1Hierarchy[] {
  const knownControllers = new Set(
    readText('/proc/cgroups')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split('\t')[0]),
  );
  const seenSuperblocks = new Set<string>();
  const hierarchies: CgroupV1Hierarchy[] = [];
  for (const line of readText('/proc/self/mountinfo').split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fstype, , superOptions = ''] = after.split(' ');
    if (fstype !== 'cgroup') continue;
    const fields = before.split(' ');
    const device = fields[2];
    if (seenSuperblocks.has(device)) continue; // the same hierarchy bound twice
    seenSuperblocks.add(device);
    const controllers = superOptions
      .split(',')
      .filter((o) => knownControllers.has(o) || o.startsWith('name='))
      .join(',');
    if (controllers === '') continue;
    hierarchies.push({ mountpoint: unescapeMountinfo(fields[4]), controllers });
  }
  return hierarchies;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// runc's test (userns.RunningInUserNS): the initial user namespace maps the whole uid range.
function runningInUserNamespace(): boolean {
  const uidMap = readText('/proc/self/uid_map').trim().split(/\s+/);
  if (uidMap.length < 3) return false;
  return !(uidMap[0] === '0' && uidMap[1] === '0' && uidMap[2] === '4294967295');
}

// /proc/self/limits lists the resources in RLIMIT_* order after a header line.
function hardLimitOf(resource: number): string | null {
  const lines = readText('/proc/self/limits').split('\n').slice(1);
  const match = /^Max .+?\s{2,}(\S+)\s+(\S+)/.exec(lines[resource] ?? '');
  if (!match) return null;
  return match[2] === 'unlimited' ? RLIM_INFINITY : match[2];
}

function canRaiseHardLimits(): boolean {
  if (runningInUserNamespace()) return false;
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readText('/proc/self/status'));
  if (!capEff) return false;
  return ((BigInt('0x' + capEff[1]) >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;
}

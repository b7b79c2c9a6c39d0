// Small readers of /proc used both on the host (leak detection) and on text
// captured inside containers (what the container sees).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  majorMinor: string;
  root: string;
  mountPoint: string;
  options: string;
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undo the octal escapes (\040 for space, ...) the kernel uses in mountinfo. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parse the text of a /proc/<pid>/mountinfo file; see proc(5). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseMountInfoLine);
}

function parseMountInfoLine(line: string): MountInfoEntry {
  const [before, after] = line.split(' - ');
  if (after === undefined) throw new Error(`unparseable mountinfo line: ${line}`);
  const [mountId, parentId, majorMinor, root, mountPoint, options, ...optionalFields] = before.split(' ');
  const [fsType, source, superOptions] = after.split(' ');
  return {
    mountId: Number(mountId),
    parentId: Number(parentId),
    majorMinor,
    root: unescapeMountField(root),
    mountPoint: unescapeMountField(mountPoint),
    options,
    optionalFields,
    fsType,
    source: unescapeMountField(source),
    superOptions,
  };
}

export function hostMounts(): MountInfoEntry[] {
  return parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Where every cgroup hierarchy (v1 and v2) is mounted, each once. */
export function cgroupMountPoints(): string[] {
  const mountPoints = hostMounts()
    .filter((mount) => mount.fsType === 'cgroup' || mount.fsType === 'cgroup2')
    .map((mount) => mount.mountPoint);
  return [...new Set(mountPoints)];
}

/**
 * The cgroup directories whose name `wanted` accepts, in every hierarchy, down to `depth` levels
 * below its mount point (1: its top level). Unreadable directories are skipped.
 */
export function cgroupDirectoriesWhere(wanted: (name: string) => boolean, depth: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = path.join(dir, entry.name);
      if (wanted(entry.name)) found.push(child);
      if (level < depth) walk(child, level + 1);
    }
  };
  for (const mountPoint of cgroupMountPoints()) walk(mountPoint, 1);
  return found;
}

export function mountOptionList(entry: MountInfoEntry): string[] {
  return entry.options.split(',');
}

/** Read a file under /proc that may vanish at any moment; undefined when gone. */
export function readProcFile(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The one-letter state from /proc/<pid>/stat (R, S, D, Z, ...); undefined when gone. */
export function processState(pid: number): string | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name is in parentheses and may itself contain spaces or ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** The parent pid from /proc/<pid>/stat; undefined when gone. */
function parentOf(pid: number): number | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * What a hung command and everything it started are doing, for a timeout's message: per process,
 * its state, the kernel function it sleeps in (wchan) and the top of its kernel stack, so that a
 * rare hang says whether it waited in husk (a pipe, a fifo) or in the kernel (D state).
 */
export function describeProcessTree(rootPid: number): string {
  const tree = [rootPid];
  const pids = allPids();
  for (let grew = true; grew; ) {
    grew = false;
    for (const pid of pids) {
      if (!tree.includes(pid) && tree.includes(parentOf(pid) ?? -1)) {
        tree.push(pid);
        grew = true;
      }
    }
  }
  return tree
    .filter((pid) => processState(pid) !== undefined)
    .map((pid) => {
      const wchan = (readProcFile(`/proc/${pid}/wchan`) ?? '?').trim() || '-';
      const stack = (readProcFile(`/proc/${pid}/stack`) ?? '').trim().split('\n').slice(0, 4).map((line) => line.replace(/^\[<[0-9a-f]+>\] /, '')).join(' < ');
      return `${pid} ${processState(pid)} wchan=${wchan} ${processCmdline(pid).slice(0, 120)}${stack ? ` [kernel: ${stack}]` : ''}`;
    })
    .join('; ');
}

/** Alive means it exists and is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

export function processCmdline(pid: number): string {
  return (readProcFile(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

export function processCgroupText(pid: number): string {
  return readProcFile(`/proc/${pid}/cgroup`) ?? '';
}

/** Targets of the process's open fds (paths, pipe:[..], ...); empty when gone or not permitted. */
export function processFdTargets(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return targets;
}

/** "net:[4026531840]" for /proc/self/ns/net of the calling (test) process. */
export function hostNamespaceLink(type: string): string {
  return fs.readlinkSync(`/proc/self/ns/${type}`);
}

// Small helpers the scenarios share: host-side views of a container process, polling, files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cgroupDirectoriesWhere } from '../../test/helpers/procfs';
import { sleep, waitFor } from '../../test/helpers/wait';
import type { HostInfo } from './host';
import type { ScenarioContext } from './context';

export { sleep, waitFor };

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/** A directory the container (any uid) can write into, bound at `inside`. */
export function sharedDir(ctx: ScenarioContext, label: string): string {
  const dir = ctx.newDir(label);
  fs.chmodSync(dir, 0o777);
  return dir;
}

/** /proc/<pid>/ns/<type> links of a host process; undefined entries when it is gone. */
export function namespaceLinks(pid: number | string): Record<string, string | undefined> {
  const links: Record<string, string | undefined> = {};
  for (const type of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']) {
    try {
      links[type] = fs.readlinkSync(`/proc/${pid}/ns/${type}`);
    } catch {
      links[type] = undefined;
    }
  }
  return links;
}

/** The host directories of a process's cgroups, from /proc/<pid>/cgroup (v1 hierarchies and v2). */
export function cgroupDirsOf(pid: number, hostInfo: HostInfo): string[] {
  const text = readText(`/proc/${pid}/cgroup`) ?? '';
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers, cgroupPath] = match;
    let mountPoint: string | undefined;
    if (controllers === '') mountPoint = hostInfo.cgroupMode === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
    else mountPoint = hostInfo.v1Controllers[controllers.split(',')[0]];
    if (mountPoint && fs.existsSync(mountPoint)) dirs.push(path.join(mountPoint, cgroupPath));
  }
  return dirs;
}

/** Waits until `file` contains a line equal to `line`. */
export async function waitForLine(file: string, line: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(`"${line}" in ${file}`, () => (readText(file) ?? '').split('\n').includes(line), { timeoutMs });
}

export async function waitForFile(file: string, timeoutMs = 5000): Promise<void> {
  await waitFor(`${file} to exist`, () => fs.existsSync(file), { timeoutMs });
}

/** Polls `state` until the status is `status`; the last state seen (or undefined). */
export async function waitForStatus(ctx: ScenarioContext, id: string, status: string, timeoutMs = 10_000): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    last = await ctx.state(id);
    if (last?.status === status) return last;
    await sleep(25);
  }
  return last;
}

export function isAlive(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

export function exeOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** A shell script file on the host (for hooks), executable. */
export function writeScript(file: string, body: string): string {
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

/** Cgroup directories named `name` down to depth 3 of every cgroup hierarchy. */
export function cgroupDirsNamed(name: string): string[] {
  return cgroupDirectoriesWhere((candidate) => candidate === name, 3);
}

/** rmdir (deepest first) the cgroups named `name` and whatever empty cgroups they contain. */
export function removeCgroupsNamed(name: string): void {
  const remove = (dir: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) remove(path.join(dir, entry.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      // busy or gone: the leak sweep reports it
    }
  };
  for (const dir of cgroupDirsNamed(name)) remove(dir);
}

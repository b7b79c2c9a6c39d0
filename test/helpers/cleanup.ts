// Finding and removing what a test file created: containers, processes,
// mounts, cgroups, state dirs, network namespaces. Ownership is decided only by
// the context's unique id prefix and temp dir, so nothing else is ever touched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestContext } from './context';
import {
  allPids,
  cgroupDirectoriesWhere,
  hostMounts,
  isProcessAlive,
  processCgroupText,
  processCmdline,
  processFdTargets,
} from './procfs';
import { RuntimeTimeoutError } from './runtime';
import { sleep } from './wait';

const NETNS_DIR = '/run/netns';
const CGROUP_SEARCH_DEPTH = 6;

export interface LeftoverProcess {
  pid: number;
  cmdline: string;
  why: string;
}

export interface Leftovers {
  processes: LeftoverProcess[];
  mounts: string[];
  cgroups: string[];
  stateEntries: string[];
  netns: string[];
}

export function isEmpty(leftovers: Leftovers): boolean {
  return Object.values(leftovers).every((list: unknown[]) => list.length === 0);
}

export function describeLeftovers(leftovers: Leftovers): string {
  const lines: string[] = [];
  for (const proc of leftovers.processes) lines.push(`process ${proc.pid} (${proc.cmdline}): ${proc.why}`);
  for (const mount of leftovers.mounts) lines.push(`mount ${mount}`);
  for (const cgroup of leftovers.cgroups) lines.push(`cgroup ${cgroup}`);
  for (const entry of leftovers.stateEntries) lines.push(`state ${entry}`);
  for (const name of leftovers.netns) lines.push(`netns ${name}`);
  return lines.join('\n');
}

export function findLeftovers(context: TestContext): Leftovers {
  return {
    processes: leftoverProcesses(context),
    mounts: leftoverMounts(context),
    cgroups: leftoverCgroups(context),
    stateEntries: leftoverStateEntries(context),
    netns: leftoverNetns(context),
  };
}

/** Why a process belongs to this context, or undefined when it does not. */
function ownershipOf(pid: number, context: TestContext): string | undefined {
  const cgroupLine = processCgroupText(pid)
    .split('\n')
    .find((line) => line.includes(`/${context.prefix}`));
  if (cgroupLine) return `in cgroup ${cgroupLine}`;
  const cmdline = processCmdline(pid);
  if (cmdline.includes(context.prefix)) return 'command line names a test id';
  const openFile = processFdTargets(pid).find((target) => isUnder(target, context.tmpDir));
  if (openFile) return `has ${openFile} open`;
  return undefined;
}

function leftoverProcesses(context: TestContext): LeftoverProcess[] {
  const leftovers: LeftoverProcess[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid || !isProcessAlive(pid)) continue;
    const why = ownershipOf(pid, context);
    if (why) leftovers.push({ pid, cmdline: processCmdline(pid), why });
  }
  return leftovers;
}

function isUnder(candidate: string, dir: string): boolean {
  return candidate === dir || candidate.startsWith(`${dir}/`);
}

function leftoverMounts(context: TestContext): string[] {
  const netnsPrefix = path.join(NETNS_DIR, context.prefix);
  return hostMounts()
    .map((mount) => mount.mountPoint)
    .filter((mountPoint) => isUnder(mountPoint, context.tmpDir) || mountPoint.startsWith(netnsPrefix));
}

/** Directories named with the prefix anywhere near the top of every cgroup hierarchy. */
function leftoverCgroups(context: TestContext): string[] {
  return cgroupDirectoriesWhere((name) => name.startsWith(context.prefix), CGROUP_SEARCH_DEPTH);
}

/** Anything left in a runtime's private --root: per-container state dirs, temp files. */
function leftoverStateEntries(context: TestContext): string[] {
  return context.runtimes.flatMap((runtime) => {
    if (!fs.existsSync(runtime.root)) return [];
    return fs
      .readdirSync(runtime.root)
      .map((name) => path.join(runtime.root, name));
  });
}

function leftoverNetns(context: TestContext): string[] {
  if (!fs.existsSync(NETNS_DIR)) return [];
  return fs.readdirSync(NETNS_DIR).filter((name) => name.startsWith(context.prefix));
}

const deletedIds = new WeakMap<TestContext, Set<string>>();

/**
 * `<runtime> --root R delete --force <id>` for every id the context handed
 * out (once each) and every state entry still under a root, in every runtime.
 * Failures are collected, not thrown: cleanup must go on.
 */
export async function deleteContainers(context: TestContext): Promise<string[]> {
  const done = deletedIds.get(context) ?? new Set<string>();
  deletedIds.set(context, done);
  const problems: string[] = [];
  for (const runtime of context.runtimes) {
    const stateNames = fs.existsSync(runtime.root) ? fs.readdirSync(runtime.root) : [];
    const pending = new Set([
      ...context.ids.filter((id) => !done.has(`${runtime.root}\0${id}`)),
      ...stateNames.filter((name) => name.startsWith(context.prefix)),
    ]);
    for (const id of pending) {
      done.add(`${runtime.root}\0${id}`);
      try {
        await runtime.run(['delete', '--force', id]);
      } catch (error) {
        if (!(error instanceof RuntimeTimeoutError)) throw error;
        problems.push(String(error));
      }
    }
  }
  return problems;
}

/**
 * Fails (throws) listing every leak. Processes get `graceMs` to finish
 * exiting, since a runtime may return before the kernel has reaped them.
 */
export async function assertNothingLeft(context: TestContext, { graceMs = 2000 } = {}): Promise<void> {
  const deadline = Date.now() + graceMs;
  let leftovers = findLeftovers(context);
  while (!isEmpty(leftovers) && Date.now() < deadline) {
    await sleep(50);
    leftovers = findLeftovers(context);
  }
  if (!isEmpty(leftovers)) {
    throw new Error(`the test left things behind:\n${describeLeftovers(leftovers)}`);
  }
}

export interface CleanupReport {
  /** What was still there after the runtime's own `delete --force`, i.e. what the runtime leaked. */
  leaked: Leftovers;
  /** `delete --force` invocations that hung. */
  deleteFailures: string[];
}

export function isCleanReport(report: CleanupReport): boolean {
  return isEmpty(report.leaked) && report.deleteFailures.length === 0;
}

export function describeCleanupReport(report: CleanupReport): string {
  return [...report.deleteFailures, describeLeftovers(report.leaked)].filter((text) => text !== '').join('\n');
}

/**
 * Best effort: delete containers, kill leftover processes, unmount leftover
 * mounts, remove cgroups, state entries and network namespaces, then the temp
 * dir (only when nothing is mounted under it any more).
 */
export async function forceCleanup(context: TestContext): Promise<CleanupReport> {
  const deleteFailures = await deleteContainers(context);
  const leaked = findLeftovers(context);
  await killProcesses(leaked.processes.map((proc) => proc.pid));
  unmountAll(leftoverMounts(context));
  for (const name of leftoverNetns(context)) spawnSync('ip', ['netns', 'delete', name]);
  await removeCgroups(leftoverCgroups(context));
  for (const entry of leftoverStateEntries(context)) fs.rmSync(entry, { recursive: true, force: true });
  if (leftoverMounts(context).length === 0) fs.rmSync(context.tmpDir, { recursive: true, force: true });
  return { leaked, deleteFailures };
}

async function killProcesses(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 2000;
  while (pids.some(isProcessAlive) && Date.now() < deadline) await sleep(20);
}

function unmountAll(mountPoints: string[]): void {
  const deepestFirst = [...mountPoints].sort((a, b) => b.length - a.length);
  for (const mountPoint of deepestFirst) spawnSync('umount', ['-l', mountPoint]);
}

async function removeCgroups(cgroups: string[]): Promise<void> {
  const deepestFirst = [...cgroups].sort((a, b) => b.length - a.length);
  for (const cgroup of deepestFirst) {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        fs.rmdirSync(cgroup);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        await sleep(50); // EBUSY while the last member is being reaped
      }
    }
  }
}

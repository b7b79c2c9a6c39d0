// Soak: N sequential lifecycles (create, start, exec every 10th, kill, delete; a foreground
// `run` every 10th), then the counts husk could grow compared with before: open fds, mounts,
// cgroups, zombies, files under --root, processes and memory. Counts that only this test can
// change are checked (they must not grow); host-wide totals, which other work on the machine
// moves too, are reported for information.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { findLeftovers } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { allPids, cgroupDirectoriesWhere, hostMounts, processFdTargets, readProcFile } from '../helpers/procfs';
import { RunResult, describeResult } from '../helpers/runtime';
import { suiteOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';
import { SIZES, contractViolation, counted, newFigures, recordFigures } from './harness';

interface Counts {
  /** Checked: must not grow. */
  runnerFds: number;
  fdsUnderTmp: number;
  mountsUnderTmp: number;
  cgroupsOfContext: number;
  zombiesOfContext: number;
  filesUnderRoot: number;
  processesOfContext: number;
  /** Reported only: the whole host. */
  hostMounts: number;
  hostCgroups: number;
  hostZombies: number;
  hostOpenFiles: number;
  rootKeys: number;
  memAvailableKiB: number;
  unreclaimableSlabKiB: number;
}

const CHECKED: Array<keyof Counts> = [
  'runnerFds', 'fdsUnderTmp', 'mountsUnderTmp', 'cgroupsOfContext', 'zombiesOfContext', 'filesUnderRoot', 'processesOfContext',
];

function statOf(pid: number): { state: string; ppid: number } | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]) };
}

function countFiles(dir: string): number {
  let count = 0;
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    count++;
    if (entry.isDirectory()) count += countFiles(path.join(dir, entry.name));
  }
  return count;
}

function cgroupDirectories(filter: (name: string) => boolean): number {
  return cgroupDirectoriesWhere(filter, 4).length;
}

function meminfo(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readProcFile('/proc/meminfo') ?? '');
  return match ? Number(match[1]) : 0;
}

function rootKeys(): number {
  // /proc/key-users: "    0:   123 122/122 ..." — uid, usage, nkeys/nikeys ...
  const line = (readProcFile('/proc/key-users') ?? '').split('\n').find((l) => /^\s*0:/.test(l));
  return line ? Number(line.trim().split(/\s+/)[2].split('/')[0]) : 0;
}

function snapshot(ctx: TestContext): Counts {
  const leftovers = findLeftovers(ctx);
  const ours = new Set(leftovers.processes.map((p) => p.pid));
  let fdsUnderTmp = 0;
  let zombiesOfContext = 0;
  let hostZombies = 0;
  for (const pid of allPids()) {
    const stat = statOf(pid);
    if (stat?.state === 'Z') {
      if (stat.ppid !== 1) hostZombies++;
      if (stat.ppid === process.pid || ours.has(stat.ppid)) zombiesOfContext++;
    }
    if (pid !== process.pid) fdsUnderTmp += processFdTargets(pid).filter((target) => target.startsWith(`${ctx.tmpDir}/`)).length;
  }
  const fileNr = (readProcFile('/proc/sys/fs/file-nr') ?? '0').trim().split(/\s+/);
  return {
    runnerFds: fs.readdirSync('/proc/self/fd').length,
    fdsUnderTmp,
    mountsUnderTmp: leftovers.mounts.length,
    cgroupsOfContext: leftovers.cgroups.length,
    zombiesOfContext,
    filesUnderRoot: countFiles(ctx.runtime.root),
    processesOfContext: leftovers.processes.length,
    hostMounts: hostMounts().length,
    hostCgroups: cgroupDirectories(() => true),
    hostZombies,
    hostOpenFiles: Number(fileNr[0]),
    rootKeys: rootKeys(),
    memAvailableKiB: meminfo('MemAvailable'),
    unreclaimableSlabKiB: meminfo('SUnreclaim'),
  };
}

describe('reliability: soak', { ...suiteOptions(), timeout: 24 * 60 * 60_000 }, () => {
  const context = useTestContext();
  const figures = newFigures();
  after(() => recordFigures('soak', figures));

  it(`${SIZES.soak} sequential lifecycles leave the counts where they were`, { timeout: 24 * 60 * 60_000 }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const shortBundle = makeBundle(ctx).setArgs('true').save();
    const run = counted(ctx.runtime, figures);
    const withExec = (await ctx.runtime.run(['exec', '--help'])).status === 0;
    const problems: string[] = [];
    const ok = async (args: string[]): Promise<RunResult> => {
      const result = await run(args, { timeoutMs: 60_000 });
      const violation = contractViolation(result);
      if (violation || result.status !== 0) problems.push(`${violation ?? 'failed'}: ${describeResult(result)}`);
      return result;
    };
    const lifecycle = async (index: number): Promise<void> => {
      const id = ctx.newId();
      if (index % 10 === 5) {
        await ok(['run', '--bundle', shortBundle.dir, id]); // foreground: exits with the container, deletes it
        return;
      }
      await ok(['create', '--bundle', bundle.dir, id]);
      await ok(['start', id]);
      if (withExec && index % 10 === 0) await ok(['exec', id, 'true']);
      await ok(['kill', id, 'KILL']);
      await waitFor(`${id} to stop`, async () => {
        const state = await run(['state', id]);
        return state.status === 0 && JSON.parse(state.stdout).status === 'stopped';
      }, { timeoutMs: 30_000, intervalMs: 10 });
      await ok(['delete', id]);
    };

    // Warm-up: first-time effects (the root and its lock, parent cgroups, lazily loaded code)
    // belong in the baseline.
    for (let i = 0; i < 3; i++) await lifecycle(i);
    const settle = async (): Promise<Counts> => {
      let counts = snapshot(ctx);
      for (let attempt = 0; attempt < 100 && (counts.processesOfContext > 0 || counts.zombiesOfContext > 0); attempt++) {
        await sleep(100);
        counts = snapshot(ctx);
      }
      return counts;
    };
    const before = await settle();
    const started = Date.now();
    for (let i = 0; i < SIZES.soak; i++) {
      await lifecycle(i);
      if (problems.length > 10) break;
    }
    const seconds = (Date.now() - started) / 1000;
    const afterCounts = await settle();

    const rows = (Object.keys(before) as Array<keyof Counts>).map((key) => {
      const delta = afterCounts[key] - before[key];
      return `${key.padEnd(20)} ${String(before[key]).padStart(10)} ${String(afterCounts[key]).padStart(10)} ${(delta > 0 ? `+${delta}` : String(delta)).padStart(8)}${CHECKED.includes(key) ? '' : '  (host-wide, info)'}`;
    });
    const grown = CHECKED.filter((key) => afterCounts[key] > before[key]);
    figures.leaks += grown.reduce((sum, key) => sum + (afterCounts[key] - before[key]), 0);
    figures.notes!.push(
      `${SIZES.soak} lifecycles in ${seconds.toFixed(0)} s (${((seconds * 1000) / Math.max(1, SIZES.soak)).toFixed(0)} ms each), exec ${withExec ? 'every 10th' : 'not in this build'}, foreground run every 10th`,
      `${'count'.padEnd(20)} ${'before'.padStart(10)} ${'after'.padStart(10)} ${'delta'.padStart(8)}`,
      ...rows,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(grown, [], `counts grew:\n${rows.join('\n')}`);
  });
});

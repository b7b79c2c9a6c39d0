// `husk events`: the container's resource usage and OOM events as JSON lines, in runc's shape:
//   {"type":"stats","id":"<id>","data":{"cpu":…,"cpuset":…,"memory":…,"pids":…,"blkio":…,"hugetlb":…,…}}
//   {"type":"oom","id":"<id>"}
// --stats prints one stats line and exits. Otherwise a stats line every --interval (default 5s)
// and an oom line whenever the memory controller reports a new OOM; like runc, the stream ends
// when the container's cgroup is gone (after `delete`), not when its processes exit.
//
// OOM detection: runc registers an eventfd on memory.oom_control (v1) or watches memory.events
// with inotify (v2). husk polls the same counters every 100 ms: memory.oom_control's oom_kill and
// under_oom (v1) and memory.events' oom_kill (v2). A poll that sees the kill count grow (or
// under_oom rise, when the OOM killer is disabled) prints one oom line.
import { openCgroup, toJsonLine } from '../cgroups';
import type { Cgroup, OomCounters } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { logWarn } from '../log';
import { containerStatus, readState } from '../state';

export const DEFAULT_EVENTS_INTERVAL = '5s';
const OOM_POLL_MS = 100;

export interface EventsOptions {
  /** --stats: print one stats event and return. */
  statsOnce: boolean;
  /** --interval: milliseconds between stats events. */
  intervalMs: number;
  /** Where the lines go (stdout). */
  write?: (line: string) => void;
  /** Resolves to stop the stream early (tests; the CLI stops on SIGINT/SIGTERM). */
  stop?: Promise<void>;
}

/**
 * Go's time.ParseDuration, which runc's --interval uses: "5s", "250ms", "1m30s", "1.5h".
 * Returns milliseconds; refuses zero and negative intervals (a stats stream needs a period).
 */
export function parseInterval(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const pattern = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    total += Number(match[1]) * units[match[2]];
    consumed = pattern.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new HuskError(`invalid --interval '${text}': expected a duration such as 5s, 500ms or 1m`);
  }
  if (total <= 0) throw new HuskError(`invalid --interval '${text}': it must be longer than zero`);
  return total;
}

export async function containerEvents(global: GlobalOptions, id: string, options: EventsOptions): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const state = readState(global.root, id);
  // runc: "container with id … is not running".
  if (containerStatus(state) === 'stopped') throw new HuskError(`cannot show events of container '${id}': it is stopped`);
  if (!state.cgroup) throw new HuskError(`cannot show events of container '${id}': it has no cgroup`);
  const cgroup = openCgroup(state.cgroup);
  const statsLine = (): string => `${toJsonLine({ type: 'stats', id, data: cgroup.stats() })}\n`;
  if (options.statsOnce) {
    write(statsLine());
    return;
  }
  await streamEvents(cgroup, id, options.intervalMs, write, statsLine, options.stop);
}

async function streamEvents(
  cgroup: Cgroup,
  id: string,
  intervalMs: number,
  write: (line: string) => void,
  statsLine: () => string,
  stop: Promise<void> | undefined,
): Promise<void> {
  let stopped = false;
  let wake: (() => void) | undefined;
  void stop?.then(() => {
    stopped = true;
    wake?.();
  });
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let lastOom = cgroup.oomCounters();
  let nextStats = Date.now() + intervalMs;
  while (!stopped && cgroup.exists()) {
    const current = readOomCounters(cgroup);
    if (current && lastOom && isNewOom(lastOom, current)) write(`${toJsonLine({ type: 'oom', id })}\n`);
    lastOom = current ?? lastOom;
    if (Date.now() >= nextStats) {
      nextStats += intervalMs;
      // runc logs a failed stats read and carries on; the cgroup may be going away under us.
      try {
        if (cgroup.exists()) write(statsLine());
      } catch (err) {
        logWarn(`reading the stats of container '${id}': ${(err as Error).message}`);
      }
    }
    await delay(Math.max(1, Math.min(OOM_POLL_MS, nextStats - Date.now())));
  }
}

function readOomCounters(cgroup: Cgroup): OomCounters | undefined {
  try {
    return cgroup.oomCounters();
  } catch {
    return undefined; // the memory cgroup vanished between exists() and the read
  }
}

function isNewOom(before: OomCounters, now: OomCounters): boolean {
  return now.kills > before.kills || (now.underOom && !before.underOom);
}

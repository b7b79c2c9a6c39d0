// Process identity from /proc/<pid>/stat.
//
// A pid alone does not identify the container's init: after it exits, the kernel may hand the same
// number to an unrelated process, and `husk kill` would then signal a stranger. The start time
// (field 22, clock ticks after boot) never repeats for a pid within one boot, so (pid, start time)
// does. runc stores the same pair ("init_process_pid", "init_process_start") for the same reason.
import * as fs from 'fs';

export interface ProcessStat {
  pid: number;
  /** One-letter state (field 3): R, S, D, Z (zombie), T, t, X, I, ... */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 22: start time in clock ticks after boot. */
  startTime: number;
}

/** Root of the proc filesystem; tests point it at a fake tree. */
export interface ProcOptions {
  procRoot?: string;
}

/** Parse the text of /proc/<pid>/stat; undefined if it is not in the expected form. */
export function parseProcessStat(text: string): ProcessStat | undefined {
  // Field 2 is "(comm)" and comm may itself contain spaces and parentheses, so split after the
  // LAST ')'. What follows starts at field 3.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const fieldAfterComm = (n: number): string | undefined => rest[n - 3];
  const state = fieldAfterComm(3);
  const ppid = Number(fieldAfterComm(4));
  const startTime = Number(fieldAfterComm(22));
  if (!Number.isInteger(pid) || !state || !Number.isInteger(ppid) || !Number.isInteger(startTime)) return undefined;
  return { pid, state, ppid, startTime };
}

/** /proc/<pid>/stat of a process, or undefined if there is no such process. */
export function readProcessStat(pid: number, options: ProcOptions = {}): ProcessStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`${options.procRoot ?? '/proc'}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcessStat(text);
}

/**
 * The pid of a process as its own (innermost) pid namespace sees it: the last NSpid entry of
 * /proc/<pid>/status, so 1 for the init of a container with a pid namespace of its own. The
 * runtime-spec (runtime.md "State") gives hooks that run in the container namespace
 * (createContainer, startContainer) the pid as the container sees it; runc does the same.
 */
export function pidInOwnNamespace(pid: number, options: ProcOptions = {}): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`${options.procRoot ?? '/proc'}/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const line = /^NSpid:\s*(.*)$/m.exec(text)?.[1].trim();
  const last = line ? Number(line.split(/\s+/).pop()) : NaN;
  return Number.isInteger(last) && last > 0 ? last : undefined;
}

/** Start time (field 22) of a live process, or undefined if it does not exist. */
export function readProcessStartTime(pid: number, options: ProcOptions = {}): number | undefined {
  return readProcessStat(pid, options)?.startTime;
}

let bootId: string | undefined | null = null;

/**
 * The kernel's boot id (a new random UUID at every boot), or undefined if unreadable. A state
 * recorded under another boot id describes processes that a reboot ended, whatever pids and
 * start times the new boot happens to reuse. Read once per process.
 */
export function currentBootId(): string | undefined {
  if (bootId === null) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

/**
 * Whether `pid` is a live process and (when `startTime` is given) the same process that was
 * recorded. Zombies (Z) and dead tasks (X) count as dead: they will never run container code again.
 */
export function isProcessAlive(pid: number, startTime?: number, options: ProcOptions = {}): boolean {
  const stat = readProcessStat(pid, options);
  if (!stat) return false;
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return startTime === undefined || stat.startTime === startTime;
}

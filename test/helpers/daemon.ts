// Daemon mode under test (docs/daemon.md): a private `husk daemon` on a socket of its own, the
// front end (build/bin/husk) bound to it, and what tells which path served a command.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HUSK_BIN, REPO_ROOT } from './paths';
import { allPids, isProcessAlive, processCmdline } from './procfs';
import { DEFAULT_COMMAND_TIMEOUT_MS, RunOptions, RunResult, Runtime, RuntimeTimeoutError, describeResult, startWithTimeout } from './runtime';
import { sleep, waitFor } from './wait';

/** The static front end `make` builds. */
export const FRONT_END_BIN = path.join(REPO_ROOT, 'build', 'bin', 'husk');

/** Whether `socket` accepts a connection now. */
export function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.createConnection(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}

/** Pids of live processes whose command line names `socket`: the daemon and its workers (forks). */
export function processesNaming(socket: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && isProcessAlive(pid) && processCmdline(pid).split(' ').includes(socket));
}

/** Daemons on `socket`: processes naming it whose parent does not (workers are the daemon's children). */
export function daemonsOn(socket: string): number[] {
  const naming = processesNaming(socket);
  return naming.filter((pid) => !naming.includes(parentPid(pid) ?? -1));
}

function fdTarget(pid: number, fd: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

export interface DaemonExit {
  status: number | null;
  signal: NodeJS.Signals | null;
}

/** One `husk daemon` this test process started. */
export class PrivateDaemon {
  readonly exited: Promise<DaemonExit>;
  private exitValue: DaemonExit | undefined;

  constructor(
    readonly socket: string,
    readonly logPath: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (status, signal) => {
        this.exitValue = { status, signal };
        resolve(this.exitValue);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Whether the daemon process has exited (and been reaped). */
  get hasExited(): boolean {
    return this.exitValue !== undefined;
  }

  /**
   * Its workers busy with a command now: processes naming the socket (forks of the daemon) other
   * than the daemon, whose stdout is not the daemon's own. A worker serving a caller has the
   * caller's stdio; a worker forked ahead and still waiting for a connection (if the daemon keeps
   * spares) has the daemon's, and does not count.
   */
  workers(): number[] {
    const daemonStdout = fdTarget(this.pid, 1);
    return processesNaming(this.socket).filter((pid) => pid !== this.pid && fdTarget(pid, 1) !== daemonStdout);
  }

  /**
   * The V8 flags the daemon runs with: what it re-executed itself with (src/daemon/serve.ts), read
   * from its command line, so that a test can start `husk daemon` with them and no re-exec.
   */
  v8Flags(): string[] {
    const argv = fs.readFileSync(`/proc/${this.pid}/cmdline`, 'utf8').split('\0');
    const script = argv.findIndex((arg) => arg.endsWith(`${path.sep}bin${path.sep}husk`));
    if (script < 1) throw new Error(`cannot find bin/husk in the daemon's command line ${JSON.stringify(argv)}`);
    return argv.slice(1, script);
  }

  log(): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * SIGTERM (docs/daemon.md: how to stop it), then wait for it and for every worker to be gone.
   * Whatever is still there after `graceMs` is SIGKILLed (only processes naming this daemon's own
   * socket) and reported as a failure.
   */
  async stop({ graceMs = 5000 } = {}): Promise<void> {
    if (!this.hasExited) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    const deadline = Date.now() + graceMs;
    while ((!this.hasExited || processesNaming(this.socket).length > 0) && Date.now() < deadline) await sleep(20);
    const left = processesNaming(this.socket);
    if (!this.hasExited && !left.includes(this.pid)) left.push(this.pid);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (left.length > 0) {
      throw new Error(`husk daemon ${this.pid} (${this.socket}) left processes behind: ${left.map((pid) => `${pid} ${processCmdline(pid)}`).join('; ')}`);
    }
  }
}

export interface StartDaemonOptions {
  /** Where the socket goes (the directory must exist). */
  socket: string;
  idleExitSeconds?: number;
  /** The daemon's stdout and stderr; default: <socket>.log. */
  logPath?: string;
  /** Wait until the socket answers (default true). */
  waitReady?: boolean;
  /** Variables added to the daemon's own environment. */
  env?: Record<string, string>;
}

/** `bin/husk daemon --socket S --idle-exit N`, as an operator starts it. */
export async function startDaemon(options: StartDaemonOptions): Promise<PrivateDaemon> {
  const logPath = options.logPath ?? `${options.socket}.log`;
  const log = fs.openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    const args = ['daemon', '--socket', options.socket, '--idle-exit', String(options.idleExitSeconds ?? 60)];
    // Its own process group: a signal meant for the test run does not reach it by the way.
    child = spawn(HUSK_BIN, args, { stdio: ['ignore', log, log], detached: true, env: { ...process.env, ...options.env } });
  } finally {
    fs.closeSync(log);
  }
  const daemon = new PrivateDaemon(options.socket, logPath, child);
  child.unref();
  if (options.waitReady !== false) {
    try {
      await waitFor(
        () => `husk daemon to answer on ${options.socket} (log: ${JSON.stringify(daemon.log())})`,
        async () => !daemon.hasExited && (await socketAnswers(options.socket)),
        { timeoutMs: 15_000, intervalMs: 50 },
      );
    } catch (error) {
      await daemon.stop().catch(() => undefined);
      throw error;
    }
  }
  return daemon;
}

/** `body` with a daemon of its own (startDaemon's options), stopped afterwards, pass or fail. */
export async function withDaemon(options: StartDaemonOptions, body: (daemon: PrivateDaemon) => Promise<void>): Promise<void> {
  const daemon = await startDaemon(options);
  try {
    await body(daemon);
  } finally {
    await daemon.stop();
  }
}

/** A directory for a daemon's socket outside any test context (so leak checks do not take the daemon for a leftover). */
export function daemonDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'husk-daemon-t-'));
}

/**
 * The front end, bound to one daemon socket whatever $HUSK_DAEMON_SOCKET says (under
 * `make test-daemon` it names the suite's daemon, not this file's).
 */
export class FrontEndRuntime extends Runtime {
  constructor(
    readonly socket: string,
    root: string,
    ioDir: string,
  ) {
    super('husk-front-end', FRONT_END_BIN, root, ioDir);
  }

  override run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return super.run(args, { ...options, env: { HUSK_DAEMON_SOCKET: this.socket, ...options.env } });
  }
}

/**
 * The first phase of the `husk-timing` line of HUSK_TIMING=1: "worker" when a daemon worker ran
 * the command, "node" when the Node CLI did; undefined without a timing line.
 */
export function servedBy(stderr: string): string | undefined {
  const line = stderr.split('\n').find((candidate) => candidate.startsWith('husk-timing '));
  if (!line) return undefined;
  const fields = Object.keys(JSON.parse(line.slice('husk-timing '.length)) as Record<string, unknown>);
  return fields.find((name) => name !== 'command');
}

/** stderr without the timing line. */
export function withoutTiming(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('husk-timing '))
    .join('\n');
}

export interface SpawnedCommand {
  /** The runtime process's pid (the front end's). */
  pid: number;
  /** Its end: stdio read back from files once it exited. */
  result: Promise<RunResult>;
  signal(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Run as `prefix... bin args...` (e.g. unshare); pid is then the prefix's, which execs bin. */
  prefix?: string[];
  /** Open fds handed to the command as its fds 3, 4, ... */
  extraFds?: number[];
}

let spawnCount = 0;

/**
 * A runtime command left running in the background, for tests that need its pid (who is the
 * parent of the container) or signal it. Stdio goes to files under ioDir, as Runtime does, so a
 * container holding them never keeps the result waiting. Own process group; a timeout SIGKILLs it.
 */
export function spawnRuntime(bin: string, args: string[], ioDir: string, options: SpawnOptions = {}): SpawnedCommand {
  fs.mkdirSync(ioDir, { recursive: true });
  const base = path.join(ioDir, `spawned-${++spawnCount}`);
  const stdout = fs.openSync(`${base}.stdout`, 'w');
  const stderr = fs.openSync(`${base}.stderr`, 'w');
  const commandLine = [...(options.prefix ?? []), bin, ...args];
  const command = commandLine.join(' ');
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  let started: ReturnType<typeof startWithTimeout>;
  try {
    started = startWithTimeout(commandLine[0], commandLine.slice(1), ['ignore', stdout, stderr, ...(options.extraFds ?? [])], {
      timeoutMs,
      cwd: options.cwd,
      env: options.env ?? {},
    });
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stderr);
  }
  const result = started.exited.then(({ status, signal, timedOut, stuck }) => {
    const ran: RunResult = { command, status, signal, stdout: fs.readFileSync(`${base}.stdout`, 'utf8'), stderr: fs.readFileSync(`${base}.stderr`, 'utf8') };
    if (timedOut) throw new RuntimeTimeoutError(`timed out after ${timeoutMs} ms (killed): ${describeResult(ran)}; its processes then: ${stuck ?? '?'}`);
    return ran;
  });
  result.catch(() => undefined); // awaited by the test; never an unhandled rejection meanwhile
  return {
    pid: started.pid,
    result,
    signal(signal: NodeJS.Signals) {
      process.kill(started.pid, signal);
    },
  };
}

/** The parent pid in /proc/<pid>/stat; undefined when the process is gone. */
export function parentPid(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

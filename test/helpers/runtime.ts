// The runtime under test (husk or runc) and how to invoke it with a private --root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HUSK_BIN } from './paths';
import { describeProcessTree } from './procfs';
import { waitFor } from './wait';

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export interface RunOptions {
  /** Text fed to the runtime's stdin (the container's stdin for `run` without a terminal). */
  input?: string;
  /** The runtime is SIGKILLed and the call throws when it has not exited by then. */
  timeoutMs?: number;
  /** Open fds handed to the runtime as its fds 3, 4, ... (for --preserve-fds). */
  extraFds?: number[];
  cwd?: string;
  /** Variables added to the runtime's environment (e.g. HUSK_FAULT). */
  env?: Record<string, string>;
}

export interface RunResult {
  command: string;
  /** Exit status, or null when the runtime itself died of a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The subset of the state JSON (runtime-spec "state" + runc's extras) tests read. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  pid: number;
  bundle: string;
  rootfs?: string;
  created?: string;
  owner?: string;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export class RuntimeTimeoutError extends Error {}

export class RuntimeCommandError extends Error {}

/** Which binary to test: $HUSK_TEST_RUNTIME, default <repo>/bin/husk. */
export function runtimeUnderTestBin(): string {
  return process.env.HUSK_TEST_RUNTIME || HUSK_BIN;
}

export function runtimeName(bin: string): string {
  return path.basename(bin);
}

export function describeResult(result: RunResult): string {
  return `${result.command} -> status ${result.status}${result.signal ? ` signal ${result.signal}` : ''}\n` +
    `stdout: ${JSON.stringify(result.stdout)}\nstderr: ${JSON.stringify(result.stderr)}`;
}

/**
 * husk's error contract (lifecycle-errors.test.ts): exit status 1 and exactly one non-blank line
 * on stderr, which contains each text and matches each pattern in `mentions`.
 */
export function assertOneLineFailure(result: RunResult, ...mentions: Array<string | RegExp>): void {
  const context = describeResult(result);
  assert.equal(result.status, 1, context);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, `expected exactly one line on stderr: ${context}`);
  for (const mention of mentions) {
    if (typeof mention === 'string') assert.ok(lines[0].includes(mention), `stderr should mention ${mention}: ${context}`);
    else assert.match(lines[0], mention, context);
  }
}

/**
 * One runtime binary bound to one private state root. Its stdio goes to files
 * (not pipes) so a container that inherits them after `create`/`run --detach`
 * cannot keep a call waiting for EOF.
 */
export class Runtime {
  private commandCount = 0;

  constructor(
    readonly name: string,
    readonly bin: string,
    /** Passed as `--root` before every subcommand (runc requires that order). */
    readonly root: string,
    /** Where the stdio files of each invocation are kept, for post-mortems. */
    private readonly ioDir: string,
  ) {
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(ioDir, { recursive: true });
  }

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const fullArgs = ['--root', this.root, ...args];
    const command = [this.bin, ...fullArgs].join(' ');
    const io = this.openStdioFiles(options.input);
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    let exit: CommandExit;
    try {
      exit = await startWithTimeout(this.bin, fullArgs, [io.stdin, io.stdout, io.stderr, ...(options.extraFds ?? [])], {
        timeoutMs,
        cwd: options.cwd,
        env: options.env,
      }).exited;
    } finally {
      io.close();
    }
    const result: RunResult = { command, status: exit.status, signal: exit.signal, ...io.read() };
    if (exit.timedOut) {
      throw new RuntimeTimeoutError(`timed out after ${timeoutMs} ms (runtime killed): ${describeResult(result)}; its processes then: ${exit.stuck ?? '?'}`);
    }
    return result;
  }

  /** Like run, but a non-zero exit throws with the full command, status and output. */
  async runOk(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(args, options);
    if (result.status !== 0) throw new RuntimeCommandError(`command failed: ${describeResult(result)}`);
    return result;
  }

  async state(id: string): Promise<ContainerState> {
    const result = await this.runOk(['state', id]);
    return JSON.parse(result.stdout) as ContainerState;
  }

  /** Polls `state`; a container that does not exist yet (a `run` still starting) counts as not there yet. */
  async waitForStatus(id: string, status: ContainerState['status'], timeoutMs = 5000): Promise<ContainerState> {
    let last = 'none yet';
    return waitFor(
      () => `container ${id} to be ${status} (last: ${last})`,
      async () => {
        const result = await this.run(['state', id]);
        if (result.status !== 0) {
          last = result.stderr.trim();
          return false;
        }
        const state = JSON.parse(result.stdout) as ContainerState;
        last = JSON.stringify(state);
        return state.status === status && state;
      },
      { timeoutMs },
    );
  }

  /** Ids the runtime lists under its root (`list --format json`; runc prints `null` when empty). */
  async listIds(): Promise<string[]> {
    const result = await this.runOk(['list', '--format', 'json']);
    const listed = JSON.parse(result.stdout) as ContainerState[] | null;
    return (listed ?? []).map((entry) => entry.id);
  }

  private openStdioFiles(input: string | undefined) {
    const base = path.join(this.ioDir, `${++this.commandCount}`);
    let stdin: number | 'ignore' = 'ignore';
    if (input !== undefined) {
      fs.writeFileSync(`${base}.stdin`, input);
      stdin = fs.openSync(`${base}.stdin`, 'r');
    }
    const stdout = fs.openSync(`${base}.stdout`, 'w');
    const stderr = fs.openSync(`${base}.stderr`, 'w');
    return {
      stdin,
      stdout,
      stderr,
      close() {
        for (const fd of [stdin, stdout, stderr]) if (typeof fd === 'number') fs.closeSync(fd);
      },
      read() {
        return {
          stdout: fs.readFileSync(`${base}.stdout`, 'utf8'),
          stderr: fs.readFileSync(`${base}.stderr`, 'utf8'),
        };
      },
    };
  }
}

export interface CommandExit {
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** When it timed out: what it and everything it started were doing then (describeProcessTree). */
  stuck?: string;
}

/**
 * Spawn a command in a process group of its own, so that a timeout kills whatever it started too:
 * after `timeoutMs` its process tree is described and the group SIGKILLed.
 */
export function startWithTimeout(
  bin: string,
  args: string[],
  stdio: (number | 'ignore')[],
  { timeoutMs, cwd, env }: { timeoutMs: number; cwd?: string; env?: Record<string, string> },
): { pid: number; exited: Promise<CommandExit> } {
  const child = spawn(bin, args, { stdio, cwd, detached: true, env: env ? { ...process.env, ...env } : undefined });
  const exited = new Promise<CommandExit>((resolve, reject) => {
    let timedOut = false;
    let stuck: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) stuck = describeProcessTree(child.pid);
      killProcessGroup(child.pid);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut, stuck });
    });
  });
  return { pid: child.pid as number, exited };
}

function killProcessGroup(leader: number | undefined): void {
  if (leader === undefined) return;
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

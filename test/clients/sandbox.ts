// A throwaway place for a real client (containerd, Podman) to drive husk without touching the
// host's own: a temporary directory for every file the client writes, and a private mount and
// network namespace (held open by a `sleep` made with unshare) with a fresh tmpfs on /run and
// on /var/lib/cni. Every client command runs in it through nsenter, so:
//   * containerd's shim sockets (/run/containerd/s, a fixed path in containerd 1.6) and ctr's
//     stdio fifos land in the sandbox's /run, never in a system containerd's;
//   * Podman's network namespaces (/run/netns), its CNI bridge, iptables rules and IPAM state
//     exist only in the sandbox's network namespace and /var/lib/cni;
//   * overlay mounts of image snapshots are in the sandbox's mount namespace only.
// close() kills whatever still runs in the namespace (shims, conmon, containers), so nothing
// outlives the test, and removes the directory and the cgroups the containers were put in.
//
// Daemon mode (docs/daemon.md): startHuskDaemon() runs a private `husk daemon` inside the sandbox,
// in the same namespaces as containerd and conmon (the front end falls back to Node for a caller in
// other namespaces), listening on the default socket, /run/husk-daemon.sock, which is the
// sandbox's own /run. The wrapper then runs the front end, build/bin/husk, with a `node` first on
// PATH that logs every fallback to the Node CLI (nodeFallbacks()), so a test can tell that the
// daemon served the client's commands rather than Node.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_SCRIPT_PATH, HUSK_BIN, REPO_ROOT } from '../helpers/paths';

/** How the client runs husk: bin/husk (Node) itself, or the front end served by `husk daemon`. */
export type HuskMode = 'direct' | 'daemon';
export const HUSK_MODES: HuskMode[] = ['direct', 'daemon'];
/** The daemon mode's `husk` (addon/frontend.c). */
export const FRONT_END_BIN = path.join(REPO_ROOT, 'build', 'bin', 'husk');
/** Where front ends look for the daemon when HUSK_DAEMON_SOCKET is unset (addon/daemon-protocol.h). */
export const DEFAULT_DAEMON_SOCKET = '/run/husk-daemon.sock';

/** The `husk` a client runs in this mode. */
export function huskBinary(mode: HuskMode): string {
  return mode === 'daemon' ? FRONT_END_BIN : HUSK_BIN;
}

export interface CommandResult {
  command: string;
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CommandOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Why the client tests cannot run here (in this mode), or false. */
export function clientSkipReason(binaries: string[], mode: HuskMode = 'direct'): string | false {
  if (process.getuid?.() !== 0) return 'client tests need root';
  for (const binary of ['unshare', 'nsenter', 'tar', ...binaries]) {
    if (!which(binary)) return `${binary} is not installed (scripts/install-deps.sh installs it)`;
  }
  if (!fs.existsSync(huskBinary(mode))) return `${huskBinary(mode)} is missing (make)`;
  return false;
}

export function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir, binary);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function describe(result: CommandResult): string {
  return `${result.command} -> status ${result.status}${result.signal ? ` signal ${result.signal}` : ''}\n` +
    `stdout: ${JSON.stringify(result.stdout)}\nstderr: ${JSON.stringify(result.stderr)}`;
}

export class Sandbox {
  readonly dir: string;
  /** Every command line husk was called with, one per line (the logging wrapper writes it). */
  readonly callsLog: string;
  /** Every time a front end ran the Node CLI instead of being served: its mount namespace and command line. */
  readonly fallbacksLog: string;
  private holder: ChildProcess | undefined;
  private holderPid = 0;
  private huskDaemon: ChildProcess | undefined;
  private mountNamespace = '';
  /** Cgroup paths (relative to each hierarchy's root) that close() removes when empty. */
  private readonly cgroupParents: string[] = [];

  private constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `husk-${name}-`));
    this.callsLog = path.join(this.dir, 'husk-calls.log');
    this.fallbacksLog = path.join(this.dir, 'node-fallbacks.log');
  }

  static async start(name: string): Promise<Sandbox> {
    const sandbox = new Sandbox(name);
    await sandbox.startHolder();
    return sandbox;
  }

  private async startHolder(): Promise<void> {
    // /var/lib/cni is where the CNI plugins keep IPAM state; the mount point must exist.
    fs.mkdirSync('/var/lib/cni', { recursive: true });
    const ready = path.join(this.dir, 'holder-ready');
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=755 husk-sandbox-run /run',
      'mount -t tmpfs -o mode=755 husk-sandbox-cni /var/lib/cni',
      'ip link set lo up',
      `touch ${ready}`,
      'exec sleep infinity',
    ].join('\n');
    this.holder = spawn('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.holderPid = this.holder.pid ?? 0;
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(ready)) {
      if (this.holder.exitCode !== null || Date.now() > deadline) throw new Error('the sandbox namespace holder did not start');
      await sleep(20);
    }
    this.mountNamespace = fs.readlinkSync(`/proc/${this.holderPid}/ns/mnt`);
  }

  /** argv that runs `command` inside the sandbox's namespaces. */
  inside(command: string, args: string[]): string[] {
    return ['nsenter', `--target=${this.holderPid}`, '--mount', '--net', '--', command, ...args];
  }

  /** Run a command inside the sandbox and wait for it. */
  run(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    const [bin, ...rest] = this.inside(command, args);
    return runCommand(bin, rest, options);
  }

  /** Start a long-running command inside the sandbox (containerd); output goes to logFile. */
  spawnDaemon(command: string, args: string[], logFile: string): ChildProcess {
    const [bin, ...rest] = this.inside(command, args);
    const log = fs.openSync(logFile, 'a');
    try {
      return spawn(bin, rest, { stdio: ['ignore', log, log] });
    } finally {
      fs.closeSync(log);
    }
  }

  /**
   * A script that logs its arguments to callsLog and runs husk with them (after `extraArgs`):
   * what the client calls, so a test can check the exact command lines it used. In daemon mode
   * it runs the front end, with a `node` first on PATH that logs to fallbacksLog before running
   * the real one: the front end runs the Node CLI through `node` on PATH (addon/frontend.c).
   */
  writeHuskWrapper(name: string, extraArgs: string[] = [], mode: HuskMode = 'direct'): string {
    const file = path.join(this.dir, name);
    const quoted = [huskBinary(mode), ...extraArgs].map(shellQuote).join(' ');
    const lines = ['#!/bin/sh', `printf '%s\\n' "$*" >> ${shellQuote(this.callsLog)}`];
    if (mode === 'daemon') {
      const nodeDir = path.join(this.dir, 'fallback-bin');
      fs.mkdirSync(nodeDir, { recursive: true });
      fs.writeFileSync(
        path.join(nodeDir, 'node'),
        `#!/bin/sh\nprintf '%s %s\\n' "$(readlink /proc/$$/ns/mnt)" "$*" >> ${shellQuote(this.fallbacksLog)}\nexec ${shellQuote(process.execPath)} "$@"\n`,
        { mode: 0o755 },
      );
      // Podman runs some commands with no PATH at all: then only this directory.
      lines.push(`PATH=${shellQuote(nodeDir)}\${PATH:+:$PATH}`, 'export PATH');
    }
    fs.writeFileSync(file, [...lines, `exec ${quoted} "$@"`, ''].join('\n'), { mode: 0o755 });
    return file;
  }

  /** The husk command lines logged so far. */
  huskCalls(): string[] {
    try {
      return fs.readFileSync(this.callsLog, 'utf8').split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  /**
   * Each time a daemon-mode wrapper's front end ran the Node CLI: bin/husk's command line, and
   * whether the front end was in the sandbox's mount namespace (the daemon's) or in another one,
   * where it falls back by design (docs/daemon.md).
   */
  nodeFallbacks(): Array<{ command: string; inSandboxMountNamespace: boolean }> {
    let text = '';
    try {
      text = fs.readFileSync(this.fallbacksLog, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const space = line.indexOf(' ');
        return { command: line.slice(space + 1), inSandboxMountNamespace: line.slice(0, space) === this.mountNamespace };
      });
  }

  /**
   * Start `husk daemon` inside the sandbox on the default socket (the sandbox's own /run), wait
   * until it listens, and check that it serves a front end there: HUSK_TIMING's first phase is
   * "worker", not "node". close() stops it (before counting what was left in the sandbox).
   */
  async startHuskDaemon(): Promise<void> {
    // Front ends must find the daemon as a deployed one would, by the default path: a
    // HUSK_DAEMON_SOCKET from our environment would reach them through containerd and miss it.
    delete process.env.HUSK_DAEMON_SOCKET;
    const log = path.join(this.dir, 'husk-daemon.log');
    // --idle-exit: should this process die without close(), the daemon goes away on its own.
    const daemon = this.spawnDaemon(HUSK_BIN, ['daemon', '--socket', DEFAULT_DAEMON_SOCKET, '--idle-exit', '300'], log);
    this.huskDaemon = daemon;
    await waitFor('husk daemon to listen in the sandbox', () => {
      if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`husk daemon exited: ${fs.readFileSync(log, 'utf8')}`);
      return fs.existsSync(`/proc/${this.holderPid}/root${DEFAULT_DAEMON_SOCKET}`) ? true : undefined;
    });
    const probe = await this.run(FRONT_END_BIN, ['--root', path.join(this.dir, 'probe-root'), 'list'], { env: { HUSK_TIMING: '1' } });
    const timing = probe.stderr.match(/^husk-timing (\{.*\})$/m);
    if (probe.status !== 0 || !timing || !('worker' in JSON.parse(timing[1]))) {
      throw new Error(`husk daemon does not serve the sandbox: ${describe(probe)}`);
    }
  }

  /** SIGTERM the husk daemon (if started) and wait for it and its workers; returns its log. */
  async stopHuskDaemon(): Promise<string> {
    const daemon = this.huskDaemon;
    this.huskDaemon = undefined;
    if (!daemon) return '';
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    }
    // It reaped its spare workers before it exited; a worker still busy finishes its command.
    const workers = (): number[] => this.processesInside().filter((pid) => commandLine(pid).includes(`${HUSK_BIN} daemon `));
    await waitFor('the husk daemon\'s workers to exit', () => (workers().length === 0 ? true : undefined), 5_000).catch(() => undefined);
    return fs.readFileSync(path.join(this.dir, 'husk-daemon.log'), 'utf8');
  }

  /** A busybox rootfs (bundles/make-busybox-bundle.sh); returns the bundle directory. */
  makeBusyboxBundle(name = 'bundle'): string {
    const bundle = path.join(this.dir, name);
    const made = spawnSync('bash', [BUNDLE_SCRIPT_PATH, bundle], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`make-busybox-bundle failed: ${made.stderr}`);
    return bundle;
  }

  /** Remember a cgroup parent (e.g. "/husk-clients-123") to remove at close(). */
  ownCgroupParent(relative: string): void {
    this.cgroupParents.push(relative);
  }

  /** Pids of the processes in the sandbox's mount namespace other than the holder. */
  processesInside(): number[] {
    const pids: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === this.holderPid) continue;
      try {
        if (fs.readlinkSync(`/proc/${pid}/ns/mnt`) === this.mountNamespace) pids.push(pid);
      } catch {
        // gone meanwhile, or a kernel thread
      }
    }
    return pids;
  }

  /** Kill what is left inside, end the namespaces, remove the cgroups and the directory. */
  async close(): Promise<string[]> {
    await this.stopHuskDaemon();
    // A process half-way through exiting (its memory released, so an empty command line, its
    // namespaces not yet) is on its way out, not left behind: a shim that just saw its last task
    // deleted, say. Give such processes a moment before counting.
    await waitFor('exiting processes in the sandbox to be gone', () => (this.processesInside().some((pid) => commandLine(pid) === '') ? undefined : true), 2_000).catch(() => undefined);
    const leftovers = this.processesInside().map((pid) => `${pid} ${commandLine(pid) || '(exiting)'}`);
    for (let round = 0; round < 50; round++) {
      const pids = this.processesInside();
      if (pids.length === 0) break;
      for (const pid of pids) killQuietly(pid, 'SIGKILL');
      await sleep(50);
    }
    if (this.holder && this.holder.exitCode === null) {
      const exited = new Promise((resolve) => this.holder?.once('exit', resolve));
      this.holder.kill('SIGKILL');
      await exited;
    }
    removeCgroups(this.cgroupParents);
    fs.rmSync(this.dir, { recursive: true, force: true });
    return leftovers;
  }
}

export function runCommand(bin: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  const command = [bin, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ? { ...process.env, ...options.env } : process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ command, status, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The cgroup v1 hierarchies and the unified one, as mounted (absolute mount points). */
export function cgroupMountPoints(): string[] {
  const points: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash > 0 && (fields[dash + 1] === 'cgroup' || fields[dash + 1] === 'cgroup2')) points.push(fields[4]);
  }
  return points;
}

/** The mount point of the v1 hierarchy with this controller, or undefined. */
export function cgroupV1Mount(controller: string): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash > 0 && fields[dash + 1] === 'cgroup' && fields[dash + 3].split(',').includes(controller)) return fields[4];
  }
  return undefined;
}

/** rmdir each parent (children first) in every hierarchy; only empty cgroups go. */
function removeCgroups(parents: string[]): void {
  for (const mountPoint of cgroupMountPoints()) {
    for (const parent of parents) removeTree(path.join(mountPoint, parent));
  }
}

function removeTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty (something still runs there): left for the leak report
  }
}

export function cgroupExists(relative: string): boolean {
  return cgroupMountPoints().some((mountPoint) => fs.existsSync(path.join(mountPoint, relative)));
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_\-./=:,@+]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `check` returns a value that is not undefined (or fail after timeoutMs). */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

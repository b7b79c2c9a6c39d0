// Typed access to the N-API addon (addon/binding.cc). Every syscall husk makes that Node cannot
// make itself goes through here. Loaded lazily: subcommands that need no syscall never pay for it.
import type { LaunchPlan } from './linux/plan';
import type { ExecPlan } from './linux/exec-plan';
import * as path from 'path';
import { buildDirectory } from './build-dir';

/** A message from the container side over the sync socket (addon/sync.h). */
export interface SyncMessage {
  /** One of SyncType. */
  type: number;
  /** MSG_INIT_PID: the init's host pid. MSG_ERROR: the failed step (ChildStep). */
  value: number;
  /** MSG_ERROR: errno of the failed syscall. */
  errno: number;
  /** MSG_ERROR: index into the plan's list that the step worked on (mount index, device index...), or -1. */
  detail: number;
  /** An fd that came with the message (SCM_RIGHTS; SECCOMP_LISTENER), -1 for none. Close-on-exec; the receiver owns it. */
  fd?: number;
}

export interface SpawnedInit {
  /** pid of the first-stage child (in husk's pid namespace); reaped by waitStage1. */
  stage1Pid: number;
  /** Parent end of the sync socket. */
  syncFd: number;
}

export interface Addon {
  /**
   * clone3 the first stage with the plan copied into C memory. Throws on clone failure.
   * `inheritedLockFds`: the container locks husk holds (state/lock.ts heldLockFds), which the
   * child closes first thing.
   */
  spawnInit(plan: LaunchPlan, inheritedLockFds?: number[]): SpawnedInit;
  /** Wait (blocking, up to timeoutMs; -1 forever) for the next message. type 0 (EOF) when the child closed the socket. */
  syncRecv(fd: number, timeoutMs: number): SyncMessage;
  /** Send a message to the child; `payload` (e.g. state JSON for hooks) follows a GO. */
  syncSend(fd: number, type: number, payload?: string): void;
  /** waitpid(pid, flags). Returns { pid, status } (pid 0 with WNOHANG and no change), or throws. */
  waitpid(pid: number, flags: number): { pid: number; exitCode: number; signal: number };
  /** pidfd_open(pid, 0). */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(pidfd, sig). Throws ESRCH if gone. */
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** Resolves when the process behind pidfd exits (poll in the thread pool). */
  pidfdWait(pidfd: number): Promise<void>;
  /** flock(fd, LOCK_EX|LOCK_SH [|LOCK_NB]); returns false when LOCK_NB and held elsewhere. */
  flock(fd: number, exclusive: boolean, nonBlocking: boolean): boolean;
  /** mkfifo(path, mode). */
  mkfifo(path: string, mode: number): void;
  /** ioctl(NS_GET_NSTYPE) on a namespace file: a CLONE_NEW* value. Throws if it is no namespace file. */
  namespaceType(path: string): number;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1). */
  setChildSubreaper(): void;
  /** Wait until the fifo behind this write-end fd has no reader (the init exec'd or died); false on timeout. */
  waitFifoReadersGone(fd: number, timeoutMs: number): boolean;
  /** close(fd) ignoring errors. */
  close(fd: number): void;
  /** Human text for an errno number ("EPERM: Operation not permitted"). */
  errnoText(errno: number): string;

  // ---- exec and terminals (addon/exec.c, addon/console.c) ----
  /** clone3 the first stage of an exec'd process (protocol in addon/exec.h). Throws on clone failure. */
  spawnExec(plan: ExecPlan, inheritedLockFds?: number[]): SpawnedInit;
  /** Connect a SOCK_STREAM unix socket to `path` (a --console-socket); the fd, close-on-exec. */
  consoleConnect(path: string): number;
  /** Receive an fd sent with SCM_RIGHTS (and its text); null when nothing came within timeoutMs (-1: wait). */
  recvFd(socketFd: number, timeoutMs: number): { fd: number; name: string } | null;
  /** A connected SOCK_STREAM unix socket pair, close-on-exec. */
  socketPair(): [number, number];
  /** TIOCGWINSZ: the size of the terminal behind fd, or null when fd is no terminal. */
  windowSize(fd: number): { rows: number; cols: number } | null;
  /** TIOCSWINSZ on fd (a pty master). */
  setWindowSize(fd: number, rows: number, cols: number): void;
  /** Clear ONLCR on a pty (no "\n" -> "\r\n" translation of the container's output). */
  clearOnlcr(fd: number): void;
  /** A listening SOCK_STREAM unix socket bound to path (console socket receivers, husk daemon); backlog 16 unless given. */
  listenUnix(path: string, backlog?: number): number;
  /** accept4 on a listening socket: the connection's fd, or null when none came within timeoutMs. */
  acceptUnix(listenFd: number, timeoutMs: number): number | null;

  // ---- seccomp (addon/seccomp.c) ----
  /**
   * Build a seccomp filter with libseccomp and export its BPF program (struct sock_filter[]).
   * unknownRules: indexes of rules whose syscall libseccomp does not know (skipped). Throws an
   * Error with errno and failedRule / failedArchitecture (indexes, -1 when not that).
   */
  compileSeccomp(filter: {
    defaultAction: number;
    architectures: string[];
    rules: Array<{ syscall: string; action: number; conditions: Array<{ index: number; op: number; value: string; valueTwo: string }> }>;
    optimize: boolean;
  }): { program: Buffer; unknownRules: number[] };
  /** Connect to the seccomp agent's unix socket and send the state JSON with the listener fd attached. */
  sendSeccompListener(listenerPath: string, fd: number, stateJson: string): void;
  /** Whether the kernel accepts these SECCOMP_FILTER_FLAG_* bits (probed with seccomp(2), nothing loaded). */
  seccompFlagsSupported(flags: number): boolean;
  /** Whether this build's libseccomp knows the architecture (seccomp_arch_resolve_name: "x86_64"). */
  seccompArchKnown(name: string): boolean;

  // ---- cgroup v2 device filters (addon/bpf.c) ----
  /**
   * Load a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[], see cgroups/device-filter.ts)
   * and attach it to a cgroup2 directory with BPF_F_ALLOW_MULTI, then detach husk's previous
   * programs there ("husk_devices"). Throws an Error with errno, code and, when the verifier
   * refused the program, verifierLog.
   */
  attachDeviceFilter(cgroupDir: string, program: Buffer): { id: number; detached: number };
  /** Detach every husk device filter attached to cgroupDir; how many went. */
  detachDeviceFilters(cgroupDir: string): number;
  /** The device programs attached directly to cgroupDir (any owner). */
  deviceFilters(cgroupDir: string): Array<{ id: number; name: string }>;

  // ---- daemon mode (addon/daemon.c; docs/daemon.md) ----
  /** execve(file, argv) with this environment; returns only by throwing. */
  execve(file: string, argv: string[]): never;
  /**
   * The daemon's accept loop: returns false in the daemon once idle for idleMs (0: never), and in
   * each forked worker its invocation (daemon/worker.ts Invocation). From then on spawnInit,
   * spawnExec and waitpid go through the front end.
   */
  daemonServe(listenFd: number, buildId: string, idleMs: number): unknown;
  /** Worker: tell the front end to exit with `code` (or to run the Node CLI itself), then _exit. */
  workerFinish(code: number, fallback?: boolean): never;
  /** Worker: the front end forwards the caller's signals to pid (its child) from now on. */
  forwardSignals(pid: number): void;
  /** Worker: the front end waits for pid (its child) and reports how it ended. */
  collect(pid: number): { exitCode: number; signal: number };
}

let loaded: Addon | undefined;

export function addon(): Addon {
  if (!loaded) {
    // build/Release is where node-gyp puts it; HUSK_ADDON overrides for a relocated install.
    const file = process.env.HUSK_ADDON ?? path.join(buildDirectory(), 'Release', 'husk_addon.node');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    loaded = require(file) as Addon;
  }
  return loaded;
}

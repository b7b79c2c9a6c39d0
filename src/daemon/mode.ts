// What a command needs to know when it runs in a worker of `husk daemon` (docs/daemon.md): the
// process the caller started is the front end, not this one.
import { HuskError } from '../errors';

/** Where `husk daemon` listens and front ends connect when $HUSK_DAEMON_SOCKET is unset (addon/daemon-protocol.h has the front end's copy). */
export const DEFAULT_DAEMON_SOCKET = '/run/husk-daemon.sock';

let caller: number | undefined;

/** The worker serves a front end whose pid is `pid` (daemon/worker.ts sets it first thing). */
export function setCallerPid(pid: number): void {
  caller = pid;
}

/** Whether this process is a daemon worker (the container's processes are then the front end's children). */
export function inDaemonWorker(): boolean {
  return caller !== undefined;
}

/**
 * The pid of the process the caller ran as `husk`: this one, or in a daemon worker the front end.
 * What the caller set up for "the runtime's pid" (LISTEN_PID for socket activation) names it.
 */
export function callerPid(): number {
  return caller ?? process.pid;
}

/**
 * Thrown by a command, before it has done anything, when a daemon worker cannot do what the
 * command line asks (a foreground terminal: the caller's terminal and its SIGWINCH are the front
 * end's). The front end then runs the Node CLI itself, which can.
 */
export class FallbackToNode extends HuskError {
  constructor(why: string) {
    super(`not served by husk daemon: ${why}`);
  }
}

/** Throws FallbackToNode in a daemon worker. */
export function needsOwnProcess(why: string): void {
  if (inDaemonWorker()) throw new FallbackToNode(why);
}

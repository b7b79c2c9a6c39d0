// Waiting in the foreground for a process husk started (the init of `run`, or an exec'd process):
// the signals husk gets go on to it, and husk's exit status becomes its (128+N when signal N
// killed it, as a shell reports it and as runc does). The process is husk's own child (clone3
// CLONE_PARENT), so waitpid collects it without husk being a subreaper.
//
// In a worker of `husk daemon` the process is the front end's child and the caller's signals go to
// the front end: it forwards them and collects the process (addon/frontend.c), the worker asks.
import * as os from 'os';
import { addon } from '../addon';
import { inDaemonWorker } from '../daemon/mode';

/** What runc forwards (signal.go: every signal but SIGCHLD, SIGWINCH and SIGURG); these are the ones a user sends. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];

export interface ForegroundOptions {
  /** SIGWINCH: a terminal attachment resizes the pty instead of the process getting the signal. */
  onWindowChange?: () => void;
}

/**
 * Starts forwarding signals to `pid` (a child of husk) at once, and returns the wait for its exit:
 * a promise of its exit status (128+N for signal N), once it has been reaped.
 */
export function waitInForeground(pid: number, options: ForegroundOptions = {}): () => Promise<number> {
  if (inDaemonWorker()) {
    addon().forwardSignals(pid);
    return async () => {
      const exit = addon().collect(pid);
      return exit.signal ? 128 + exit.signal : exit.exitCode;
    };
  }
  const exited = forwardUntilExit(pid, options);
  exited.catch(() => undefined); // awaited by the caller; never an unhandled rejection meanwhile
  return () => exited;
}

async function forwardUntilExit(pid: number, options: ForegroundOptions): Promise<number> {
  const native = addon();
  const pidfd = native.pidfdOpen(pid);
  const forward = (signal: NodeJS.Signals) => {
    try {
      native.pidfdSendSignal(pidfd, os.constants.signals[signal]);
    } catch {
      /* it is gone; its exit is about to be collected */
    }
  };
  const windowChange = () => options.onWindowChange?.();
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  // Without a terminal runc's SIGWINCH handler only resizes (a no-op then): the signal is not
  // forwarded. Listening keeps Node's default (ignore) for it.
  process.on('SIGWINCH', windowChange);
  try {
    await native.pidfdWait(pidfd);
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    process.off('SIGWINCH', windowChange);
    native.close(pidfd);
  }
  const exit = native.waitpid(pid, 0);
  return exit.signal ? 128 + exit.signal : exit.exitCode;
}

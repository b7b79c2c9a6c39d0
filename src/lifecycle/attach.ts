// A foreground `run` or `exec` with a terminal: husk holds the pty master and joins it to the
// terminal husk was started from, like ssh does (and runc, tty.go):
//
//   * husk's terminal goes to raw mode (no echo, no line editing, no signal keys: ^C reaches the
//     container as a byte, and its own terminal turns it into SIGINT there);
//   * bytes are copied both ways between husk's stdin/stdout and the master;
//   * the pty gets husk's terminal size at once and again on every SIGWINCH;
//   * husk's terminal is restored however the attachment ends.
//
// As runc does, ONLCR is cleared on the pty: Node's raw mode leaves the host terminal's own
// output translation (OPOST) on, which turns the container's "\n" into "\r\n" once, not twice;
// and output captured without a host terminal keeps plain "\n".
import * as fs from 'fs';
import type * as Tty from 'tty';
import { addon } from '../addon';

/** Node's tty module, loaded on first use: ~5 ms that `run` without a terminal does not need. */
function tty(): typeof Tty {
  return require('tty') as typeof Tty;
}

/**
 * How long output may still arrive after the process exited. Normally the end of output (EIO,
 * every slave fd closed) comes at once and this is not waited for; it bounds the wait when the
 * process's children keep the pty open. 200 ms lost the last line now and then on a loaded
 * machine (the exec -t test under `make test`), so it is a second.
 */
const DRAIN_AFTER_EXIT_MS = 1000;

export class TerminalAttachment {
  private readonly master: Tty.ReadStream;
  private readonly masterFd: number;
  private readonly hostTerminalFd: number | null;
  private readonly openedHostTerminal: boolean;
  private readonly rawStdin: boolean;
  private readonly ended: Promise<void>;
  private readonly forwardInput = (chunk: Buffer) => this.master.write(chunk);
  private closed = false;

  /** Takes ownership of masterFd. */
  constructor(masterFd: number) {
    this.masterFd = masterFd;
    try {
      addon().clearOnlcr(masterFd);
    } catch {
      /* not fatal: the output only gets an extra "\r" per line */
    }
    this.master = new (tty().ReadStream)(masterFd);
    this.ended = new Promise((resolve) => {
      // At end of output (the last slave fd closed) the master reads EIO, which libuv reports as
      // end of stream; errors mean the same here.
      this.master.once('end', resolve);
      this.master.once('error', () => resolve());
      this.master.once('close', resolve);
    });
    this.master.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    const host = findHostTerminal();
    this.hostTerminalFd = host.fd;
    this.openedHostTerminal = host.opened;
    this.rawStdin = process.stdin.isTTY === true;
    if (this.rawStdin) process.stdin.setRawMode(true);
    process.stdin.on('data', this.forwardInput);
    process.stdin.resume();
    this.resize();
  }

  /** Copy the host terminal's size to the pty (at start and on SIGWINCH). No host terminal: nothing. */
  resize(): void {
    if (this.hostTerminalFd === null || this.closed) return;
    const size = addon().windowSize(this.hostTerminalFd);
    if (!size || size.rows === 0 || size.cols === 0) return;
    try {
      addon().setWindowSize(this.masterFd, size.rows, size.cols);
    } catch {
      /* the pty is gone: the process has exited */
    }
  }

  /** After the process exited: let the remaining output through, then restore the terminal. */
  async finish(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_AFTER_EXIT_MS)))]);
    clearTimeout(timer);
    this.close();
  }

  /** Restore the host terminal and release everything; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.stdin.off('data', this.forwardInput);
    if (this.rawStdin) {
      try {
        process.stdin.setRawMode(false);
      } catch {
        /* stdin already closed */
      }
    }
    process.stdin.pause();
    // A paused TTY stdin still holds the event loop open in Node; unref lets husk exit.
    (process.stdin as unknown as { unref?: () => void }).unref?.();
    this.master.destroy();
    if (this.openedHostTerminal && this.hostTerminalFd !== null) fs.closeSync(this.hostTerminalFd);
  }
}

/** The size of the terminal husk runs in, or null without one. */
export function hostTerminalSize(): { rows: number; cols: number } | null {
  const host = findHostTerminal();
  if (host.fd === null) return null;
  try {
    const size = addon().windowSize(host.fd);
    return size && size.rows > 0 && size.cols > 0 ? size : null;
  } finally {
    if (host.opened) fs.closeSync(host.fd);
  }
}

/** runc's choice (tty.go initHostConsole): stderr, stdout or stdin if one is a terminal, else /dev/tty. */
function findHostTerminal(): { fd: number | null; opened: boolean } {
  for (const fd of [2, 1, 0]) if (tty().isatty(fd)) return { fd, opened: false };
  try {
    return { fd: fs.openSync('/dev/tty', fs.constants.O_RDONLY | fs.constants.O_NOCTTY), opened: true };
  } catch {
    return { fd: null, opened: false };
  }
}

/** Wait for the pty master that the container side sends to husk's own console socket. */
export function receiveMaster(socketFd: number): number {
  // The container side sends it before reporting ready, so it is already queued here.
  const received = addon().recvFd(socketFd, 5000);
  if (!received) throw new Error('the container did not send its terminal');
  return received.fd;
}

// A --console-socket receiver, as containerd and conmon run one: listen on a unix socket, accept
// the runtime's connection, take the pty master it sends with SCM_RIGHTS, then talk to the
// container's terminal through that master. Node cannot receive fds on unix sockets, so the
// socket work goes through husk's addon (listenUnix, acceptUnix, recvFd).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { REPO_ROOT } from './paths';
import { waitFor } from './wait';

interface SocketAddon {
  listenUnix(path: string): number;
  acceptUnix(listenFd: number, timeoutMs: number): number | null;
  recvFd(socketFd: number, timeoutMs: number): { fd: number; name: string } | null;
  windowSize(fd: number): { rows: number; cols: number } | null;
  setWindowSize(fd: number, rows: number, cols: number): void;
  close(fd: number): void;
}

function socketAddon(): SocketAddon {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(path.join(REPO_ROOT, 'build', 'Release', 'husk_addon.node')) as SocketAddon;
}

/** The pty master a runtime sent: read what the container writes, write what it reads. */
export class ReceivedTerminal {
  private readonly stream: tty.ReadStream;
  private text = '';
  private ended = false;

  constructor(
    readonly masterFd: number,
    /** The text the runtime sent with the fd (runc sends "/dev/ptmx"). */
    readonly name: string,
  ) {
    this.stream = new tty.ReadStream(masterFd);
    this.stream.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
    const end = () => {
      this.ended = true;
    };
    this.stream.on('end', end);
    this.stream.on('error', end);
  }

  /** Everything read so far (the pty turns "\n" into "\r\n"). */
  get output(): string {
    return this.text;
  }

  /** The output with "\r\n" as "\n". */
  get lines(): string {
    return this.text.replace(/\r\n/g, '\n');
  }

  write(text: string): void {
    this.stream.write(text);
  }

  windowSize(): { rows: number; cols: number } | null {
    return socketAddon().windowSize(this.masterFd);
  }

  async waitForOutput(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    const matches = () => (typeof pattern === 'string' ? this.lines.includes(pattern) : pattern.test(this.lines));
    return waitFor(() => `terminal output matching ${pattern} (so far: ${JSON.stringify(this.text)})`, () => matches() && this.lines, {
      timeoutMs,
    });
  }

  /** Resolves once the last slave fd closed (all processes on the terminal exited). */
  async waitForEnd(timeoutMs = 5000): Promise<string> {
    await waitFor('end of terminal output', () => this.ended, { timeoutMs });
    return this.lines;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** A listening console socket under `dir`. */
export class ConsoleReceiver {
  readonly socketPath: string;
  private readonly listenFd: number;
  private readonly terminals: ReceivedTerminal[] = [];

  constructor(dir: string, name = 'console.sock') {
    this.socketPath = path.join(dir, name);
    fs.rmSync(this.socketPath, { force: true });
    this.listenFd = socketAddon().listenUnix(this.socketPath);
  }

  /**
   * Accept the runtime's connection and take the master. Blocking (the runtime connects during
   * create/exec, which the test runs as a child process meanwhile), so call it while that runs.
   */
  async receive(timeoutMs = 10_000): Promise<ReceivedTerminal> {
    const native = socketAddon();
    const deadline = Date.now() + timeoutMs;
    let connection: number | null = null;
    // Poll in short slices so the test's other promises (the runtime's exit) keep running.
    while (connection === null) {
      if (Date.now() > deadline) throw new Error(`nothing connected to ${this.socketPath} within ${timeoutMs} ms`);
      connection = native.acceptUnix(this.listenFd, 0);
      if (connection === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try {
      let received: { fd: number; name: string } | null = null;
      while (received === null) {
        if (Date.now() > deadline) throw new Error(`no fd arrived on ${this.socketPath} within ${timeoutMs} ms`);
        received = native.recvFd(connection, 0);
        if (received === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const terminal = new ReceivedTerminal(received.fd, received.name);
      this.terminals.push(terminal);
      return terminal;
    } finally {
      native.close(connection);
    }
  }

  close(): void {
    for (const terminal of this.terminals) terminal.close();
    socketAddon().close(this.listenFd);
    fs.rmSync(this.socketPath, { force: true });
  }
}

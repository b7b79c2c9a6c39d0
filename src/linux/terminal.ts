// process.terminal and the console socket: which combinations make sense, and the plan fields.
//
// Where the pty master goes (runc's rules, utils_linux.go checkTerminal):
//   terminal, detached (create, run -d, exec -d)   --console-socket is required: the caller gets the master
//   terminal, foreground (run, exec)              husk gets the master and attaches the current terminal
//   no terminal                                   stdio passes through; --console-socket is an error
import { HuskError } from '../errors';
import type { Process } from '../spec/types';
import type { ConsoleSize } from './plan';

export interface TerminalRequest {
  /** process.terminal (for exec: --tty, or the --process file's). */
  terminal: boolean;
  /** --console-socket, if given. */
  consoleSocket: string | undefined;
  /** husk returns while the process runs (create, run -d, exec -d). */
  detached: boolean;
}

/** Throws runc's errors for combinations that leave the terminal or the socket without a user. */
export function checkTerminalRequest(request: TerminalRequest): void {
  if (request.detached && request.terminal && !request.consoleSocket) {
    // runc: "cannot allocate tty if runc will detach without setting console socket"
    throw new HuskError(
      'process.terminal is true but husk returns while the process runs, so nobody would hold its terminal; pass --console-socket <path> (the master fd is sent there), or set terminal to false',
    );
  }
  if (request.consoleSocket && !(request.detached && request.terminal)) {
    // runc: "cannot use console socket if runc will not detach or allocate tty"
    const why = request.terminal
      ? 'in the foreground husk attaches the terminal itself'
      : 'the process gets no terminal (process.terminal is false)';
    throw new HuskError(`--console-socket: nothing would be sent to it: ${why}`);
  }
}

/** Rows and columns must fit the kernel's struct winsize (unsigned short). */
export function planConsoleSize(size: Process['consoleSize'], where: string): ConsoleSize | null {
  if (!size) return null;
  for (const field of ['height', 'width'] as const) {
    const value = size[field];
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new HuskError(`${where}.${field}: ${value} is not a terminal size (0 to 65535)`);
    }
  }
  // runc applies it only when both are set; a 0 in either leaves the kernel's default.
  if (size.height === 0 || size.width === 0) return null;
  return { height: size.height, width: size.width };
}

/** Whether a config's process asks for a terminal. */
export function wantsTerminal(process: Process | undefined): boolean {
  return process?.terminal === true;
}

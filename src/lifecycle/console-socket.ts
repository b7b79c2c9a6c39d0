// --console-socket of create, run -d and exec -d: husk connects to the caller's unix socket (as
// runc does, before the process exists, so that a socket nobody listens on fails the command) and
// hands the connection to the container side, which sends the pty master over it.
import { addon } from '../addon';
import { HuskError } from '../errors';

/** The connected socket's fd (close-on-exec); the caller closes it once the process is started. */
export function connectConsoleSocket(socketPath: string): number {
  try {
    return addon().consoleConnect(socketPath);
  } catch (err) {
    // "connecting to console socket /run/x.sock: ECONNREFUSED: Connection refused"
    throw new HuskError(`--console-socket: ${(err as Error).message}`);
  }
}

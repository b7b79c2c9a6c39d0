// Ending processes husk started, on failure paths: no error may hide the one being reported.
import { addon } from '../addon';

/** SIGKILL `pid`, ignoring a process that is already gone. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** SIGKILL a child of husk and collect it, so it leaves no zombie. */
export function killAndReap(pid: number): void {
  killQuietly(pid);
  try {
    addon().waitpid(pid, 0);
  } catch {
    /* reaped already */
  }
}

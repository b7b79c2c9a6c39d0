// `husk kill`: signal the init through a pidfd, after checking that the pid still names the
// init (same start time), so a recycled pid is never signalled.
import { addon } from '../addon';
import { openCgroup } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { containerStatus, isFromAnotherBoot, isProcessAlive, readState, withContainerLock } from '../state';
import type { ContainerState } from '../state';
import { parseSignal } from './signals';

export function killContainer(global: GlobalOptions, id: string, signalText: string, all: boolean): void {
  const signal = parseSignal(signalText);
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    // runc refuses to signal a stopped container, except --all, which may still find processes
    // of a container without its own pid namespace.
    if (status === 'stopped' && !all) throw new HuskError(`cannot kill container '${id}': it is not running`);
    // A state from before a reboot: its cgroup path and pid may be someone else's now.
    if (isFromAnotherBoot(state)) return;
    if (all && state.cgroup) {
      openCgroup(state.cgroup).killAll(signal);
      return;
    }
    signalInit(state, signal);
  });
}

/** Signal the init; false when it is already gone. */
export function signalInit(state: ContainerState, signal: number): boolean {
  const native = addon();
  let pidfd: number;
  try {
    pidfd = native.pidfdOpen(state.pid);
  } catch {
    return false;
  }
  try {
    // The pidfd pins the process; checking identity after opening it closes the recycling race.
    if (!isProcessAlive(state.pid, state.pidStartTime || undefined)) return false;
    native.pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new HuskError(`cannot signal the init of container '${state.id}': ${(err as Error).message}`);
  } finally {
    native.close(pidfd);
  }
}

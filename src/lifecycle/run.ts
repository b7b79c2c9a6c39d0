// `husk run`: create + start. In the foreground husk stays, forwards the signals it gets to the
// init, and exits with the init's status (128+N when a signal killed it), deleting the container
// afterwards unless --keep. The init is husk's own child (clone3 CLONE_PARENT), so husk can wait
// for it without becoming a subreaper.
import { addon } from '../addon';
import type { GlobalOptions } from '../cli/context';
import { containerStatus, readState, withContainerLock } from '../state';
import type { ContainerState } from '../state';
import { createWaitingContainer } from './create';
import type { CreateOptions } from './create';
import { destroyContainer } from './delete';
import { startContainer } from './start';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

export async function runContainer(global: GlobalOptions, options: RunOptions): Promise<number> {
  const state = createWaitingContainer(global, options);
  try {
    await startContainer(global, options.id);
  } catch (err) {
    removeContainer(global, options.id);
    throw err;
  }
  if (options.detach) return 0;
  const status = await waitForInit(state);
  if (!options.keep) removeContainer(global, options.id);
  return status;
}

async function waitForInit(state: ContainerState): Promise<number> {
  const native = addon();
  const pidfd = native.pidfdOpen(state.pid);
  const forward = (signal: NodeJS.Signals) => {
    try {
      native.pidfdSendSignal(pidfd, require('os').constants.signals[signal]);
    } catch {
      /* the init is gone; its exit is about to be collected */
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    await native.pidfdWait(pidfd);
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    native.close(pidfd);
  }
  const exit = native.waitpid(state.pid, 0);
  return exit.signal ? 128 + exit.signal : exit.exitCode;
}

function removeContainer(global: GlobalOptions, id: string): void {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    if (containerStatus(state) !== 'stopped' || state.pid) destroyContainer(global.root, state);
  });
}

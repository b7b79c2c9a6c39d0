// `husk run`: create + start. In the foreground husk stays, forwards the signals it gets to the
// init, and exits with the init's status (128+N when a signal killed it), deleting the container
// afterwards unless --keep. The init is husk's own child (clone3 CLONE_PARENT), so husk can wait
// for it without becoming a subreaper.
//
// With process.terminal in the foreground, husk receives the pty master over a socketpair of its
// own (instead of --console-socket) and attaches the terminal it runs in (attach.ts).
import { addon } from '../addon';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { containerStatus, readState, withContainerLock } from '../state';
import type { ContainerState } from '../state';
import { TerminalAttachment, receiveMaster } from './attach';
import { createWaitingContainer } from './create';
import type { CreateOptions } from './create';
import { destroyContainer } from './delete';
import { waitInForeground } from './foreground';
import { startContainer } from './start';
import { needsOwnProcess } from '../daemon/mode';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

export async function runContainer(global: GlobalOptions, options: RunOptions): Promise<number> {
  const native = addon();
  const foreground = !options.detach;
  // A foreground terminal needs no --console-socket: the master comes to husk over a socketpair
  // (used only if the config asks for a terminal).
  const [ourConsoleEnd, theirConsoleEnd] = foreground && !options.consoleSocket ? native.socketPair() : [-1, -1];
  let state: ContainerState;
  let attachment: TerminalAttachment | undefined;
  try {
    state = createWaitingContainer(global, {
      ...options,
      foreground,
      consoleSocketFd: theirConsoleEnd >= 0 ? theirConsoleEnd : undefined,
      // The terminal to attach is the caller's, and so are its SIGWINCHes: the Node CLI does it.
      checkSpec: (spec) => {
        if (foreground && spec.process?.terminal === true) needsOwnProcess('run attached to a terminal');
      },
    });
    try {
      if (ourConsoleEnd >= 0 && state.extra?.terminal) attachment = new TerminalAttachment(receiveMaster(ourConsoleEnd));
    } catch (err) {
      removeContainer(global, options.id);
      throw err instanceof HuskError ? err : new HuskError(`run: ${(err as Error).message}`);
    }
  } finally {
    if (ourConsoleEnd >= 0) native.close(ourConsoleEnd);
    if (theirConsoleEnd >= 0) native.close(theirConsoleEnd);
  }
  // Forward signals from before start on (as runc does): a SIGTERM that arrives while start runs
  // must reach the container, not end husk and leave the container unwatched.
  const exited = foreground ? waitInForeground(state.pid, { onWindowChange: () => attachment?.resize() }) : undefined;
  try {
    await startContainer(global, options.id);
  } catch (err) {
    attachment?.close();
    removeContainer(global, options.id);
    await exited?.().catch(() => 0);
    throw err;
  }
  if (!exited) return 0;
  let status: number;
  try {
    status = await exited();
    await attachment?.finish();
  } finally {
    attachment?.close();
  }
  if (!options.keep) removeContainer(global, options.id);
  return status;
}

function removeContainer(global: GlobalOptions, id: string): void {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    if (containerStatus(state) !== 'stopped' || state.pid) destroyContainer(global.root, state);
  });
}

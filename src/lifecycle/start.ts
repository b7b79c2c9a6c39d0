// `husk start`: release the init that waits on the exec fifo, and return once the user's
// program has been executed (the init closes the fifo at execve), then run poststart hooks.
import * as fs from 'fs';
import { addon } from '../addon';
import type { GlobalOptions } from '../cli/context';
import { HuskError, describeSystemError } from '../errors';
import { runHooks } from '../hooks';
import { mark } from '../timing';
import { containerStatus, readState, toSpecState, withContainerLock } from '../state';

export async function startContainer(global: GlobalOptions, id: string): Promise<void> {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    if (status === 'running') throw new HuskError(`cannot start container '${id}': it is already running`);
    if (status === 'stopped') throw new HuskError(`cannot start container '${id}': it has stopped`);
    if (status === 'paused') throw new HuskError(`cannot start container '${id}': it is paused`);
    mark('state');
    releaseInit(state.execFifo, JSON.stringify(toSpecState(state, 'created')), id);
    mark('fifo-wait');
    // runtime-spec: poststart runs after the user process started, before start returns; a
    // failure is a warning only.
    runHooks('poststart', state.hooks.poststart, toSpecState(state, 'running'));
  });
}

/** Write the start byte and the state JSON into the fifo, then wait until the init has exec'd. */
export function releaseInit(execFifo: string, stateJson: string, id: string): void {
  let probe: number;
  try {
    // Non-blocking first: with no reader (the init died) this fails with ENXIO instead of hanging.
    probe = fs.openSync(execFifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') throw new HuskError(`cannot start container '${id}': its init process is no longer waiting`);
    throw new HuskError(`cannot start container '${id}': opening ${execFifo}: ${describeSystemError(err)}`);
  }
  try {
    // A reader exists, so this blocking open returns at once; blocking writes take any size.
    const writer = fs.openSync(execFifo, fs.constants.O_WRONLY);
    try {
      fs.writeSync(writer, Buffer.concat([Buffer.from('S'), Buffer.from(stateJson), Buffer.from([0])]));
    } finally {
      fs.closeSync(writer);
    }
    // From here on the container counts as running (runc's rule: no fifo, live init).
    fs.rmSync(execFifo, { force: true });
    addon().waitFifoReadersGone(probe, -1);
  } finally {
    fs.closeSync(probe);
  }
}

// `husk start`: release the init that waits on the exec fifo, and return once the user's
// program has been executed (the init closes the fifo at execve), then run poststart hooks (a
// failing one stops the container and fails start).
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../addon';
import type { GlobalOptions } from '../cli/context';
import { HuskError, describeSystemError } from '../errors';
import { runHooks } from '../hooks';
import { mark } from '../timing';
import { openCgroup } from '../cgroups';
import { containerStatus, isProcessAlive, pidInOwnNamespace, readState, toSpecState, withContainerLock } from '../state';
import type { ContainerState } from '../state';
import { signalInit } from './kill';

const SIGKILL = 9;

export async function startContainer(global: GlobalOptions, id: string): Promise<void> {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    if (status === 'running') throw new HuskError(`cannot start container '${id}': it is already running`);
    if (status === 'stopped') throw new HuskError(`cannot start container '${id}': it has stopped`);
    if (status === 'paused') throw new HuskError(`cannot start container '${id}': it is paused`);
    mark('state');
    // Only startContainer hooks read the state (create checked it fits the fifo's reader). They
    // run in the container namespace, so the pid is the one the container sees (runtime.md "State").
    const specState = toSpecState(state, 'created');
    const hookState = state.hooks.startContainer?.length ? JSON.stringify({ ...specState, pid: pidInOwnNamespace(state.pid) ?? specState.pid }) : '';
    releaseInit(state.execFifo, hookState, id);
    mark('fifo-wait');
    // runtime-spec: poststart runs after the user process started, before start returns. Since
    // v1.3 (runtime.md "Lifecycle" step 9, runtime-spec#1262) a failing poststart hook is an
    // error that stops the container, as runc has always done; earlier versions said "warn".
    try {
      runHooks('poststart', state.hooks.poststart, toSpecState(state, 'running'));
    } catch (err) {
      stopContainer(state);
      throw err;
    }
  });
}

/** Kill every process of the container and wait (briefly) for the init to be gone. */
function stopContainer(state: ContainerState): void {
  signalInit(state, SIGKILL);
  if (state.cgroup) {
    const cgroup = openCgroup(state.cgroup);
    if (cgroup.exists()) cgroup.killAll(SIGKILL);
  }
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (isProcessAlive(state.pid, state.pidStartTime || undefined) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 2);
}

/** Where the init reports a failure after start (a sibling of the exec fifo). */
export function resultFifoFor(execFifo: string): string {
  return path.join(path.dirname(execFifo), 'result.fifo');
}

/**
 * Write the start byte and the state JSON into the exec fifo, wait until the init has exec'd (or
 * died), then read the result fifo: the init writes there only if a startContainer hook or the
 * execve failed, and then start fails too.
 */
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
  // Opened before the init is released, so whatever it writes before dying stays readable.
  const result = openResultFifo(resultFifoFor(execFifo));
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
    if (result !== undefined) throwIfInitFailed(result, id);
  } finally {
    fs.closeSync(probe);
    if (result !== undefined) fs.closeSync(result);
  }
}

function openResultFifo(file: string): number | undefined {
  try {
    return fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return undefined; // a container created by a husk without result fifos
  }
}

function throwIfInitFailed(fd: number, id: string): void {
  const buffer = Buffer.alloc(256);
  let length = 0;
  try {
    length = fs.readSync(fd, buffer, 0, buffer.length, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
  }
  const report = buffer.subarray(0, length).toString().trim();
  if (!report) return;
  const [what, value] = report.split(' ');
  if (what === 'hook' || what === 'hook-timeout') {
    const how = what === 'hook' ? 'failed' : 'timed out';
    throw new HuskError(`container '${id}' stopped: its startContainer hook hooks.startContainer[${value}] ${how}`);
  }
  if (what === 'exec') {
    throw new HuskError(`container '${id}' stopped: executing its program failed: ${addon().errnoText(Number(value))}`);
  }
  throw new HuskError(`container '${id}' stopped: its init reported '${report}'`);
}

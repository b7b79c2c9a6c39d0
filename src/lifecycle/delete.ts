// `husk delete`: remove a stopped (or created) container: its processes, cgroup and state.
// --force kills a running one first. poststop hooks run last; their failures are warnings.
import { openCgroup } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { runHooks } from '../hooks';
import { logWarn } from '../log';
import {
  containerStatus,
  isProcessAlive,
  readState,
  removeStateDir,
  stateDirectory,
  toSpecState,
  validateContainerId,
  withContainerLock,
} from '../state';
import type { ContainerState } from '../state';
import * as fs from 'fs';
import { signalInit } from './kill';

const SIGKILL = 9;

export async function deleteContainer(global: GlobalOptions, id: string, force: boolean): Promise<void> {
  validateContainerId(id);
  // runc: `delete --force` of a container that does not exist succeeds (containerd relies on it).
  if (force && !fs.existsSync(stateDirectory(global.root, id))) return;
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    // A created container's init only waits for start: deleting it is allowed (as in runc).
    if ((status === 'running' || status === 'paused') && !force) {
      throw new HuskError(`cannot delete container '${id}': it is ${status} (stop it first, or use --force)`);
    }
    destroyContainer(global.root, state);
  });
}

/** Kill everything of the container, remove its cgroup and state, run poststop hooks. */
export function destroyContainer(root: string, state: ContainerState): void {
  const cgroup = state.cgroup ? openCgroup(state.cgroup) : undefined;
  if (cgroup?.isFrozen()) cgroup.thaw(); // a frozen process cannot die
  if (state.pid > 0 && signalInit(state, SIGKILL)) waitUntilGone(state);
  // Without its own pid namespace the init's death does not take the others with it.
  if (cgroup?.exists()) cgroup.killAll(SIGKILL);
  if (cgroup) cgroup.destroy();
  removeStateDir(root, state.id);
  runHooks('poststop', state.hooks.poststop, toSpecState(state, 'stopped'), { warn: logWarn });
}

function waitUntilGone(state: ContainerState): void {
  const deadline = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (isProcessAlive(state.pid, state.pidStartTime || undefined)) {
    if (Date.now() > deadline) throw new HuskError(`the init of container '${state.id}' (pid ${state.pid}) did not die after SIGKILL`);
    Atomics.wait(pause, 0, 0, 2);
  }
}

// `husk delete`: remove a stopped (or created) container: its processes, cgroup and state.
// --force kills a running one first. poststop hooks run last; their failures are warnings.
import { openCgroup } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { runHooks } from '../hooks';
import { faultPoint } from '../fault';
import { mark } from '../timing';
import { logWarn } from '../log';
import {
  NoSuchContainerError,
  containerStatus,
  isFromAnotherBoot,
  isProcessAlive,
  readState,
  removeStateDir,
  stateDirectory,
  stateFilePath,
  sweepRemnants,
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
  sweepRemnants(global.root);
  // runc: `delete --force` of a container that does not exist succeeds (containerd relies on it).
  if (force && !fs.existsSync(stateDirectory(global.root, id))) return;
  try {
    deleteLocked(global, id, force);
  } catch (err) {
    // Another delete removed it while we waited for its lock: gone is what --force asked for.
    if (force && err instanceof NoSuchContainerError) return;
    throw err;
  }
}

function deleteLocked(global: GlobalOptions, id: string, force: boolean): void {
  withContainerLock(global.root, id, () => {
    // Holding the lock, a directory without state.json is what a create killed before its first
    // state write left: it made no cgroup and no process yet (it records the cgroup before
    // making it), so the directory is all there is.
    if (!fs.existsSync(stateFilePath(global.root, id))) {
      removeStateDir(global.root, id);
      return;
    }
    const state = readState(global.root, id);
    mark('state');
    faultPoint('delete:locked');
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
  // After a reboot (a stale --root) the container's processes and cgroups ended with the old
  // boot: whatever has its pid or cgroup path now belongs to someone else and is left alone.
  const rebooted = isFromAnotherBoot(state);
  const cgroup = state.cgroup && !rebooted ? openCgroup(state.cgroup) : undefined;
  if (cgroup?.isFrozen()) cgroup.thaw(); // a frozen process cannot die
  if (!rebooted && state.pid > 0 && signalInit(state, SIGKILL)) waitUntilGone(state);
  // Without its own pid namespace the init's death does not take the others with it.
  if (cgroup?.exists()) cgroup.killAll(SIGKILL);
  mark('kill');
  faultPoint('delete:killed');
  if (cgroup) cgroup.destroy();
  mark('cgroup');
  faultPoint('delete:cgroup');
  removeStateDir(root, state.id);
  mark('files');
  faultPoint('delete:hooks');
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

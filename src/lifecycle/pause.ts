// `husk pause` and `husk resume`: freeze and thaw every process of the container through its
// cgroup (the v1 freezer controller, or cgroup.freeze on v2). The status is derived, not stored:
// `state` reports "paused" for as long as the freezer says FROZEN (see state/status.ts).
import { openCgroup } from '../cgroups';
import type { Cgroup } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { containerStatus, readState, withContainerLock } from '../state';
import type { ContainerState } from '../state';

export function pauseContainer(global: GlobalOptions, id: string): void {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    // runc pauses running and created containers, and refuses the rest ("container not running").
    if (status !== 'running' && status !== 'created') throw new HuskError(`cannot pause container '${id}': it is ${status}`);
    containerCgroup(state, 'pause').freeze();
  });
}

export function resumeContainer(global: GlobalOptions, id: string): void {
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    const status = containerStatus(state);
    // runc: "container not paused".
    if (status !== 'paused') throw new HuskError(`cannot resume container '${id}': it is ${status}, not paused`);
    containerCgroup(state, 'resume').thaw();
  });
}

/** The container's cgroup, or a clear error for a container created without one. */
export function containerCgroup(state: ContainerState, action: string): Cgroup {
  if (!state.cgroup) throw new HuskError(`cannot ${action} container '${state.id}': it has no cgroup`);
  return openCgroup(state.cgroup);
}

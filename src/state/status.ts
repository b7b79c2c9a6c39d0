// A container's status is derived, never stored: processes die and cgroups freeze without asking
// husk, so a stored status would go stale. The rules are runc's:
//   stopped  the init is gone: no such pid, a zombie, or another process with the recycled pid
//   paused   the init lives and the cgroup freezer reports FROZEN
//   created  the init lives and the exec fifo still exists (the init is waiting on it; start
//            removes it)
//   running  the init lives and the fifo is gone
// runc checks "paused" before "stopped". We check the init first: the runtime-spec defines
// stopped as "the container process has exited", and a frozen cgroup does not change that.
import * as fs from 'fs';
import { openCgroup } from '../cgroups';
import type { CgroupRecord } from '../cgroups/types';
import type { SpecState, Status } from '../spec/types';
import { currentBootId, isProcessAlive } from './proc';
import { ContainerState, listContainerIds, readState } from './store';

/** What status derivation asks the system; injectable for tests. */
export interface StatusProbes {
  isAlive(pid: number, startTime: number): boolean;
  /** The current boot id (undefined: unknown, never taken for a reboot). */
  bootId(): string | undefined;
  fileExists(path: string): boolean;
  isFrozen(cgroup: CgroupRecord): boolean;
}

export const systemProbes: StatusProbes = {
  isAlive: (pid, startTime) => isProcessAlive(pid, startTime === 0 ? undefined : startTime),
  bootId: currentBootId,
  fileExists: (path) => fs.existsSync(path),
  isFrozen: (cgroup) => {
    try {
      return openCgroup(cgroup).isFrozen();
    } catch {
      return false; // a cgroup that cannot be read is not one we can call paused
    }
  },
};

export function containerStatus(state: ContainerState, probes: Partial<StatusProbes> = {}): Status {
  const probe = { ...systemProbes, ...probes };
  // After a reboot nothing of the container runs, whatever the pid names now (a stale --root).
  if (isFromAnotherBoot(state, probe)) return 'stopped';
  // A provisional state (create records the cgroup and then the init's pid as it goes, so that a
  // killed create leaves something delete --force can clean up) is "creating" while its create
  // runs; once that process is gone, the usual rules say what is left of the container.
  const creator = creatorOf(state);
  if (creator && probe.isAlive(creator.pid, creator.startTime)) return 'creating';
  if (state.pid <= 0 || !probe.isAlive(state.pid, state.pidStartTime)) return 'stopped';
  if (state.cgroup && probe.isFrozen(state.cgroup)) return 'paused';
  if (probe.fileExists(state.execFifo)) return 'created';
  return 'running';
}

/** Whether the state was recorded under another boot of the machine than this one. */
export function isFromAnotherBoot(state: ContainerState, probes: Partial<StatusProbes> = {}): boolean {
  const now = (probes.bootId ?? systemProbes.bootId)();
  return state.bootId !== undefined && now !== undefined && state.bootId !== now;
}

/** The key in ContainerState.extra under which a running create names itself. */
export const CREATOR_KEY = 'creating';

export interface Creator {
  pid: number;
  startTime: number;
}

/** Which process is still creating this container (set in a provisional state.json only). */
export function creatorOf(state: ContainerState): Creator | undefined {
  const creator = state.extra?.[CREATOR_KEY] as Partial<Creator> | undefined;
  if (!creator || !Number.isInteger(creator.pid) || !Number.isInteger(creator.startTime)) return undefined;
  return { pid: creator.pid!, startTime: creator.startTime! };
}

/**
 * The runtime-spec state (what hooks get on stdin). Like runc, the pid is left out once the
 * container is stopped: it may already belong to another process.
 */
export function toSpecState(state: ContainerState, status: Status): SpecState {
  const spec: SpecState = { ociVersion: state.ociVersion, id: state.id, status, bundle: state.bundle };
  if (status !== 'stopped' && state.pid > 0) spec.pid = state.pid;
  if (Object.keys(state.annotations).length > 0) spec.annotations = { ...state.annotations };
  return spec;
}

/** What `runc state` prints, field for field and in runc's order (pid 0 once stopped). */
export interface RuncStateOutput {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export function toRuncStateOutput(state: ContainerState, status: Status): RuncStateOutput {
  const hasAnnotations = Object.keys(state.annotations).length > 0;
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: status === 'stopped' ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    ...(hasAnnotations ? { annotations: { ...state.annotations } } : {}),
    owner: state.owner,
  };
}

export interface ListedContainer {
  state: ContainerState;
  status: Status;
}

/**
 * Every container under root with its status, sorted by id. Directories whose state.json is
 * missing, torn or invalid (a create in progress or one that crashed) are skipped, not fatal.
 */
export function listContainers(root: string, probes: Partial<StatusProbes> = {}): ListedContainer[] {
  const listed: ListedContainer[] = [];
  for (const id of listContainerIds(root)) {
    let state: ContainerState;
    try {
      state = readState(root, id);
    } catch {
      continue;
    }
    listed.push({ state, status: containerStatus(state, probes) });
  }
  return listed;
}

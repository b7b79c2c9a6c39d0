// The container state directory: ids, state.json, locks, process identity and status.
export { MAX_CONTAINER_ID_LENGTH, isValidContainerId, validateContainerId } from './id';
export type { ProcessStat, ProcOptions } from './proc';
export { currentBootId, isProcessAlive, parseProcessStat, pidInOwnNamespace, readProcessStartTime, readProcessStat } from './proc';
export type { LockOptions, Locker } from './lock';
export { CONTAINER_LOCK_FILE, flockLocker, heldLockFds, sweepRemnants, withContainerLock, withNewContainer, withRootLock } from './lock';
export type { ContainerState } from './store';
export {
  DELETING_PREFIX, EXEC_FIFO_FILE, NoSuchContainerError, STATE_FILE, STATE_FORMAT_VERSION, execFifoPath, listContainerIds, nowRfc3339Nano, readState,
  removeStateDir, rfc3339Nano, stateDirectory, stateFilePath, writeState,
} from './store';
export type { ListedContainer, RuncStateOutput, StatusProbes } from './status';
export type { Creator } from './status';
export { CREATOR_KEY, containerStatus, creatorOf, isFromAnotherBoot, listContainers, systemProbes, toRuncStateOutput, toSpecState } from './status';

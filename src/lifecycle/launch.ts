// Drives the container side through its setup, over the sync socket (addon/sync.h):
//
//   parent (husk)                         stage 1 / init (addon/clone.c)
//   spawnInit ─────────────────────────▶  stage 1 waits
//   move stage 1 into the cgroups, GO ──▶ joins, new user namespace
//   ◀──────────────────── USERNS_READY     (only with a new user namespace)
//   write uid_map/gid_map, GO ──────────▶ unshare, clone init, stage 1 exits
//   ◀──────────────────── INIT_PID
//   ◀──────────────────── RUNTIME_HOOKS    (mounts and devices done)
//   prestart + createRuntime hooks, GO + state JSON ──▶ createContainer hooks, pivot_root, user...
//   ◀──────────────────── SECCOMP_LISTENER (only with SCMP_ACT_NOTIFY; the listener fd attached)
//   fd + state to the agent at listenerPath, GO ──▶
//   ◀──────────────────── READY            (init now blocks on the exec fifo)
//
// Any ERROR message, or the socket closing early, fails the launch with a sentence saying which
// step failed on what; the caller then removes everything (see create.ts).
import * as fs from 'fs';
import { addon } from '../addon';
import { HuskError } from '../errors';
import { faultPoint } from '../fault';
import type { LaunchPlan } from '../linux/plan';
import { explainChildFailure, SyncType } from './child-steps';
import { logDebug } from '../log';
import { compileSeccomp, containerProcessState, sendListenerToAgent } from '../linux/seccomp';
import type { ContainerProcessState } from '../linux/seccomp';
import { killQuietly } from './processes';
import { heldLockFds } from '../state';

export interface LaunchCallbacks {
  /** Stage 1 exists (pid in husk's pid namespace): put it into the container's cgroups. */
  placeInCgroups(stage1Pid: number): void;
  /** Write /proc/<pid>/uid_map and gid_map. */
  writeIdMaps(pid: number): void;
  /** The init exists: the state now has its pid. */
  initExists(initPid: number): void;
  /** Mounts are done: run prestart and createRuntime hooks; return the state JSON for createContainer hooks. */
  runtimeHooks(initPid: number): string;
  /** The runtime-spec state (status "creating") for the seccomp agent; needed with SCMP_ACT_NOTIFY. */
  specState?(initPid: number): ContainerProcessState['state'];
}

export interface LaunchedInit {
  initPid: number;
}

/** Spawns the init per `plan` and returns once it waits for start. Cleans up its own processes on failure. */
export function launchInit(plan: LaunchPlan, callbacks: LaunchCallbacks): LaunchedInit {
  const native = addon();
  if (plan.seccomp && !plan.seccomp.program) {
    const started = process.hrtime.bigint();
    compileSeccomp(plan.seccomp, native, logDebug);
    logDebug(`seccomp: ${plan.seccomp.rules.length} rules compiled to ${plan.seccomp.program!.length / 8} BPF instructions in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  }
  let spawned;
  faultPoint('create:before-clone');
  try {
    spawned = native.spawnInit(plan, heldLockFds());
  } catch (err) {
    throw new HuskError(`cannot start the container init: ${(err as Error).message}`);
  }
  const { stage1Pid, syncFd } = spawned;
  let initPid = 0;
  let stage1Reaped = false;
  const reapStage1 = () => {
    if (!stage1Reaped) {
      stage1Reaped = true;
      native.waitpid(stage1Pid, 0);
    }
  };
  try {
    faultPoint('create:after-clone');
    callbacks.placeInCgroups(stage1Pid);
    if (plan.oomScoreAdj !== undefined && plan.oomScoreAdj !== null) writeOomScoreAdj(stage1Pid, plan.oomScoreAdj);
    native.syncSend(syncFd, SyncType.GO);
    for (;;) {
      const msg = native.syncRecv(syncFd, -1);
      switch (msg.type) {
        case SyncType.USERNS_READY:
          callbacks.writeIdMaps(msg.value);
          native.syncSend(syncFd, SyncType.GO);
          break;
        case SyncType.INIT_PID:
          initPid = msg.value;
          reapStage1();
          callbacks.initExists(initPid);
          break;
        case SyncType.RUNTIME_HOOKS:
          faultPoint('create:mounts');
          native.syncSend(syncFd, SyncType.GO, callbacks.runtimeHooks(initPid));
          break;
        case SyncType.SECCOMP_LISTENER:
          handOverSeccompListener(plan, msg.fd ?? -1, initPid, callbacks, native);
          native.syncSend(syncFd, SyncType.GO);
          break;
        case SyncType.READY:
          return { initPid };
        case SyncType.ERROR:
          throw new HuskError(explainChildFailure(msg.value, msg.errno, msg.detail, plan, native.errnoText));
        case SyncType.EOF:
          throw new HuskError(`container init exited during setup${exitStatusText(native, initPid || stage1Pid)}`);
        default:
          throw new HuskError(`container init sent an unknown message (${msg.type})`);
      }
    }
  } catch (err) {
    killQuietly(stage1Pid);
    if (initPid) killQuietly(initPid);
    if (!stage1Reaped) {
      stage1Reaped = true;
      native.waitpid(stage1Pid, 0);
    }
    if (initPid) {
      try {
        native.waitpid(initPid, 0);
      } catch {
        /* not our child (cannot happen with CLONE_PARENT), nothing to reap */
      }
    }
    throw err;
  } finally {
    native.close(syncFd);
  }
}

/**
 * process.oomScoreAdj for the first stage before it does anything: the init and everything it
 * starts inherit the value. Written by husk (not the child) because lowering it needs
 * CAP_SYS_RESOURCE in the initial user namespace, which a child in a new user namespace lacks.
 */
function writeOomScoreAdj(pid: number, value: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
  } catch (err) {
    throw new HuskError(`process.oomScoreAdj: writing /proc/${pid}/oom_score_adj: ${(err as Error).message}`);
  }
}

function handOverSeccompListener(
  plan: LaunchPlan,
  fd: number,
  initPid: number,
  callbacks: LaunchCallbacks,
  native: ReturnType<typeof addon>,
): void {
  try {
    if (fd < 0 || !plan.seccomp?.listenerPath) throw new HuskError('container init sent a seccomp listener husk did not ask for');
    if (!callbacks.specState) throw new HuskError('linux.seccomp.listenerPath: this operation cannot hand a seccomp listener to an agent');
    const state = containerProcessState(plan.seccomp, initPid, callbacks.specState(initPid));
    sendListenerToAgent(plan.seccomp, fd, state, (listenerPath, listenerFd, json) => native.sendSeccompListener(listenerPath, listenerFd, json));
  } finally {
    if (fd >= 0) native.close(fd);
  }
}


function exitStatusText(native: ReturnType<typeof addon>, pid: number): string {
  try {
    const status = native.waitpid(pid, 1 /* WNOHANG */);
    if (status.pid === 0) return '';
    if (status.signal) return ` (killed by signal ${status.signal})`;
    return ` (exit status ${status.exitCode})`;
  } catch {
    return '';
  }
}

/** Text for /proc/<pid>/uid_map from the spec's mappings. */
export function idMapText(mappings: Array<{ containerID: number; hostID: number; size: number }>): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

export function writeIdMapFiles(pid: number, uidMap: string, gidMap: string, denySetgroups: boolean): void {
  try {
    if (denySetgroups) fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    fs.writeFileSync(`/proc/${pid}/uid_map`, uidMap);
    fs.writeFileSync(`/proc/${pid}/gid_map`, gidMap);
  } catch (err) {
    throw new HuskError(`writing the user namespace maps of the init: ${(err as Error).message}`);
  }
}

// `husk exec`: start another process in a running (or created) container.
//
//   1. Under the container's lock: the container must be running or created (paused only with
//      --ignore-paused, as runc), and a pidfd of its init is taken. The pidfd pins the init: if
//      it dies later, the join fails instead of reaching a recycled pid. The lock is let go at
//      once, so kill and delete never wait for an exec.
//   2. The process is planned (src/linux/exec-plan.ts) and spawned (addon/exec.c): stage 1 is
//      placed in the container's cgroups, joins every namespace of the init with one setns, and
//      clones the process, which sets itself up and execs.
//   3. Detached: write --pid-file and return. Foreground: forward signals, attach the terminal
//      if it has one, and return its exit status.
//
// Every failure after the spawn kills and reaps what was started: nothing is left behind.
import * as fs from 'fs';
import { addon } from '../addon';
import { UNIFIED_KEY } from '../cgroups/host';
import { writeCgroupProc } from '../cgroups/files';
import type { GlobalOptions } from '../cli/context';
import { HuskError, describeSystemError } from '../errors';
import {
  type ExecPlan,
  type ExecProcessFlags,
  buildExecPlan,
  execCgroupDirectories,
  execProcessFromFlags,
  namespacesToJoin,
  parseSubCgroupFlags,
} from '../linux/exec-plan';
import type { LaunchPlan } from '../linux/plan';
import { checkTerminalRequest } from '../linux/terminal';
import { compileSeccomp, containerProcessState, sendListenerToAgent } from '../linux/seccomp';
import { logDebug, logWarn } from '../log';
import { readRegularFile } from '../regular-file';
import { mark } from '../timing';
import { MAX_CONFIG_BYTES, loadSpec, parseProcessJson } from '../spec/load';
import type { Process, Spec } from '../spec/types';
import { containerStatus, heldLockFds, isProcessAlive, readState, toSpecState, validateContainerId, withContainerLock } from '../state';
import type { ContainerState } from '../state';
import { TerminalAttachment, hostTerminalSize, receiveMaster } from './attach';
import { explainChildFailure, SyncType } from './child-steps';
import { connectConsoleSocket } from './console-socket';
import { writePidFile } from './pid-file';
import { waitInForeground } from './foreground';
import { killAndReap, killQuietly } from './processes';
import { FallbackToNode, needsOwnProcess } from '../daemon/mode';

export interface ExecOptions {
  id: string;
  /** --process: a process.json; the process flags are then ignored (as in runc). */
  processFile?: string;
  /** The command line and the process flags. */
  flags: ExecProcessFlags;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  /** --cgroup values: [<controller>:]<sub-cgroup>. */
  cgroup: string[];
  ignorePaused: boolean;
}

/** runc exits 255 when exec itself fails (as opposed to the process's own status). */
export const EXEC_FAILED_STATUS = 255;

export async function execInContainer(global: GlobalOptions, options: ExecOptions): Promise<number> {
  try {
    return await execProcess(global, options);
  } catch (err) {
    if (err instanceof HuskError && !(err instanceof FallbackToNode) && err.exitCode !== EXEC_FAILED_STATUS) throw new HuskError(err.message, EXEC_FAILED_STATUS);
    throw err;
  }
}

async function execProcess(global: GlobalOptions, options: ExecOptions): Promise<number> {
  validateContainerId(options.id);
  const native = addon();
  const { state, initPidfd } = openContainer(global.root, options.id, options.ignorePaused);
  mark('state');
  const fdsToClose: number[] = [initPidfd];
  let attachment: TerminalAttachment | undefined;
  let pid = 0;
  try {
    const spec = loadContainerSpec(state);
    mark('config');
    const processSpec = options.processFile ? readProcessFile(options.processFile) : execProcessFromFlags(spec.process, options.flags);
    checkTerminalRequest({ terminal: processSpec.terminal === true, consoleSocket: options.consoleSocket, detached: options.detach });
    // The terminal to attach is the caller's, and so are its SIGWINCHes: the Node CLI does it.
    if (processSpec.terminal === true && !options.detach) needsOwnProcess('exec attached to a terminal');
    if (processSpec.terminal === true && !options.detach && !processSpec.consoleSize) {
      // The process may ask its size at once, before the attachment's first resize: start it
      // with the size of husk's terminal.
      const size = hostTerminalSize();
      if (size) processSpec.consoleSize = { height: size.rows, width: size.cols };
    }

    // The master goes to --console-socket (detached) or to husk (foreground): see terminal.ts.
    let consoleSocketFd = -1;
    let ourConsoleEnd = -1;
    if (processSpec.terminal === true) {
      if (options.consoleSocket) {
        consoleSocketFd = connectConsoleSocket(options.consoleSocket);
        fdsToClose.push(consoleSocketFd);
      } else {
        [ourConsoleEnd, consoleSocketFd] = native.socketPair();
        fdsToClose.push(ourConsoleEnd, consoleSocketFd);
      }
    }

    const cgroupDirectories = state.cgroup ? execCgroupDirectories(state.cgroup, parseSubCgroupFlags(options.cgroup)) : {};
    let cgroupFd = -1;
    if (state.cgroup?.mode === 'v2') {
      cgroupFd = openDirectory(cgroupDirectories[UNIFIED_KEY]);
      fdsToClose.push(cgroupFd);
    }
    // Read through /proc/<pid> before openInitRoot checks that the pid is still the init's.
    const nsFlags = namespacesToJoin(state.pid);
    const rootFd = openInitRoot(state, initPidfd);
    fdsToClose.push(rootFd);
    const plan = buildExecPlan(processSpec, {
      nsPidfd: initPidfd,
      nsFlags,
      cgroupFd,
      rootFd,
      preserveFds: options.preserveFds,
      consoleSocketFd,
      linux: spec.linux,
      containerRoot: `/proc/${state.pid}/root`,
      // runc joins the container's session keyring unless the container was made without one.
      sessionKeyring: state.extra?.noNewKeyring === true ? '' : `_ses.${state.id}`,
      warn: logWarn,
      debug: logDebug,
    });
    mark('plan');
    pid = launchExecProcess(plan, state, (stage1Pid) => {
      // v2 placed stage 1 with CLONE_INTO_CGROUP; v1 and hybrid hierarchies need the writes.
      if (cgroupFd >= 0) return;
      for (const dir of Object.values(cgroupDirectories)) writeCgroupProc(dir, stage1Pid);
    });
    mark('exec');
    try {
      if (ourConsoleEnd >= 0) attachment = new TerminalAttachment(receiveMaster(ourConsoleEnd));
      // runc writes the pid file in both modes, once the process runs.
      if (options.pidFile) writePidFile(options.pidFile, pid);
    } catch (err) {
      attachment?.close();
      killAndReap(pid);
      throw err instanceof HuskError ? err : new HuskError(`exec: ${(err as Error).message}`);
    }
  } finally {
    for (const fd of fdsToClose) native.close(fd);
  }
  if (options.detach) return 0;
  try {
    const status = await waitInForeground(pid, { onWindowChange: () => attachment?.resize() })();
    await attachment?.finish();
    return status;
  } finally {
    attachment?.close();
  }
}

/** The container's state and a pidfd of its init, after runc's status checks. */
function openContainer(root: string, id: string, ignorePaused: boolean): { state: ContainerState; initPidfd: number } {
  return withContainerLock(root, id, () => {
    const state = readState(root, id);
    const status = containerStatus(state);
    if (status === 'stopped') throw new HuskError(`cannot exec in container '${id}': it is stopped`);
    if (status === 'paused' && !ignorePaused) {
      throw new HuskError(`cannot exec in container '${id}': it is paused (resume it, or use --ignore-paused: the process then starts frozen)`);
    }
    let initPidfd: number;
    try {
      initPidfd = addon().pidfdOpen(state.pid);
    } catch {
      throw new HuskError(`cannot exec in container '${id}': it is stopped`);
    }
    // The pidfd names whatever had the pid when it was opened: check that it is still the init.
    if (!isProcessAlive(state.pid, state.pidStartTime || undefined)) {
      addon().close(initPidfd);
      throw new HuskError(`cannot exec in container '${id}': it is stopped`);
    }
    return { state, initPidfd };
  });
}

/**
 * The init's root directory, opened through /proc/<pid>/root. The pid could name another process
 * by now, so the pidfd (which pins the init) is asked afterwards whether the init still lives:
 * if it does, the pid was its own when the directory (and, before, its namespace links) were read.
 */
function openInitRoot(state: ContainerState, initPidfd: number): number {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${state.pid}/root`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new HuskError(`cannot exec in container '${state.id}': its init's root: ${describeSystemError(err)}`);
  }
  try {
    addon().pidfdSendSignal(initPidfd, 0);
  } catch {
    fs.closeSync(fd);
    throw new HuskError(`cannot exec in container '${state.id}': it is stopped`);
  }
  return fd;
}

/** The config the container was created from (runc reads the bundle's config for exec too). */
function loadContainerSpec(state: ContainerState): Spec {
  try {
    return loadSpec(state.bundle);
  } catch (err) {
    throw new HuskError(`cannot read the config of container '${state.id}': ${(err as Error).message}`);
  }
}

function readProcessFile(file: string): Process {
  let text: string;
  try {
    // A fifo or a device there would hang exec; see regular-file.ts.
    text = readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    throw new HuskError(`--process ${file}: ${describeSystemError(err)}`);
  }
  return parseProcessJson(text, file);
}

function openDirectory(dir: string): number {
  try {
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new HuskError(`cannot open cgroup ${dir}: ${describeSystemError(err)}`);
  }
}

/**
 * Spawn per plan and return the process's pid once it has exec'd (the sync socket closes at
 * execve). On any failure, stage 1 and the process are killed and reaped, and a HuskError says
 * which step failed.
 */
function launchExecProcess(plan: ExecPlan, state: ContainerState, placeInCgroups: (stage1Pid: number) => void): number {
  const native = addon();
  if (plan.seccomp && !plan.seccomp.program) compileSeccomp(plan.seccomp, native, logDebug);
  let spawned;
  try {
    spawned = native.spawnExec(plan, heldLockFds());
  } catch (err) {
    throw new HuskError(`cannot start the process: ${(err as Error).message}`);
  }
  const { stage1Pid, syncFd } = spawned;
  mark('spawn');
  let stage1Reaped = false;
  let pid = 0;
  const reapStage1 = () => {
    if (stage1Reaped) return;
    stage1Reaped = true;
    native.waitpid(stage1Pid, 0);
  };
  try {
    placeInCgroups(stage1Pid);
    mark('cgroups');
    native.syncSend(syncFd, SyncType.GO);
    for (;;) {
      const msg = native.syncRecv(syncFd, -1);
      switch (msg.type) {
        case SyncType.INIT_PID:
          pid = msg.value;
          reapStage1();
          mark('joined');
          break;
        case SyncType.SECCOMP_LISTENER:
          handOverSeccompListener(plan, msg.fd ?? -1, pid, state);
          native.syncSend(syncFd, SyncType.GO);
          break;
        case SyncType.EOF:
          if (!pid) throw new HuskError('the process exited while joining the container');
          return pid;
        case SyncType.ERROR:
          // explainChildFailure reads only the process fields an ExecPlan shares with a LaunchPlan
          // (args, env, cwd, uid, gid, rlimits): the steps that read more (mounts, devices, hooks)
          // never come from an exec'd process.
          throw new HuskError(
            explainChildFailure(msg.value, msg.errno, msg.detail, plan as unknown as LaunchPlan, native.errnoText, "exec'd process"),
          );
        default:
          throw new HuskError(`the exec'd process sent an unknown message (${msg.type})`);
      }
    }
  } catch (err) {
    if (!stage1Reaped) killAndReap(stage1Pid);
    if (pid) killAndReap(pid);
    throw err;
  } finally {
    native.close(syncFd);
  }
}

/** SCMP_ACT_NOTIFY: the exec'd process's listener goes to the agent, as the init's did at create. */
function handOverSeccompListener(plan: ExecPlan, fd: number, pid: number, state: ContainerState): void {
  const native = addon();
  try {
    if (fd < 0 || !plan.seccomp?.listenerPath) throw new HuskError("the exec'd process sent a seccomp listener husk did not ask for");
    const processState = containerProcessState(plan.seccomp, pid, toSpecState(state, 'running'));
    sendListenerToAgent(plan.seccomp, fd, processState, (listenerPath, listenerFd, json) => native.sendSeccompListener(listenerPath, listenerFd, json));
  } finally {
    if (fd >= 0) native.close(fd);
  }
}



// `husk create`: load and check the config, claim the id, make the cgroup, launch the init and
// leave it waiting on the exec fifo, record the state. Every failure undoes all of it: no
// process, mount (they live in the init's mount namespace and die with it), cgroup or state
// directory is left behind.
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../addon';
import { planCgroup } from '../cgroups';
import type { Cgroup } from '../cgroups';
import type { GlobalOptions } from '../cli/context';
import { HuskError, describeSystemError } from '../errors';
import { faultPoint } from '../fault';
import { runHooks } from '../hooks';
import { runtimeDeviceRules } from '../cgroups/default-device-rules';
import { buildLaunch } from '../linux/build-plan';
import { type SocketActivation, socketActivationOf, withActivationEnv } from '../linux/socket-activation';
import { checkTerminalRequest, wantsTerminal } from '../linux/terminal';
import { connectConsoleSocket } from './console-socket';
import { writePidFile } from './pid-file';
import { loadSpec } from '../spec/load';
import type { Spec } from '../spec/types';
import {
  CREATOR_KEY,
  EXEC_FIFO_FILE,
  currentBootId,
  STATE_FORMAT_VERSION,
  nowRfc3339Nano,
  pidInOwnNamespace,
  readProcessStartTime,
  toSpecState,
  validateContainerId,
  withNewContainer,
  writeState,
} from '../state';
import type { ContainerState } from '../state';
import { mark } from '../timing';
import { resultFifoFor } from './start';
import { launchInit, writeIdMapFiles } from './launch';
import { killAndReap } from './processes';
import { callerPid } from '../daemon/mode';

export interface CreateOptions {
  id: string;
  bundle: string;
  consoleSocket?: string;
  pidFile?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /**
   * `run` in the foreground: husk stays with the container (so a terminal needs no
   * --console-socket). Absent or false for `create` and `run --detach`.
   */
  foreground?: boolean;
  /** Foreground `run` with a terminal: husk's own socket the pty master is sent to. */
  consoleSocketFd?: number;
  /** Called with the loaded config before anything is made (run: whether a daemon worker can serve it). */
  checkSpec?: (spec: Spec) => void;
}

export async function createContainer(global: GlobalOptions, options: CreateOptions): Promise<void> {
  createWaitingContainer(global, options);
}

/** Creates the container and returns its state once the init waits for start. */
export function createWaitingContainer(global: GlobalOptions, options: CreateOptions): ContainerState {
  validateContainerId(options.id);
  const bundle = path.resolve(options.bundle);
  // LISTEN_PID names the process the caller started: in daemon mode the front end.
  const activation = socketActivationOf(process.env, callerPid());
  const spec = withSocketActivation(loadSpec(bundle), activation);
  options.checkSpec?.(spec);
  checkTerminalRequest({ terminal: wantsTerminal(spec.process), consoleSocket: options.consoleSocket, detached: !options.foreground });
  options = { ...options, preserveFds: activation.listenFds + options.preserveFds };
  checkContainerHookState(spec, options.id, bundle);
  mark('config');
  return withNewContainer(global.root, options.id, (dir) => {
    const execFifo = path.join(dir, EXEC_FIFO_FILE);
    addon().mkfifo(execFifo, 0o600);
    addon().mkfifo(resultFifoFor(execFifo), 0o600);
    faultPoint('create:claimed');
    const cgroup = planCgroup({ id: options.id, cgroupsPath: spec.linux?.cgroupsPath, systemd: global.systemdCgroup });
    const state = initialState(spec, options.id, bundle, execFifo, cgroup);
    // exec joins the container's session keyring, unless it was made without one.
    if (options.noNewKeyring) state.extra = { ...state.extra, noNewKeyring: true };
    writeProvisionalState(global.root, state, cgroup);
    cgroup.create();
    let initPid = 0;
    try {
      // All but pids.max, which waits for the init (initExists below): stage 1 and the init are
      // both in the cgroup for a moment, so a limit of 1 (`podman run --pids-limit 1`) would fail
      // the clone. runc, too, sets the limits once its init exists.
      const { pids: _pids, ...early } = spec.linux?.resources ?? {};
      cgroup.applyResources(spec.linux?.resources ? early : undefined);
      applyDeviceRules(cgroup, spec);
      state.cgroup = cgroup.toRecord();
      mark('cgroup');
      faultPoint('create:cgroup');
      initPid = launch(spec, options, bundle, execFifo, cgroup, state, global.root);
      faultPoint('create:ready');
      state.pid = initPid;
      state.pidStartTime = readProcessStartTime(initPid) ?? 0;
      finishProvisionalState(state);
      writeState(global.root, state);
      if (options.pidFile) writePidFile(options.pidFile, initPid);
      mark('state');
      return state;
    } catch (err) {
      if (initPid) killAndReap(initPid);
      destroyQuietly(cgroup);
      throw err;
    }
  });
}

function launch(
  spec: Spec,
  options: CreateOptions,
  bundle: string,
  execFifo: string,
  cgroup: Cgroup,
  state: ContainerState,
  root: string,
): number {
  const cgroupFd = cgroup.mode === 'v2' && cgroup.unifiedPath ? openDirectory(cgroup.unifiedPath) : -1;
  // The pty master goes to the --console-socket connection (made here, as runc does, so that a
  // socket nobody listens on fails the create) or to husk's own socket in a foreground run.
  const connectedSocketFd = wantsTerminal(spec.process) && options.consoleSocket ? connectConsoleSocket(options.consoleSocket) : -1;
  try {
    const { plan, idMaps } = buildLaunch(spec, {
      bundle,
      noPivot: options.noPivot,
      preserveFds: options.preserveFds,
      execFifo,
      cgroupFd,
      cgroupV1Paths: cgroup.v1DirectoriesByMountPoint(),
      consoleSocketFd: connectedSocketFd >= 0 ? connectedSocketFd : options.consoleSocketFd,
    });
    // runc: unless --no-new-keyring, the container gets its own session keyring, named after it.
    plan.sessionKeyring = options.noNewKeyring ? '' : `_ses.${options.id}`;
    plan.resultFifo = resultFifoFor(execFifo);
    mark('plan');
    const { initPid } = launchInit(plan, {
      placeInCgroups: (pid) => {
        // On pure v2 CLONE_INTO_CGROUP already put it there; v1 and hybrid need the writes.
        if (cgroupFd < 0) cgroup.addProcess(pid);
      },
      writeIdMaps: (pid) => {
        if (!idMaps) throw new HuskError('the init asked for user namespace maps, but the config has none');
        writeIdMapFiles(pid, idMaps.uidMap, idMaps.gidMap, false);
      },
      initExists: (pid) => {
        const pids = spec.linux?.resources?.pids;
        if (pids) cgroup.applyResources({ pids }); // stage 1 has exited: the init is alone in it
        state.pid = pid;
        // Recorded at once, so that if husk dies from here on, the init is found by its pid too.
        state.pidStartTime = readProcessStartTime(pid) ?? 0;
        writeState(root, state);
        faultPoint('create:init-pid');
      },
      runtimeHooks: (pid) => {
        const specState = toSpecState({ ...state, pid }, 'creating');
        // runtime-spec: prestart (deprecated) and createRuntime run in the runtime namespace
        // after the container's namespaces exist and before pivot_root.
        runHooks('prestart', spec.hooks?.prestart, specState);
        faultPoint('create:hooks');
        runHooks('createRuntime', spec.hooks?.createRuntime, specState);
        // Only createContainer hooks read it; the channel's messages are bounded (see below).
        // They run in the container namespace, so their state has the pid the container sees.
        const inContainer = { ...specState, pid: pidInOwnNamespace(pid) ?? pid };
        return spec.hooks?.createContainer?.length ? JSON.stringify(inContainer) : '';
      },
      // The seccomp agent (linux.seccomp.listenerPath) gets the same state as the hooks.
      specState: (pid) => toSpecState({ ...state, pid }, 'creating'),
    });
    mark('clone-to-ready');
    return initPid;
  } finally {
    if (cgroupFd >= 0) fs.closeSync(cgroupFd);
    if (connectedSocketFd >= 0) addon().close(connectedSocketFd);
  }
}

/**
 * createContainer and startContainer hooks, which the container side runs, get the state on stdin
 * through the sync socket and the exec fifo, whose messages are bounded (a seqpacket message by
 * the socket buffer, ~200 KiB here; the child's buffer by 1 MiB). The only unbounded part of the
 * state is the annotations: with such hooks, refuse a state that would not fit, naming them
 * (without such hooks the state is not sent, and annotations of any size work).
 */
export const MAX_CONTAINER_HOOK_STATE_BYTES = 128 * 1024;

function checkContainerHookState(spec: Spec, id: string, bundle: string): void {
  if (!spec.hooks?.createContainer?.length && !spec.hooks?.startContainer?.length) return;
  const largest = { ociVersion: spec.ociVersion, id, status: 'creating', pid: 4194304, bundle, annotations: spec.annotations };
  const bytes = Buffer.byteLength(JSON.stringify(largest));
  if (bytes > MAX_CONTAINER_HOOK_STATE_BYTES) {
    throw new HuskError(
      `annotations: the state that createContainer and startContainer hooks read would be ${bytes} bytes; ` +
        `husk passes them at most ${MAX_CONTAINER_HOOK_STATE_BYTES}`,
    );
  }
}

/**
 * Before anything of the container exists, record in state.json what delete --force needs to
 * undo it if this husk is killed: the cgroup directories it is about to make (those that do not
 * exist yet) and who is creating it (status "creating" while that process lives). Without this
 * record a killed create would leave a cgroup, and from the clone on processes, that neither
 * `list` shows nor `delete` finds.
 */
function writeProvisionalState(root: string, state: ContainerState, cgroup: Cgroup): void {
  state.cgroup = { ...cgroup.toRecord(), created: directoriesToCreate(Object.values(cgroup.paths)) };
  state.extra = { ...state.extra, [CREATOR_KEY]: { pid: process.pid, startTime: readProcessStartTime(process.pid) ?? 0 } };
  state.bootId = currentBootId();
  writeState(root, state);
  faultPoint('create:provisional');
}

/** The create is complete: the state stops naming its creator. */
function finishProvisionalState(state: ContainerState): void {
  const { [CREATOR_KEY]: _creator, ...rest } = state.extra ?? {};
  if (Object.keys(rest).length > 0) state.extra = rest;
  else delete state.extra;
}

/** The directories among `dirs` and their ancestors that do not exist yet, parents first. */
function directoriesToCreate(dirs: string[]): string[] {
  const missing = new Set<string>();
  for (const dir of dirs) {
    const chain: string[] = [];
    for (let current = dir; !fs.existsSync(current) && path.dirname(current) !== current; current = path.dirname(current)) chain.unshift(current);
    chain.forEach((d) => missing.add(d));
  }
  return [...missing];
}

// The config's rules, then runc's default allowlist and one rule per linux.devices entry: on v1
// written to the devices controller, on v2 compiled into an eBPF program with the same meaning
// (cgroups/device-filter.ts). On hybrid hosts the v1 controller enforces them, as with runc.
function applyDeviceRules(cgroup: Cgroup, spec: Spec): void {
  cgroup.applyDeviceRules(spec.linux?.resources?.devices ?? [], runtimeDeviceRules(spec.linux?.devices));
}

function initialState(spec: Spec, id: string, bundle: string, execFifo: string, cgroup: Cgroup): ContainerState {
  const rootPath = spec.root?.path ?? 'rootfs';
  return {
    huskStateVersion: STATE_FORMAT_VERSION,
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    pidStartTime: 0,
    bundle,
    rootfs: path.resolve(bundle, rootPath),
    configPath: path.join(bundle, 'config.json'),
    annotations: spec.annotations ?? {},
    created: nowRfc3339Nano(),
    owner: '',
    cgroup: cgroup.toRecord(),
    privatePidNamespace: (spec.linux?.namespaces ?? []).some((ns) => ns.type === 'pid' && !ns.path),
    hooks: spec.hooks ?? {},
    execFifo,
    // extra.terminal: the init's stdio is a pty made in the container (whose master went to the
    // console socket), not husk's stdio.
    ...(wantsTerminal(spec.process) ? { extra: { terminal: true } } : {}),
  };
}

/** The spec with LISTEN_FDS/LISTEN_PID appended to the process's env (see socket-activation.ts). */
function withSocketActivation(spec: Spec, activation: SocketActivation): Spec {
  if (activation.listenFds === 0 || !spec.process) return spec;
  return { ...spec, process: { ...spec.process, env: withActivationEnv(spec.process.env, activation) } };
}

function openDirectory(dir: string): number {
  try {
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new HuskError(`cannot open cgroup ${dir}: ${describeSystemError(err)}`);
  }
}


function destroyQuietly(cgroup: Cgroup): void {
  try {
    cgroup.destroy();
  } catch {
    /* the original error matters more; a leftover cgroup is reported by delete --force */
  }
}

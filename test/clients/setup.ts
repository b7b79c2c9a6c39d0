// The client setup shared by the client tests (podman.test.ts, containerd.test.ts) and the client
// rows of `make bench` (bench/clients.js, which loads the compiled build/ts/test/clients/setup.js):
// Podman's containers.conf, registries.conf and global flags for a storage of its own, and a
// private containerd (its own config, root, state and sockets) started in a sandbox.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor, type Sandbox } from './sandbox';

export interface PodmanSetup {
  /** CONTAINERS_CONF and CONTAINERS_REGISTRIES_CONF, for every podman command. */
  env: Record<string, string>;
  /** Global flags (storage root and runroot, cgroupfs, file events) for every podman command. */
  globalFlags: string[];
}

/**
 * Write Podman's configuration into the sandbox directory. `runtimes` (name to path) go in
 * [engine.runtimes], so `--runtime <name>` works; without them, pass `--runtime <path>`.
 */
export function setupPodman(sandbox: Sandbox, runtimes: Record<string, string> = {}): PodmanSetup {
  const conf = path.join(sandbox.dir, 'containers.conf');
  const runtimeLines = Object.entries(runtimes).map(([name, binary]) => `${name} = ["${binary}"]`);
  fs.writeFileSync(
    conf,
    [
      '[containers]',
      // The hard limits here are 20000 open files and no CAP_SYS_RESOURCE to raise them;
      // Podman's defaults as root (1048576 for both) fail in any runtime.
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${sandbox.dir}/events.log"`,
      'lock_type = "file"',
      `tmp_dir = "${sandbox.dir}/tmp"`,
      `volume_path = "${sandbox.dir}/volumes"`,
      `static_dir = "${sandbox.dir}/storage/libpod"`,
      // Podman asks the runtimes in this list for JSON error lines (--log-format=json).
      'runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "husk"]',
      ...(runtimeLines.length > 0 ? ['[engine.runtimes]', ...runtimeLines] : []),
      '[network]',
      `network_config_dir = "${sandbox.dir}/networks"`,
      '',
    ].join('\n'),
  );
  const env = { CONTAINERS_CONF: conf, CONTAINERS_REGISTRIES_CONF: path.join(sandbox.dir, 'registries.conf') };
  fs.writeFileSync(env.CONTAINERS_REGISTRIES_CONF, 'unqualified-search-registries = []\n');
  const globalFlags = [
    '--root', path.join(sandbox.dir, 'storage'),
    '--runroot', path.join(sandbox.dir, 'run'),
    '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
  ];
  return { env, globalFlags };
}

export interface ContainerdSetup {
  daemon: ChildProcess;
  /** The gRPC socket (`ctr --address`). */
  socket: string;
  /** containerd's output. */
  log: string;
}

/**
 * Start a private containerd in the sandbox (config, root, state, opt and sockets under its
 * directory; only the task API: no CRI, no other snapshotters) and wait until `ctr version`
 * answers on its socket.
 */
export async function startContainerd(sandbox: Sandbox, options: { timeoutMs?: number } = {}): Promise<ContainerdSetup> {
  const socket = path.join(sandbox.dir, 'containerd.sock');
  const config = path.join(sandbox.dir, 'config.toml');
  const log = path.join(sandbox.dir, 'containerd.log');
  fs.writeFileSync(
    config,
    [
      'version = 2',
      `root = "${sandbox.dir}/root"`,
      `state = "${sandbox.dir}/state"`,
      // Nothing but the task API: no CRI (no network, no kubelet), no other snapshotters.
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      '  level = "info"',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${sandbox.dir}/opt"`,
      '',
    ].join('\n'),
  );
  const daemon = sandbox.spawnDaemon('containerd', ['--config', config], log);
  await waitFor(
    'containerd to answer on its socket',
    async () => {
      if (daemon.exitCode !== null) throw new Error(`containerd exited: ${fs.readFileSync(log, 'utf8')}`);
      if (!fs.existsSync(socket)) return undefined;
      const version = await sandbox.run('ctr', ['--address', socket, 'version']);
      return version.status === 0 ? true : undefined;
    },
    options.timeoutMs,
  );
  return { daemon, socket, log };
}

// The client rows of `make bench`: `podman run --rm` and `ctr run --rm` of /bin/true with husk
// and with runc, and Podman's tight limits (--memory 6m, --pids-limit 1). Both clients run in
// the throwaway namespaces the client tests use (test/clients/sandbox.ts, compiled by make into
// build/ts), with their own storage, so nothing of the host's Podman or containerd is touched.
'use strict';

const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..');
const COMPILED = path.join(REPO, 'build', 'ts', 'test', 'clients');

function loadHelpers() {
  return { ...require(path.join(COMPILED, 'sandbox.js')), ...require(path.join(COMPILED, 'oci-image.js')) };
}

/** Why a client cannot be measured here, or false. */
function skipReason(binaries) {
  if (!fs.existsSync(path.join(COMPILED, 'sandbox.js'))) return 'build/ts/test/clients is missing (make)';
  return loadHelpers().clientSkipReason(binaries);
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function lastLine(text) {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

/** Podman with a storage of its own; `run(runtimeBinary, args)` runs `podman run --rm ... args`. */
async function startPodman() {
  const h = loadHelpers();
  const sandbox = await h.Sandbox.start('bench-podman');
  const cgroupParent = `/husk-bench-podman-${process.pid}`;
  sandbox.ownCgroupParent(cgroupParent);
  const conf = path.join(sandbox.dir, 'containers.conf');
  fs.writeFileSync(
    conf,
    [
      '[containers]',
      // The hard RLIMIT_NOFILE here is 20000: Podman's default (1048576) fails in any runtime.
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${sandbox.dir}/events.log"`,
      'lock_type = "file"',
      `tmp_dir = "${sandbox.dir}/tmp"`,
      `volume_path = "${sandbox.dir}/volumes"`,
      `static_dir = "${sandbox.dir}/storage/libpod"`,
      'runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "husk"]',
      '[network]',
      `network_config_dir = "${sandbox.dir}/networks"`,
      '',
    ].join('\n'),
  );
  const env = { CONTAINERS_CONF: conf, CONTAINERS_REGISTRIES_CONF: path.join(sandbox.dir, 'registries.conf') };
  fs.writeFileSync(env.CONTAINERS_REGISTRIES_CONF, 'unqualified-search-registries = []\n');
  const globalFlags = ['--root', path.join(sandbox.dir, 'storage'), '--runroot', path.join(sandbox.dir, 'run'), '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const bundle = sandbox.makeBusyboxBundle();
  const image = h.buildOciArchive(path.join(bundle, 'rootfs'), sandbox.dir, 'localhost/husk-bench-busybox:latest');
  const loaded = await sandbox.run('podman', [...globalFlags, 'load', '-i', image.archive], { env });
  if (loaded.status !== 0) throw new Error(`podman load: ${lastLine(loaded.stderr)}`);
  return {
    async run(runtimeBinary, extra = [], command = ['/bin/true']) {
      const start = now();
      const result = await sandbox.run(
        'podman',
        [...globalFlags, '--runtime', runtimeBinary, 'run', '--rm', '--network', 'none', '--cgroup-parent', cgroupParent, ...extra, image.reference, ...command],
        { env, timeoutMs: 60_000 },
      );
      return { ms: now() - start, status: result.status, error: lastLine(result.stderr), stdout: result.stdout };
    },
    async close() {
      await sandbox.run('podman', [...globalFlags, 'rm', '--all', '--force', '--time', '0'], { env });
      return sandbox.close();
    },
  };
}

/** containerd with its own root, state and socket; `run(runtimeBinary, root)` runs `ctr run --rm`. */
async function startContainerd() {
  const h = loadHelpers();
  const sandbox = await h.Sandbox.start('bench-containerd');
  const namespace = `husk-bench-${process.pid}`;
  sandbox.ownCgroupParent(`/${namespace}`);
  const socket = path.join(sandbox.dir, 'containerd.sock');
  const config = path.join(sandbox.dir, 'config.toml');
  fs.writeFileSync(
    config,
    [
      'version = 2',
      `root = "${sandbox.dir}/root"`,
      `state = "${sandbox.dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${sandbox.dir}/opt"`,
      '',
    ].join('\n'),
  );
  const daemon = sandbox.spawnDaemon('containerd', ['--config', config], path.join(sandbox.dir, 'containerd.log'));
  const ctr = (args, options = {}) => sandbox.run('ctr', ['--address', socket, '--namespace', namespace, ...args], { timeoutMs: 60_000, ...options });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (daemon.exitCode !== null) throw new Error('containerd exited at start');
    if (fs.existsSync(socket) && (await sandbox.run('ctr', ['--address', socket, 'version'])).status === 0) break;
    if (Date.now() > deadline) throw new Error('containerd did not answer on its socket');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const bundle = sandbox.makeBusyboxBundle();
  const image = h.buildOciArchive(path.join(bundle, 'rootfs'), sandbox.dir, 'localhost/husk-bench-busybox:latest');
  const imported = await ctr(['images', 'import', image.archive]);
  if (imported.status !== 0) throw new Error(`ctr images import: ${lastLine(imported.stderr)}`);
  let counter = 0;
  return {
    async run(runtimeBinary, runtimeRoot) {
      const id = `bench-${counter++}`;
      const start = now();
      const result = await ctr(['run', '--rm', '--runc-binary', runtimeBinary, '--runc-root', runtimeRoot, image.reference, id, '/bin/true']);
      return { ms: now() - start, status: result.status, error: lastLine(result.stderr) };
    },
    async close() {
      for (const id of (await ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['task', 'delete', '--force', id]);
      for (const id of (await ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['container', 'rm', id]);
      if (daemon.exitCode === null) {
        const exited = new Promise((resolve) => daemon.once('exit', resolve));
        daemon.kill('SIGTERM');
        await exited;
      }
      return sandbox.close();
    },
  };
}

module.exports = { skipReason, startPodman, startContainerd };

// The client rows of `make bench`: `podman run --rm` and `ctr run --rm` of /bin/true with husk
// and with runc, and Podman's tight limits (--memory 6m, --pids-limit 1). Both clients run in
// the throwaway namespaces the client tests use (test/clients/sandbox.ts, compiled by make into
// build/ts), with their own storage, so nothing of the host's Podman or containerd is touched;
// Podman's configuration and the private containerd are the tests' own (test/clients/setup.ts).
// For daemon mode each sandbox gets a `husk daemon` of its own, on the default socket in the
// sandbox's private /run: a front end in another mount namespace than its daemon runs the Node
// CLI by design (docs/daemon.md), and neither client passes the bench's environment through.
'use strict';

const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..');
const COMPILED = path.join(REPO, 'build', 'ts', 'test', 'clients');

function loadHelpers() {
  return {
    ...require(path.join(COMPILED, 'sandbox.js')),
    ...require(path.join(COMPILED, 'oci-image.js')),
    ...require(path.join(COMPILED, 'setup.js')),
  };
}

/** Why a client cannot be measured here, or false. */
function skipReason(binaries) {
  if (!fs.existsSync(path.join(COMPILED, 'setup.js'))) return 'build/ts/test/clients is missing (make)';
  return loadHelpers().clientSkipReason(binaries);
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function lastLine(text) {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

/**
 * `husk daemon` inside the sandbox; resolves once `frontend` run there is served by it (HUSK_TIMING
 * then says `worker`). `serves()` checks it again; the sandbox's close() kills it at the latest.
 */
async function startHuskDaemon(h, sandbox, huskCli, frontend) {
  const log = path.join(sandbox.dir, 'husk-daemon.log');
  const daemon = sandbox.spawnDaemon(huskCli, ['daemon', '--socket', '/run/husk-daemon.sock', '--idle-exit', '60'], log);
  const serves = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return false;
    const probe = await sandbox.run(frontend, ['--root', path.join(sandbox.dir, 'husk-probe-root'), 'list'], { env: { HUSK_TIMING: '1' } });
    return probe.status === 0 && /^husk-timing \{"command":"[^"]*","worker":/m.test(probe.stderr);
  };
  await h.waitFor('husk daemon to serve in the sandbox', async () => {
    if (daemon.exitCode !== null) throw new Error(`husk daemon exited: ${fs.readFileSync(log, 'utf8')}`);
    return (await serves()) || undefined;
  }, 30_000);
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
  };
  return { serves, stop, log };
}

/** Podman with a storage of its own; `run(runtimeBinary, args)` runs `podman run --rm ... args`. */
async function startPodman(daemonMode) {
  const h = loadHelpers();
  const sandbox = await h.Sandbox.start('bench-podman');
  const huskDaemon = daemonMode ? await startHuskDaemon(h, sandbox, daemonMode.huskCli, daemonMode.frontend) : undefined;
  const cgroupParent = `/husk-bench-podman-${process.pid}`;
  sandbox.ownCgroupParent(cgroupParent);
  const { env, globalFlags } = h.setupPodman(sandbox);
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
    huskDaemon,
    async close() {
      await sandbox.run('podman', [...globalFlags, 'rm', '--all', '--force', '--time', '0'], { env });
      if (huskDaemon) await huskDaemon.stop();
      return sandbox.close();
    },
  };
}

/** containerd with its own root, state and socket; `run(runtimeBinary, root)` runs `ctr run --rm`. */
async function startContainerd(daemonMode) {
  const h = loadHelpers();
  const sandbox = await h.Sandbox.start('bench-containerd');
  const huskDaemon = daemonMode ? await startHuskDaemon(h, sandbox, daemonMode.huskCli, daemonMode.frontend) : undefined;
  const namespace = `husk-bench-${process.pid}`;
  sandbox.ownCgroupParent(`/${namespace}`);
  const { daemon, socket } = await h.startContainerd(sandbox, { timeoutMs: 20_000 });
  const ctr = (args, options = {}) => sandbox.run('ctr', ['--address', socket, '--namespace', namespace, ...args], { timeoutMs: 60_000, ...options });
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
    huskDaemon,
    async close() {
      for (const id of (await ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['task', 'delete', '--force', id]);
      for (const id of (await ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['container', 'rm', id]);
      if (daemon.exitCode === null) {
        const exited = new Promise((resolve) => daemon.once('exit', resolve));
        daemon.kill('SIGTERM');
        await exited;
      }
      if (huskDaemon) await huskDaemon.stop();
      return sandbox.close();
    },
  };
}

module.exports = { skipReason, startPodman, startContainerd };

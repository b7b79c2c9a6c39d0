#!/usr/bin/env node
// `make bench`: husk against runc on the same busybox bundle, alternating the runtimes (A B C,
// then C B A) so that load from anything else running on the machine lands on all of them. husk
// runs two ways: bin/husk (a Node process per command) and daemon mode (build/bin/husk, the static
// front end, served by a private `husk daemon` the bench starts and stops: docs/daemon.md).
// Writes bench/RESULTS.md and bench/latency.svg; `node bench/bench.js --help` for the options.
//
// Plain Node.js on purpose (no build step, no dependencies): it only needs husk's addon, for
// PR_SET_CHILD_SUBREAPER and waitpid, so that it can wait for a detached container's exit the
// way containerd's shim does.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..');
let HUSK = path.join(REPO, 'bin', 'husk');
/** The front end of daemon mode, next to the Node CLI's build. */
const frontend = () => path.join(path.dirname(HUSK), '..', 'build', 'bin', 'husk');
const RUNC = fs.existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : 'runc';

const USAGE = `usage: node bench/bench.js [options]

  --count N       sequential \`run\` of /bin/true per runtime (default 100)
  --sequence N    containerd sequences (create, start, state, wait, delete) per runtime (default 50)
  --parallel N    containers per parallel batch (default 50)
  --rounds N      parallel batches per runtime (default 3)
  --phases N      HUSK_TIMING=1 runs per subcommand for the phase breakdown (default 20)
  --memory N      samples for the memory rows (default 5)
  --out DIR       where RESULTS.md and latency.svg go (default bench/)
  --clients N     podman run --rm and ctr run --rm per runtime, when installed (default 10; 0: none)
  --husk PATH     the husk executable (default bin/husk of this tree); daemon mode uses the
                  front end build/bin/husk next to it and starts \`PATH daemon\` itself
  --quick         --count 10 --sequence 5 --parallel 10 --rounds 1 --phases 5 --memory 2 --clients 3`;

function parseArgs(argv) {
  const options = { count: 100, sequence: 50, parallel: 50, rounds: 3, phases: 20, memory: 5, clients: 10, out: __dirname };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) fail(`${arg} wants a positive integer`);
      return n;
    };
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--count') options.count = count();
    else if (arg === '--sequence') options.sequence = count();
    else if (arg === '--parallel') options.parallel = count();
    else if (arg === '--rounds') options.rounds = count();
    else if (arg === '--phases') options.phases = count();
    else if (arg === '--memory') options.memory = count();
    else if (arg === '--clients') options.clients = Number(value()) || 0;
    else if (arg === '--out') options.out = path.resolve(value());
    else if (arg === '--husk') HUSK = path.resolve(value());
    else if (arg === '--quick') Object.assign(options, { count: 10, sequence: 5, parallel: 10, rounds: 1, phases: 5, memory: 2, clients: 3 });
    else fail(`unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// ---- statistics ----

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

function quantile(values, q) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const median = (values) => quantile(values, 0.5);

function summary(values) {
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
}

/** summary(), or dashes when there are no samples (a row a runtime was not measured in). */
const summarize = (values) => (values && values.length ? summary(values) : { n: 0, median: NaN, min: NaN, max: NaN, p25: NaN, p75: NaN });

const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');

// ---- running commands ----

// The environment containerd or Podman would pass: the caller's, as is (bin/husk itself drops
// NODE_EXTRA_CA_CERTS in its shebang). Without HUSK_DAEMON_SOCKET: daemon mode gets the bench's
// private daemon (runtime.env), the client sandboxes theirs at the default path in their own /run.
delete process.env.HUSK_DAEMON_SOCKET;
const ENV = { ...process.env };

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

// The runtime's stdout and stderr go to files, not pipes: a created container's init inherits
// them and keeps them open until it exits, so the end of a pipe would only come with the
// container's (containerd gives the container stdio of its own; the bench has no use for it).
let scratchDir;
let scratchCount = 0;

function scratchFile() {
  const file = path.join(scratchDir, `out-${scratchCount++}`);
  return { file, fd: fs.openSync(file, 'w+') };
}

function readScratch({ file, fd }) {
  fs.closeSync(fd);
  const text = fs.readFileSync(file, 'utf8');
  fs.rmSync(file, { force: true });
  return text;
}

/** Run a runtime command to completion; returns { ms, stdout, stderr, status }. */
function runSync(binary, args, extraEnv) {
  const out = scratchFile();
  const err = scratchFile();
  const start = now();
  const result = spawnSync(binary, args, { env: extraEnv ? { ...ENV, ...extraEnv } : ENV, stdio: ['ignore', out.fd, err.fd] });
  const elapsed = now() - start;
  const stdout = readScratch(out);
  const stderr = readScratch(err);
  if (result.error) throw result.error;
  return { ms: elapsed, stdout, stderr, status: result.status };
}

function mustSucceed(label, result) {
  if (result.status !== 0) throw new Error(`${label} failed (status ${result.status}): ${result.stderr.trim().split('\n').pop()}`);
  return result;
}

/** The same, asynchronously, for the parallel batches. */
function runAsync(binary, args, extraEnv) {
  return new Promise((resolve, reject) => {
    const err = scratchFile();
    const start = now();
    const child = spawn(binary, args, { env: extraEnv ? { ...ENV, ...extraEnv } : ENV, stdio: ['ignore', 'ignore', err.fd] });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ ms: now() - start, status, stderr: readScratch(err) }));
  });
}

// ---- the runtimes ----

/** husk direct (bin/husk), husk in daemon mode (the front end; env names the private daemon's socket), runc. */
function makeRuntimes(workDir) {
  return [
    { name: 'husk', label: 'husk', binary: HUSK, root: path.join(workDir, 'root-husk'), env: {} },
    { name: 'daemon', label: 'husk (daemon)', binary: frontend(), root: path.join(workDir, 'root-daemon'), env: { HUSK_DAEMON_SOCKET: path.join(workDir, 'husk-daemon.sock') } },
    { name: 'runc', label: 'runc', binary: RUNC, root: path.join(workDir, 'root-runc'), env: {} },
  ];
}

/** Run a subcommand of a runtime to completion (runSync with the runtime's root and environment). */
function runtimeSync(runtime, args, extraEnv) {
  return runSync(runtime.binary, cli(runtime, ...args), { ...runtime.env, ...extraEnv });
}

// ---- the private daemon of daemon mode ----

function sleepSync(milliseconds) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** 'R', 'S', 'Z', ... from /proc/<pid>/stat, or undefined once the pid is gone. */
function processState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function statusField(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

/**
 * `husk daemon` on a socket of the bench's own (`--idle-exit 60`: should the bench be killed
 * with SIGKILL, the daemon leaves a minute later). Resolves once a front end is served by it.
 */
async function startDaemon(runtime, workDir) {
  const log = path.join(workDir, 'husk-daemon.log');
  const logFd = fs.openSync(log, 'a');
  const child = spawn(HUSK, ['daemon', '--socket', runtime.env.HUSK_DAEMON_SOCKET, '--idle-exit', '60'], { env: ENV, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const daemon = { runtime, child, pid: child.pid, log };
  const deadline = now() + 30_000;
  while (!daemonServes(daemon)) {
    if (child.exitCode !== null || child.signalCode !== null || now() > deadline) {
      stopDaemon(daemon);
      throw new Error(`husk daemon did not start serving: ${fs.readFileSync(log, 'utf8').trim() || `exit ${child.exitCode ?? child.signalCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  daemon.rssAtStart = statusField(daemon.pid, 'VmRSS');
  return daemon;
}

/** Whether a front end is served by the daemon (HUSK_TIMING's first phase is then `worker`, not `node`). */
function daemonServes(daemon) {
  if (!['R', 'S', 'D'].includes(processState(daemon.pid))) return false;
  const probe = runtimeSync(daemon.runtime, ['list'], { HUSK_TIMING: '1' });
  return probe.status === 0 && /^husk-timing \{"command":"[^"]*","worker":/m.test(probe.stderr);
}

/** Between parts of the bench: a daemon that died would have made daemon mode silently the Node CLI. */
function assertDaemonServes(daemon, part) {
  if (!daemonServes(daemon)) throw new Error(`after ${part}: the husk daemon no longer serves the front end (see ${daemon.log}); daemon-mode figures would be the Node CLI's`);
}

/** SIGTERM, then SIGKILL after 3 s; synchronous, for the signal handlers too. */
function stopDaemon(daemon) {
  if (!daemon || daemon.stopped) return;
  daemon.stopped = true;
  const alive = () => !['Z', undefined].includes(processState(daemon.pid)) && daemon.child.exitCode === null && daemon.child.signalCode === null;
  if (!alive()) return;
  daemon.child.kill('SIGTERM');
  for (let i = 0; i < 60 && alive(); i++) sleepSync(50);
  if (alive()) daemon.child.kill('SIGKILL');
}

/** Alternate the order every iteration (A B C, C B A, ...) so drifting load falls on all. */
function alternating(runtimes, i) {
  return i % 2 === 0 ? runtimes : [...runtimes].reverse();
}

function cli(runtime, ...args) {
  return ['--root', runtime.root, ...args];
}

let nextId = 0;
function newId(runtime) {
  return `bench-${runtime.name}-${process.pid}-${nextId++}`;
}

// ---- the machine ----

function commandOutput(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Processes other than this benchmark that used CPU in the last second (name, %CPU). */
function otherBusyProcesses() {
  const ticks = () => {
    const out = new Map();
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const fields = stat.slice(close + 2).split(' ');
        out.set(pid, { name: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        /* gone */
      }
    }
    return out;
  };
  const before = ticks();
  spawnSync('sleep', ['1']);
  const after = ticks();
  const hz = 100;
  const busy = [];
  for (const [pid, { name, ticks: t }] of after) {
    const b = before.get(pid);
    if (!b || Number(pid) === process.pid) continue;
    const cpu = ((t - b.ticks) / hz) * 100;
    if (cpu >= 5) busy.push(`${name} ${cpu.toFixed(0)}%`);
  }
  return busy;
}

function describeMachine() {
  const cpus = os.cpus();
  return {
    nproc: Number(commandOutput('nproc', [])) || cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    runc: (commandOutput(RUNC, ['--version']) ?? 'unknown').split('\n')[0],
    husk: (commandOutput(HUSK, ['--version']) ?? 'unknown').split('\n').slice(0, 2).join(', '),
    cgroups: fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1 (or hybrid)',
    stateFs: commandOutput('stat', ['-f', '-c', '%T', '/run']) ?? 'unknown',
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS ? 'set (bin/husk drops it)' : 'not set',
  };
}

// ---- the bundle ----

function makeBundle(workDir) {
  const bundle = path.join(workDir, 'bundle');
  const made = spawnSync('bash', [path.join(REPO, 'bundles', 'make-busybox-bundle.sh'), bundle], { encoding: 'utf8' });
  if (made.status !== 0) fail(`making the busybox bundle failed: ${made.stderr}`);
  const configPath = path.join(bundle, 'config.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  config.process.args = ['/bin/true'];
  config.process.terminal = false;
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  return bundle;
}

// ---- the measurements ----

/** Node's own start-up, which every husk command pays before husk's first line. */
function measureNodeFloor(count) {
  const bare = [];
  const withCerts = [];
  const env = { ...ENV };
  delete env.NODE_EXTRA_CA_CERTS;
  for (let i = 0; i < count; i++) {
    let start = now();
    spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    bare.push(now() - start);
    if (process.env.NODE_EXTRA_CA_CERTS) {
      start = now();
      spawnSync(process.execPath, ['-e', '0'], { env: ENV, stdio: 'ignore' });
      withCerts.push(now() - start);
    }
  }
  return { bare: summary(bare), withCerts: withCerts.length ? summary(withCerts) : undefined };
}

function measureRun(runtimes, bundle, count) {
  const samples = Object.fromEntries(runtimes.map((r) => [r.name, []]));
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const result = mustSucceed(`${runtime.name} run`, runtimeSync(runtime, ['run', '--bundle', bundle, newId(runtime)]));
      samples[runtime.name].push(result.ms);
    }
  }
  return samples;
}

const SEQUENCE_STEPS = ['create', 'start', 'state', 'wait', 'delete', 'total'];

/** containerd's calls for one container: create (with --pid-file), start, state, wait for the exit, delete. */
function oneSequence(runtime, bundle, addon, workDir) {
  const id = newId(runtime);
  const pidFile = path.join(workDir, `${id}.pid`);
  const times = {};
  const begin = now();
  times.create = mustSucceed(`${runtime.name} create`, runtimeSync(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, id])).ms;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  times.start = mustSucceed(`${runtime.name} start`, runtimeSync(runtime, ['start', id])).ms;
  const state = mustSucceed(`${runtime.name} state`, runtimeSync(runtime, ['state', id]));
  times.state = state.ms;
  const reported = JSON.parse(state.stdout);
  // Both runtimes say pid 0 once the init has exited (a zombie counts as stopped).
  if (reported.status !== 'stopped' && reported.pid !== pid) throw new Error(`${runtime.name} state: pid ${reported.pid} is not the one in the pid file (${pid})`);
  let start = now();
  addon.waitpid(pid, 0); // the init is our child now (subreaper), as it is the shim's
  times.wait = now() - start;
  times.delete = mustSucceed(`${runtime.name} delete`, runtimeSync(runtime, ['delete', id])).ms;
  times.total = now() - begin;
  fs.rmSync(pidFile, { force: true });
  return times;
}

function measureSequence(runtimes, bundle, count, addon, workDir) {
  const samples = Object.fromEntries(runtimes.map((r) => [r.name, Object.fromEntries(SEQUENCE_STEPS.map((s) => [s, []]))]));
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const times = oneSequence(runtime, bundle, addon, workDir);
      for (const step of SEQUENCE_STEPS) samples[runtime.name][step].push(times[step]);
    }
  }
  return samples;
}

/** N containers created and started at once (each create → start), then all waited for and deleted at once. */
async function oneBatch(runtime, bundle, n, addon, workDir) {
  const ids = Array.from({ length: n }, () => newId(runtime));
  const pidFiles = ids.map((id) => path.join(workDir, `${id}.pid`));
  const perCommand = { create: [], start: [], delete: [] };
  const record = (kind, label) => (result) => {
    if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr.trim().split('\n').pop()}`);
    perCommand[kind].push(result.ms);
  };
  let begin = now();
  await Promise.all(
    ids.map((id, i) =>
      runAsync(runtime.binary, cli(runtime, 'create', '--bundle', bundle, '--pid-file', pidFiles[i], id), runtime.env)
        .then(record('create', `${runtime.name} create`))
        .then(() => runAsync(runtime.binary, cli(runtime, 'start', id), runtime.env))
        .then(record('start', `${runtime.name} start`)),
    ),
  );
  const createStart = now() - begin;
  for (const file of pidFiles) {
    addon.waitpid(Number(fs.readFileSync(file, 'utf8')), 0);
    fs.rmSync(file, { force: true });
  }
  begin = now();
  await Promise.all(ids.map((id) => runAsync(runtime.binary, cli(runtime, 'delete', id), runtime.env).then(record('delete', `${runtime.name} delete`))));
  const deleteAll = now() - begin;
  return { createStart, deleteAll, perCommand };
}

async function measureParallel(runtimes, bundle, n, rounds, addon, workDir) {
  const samples = Object.fromEntries(runtimes.map((r) => [r.name, { createStart: [], deleteAll: [], create: [], start: [], delete: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const runtime of alternating(runtimes, round)) {
      const batch = await oneBatch(runtime, bundle, n, addon, workDir);
      const s = samples[runtime.name];
      s.createStart.push(batch.createStart);
      s.deleteAll.push(batch.deleteAll);
      for (const kind of ['create', 'start', 'delete']) s[kind].push(...batch.perCommand[kind]);
    }
  }
  return samples;
}

/**
 * Daemon mode's worker, a fork of the daemon, while `spawned` (/usr/bin/time running the front
 * end) runs: polled from /proc without pause until `spawned` has exited. The worker is the
 * daemon's child with a pid a little above `spawned`'s; its VmHWM only grows, so the last reading
 * is its peak, and the last smaps_rollup its private memory near its end. Undefined if missed.
 */
function watchWorker(spawned, daemonPid) {
  let worker;
  const seen = { hwm: undefined, privateDirty: undefined };
  const deadline = now() + 30_000;
  while (!['Z', undefined].includes(processState(spawned)) && now() < deadline) {
    if (worker === undefined) {
      for (let pid = spawned + 1; pid <= spawned + 64 && worker === undefined; pid++) {
        try {
          if (statusField(pid, 'PPid') === daemonPid) worker = pid;
        } catch {
          /* no such pid (yet) */
        }
      }
      continue;
    }
    try {
      const hwm = statusField(worker, 'VmHWM'); // absent once it is a zombie
      if (hwm !== undefined) seen.hwm = Math.max(seen.hwm ?? 0, hwm);
      const dirty = smapsRollup(worker).Private_Dirty;
      if (dirty !== undefined) seen.privateDirty = dirty;
    } catch {
      /* gone */
    }
  }
  return seen;
}

/**
 * Peak RSS (KiB) of the runtime process itself, per subcommand, via /usr/bin/time -f %M. In
 * daemon mode that process is the front end; the worker that does the command's work is
 * measured beside it (watchWorker), and the daemon's own RSS once.
 */
async function measureRuntimeRss(runtimes, bundle, count, addon, workDir, daemon) {
  if (!fs.existsSync('/usr/bin/time')) return undefined;
  const commands = () => ({ create: [], start: [], state: [], delete: [], run: [] });
  const rows = Object.fromEntries(runtimes.map((r) => [r.name, commands()]));
  const worker = { hwm: commands(), privateDirty: commands(), missed: 0 };
  const timed = async (runtime, args) => {
    const err = scratchFile();
    const child = spawn('/usr/bin/time', ['-f', '%M', runtime.binary, ...cli(runtime, ...args)], { env: { ...ENV, ...runtime.env }, stdio: ['ignore', 'ignore', err.fd] });
    const exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (runtime.name === 'daemon') {
      const seen = watchWorker(child.pid, daemon.pid);
      if (seen.hwm === undefined) worker.missed++;
      else worker.hwm[args[0]].push(seen.hwm);
      if (seen.privateDirty !== undefined) worker.privateDirty[args[0]].push(seen.privateDirty);
    }
    const status = await exited;
    const stderr = readScratch(err);
    if (status !== 0) throw new Error(`${runtime.name} ${args[0]} failed: ${stderr}`);
    rows[runtime.name][args[0]].push(Number(stderr.trim().split('\n').pop()));
  };
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const id = newId(runtime);
      const pidFile = path.join(workDir, `${id}.pid`);
      await timed(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      await timed(runtime, ['start', id]);
      await timed(runtime, ['state', id]);
      addon.waitpid(pid, 0);
      await timed(runtime, ['delete', id]);
      await timed(runtime, ['run', '--bundle', bundle, newId(runtime)]);
      fs.rmSync(pidFile, { force: true });
    }
  }
  return { rows, worker, daemonRss: statusField(daemon.pid, 'VmRSS'), daemonRssAtStart: daemon.rssAtStart };
}

function smapsRollup(pid) {
  const fields = {};
  for (const line of fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) fields[m[1]] = Number(m[2]);
  }
  return fields;
}

/** Memory of the container's init while it waits for `start` (KiB from /proc/<pid>/smaps_rollup). */
function measureInitMemory(runtimes, bundle, count, addon, workDir) {
  const rows = Object.fromEntries(runtimes.map((r) => [r.name, { Rss: [], Pss: [], Private_Dirty: [], Private_Clean: [] }]));
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const id = newId(runtime);
      const pidFile = path.join(workDir, `${id}.pid`);
      mustSucceed(`${runtime.name} create`, runtimeSync(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, id]));
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      const smaps = smapsRollup(pid);
      for (const key of Object.keys(rows[runtime.name])) rows[runtime.name][key].push(smaps[key] ?? NaN);
      mustSucceed(`${runtime.name} start`, runtimeSync(runtime, ['start', id]));
      addon.waitpid(pid, 0);
      mustSucceed(`${runtime.name} delete`, runtimeSync(runtime, ['delete', id]));
      fs.rmSync(pidFile, { force: true });
    }
  }
  return rows;
}

/**
 * `state` of a created container, spawned by build/spawn-loop (C) instead of Node: Node's
 * spawnSync adds ~2 ms to every command it times, which hides most of what a fast runtime costs.
 * Back to back (the next spawn as soon as the last is reaped) and spaced (5 ms between), in
 * rounds of 20 per runtime, alternating.
 */
const SPAWN_LOOP_GAPS_US = { 'back to back': 0, spaced: 5000 };
function measureSpawnLoop(runtimes, bundle, count, workDir) {
  const loop = path.join(REPO, 'build', 'spawn-loop');
  const samples = Object.fromEntries(Object.keys(SPAWN_LOOP_GAPS_US).map((gap) => [gap, Object.fromEntries(runtimes.map((r) => [r.name, []]))]));
  const ids = new Map();
  try {
    for (const runtime of runtimes) {
      const id = newId(runtime);
      mustSucceed(`${runtime.name} create`, runtimeSync(runtime, ['create', '--bundle', bundle, '--pid-file', path.join(workDir, `${id}.pid`), id]));
      ids.set(runtime, id);
    }
    const rounds = Math.max(1, Math.ceil(count / 20));
    for (let round = 0; round < rounds; round++) {
      for (const [gap, microseconds] of Object.entries(SPAWN_LOOP_GAPS_US)) {
        for (const runtime of alternating(runtimes, round)) {
          const timed = spawnSync(loop, [String(20), String(microseconds), runtime.binary, ...cli(runtime, 'state', ids.get(runtime))], {
            env: { ...ENV, ...runtime.env },
            encoding: 'utf8',
          });
          if (timed.status !== 0) throw new Error(`spawn-loop ${runtime.name} state: ${timed.stderr}`);
          samples[gap][runtime.name].push(...timed.stdout.trim().split('\n').map(Number));
        }
      }
    }
  } finally {
    for (const [runtime, id] of ids) runtimeSync(runtime, ['delete', '--force', id]);
  }
  return samples;
}

/** HUSK_TIMING=1 runs: each subcommand's phases (medians, ms), for husk direct and in daemon mode. */
function measurePhases(runtimes, bundle, count, addon, workDir) {
  const commands = () => ({ create: [], start: [], state: [], kill: [], delete: [], run: [] });
  const lines = { husk: commands(), daemon: commands() };
  const runcTimes = commands();
  const timing = (stderr) => {
    const line = stderr.split('\n').find((l) => l.startsWith('husk-timing '));
    if (!line) throw new Error(`no husk-timing line in: ${stderr}`);
    return JSON.parse(line.slice('husk-timing '.length));
  };
  const env = { HUSK_TIMING: '1' };
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const isHusk = runtime.name !== 'runc';
      const id = newId(runtime);
      const pidFile = path.join(workDir, `${id}.pid`);
      const step = (name, args) => {
        const result = mustSucceed(`${runtime.name} ${name}`, runtimeSync(runtime, args, isHusk ? env : undefined));
        const t = isHusk ? timing(result.stderr) : undefined;
        if (runtime.name === 'daemon' && t.worker === undefined) throw new Error(`daemon mode ${name} ran the Node CLI (not served by the daemon): ${result.stderr}`);
        if (isHusk) lines[runtime.name][name].push(t);
        else runcTimes[name].push(result.ms);
      };
      step('create', ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
      let pid = Number(fs.readFileSync(pidFile, 'utf8'));
      step('state', ['state', id]);
      step('start', ['start', id]);
      addon.waitpid(pid, 0);
      step('delete', ['delete', id]);
      step('run', ['run', '--bundle', bundle, newId(runtime)]);
      // kill: of a created container (runc refuses to signal a stopped one).
      const victim = newId(runtime);
      mustSucceed(`${runtime.name} create`, runtimeSync(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, victim]));
      pid = Number(fs.readFileSync(pidFile, 'utf8'));
      step('kill', ['kill', victim, 'KILL']);
      addon.waitpid(pid, 0);
      mustSucceed(`${runtime.name} delete`, runtimeSync(runtime, ['delete', victim]));
      fs.rmSync(pidFile, { force: true });
    }
  }
  const reduce = (phases) => {
    const medians = {};
    const cpuMedians = {};
    const codeCache = new Set();
    for (const [command, timings] of Object.entries(phases)) {
      const names = [...new Set(timings.flatMap((l) => Object.keys(l)))].filter((k) => !['command', 'cpu', 'codeCache'].includes(k));
      medians[command] = Object.fromEntries(names.map((n) => [n, median(timings.map((l) => l[n] ?? 0))]));
      cpuMedians[command] = Object.fromEntries(names.map((n) => [n, median(timings.map((l) => l.cpu?.[n] ?? 0))]));
      for (const l of timings) codeCache.add(l.codeCache ?? 'none');
    }
    return { medians, cpuMedians, codeCache: [...codeCache] };
  };
  const husk = reduce(lines.husk);
  const daemon = reduce(lines.daemon);
  return {
    husk: husk.medians,
    huskCpu: husk.cpuMedians,
    codeCache: husk.codeCache,
    daemon: daemon.medians,
    daemonCpu: daemon.cpuMedians,
    daemonCodeCache: daemon.codeCache,
    runc: Object.fromEntries(Object.entries(runcTimes).map(([k, v]) => [k, median(v)])),
  };
}

/**
 * podman run --rm and ctr run --rm of /bin/true with each runtime, alternating, and Podman's tight
 * limits (bench/clients.js). Each part is skipped, with the reason, when its client is missing.
 */
async function measureClients(runtimes, count, workDir) {
  const clients = require('./clients');
  const daemonMode = runtimes.some((r) => r.name === 'daemon') ? { huskCli: HUSK, frontend: frontend() } : undefined;
  const stillServed = async (client, name) => {
    if (client.huskDaemon && !(await client.huskDaemon.serves())) throw new Error(`${name}: the sandbox's husk daemon stopped serving (${client.huskDaemon.log}); daemon-mode rows would be the Node CLI's`);
  };
  const result = { notes: [], podman: undefined, ctr: undefined, limits: undefined };
  if (count === 0) {
    result.notes.push('client rows: skipped (--clients 0).');
    return result;
  }
  const podmanSkip = clients.skipReason(['podman', 'conmon', 'ip']);
  if (podmanSkip) {
    result.notes.push(`\`podman run --rm\` rows and the tight limits: ${podmanSkip}.`);
  } else {
    const podman = await clients.startPodman(daemonMode);
    try {
      result.podman = Object.fromEntries(runtimes.map((r) => [r.name, []]));
      for (let i = 0; i < count; i++) {
        for (const runtime of alternating(runtimes, i)) {
          const run = await podman.run(runtime.binary);
          if (run.status !== 0) throw new Error(`podman run with ${runtime.name}: ${run.error}`);
          result.podman[runtime.name].push(run.ms);
        }
      }
      await stillServed(podman, 'podman run --rm');
      result.limits = [];
      for (const flags of [['--memory', '6m'], ['--memory', '4m'], ['--memory', '2m'], ['--pids-limit', '1']]) {
        const row = { flags: flags.join(' ') };
        for (const runtime of runtimes) {
          const tries = [];
          for (let i = 0; i < 3; i++) tries.push(await podman.run(runtime.binary, flags));
          row[runtime.name] = { ok: tries.filter((t) => t.status === 0).length, of: tries.length, error: tries.find((t) => t.status !== 0)?.error };
        }
        result.limits.push(row);
      }
      await stillServed(podman, 'podman tight limits');
    } finally {
      const left = await podman.close();
      if (left.length) result.notes.push(`podman sandbox: processes left and killed: ${left.join('; ')}`);
    }
  }
  const ctrSkip = clients.skipReason(['containerd', 'ctr', 'containerd-shim-runc-v2']);
  if (ctrSkip) {
    result.notes.push(`\`ctr run --rm\` rows: ${ctrSkip}.`);
  } else {
    const containerd = await clients.startContainerd(daemonMode);
    try {
      result.ctr = Object.fromEntries(runtimes.map((r) => [r.name, []]));
      for (let i = 0; i < count; i++) {
        for (const runtime of alternating(runtimes, i)) {
          const run = await containerd.run(runtime.binary, path.join(workDir, `ctr-root-${runtime.name}`));
          if (run.status !== 0) throw new Error(`ctr run with ${runtime.name}: ${run.error}`);
          result.ctr[runtime.name].push(run.ms);
        }
      }
      await stillServed(containerd, 'ctr run --rm');
    } finally {
      const left = (await containerd.close()).filter((p) => !p.includes('containerd --config'));
      if (left.length) result.notes.push(`containerd sandbox: processes left and killed: ${left.join('; ')}`);
    }
  }
  return result;
}

// ---- output ----

/** Rows of [label, husk, daemon, runc] summaries. */
function latencyTable(rows) {
  const lines = [
    '| what | husk median | husk min–max | daemon median | daemon min–max | runc median | runc min–max | husk/runc | daemon/runc |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const range = (x) => (Number.isFinite(x.min) ? `${ms(x.min)}–${ms(x.max)}` : '–');
  for (const [label, h, d, r] of rows) {
    lines.push(`| ${label} | ${ms(h.median)} | ${range(h)} | ${ms(d.median)} | ${range(d)} | ${ms(r.median)} | ${range(r)} | **${ratio(h.median, r.median)}** | **${ratio(d.median, r.median)}** |`);
  }
  return lines.join('\n');
}

/** Generated "reading" of daemon mode against the targets of issue 8. */
function daemonReading(context) {
  const { run, sequence, initMemory, parallel } = context;
  const met = (ok) => (ok ? '**met**' : '**not met**');
  const r = (d, base) => d / base;
  const runRatio = r(median(run.daemon), median(run.runc));
  const seqRatio = r(median(sequence.daemon.total), median(sequence.runc.total));
  const steps = ['create', 'start', 'state', 'delete'];
  const own = [['run', median(run.daemon), median(run.runc)], ...steps.map((s) => [s, median(sequence.daemon[s]), median(sequence.runc[s])])];
  const twice = own.filter(([, d, rc]) => d <= rc / 2).map(([n]) => n);
  const notTwice = own.filter(([, d, rc]) => !(d <= rc / 2));
  const initKiB = median(initMemory.daemon.Private_Dirty);
  const parRatio = r(median(parallel.daemon.createStart), median(parallel.runc.createStart));
  const lines = [];
  lines.push(
    `Reading daemon mode against the targets of issue 8 (medians of this run): \`run\` ${ms(median(run.daemon))} ms against runc's ${ms(median(run.runc))}, ratio ${runRatio.toFixed(2)} — target ≤ 1.3 ${met(runRatio <= 1.3)}. ` +
      `The containerd sequence ${ms(median(sequence.daemon.total))} ms against ${ms(median(sequence.runc.total))}, ratio ${seqRatio.toFixed(2)} — first-step target ≤ 2.0 ${met(seqRatio <= 2)}; under runc's time (< 1.0) ${met(seqRatio < 1)}. ` +
      `Per step: ${steps.map((s) => `${s} ${ratio(median(sequence.daemon[s]), median(sequence.runc[s]))}`).join(', ')}. ` +
      `"husk's own work at least 2× faster than runc" (daemon mode has no Node floor to subtract, so its whole wall-clock time counts): ${twice.length ? `met for ${twice.join(', ')}` : 'met for no subcommand'}${notTwice.length ? `; not met for ${notTwice.map(([n, d, rc]) => `${n} (${ms(d)} vs ${ms(rc)} ms, ${(d / rc).toFixed(2)}×)`).join(', ')}` : ''}. ` +
      `The waiting init holds ${initKiB.toFixed(0)} KiB private dirty — target ≤ 2 MiB ${met(initKiB <= 2048)}. ` +
      `${context.options.parallel} in parallel, create+start: ratio ${parRatio.toFixed(2)} (no target).`,
  );
  const loop = context.spawnLoop;
  const loopRatio = (gap) => median(loop[gap].daemon) / median(loop[gap].runc);
  lines.push(
    '',
    `Without the bench's own ~2 ms per spawn (\`state\` spawned from C, below): ${Object.keys(loop)
      .map((gap) => `${gap} ${median(loop[gap].daemon).toFixed(2)} ms against runc's ${median(loop[gap].runc).toFixed(2)}, ratio ${loopRatio(gap).toFixed(2)}`)
      .join('; ')} — 2× faster ${Object.keys(loop)
      .map((gap) => `${gap} ${met(loopRatio(gap) <= 0.5)}`)
      .join(', ')}.`,
  );
  return lines.join('\n');
}

function renderResults(context) {
  const { options, machine, load, floor, run, sequence, parallel, rss, initMemory, phases, absent, startedAt, seconds } = context;
  const out = [];
  out.push('# husk (direct and daemon mode) vs runc: benchmark results', '');
  out.push(`Generated by \`${context.argv.length ? `node bench/bench.js ${context.argv.join(' ')}` : 'make bench'}\` on ${startedAt}, in ${seconds.toFixed(0)} s. Regenerate with the same command; every figure below and \`latency.svg\` come from that one run. Times are wall-clock milliseconds as seen by the caller (spawn to exit), the three runtimes alternating (A B C, C B A, ...) on the same busybox bundle running \`/bin/true\`.`, '');
  out.push('The runtimes: **husk** is bin/husk, a Node process per command. **husk (daemon)** ("daemon" in the tables) is daemon mode (docs/daemon.md): the static front end build/bin/husk, served by a `husk daemon` the bench starts on a socket of its own (`--idle-exit 60`) and stops at the end; between the parts of the bench it checks that the front end is still served by the daemon (`HUSK_TIMING`\'s first phase is `worker`, not `node`), so no daemon-mode figure is a silent fall-back to the Node CLI. The daemon is started before the measurements and is warm for all of them. **runc** is Debian\'s runc.', '');
  out.push('## Machine', '');
  out.push(`- ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, kernel ${machine.kernel}, cgroups ${machine.cgroups}`);
  out.push(`- Node ${machine.node}; ${machine.runc}; ${machine.husk}`);
  out.push(`- /run (the state roots live under it) is ${machine.stateFs}; NODE_EXTRA_CA_CERTS ${machine.extraCaCerts}`);
  out.push(`- Load average: ${load.before.join(' ')} before, ${load.after.join(' ')} after (1/5/15 min; sampled every 5 s during the run: min ${load.min.toFixed(2)}, max ${load.max.toFixed(2)}).`);
  out.push(`- Other processes using ≥5% CPU when the run began: ${load.busy.length ? load.busy.join(', ') : 'none'}.`);
  if (load.max >= 0.5 || load.busy.length) {
    out.push('', `**The machine was not idle**: load average up to ${load.max.toFixed(2)} on ${machine.nproc} CPUs (the bench's own parallel batches put ~50 processes on the run queue; see the line above for other processes). Absolute times are inflated and noisy; the husk/runc ratios are the meaningful figures, since both runtimes were interleaved under the same load.`);
  }
  out.push('', `Node's floor — \`node -e 0\` with husk's environment (NODE_EXTRA_CA_CERTS dropped): median ${ms(floor.bare.median)} ms (min ${ms(floor.bare.min)})${floor.withCerts ? `; with NODE_EXTRA_CA_CERTS as set here: ${ms(floor.withCerts.median)} ms` : ''}.`, '');

  out.push('## Latency', '');
  const three = (label, pick) => [label, summarize(pick('husk')), summarize(pick('daemon')), summarize(pick('runc'))];
  const rows = [
    three(`\`run\` /bin/true, sequential (${options.count} each)`, (n) => run[n]),
    ...SEQUENCE_STEPS.map((step) =>
      three(step === 'total' ? `containerd sequence, whole (${options.sequence} each)` : `containerd sequence: ${step === 'wait' ? 'wait for exit' : `\`${step}\``}`, (n) => sequence[n][step]),
    ),
    three(`${options.parallel} in parallel: create+start all (${options.rounds} batches)`, (n) => parallel[n].createStart),
    three(`${options.parallel} in parallel: delete all`, (n) => parallel[n].deleteAll),
    three(`… one \`create\` within a parallel batch`, (n) => parallel[n].create),
    three(`… one \`start\` within a parallel batch`, (n) => parallel[n].start),
  ];
  if (context.clients.podman) rows.push(three(`\`podman run --rm\` /bin/true (${options.clients} each)`, (n) => context.clients.podman[n]));
  if (context.clients.ctr) rows.push(three(`\`ctr run --rm\` /bin/true (${options.clients} each)`, (n) => context.clients.ctr[n]));
  out.push(latencyTable(rows), '');
  if (context.clients.podman || context.clients.ctr) {
    out.push('In the Podman and containerd rows, daemon mode is a `husk daemon` started inside each client\'s sandbox (private mount and network namespaces, like the client tests\'), on the default socket in the sandbox\'s own /run: a front end in another mount namespace than its daemon runs the Node CLI by design. The bench checks that a front end run in the sandbox is served by that daemon before and after those rows.', '');
  }
  out.push('"wait for exit" is the time from `state` returning until the bench (a child subreaper, as containerd\'s shim is) reaps the init; /bin/true has usually exited by then.', '');
  out.push('Reading these figures: every direct husk command first pays Node\'s own start-up (the floor above; `node` in the phase tables), about five times what a whole runc `state` or `start` costs here, so per-command ratios stay high however little husk does after it. The parallel batches are CPU-bound on 2 CPUs, where that floor is paid 100 times. On this cgroup v1 host the first write to a `cgroup.procs` takes 6–10 ms (strace of both runtimes; the kernel\'s cgroup migration lock, most likely waiting for an RCU grace period); both pay it in `create`, husk inside `clone-to-ready`. Daemon mode pays no Node start-up: a command costs the front end\'s start and connect, a fork of the warm daemon, and husk\'s own work in the worker (the daemon-mode phase table below).', '');
  out.push(daemonReading(context), '');

  out.push('### husk\'s own work (Node\'s floor subtracted) against runc', '');
  out.push('Daemon mode has no Node start-up to subtract: its median is shown as measured, against runc\'s. The target is own/runc ≤ 0.5 (2× faster).', '');
  out.push('| subcommand | husk median | − Node floor | = husk\'s own | runc median | own/runc | daemon median | daemon/runc |', '|---|---:|---:|---:|---:|---:|---:|---:|');
  const own = [
    ['run', median(run.husk), median(run.runc), median(run.daemon)],
    ...['create', 'start', 'state', 'delete'].map((step) => [step, median(sequence.husk[step]), median(sequence.runc[step]), median(sequence.daemon[step])]),
  ];
  for (const [name, h, r, d] of own) out.push(`| ${name} | ${ms(h)} | ${ms(floor.bare.median)} | ${ms(h - floor.bare.median)} | ${ms(r)} | ${ratio(h - floor.bare.median, r)} | ${ms(d)} | ${ratio(d, r)} |`);
  out.push('');

  out.push('### `state` spawned from C', '');
  out.push(`Every figure above is timed by this Node process, whose spawnSync adds ~2 ms to each command, as much as runc's whole \`state\`. Here \`state\` of a created container is spawned by \`build/spawn-loop\` (bench/spawn-loop.c: posix_spawn, waitpid, ~0.05 ms of its own), ${context.spawnLoop.spaced.runc.length} times per runtime in rounds of 20, alternating: back to back, and with 5 ms between commands (a daemon worker leaves ~3 ms of CPU behind it — its exit, the next spare's fork and page touching — which a command right behind it shares 2 CPUs with).`, '');
  out.push('| `state` | husk median | p10–p90 | daemon median | p10–p90 | runc median | p10–p90 | husk/runc | daemon/runc |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [gap, values] of Object.entries(context.spawnLoop)) {
    const spread = (v) => `${quantile(v, 0.1).toFixed(2)}–${quantile(v, 0.9).toFixed(2)}`;
    const m = (v) => median(v).toFixed(2);
    out.push(`| ${gap} | ${m(values.husk)} | ${spread(values.husk)} | ${m(values.daemon)} | ${spread(values.daemon)} | ${m(values.runc)} | ${spread(values.runc)} | **${ratio(median(values.husk), median(values.runc))}** | **${ratio(median(values.daemon), median(values.runc))}** |`);
  }
  out.push('');

  out.push('## Memory', '');
  if (rss) {
    const kib = (values) => (values && values.length ? median(values).toFixed(0) : '–');
    out.push('Peak RSS of the runtime process (`/usr/bin/time -f %M`, KiB, median of ' + options.memory + '). In daemon mode the process the caller runs is the front end; the command\'s work happens in a worker, a fork of the daemon, whose peak (VmHWM) and Private_Dirty (its own copies of the daemon\'s pages, read from /proc/<worker>/smaps_rollup as late as the bench could catch it) are measured by polling /proc while the command runs. The worker\'s RSS counts the pages it shares with the daemon; Private_Dirty is what it costs on its own.', '');
    out.push('| subcommand | husk | daemon: front end | daemon: worker peak RSS | daemon: worker Private_Dirty | runc |', '|---|---:|---:|---:|---:|---:|');
    for (const name of Object.keys(rss.rows.husk)) {
      out.push(`| ${name} | ${kib(rss.rows.husk[name])} | ${kib(rss.rows.daemon[name])} | ${kib(rss.worker.hwm[name])} | ${kib(rss.worker.privateDirty[name])} | ${kib(rss.rows.runc[name])} |`);
    }
    out.push('', `The daemon itself (one per host, shared by every command): VmRSS ${rss.daemonRssAtStart ?? '–'} KiB once started, ${rss.daemonRss ?? '–'} KiB after the runs above.${rss.worker.missed ? ` The worker was missed by the polling ${rss.worker.missed} time(s) (a command faster than a /proc scan); its medians are of the rest.` : ''}`, '');
  } else {
    out.push('(/usr/bin/time is not installed: no peak RSS rows.)', '');
  }
  out.push(`The container's init while it waits for \`start\` (\`/proc/<pid>/smaps_rollup\`, KiB, median of ${options.memory}). For husk it is a clone of husk's Node process; in daemon mode a clone of the static front end (build/bin/husk); for runc it is \`runc init\`, a copy of the runc binary:`, '');
  out.push('| | Rss | Pss | Private_Dirty | Private_Clean |', '|---|---:|---:|---:|---:|');
  for (const name of ['husk', 'daemon', 'runc']) {
    const m = initMemory[name];
    out.push(`| ${name === 'daemon' ? 'husk (daemon)' : name} | ${median(m.Rss).toFixed(0)} | ${median(m.Pss).toFixed(0)} | ${median(m.Private_Dirty).toFixed(0)} | ${median(m.Private_Clean).toFixed(0)} |`);
  }
  out.push('', 'Private_Dirty is what the waiting init costs the machine on its own (its other pages are shared with the page cache or other processes). Before addon/memory.c (commits 2f17c24 and af1c22d) husk\'s init kept its copy of husk\'s malloc heaps: 3.8–4.6 MiB private dirty, measured the same way; releasing them brought it to ~0.8 MiB, then ~0.55 MiB.', '');

  if (context.clients.limits) {
    out.push('## Tight limits under Podman', '');
    out.push('`podman run --rm --network none <flags> busybox /bin/true`, 3 tries per cell: how many succeeded, and the first error. The limit is set on the container\'s cgroup, which the runtime\'s init joins before the program runs: what the init holds of the runtime counts against it.', '');
    out.push('| flags | husk | husk (daemon) | runc |', '|---|---|---|---|');
    const cell = (c) => (c ? `${c.ok}/${c.of}${c.error ? ` — ${c.error.replace(/\|/g, '\\|').slice(0, 160)}` : ''}` : '–');
    for (const row of context.clients.limits) out.push(`| \`${row.flags}\` | ${cell(row.husk)} | ${cell(row.daemon)} | ${cell(row.runc)} |`);
    out.push('');
  }
  out.push('## Where husk\'s time goes (HUSK_TIMING=1)', '');
  out.push(`Medians of ${options.phases} runs per subcommand, ms. \`node\`: Node's start-up before bin/husk's first line; \`load\`: evaluating the bundle; \`args\`: parsing the command line; \`config\`: reading and validating config.json (and loading the create path); \`cgroup\`: creating the cgroup and writing its limits; \`plan\`: building the launch plan; \`clone-to-ready\`: clone3 until the init waits on the exec fifo; \`state\`: reading or writing state.json (and the lock); \`fifo-wait\`: start releasing the init until it has exec'd; \`exit\`: the rest of the subcommand and process exit. The \`kill\` row signals a created container.`, '');
  const order = ['node', 'worker', 'load', 'args', 'config', 'cgroup', 'plan', 'clone-to-ready', 'state', 'fifo-wait', 'exit'];
  const seen = new Set([...Object.values(phases.husk), ...Object.values(phases.daemon)].flatMap((p) => Object.keys(p)));
  const allPhases = [...order.filter((p) => seen.has(p)), ...[...seen].filter((p) => !order.includes(p) && p !== 'total')];
  const phaseTable = (table, runcColumn) => {
    out.push(`| subcommand | ${allPhases.join(' | ')} | total |${runcColumn ? ' runc (wall) |' : ''}`, `|---|${allPhases.map(() => '---:').join('|')}|---:|${runcColumn ? '---:|' : ''}`);
    for (const [command, p] of Object.entries(table)) {
      out.push(`| ${command} | ${allPhases.map((name) => (p[name] === undefined ? '' : ms(p[name]))).join(' | ')} | ${ms(p.total)} |${runcColumn ? ` ${ms(phases.runc[command])} |` : ''}`);
    }
    out.push('');
  };
  out.push('Wall-clock, bin/husk:', '');
  phaseTable(phases.husk, true);
  out.push('CPU time, bin/husk (user + system of all of husk\'s threads; a loaded machine inflates it far less than wall-clock time):', '');
  phaseTable(phases.huskCpu, false);
  out.push(`V8 code cache of the bundle (build/husk.js.cache): ${phases.codeCache.join(', ')}.`, '');
  out.push('Daemon mode, wall-clock, as the worker reports it: `worker` is from the daemon\'s fork to the command\'s start (in place of `node`); what the front end adds (its own start, connecting, the HELLO, and the clones it makes for the worker, which `clone-to-ready` includes) is the difference between the latency tables and `total`:', '');
  phaseTable(phases.daemon, true);
  out.push('Daemon mode, CPU time of the worker:', '');
  phaseTable(phases.daemonCpu, false);
  out.push(`V8 code cache in the worker: ${phases.daemonCodeCache.join(', ')} (the daemon compiles every function at start, \`--no-lazy\`, and workers inherit the bytecode; the cache made for bin/husk's flags does not apply).`, '');

  if (absent.length) {
    out.push('## Not measured here', '');
    for (const note of absent) out.push(`- ${note}`);
  }
  out.push('', '![latency distributions](latency.svg)', '');
  return out.join('\n');
}

// ---- the SVG ----

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Box plots (p25–p75 box, median line, min–max whiskers, every sample as a dot) on a log time axis. */
function renderSvg(series, title, floor) {
  const width = 930;
  const rowHeight = 26;
  const left = 330;
  const right = 30;
  const top = 50;
  const bottom = 50;
  const height = top + bottom + series.length * rowHeight;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const x = (v) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (width - left - right);
  const colors = { husk: '#1f77b4', daemon: '#ff7f0e', runc: '#d62728' };
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi) break;
      const px = x(v);
      parts.push(`<line x1="${px}" y1="${top - 5}" x2="${px}" y2="${height - bottom}" stroke="${m === 1 ? '#bbb' : '#e5e5e5'}"/>`);
      parts.push(`<text x="${px}" y="${height - bottom + 16}" text-anchor="middle" fill="#555">${v >= 1 ? v : v.toFixed(1)}</text>`);
    }
  }
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">milliseconds (log scale)</text>`);
  if (floor > 0) {
    // Node's floor: no direct husk command (bin/husk) can take less than `node -e 0`; daemon mode does not pay it.
    parts.push(`<line x1="${x(floor)}" y1="${top - 8}" x2="${x(floor)}" y2="${height - bottom}" stroke="#2ca02c" stroke-dasharray="5,4" stroke-width="1.5"/>`);
    parts.push(`<text x="${x(floor) + 4}" y="${top - 10}" fill="#2ca02c" font-size="11">node -e 0 (bin/husk's floor): ${ms(floor)}</text>`);
  }
  series.forEach((s, i) => {
    const cy = top + i * rowHeight + rowHeight / 2;
    const color = colors[s.runtime] ?? '#333';
    const st = summary(s.values);
    if (i % 2 === 0) parts.push(`<rect x="0" y="${cy - rowHeight / 2}" width="${width}" height="${rowHeight}" fill="#f7f7f7" opacity="0.6"/>`);
    parts.push(`<text x="${left - 10}" y="${cy + 4}" text-anchor="end" fill="${color}">${escapeXml(s.label)}</text>`);
    parts.push(`<line x1="${x(st.min)}" y1="${cy}" x2="${x(st.max)}" y2="${cy}" stroke="${color}"/>`);
    parts.push(`<rect x="${x(st.p25)}" y="${cy - 7}" width="${Math.max(1, x(st.p75) - x(st.p25))}" height="14" fill="${color}" fill-opacity="0.25" stroke="${color}"/>`);
    s.values.forEach((v, k) => {
      const jitter = (((k * 7919) % 11) - 5) * 0.9;
      parts.push(`<circle cx="${x(v).toFixed(1)}" cy="${(cy + jitter).toFixed(1)}" r="1.3" fill="${color}" fill-opacity="0.45"/>`);
    });
    parts.push(`<line x1="${x(st.median)}" y1="${cy - 9}" x2="${x(st.median)}" y2="${cy + 9}" stroke="black" stroke-width="2"/>`);
    parts.push(`<text x="${Math.min(width - right, x(st.max) + 6)}" y="${cy + 4}" fill="#333" font-size="10">${ms(st.median)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function svgSeries(context) {
  const { options, run, sequence, parallel } = context;
  const series = [];
  const labels = { husk: 'husk', daemon: 'husk (daemon)', runc: 'runc' };
  const triple = (label, pick) => {
    for (const name of ['husk', 'daemon', 'runc']) {
      const values = pick(name);
      if (values && values.length) series.push({ label: `${label} — ${labels[name]}`, runtime: name, values });
    }
  };
  triple(`run /bin/true (×${options.count})`, (n) => run[n]);
  for (const step of ['create', 'start', 'state', 'delete', 'total']) triple(step === 'total' ? 'containerd sequence' : step, (n) => sequence[n][step]);
  triple(`create in a batch of ${options.parallel}`, (n) => parallel[n].create);
  triple(`start in a batch of ${options.parallel}`, (n) => parallel[n].start);
  triple(`${options.parallel} create+start, whole batch`, (n) => parallel[n].createStart);
  if (context.clients.podman) triple('podman run --rm', (n) => context.clients.podman[n]);
  if (context.clients.ctr) triple('ctr run --rm', (n) => context.clients.ctr[n]);
  return series;
}

// ---- main ----

/** Delete what containers are left (the daemon still serving daemon mode's), then stop the daemon. */
function cleanUp(runtimes, workDir, daemon) {
  for (const runtime of runtimes) {
    if (!fs.existsSync(runtime.root)) continue;
    for (const id of fs.readdirSync(runtime.root).filter((name) => name.startsWith('bench-'))) {
      spawnSync(runtime.binary, cli(runtime, 'delete', '--force', id), { env: { ...ENV, ...runtime.env }, stdio: 'ignore' });
    }
  }
  stopDaemon(daemon);
  fs.rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (process.getuid() !== 0) fail('run as root (it starts containers)');
  if (!fs.existsSync(path.join(path.dirname(HUSK), '..', 'build', 'husk.js')) || !fs.existsSync(frontend())) fail('build husk first (make)');
  const addon = require(path.join(path.dirname(HUSK), '..', 'build', 'Release', 'husk_addon.node'));
  addon.setChildSubreaper();

  const workDir = fs.mkdtempSync('/run/husk-bench-');
  scratchDir = workDir;
  const runtimes = makeRuntimes(workDir);
  const daemonRuntime = runtimes.find((r) => r.name === 'daemon');
  let daemon;
  const stop = () => {
    cleanUp(runtimes, workDir, daemon);
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  // Last resort (an exit nobody planned): never leave the daemon running.
  process.on('exit', () => {
    if (daemon && !daemon.stopped) daemon.child.kill('SIGKILL');
  });

  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const began = now();
  const loadSamples = [loadAverage()[0]];
  const sampler = setInterval(() => loadSamples.push(loadAverage()[0]), 5000);
  const progress = (text) => process.stderr.write(`bench: ${text}\n`);
  try {
    const machine = describeMachine();
    const load = { before: loadAverage(), busy: otherBusyProcesses() };
    progress(`machine: ${machine.nproc} CPUs, load ${load.before.join(' ')}${load.busy.length ? `, busy: ${load.busy.join(', ')}` : ''}`);
    const bundle = makeBundle(workDir);
    progress('starting husk daemon');
    daemon = await startDaemon(daemonRuntime, workDir);
    progress('Node floor');
    const floor = measureNodeFloor(Math.max(10, Math.min(options.count, 30)));
    progress(`run ×${options.count} each`);
    const run = measureRun(runtimes, bundle, options.count);
    assertDaemonServes(daemon, 'run');
    progress(`containerd sequence ×${options.sequence} each`);
    const sequence = measureSequence(runtimes, bundle, options.sequence, addon, workDir);
    assertDaemonServes(daemon, 'the containerd sequence');
    progress(`state from a C loop ×${options.sequence * 2} each`);
    const spawnLoop = measureSpawnLoop(runtimes, bundle, options.sequence, workDir);
    assertDaemonServes(daemon, 'the C loop');
    progress(`${options.parallel} in parallel ×${options.rounds} each`);
    const parallel = await measureParallel(runtimes, bundle, options.parallel, options.rounds, addon, workDir);
    assertDaemonServes(daemon, 'the parallel batches');
    progress('memory');
    const rss = await measureRuntimeRss(runtimes, bundle, options.memory, addon, workDir, daemon);
    const initMemory = measureInitMemory(runtimes, bundle, options.memory, addon, workDir);
    assertDaemonServes(daemon, 'the memory rows');
    progress(`phases ×${options.phases}`);
    const phases = measurePhases(runtimes, bundle, options.phases, addon, workDir);
    stopDaemon(daemon); // the client rows run daemons of their own, in their sandboxes
    progress(`clients ×${options.clients} each`);
    const clientRows = await measureClients(runtimes, options.clients, workDir);
    clearInterval(sampler);
    loadSamples.push(loadAverage()[0]);
    load.after = loadAverage();
    load.min = Math.min(...loadSamples);
    load.max = Math.max(...loadSamples);

    const absent = [...clientRows.notes];
    if (!rss) absent.push('peak RSS: /usr/bin/time is not installed.');

    const context = { argv, options, machine, load, floor, run, sequence, spawnLoop, parallel, rss, initMemory, phases, clients: clientRows, absent, startedAt, seconds: (now() - began) / 1000 };
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'RESULTS.md'), renderResults(context));
    fs.writeFileSync(path.join(options.out, 'latency.svg'), renderSvg(svgSeries(context), `husk, husk (daemon) and runc — latency distributions (${machine.nproc} CPUs, load ≤ ${load.max.toFixed(1)})`, floor.bare.median));
    progress(`wrote ${path.join(options.out, 'RESULTS.md')} and latency.svg`);
    const line = (label, values) =>
      progress(`${label}: husk ${ms(median(values.husk))} ms, husk (daemon) ${ms(median(values.daemon))} ms, runc ${ms(median(values.runc))} ms; ratios ${ratio(median(values.husk), median(values.runc))}, daemon ${ratio(median(values.daemon), median(values.runc))}`);
    line('run', run);
    line('containerd sequence', { husk: sequence.husk.total, daemon: sequence.daemon.total, runc: sequence.runc.total });
    for (const gap of Object.keys(spawnLoop)) line(`state from a C loop, ${gap}`, spawnLoop[gap]);
    line('parallel create+start', { husk: parallel.husk.createStart, daemon: parallel.daemon.createStart, runc: parallel.runc.createStart });
    progress(`init Private_Dirty: husk ${median(initMemory.husk.Private_Dirty)} KiB, husk (daemon) ${median(initMemory.daemon.Private_Dirty)} KiB, runc ${median(initMemory.runc.Private_Dirty)} KiB`);
  } finally {
    clearInterval(sampler);
    cleanUp(runtimes, workDir, daemon);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack || err}\n`);
  process.exit(1);
});

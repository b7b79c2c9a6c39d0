#!/usr/bin/env node
// `make bench`: husk against runc on the same busybox bundle, alternating the two runtimes
// (A/B, then B/A) so that load from anything else running on the machine lands on both.
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
  --husk PATH     the husk executable (default bin/husk of this tree)
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

const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');

// ---- running commands ----

// The environment containerd or Podman would pass: the caller's, as is (bin/husk itself drops
// NODE_EXTRA_CA_CERTS in its shebang).
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
function runAsync(binary, args) {
  return new Promise((resolve, reject) => {
    const err = scratchFile();
    const start = now();
    const child = spawn(binary, args, { env: ENV, stdio: ['ignore', 'ignore', err.fd] });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ ms: now() - start, status, stderr: readScratch(err) }));
  });
}

// ---- the runtimes ----

function makeRuntimes(workDir) {
  return [
    { name: 'husk', binary: HUSK, root: path.join(workDir, 'root-husk') },
    { name: 'runc', binary: RUNC, root: path.join(workDir, 'root-runc') },
  ];
}

/** Alternate the order every iteration (A B, B A, ...) so drifting load falls on both. */
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
      const result = mustSucceed(`${runtime.name} run`, runSync(runtime.binary, cli(runtime, 'run', '--bundle', bundle, newId(runtime))));
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
  times.create = mustSucceed(`${runtime.name} create`, runSync(runtime.binary, cli(runtime, 'create', '--bundle', bundle, '--pid-file', pidFile, id))).ms;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  times.start = mustSucceed(`${runtime.name} start`, runSync(runtime.binary, cli(runtime, 'start', id))).ms;
  const state = mustSucceed(`${runtime.name} state`, runSync(runtime.binary, cli(runtime, 'state', id)));
  times.state = state.ms;
  const reported = JSON.parse(state.stdout);
  // Both runtimes say pid 0 once the init has exited (a zombie counts as stopped).
  if (reported.status !== 'stopped' && reported.pid !== pid) throw new Error(`${runtime.name} state: pid ${reported.pid} is not the one in the pid file (${pid})`);
  let start = now();
  addon.waitpid(pid, 0); // the init is our child now (subreaper), as it is the shim's
  times.wait = now() - start;
  times.delete = mustSucceed(`${runtime.name} delete`, runSync(runtime.binary, cli(runtime, 'delete', id))).ms;
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
      runAsync(runtime.binary, cli(runtime, 'create', '--bundle', bundle, '--pid-file', pidFiles[i], id))
        .then(record('create', `${runtime.name} create`))
        .then(() => runAsync(runtime.binary, cli(runtime, 'start', id)))
        .then(record('start', `${runtime.name} start`)),
    ),
  );
  const createStart = now() - begin;
  for (const file of pidFiles) {
    addon.waitpid(Number(fs.readFileSync(file, 'utf8')), 0);
    fs.rmSync(file, { force: true });
  }
  begin = now();
  await Promise.all(ids.map((id) => runAsync(runtime.binary, cli(runtime, 'delete', id)).then(record('delete', `${runtime.name} delete`))));
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

/** Peak RSS (KiB) of the runtime process itself, per subcommand, via /usr/bin/time -f %M. */
function measureRuntimeRss(runtimes, bundle, count, addon, workDir) {
  if (!fs.existsSync('/usr/bin/time')) return undefined;
  const rows = Object.fromEntries(runtimes.map((r) => [r.name, { create: [], start: [], state: [], delete: [], run: [] }]));
  const timed = (runtime, args) => {
    const err = scratchFile();
    const result = spawnSync('/usr/bin/time', ['-f', '%M', runtime.binary, ...cli(runtime, ...args)], { env: ENV, stdio: ['ignore', 'ignore', err.fd] });
    const stderr = readScratch(err);
    if (result.status !== 0) throw new Error(`${runtime.name} ${args[0]} failed: ${stderr}`);
    return Number(stderr.trim().split('\n').pop());
  };
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating(runtimes, i)) {
      const id = newId(runtime);
      const pidFile = path.join(workDir, `${id}.pid`);
      const r = rows[runtime.name];
      r.create.push(timed(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, id]));
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      r.start.push(timed(runtime, ['start', id]));
      r.state.push(timed(runtime, ['state', id]));
      addon.waitpid(pid, 0);
      r.delete.push(timed(runtime, ['delete', id]));
      r.run.push(timed(runtime, ['run', '--bundle', bundle, newId(runtime)]));
      fs.rmSync(pidFile, { force: true });
    }
  }
  return rows;
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
      mustSucceed(`${runtime.name} create`, runSync(runtime.binary, cli(runtime, 'create', '--bundle', bundle, '--pid-file', pidFile, id)));
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      const smaps = smapsRollup(pid);
      for (const key of Object.keys(rows[runtime.name])) rows[runtime.name][key].push(smaps[key] ?? NaN);
      mustSucceed(`${runtime.name} start`, runSync(runtime.binary, cli(runtime, 'start', id)));
      addon.waitpid(pid, 0);
      mustSucceed(`${runtime.name} delete`, runSync(runtime.binary, cli(runtime, 'delete', id)));
      fs.rmSync(pidFile, { force: true });
    }
  }
  return rows;
}

/** HUSK_TIMING=1 runs: each subcommand's phases (medians, ms). */
function measurePhases(husk, runc, bundle, count, addon, workDir) {
  const phases = { create: [], start: [], state: [], kill: [], delete: [], run: [] };
  const runcTimes = { create: [], start: [], state: [], kill: [], delete: [], run: [] };
  const timing = (stderr) => {
    const line = stderr.split('\n').find((l) => l.startsWith('husk-timing '));
    if (!line) throw new Error(`no husk-timing line in: ${stderr}`);
    return JSON.parse(line.slice('husk-timing '.length));
  };
  const env = { HUSK_TIMING: '1' };
  for (let i = 0; i < count; i++) {
    for (const runtime of alternating([husk, runc], i)) {
      const isHusk = runtime === husk;
      const id = newId(runtime);
      const pidFile = path.join(workDir, `${id}.pid`);
      const step = (name, args) => {
        const result = mustSucceed(`${runtime.name} ${name}`, runSync(runtime.binary, cli(runtime, ...args), isHusk ? env : undefined));
        if (isHusk) phases[name].push(timing(result.stderr));
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
      mustSucceed(`${runtime.name} create`, runSync(runtime.binary, cli(runtime, 'create', '--bundle', bundle, '--pid-file', pidFile, victim)));
      pid = Number(fs.readFileSync(pidFile, 'utf8'));
      step('kill', ['kill', victim, 'KILL']);
      addon.waitpid(pid, 0);
      mustSucceed(`${runtime.name} delete`, runSync(runtime.binary, cli(runtime, 'delete', victim)));
      fs.rmSync(pidFile, { force: true });
    }
  }
  const medians = {};
  const cpuMedians = {};
  const codeCache = new Set();
  for (const [command, lines] of Object.entries(phases)) {
    const names = [...new Set(lines.flatMap((l) => Object.keys(l)))].filter((k) => !['command', 'cpu', 'codeCache'].includes(k));
    medians[command] = Object.fromEntries(names.map((n) => [n, median(lines.map((l) => l[n] ?? 0))]));
    cpuMedians[command] = Object.fromEntries(names.map((n) => [n, median(lines.map((l) => l.cpu?.[n] ?? 0))]));
    for (const l of lines) codeCache.add(l.codeCache ?? 'none');
  }
  return {
    husk: medians,
    huskCpu: cpuMedians,
    codeCache: [...codeCache],
    runc: Object.fromEntries(Object.entries(runcTimes).map(([k, v]) => [k, median(v)])),
  };
}

/**
 * podman run --rm and ctr run --rm of /bin/true with each runtime, alternating, and Podman's tight
 * limits (bench/clients.js). Each part is skipped, with the reason, when its client is missing.
 */
async function measureClients(runtimes, count, workDir) {
  const clients = require('./clients');
  const result = { notes: [], podman: undefined, ctr: undefined, limits: undefined };
  if (count === 0) {
    result.notes.push('client rows: skipped (--clients 0).');
    return result;
  }
  const podmanSkip = clients.skipReason(['podman', 'conmon', 'ip']);
  if (podmanSkip) {
    result.notes.push(`\`podman run --rm\` rows and the tight limits: ${podmanSkip}.`);
  } else {
    const podman = await clients.startPodman();
    try {
      result.podman = Object.fromEntries(runtimes.map((r) => [r.name, []]));
      for (let i = 0; i < count; i++) {
        for (const runtime of alternating(runtimes, i)) {
          const run = await podman.run(runtime.binary);
          if (run.status !== 0) throw new Error(`podman run with ${runtime.name}: ${run.error}`);
          result.podman[runtime.name].push(run.ms);
        }
      }
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
    } finally {
      const left = await podman.close();
      if (left.length) result.notes.push(`podman sandbox: processes left and killed: ${left.join('; ')}`);
    }
  }
  const ctrSkip = clients.skipReason(['containerd', 'ctr', 'containerd-shim-runc-v2']);
  if (ctrSkip) {
    result.notes.push(`\`ctr run --rm\` rows: ${ctrSkip}.`);
  } else {
    const containerd = await clients.startContainerd();
    try {
      result.ctr = Object.fromEntries(runtimes.map((r) => [r.name, []]));
      for (let i = 0; i < count; i++) {
        for (const runtime of alternating(runtimes, i)) {
          const run = await containerd.run(runtime.binary, path.join(workDir, `ctr-root-${runtime.name}`));
          if (run.status !== 0) throw new Error(`ctr run with ${runtime.name}: ${run.error}`);
          result.ctr[runtime.name].push(run.ms);
        }
      }
    } finally {
      const left = (await containerd.close()).filter((p) => !p.includes('containerd --config'));
      if (left.length) result.notes.push(`containerd sandbox: processes left and killed: ${left.join('; ')}`);
    }
  }
  return result;
}

// ---- output ----

function latencyTable(rows) {
  const lines = ['| what | husk median | husk min–max | runc median | runc min–max | husk/runc |', '|---|---:|---:|---:|---:|---:|'];
  for (const [label, h, r] of rows) {
    lines.push(`| ${label} | ${ms(h.median)} | ${ms(h.min)}–${ms(h.max)} | ${ms(r.median)} | ${ms(r.min)}–${ms(r.max)} | **${ratio(h.median, r.median)}** |`);
  }
  return lines.join('\n');
}

function renderResults(context) {
  const { options, machine, load, floor, run, sequence, parallel, rss, initMemory, phases, absent, startedAt, seconds } = context;
  const out = [];
  out.push('# husk vs runc: benchmark results', '');
  out.push(`Generated by \`${context.argv.length ? `node bench/bench.js ${context.argv.join(' ')}` : 'make bench'}\` on ${startedAt}, in ${seconds.toFixed(0)} s. Regenerate with the same command; every figure below and \`latency.svg\` come from that one run. Times are wall-clock milliseconds as seen by the caller (spawn to exit), husk and runc alternating (A B, B A, ...) on the same busybox bundle running \`/bin/true\`.`, '');
  out.push('## Machine', '');
  out.push(`- ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, kernel ${machine.kernel}, cgroups ${machine.cgroups}`);
  out.push(`- Node ${machine.node}; ${machine.runc}; ${machine.husk}`);
  out.push(`- /run (the state roots live under it) is ${machine.stateFs}; NODE_EXTRA_CA_CERTS ${machine.extraCaCerts}`);
  out.push(`- Load average: ${load.before.join(' ')} before, ${load.after.join(' ')} after (1/5/15 min; sampled every 5 s during the run: min ${load.min.toFixed(2)}, max ${load.max.toFixed(2)}).`);
  out.push(`- Other processes using ≥5% CPU when the run began: ${load.busy.length ? load.busy.join(', ') : 'none'}.`);
  if (load.max >= 0.5 || load.busy.length) {
    out.push('', `**The machine was not idle**: other work ran alongside (load average up to ${load.max.toFixed(2)} on ${machine.nproc} CPUs). Absolute times are inflated and noisy; the husk/runc ratios are the meaningful figures, since both runtimes were interleaved under the same load.`);
  }
  out.push('', `Node's floor — \`node -e 0\` with husk's environment (NODE_EXTRA_CA_CERTS dropped): median ${ms(floor.bare.median)} ms (min ${ms(floor.bare.min)})${floor.withCerts ? `; with NODE_EXTRA_CA_CERTS as set here: ${ms(floor.withCerts.median)} ms` : ''}.`, '');

  out.push('## Latency', '');
  const rows = [
    [`\`run\` /bin/true, sequential (${options.count} each)`, summary(run.husk), summary(run.runc)],
    ...SEQUENCE_STEPS.map((step) => [
      step === 'total' ? `containerd sequence, whole (${options.sequence} each)` : `containerd sequence: ${step === 'wait' ? 'wait for exit' : `\`${step}\``}`,
      summary(sequence.husk[step]),
      summary(sequence.runc[step]),
    ]),
    [`${options.parallel} in parallel: create+start all (${options.rounds} batches)`, summary(parallel.husk.createStart), summary(parallel.runc.createStart)],
    [`${options.parallel} in parallel: delete all`, summary(parallel.husk.deleteAll), summary(parallel.runc.deleteAll)],
    [`… one \`create\` within a parallel batch`, summary(parallel.husk.create), summary(parallel.runc.create)],
    [`… one \`start\` within a parallel batch`, summary(parallel.husk.start), summary(parallel.runc.start)],
  ];
  if (context.clients.podman) rows.push([`\`podman run --rm\` /bin/true (${options.clients} each)`, summary(context.clients.podman.husk), summary(context.clients.podman.runc)]);
  if (context.clients.ctr) rows.push([`\`ctr run --rm\` /bin/true (${options.clients} each)`, summary(context.clients.ctr.husk), summary(context.clients.ctr.runc)]);
  out.push(latencyTable(rows), '');
  out.push('"wait for exit" is the time from `state` returning until the bench (a child subreaper, as containerd\'s shim is) reaps the init; /bin/true has usually exited by then.', '');
  out.push('Reading these figures: every husk command first pays Node\'s own start-up (the floor above; `node` in the phase tables), about five times what a whole runc `state` or `start` costs here, so per-command ratios stay high however little husk does after it. The parallel batches are CPU-bound on 2 CPUs, where that floor is paid 100 times. On this cgroup v1 host the first write to a `cgroup.procs` takes 6–10 ms (strace of both runtimes; the kernel\'s cgroup migration lock, most likely waiting for an RCU grace period); both pay it in `create`, husk inside `clone-to-ready`.', '');

  out.push('### husk\'s own work (Node\'s floor subtracted) against runc', '');
  out.push('| subcommand | husk median | − Node floor | = husk\'s own | runc median | own/runc |', '|---|---:|---:|---:|---:|---:|');
  const own = [
    ['run', median(run.husk), median(run.runc)],
    ['create', median(sequence.husk.create), median(sequence.runc.create)],
    ['start', median(sequence.husk.start), median(sequence.runc.start)],
    ['state', median(sequence.husk.state), median(sequence.runc.state)],
    ['delete', median(sequence.husk.delete), median(sequence.runc.delete)],
  ];
  for (const [name, h, r] of own) out.push(`| ${name} | ${ms(h)} | ${ms(floor.bare.median)} | ${ms(h - floor.bare.median)} | ${ms(r)} | ${ratio(h - floor.bare.median, r)} |`);
  out.push('');

  out.push('## Memory', '');
  if (rss) {
    out.push('Peak RSS of the runtime process (`/usr/bin/time -f %M`, KiB, median of ' + options.memory + '):', '');
    out.push('| subcommand | husk | runc |', '|---|---:|---:|');
    for (const name of Object.keys(rss.husk)) out.push(`| ${name} | ${median(rss.husk[name]).toFixed(0)} | ${median(rss.runc[name]).toFixed(0)} |`);
    out.push('');
  } else {
    out.push('(/usr/bin/time is not installed: no peak RSS rows.)', '');
  }
  out.push(`The container's init while it waits for \`start\` (\`/proc/<pid>/smaps_rollup\`, KiB, median of ${options.memory}). For husk it is a clone of husk's Node process; for runc it is \`runc init\`, a copy of the runc binary:`, '');
  out.push('| | Rss | Pss | Private_Dirty | Private_Clean |', '|---|---:|---:|---:|---:|');
  for (const name of ['husk', 'runc']) {
    const m = initMemory[name];
    out.push(`| ${name} | ${median(m.Rss).toFixed(0)} | ${median(m.Pss).toFixed(0)} | ${median(m.Private_Dirty).toFixed(0)} | ${median(m.Private_Clean).toFixed(0)} |`);
  }
  out.push('', 'Private_Dirty is what the waiting init costs the machine on its own (its other pages are shared with the page cache or other processes). Before addon/memory.c (commits 2f17c24 and af1c22d) husk\'s init kept its copy of husk\'s malloc heaps: 3.8–4.6 MiB private dirty, measured the same way; releasing them brought it to ~0.8 MiB, then ~0.55 MiB.', '');

  if (context.clients.limits) {
    out.push('## Tight limits under Podman', '');
    out.push('`podman run --rm --network none <flags> busybox /bin/true`, 3 tries per cell: how many succeeded, and the first error. The limit is set on the container\'s cgroup, which the runtime\'s init joins before the program runs: what the init holds of the runtime counts against it.', '');
    out.push('| flags | husk | runc |', '|---|---|---|');
    const cell = (c) => `${c.ok}/${c.of}${c.error ? ` — ${c.error.replace(/\|/g, '\\|').slice(0, 160)}` : ''}`;
    for (const row of context.clients.limits) out.push(`| \`${row.flags}\` | ${cell(row.husk)} | ${cell(row.runc)} |`);
    out.push('');
  }
  out.push('## Where husk\'s time goes (HUSK_TIMING=1)', '');
  out.push(`Medians of ${options.phases} runs per subcommand, ms. \`node\`: Node's start-up before bin/husk's first line; \`load\`: evaluating the bundle; \`args\`: parsing the command line; \`config\`: reading and validating config.json (and loading the create path); \`cgroup\`: creating the cgroup and writing its limits; \`plan\`: building the launch plan; \`clone-to-ready\`: clone3 until the init waits on the exec fifo; \`state\`: reading or writing state.json (and the lock); \`fifo-wait\`: start releasing the init until it has exec'd; \`exit\`: the rest of the subcommand and process exit. The \`kill\` row signals a created container.`, '');
  const order = ['node', 'load', 'args', 'config', 'cgroup', 'plan', 'clone-to-ready', 'state', 'fifo-wait', 'exit'];
  const seen = new Set(Object.values(phases.husk).flatMap((p) => Object.keys(p)));
  const allPhases = [...order.filter((p) => seen.has(p)), ...[...seen].filter((p) => !order.includes(p) && p !== 'total')];
  const phaseTable = (table, runcColumn) => {
    out.push(`| subcommand | ${allPhases.join(' | ')} | total |${runcColumn ? ' runc (wall) |' : ''}`, `|---|${allPhases.map(() => '---:').join('|')}|---:|${runcColumn ? '---:|' : ''}`);
    for (const [command, p] of Object.entries(table)) {
      out.push(`| ${command} | ${allPhases.map((name) => (p[name] === undefined ? '' : ms(p[name]))).join(' | ')} | ${ms(p.total)} |${runcColumn ? ` ${ms(phases.runc[command])} |` : ''}`);
    }
    out.push('');
  };
  out.push('Wall-clock:', '');
  phaseTable(phases.husk, true);
  out.push('CPU time (user + system of all of husk\'s threads; a loaded machine inflates it far less than wall-clock time):', '');
  phaseTable(phases.huskCpu, false);
  out.push(`V8 code cache of the bundle (build/husk.js.cache): ${phases.codeCache.join(', ')}.`, '');

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
  const width = 900;
  const rowHeight = 26;
  const left = 300;
  const right = 30;
  const top = 50;
  const bottom = 50;
  const height = top + bottom + series.length * rowHeight;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const x = (v) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (width - left - right);
  const colors = { husk: '#1f77b4', runc: '#d62728' };
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
    // Node's floor: no husk command can take less than `node -e 0`.
    parts.push(`<line x1="${x(floor)}" y1="${top - 8}" x2="${x(floor)}" y2="${height - bottom}" stroke="#2ca02c" stroke-dasharray="5,4" stroke-width="1.5"/>`);
    parts.push(`<text x="${x(floor) + 4}" y="${top - 10}" fill="#2ca02c" font-size="11">node -e 0: ${ms(floor)}</text>`);
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
  const pair = (label, h, r) => {
    series.push({ label: `${label} — husk`, runtime: 'husk', values: h });
    series.push({ label: `${label} — runc`, runtime: 'runc', values: r });
  };
  pair(`run /bin/true (×${options.count})`, run.husk, run.runc);
  for (const step of ['create', 'start', 'state', 'delete', 'total']) pair(step === 'total' ? 'containerd sequence' : step, sequence.husk[step], sequence.runc[step]);
  pair(`create in a batch of ${options.parallel}`, parallel.husk.create, parallel.runc.create);
  pair(`start in a batch of ${options.parallel}`, parallel.husk.start, parallel.runc.start);
  pair(`${options.parallel} create+start, whole batch`, parallel.husk.createStart, parallel.runc.createStart);
  if (context.clients.podman) pair('podman run --rm', context.clients.podman.husk, context.clients.podman.runc);
  if (context.clients.ctr) pair('ctr run --rm', context.clients.ctr.husk, context.clients.ctr.runc);
  return series;
}

// ---- main ----

function cleanUp(runtimes, workDir) {
  for (const runtime of runtimes) {
    if (!fs.existsSync(runtime.root)) continue;
    for (const id of fs.readdirSync(runtime.root).filter((name) => name.startsWith('bench-'))) {
      spawnSync(runtime.binary, cli(runtime, 'delete', '--force', id), { env: ENV, stdio: 'ignore' });
    }
  }
  fs.rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (process.getuid() !== 0) fail('run as root (it starts containers)');
  if (!fs.existsSync(path.join(path.dirname(HUSK), '..', 'build', 'husk.js'))) fail('build husk first (make)');
  const addon = require(path.join(path.dirname(HUSK), '..', 'build', 'Release', 'husk_addon.node'));
  addon.setChildSubreaper();

  const workDir = fs.mkdtempSync('/run/husk-bench-');
  scratchDir = workDir;
  const runtimes = makeRuntimes(workDir);
  const [husk, runc] = runtimes;
  const stop = () => {
    cleanUp(runtimes, workDir);
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

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
    progress('Node floor');
    const floor = measureNodeFloor(Math.max(10, Math.min(options.count, 30)));
    progress(`run ×${options.count} each`);
    const run = measureRun(runtimes, bundle, options.count);
    progress(`containerd sequence ×${options.sequence} each`);
    const sequence = measureSequence(runtimes, bundle, options.sequence, addon, workDir);
    progress(`${options.parallel} in parallel ×${options.rounds} each`);
    const parallel = await measureParallel(runtimes, bundle, options.parallel, options.rounds, addon, workDir);
    progress('memory');
    const rss = measureRuntimeRss(runtimes, bundle, options.memory, addon, workDir);
    const initMemory = measureInitMemory(runtimes, bundle, options.memory, addon, workDir);
    progress(`phases ×${options.phases}`);
    const phases = measurePhases(husk, runc, bundle, options.phases, addon, workDir);
    progress(`clients ×${options.clients} each`);
    const clientRows = await measureClients(runtimes, options.clients, workDir);
    clearInterval(sampler);
    loadSamples.push(loadAverage()[0]);
    load.after = loadAverage();
    load.min = Math.min(...loadSamples);
    load.max = Math.max(...loadSamples);

    const absent = [...clientRows.notes];
    if (!rss) absent.push('peak RSS: /usr/bin/time is not installed.');

    const context = { argv, options, machine, load, floor, run, sequence, parallel, rss, initMemory, phases, clients: clientRows, absent, startedAt, seconds: (now() - began) / 1000 };
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'RESULTS.md'), renderResults(context));
    fs.writeFileSync(path.join(options.out, 'latency.svg'), renderSvg(svgSeries(context), `husk vs runc — latency distributions (${machine.nproc} CPUs, load ≤ ${load.max.toFixed(1)})`, floor.bare.median));
    progress(`wrote ${path.join(options.out, 'RESULTS.md')} and latency.svg`);
    const line = (label, h, r) => progress(`${label}: husk ${ms(h)} ms, runc ${ms(r)} ms, ratio ${ratio(h, r)}`);
    line('run', median(run.husk), median(run.runc));
    line('containerd sequence', median(sequence.husk.total), median(sequence.runc.total));
    line('parallel create+start', median(parallel.husk.createStart), median(parallel.runc.createStart));
    progress(`init Private_Dirty: husk ${median(initMemory.husk.Private_Dirty)} KiB, runc ${median(initMemory.runc.Private_Dirty)} KiB`);
  } finally {
    clearInterval(sampler);
    cleanUp(runtimes, workDir);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack || err}\n`);
  process.exit(1);
});

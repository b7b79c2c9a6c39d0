// HUSK_TIMING=1: husk prints how long each phase of the command took, on stderr, as one line
//
//   husk-timing {"command":"create","node":21.3,"load":4.1,"config":2.2,...,"total":48.0,
//                "cpu":{"node":30.1,"load":4.0,...}}
//
// (milliseconds). "node" is Node's own start-up before husk's first line runs (measured from the
// process start, performance.timeOrigin); every other figure is the time since the previous mark;
// "exit" is what is left between the last mark and process exit. "cpu" has the same phases in
// CPU time (user + system, all of the process's threads), which a busy machine inflates far less
// than wall-clock time. `make bench` reads these lines.
// With the variable unset every call is one boolean test: no module is loaded, nothing recorded.
// In a worker of `husk daemon` the first phase is "worker" (from the accept of the connection to
// the command's start)
// instead of "node", and the line is printed before the worker's _exit (no 'exit' event there).

function enabled(): boolean {
  return process.env.HUSK_TIMING === '1';
}

interface TimingState {
  command: string;
  /** Extra fields of the line (a daemon worker: Node modules it had to load itself). */
  notes?: Record<string, unknown>;
  marks: Array<[string, number, number]>;
  last: number;
  lastCpu: number;
}

let state: TimingState | undefined;

function now(): number {
  // performance.now() counts from the process start, so the first mark includes Node's start-up.
  return performance.now();
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Start recording (idempotent). bin/husk calls it first, so "node" is Node's start-up alone. */
export function startTiming(entryTime?: number, entryCpu?: number): void {
  if (!enabled() || state) return;
  const t = entryTime ?? now();
  const cpu = entryCpu ?? cpuNow();
  state = { command: '', marks: [['node', t, cpu]], last: t, lastCpu: cpu };
  process.on('exit', reportTiming);
}

/** A daemon worker: forget the daemon's own figures; the first phase, `firstName`, took firstMs. */
export function restartTiming(firstName: string, firstMs: number): void {
  state = undefined;
  if (!enabled()) return;
  const t = now();
  const cpu = cpuNow();
  state = { command: '', marks: [[firstName, firstMs, 0]], last: t, lastCpu: cpu };
}

/** Print the timing line (at exit; a daemon worker calls it before its _exit). */
export function reportTiming(): void {
  if (!state) return;
  mark('exit');
  const fields: Record<string, unknown> = { command: state.command };
  const cpuFields: Record<string, number> = {};
  let total = 0;
  let totalCpu = 0;
  for (const [name, ms, cpuMs] of state.marks) {
    // A phase that happens twice (e.g. `run` = create + start) adds up.
    fields[name] = round(((fields[name] as number | undefined) ?? 0) + ms);
    cpuFields[name] = round((cpuFields[name] ?? 0) + cpuMs);
    total += ms;
    totalCpu += cpuMs;
  }
  fields.total = round(total);
  cpuFields.total = round(totalCpu);
  fields.cpu = cpuFields;
  // bin/husk: whether V8 took build/husk.js.cache ("used"), refused it ("rejected") or had none.
  const codeCache = (globalThis as { huskCodeCache?: string }).huskCodeCache;
  if (codeCache) fields.codeCache = codeCache;
  Object.assign(fields, state.notes);
  // fd 2 directly: process.stderr would load stream code into the figure it reports.
  require('fs').writeSync(2, `husk-timing ${JSON.stringify(fields)}\n`);
  state = undefined;
}

/** An extra field of the timing line. */
export function timingNote(name: string, value: unknown): void {
  if (state) state.notes = { ...state.notes, [name]: value };
}

/** The subcommand being timed (its name goes into the timing line). */
export function timingCommand(command: string): void {
  if (state) state.command = command;
}

/** End of the phase `name`: records the time since the previous mark. */
export function mark(name: string): void {
  if (!state) return;
  const t = now();
  const cpu = cpuNow();
  state.marks.push([name, t - state.last, cpu - state.lastCpu]);
  state.last = t;
  state.lastCpu = cpu;
}

/** Whether HUSK_TIMING=1 (to skip work done only for timing). */
export function timingEnabled(): boolean {
  return enabled();
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

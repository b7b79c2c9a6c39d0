// HUSK_TIMING=1: husk prints how long each phase of the command took, on stderr, as one line
//
//   husk-timing {"command":"create","node":21.3,"load":4.1,"config":2.2,...,"total":48.0}
//
// (milliseconds). "node" is Node's own start-up before husk's first line runs (measured from the
// process start, performance.timeOrigin); every other figure is the time since the previous mark;
// "exit" is what is left between the last mark and process exit. `make bench` reads these lines.
// With the variable unset every call is one boolean test: no module is loaded, nothing recorded.

const enabled = process.env.HUSK_TIMING === '1';

interface TimingState {
  command: string;
  marks: Array<[string, number]>;
  last: number;
}

let state: TimingState | undefined;

function now(): number {
  // performance.now() counts from the process start, so the first mark includes Node's start-up.
  return performance.now();
}

/** Start recording (idempotent). bin/husk calls it first, so "node" is Node's start-up alone. */
export function startTiming(entryTime?: number): void {
  if (!enabled || state) return;
  const t = entryTime ?? now();
  state = { command: '', marks: [['node', t]], last: t };
  process.on('exit', () => {
    if (!state) return;
    mark('exit');
    const fields: Record<string, unknown> = { command: state.command };
    let total = 0;
    for (const [name, ms] of state.marks) {
      // A phase that happens twice (e.g. `run` = create + start) adds up.
      fields[name] = round(((fields[name] as number | undefined) ?? 0) + ms);
      total += ms;
    }
    fields.total = round(total);
    // fd 2 directly: process.stderr would load stream code into the figure it reports.
    require('fs').writeSync(2, `husk-timing ${JSON.stringify(fields)}\n`);
  });
}

/** The subcommand being timed (its name goes into the timing line). */
export function timingCommand(command: string): void {
  if (state) state.command = command;
}

/** End of the phase `name`: records the time since the previous mark. */
export function mark(name: string): void {
  if (!state) return;
  const t = now();
  state.marks.push([name, t - state.last]);
  state.last = t;
}

/** Whether HUSK_TIMING=1 (to skip work done only for timing). */
export function timingEnabled(): boolean {
  return enabled;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

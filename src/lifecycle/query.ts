// `husk state` and `husk list`: what runc prints, derived from the state files and /proc.
import * as fs from 'fs';
import * as os from 'os';
import type { GlobalOptions } from '../cli/context';
import { containerStatus, listContainers, readState, toRuncStateOutput, withContainerLock } from '../state';
import type { RuncStateOutput } from '../state';

export function containerState(global: GlobalOptions, id: string): RuncStateOutput {
  return withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    return toRuncStateOutput(state, containerStatus(state));
  });
}

export function listOutput(global: GlobalOptions, format: string, quiet: boolean): string {
  // runc creates a missing --root for list and prints nothing.
  fs.mkdirSync(global.root, { recursive: true, mode: 0o700 });
  const containers = listContainers(global.root);
  if (quiet) return containers.map((c) => `${c.state.id}\n`).join('');
  // runc's list names the owner by user name ("root"); its state prints "".
  const rows = containers.map((c) => ({ ...toRuncStateOutput(c.state, c.status), owner: ownerName() }));
  if (format === 'json') {
    // runc prints `null` for no containers (a nil Go slice); shims accept both.
    return `${rows.length ? JSON.stringify(rows) : 'null'}\n`;
  }
  return table(
    ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner]),
  );
}

function ownerName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

/** Columns separated by at least three spaces, like Go's tabwriter in runc. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => row[col].length)));
  return all.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] + 3))).join('')).join('\n') + '\n';
}

// `husk ps`: the container's processes, as runc prints them. json: the host pids of every
// process in the container's cgroup (and its sub-cgroups). table: the host's `ps` run with the
// given arguments (default -ef), keeping the header and the rows whose PID column names one of
// those pids.
import { spawnSync } from 'child_process';
import type { GlobalOptions } from '../cli/context';
import { HuskError } from '../errors';
import { readState } from '../state';
import { containerCgroup } from './pause';

export function containerPids(global: GlobalOptions, id: string): number[] {
  // No lock, like `state`: state.json is replaced atomically and the cgroup is read as it is.
  const state = readState(global.root, id);
  return containerCgroup(state, 'list the processes of').pids();
}

export function psOutput(global: GlobalOptions, id: string, format: string, psArgs: string[]): string {
  const pids = containerPids(global, id);
  if (format === 'json') {
    // runc encodes a nil Go slice, so a container without processes prints null.
    return `${pids.length > 0 ? JSON.stringify(pids) : 'null'}\n`;
  }
  if (format !== 'table') throw new HuskError(`invalid format '${format}'; expected table or json`);
  return filterPsTable(runPs(psArgs.length > 0 ? psArgs : ['-ef']), new Set(pids));
}

function runPs(args: string[]): string {
  const result = spawnSync('ps', args, { encoding: 'utf8' });
  if (result.error) throw new HuskError(`running ps: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] ?? '';
    throw new HuskError(`ps ${args.join(' ')} failed (exit status ${result.status}): ${output}`);
  }
  return result.stdout;
}

/** The header, then the rows whose PID column is one of `pids`. */
export function filterPsTable(output: string, pids: Set<number>): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new HuskError("ps printed no PID column; pass ps options that include it (e.g. -o pid,cmd)");
  const kept = [header];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const field = line.trim().split(/\s+/)[pidColumn];
    const pid = Number(field);
    if (!Number.isInteger(pid)) throw new HuskError(`ps printed '${field}' in its PID column: ${line.trim()}`);
    if (pids.has(pid)) kept.push(line);
  }
  return `${kept.join('\n')}\n`;
}

// `husk update`: change the resource limits of a created, running or paused container.
//
// Input, as runc takes it: either `--resources FILE` (or `-` for stdin) holding the runtime-spec's
// LinuxResources JSON, or flags (--memory 256m, --cpu-quota 50000, ...). runc silently ignores
// the flags when --resources is given; husk refuses the mix instead of dropping what was typed.
// runc applies only a fixed subset of a --resources file; husk applies every field it can apply at
// create, devices included (runc ignores them): a `devices` list replaces the config's device
// rules, the runtime's default allowlist staying after it (v1: only the differing rules are
// written, restrictions first; v2: a new eBPF program replaces husk's old one).
//
// 0 means "leave as is" for limits (runc's flag defaults); what changed is overlaid on the limits
// in force and stored in the state (CgroupRecord.resources), so a later update or `events`
// reader sees everything in force. See cgroups/update-resources.ts for the merge.
import * as fs from 'fs';
import type { GlobalOptions } from '../cli/context';
import { HuskError, describeSystemError } from '../errors';
import type { Resources } from '../spec/types';
import { containerStatus, readState, withContainerLock, writeState } from '../state';
import { containerCgroup } from './pause';

/** runc update's resource flags, as typed (strings, parsed here so errors name the flag). */
export interface UpdateFlags {
  memory?: string;
  'memory-swap'?: string;
  'memory-reservation'?: string;
  'kernel-memory'?: string;
  'kernel-memory-tcp'?: string;
  'cpu-share'?: string;
  'cpu-quota'?: string;
  'cpu-period'?: string;
  'cpu-burst'?: string;
  'cpu-rt-runtime'?: string;
  'cpu-rt-period'?: string;
  'cpu-idle'?: string;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  'pids-limit'?: string;
  'blkio-weight'?: string;
  'l3-cache-schema'?: string;
  'mem-bw-schema'?: string;
}

export const UPDATE_FLAG_NAMES: Array<keyof UpdateFlags> = [
  'memory', 'memory-swap', 'memory-reservation', 'kernel-memory', 'kernel-memory-tcp', 'cpu-share', 'cpu-quota',
  'cpu-period', 'cpu-burst', 'cpu-rt-runtime', 'cpu-rt-period', 'cpu-idle', 'cpuset-cpus', 'cpuset-mems', 'pids-limit',
  'blkio-weight', 'l3-cache-schema', 'mem-bw-schema',
];

export interface UpdateOptions {
  /** --resources / -r: a file, or "-" for stdin. */
  resources?: string;
  flags: UpdateFlags;
  /** Reads stdin for `--resources -` (injectable for tests). */
  readStdin?: () => string;
}

export function updateContainer(global: GlobalOptions, id: string, options: UpdateOptions): void {
  const change = resourcesFromInput(options);
  withContainerLock(global.root, id, () => {
    const state = readState(global.root, id);
    // runc: "container not running" for a stopped one; its cgroup may be gone or reused.
    if (containerStatus(state) === 'stopped') throw new HuskError(`cannot update container '${id}': it is stopped`);
    const cgroup = containerCgroup(state, 'update');
    cgroup.updateResources(change);
    state.cgroup = cgroup.toRecord();
    writeState(global.root, state);
  });
}

export function resourcesFromInput(options: UpdateOptions): Resources {
  const given = UPDATE_FLAG_NAMES.filter((name) => options.flags[name] !== undefined);
  if (options.resources !== undefined) {
    if (given.length > 0) {
      throw new HuskError(`--resources cannot be combined with ${given.map((n) => `--${n}`).join(', ')}: put every change in the JSON`);
    }
    return readResourcesJson(options.resources, options.readStdin);
  }
  return resourcesFromFlags(options.flags);
}

function readResourcesJson(source: string, readStdin = (): string => fs.readFileSync(0, 'utf8')): Resources {
  const where = source === '-' ? 'standard input' : source;
  let text: string;
  try {
    text = source === '-' ? readStdin() : fs.readFileSync(source, 'utf8');
  } catch (err) {
    throw new HuskError(`--resources: cannot read ${where}: ${describeSystemError(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HuskError(`--resources: ${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HuskError(`--resources: ${where} must hold a JSON object (the runtime-spec's linux.resources)`);
  }
  return parsed as Resources;
}

/** The flags as a LinuxResources change (only what was given). */
export function resourcesFromFlags(flags: UpdateFlags): Resources {
  for (const name of ['l3-cache-schema', 'mem-bw-schema'] as const) {
    if (flags[name] !== undefined) throw new HuskError(`--${name}: Intel RDT is not supported by husk`);
  }
  const change: Resources = {};
  const memory: NonNullable<Resources['memory']> = {};
  const cpu: NonNullable<Resources['cpu']> = {};
  const setBytes = (flag: keyof UpdateFlags, assign: (value: number) => void): void => {
    const text = flags[flag];
    if (text !== undefined) assign(parseBytes(flag, text));
  };
  const setInteger = (flag: keyof UpdateFlags, assign: (value: number) => void): void => {
    const text = flags[flag];
    if (text !== undefined) assign(parseInteger(flag, text));
  };
  setBytes('memory', (v) => (memory.limit = v));
  setBytes('memory-swap', (v) => (memory.swap = v));
  setBytes('memory-reservation', (v) => (memory.reservation = v));
  setBytes('kernel-memory', (v) => (memory.kernel = v));
  setBytes('kernel-memory-tcp', (v) => (memory.kernelTCP = v));
  setInteger('cpu-share', (v) => (cpu.shares = v));
  setInteger('cpu-quota', (v) => (cpu.quota = v));
  setInteger('cpu-period', (v) => (cpu.period = v));
  setInteger('cpu-burst', (v) => (cpu.burst = v));
  setInteger('cpu-rt-runtime', (v) => (cpu.realtimeRuntime = v));
  setInteger('cpu-rt-period', (v) => (cpu.realtimePeriod = v));
  setInteger('cpu-idle', (v) => (cpu.idle = v));
  if (flags['cpuset-cpus'] !== undefined) cpu.cpus = flags['cpuset-cpus'];
  if (flags['cpuset-mems'] !== undefined) cpu.mems = flags['cpuset-mems'];
  if (Object.keys(memory).length > 0) change.memory = memory;
  if (Object.keys(cpu).length > 0) change.cpu = cpu;
  setInteger('pids-limit', (v) => (change.pids = { limit: v }));
  setInteger('blkio-weight', (v) => (change.blockIO = { weight: v }));
  return change;
}

function parseInteger(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new HuskError(`invalid value for --${flag}: '${text}' is not an integer`);
  return Number(text.trim());
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * runc's memory flags go through docker's units.RAMInBytes: a number with an optional binary
 * unit (k, m, g, t, p; "KiB", "MB" and "mb" all mean the same), or -1 for unlimited.
 */
export function parseBytes(flag: string, text: string): number {
  const trimmed = text.trim();
  if (trimmed === '-1') return -1;
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(trimmed);
  if (!match) {
    throw new HuskError(`invalid value for --${flag}: '${text}' is not a size (a number of bytes with an optional unit such as 512k, 256m or 1g, or -1 for unlimited)`);
  }
  return Math.trunc(Number(match[1]) * BYTE_UNITS[match[2].toLowerCase()]);
}

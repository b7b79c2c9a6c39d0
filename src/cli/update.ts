import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

// runc update's flags. Values stay strings so that a bad one is reported with the flag's name.
const FLAG_HELP: Array<[string, string]> = [
  ['memory', 'memory limit in bytes (units k, m, g...; -1 for unlimited)'],
  ['memory-swap', 'total memory+swap limit in bytes (-1 for unlimited swap)'],
  ['memory-reservation', 'memory reservation (soft limit) in bytes'],
  ['kernel-memory', 'kernel memory limit in bytes (ignored: Linux no longer has it)'],
  ['kernel-memory-tcp', 'kernel TCP buffer memory limit in bytes (cgroup v1)'],
  ['cpu-share', 'CPU shares (relative weight, 2..262144)'],
  ['cpu-quota', 'CFS quota in microseconds per period (-1 for none)'],
  ['cpu-period', 'CFS period in microseconds'],
  ['cpu-burst', 'CFS burst in microseconds'],
  ['cpu-rt-runtime', 'real-time runtime in microseconds per period (cgroup v1)'],
  ['cpu-rt-period', 'real-time period in microseconds (cgroup v1)'],
  ['cpu-idle', '1 to make the cgroup SCHED_IDLE, 0 to undo it'],
  ['cpuset-cpus', 'CPUs to use (e.g. 0-2,4)'],
  ['cpuset-mems', 'memory nodes to use (e.g. 0)'],
  ['pids-limit', 'maximum number of processes (-1 for unlimited)'],
  ['blkio-weight', 'block I/O weight (10..1000)'],
  ['l3-cache-schema', 'Intel RDT L3 cache schema (not supported)'],
  ['mem-bw-schema', 'Intel RDT memory bandwidth schema (not supported)'],
];

export function register(cli: Argv): Argv {
  return cli.command(
    'update <container-id>',
    'change the resource limits of a container',
    (y) => {
      let builder = y
        .positional('container-id', { type: 'string' })
        .option('resources', { alias: 'r', type: 'string', nargs: 1, describe: "a file with the runtime-spec's linux.resources JSON, or '-' for stdin" });
      for (const [name, describe] of FLAG_HELP) builder = builder.option(name, { type: 'string', requiresArg: true, describe });
      // runc calls it --cpu-share; --cpu-shares is what people type (docker's name).
      return builder.alias('cpu-share', 'cpu-shares');
    },
    async (argv) => {
      const { updateContainer, UPDATE_FLAG_NAMES } = await import('../lifecycle/update');
      const flags: Record<string, string> = {};
      for (const name of UPDATE_FLAG_NAMES) if (argv[name] !== undefined) flags[name] = String(argv[name]);
      const resources = argv.resources === undefined ? undefined : String(argv.resources);
      updateContainer(globalOptionsFrom(argv), String(argv['container-id']), { resources, flags });
    },
  );
}

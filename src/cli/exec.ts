import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import type { CommandSyntax } from './fast-path';

// runc's exec flags (runc exec --help). As in runc, husk's flags go before the container id and
// everything after the id is the command with its own flags (`husk exec ctr sh -c 'ls -l'`):
// preprocessArgv marks that boundary with "--" before yargs sees the line. Repeatable flags
// (--env, --cap, --additional-gids, --cgroup) are given once per value.
const execOptions = {
  process: { alias: 'p', type: 'string', describe: 'path to a process.json (runtime-spec process); the process flags are then ignored' },
  tty: { alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-TTY' },
  detach: { alias: 'd', type: 'boolean', default: false, describe: "detach from the container's process" },
  'pid-file': { type: 'string', describe: 'file to write the process id to' },
  'console-socket': { type: 'string', describe: 'unix socket that receives the pty master fd (with --tty and --detach)' },
  cwd: { type: 'string', describe: 'current working directory in the container' },
  env: { alias: 'e', type: 'string', describe: 'set an environment variable NAME=value (repeatable)' },
  user: { alias: 'u', type: 'string', describe: 'uid[:gid] to run as (numbers)' },
  'additional-gids': { alias: 'g', type: 'number', describe: 'additional gids (repeatable)' },
  cap: { alias: 'c', type: 'string', describe: 'add a capability (e.g. CAP_NET_ADMIN) to the bounding, effective, permitted and ambient sets (repeatable)' },
  'no-new-privs': { type: 'boolean', default: false, describe: 'set no_new_privileges for the process' },
  apparmor: { type: 'string', describe: 'AppArmor profile for the process' },
  'process-label': { type: 'string', describe: 'SELinux label for the process' },
  'preserve-fds': { type: 'number', default: 0, describe: 'pass N additional fds (3 .. 3+N-1) to the process' },
  cgroup: { type: 'string', describe: "run the process in an existing sub-cgroup of the container's: [<controller>:]<path> (repeatable)" },
  'ignore-paused': { type: 'boolean', default: false, describe: 'allow exec in a paused container (the process starts frozen)' },
} as const;

/**
 * For the fast parser (fast-path.ts): flags, the container id, then the command unparsed (the
 * form containerd and Podman use, `exec --process FILE --detach --pid-file F ID`, has none).
 */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options: execOptions, rest: 'command' };

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { execInContainer } = await import('../lifecycle/exec');
  const afterSeparator = ((argv._ as Array<string | number> | undefined) ?? []).slice(1).map(String);
  const command = [...((argv.command as string[] | undefined) ?? []), ...afterSeparator];
  argv.exitCode = await execInContainer(globalOptionsFrom(argv), {
    id: String(argv['container-id']),
    processFile: argv.process ? String(argv.process) : undefined,
    flags: {
      args: command,
      cwd: argv.cwd ? String(argv.cwd) : undefined,
      env: listOf(argv.env).map(String),
      tty: Boolean(argv.tty),
      user: argv.user !== undefined ? String(argv.user) : undefined,
      additionalGids: listOf(argv['additional-gids']).map(Number),
      caps: listOf(argv.cap).map(String),
      noNewPrivs: Boolean(argv['no-new-privs']),
      apparmor: argv.apparmor ? String(argv.apparmor) : undefined,
      processLabel: argv['process-label'] ? String(argv['process-label']) : undefined,
    },
    detach: Boolean(argv.detach),
    pidFile: argv['pid-file'] ? String(argv['pid-file']) : undefined,
    consoleSocket: argv['console-socket'] ? String(argv['console-socket']) : undefined,
    preserveFds: Number(argv['preserve-fds'] ?? 0),
    cgroup: listOf(argv.cgroup).map(String),
    ignorePaused: Boolean(argv['ignore-paused']),
  });
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'exec <container-id> [command..]',
    'run a new process inside a running container; in the foreground, exit with its status',
    (y) =>
      y
        .positional('container-id', { type: 'string', describe: 'the container to run the process in' })
        .positional('command', { type: 'string', array: true, describe: 'the program and its arguments' })
        .options(execOptions),
    run,
  );
}

/** A flag given zero, one or several times. */
function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Global flags that take a value (src/cli/main.ts), to find the subcommand word. */
const GLOBAL_FLAGS_WITH_VALUE = new Set(['--root', '--log', '--log-format', '--rootless']);

/**
 * Insert "--" after the container id of an exec command line, so that the command's own flags
 * (`sh -c ...`, `ls -la`) reach it untouched instead of being read as husk's.
 */
export function preprocessArgv(argv: string[]): string[] {
  let index = 0;
  // The subcommand is the first word that is neither a global flag nor a global flag's value.
  for (; index < argv.length; index++) {
    const arg = argv[index];
    if (!arg.startsWith('-')) break;
    if (GLOBAL_FLAGS_WITH_VALUE.has(arg)) index++;
  }
  if (argv[index] !== 'exec') return argv;
  for (index++; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') return argv; // already marked by the caller
    if (!arg.startsWith('-') || arg === '-') break; // the container id
    if (takesSeparateValue(arg)) index++;
  }
  const idIndex = index;
  if (idIndex >= argv.length - 1 || argv[idIndex + 1] === '--') return argv;
  return [...argv.slice(0, idIndex + 1), '--', ...argv.slice(idIndex + 1)];
}

function takesSeparateValue(flag: string): boolean {
  if (flag.includes('=')) return false;
  if (flag.startsWith('--')) {
    const option = execOptions[flag.slice(2) as keyof typeof execOptions];
    return option !== undefined && option.type !== 'boolean';
  }
  // A cluster of short flags: "-td" are booleans, "-u 1000" and "-tu 1000" take the next word,
  // "-u1000" holds its value.
  for (let i = 1; i < flag.length; i++) {
    const option = Object.values(execOptions).find((o) => 'alias' in o && o.alias === flag[i]);
    if (option && option.type !== 'boolean') return i === flag.length - 1;
  }
  return false;
}

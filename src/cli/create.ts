import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import type { CommandSyntax } from './fast-path';

export const containerOptions = {
  bundle: { alias: 'b', type: 'string', default: '.', describe: 'path to the root of the bundle directory' },
  'console-socket': { type: 'string', describe: 'unix socket that receives the pty master fd (with process.terminal)' },
  'pid-file': { type: 'string', describe: 'file to write the init process id to' },
  'no-pivot': { type: 'boolean', default: false, describe: 'do not use pivot_root (for a rootfs on ramfs)' },
  'no-new-keyring': { type: 'boolean', default: false, describe: 'do not create a new session keyring' },
  'preserve-fds': { type: 'number', default: 0, describe: 'pass N additional fds (3 .. 3+N-1) to the container' },
} as const;

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options: containerOptions };

export function containerOptionsFrom(argv: Record<string, unknown>) {
  return {
    id: String(argv['container-id']),
    bundle: String(argv.bundle ?? '.'),
    consoleSocket: argv['console-socket'] ? String(argv['console-socket']) : undefined,
    pidFile: argv['pid-file'] ? String(argv['pid-file']) : undefined,
    noPivot: Boolean(argv['no-pivot']),
    noNewKeyring: Boolean(argv['no-new-keyring']),
    preserveFds: Number(argv['preserve-fds'] ?? 0),
  };
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { createContainer } = await import('../lifecycle/create');
  await createContainer(globalOptionsFrom(argv), containerOptionsFrom(argv));
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'create <container-id>',
    'create a container: its init waits in its namespaces until `start`',
    (y) => y.positional('container-id', { type: 'string', describe: 'unique name of the container' }).options(containerOptions),
    run,
  );
}

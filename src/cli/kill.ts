import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import type { CommandSyntax } from './fast-path';

const options = {
  all: { alias: 'a', type: 'boolean', default: false, describe: 'send the signal to every process of the container' },
} as const;

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = {
  positionals: [{ name: 'container-id' }, { name: 'signal', optional: true, default: 'SIGTERM' }],
  options,
};

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { killContainer } = await import('../lifecycle/kill');
  killContainer(globalOptionsFrom(argv), String(argv['container-id']), String(argv.signal ?? 'SIGTERM'), Boolean(argv.all));
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'kill <container-id> [signal]',
    'send a signal (default SIGTERM; a name like KILL, SIGKILL or a number) to the init process',
    (y) =>
      y
        .positional('container-id', { type: 'string' })
        .positional('signal', { type: 'string', default: 'SIGTERM' })
        .options(options),
    run,
  );
}

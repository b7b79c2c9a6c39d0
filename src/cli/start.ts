import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import type { CommandSyntax } from './fast-path';

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options: {} };

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { startContainer } = await import('../lifecycle/start');
  await startContainer(globalOptionsFrom(argv), String(argv['container-id']));
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'start <container-id>',
    'run the user process of a created container',
    (y) => y.positional('container-id', { type: 'string' }),
    run,
  );
}

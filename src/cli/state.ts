import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import { writeStdout } from './report';
import type { CommandSyntax } from './fast-path';

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options: {} };

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { containerState } = await import('../lifecycle/query');
  writeStdout(`${JSON.stringify(containerState(globalOptionsFrom(argv), String(argv['container-id'])), null, 2)}\n`);
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'state <container-id>',
    'print the state of a container as JSON',
    (y) => y.positional('container-id', { type: 'string' }),
    run,
  );
}

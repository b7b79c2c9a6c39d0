import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import type { CommandSyntax } from './fast-path';

const options = {
  force: { alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it is running' },
} as const;

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options };

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { deleteContainer } = await import('../lifecycle/delete');
  await deleteContainer(globalOptionsFrom(argv), String(argv['container-id']), Boolean(argv.force));
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'delete <container-id>',
    'delete a stopped container and everything husk made for it',
    (y) => y.positional('container-id', { type: 'string' }).options(options),
    run,
  );
}

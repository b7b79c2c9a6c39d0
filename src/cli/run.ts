import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import { containerOptions, containerOptionsFrom } from './create';
import type { CommandSyntax } from './fast-path';

const options = {
  ...containerOptions,
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container process' },
  keep: { type: 'boolean', default: false, describe: 'do not delete the container after it exits' },
  'no-subreaper': { type: 'boolean', default: false, describe: 'do not make husk a subreaper (accepted for runc compatibility)' },
} as const;

/** The positionals and flags, for yargs and the fast parser alike (fast-path.ts). */
export const syntax: CommandSyntax = { positionals: [{ name: 'container-id' }], options };

/** Sets argv.exitCode: in the foreground, the container's exit status. */
export async function handler(argv: Record<string, unknown>): Promise<void> {
  const { runContainer } = await import('../lifecycle/run');
  const code = await runContainer(globalOptionsFrom(argv), {
    ...containerOptionsFrom(argv),
    detach: Boolean(argv.detach),
    keep: Boolean(argv.keep),
  });
  argv.exitCode = code;
}

export function register(cli: Argv, run = handler): Argv {
  return cli.command(
    'run <container-id>',
    'create and start a container; in the foreground, wait and exit with its status',
    (y) => y.positional('container-id', { type: 'string' }).options(options),
    run,
  );
}

import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';
import { containerOptions, containerOptionsFrom } from './create';

export function register(cli: Argv): Argv {
  return cli.command(
    'run <container-id>',
    'create and start a container; in the foreground, wait and exit with its status',
    (y) =>
      y.positional('container-id', { type: 'string' }).options({
        ...containerOptions,
        detach: { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container process' },
        keep: { type: 'boolean', default: false, describe: 'do not delete the container after it exits' },
        'no-subreaper': { type: 'boolean', default: false, describe: 'do not make husk a subreaper (accepted for runc compatibility)' },
      }),
    async (argv) => {
      const { runContainer } = await import('../lifecycle/run');
      const code = await runContainer(globalOptionsFrom(argv), {
        ...containerOptionsFrom(argv),
        detach: Boolean(argv.detach),
        keep: Boolean(argv.keep),
      });
      argv.exitCode = code;
    },
  );
}

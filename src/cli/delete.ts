import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'delete <container-id>',
    'delete a stopped container and everything husk made for it',
    (y) =>
      y
        .positional('container-id', { type: 'string' })
        .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it is running' }),
    async (argv) => {
      const { deleteContainer } = await import('../lifecycle/delete');
      await deleteContainer(globalOptionsFrom(argv), String(argv['container-id']), Boolean(argv.force));
    },
  );
}

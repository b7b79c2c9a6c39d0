import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'start <container-id>',
    'run the user process of a created container',
    (y) => y.positional('container-id', { type: 'string' }),
    async (argv) => {
      const { startContainer } = await import('../lifecycle/start');
      await startContainer(globalOptionsFrom(argv), String(argv['container-id']));
    },
  );
}

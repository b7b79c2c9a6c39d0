import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'state <container-id>',
    'print the state of a container as JSON',
    (y) => y.positional('container-id', { type: 'string' }),
    async (argv) => {
      const { containerState } = await import('../lifecycle/query');
      process.stdout.write(`${JSON.stringify(containerState(globalOptionsFrom(argv), String(argv['container-id'])), null, 2)}\n`);
    },
  );
}

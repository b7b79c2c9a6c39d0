import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'kill <container-id> [signal]',
    'send a signal (default SIGTERM; a name like KILL, SIGKILL or a number) to the init process',
    (y) =>
      y
        .positional('container-id', { type: 'string' })
        .positional('signal', { type: 'string', default: 'SIGTERM' })
        .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'send the signal to every process of the container' }),
    async (argv) => {
      const { killContainer } = await import('../lifecycle/kill');
      killContainer(globalOptionsFrom(argv), String(argv['container-id']), String(argv.signal ?? 'SIGTERM'), Boolean(argv.all));
    },
  );
}

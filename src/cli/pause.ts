import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'pause <container-id>',
    'suspend every process of the container (cgroup freezer)',
    (y) => y.positional('container-id', { type: 'string' }),
    async (argv) => {
      const { pauseContainer } = await import('../lifecycle/pause');
      pauseContainer(globalOptionsFrom(argv), String(argv['container-id']));
    },
  );
}

import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'resume <container-id>',
    'resume every process of a paused container',
    (y) => y.positional('container-id', { type: 'string' }),
    async (argv) => {
      const { resumeContainer } = await import('../lifecycle/pause');
      resumeContainer(globalOptionsFrom(argv), String(argv['container-id']));
    },
  );
}

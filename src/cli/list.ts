import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'list',
    'list the containers under --root',
    (y) =>
      y
        .option('format', { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' }),
    async (argv) => {
      const { listOutput } = await import('../lifecycle/query');
      process.stdout.write(listOutput(globalOptionsFrom(argv), String(argv.format), Boolean(argv.quiet)));
    },
  );
}

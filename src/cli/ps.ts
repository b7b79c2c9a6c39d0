import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'ps <container-id> [ps-args..]',
    'list the processes of a container (table: the host\'s ps, default -ef, filtered to them; json: their pids)',
    (y) =>
      y
        .positional('container-id', { type: 'string' })
        .positional('ps-args', { type: 'string', array: true, describe: 'arguments for ps (runc: everything after the id)' })
        .option('format', { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' })
        // Like runc, options after the container id belong to ps ("husk ps ID -o pid,comm").
        .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false, 'unknown-options-as-args': true }),
    async (argv) => {
      const { psOutput } = await import('../lifecycle/ps');
      // After "--" yargs leaves the arguments in argv._ (after the command name).
      const afterDoubleDash = (argv._ ?? []).slice(1).map(String);
      const psArgs = [...((argv['ps-args'] as string[] | undefined) ?? []).map(String), ...afterDoubleDash];
      process.stdout.write(psOutput(globalOptionsFrom(argv), String(argv['container-id']), String(argv.format), psArgs));
    },
  );
}

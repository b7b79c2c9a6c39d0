// husk's command line: runc's subcommands, flags and exit codes. Subcommand modules are
// required only when chosen, so `husk state` never loads what `husk create` needs.
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { HuskError } from '../errors';
import { DEFAULT_ROOT } from './context';
import { reportFailure, setupLogging } from './report';

const USAGE = `husk — an OCI runtime-spec container runtime, a drop-in replacement for runc

Usage: husk [global options] <command> [command options] <container-id>`;

type CommandLoader = () => { register(cli: Argv): Argv };

// name: description, loader. The order here is the order in --help.
const COMMANDS: Array<[string, CommandLoader]> = [
  ['create', () => require('./create')],
  ['start', () => require('./start')],
  ['run', () => require('./run')],
  ['state', () => require('./state')],
  ['kill', () => require('./kill')],
  ['delete', () => require('./delete')],
  ['list', () => require('./list')],
  ['spec', () => require('./spec')],
];

export async function main(argv: string[]): Promise<number> {
  let cli: Argv = yargs(argv)
    .scriptName('husk')
    .usage(USAGE)
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'root directory for storage of container state (tmpfs recommended)' })
    .option('log', { type: 'string', describe: 'log file path (default: stderr)' })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'treat cgroupsPath as slice:prefix:name (no systemd: mapped onto cgroupfs)' })
    .option('rootless', { type: 'string', default: 'auto', describe: 'ignore cgroup permission errors (true, false or auto)' })
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'husk: a command is required (see husk --help)')
    .fail((msg, err) => {
      throw err ?? new HuskError(msg);
    })
    .wrap(Math.min(110, process.stdout.columns || 100));

  if (argv.includes('--version') || argv.includes('-v')) {
    if (argv.findIndex((a) => !a.startsWith('-')) === -1 || argv[0] === '--version' || argv[0] === '-v') {
      const { printVersion } = require('./version') as typeof import('./version');
      printVersion();
      return 0;
    }
  }

  const chosen = argv.find((a) => !a.startsWith('-'));
  for (const [name, load] of COMMANDS) {
    if (name === chosen || chosen === undefined || !COMMANDS.some(([n]) => n === chosen)) {
      cli = load().register(cli);
    }
  }
  try {
    setupLogging(argv);
    const parsed = await cli.parseAsync();
    return typeof parsed.exitCode === 'number' ? parsed.exitCode : 0;
  } catch (err) {
    return reportFailure(err);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportFailure(err);
  },
);

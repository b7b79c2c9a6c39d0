// husk's command line: runc's subcommands, flags and exit codes. Subcommand modules are
// required only when chosen, so `husk state` never loads what `husk create` needs.
import type { Argv } from 'yargs';
import { HuskError } from '../errors';
import { FallbackToNode } from '../daemon/mode';
import { mark, startTiming, timingCommand } from '../timing';
import { GLOBAL_OPTIONS, PARSER_CONFIGURATION } from './context';
import { parseFast } from './fast-path';
import type { FastCommand } from './fast-path';
import { reportFailure, setupLogging } from './report';

const USAGE = `husk — an OCI runtime-spec container runtime, a drop-in replacement for runc

Usage: husk [global options] <command> [command options] <container-id>`;

/** A subcommand module; preprocessArgv may rewrite the command line before parsing (exec marks where its command starts). */
type CommandLoader = () => { register(cli: Argv): Argv; preprocessArgv?(argv: string[]): string[] };

/**
 * The subcommands containerd and Podman run for every container: a well-formed command line for
 * them is parsed without loading yargs (fast-path.ts); anything else goes to yargs below.
 */
const FAST_COMMANDS: Record<string, () => FastCommand> = {
  create: () => require('./create'),
  start: () => require('./start'),
  run: () => require('./run'),
  exec: () => require('./exec'),
  state: () => require('./state'),
  kill: () => require('./kill'),
  delete: () => require('./delete'),
};

// name: description, loader. The order here is the order in --help.
const COMMANDS: Array<[string, CommandLoader]> = [
  ['create', () => require('./create')],
  ['start', () => require('./start')],
  ['run', () => require('./run')],
  ['exec', () => require('./exec')],
  ['state', () => require('./state')],
  ['kill', () => require('./kill')],
  ['delete', () => require('./delete')],
  ['list', () => require('./list')],
  ['spec', () => require('./spec')],
  ['pause', () => require('./pause')],
  ['resume', () => require('./resume')],
  ['update', () => require('./update')],
  ['events', () => require('./events')],
  ['ps', () => require('./ps')],
  ['features', () => require('./features')],
  ['daemon', () => require('./daemon')],
];

export async function main(argv: string[]): Promise<number> {
  mark('load');
  const fast = parseFast(argv, GLOBAL_OPTIONS, FAST_COMMANDS);
  if (fast) {
    timingCommand(fast.command);
    try {
      setupLogging(argv);
      mark('args');
      await fast.module.handler(fast.argv);
      return typeof fast.argv.exitCode === 'number' ? fast.argv.exitCode : 0;
    } catch (err) {
      if (err instanceof FallbackToNode) throw err; // a daemon worker hands the command back
      return reportFailure(err);
    }
  }
  // yargs (~15 ms to load) only for --help, errors and the subcommands without a fast path.
  const yargs = require('yargs/yargs') as typeof import('yargs/yargs');
  let cli: Argv = yargs(argv)
    .scriptName('husk')
    .usage(USAGE)
    .parserConfiguration(PARSER_CONFIGURATION)
    .options(GLOBAL_OPTIONS)
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'a command is required (see husk --help)')
    .fail((msg, err) => {
      if (err) throw err;
      // yargs takes the word after an unknown flag as its value, so `create --bogus id` would fail
      // as "not enough arguments", and `--bogus list` as "a command is required". Name the flag
      // instead, as runc does.
      const unknown = unknownFlag(argv, cli);
      throw new HuskError(unknown ? `flag provided but not defined: ${unknown}` : msg);
    })
    .wrap(Math.min(110, process.stdout.columns || 100));

  // A global flag, as in runc: `husk --root R --version` prints the version too.
  const versionAt = argv.findIndex((a) => a === '--version' || a === '-v');
  const commandAt = argv.findIndex((a) => COMMANDS.some(([name]) => name === a));
  if (versionAt >= 0 && (commandAt < 0 || versionAt < commandAt)) {
    const { printVersion } = require('./version') as typeof import('./version');
    printVersion();
    return 0;
  }

  const chosen = commandWord(argv);
  timingCommand(chosen ?? '');
  let parseArgv = argv;
  for (const [name, load] of COMMANDS) {
    if (name === chosen || chosen === undefined || !COMMANDS.some(([n]) => n === chosen)) {
      const command = load();
      cli = command.register(cli);
      if (command.preprocessArgv && argv.includes(name)) parseArgv = command.preprocessArgv(parseArgv);
    }
  }
  try {
    setupLogging(argv);
    cli = cli.middleware(() => mark('args'));
    const parsed = await cli.parseAsync(parseArgv);
    return typeof parsed.exitCode === 'number' ? parsed.exitCode : 0;
  } catch (err) {
    if (err instanceof FallbackToNode) throw err;
    return reportFailure(err);
  }
}

/** The first word that is neither a flag nor the value of a global flag (`--root R list` → list). */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) return arg;
    const name = arg.replace(/^--?/, '');
    const option = (GLOBAL_OPTIONS as Record<string, { type: string }>)[name];
    if (option?.type === 'string') i++; // its value follows
  }
  return undefined;
}

interface ParserOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
}

/** The first flag in argv that neither husk nor the chosen command defines (only asked on failure). */
function unknownFlag(argv: string[], cli: Argv): string | undefined {
  const options = (cli as unknown as { getOptions(): ParserOptions }).getOptions();
  const known = new Set(Object.keys(options.key));
  for (const [name, aliases] of Object.entries(options.alias)) [name, ...aliases].forEach((n) => known.add(n));
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const flag = arg.split('=')[0];
    if (!known.has(flag.replace(/^--?/, ''))) return flag;
  }
  return undefined;
}

const entry = globalThis as { huskEntryTime?: number; huskEntryCpu?: number };
startTiming(entry.huskEntryTime, entry.huskEntryCpu);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportFailure(err);
  },
);

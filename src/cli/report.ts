// How failures reach the user: one line on stderr ("husk: ..."), and the same in --log in
// the configured format (containerd reads the last JSON line of the log on failure).
import { HuskError } from '../errors';
import { configureLog, logError, hasLogFile } from '../log';

function flagValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/** Logging is set up before yargs runs so that even a flag-parsing error reaches --log. */
export function setupLogging(argv: string[]): void {
  const format = flagValue(argv, 'log-format') === 'json' ? 'json' : 'text';
  configureLog({ file: flagValue(argv, 'log'), format, debug: argv.includes('--debug') });
}

export function reportFailure(err: unknown): number {
  const message = err instanceof HuskError ? err.message : internalErrorText(err);
  process.stderr.write(`husk: ${message}\n`);
  if (hasLogFile()) logError(message);
  return err instanceof HuskError ? err.exitCode : 1;
}

function internalErrorText(err: unknown): string {
  const e = err as Error;
  // An unexpected exception is a husk bug; the stack is only shown with --debug.
  if (process.argv.includes('--debug') && e?.stack) process.stderr.write(`${e.stack}\n`);
  return e?.message ? e.message.split('\n')[0] : String(err);
}

// How failures reach the user: one line on stderr ("husk: ..."), and the same in --log in
// the configured format (containerd reads the last JSON line of the log on failure).
import * as fs from 'fs';
import { HuskError } from '../errors';
import { configureLog, logError, hasLogFile } from '../log';

function flagValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/**
 * Write a command's output to fd 1 directly. process.stdout would be a stream over a pipe (which
 * is what containerd gives runc), and creating it loads Node's net and stream machinery: ~3 ms
 * of every `husk state`. A full pipe (EAGAIN, if the fd is non-blocking) is waited out.
 */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(1, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** A line on fd 2, without creating process.stderr (a stream: ~1-4 ms to load, on every failure). */
function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // Nowhere left to say it.
  }
}

/** Logging is set up before yargs runs so that even a flag-parsing error reaches --log. */
export function setupLogging(argv: string[]): void {
  const format = flagValue(argv, 'log-format') === 'json' ? 'json' : 'text';
  configureLog({ file: flagValue(argv, 'log'), format, debug: argv.includes('--debug') });
}

export function reportFailure(err: unknown): number {
  const message = oneLine(err instanceof HuskError ? err.message : internalErrorText(err));
  writeStderr(`husk: ${message}\n`);
  if (hasLogFile()) logError(message);
  return err instanceof HuskError ? err.exitCode : 1;
}

/**
 * The promise is one line: a value quoted from the input may hold a newline or other control
 * characters ("process.env[1]: ' \t\n' is not of the form NAME=value"); they are escaped as
 * in JSON strings.
 */
function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function internalErrorText(err: unknown): string {
  const e = err as Error;
  // An unexpected exception is a husk bug; the stack is only shown with --debug.
  if (process.argv.includes('--debug') && e?.stack) writeStderr(`${e.stack}\n`);
  return e?.message ? e.message.split('\n')[0] : String(err);
}

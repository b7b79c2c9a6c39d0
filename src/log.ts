// The global --log / --log-format / --debug switches.
//
// containerd (and other shims) run the runtime with `--log <file> --log-format json` and, when a
// command fails, read the last "error" line of that file to explain the failure. So the lines must
// have exactly runc's shape, which is logrus's:
//
//   json: {"level":"error","msg":"...","time":"2024-01-01T00:00:00Z"}
//         (logrus' JSONFormatter marshals a map, so keys come out sorted: level, msg, time; the time
//          is RFC 3339 with seconds and the local offset, "Z" for UTC; HTML characters are escaped)
//   text: time="2024-01-01T00:00:00Z" level=error msg="..."
//         (logrus' TextFormatter without a TTY; values are quoted only when they need it)
//
// logrus calls the warning level "warning", not "warn"; shims match on these names.
//
// Where lines go: the --log file when given, otherwise stderr (runc's default output). Errors are
// the exception: without --log they are NOT written here, because the CLI prints every error to
// stderr itself and a second copy would be noise. With --log, the CLI prints to stderr AND calls
// logError, which is what runc does too (it logs the error and prints it unless logrus already
// writes to stderr).
//
// This module is imported by every subcommand, so it only needs `fs` and does no work at import.
import * as fs from 'fs';
import { HuskError, describeSystemError } from './errors';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface LogConfig {
  /** --log: a file to append log lines to. Undefined or "" means stderr. */
  file?: string;
  /** --log-format: "text" (default) or "json". Anything else is an error, as in runc. */
  format?: string;
  /** --debug: also write debug lines. */
  debug?: boolean;
}

interface LogSink {
  format: LogFormat;
  debug: boolean;
  /** fd of the --log file, or undefined for stderr. */
  fileFd: number | undefined;
}

const STDERR_FD = 2;

let sink: LogSink = { format: 'text', debug: false, fileFd: undefined };

/** Apply the global flags. Throws HuskError for an unknown format or a log file that cannot be opened. */
export function configureLog(config: LogConfig): void {
  const format = parseLogFormat(config.format);
  closeLogFile();
  sink = {
    format,
    debug: config.debug === true,
    fileFd: config.file ? openLogFile(config.file) : undefined,
  };
}

/** Back to the defaults (text to stderr, no debug); closes the log file. For tests and re-configuration. */
export function resetLog(): void {
  closeLogFile();
  sink = { format: 'text', debug: false, fileFd: undefined };
}

/** Whether --log named a file (then errors are written there; otherwise only the CLI's stderr copy exists). */
export function hasLogFile(): boolean {
  return sink.fileFd !== undefined;
}

export function isDebugEnabled(): boolean {
  return sink.debug;
}

/** An error the command is failing with. Written only to the --log file (see the header comment). */
export function logError(msg: string): void {
  if (sink.fileFd !== undefined) writeLine('error', msg);
}

export function logWarn(msg: string): void {
  writeLine('warning', msg);
}

export function logInfo(msg: string): void {
  writeLine('info', msg);
}

/** Only with --debug. Cheap to call otherwise: build expensive messages behind isDebugEnabled(). */
export function logDebug(msg: string): void {
  if (sink.debug) writeLine('debug', msg);
}

/** One log line (with its trailing newline) in the given format. Exported for tests. */
export function formatLogLine(level: LogLevel, msg: string, format: LogFormat, now: Date = new Date()): string {
  const time = rfc3339Seconds(now);
  if (format === 'json') {
    return `{"level":${jsonString(level)},"msg":${jsonString(msg)},"time":${jsonString(time)}}\n`;
  }
  return `time=${textValue(time)} level=${textValue(level)} msg=${textValue(msg)}\n`;
}

/** RFC 3339 with whole seconds and the local UTC offset ("Z" when it is zero), like Go's time.RFC3339. */
export function rfc3339Seconds(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const stamp = local.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS of the local wall clock
  if (offsetMinutes === 0) return `${stamp}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${stamp}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function parseLogFormat(format: string | undefined): LogFormat {
  if (format === undefined || format === '' || format === 'text') return 'text';
  if (format === 'json') return 'json';
  throw new HuskError(`invalid --log-format '${format}': use 'text' or 'json'`);
}

function openLogFile(file: string): number {
  try {
    // O_APPEND: several husk processes (create, start, kill...) append to the same file.
    return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
  } catch (err) {
    throw new HuskError(`cannot open log file ${file}: ${describeSystemError(err)}`);
  }
}

function closeLogFile(): void {
  if (sink.fileFd === undefined) return;
  try {
    fs.closeSync(sink.fileFd);
  } catch {
    // Nothing useful to do about a failing close of a log file.
  }
  sink.fileFd = undefined;
}

function writeLine(level: LogLevel, msg: string): void {
  const line = formatLogLine(level, msg, sink.format);
  try {
    // One write(2) per line so concurrent appenders never interleave inside a line.
    fs.writeSync(sink.fileFd ?? STDERR_FD, line);
  } catch {
    // Logging must never turn into the reason a command fails.
  }
}

/** JSON string with Go's encoding/json HTML escaping (logrus leaves SetEscapeHTML on). */
function jsonString(value: string): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** logrus quotes a text value unless every character is in [A-Za-z0-9-._/@^+] (so "" stays bare). */
function textValue(value: string): string {
  return /^[A-Za-z0-9\-._/@^+]*$/.test(value) ? value : JSON.stringify(value);
}

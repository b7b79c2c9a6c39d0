// Global flags, as runc has them. Every subcommand receives these.
import * as path from 'path';

export interface GlobalOptions {
  /** State directory root (runc: /run/runc). */
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  /** runc's --rootless: "auto", "true" or "false". */
  rootless: string;
}

export const DEFAULT_ROOT = '/run/husk';

export function globalOptionsFrom(argv: Record<string, unknown>): GlobalOptions {
  return {
    // Absolute, as runc makes it (filepath.Abs): state.json records paths under it (the exec
    // fifo), which later commands, run from other directories, must find.
    root: path.resolve(String(argv.root ?? DEFAULT_ROOT)),
    log: argv.log ? String(argv.log) : undefined,
    logFormat: argv['log-format'] === 'json' ? 'json' : 'text',
    debug: Boolean(argv.debug),
    systemdCgroup: Boolean(argv['systemd-cgroup']),
    rootless: String(argv.rootless ?? 'auto'),
  };
}

/**
 * The global flags in yargs' option shape: main.ts gives them to yargs and the fast parser
 * (fast-path.ts) reads the same table.
 */
export const GLOBAL_OPTIONS = {
  root: { type: 'string', default: DEFAULT_ROOT, describe: 'root directory for storage of container state (tmpfs recommended)' },
  log: { type: 'string', describe: 'log file path (default: stderr)' },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'log format' },
  debug: { type: 'boolean', default: false, describe: 'enable debug logging' },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'treat cgroupsPath as slice:prefix:name (no systemd: mapped onto cgroupfs)' },
  rootless: { type: 'string', default: 'auto', describe: 'ignore cgroup permission errors (true, false or auto)' },
} as const;

/** yargs-parser settings: runc's flags are kebab-case and `--no-pivot` is a flag, not a negation. */
export const PARSER_CONFIGURATION = { 'camel-case-expansion': false, 'boolean-negation': false } as const;

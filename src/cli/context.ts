// Global flags, as runc has them. Every subcommand receives these.
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
    root: String(argv.root ?? DEFAULT_ROOT),
    log: argv.log ? String(argv.log) : undefined,
    logFormat: argv['log-format'] === 'json' ? 'json' : 'text',
    debug: Boolean(argv.debug),
    systemdCgroup: Boolean(argv['systemd-cgroup']),
    rootless: String(argv.rootless ?? 'auto'),
  };
}

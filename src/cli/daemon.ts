// `husk daemon`: serve the front end (build/bin/husk) from one warm process. Not a runc
// subcommand: husk's own, for start-up time (docs/daemon.md).
import type { Argv } from 'yargs';
import { DEFAULT_DAEMON_SOCKET, needsOwnProcess } from '../daemon/mode';

/** $HUSK_DAEMON_SOCKET unless it is unset or "off" (what tells front ends not to connect). */
function defaultSocket(): string {
  const fromEnvironment = process.env.HUSK_DAEMON_SOCKET;
  return fromEnvironment && fromEnvironment !== 'off' ? fromEnvironment : DEFAULT_DAEMON_SOCKET;
}

export function register(cli: Argv): Argv {
  return cli.command(
    'daemon',
    'serve husk front ends (build/bin/husk) from one warm process: see docs/daemon.md',
    (y) =>
      y
        .option('socket', {
          type: 'string',
          default: defaultSocket(),
          describe: `where to listen (front ends read $HUSK_DAEMON_SOCKET, default ${DEFAULT_DAEMON_SOCKET})`,
        })
        .option('idle-exit', { type: 'number', default: 0, describe: 'exit after this many seconds without a command (0: never)' }),
    async (argv) => {
      needsOwnProcess('husk daemon');
      const { serveDaemon } = await import('../daemon/serve');
      await serveDaemon({ socket: String(argv.socket), idleExitSeconds: Number(argv['idle-exit']) });
    },
  );
}

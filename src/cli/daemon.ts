// `husk daemon`: serve the front end (build/bin/husk) from one warm process. Not a runc
// subcommand: husk's own, for start-up time (docs/daemon.md).
import type { Argv } from 'yargs';
import { needsOwnProcess } from '../daemon/mode';

export function register(cli: Argv): Argv {
  return cli.command(
    'daemon',
    'serve husk front ends (build/bin/husk) from one warm process: see docs/daemon.md',
    (y) =>
      y
        .option('socket', {
          type: 'string',
          default: process.env.HUSK_DAEMON_SOCKET || '/run/husk-daemon.sock',
          describe: 'where to listen (front ends read $HUSK_DAEMON_SOCKET, default /run/husk-daemon.sock)',
        })
        .option('idle-exit', { type: 'number', default: 0, describe: 'exit after this many seconds without a command (0: never)' }),
    async (argv) => {
      needsOwnProcess('husk daemon');
      const { serveDaemon } = await import('../daemon/serve');
      await serveDaemon({ socket: String(argv.socket), idleExitSeconds: Number(argv['idle-exit']) });
    },
  );
}

import type { Argv } from 'yargs';
import { globalOptionsFrom } from './context';

export function register(cli: Argv): Argv {
  return cli.command(
    'events <container-id>',
    'print resource usage (every --interval) and OOM events of a container as JSON lines',
    (y) =>
      y
        .positional('container-id', { type: 'string' })
        .option('interval', { type: 'string', default: '5s', describe: 'time between stats events (a duration such as 5s or 500ms)' })
        .option('stats', { type: 'boolean', default: false, describe: 'print the container\'s stats once and exit' }),
    async (argv) => {
      const { containerEvents, parseInterval } = await import('../lifecycle/events');
      const intervalMs = parseInterval(String(argv.interval));
      // The stream ends by itself when the container is deleted; SIGINT/SIGTERM end it cleanly.
      let stopStream = (): void => {};
      const stop = new Promise<void>((resolve) => {
        stopStream = resolve;
      });
      process.once('SIGINT', stopStream);
      process.once('SIGTERM', stopStream);
      try {
        await containerEvents(globalOptionsFrom(argv), String(argv['container-id']), { statsOnce: Boolean(argv.stats), intervalMs, stop });
      } finally {
        process.removeListener('SIGINT', stopStream);
        process.removeListener('SIGTERM', stopStream);
      }
    },
  );
}

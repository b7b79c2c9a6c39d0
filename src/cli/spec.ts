import type { Argv } from 'yargs';

export function register(cli: Argv): Argv {
  return cli.command(
    'spec',
    'write a default config.json into the bundle directory',
    (y) =>
      y
        .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'directory to write config.json into' })
        .option('rootless', { type: 'boolean', default: false, describe: 'a config for a container run by a non-root user' }),
    async (argv) => {
      const { writeDefaultSpec } = await import('../lifecycle/spec-file');
      writeDefaultSpec(String(argv.bundle), rootlessAfterSpec(process.argv.slice(2)));
    },
  );
}

/**
 * `spec --rootless`. The global `--rootless` (a string, default "auto") shares the name, and yargs
 * merges the two into one value that is never true; like runc, only a --rootless after the
 * subcommand asks for a rootless config.
 */
export function rootlessAfterSpec(args: string[]): boolean {
  let rootless = false;
  for (const arg of args.slice(args.indexOf('spec') + 1)) {
    if (arg === '--') break;
    if (arg === '--rootless') rootless = true;
    else if (arg.startsWith('--rootless=')) rootless = arg.slice('--rootless='.length) !== 'false';
  }
  return rootless;
}

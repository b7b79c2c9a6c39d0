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
      writeDefaultSpec(String(argv.bundle), Boolean(argv.rootless));
    },
  );
}

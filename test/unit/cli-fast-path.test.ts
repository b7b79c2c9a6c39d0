// The fast parser (src/cli/fast-path.ts) must read every command line it accepts exactly as
// yargs does, and hand everything else to yargs. Each case is parsed by both: yargs configured
// as src/cli/main.ts configures it, with the same subcommand modules registered, and a handler
// that only records what it was given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { GLOBAL_OPTIONS, PARSER_CONFIGURATION } from '../../src/cli/context';
import { parseFast } from '../../src/cli/fast-path';
import type { FastCommand } from '../../src/cli/fast-path';
import * as create from '../../src/cli/create';
import * as del from '../../src/cli/delete';
import * as exec from '../../src/cli/exec';
import * as kill from '../../src/cli/kill';
import * as run from '../../src/cli/run';
import * as start from '../../src/cli/start';
import * as state from '../../src/cli/state';

interface Module extends FastCommand {
  register(cli: Argv, handler: (argv: Record<string, unknown>) => Promise<void>): Argv;
}

const MODULES: Record<string, Module> = { create, start, run, exec, state, kill, delete: del };
const FAST = Object.fromEntries(Object.entries(MODULES).map(([name, m]) => [name, () => m])) as Record<string, () => FastCommand>;

async function parseWithYargs(args: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> | undefined;
  let cli: Argv = yargs(args)
    .parserConfiguration(PARSER_CONFIGURATION)
    .options(GLOBAL_OPTIONS)
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  for (const m of Object.values(MODULES)) {
    cli = m.register(cli, async (argv) => {
      seen = argv;
    });
  }
  await cli.parseAsync();
  assert.ok(seen, `yargs ran no command for ${args.join(' ')}`);
  return seen;
}

/** What a handler reads: every flag of the command and the globals, and the positionals. */
function relevant(command: string, argv: Record<string, unknown>): Record<string, unknown> {
  const { syntax } = MODULES[command];
  const names = [...Object.keys(GLOBAL_OPTIONS), ...Object.keys(syntax.options), ...syntax.positionals.map((p) => p.name), ...(syntax.rest ? [syntax.rest] : [])];
  return Object.fromEntries(names.map((name) => [name, argv[name]]));
}

const ACCEPTED = [
  // containerd (go-runc) and Podman (conmon) command lines
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json create --bundle /b --pid-file /b/init.pid c1',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json start c1',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json state c1',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json kill c1 9',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json kill --all c1 15',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json delete c1',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json delete --force c1',
  '--systemd-cgroup --root /run/runc create --bundle /b --pid-file /p --console-socket /s --no-new-keyring c2',
  // containerd's exec (go-runc): a process.json, never a command line
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json exec --process /tmp/p.json --detach --pid-file /run/p.pid c1',
  '--root /run/containerd/runc/k8s.io --log /run/log.json --log-format json exec --process /tmp/p.json --console-socket /s --detach --pid-file /run/p.pid c1',
  'exec -p /p.json c1',
  'exec c1 ls /',
  '--root /r exec -t --user 1000:1000 --cwd /tmp c1 sh',
  // every flag spelling the fast path takes
  '--root=/r --debug state c3',
  '--rootless true state c3',
  '--rootless=false --systemd-cgroup=true state c3',
  'create -b /b --no-pivot --preserve-fds 2 c4',
  'create c4 --bundle=/b --preserve-fds=3',
  'create --pid-file=/p --no-pivot=false c4',
  'run -d --bundle /b c5',
  'run --detach=false --keep --no-subreaper c5',
  'run c5',
  'start c6',
  'delete -f c7',
  'delete --force=true c7',
  'kill c8',
  'kill -a c8 KILL',
  'kill c8 SIGUSR1',
  'state --root /elsewhere c9',
  'state 123',
  'kill 42 9',
];

for (const line of ACCEPTED) {
  test(`fast path = yargs: husk ${line}`, async () => {
    const args = line.split(' ');
    const fast = parseFast(args, GLOBAL_OPTIONS, FAST);
    assert.ok(fast, 'the fast path should take this line');
    const viaYargs = await parseWithYargs(args);
    assert.deepEqual(relevant(fast.command, fast.argv), relevant(fast.command, viaYargs));
  });
}

const LEFT_TO_YARGS = [
  '--help',
  'state --help',
  'state -h c1',
  '--version',
  '-v',
  'state',
  'state a b',
  'kill c1 9 extra',
  'create --bogus c1',
  'create -x c1',
  'state -- c1',
  'run -dk c1',
  'create --preserve-fds x c1',
  'create --preserve-fds -1 c1',
  '--log-format xml state c1',
  'delete --force true c1',
  'run --detach false c1',
  '--root /a --root /b state c1',
  '--root',
  'create --bundle',
  'create --bundle --no-pivot c1',
  'list',
  'spec',
  'exec --env A=1 --env B=2 c1 env',
  'pause c1',
  '',
];

for (const line of LEFT_TO_YARGS) {
  test(`left to yargs: husk ${line}`, () => {
    assert.equal(parseFast(line ? line.split(' ') : [], GLOBAL_OPTIONS, FAST), undefined);
  });
}

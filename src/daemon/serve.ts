// `husk daemon`: one warm Node process that serves the front end (build/bin/husk, addon/frontend.c)
// so that a command costs a fork of a process that has loaded husk already, not a Node start-up.
// See docs/daemon.md for what it does and does not do, and addon/daemon.c for the fork.
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../addon';
import { buildDirectory } from '../build-dir';
import { HuskError, describeSystemError } from '../errors';
import { nodeModulesLoaded, runInvocation } from './worker';
import type { Invocation } from './worker';

const DAEMON_V8_FLAGS = ['--single-threaded', '--no-lazy', '--no-flush-bytecode', '--no-sparkplug', '--expose-gc'];

export interface DaemonOptions {
  socket: string;
  /** Exit after this long without a connection or a worker; 0: never. */
  idleExitSeconds: number;
}

export async function serveDaemon(options: DaemonOptions): Promise<void> {
  const native = addon();
  // Workers are forks: no V8 background thread may be needed in them (addon/daemon.c). And every
  // function compiled at load (--no-lazy), so workers inherit bytecode instead of each compiling
  // what it runs: V8 refuses build/husk.js.cache under other flags than it was made with.
  // --no-flush-bytecode: that collection would otherwise throw away, as unused, the bytecode of
  // every function the daemon compiled and never ran, and each worker would parse and compile
  // those again (~0.1 ms of a `state`). --no-sparkplug: a worker lives for one command, too short
  // for baseline code to pay for its compilation.
  // --expose-gc: a full collection before serving leaves workers a compact heap to share.
  if (!DAEMON_V8_FLAGS.every((flag) => process.execArgv.includes(flag))) {
    native.execve(process.execPath, [process.execPath, ...DAEMON_V8_FLAGS, ...process.execArgv, process.argv[1], ...process.argv.slice(2)]);
  }
  const buildId = readBuildId();
  loadEverything();
  const socket = path.resolve(options.socket);
  removeStaleSocket(socket);
  // A long backlog: 50 callers at once wait in it while workers are forked (the kernel caps it).
  const listenFd = native.listenUnix(socket, 4096);
  fs.chmodSync(socket, 0o600);
  // The daemon keeps no directory busy; a worker moves to its caller's.
  process.chdir('/');
  (globalThis as unknown as { gc(): void }).gc();
  const modulesLoadedBefore = nodeModulesLoaded().length;
  for (;;) {
    const invocation = native.daemonServe(listenFd, buildId, options.idleExitSeconds * 1000) as Omit<Invocation, 'modulesLoadedBefore'> | false;
    if (invocation === false) {
      fs.rmSync(socket, { force: true });
      native.close(listenFd);
      return;
    }
    await runInvocation({ ...invocation, modulesLoadedBefore }); // never returns: the worker _exits
  }
}

/** The build the front end must match (Makefile: build/build-id). */
function readBuildId(): string {
  const file = path.join(buildDirectory(), 'build-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new HuskError(`husk daemon needs ${file}, which make writes: ${describeSystemError(err)}`);
  }
}

/**
 * Everything a command may load, loaded once here so that no worker pays for it: every subcommand
 * and lifecycle module, the schema validators, yargs. Loading runs module bodies only, which
 * compute no host facts (those are read per command), so workers inherit code, not answers.
 */
function loadEverything(): void {
  // Written out, so that the bundler sees each module.
  require('../cli/create');
  require('../cli/start');
  require('../cli/run');
  require('../cli/exec');
  require('../cli/state');
  require('../cli/kill');
  require('../cli/delete');
  require('../cli/list');
  require('../cli/spec');
  require('../cli/pause');
  require('../cli/resume');
  require('../cli/update');
  require('../cli/events');
  require('../cli/ps');
  require('../cli/features');
  require('../lifecycle/query');
  require('../lifecycle/create');
  require('../lifecycle/run');
  require('../lifecycle/exec');
  require('../lifecycle/delete');
  require('../lifecycle/kill');
  require('../lifecycle/update');
  require('../lifecycle/events');
  require('../lifecycle/ps');
  const { findSpecProblems } = require('../spec/validate') as typeof import('../spec/validate');
  findSpecProblems({}); // loads the compiled validators
  require('yargs/yargs');
  // Node modules that load on first use, which every worker would compile again:
  // perf_hooks (the global `performance`: HUSK_TIMING, the worker's own clock; ~3 ms) and
  // fs's rimraf (recursive removal: delete, run). A path that cannot exist: nothing is removed.
  performance.now();
  fs.rmSync('/proc/self/husk-daemon-preload', { recursive: true, force: true });
}

/** A socket file no daemon answers on is removed; a live daemon is an error. */
function removeStaleSocket(socket: string): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(socket);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new HuskError(`${socket} exists and is not a socket`);
  let fd: number;
  try {
    fd = addon().consoleConnect(socket);
  } catch {
    fs.rmSync(socket, { force: true });
    return;
  }
  addon().close(fd);
  throw new HuskError(`a husk daemon already listens on ${socket}`);
}

// A worker of `husk daemon`: a fork of the warm daemon that runs one command line exactly as
// `node bin/husk <args>` would, as the caller that ran the front end (its arguments, environment,
// working directory, umask and stdio), then leaves with _exit (addon/daemon.c says why).
import * as path from 'path';
import { addon } from '../addon';
import { buildDirectory } from '../build-dir';
import { FallbackToNode, setCallerPid } from './mode';
import { reportTiming, restartTiming, timingEnabled, timingNote } from '../timing';
import { reportFailure } from '../cli/report';

/** The Node builtin modules loaded so far ("NativeModule fs", ...): process.moduleLoadList. */
export function nodeModulesLoaded(): string[] {
  return ((process as unknown as { moduleLoadList?: string[] }).moduleLoadList ?? []).filter((entry) => entry.startsWith('NativeModule '));
}

/** What the front end sent (addon/daemon.h, struct husk_invocation). */
export interface Invocation {
  argv: string[];
  /** KEY=VALUE entries. */
  env: string[];
  cwd: string;
  callerPid: number;
  workerPid: number;
  /** Milliseconds from the accept of the connection until daemonServe returned in the worker. */
  sinceAcceptMs: number;
  /** How many Node modules the daemon had loaded (serve.ts adds it). */
  modulesLoadedBefore: number;
}

export async function runInvocation(invocation: Invocation): Promise<never> {
  const acceptedAt = performance.now() - invocation.sinceAcceptMs;
  const native = addon();
  try {
    becomeTheCaller(invocation);
  } catch {
    // Its working directory is gone, say: the Node CLI meets the same and reports it its own way.
    return native.workerFinish(0, true);
  }
  restartTiming('worker', performance.now() - acceptedAt);
  // Required here, not imported: cli/main.ts loads this module (through cli/daemon.ts).
  const { main } = require('../cli/main') as typeof import('../cli/main');
  let code: number;
  try {
    code = await main(invocation.argv);
  } catch (err) {
    if (err instanceof FallbackToNode) return native.workerFinish(0, true);
    // main reports its own failures; anything else still ends here, never in Node's exit path.
    code = reportFailure(err);
  }
  // Node's own modules the command loaded (the daemon should have: each costs a compile per command).
  if (timingEnabled()) timingNote('nodeModulesLoaded', nodeModulesLoaded().slice(invocation.modulesLoadedBefore));
  reportTiming();
  return native.workerFinish(code);
}

function becomeTheCaller(invocation: Invocation): void {
  setCallerPid(invocation.callerPid);
  // process.exit (yargs calls it after --help) would run Node's exit path, which joins threads
  // that exist only in the daemon: a worker must leave through workerFinish.
  process.exit = ((code?: number) => {
    reportTiming();
    addon().workerFinish(Number(code ?? process.exitCode ?? 0));
  }) as typeof process.exit;
  // Node keeps the pid it started with; the worker is another process.
  Object.defineProperty(process, 'pid', { value: invocation.workerPid, enumerable: true, configurable: true, writable: false });
  process.chdir(invocation.cwd);
  for (const name of Object.keys(process.env)) delete process.env[name];
  for (const entry of invocation.env) {
    const equals = entry.indexOf('=');
    if (equals > 0) process.env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  process.argv = [process.execPath, path.join(buildDirectory(), '..', 'bin', 'husk'), ...invocation.argv];
}

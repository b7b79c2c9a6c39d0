// OCI hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop;
// createContainer and startContainer run inside the container and are the init's business, but
// runHook works for any kind).
//
// config.md "POSIX-platform Hooks": path (absolute) is executed with args as argv (args[0] is
// argv[0]) and env as the whole environment; the container state (runtime.md "State") is written
// to the hook's stdin; timeout is in seconds and must be > 0.
//
// runtime.md "Lifecycle", on failures:
//   prestart, createRuntime, createContainer, startContainer and (since v1.3, runtime-spec#1262)
//     poststart: "the runtime MUST generate an error, stop the container, and continue the
//     lifecycle at step 12" → runHooks throws on the first failing hook (the remaining ones do
//     not run); the caller stops and cleans up. runc fails `start` there too.
//   poststop: "the runtime MUST log a warning, but the remaining hooks and lifecycle continue as
//     if the hook had succeeded" → runHooks logs a warning and goes on.
//
// Where the spec is silent we follow runc or say why not:
//   * env: exactly the hook's env, nothing of husk's (runc passes its own environment when a hook
//     has no env; a hook must not depend on the runtime's environment, so it gets none).
//   * working directory: the bundle (runc runs hooks from its cwd, which is the bundle during
//     create); "/" when the bundle no longer exists (poststop after the bundle was removed).
//   * stdout/stderr are captured: the last stderr line explains a failure, and the full output
//     goes to the log with --debug. A hook's output never mixes into the container's stdio.
//   * on timeout the hook's whole process group is SIGKILLed: the hook runs in a new session, so
//     a shell script's children die with it instead of lingering.
import type { SpawnSyncOptionsWithStringEncoding } from 'child_process';
import * as fs from 'fs';
import { HuskError, describeSystemError } from '../errors';
import { isDebugEnabled, logDebug, logWarn } from '../log';
import type { Hook, HookName, SpecState } from '../spec/types';

/** A hook may print this much on stdout and on stderr before it is killed as runaway. */
const MAX_HOOK_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface HookRunOptions {
  /** Where warnings about failed poststop hooks go; defaults to the log's warning level. */
  warn?: (message: string) => void;
}

/** Whether a failure of this kind of hook is an error (true) or only a warning (false). */
export function hookFailureIsFatal(kind: HookName): boolean {
  return kind !== 'poststop';
}

/**
 * Run the hooks of one kind in order, each with `state` on stdin. For fatal kinds, throws the
 * first failure as a HuskError; for poststop, warns about each failure and continues.
 */
export function runHooks(kind: HookName, hooks: Hook[] | undefined, state: SpecState, options: HookRunOptions = {}): void {
  const warn = options.warn ?? logWarn;
  (hooks ?? []).forEach((hook, index) => {
    try {
      runHook(kind, hook, state, index);
    } catch (err) {
      if (hookFailureIsFatal(kind)) throw err;
      warn(err instanceof HuskError ? err.message : String(err));
    }
  });
}

/** Run one hook to completion; throws HuskError if it cannot start, fails, or times out. */
export function runHook(kind: HookName, hook: Hook, state: SpecState, index = 0): void {
  const where = `hooks.${kind}[${index}]`;
  const label = `${kind} hook ${hook.path}`;
  if (!hook.path || !hook.path.startsWith('/')) {
    throw new HuskError(`${where}.path '${hook.path ?? ''}' must be an absolute path`);
  }
  const timeoutSeconds = hookTimeout(hook, where);
  const argv = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  if (isDebugEnabled()) logDebug(`running ${label} with args ${JSON.stringify(argv)}`);

  const options: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    argv0: argv[0],
    env: environmentObject(hook.env ?? [], where),
    cwd: workingDirectory(state.bundle),
    input: JSON.stringify(state),
    stdio: 'pipe',
    timeout: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
    // Node's spawnSync honours `detached` (setsid) although its typings omit it.
    detached: true,
    maxBuffer: MAX_HOOK_OUTPUT_BYTES,
    encoding: 'utf8',
  };
  // Required here, not imported: child_process costs every create, start and delete ~3-7 ms to
  // load, and most containers have no hooks.
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const result = spawnSync(hook.path, argv.slice(1), options);
  logHookOutput(label, result.stdout, result.stderr);

  // EPIPE: the hook exited without reading all of its stdin. That is its right (Go's os/exec,
  // hence runc, ignores it too); its exit status still tells whether it succeeded.
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  const error = code === 'EPIPE' ? undefined : result.error;
  if (code === 'ETIMEDOUT') {
    killProcessGroup(result.pid);
    throw new HuskError(`${label} timed out after ${timeoutSeconds}s`);
  }
  if (code === 'ENOBUFS') {
    killProcessGroup(result.pid);
    throw new HuskError(`${label} was killed: it wrote more than ${MAX_HOOK_OUTPUT_BYTES} bytes of output`);
  }
  if (error) throw new HuskError(`${label} could not be run: ${describeSystemError(error)}`);
  if (result.signal) throw new HuskError(`${label} was killed by ${result.signal}${lastLineSuffix(result.stderr)}`);
  if (result.status !== 0) throw new HuskError(`${label} exited with status ${result.status}${lastLineSuffix(result.stderr)}`);
}

function hookTimeout(hook: Hook, where: string): number | undefined {
  if (hook.timeout === undefined || hook.timeout === null) return undefined;
  if (!Number.isFinite(hook.timeout) || hook.timeout <= 0) {
    throw new HuskError(`${where}.timeout must be a number of seconds greater than zero, not ${hook.timeout}`);
  }
  return hook.timeout;
}

/** ["A=1", "B=x=y"] → { A: "1", B: "x=y" }; an entry without '=' cannot be passed through Node. */
function environmentObject(env: string[], where: string): Record<string, string> {
  const result: Record<string, string> = {};
  env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new HuskError(`${where}.env[${i}] '${entry}' is not of the form NAME=value`);
    result[entry.slice(0, eq)] = entry.slice(eq + 1);
  });
  return result;
}

function workingDirectory(bundle: string): string {
  try {
    return fs.statSync(bundle).isDirectory() ? bundle : '/';
  } catch {
    return '/';
  }
}

function lastLineSuffix(stderr: string | null | undefined): string {
  const lines = (stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length > 0 ? `: ${lines[lines.length - 1]}` : '';
}

function logHookOutput(label: string, stdout: string | null, stderr: string | null): void {
  if (!isDebugEnabled()) return;
  if (stdout) logDebug(`${label} stdout: ${stdout.trimEnd()}`);
  if (stderr) logDebug(`${label} stderr: ${stderr.trimEnd()}`);
}

/** SIGKILL what is left of the hook's session (it was the group leader). */
function killProcessGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

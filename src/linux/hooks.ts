// hooks.createContainer and hooks.startContainer → hooks the container side runs itself (the
// runtime-side hooks, prestart/createRuntime/poststart/poststop, belong to src/hooks).
import type { ChildHook } from './plan';
import type { Hook } from '../spec/types';
import { HuskError } from '../errors';

/** `where` is the JSON path of the list, e.g. "hooks.createContainer". */
export function planChildHooks(hooks: Hook[] | undefined, where: string): ChildHook[] {
  return (hooks ?? []).map((hook, index) => {
    const at = `${where}[${index}]`;
    // runtime-spec config.md "POSIX-platform Hooks": path "MUST be absolute".
    if (!hook.path || !hook.path.startsWith('/')) throw new HuskError(`${at}.path: '${hook.path ?? ''}' must be an absolute path`);
    for (const [field, list] of [
      ['args', hook.args],
      ['env', hook.env],
    ] as const) {
      (list ?? []).forEach((value, i) => {
        if (value.includes('\0')) throw new HuskError(`${at}.${field}[${i}]: contains a NUL byte`);
      });
    }
    // runtime-spec: "If set, timeout MUST be greater than zero."
    if (hook.timeout !== undefined && (!Number.isInteger(hook.timeout) || hook.timeout <= 0)) {
      throw new HuskError(`${at}.timeout: ${hook.timeout} is not a whole number of seconds greater than zero`);
    }
    return {
      path: hook.path,
      // execv semantics; runc (Go's exec.Cmd) runs the hook with argv = [path] when args is empty.
      args: hook.args && hook.args.length > 0 ? [...hook.args] : [hook.path],
      // An absent env is an empty environment. (runc passes a nil Env, which Go's exec turns into
      // "inherit": the container process's env for these hooks. husk does not copy that.)
      env: [...(hook.env ?? [])],
      timeout: hook.timeout ?? 0,
    };
  });
}

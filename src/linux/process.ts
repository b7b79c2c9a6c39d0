// process.args, process.env and process.cwd → what the init execs, with what environment, where.
import type { Process } from '../spec/types';
import { HuskError } from '../errors';

export function planArgs(process: Process): string[] {
  const args = process.args ?? [];
  // runc: "args must not be empty".
  if (args.length === 0 || args[0] === '') throw new HuskError('process.args: must name the program to run');
  args.forEach((arg, index) => {
    if (arg.includes('\0')) throw new HuskError(`process.args[${index}]: contains a NUL byte`);
  });
  return [...args];
}

/**
 * process.env as the process will see it. Like runc (populateProcessEnvironment + os.Setenv):
 * every entry must be NAME=value with a non-empty name; a name given twice keeps its first
 * position and its last value; HOME is added when missing or empty, from `homeDirectory()`
 * (the user's home in the container's /etc/passwd, or "/"). PATH is not added: runc does not.
 */
export function planEnv(env: string[] | undefined, homeDirectory: () => string): string[] {
  const values = new Map<string, string>();
  (env ?? []).forEach((entry, index) => {
    const where = `process.env[${index}]`;
    if (entry.includes('\0')) throw new HuskError(`${where}: contains a NUL byte`);
    const equals = entry.indexOf('=');
    if (equals < 0) throw new HuskError(`${where}: '${entry}' is not NAME=value`);
    if (equals === 0) throw new HuskError(`${where}: '${entry}' has an empty name`);
    values.set(entry.slice(0, equals), entry.slice(equals + 1));
  });
  if (!values.get('HOME')) values.set('HOME', homeDirectory());
  return [...values].map(([name, value]) => `${name}=${value}`);
}

/** runtime-spec: cwd "MUST be an absolute path" (runc: "Cwd must be an absolute path"). */
export function planCwd(cwd: string | undefined): string {
  if (!cwd) throw new HuskError('process.cwd: required (an absolute path inside the container)');
  if (cwd.includes('\0')) throw new HuskError('process.cwd: contains a NUL byte');
  if (!cwd.startsWith('/')) throw new HuskError(`process.cwd: '${cwd}' must be an absolute path`);
  return cwd;
}

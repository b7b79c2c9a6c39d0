// Running a shell script inside a container and capturing what it printed.
// `run` in the foreground without a terminal hands the runtime's stdio to the
// container, so the script's output is the runtime's output.
import { Bundle } from './bundle';
import { TestContext } from './context';
import { describeResult, RunResult, Runtime } from './runtime';

export interface InsideOptions {
  /** Defaults to the runtime under test. */
  runtime?: Runtime;
  input?: string;
  timeoutMs?: number;
  /** Open fds passed as fds 3.. with `--preserve-fds <count>`. */
  preservedFds?: number[];
}

/** Save the bundle with `sh -c <script>` as the process and `run` it under a fresh id. */
export async function runInside(
  context: TestContext,
  bundle: Bundle,
  script: string,
  options: InsideOptions = {},
): Promise<RunResult> {
  const runtime = options.runtime ?? context.runtime;
  bundle.setShellScript(script).save();
  const preserved = options.preservedFds ?? [];
  const preserveArgs = preserved.length > 0 ? ['--preserve-fds', String(preserved.length)] : [];
  return runtime.run(['run', ...preserveArgs, '--bundle', bundle.dir, context.newId()], {
    input: options.input,
    timeoutMs: options.timeoutMs,
    extraFds: preserved,
  });
}

/** runInside that throws unless the container exited 0; returns its stdout. */
export async function outputInside(
  context: TestContext,
  bundle: Bundle,
  script: string,
  options: InsideOptions = {},
): Promise<string> {
  const result = await runInside(context, bundle, script, options);
  if (result.status !== 0) throw new Error(`script inside the container failed: ${describeResult(result)}`);
  return result.stdout;
}

/** Non-empty lines of text, trimmed. */
export function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

// The static syscall-probe (syscall-probe.c), built once per test context with the host's gcc
// and copied into a bundle's rootfs as /bin/syscall-probe.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bundle } from './bundle';
import { TestContext } from './context';
import { REPO_ROOT } from './paths';

export const PROBE_IN_CONTAINER = '/bin/syscall-probe';

function builtProbe(context: TestContext): string {
  const binary = path.join(context.tmpDir, 'syscall-probe');
  if (!fs.existsSync(binary)) {
    const source = path.join(REPO_ROOT, 'test', 'helpers', 'syscall-probe.c');
    execFileSync('gcc', ['-static', '-O2', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return binary;
}

/** Put the probe into the bundle's rootfs. */
export function addSyscallProbe(context: TestContext, bundle: Bundle): void {
  fs.copyFileSync(builtProbe(context), path.join(bundle.rootfs, PROBE_IN_CONTAINER));
  fs.chmodSync(path.join(bundle.rootfs, PROBE_IN_CONTAINER), 0o755);
}

/** "name=RESULT" lines of the probe's output as a map. */
export function probeResults(output: string): Record<string, string> {
  const results: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^(\w+)=(\S+)$/.exec(line.trim());
    if (match) results[match[1]] = match[2];
  }
  return results;
}

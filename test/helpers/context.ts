// Everything one test file creates hangs off a TestContext: a temp dir, a
// unique id prefix, and the runtimes (each with its own --root) it invoked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNC_BIN } from './paths';
import { Runtime, runtimeName, runtimeUnderTestBin } from './runtime';

export interface TestContext {
  /** `husk-t-<pid>-`: every container id, netns and cgroup name the file creates starts with it. */
  readonly prefix: string;
  /** Private temp dir (bundles, --root dirs, stdio files); mode 0755 so user-namespaced containers can traverse it. */
  readonly tmpDir: string;
  /** The runtime under test. */
  readonly runtime: Runtime;
  /** Every runtime this context has handed out (the one under test first); cleanup walks them all. */
  readonly runtimes: Runtime[];
  /** Every container id handed out so far. */
  readonly ids: string[];
  newId(): string;
  /** A unique name starting with prefix, for other things a test creates (netns, cgroup). */
  newName(label: string): string;
  /** runc with its own root, for comparisons. */
  referenceRunc(): Runtime;
  /** A fresh directory under tmpDir. */
  newDir(label: string): string;
}

export function integrationSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'integration tests start real containers and need root';
  const bin = runtimeUnderTestBin();
  if (!fs.existsSync(bin)) return `runtime under test ${bin} does not exist (set HUSK_TEST_RUNTIME)`;
  return false;
}

export function createTestContext(): TestContext {
  const prefix = `husk-t-${process.pid}-`;
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(tmpDir, 0o755);
  let counter = 0;
  const next = () => ++counter;
  const bin = runtimeUnderTestBin();
  const runtimeFor = (role: string, runtimeBin: string) =>
    new Runtime(runtimeName(runtimeBin), runtimeBin, path.join(tmpDir, `root-${role}`), path.join(tmpDir, `io-${role}`));
  const runtime = runtimeFor('under-test', bin);
  const context: TestContext = {
    prefix,
    tmpDir,
    runtime,
    runtimes: [runtime],
    ids: [],
    newId() {
      const id = `${prefix}${next()}`;
      this.ids.push(id);
      return id;
    },
    newName(label: string) {
      return `${prefix}${label}-${next()}`;
    },
    referenceRunc() {
      const existing = this.runtimes.find((candidate) => candidate !== runtime && candidate.bin === RUNC_BIN);
      if (existing) return existing;
      const reference = runtimeFor('reference', RUNC_BIN);
      this.runtimes.push(reference);
      return reference;
    },
    newDir(label: string) {
      const dir = path.join(tmpDir, `${label}-${next()}`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      return dir;
    },
  };
  return context;
}

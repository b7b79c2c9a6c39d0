// Where the repository is, whether tests run from test/ (ts) or build/ts/test/ (js).
import * as fs from 'node:fs';
import * as path from 'node:path';

const BUNDLE_SCRIPT = path.join('bundles', 'make-busybox-bundle.sh');

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, BUNDLE_SCRIPT))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ${BUNDLE_SCRIPT} above ${start}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const BUNDLE_SCRIPT_PATH = path.join(REPO_ROOT, BUNDLE_SCRIPT);
export const HUSK_BIN = path.join(REPO_ROOT, 'bin', 'husk');
export const RUNC_BIN = '/usr/sbin/runc';

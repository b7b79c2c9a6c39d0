// `husk --version`, in runc's line format (containerd and Podman parse the first line and the
// "spec:" line): version, commit, spec, runtime, libseccomp.
import * as fs from 'fs';
import * as path from 'path';
import { buildDirectory } from '../build-dir';
import { SPEC_VERSION } from '../spec/versions';

export interface BuildInfo {
  version: string;
  commit: string;
  libseccomp: string;
}

export function buildInfo(): BuildInfo {
  // Written by `make` (scripts/build-info.sh); absent in a tree built by hand.
  const file = path.join(buildDirectory(), 'build-info.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BuildInfo;
  } catch {
    return { version: 'unknown', commit: 'unknown', libseccomp: 'unknown' };
  }
}

export function versionText(): string {
  const info = buildInfo();
  return [
    `husk version ${info.version}`,
    `commit: ${info.commit}`,
    `spec: ${SPEC_VERSION}`,
    `node: ${process.version}`,
    `libseccomp: ${info.libseccomp}`,
  ].join('\n');
}

export function printVersion(): void {
  process.stdout.write(`${versionText()}\n`);
}

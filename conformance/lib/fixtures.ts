// Host-side mounts some mount clauses need (a shared mount to propagate from, directories with
// submounts that carry flags). Made once per suite, on first use, inside the workspace; unmounted
// by teardownFixtures() before the leak sweep.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Workspace } from './context';

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error}`);
}

export interface MountFixtures {
  /** A shared mount (bound on itself, --make-shared) with a tmpfs submount at sub/. */
  shared: string;
  /** A plain directory with a tmpfs submount at sub/ (default flags). */
  recursive: string;
  /** A plain directory whose sub/ is a tmpfs mounted ro,nosuid,nodev,noexec,nodiratime,noatime,nosymfollow. */
  flagged: string;
  /** A plain directory whose sub/ is a tmpfs mounted strictatime. */
  strict: string;
  /** A plain directory holding an executable (a copy of the checker) and a file owned by uid 1000. */
  files: string;
  /** A shared mount to put bundles under (for rootfsPropagation slave). */
  sharedBundles: string;
}

const mounted: string[] = [];
let fixtures: MountFixtures | undefined;

function mount(args: string[], target: string): void {
  run('mount', [...args, target]);
  mounted.push(target);
}

export function mountFixtures(workspace: Workspace): MountFixtures {
  if (fixtures) return fixtures;
  const base = path.join(workspace.dir, 'fixtures');
  const dir = (name: string) => {
    const d = path.join(base, name);
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true, mode: 0o755 });
    return d;
  };
  const shared = dir('shared');
  mount(['--bind', shared], shared);
  run('mount', ['--make-shared', shared]);
  mount(['-t', 'tmpfs', 'conformance-sub'], path.join(shared, 'sub'));
  const recursive = dir('recursive');
  mount(['-t', 'tmpfs', 'conformance-sub'], path.join(recursive, 'sub'));
  const flagged = dir('flagged');
  mount(['-t', 'tmpfs', '-o', 'ro,nosuid,nodev,noexec,nodiratime,noatime,nosymfollow', 'conformance-sub'], path.join(flagged, 'sub'));
  const strict = dir('strict');
  mount(['-t', 'tmpfs', '-o', 'strictatime', 'conformance-sub'], path.join(strict, 'sub'));
  const files = dir('files');
  fs.copyFileSync(workspace.checkerBinary, path.join(files, 'checker'));
  fs.chmodSync(path.join(files, 'checker'), 0o755);
  fs.writeFileSync(path.join(files, 'owned-by-1000'), 'x');
  fs.chownSync(path.join(files, 'owned-by-1000'), 1000, 1000);
  const sharedBundles = dir('shared-bundles');
  mount(['--bind', sharedBundles], sharedBundles);
  run('mount', ['--make-shared', sharedBundles]);
  fixtures = { shared, recursive, flagged, strict, files, sharedBundles };
  return fixtures;
}

/** Unmounts every fixture (deepest first, lazily: a container may still be going away). */
export function teardownFixtures(): void {
  for (const target of mounted.reverse()) spawnSync('umount', ['-l', target]);
  mounted.length = 0;
  fixtures = undefined;
}

// The container side's refusals of escape attempts, as the one line a user reads
// (src/lifecycle/child-steps.ts; the C side is addon/mounts.c husk_finish_rootfs and
// addon/process.c husk_check_cwd_inside).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainChildFailure, Step } from '../../src/lifecycle/child-steps';
import type { LaunchPlan } from '../../src/linux/plan';

const ELOOP = 40;
const ENODEV = 19;
const EXDEV = 18;
const ENOENT = 2;

const plan = {
  args: ['sh'],
  env: [],
  cwd: '/proc/self/fd/3',
  uid: 0,
  gid: 0,
  rlimits: [],
  maskedPaths: ['/proc/kcore', '/etc/out'],
  readonlyPaths: ['/proc/sys', '/etc/link'],
} as unknown as LaunchPlan;

const errnoText = (errno: number) =>
  ({ [ELOOP]: 'ELOOP: Too many levels of symbolic links', [ENODEV]: 'ENODEV: No such device', [EXDEV]: 'EXDEV: Invalid cross-device link', [ENOENT]: 'ENOENT: No such file or directory' })[errno] ?? `E${errno}`;

test('a masked or read-only path through a symlink: the path, its config index, and why', () => {
  assert.equal(
    explainChildFailure(Step['masking path'], ELOOP, 1, plan, errnoText),
    'container init failed masking path /etc/out (linux.maskedPaths[1]): ELOOP: Too many levels of symbolic links (the path is a symbolic link or goes through one; masked and read-only paths are not followed through symlinks)',
  );
  assert.equal(
    explainChildFailure(Step['making path read-only'], ELOOP, 1, plan, errnoText),
    'container init failed making path read-only /etc/link (linux.readonlyPaths[1]): ELOOP: Too many levels of symbolic links (the path is a symbolic link or goes through one; masked and read-only paths are not followed through symlinks)',
  );
});

test("a /dev/null that is not the null device", () => {
  assert.equal(
    explainChildFailure(Step['masking path'], ENODEV, 0, plan, errnoText),
    "container init failed masking path /proc/kcore (linux.maskedPaths[0]): ENODEV: No such device (the container's /dev/null is not the null device 1:3 itself, so it cannot cover a file)",
  );
});

test("a working directory outside the container's root; other cwd errors get no hint", () => {
  assert.equal(
    explainChildFailure(Step['changing to the working directory'], EXDEV, -1, plan, errnoText),
    "container init failed changing to the working directory /proc/self/fd/3: EXDEV: Invalid cross-device link (it is outside the container's root, reached through a file descriptor from outside; refused)",
  );
  assert.equal(
    explainChildFailure(Step['changing to the working directory'], ENOENT, -1, plan, errnoText),
    'container init failed changing to the working directory /proc/self/fd/3: ENOENT: No such file or directory',
  );
});

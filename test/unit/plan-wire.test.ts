// addon/plan-wire.c, the launch plan as bytes for the daemon mode: its C test program
// (test/native/plan-wire-test.c, built by `make` as build/plan-wire-test) fills every field of a
// plan, round-trips it and feeds the reader truncated and corrupted bytes. It exits non-zero and
// names the first mismatch on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

const PLAN_WIRE_TEST = path.join(REPO_ROOT, 'build', 'plan-wire-test');

test('a plan survives serialize/deserialize field by field, and malformed bytes are refused with EINVAL', () => {
  assert.ok(fs.existsSync(PLAN_WIRE_TEST), `${PLAN_WIRE_TEST} is missing: run make`);
  const result = spawnSync(PLAN_WIRE_TEST, [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.error, undefined);
  assert.equal(result.status, 0, `plan-wire-test exited ${result.status ?? result.signal}: ${result.stderr}`);
  assert.match(result.stdout, /^plan-wire-test: ok \(/);
});

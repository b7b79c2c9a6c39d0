// `husk spec` content: runc's example config with husk's deliberate differences, and valid.

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSpec } from '../../src/spec/default-spec';
import { validateSpec } from '../../src/spec/validate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function runcSpec(rootless: boolean): Json | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-spec-default-'));
  try {
    execFileSync('runc', rootless ? ['spec', '--rootless'] : ['spec'], { cwd: dir, stdio: 'ignore' });
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const runcMissing = runcSpec(false) === undefined ? 'runc is not installed' : false;

/** runc's example with husk's documented differences applied (see default-spec.ts "husk:"). */
function expectedFromRunc(runc: Json): Json {
  const expected = JSON.parse(JSON.stringify(runc));
  expected.ociVersion = '1.3.0';
  expected.hostname = 'husk';
  if (!expected.linux.maskedPaths.includes('/sys/devices/virtual/powercap')) {
    expected.linux.maskedPaths.push('/sys/devices/virtual/powercap');
  }
  return expected;
}

describe('defaultSpec', () => {
  it('matches `runc spec` apart from the documented differences', { skip: runcMissing }, () => {
    const husk = defaultSpec({ rootless: false });
    assert.deepEqual(husk, expectedFromRunc(runcSpec(false)));
    // Same key order too, so the files diff cleanly.
    assert.equal(JSON.stringify(husk), JSON.stringify(expectedFromRunc(runcSpec(false))));
  });

  it('matches `runc spec --rootless` apart from the documented differences', { skip: runcMissing }, () => {
    assert.equal(JSON.stringify(defaultSpec({ rootless: true })), JSON.stringify(expectedFromRunc(runcSpec(true))));
  });

  it('passes husk validation', () => {
    validateSpec(defaultSpec({ rootless: false }));
    validateSpec(defaultSpec({ rootless: true }));
  });

  it('runs the given args', () => {
    assert.deepEqual(defaultSpec({ rootless: false, args: ['/bin/echo', 'hi'] }).process?.args, ['/bin/echo', 'hi']);
    assert.deepEqual(defaultSpec({ rootless: false }).process?.args, ['sh']);
  });

  it('maps the given host ids to root when rootless', () => {
    const linux = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 100 }).linux;
    assert.deepEqual(linux?.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
    assert.deepEqual(linux?.gidMappings, [{ containerID: 0, hostID: 100, size: 1 }]);
    assert.ok(!linux?.namespaces?.some((namespace) => namespace.type === 'network'));
    assert.ok(linux?.namespaces?.some((namespace) => namespace.type === 'user'));
  });

  it('returns a fresh object each time', () => {
    const first = defaultSpec({ rootless: false });
    first.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
    first.linux!.maskedPaths!.pop();
    assert.deepEqual(defaultSpec({ rootless: false }).process?.capabilities?.bounding, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    assert.equal(defaultSpec({ rootless: false }).linux?.maskedPaths?.length, 11);
  });
});

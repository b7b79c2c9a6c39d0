import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { planCapabilities } from '../../src/linux/capabilities';

const noWarn = (message: string) => assert.fail(`unexpected warning: ${message}`);

test('no process.capabilities leaves the capabilities alone', () => {
  assert.equal(planCapabilities(undefined, 40, noWarn), null);
});

test('names become bitmasks per set; absent sets are empty', () => {
  const plan = planCapabilities({ bounding: ['CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE'], effective: ['cap_kill'], permitted: ['CAP_KILL'] }, 40, noWarn);
  assert.deepEqual(plan, {
    bounding: String((1n << 5n) | (1n << 21n) | (1n << 40n)),
    effective: String(1n << 5n),
    permitted: String(1n << 5n),
    inheritable: '0',
    ambient: '0',
    lastCap: 40,
  });
});

test('an unknown name is skipped with a warning naming the set, the index and a close name (config.md: MUST warn)', () => {
  const warnings: string[] = [];
  const plan = planCapabilities({ permitted: ['CAP_KILL', 'CAP_SYS_ADMN'], effective: ['CAP_SYS_ADMN'] }, 40, (m) => warnings.push(m));
  assert.equal(plan?.permitted, String(1n << 5n));
  assert.equal(plan?.effective, '0');
  assert.deepEqual(warnings, [
    "process.capabilities.effective[0]: 'CAP_SYS_ADMN' is not a capability (did you mean 'CAP_SYS_ADMIN'?); skipped",
    "process.capabilities.permitted[1]: 'CAP_SYS_ADMN' is not a capability (did you mean 'CAP_SYS_ADMIN'?); skipped",
  ]);
});

test('a capability newer than the running kernel is skipped with a warning (as runc does)', () => {
  const warnings: string[] = [];
  const plan = planCapabilities({ bounding: ['CAP_BPF', 'CAP_KILL'] }, 38, (m) => warnings.push(m));
  assert.equal(plan?.bounding, String(1n << 5n));
  assert.deepEqual(warnings, ['process.capabilities.bounding[0]: CAP_BPF is not known to this kernel; skipped']);
});

test('an effective capability that is not permitted is an error naming it (capset would fail with EPERM)', () => {
  assert.throws(
    () => planCapabilities({ effective: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL'] }, 40, noWarn),
    { message: 'process.capabilities.effective[1]: CAP_CHOWN is not in process.capabilities.permitted (the kernel allows only permitted capabilities to be effective)' },
  );
  // One the kernel does not know is skipped in both sets, not an error.
  assert.ok(planCapabilities({ effective: ['CAP_BPF'], permitted: [] }, 38, () => undefined));
});

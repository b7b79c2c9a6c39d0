import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { RLIM_INFINITY } from '../../src/linux/constants';
import { RLIMIT_OF_NAME, type RlimitCeiling, planRlimits, rlimitValueText } from '../../src/linux/rlimits';

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

test('all 16 Linux resource limits have their kernel numbers', () => {
  assert.deepEqual(RLIMIT_OF_NAME, {
    RLIMIT_CPU: 0,
    RLIMIT_FSIZE: 1,
    RLIMIT_DATA: 2,
    RLIMIT_STACK: 3,
    RLIMIT_CORE: 4,
    RLIMIT_RSS: 5,
    RLIMIT_NPROC: 6,
    RLIMIT_NOFILE: 7,
    RLIMIT_MEMLOCK: 8,
    RLIMIT_AS: 9,
    RLIMIT_LOCKS: 10,
    RLIMIT_SIGPENDING: 11,
    RLIMIT_MSGQUEUE: 12,
    RLIMIT_NICE: 13,
    RLIMIT_RTPRIO: 14,
    RLIMIT_RTTIME: 15,
  });
});

test('runc spec rlimit → setrlimit with decimal strings', () => {
  assert.deepEqual(planRlimits([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], null), [
    { resource: 7, soft: '1024', hard: '1024' },
  ]);
  assert.deepEqual(planRlimits(undefined, null), []);
});

test('limit values: uint64 text, 2^64-1 (or what JSON made of it) is unlimited', () => {
  assert.equal(rlimitValueText(0), '0');
  assert.equal(rlimitValueText(2 ** 53), '9007199254740992');
  assert.equal(rlimitValueText(18446744073709551615), RLIM_INFINITY);
  assert.equal(rlimitValueText(JSON.parse('18446744073709551615')), '18446744073709551615');
  assert.equal(rlimitValueText(1e30), RLIM_INFINITY);
  assert.equal(rlimitValueText(-1), null);
  assert.equal(rlimitValueText(1.5), null);
  assert.deepEqual(planRlimits([{ type: 'RLIMIT_CORE', hard: 18446744073709551615, soft: 0 }], null), [
    { resource: 4, soft: '0', hard: '18446744073709551615' },
  ]);
});

test('an unknown resource limit is an error, with a suggestion when close', () => {
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_NOFILES', hard: 1, soft: 1 }], null),
    "process.rlimits[0].type: 'RLIMIT_NOFILES' is not a resource limit (did you mean 'RLIMIT_NOFILE'?)",
  );
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_CPU', hard: 1, soft: 1 }, { type: 'MAX_FILES', hard: 1, soft: 1 }], null),
    "process.rlimits[1].type: 'MAX_FILES' is not a resource limit",
  );
});

test('a resource limit listed twice is an error', () => {
  expectHuskError(
    () =>
      planRlimits(
        [
          { type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 },
          { type: 'RLIMIT_CORE', hard: 0, soft: 0 },
          { type: 'RLIMIT_NOFILE', hard: 10, soft: 10 },
        ],
        null,
      ),
    "process.rlimits[2].type: 'RLIMIT_NOFILE' listed twice (also process.rlimits[0])",
  );
});

test('soft above hard is an error', () => {
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_CORE', hard: 5, soft: 10 }], null),
    'process.rlimits[0]: soft limit 10 is above hard limit 5',
  );
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_CORE', hard: 5, soft: 18446744073709551615 }], null),
    'process.rlimits[0]: soft limit unlimited is above hard limit 5',
  );
});

test('negative or fractional limits are errors', () => {
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_CORE', hard: -1, soft: 0 }], null),
    'process.rlimits[0].hard: -1 is not a non-negative whole number',
  );
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_CORE', hard: 1, soft: 0.5 }], null),
    'process.rlimits[0].soft: 0.5 is not a non-negative whole number',
  );
});

function ceiling(overrides: Partial<RlimitCeiling> = {}): RlimitCeiling {
  return {
    hardLimitOf: (resource) => (resource === 7 ? '20000' : RLIM_INFINITY),
    mayRaiseHardLimits: false,
    whyNot: 'husk lacks CAP_SYS_RESOURCE to raise it',
    maxOpenFiles: 1048576,
    ...overrides,
  };
}

test('a hard limit above husk\'s own fails unless husk may raise it', () => {
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }], ceiling()),
    "process.rlimits[0].hard: 1048576 is above husk's own hard limit for RLIMIT_NOFILE (20000), and husk lacks CAP_SYS_RESOURCE to raise it",
  );
  assert.deepEqual(planRlimits([{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 1024 }], ceiling()), [
    { resource: 7, soft: '1024', hard: '20000' },
  ]);
  assert.equal(planRlimits([{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1024 }], ceiling({ mayRaiseHardLimits: true })).length, 1);
});

test('RLIMIT_NOFILE never above fs.nr_open', () => {
  expectHuskError(
    () => planRlimits([{ type: 'RLIMIT_NOFILE', hard: 2000000, soft: 1024 }], ceiling({ mayRaiseHardLimits: true })),
    "process.rlimits[0].hard: 2000000 is above the kernel's maximum for RLIMIT_NOFILE (fs.nr_open = 1048576)",
  );
});

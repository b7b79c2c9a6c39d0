import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HuskError } from '../../src/errors';
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
} from '../../src/linux/constants';
import { createsNamespace, hasOwnNamespace, planNamespaces } from '../../src/linux/namespaces';
import type { Linux, Namespace } from '../../src/spec/types';

/** A namespace-type checker that knows a fixed set of paths, like NS_GET_NSTYPE would. */
function typesOf(known: Record<string, number>): (nsPath: string) => number {
  return (nsPath) => {
    const type = known[nsPath];
    if (type === undefined) throw new Error('ENOTTY');
    return type;
  };
}

const noNamespaceFiles = typesOf({});

function linuxWith(namespaces: Namespace[], extra: Partial<Linux> = {}): Linux {
  return { namespaces, ...extra };
}

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

// Paths that exist for any user: the test process's own namespace files.
const existingNet = '/proc/self/ns/net';
const existingMnt = '/proc/self/ns/mnt';
const existingUser = '/proc/self/ns/user';
const existingPid = '/proc/self/ns/pid';

test('runc spec namespaces are all created new, none joined', () => {
  const setup = planNamespaces(
    linuxWith([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]),
    noNamespaceFiles,
  );
  assert.equal(setup.created, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
  assert.equal(setup.created, 0x6c020000);
  assert.equal(setup.joined, 0);
  assert.deepEqual(setup.joins, []);
  assert.equal(setup.timeOffsets, null);
});

test('every namespace type maps to its CLONE_NEW flag', () => {
  const setup = planNamespaces(
    linuxWith([
      { type: 'mount' },
      { type: 'pid' },
      { type: 'network' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'user' },
      { type: 'cgroup' },
      { type: 'time' },
    ]),
    noNamespaceFiles,
  );
  assert.equal(
    setup.created,
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME,
  );
  assert.equal(CLONE_NEWTIME, 0x80);
});

test('no linux section or no namespaces list: everything is shared with husk', () => {
  for (const linux of [undefined, {}]) {
    const setup = planNamespaces(linux, noNamespaceFiles);
    assert.equal(setup.created, 0);
    assert.equal(setup.joined, 0);
    assert.equal(hasOwnNamespace(setup, CLONE_NEWNS), false);
  }
});

test('an empty path means a new namespace, as in runc', () => {
  const setup = planNamespaces(linuxWith([{ type: 'network', path: '' }]), noNamespaceFiles);
  assert.equal(setup.created, CLONE_NEWNET);
  assert.deepEqual(setup.joins, []);
});

test('unknown namespace type is an error naming the entry', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'pid' }, { type: 'bogus' as never }]), noNamespaceFiles),
    "linux.namespaces[1].type: 'bogus' is not a namespace type (known: mount, pid, network, ipc, uts, user, cgroup, time)",
  );
});

test('a namespace type listed twice is an error', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'network' }, { type: 'pid' }, { type: 'network', path: existingNet }]), noNamespaceFiles),
    "linux.namespaces[2]: 'network' listed twice (also linux.namespaces[0])",
  );
});

test('a joined namespace path must exist', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'network', path: '/proc/99999999/ns/net' }]), noNamespaceFiles),
    'linux.namespaces[0].path: /proc/99999999/ns/net does not exist',
  );
});

test('a joined namespace path must be absolute', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'network', path: 'run/netns/x' }]), noNamespaceFiles),
    "linux.namespaces[0].path: 'run/netns/x' must be an absolute path",
  );
});

test('a joined namespace path must be a namespace file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-ns-'));
  try {
    const plainFile = path.join(dir, 'not-a-namespace');
    fs.writeFileSync(plainFile, '');
    expectHuskError(
      () => planNamespaces(linuxWith([{ type: 'ipc' }, { type: 'network', path: plainFile }]), noNamespaceFiles),
      `linux.namespaces[1].path: ${plainFile} is not a namespace file`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a joined namespace path must be a namespace of the listed type', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'network', path: existingMnt }]), typesOf({ [existingMnt]: CLONE_NEWNS })),
    `linux.namespaces[0].path: ${existingMnt} is a mount namespace, not a network namespace`,
  );
});

test('joins are ordered user first, then ipc, uts, network, pid, mount, cgroup, time', () => {
  const checker = typesOf({
    [existingNet]: CLONE_NEWNET,
    [existingMnt]: CLONE_NEWNS,
    [existingUser]: CLONE_NEWUSER,
    [existingPid]: CLONE_NEWPID,
  });
  const setup = planNamespaces(
    linuxWith([
      { type: 'mount', path: existingMnt },
      { type: 'network', path: existingNet },
      { type: 'uts' },
      { type: 'pid', path: existingPid },
      { type: 'user', path: existingUser },
    ]),
    checker,
  );
  assert.deepEqual(setup.joins, [
    { cloneFlag: CLONE_NEWUSER, path: existingUser },
    { cloneFlag: CLONE_NEWNET, path: existingNet },
    { cloneFlag: CLONE_NEWPID, path: existingPid },
    { cloneFlag: CLONE_NEWNS, path: existingMnt },
  ]);
  assert.equal(setup.created, CLONE_NEWUTS);
  assert.equal(setup.joined, CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUSER);
  assert.equal(createsNamespace(setup, CLONE_NEWUSER), false);
  assert.equal(hasOwnNamespace(setup, CLONE_NEWUSER), true);
  assert.deepEqual(setup.indexOf, { mount: 0, network: 1, uts: 2, pid: 3, user: 4 });
});

test('time offsets go with a new time namespace', () => {
  const setup = planNamespaces(
    linuxWith([{ type: 'time' }], { timeOffsets: { monotonic: { secs: 86400, nanosecs: 5 }, boottime: { secs: -3 } } }),
    noNamespaceFiles,
  );
  assert.deepEqual(setup.timeOffsets, { monotonicSecs: 86400, monotonicNanosecs: 5, boottimeSecs: -3, boottimeNanosecs: 0 });
  assert.equal(setup.created, CLONE_NEWTIME);
});

test('empty time offsets are no offsets', () => {
  const setup = planNamespaces(linuxWith([{ type: 'pid' }], { timeOffsets: {} }), noNamespaceFiles);
  assert.equal(setup.timeOffsets, null);
});

test('time offsets without a new time namespace are an error', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'pid' }], { timeOffsets: { monotonic: { secs: 1 } } }), noNamespaceFiles),
    'linux.timeOffsets: offsets need a new time namespace; add {"type": "time"} to linux.namespaces',
  );
  const timeFile = '/proc/self/ns/time';
  expectHuskError(
    () =>
      planNamespaces(
        linuxWith([{ type: 'pid' }, { type: 'time', path: timeFile }], { timeOffsets: { boottime: { secs: 1 } } }),
        typesOf({ [timeFile]: CLONE_NEWTIME }),
      ),
    'linux.timeOffsets: offsets need a new time namespace; linux.namespaces[1] joins an existing one, whose offsets are fixed',
  );
});

test('time offsets: only monotonic and boottime, nanoseconds below a second', () => {
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'time' }], { timeOffsets: { realtime: { secs: 1 } } }), noNamespaceFiles),
    'linux.timeOffsets.realtime: a time namespace can offset only monotonic and boottime',
  );
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'time' }], { timeOffsets: { monotonic: { nanosecs: 1e9 } } }), noNamespaceFiles),
    'linux.timeOffsets.monotonic.nanosecs: 1000000000 is not between 0 and 999999999',
  );
  expectHuskError(
    () => planNamespaces(linuxWith([{ type: 'time' }], { timeOffsets: { boottime: { secs: 1.5 } } }), noNamespaceFiles),
    'linux.timeOffsets.boottime.secs: 1.5 is not a whole number of seconds',
  );
});

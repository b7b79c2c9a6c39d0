import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { S_IFBLK, S_IFCHR, S_IFIFO } from '../../src/linux/constants';
import { type DevicePlanContext, planDevices } from '../../src/linux/devices';

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

const mknod: DevicePlanContext = { setUpDev: true, bindFromHost: false, hasProcKcore: false };

const defaultDevice = (path: string, major: number, minor: number) => ({
  path,
  mode: S_IFCHR | 0o666,
  major,
  minor,
  uid: 0,
  gid: 0,
  bindFrom: '',
});

const DEFAULTS = [
  defaultDevice('/dev/null', 1, 3),
  defaultDevice('/dev/random', 1, 8),
  defaultDevice('/dev/full', 1, 7),
  defaultDevice('/dev/tty', 5, 0),
  defaultDevice('/dev/zero', 1, 5),
  defaultDevice('/dev/urandom', 1, 9),
];

const DEV_LINKS = [
  { target: 'pts/ptmx', path: '/dev/ptmx' },
  { target: '/proc/self/fd', path: '/dev/fd' },
  { target: '/proc/self/fd/0', path: '/dev/stdin' },
  { target: '/proc/self/fd/1', path: '/dev/stdout' },
  { target: '/proc/self/fd/2', path: '/dev/stderr' },
];

test('every container gets the default devices (0666, root-owned) and the /dev links', () => {
  assert.deepEqual(planDevices(undefined, mknod), { devices: DEFAULTS, symlinks: DEV_LINKS });
});

test('/dev/core links to /proc/kcore only when the host has it', () => {
  const { symlinks } = planDevices([], { ...mknod, hasProcKcore: true });
  assert.deepEqual(symlinks, [...DEV_LINKS, { target: '/proc/kcore', path: '/dev/core' }]);
});

test('config devices: types c, u, b, p; fileMode keeps permission bits; uid/gid default 0', () => {
  const { devices } = planDevices(
    [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
      { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: S_IFBLK | 0o660, uid: 5, gid: 6 },
      { path: '/dev/kmsg2', type: 'u', major: 1, minor: 11 },
      { path: '/run/fifo', type: 'p' },
    ],
    mknod,
  );
  assert.deepEqual(devices.slice(DEFAULTS.length), [
    { path: '/dev/fuse', mode: S_IFCHR | 0o666, major: 10, minor: 229, uid: 0, gid: 0, bindFrom: '' },
    { path: '/dev/sda', mode: S_IFBLK | 0o660, major: 8, minor: 0, uid: 5, gid: 6, bindFrom: '' },
    { path: '/dev/kmsg2', mode: S_IFCHR | 0o666, major: 1, minor: 11, uid: 0, gid: 0, bindFrom: '' },
    { path: '/run/fifo', mode: S_IFIFO | 0o666, major: 0, minor: 0, uid: 0, gid: 0, bindFrom: '' },
  ]);
});

test('a config device replaces the default with the same path', () => {
  const { devices } = planDevices([{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }], mknod);
  assert.equal(devices.filter((d) => d.path === '/dev/null').length, 1);
  assert.deepEqual(devices[devices.length - 1], { ...defaultDevice('/dev/null', 1, 3), mode: S_IFCHR | 0o600 });
  assert.deepEqual(
    devices.slice(0, 5).map((d) => d.path),
    ['/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom'],
  );
});

test('a /dev/ptmx device gives way to the pts/ptmx link, as in runc', () => {
  const plan = planDevices([{ path: '/dev/ptmx', type: 'c', major: 5, minor: 2 }], mknod);
  assert.deepEqual(plan.devices, DEFAULTS);
  assert.deepEqual(plan.symlinks[0], { target: 'pts/ptmx', path: '/dev/ptmx' });
});

test('device errors name the entry', () => {
  expectHuskError(
    () => planDevices([{ path: '/dev/fuse', type: 'x' as never, major: 1, minor: 1 }], mknod),
    "linux.devices[0].type: 'x' is not a device type (c, b, u or p)",
  );
  expectHuskError(
    () => planDevices([{ path: '/dev/fuse', type: 'c', minor: 1 }], mknod),
    'linux.devices[0].major: required for a character device',
  );
  expectHuskError(
    () => planDevices([{ path: '/dev/sdb', type: 'b', major: 8 }], mknod),
    'linux.devices[0].minor: required for a block device',
  );
  expectHuskError(
    () => planDevices([{ path: '/dev/x', type: 'c', major: 4096, minor: 0 }], mknod),
    'linux.devices[0].major: 4096 is not between 0 and 4095',
  );
  expectHuskError(
    () => planDevices([{ path: 'dev/x', type: 'c', major: 1, minor: 0 }], mknod),
    "linux.devices[0].path: 'dev/x' must be an absolute path",
  );
  expectHuskError(
    () =>
      planDevices(
        [
          { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
          { path: '/dev/./fuse', type: 'c', major: 10, minor: 228 },
        ],
        mknod,
      ),
    'linux.devices[1].path: /dev/fuse listed twice (also linux.devices[0])',
  );
  expectHuskError(
    () => planDevices([{ path: '/dev/x', type: 'c', major: 1, minor: 0, fileMode: 0o200666 }], mknod),
    'linux.devices[0].fileMode: 65974 is not a file mode',
  );
});

test('in a user namespace every device is bound from the same host path', () => {
  const plan = planDevices([{ path: '/dev/zero', type: 'c', major: 1, minor: 5 }], { ...mknod, bindFromHost: true });
  assert.deepEqual(
    plan.devices.map((d) => [d.path, d.bindFrom]),
    [
      ['/dev/null', '/dev/null'],
      ['/dev/random', '/dev/random'],
      ['/dev/full', '/dev/full'],
      ['/dev/tty', '/dev/tty'],
      ['/dev/urandom', '/dev/urandom'],
      ['/dev/zero', '/dev/zero'],
    ],
  );
});

test('in a user namespace a device missing on the host is an error', () => {
  expectHuskError(
    () => planDevices([{ path: '/dev/husk-no-such-device', type: 'c', major: 10, minor: 1 }], { ...mknod, bindFromHost: true }),
    'linux.devices[0].path: a user namespace cannot create device nodes, so /dev/husk-no-such-device is bound from the host, which does not exist there',
  );
});

test('nothing at all when /dev is bound from elsewhere', () => {
  assert.deepEqual(planDevices([{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }], { ...mknod, setUpDev: false }), {
    devices: [],
    symlinks: [],
  });
});

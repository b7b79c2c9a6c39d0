import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HuskError } from '../../src/errors';
import { MS_BIND, MS_REC } from '../../src/linux/constants';
import { planNamespaces } from '../../src/linux/namespaces';
import type { MountOp } from '../../src/linux/plan';
import { DEFAULT_UMASK, homeDirectory, idMapText, planProcessUser, userNamespaceMaps } from '../../src/linux/user';
import type { Linux } from '../../src/spec/types';

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

const noNamespaceFiles = (): number => {
  throw new Error('ENOTTY');
};

const userns: Linux = {
  namespaces: [{ type: 'pid' }, { type: 'user' }, { type: 'mount' }],
  uidMappings: [
    { containerID: 0, hostID: 100000, size: 1000 },
    { containerID: 1000, hostID: 1000, size: 1 },
  ],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
};

test('id map text is one "containerID hostID size" line per mapping', () => {
  assert.equal(idMapText(userns.uidMappings ?? [], 'linux.uidMappings'), '0 100000 1000\n1000 1000 1\n');
});

test('id maps the kernel would refuse are errors naming the mapping', () => {
  expectHuskError(
    () => idMapText([{ containerID: 0, hostID: 1, size: 0 }], 'linux.uidMappings'),
    'linux.uidMappings[0].size: must be at least 1',
  );
  expectHuskError(
    () =>
      idMapText(
        [
          { containerID: 0, hostID: 100000, size: 10 },
          { containerID: 5, hostID: 200000, size: 10 },
        ],
        'linux.gidMappings',
      ),
    'linux.gidMappings[1]: containerID range overlaps linux.gidMappings[0]',
  );
  expectHuskError(
    () =>
      idMapText(
        [
          { containerID: 0, hostID: 100000, size: 10 },
          { containerID: 10, hostID: 100005, size: 10 },
        ],
        'linux.uidMappings',
      ),
    'linux.uidMappings[1]: hostID range overlaps linux.uidMappings[0]',
  );
  expectHuskError(
    () => idMapText([{ containerID: 4294967295, hostID: 0, size: 2 }], 'linux.uidMappings'),
    'linux.uidMappings[0]: containerID 4294967295 + size 2 runs past the last id',
  );
  expectHuskError(
    () => idMapText([{ containerID: -1, hostID: 0, size: 2 }], 'linux.uidMappings'),
    'linux.uidMappings[0].containerID: -1 is not an id (0 to 4294967295)',
  );
  const tooMany = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 1000 + i, size: 1 }));
  expectHuskError(() => idMapText(tooMany, 'linux.uidMappings'), 'linux.uidMappings: 341 mappings; the kernel accepts at most 340');
});

test('a new user namespace gets both maps', () => {
  const maps = userNamespaceMaps(userns, planNamespaces(userns, noNamespaceFiles));
  assert.deepEqual(maps, { uidMap: '0 100000 1000\n1000 1000 1\n', gidMap: '0 100000 65536\n' });
});

test('a new user namespace requires uid and gid mappings', () => {
  const noUid: Linux = { ...userns, uidMappings: undefined };
  expectHuskError(
    () => userNamespaceMaps(noUid, planNamespaces(noUid, noNamespaceFiles)),
    'linux.uidMappings: required because linux.namespaces[1] creates a user namespace',
  );
  const noGid: Linux = { ...userns, gidMappings: [] };
  expectHuskError(
    () => userNamespaceMaps(noGid, planNamespaces(noGid, noNamespaceFiles)),
    'linux.gidMappings: required because linux.namespaces[1] creates a user namespace',
  );
});

test('mappings without a user namespace are an error; with a joined one they are ignored', () => {
  const noUserns: Linux = { ...userns, namespaces: [{ type: 'pid' }] };
  expectHuskError(
    () => userNamespaceMaps(noUserns, planNamespaces(noUserns, noNamespaceFiles)),
    'linux.uidMappings: mappings need a new user namespace; add {"type": "user"} to linux.namespaces',
  );
  const joined: Linux = { ...userns, namespaces: [{ type: 'user', path: '/proc/self/ns/user' }] };
  const setup = planNamespaces(joined, () => 0x10000000);
  assert.equal(userNamespaceMaps(joined, setup), null);
});

test('no user namespace and no mappings: no maps', () => {
  const plain: Linux = { namespaces: [{ type: 'pid' }] };
  assert.equal(userNamespaceMaps(plain, planNamespaces(plain, noNamespaceFiles)), null);
  assert.equal(userNamespaceMaps(undefined, planNamespaces(undefined, noNamespaceFiles)), null);
});

test('process user: ids copied, umask defaults to runc 0022', () => {
  const setup = planNamespaces(undefined, noNamespaceFiles);
  assert.deepEqual(planProcessUser({ uid: 1000, gid: 100, additionalGids: [5, 6] }, undefined, setup), {
    uid: 1000,
    gid: 100,
    additionalGids: [5, 6],
    umask: 0o022,
  });
  assert.equal(DEFAULT_UMASK, 0o022);
  assert.equal(planProcessUser({ uid: 0, gid: 0, umask: 0o077 }, undefined, setup).umask, 0o077);
  assert.equal(planProcessUser({ uid: 0, gid: 0, umask: 0 }, undefined, setup).umask, 0);
  expectHuskError(
    () => planProcessUser({ uid: 0, gid: 0, umask: 0o1000 }, undefined, setup),
    'process.user.umask: 512 is not a file mode mask (0 to 511, i.e. 0o777)',
  );
  expectHuskError(() => planProcessUser({ uid: -1, gid: 0 }, undefined, setup), 'process.user.uid: -1 is not a valid id');
});

test('inside a new user namespace every id the process takes must be mapped', () => {
  const setup = planNamespaces(userns, noNamespaceFiles);
  assert.equal(planProcessUser({ uid: 1000, gid: 0, additionalGids: [65535] }, userns, setup).uid, 1000);
  expectHuskError(
    () => planProcessUser({ uid: 1001, gid: 0 }, userns, setup),
    'process.user.uid: 1001 is not mapped by linux.uidMappings',
  );
  expectHuskError(
    () => planProcessUser({ uid: 0, gid: 70000 }, userns, setup),
    'process.user.gid: 70000 is not mapped by linux.gidMappings',
  );
  expectHuskError(
    () => planProcessUser({ uid: 0, gid: 0, additionalGids: [1, 65536] }, userns, setup),
    'process.user.additionalGids[1]: 65536 is not mapped by linux.gidMappings',
  );
});

function bindOp(source: string, destination: string): MountOp {
  return {
    source,
    destination,
    fstype: '',
    flags: MS_BIND | MS_REC,
    data: '',
    remountFlags: 0,
    propagation: [],
    recursiveAttrSet: 0,
    recursiveAttrClear: 0,
    destinationKind: 'dir',
  };
}

test('HOME comes from the container /etc/passwd, else "/"', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-home-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    assert.equal(homeDirectory(1000, rootfs, []), '/home/alice');
    assert.equal(homeDirectory(0, rootfs, []), '/root');
    assert.equal(homeDirectory(4242, rootfs, []), '/');
    assert.equal(homeDirectory(0, path.join(dir, 'missing'), []), '/');

    // A bind mount onto /etc brings its own passwd.
    const hostEtc = path.join(dir, 'host-etc');
    fs.mkdirSync(hostEtc);
    fs.writeFileSync(path.join(hostEtc, 'passwd'), 'alice:x:1000:1000::/srv/alice:/bin/sh\n');
    assert.equal(homeDirectory(1000, rootfs, [bindOp(hostEtc, '/etc')]), '/srv/alice');
    // A non-bind mount (a tmpfs) over /etc hides the file.
    assert.equal(homeDirectory(1000, rootfs, [{ ...bindOp('tmpfs', '/etc'), fstype: 'tmpfs', flags: 0 }]), '/');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an absolute /etc/passwd symlink resolves inside the rootfs, not on the host', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-home-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(rootfs, 'data'));
    fs.writeFileSync(path.join(rootfs, 'data/passwd'), 'root:x:0:0::/inside:/bin/sh\n');
    fs.symlinkSync('/data/passwd', path.join(rootfs, 'etc/passwd'));
    assert.equal(homeDirectory(0, rootfs, []), '/inside');
    fs.unlinkSync(path.join(rootfs, 'etc/passwd'));
    fs.symlinkSync('../../../../../../data/passwd', path.join(rootfs, 'etc/passwd'));
    assert.equal(homeDirectory(0, rootfs, []), '/inside');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

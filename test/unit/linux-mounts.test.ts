import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HuskError } from '../../src/errors';
import * as k from '../../src/linux/constants';
import type { CgroupMountContext } from '../../src/linux/cgroup-mount';
import { parseMountOptions } from '../../src/linux/mount-options';
import { type MountPlanContext, needsDevSetup, planMounts } from '../../src/linux/mounts';
import { DEFAULT_ROOTFS_PROPAGATION, planRoot, planRootfsPropagation } from '../../src/linux/rootfs';
import type { Mount } from '../../src/spec/types';

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

/** A bundle directory with a rootfs, a volume directory and a file, removed after `body`. */
function withBundle(body: (bundle: string) => void): void {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-mounts-'));
  try {
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    fs.mkdirSync(path.join(bundle, 'volume'));
    fs.writeFileSync(path.join(bundle, 'hosts'), '127.0.0.1 localhost\n');
    body(bundle);
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

const v2: CgroupMountContext = { cgroupVersion: 2, v1Hierarchies: [], newCgroupNamespace: false, newUserNamespace: false };

function context(bundle: string, cgroup: Partial<CgroupMountContext> = {}): MountPlanContext {
  return { bundle, cgroup: { ...v2, ...cgroup } };
}

function flagsOf(options: string[]): number {
  return parseMountOptions(options, 'mounts[0].options').flags;
}

test('each flag option sets its MS_ flag, and its opposite clears it', () => {
  const pairs: Array<[string, string, number]> = [
    ['ro', 'rw', k.MS_RDONLY],
    ['nosuid', 'suid', k.MS_NOSUID],
    ['nodev', 'dev', k.MS_NODEV],
    ['noexec', 'exec', k.MS_NOEXEC],
    ['sync', 'async', k.MS_SYNCHRONOUS],
    ['mand', 'nomand', k.MS_MANDLOCK],
    ['noatime', 'atime', k.MS_NOATIME],
    ['nodiratime', 'diratime', k.MS_NODIRATIME],
    ['relatime', 'norelatime', k.MS_RELATIME],
    ['strictatime', 'nostrictatime', k.MS_STRICTATIME],
    ['nosymfollow', 'symfollow', k.MS_NOSYMFOLLOW],
    ['lazytime', 'nolazytime', k.MS_LAZYTIME],
    ['iversion', 'noiversion', k.MS_I_VERSION],
    ['silent', 'loud', k.MS_SILENT],
  ];
  for (const [setting, clearing, flag] of pairs) {
    assert.equal(flagsOf([setting]), flag, setting);
    assert.equal(flagsOf([setting, clearing]), 0, clearing);
    assert.equal(flagsOf([clearing, setting]), flag, `${clearing} then ${setting}`);
  }
  assert.equal(flagsOf(['dirsync']), k.MS_DIRSYNC);
  assert.equal(flagsOf(['remount']), k.MS_REMOUNT);
  assert.equal(flagsOf(['bind']), k.MS_BIND);
  assert.equal(flagsOf(['rbind']), k.MS_BIND | k.MS_REC);
  // "defaults" is mount(8)'s rw,suid,dev,exec,async; later options still win.
  assert.equal(flagsOf(['ro', 'nosuid', 'nodev', 'noexec', 'sync', 'mand', 'noatime', 'defaults']), k.MS_MANDLOCK | k.MS_NOATIME);
  assert.equal(flagsOf(['defaults', 'ro']), k.MS_RDONLY);
});

test('propagation options are kept in order', () => {
  const parsed = parseMountOptions(
    ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable'],
    'mounts[0].options',
  );
  assert.deepEqual(parsed.propagation, [
    k.MS_SHARED,
    k.MS_SHARED | k.MS_REC,
    k.MS_SLAVE,
    k.MS_SLAVE | k.MS_REC,
    k.MS_PRIVATE,
    k.MS_PRIVATE | k.MS_REC,
    k.MS_UNBINDABLE,
    k.MS_UNBINDABLE | k.MS_REC,
  ]);
  assert.equal(parsed.flags, 0);
});

test('recursive options become mount_setattr set/clear attributes', () => {
  const attrs = (options: string[]): [number, number] => {
    const p = parseMountOptions(options, 'mounts[0].options');
    return [p.recursiveAttrSet, p.recursiveAttrClear];
  };
  assert.deepEqual(attrs(['rro']), [k.MOUNT_ATTR_RDONLY, 0]);
  assert.deepEqual(attrs(['rrw']), [0, k.MOUNT_ATTR_RDONLY]);
  assert.deepEqual(attrs(['rro', 'rrw']), [0, k.MOUNT_ATTR_RDONLY]);
  assert.deepEqual(attrs(['rnosuid', 'rnodev', 'rnoexec', 'rnodiratime', 'rnosymfollow']), [
    k.MOUNT_ATTR_NOSUID | k.MOUNT_ATTR_NODEV | k.MOUNT_ATTR_NOEXEC | k.MOUNT_ATTR_NODIRATIME | k.MOUNT_ATTR_NOSYMFOLLOW,
    0,
  ]);
  assert.deepEqual(attrs(['rsuid', 'rdev', 'rexec', 'rdiratime', 'rsymfollow']), [
    0,
    k.MOUNT_ATTR_NOSUID | k.MOUNT_ATTR_NODEV | k.MOUNT_ATTR_NOEXEC | k.MOUNT_ATTR_NODIRATIME | k.MOUNT_ATTR_NOSYMFOLLOW,
  ]);
  // Access time is an enum: one value set, the whole MOUNT_ATTR__ATIME mask cleared.
  assert.deepEqual(attrs(['rnoatime']), [k.MOUNT_ATTR_NOATIME, k.MOUNT_ATTR__ATIME]);
  assert.deepEqual(attrs(['rstrictatime']), [k.MOUNT_ATTR_STRICTATIME, k.MOUNT_ATTR__ATIME]);
  assert.deepEqual(attrs(['rrelatime']), [k.MOUNT_ATTR_RELATIME, k.MOUNT_ATTR__ATIME]);
  assert.deepEqual(attrs(['rnoatime', 'ratime']), [k.MOUNT_ATTR_RELATIME, k.MOUNT_ATTR__ATIME]);
  assert.deepEqual(attrs(['rstrictatime', 'rnostrictatime']), [k.MOUNT_ATTR_RELATIME, k.MOUNT_ATTR__ATIME]);
  assert.deepEqual(attrs(['rnorelatime']), [0, 0]);
  assert.deepEqual(attrs(['rnoatime', 'rnorelatime']), [k.MOUNT_ATTR_NOATIME, k.MOUNT_ATTR__ATIME]);
});

test('unknown options go to the data string, in order', () => {
  const parsed = parseMountOptions(['nosuid', 'mode=755', 'newinstance', 'size=65536k', 'noexec'], 'mounts[0].options');
  assert.equal(parsed.data, 'mode=755,newinstance,size=65536k');
  assert.equal(parsed.flags, k.MS_NOSUID | k.MS_NOEXEC);
});

test('a near miss of a known option is reported as a typo', () => {
  withBundle((bundle) => {
    const mounts: Mount[] = [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/a', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/b', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['rbindd'] },
    ];
    expectHuskError(
      () => planMounts(mounts, context(bundle)),
      "mounts[3].options: 'rbindd' is not a mount option (did you mean 'rbind'?)",
    );
    expectHuskError(
      () => planMounts([{ destination: '/x', type: 'bind', source: 'volume', options: ['noexce'] }], context(bundle)),
      "mounts[0].options: 'noexce' is not a mount option (did you mean 'noexec'?)",
    );
  });
});

test('options of other filesystems pass through even when close to known ones', () => {
  withBundle((bundle) => {
    const [op] = planMounts(
      [{ destination: '/data', type: 'xfs', source: '/dev/sdb1', options: ['nouuid', 'ro'] }],
      context(bundle),
    ).mounts;
    assert.equal(op.data, 'nouuid');
    assert.equal(op.flags, k.MS_RDONLY);
  });
});

test('tmpcopyup marks a tmpfs for copy-up and is refused on other mounts', () => {
  withBundle((bundle) => {
    const [op] = planMounts(
      [{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'tmpcopyup', 'size=64k'] }],
      context(bundle),
    ).mounts;
    assert.equal(op.copyUp, true);
    assert.equal(op.data, 'size=64k', 'tmpcopyup is not passed to the filesystem');
    assert.equal(op.flags, k.MS_NOSUID);
    const [plain] = planMounts([{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['rw'] }], context(bundle)).mounts;
    assert.equal(plain.copyUp, undefined);
    expectHuskError(
      () => planMounts([{ destination: '/x', type: 'proc', source: 'proc', options: ['tmpcopyup'] }], context(bundle)),
      "mounts[0].options: 'tmpcopyup' applies to tmpfs mounts only, not to type 'proc'",
    );
    expectHuskError(
      () => planMounts([{ destination: '/x', type: 'bind', source: 'volume', options: ['rbind', 'tmpcopyup'] }], context(bundle)),
      "mounts[0].options: 'tmpcopyup' applies to tmpfs mounts only, not to type 'bind'",
    );
  });
});

test('empty options, idmap, ridmap and mount id mappings are refused', () => {
  withBundle((bundle) => {
    const tmpfs = (options: string[]): Mount[] => [{ destination: '/x', type: 'tmpfs', source: 'tmpfs', options }];
    expectHuskError(() => planMounts(tmpfs(['']), context(bundle)), 'mounts[0].options: contains an empty option');
    const bind = (options: string[], extra: Partial<Mount> = {}): Mount[] => [
      { destination: '/x', type: 'bind', source: 'volume', options, ...extra },
    ];
    expectHuskError(() => planMounts(bind(['rbind', 'idmap']), context(bundle)), 'mounts[0].options: id-mapped mounts are not supported yet');
    expectHuskError(() => planMounts(bind(['ridmap']), context(bundle)), 'mounts[0].options: id-mapped mounts are not supported yet');
    expectHuskError(
      () => planMounts(bind(['rbind'], { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }), context(bundle)),
      'mounts[0].uidMappings: id-mapped mounts are not supported yet',
    );
  });
});

test('bind mounts: source relative to the bundle, first call MS_BIND[|MS_REC], the rest in remountFlags', () => {
  withBundle((bundle) => {
    const plan = planMounts(
      [
        { destination: '/data', type: 'bind', source: 'volume', options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec', 'noatime', 'rprivate'] },
        { destination: '/etc/hosts', source: path.join(bundle, 'hosts'), options: ['bind', 'ro'] },
        { destination: '/plain', type: 'bind', source: 'volume' },
        { destination: '/typed', type: 'none', source: 'volume', options: ['rbind', 'size=1', 'rro'] },
      ],
      context(bundle),
    );
    assert.deepEqual(plan.mounts, [
      {
        source: path.join(bundle, 'volume'),
        destination: '/data',
        fstype: '',
        flags: k.MS_BIND | k.MS_REC,
        data: '',
        remountFlags: k.MS_RDONLY | k.MS_NOSUID | k.MS_NODEV | k.MS_NOEXEC | k.MS_NOATIME,
        propagation: [k.MS_PRIVATE | k.MS_REC],
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
        destinationKind: 'dir',
      },
      {
        source: path.join(bundle, 'hosts'),
        destination: '/etc/hosts',
        fstype: '',
        flags: k.MS_BIND,
        data: '',
        remountFlags: k.MS_RDONLY,
        propagation: [],
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
        destinationKind: 'file',
      },
      {
        source: path.join(bundle, 'volume'),
        destination: '/plain',
        fstype: '',
        flags: k.MS_BIND,
        data: '',
        remountFlags: 0,
        propagation: [],
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
        destinationKind: 'dir',
      },
      {
        source: path.join(bundle, 'volume'),
        destination: '/typed',
        fstype: '',
        flags: k.MS_BIND | k.MS_REC,
        data: '',
        remountFlags: 0,
        propagation: [],
        recursiveAttrSet: k.MOUNT_ATTR_RDONLY,
        recursiveAttrClear: 0,
        destinationKind: 'dir',
      },
    ]);
    assert.deepEqual(plan.symlinks, []);
  });
});

test('a bind source must exist; the error names the mount', () => {
  withBundle((bundle) => {
    expectHuskError(
      () =>
        planMounts(
          [
            { destination: '/proc', type: 'proc', source: 'proc' },
            { destination: '/x', type: 'bind', source: '/nonexistent-husk-source', options: ['rbind'] },
          ],
          context(bundle),
        ),
      'mounts[1].source: /nonexistent-husk-source does not exist',
    );
    expectHuskError(
      () => planMounts([{ destination: '/x', options: ['bind'] }], context(bundle)),
      'mounts[0].source: required for a bind mount',
    );
  });
});

test('other mounts: flags and data for a single mount call; type required', () => {
  withBundle((bundle) => {
    const [op] = planMounts(
      [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] }],
      context(bundle),
    ).mounts;
    assert.deepEqual(op, {
      source: 'tmpfs',
      destination: '/dev',
      fstype: 'tmpfs',
      flags: k.MS_NOSUID | k.MS_STRICTATIME,
      data: 'mode=755,size=65536k',
      remountFlags: 0,
      propagation: [],
      recursiveAttrSet: 0,
      recursiveAttrClear: 0,
      destinationKind: 'dir',
    });
    assert.equal(planMounts([{ destination: '/run', type: 'tmpfs' }], context(bundle)).mounts[0].source, 'tmpfs');
    expectHuskError(
      () => planMounts([{ destination: '/run', source: 'tmpfs' }], context(bundle)),
      'mounts[0].type: required unless the mount is a bind mount (type "bind", or option bind/rbind)',
    );
  });
});

test('destinations: relative ones are taken from "/", ".." is normalised but may not climb out', () => {
  withBundle((bundle) => {
    const destinations = planMounts(
      [
        { destination: 'run', type: 'tmpfs' },
        { destination: '/a/./b/../c//', type: 'tmpfs' },
      ],
      context(bundle),
    ).mounts.map((m) => m.destination);
    assert.deepEqual(destinations, ['/run', '/a/c']);
    expectHuskError(
      () => planMounts([{ destination: '/../etc', type: 'tmpfs' }], context(bundle)),
      "mounts[0].destination: '/../etc' climbs above the container's root with '..'",
    );
    expectHuskError(
      () => planMounts([{ destination: '/a/../..', type: 'tmpfs' }], context(bundle)),
      "mounts[0].destination: '/a/../..' climbs above the container's root with '..'",
    );
    expectHuskError(
      () => planMounts([{ destination: '/', type: 'tmpfs' }], context(bundle)),
      "mounts[0].destination: cannot mount over the container's root (root.path is the root)",
    );
  });
});

test('only proc goes on /proc, and only a few files below it', () => {
  withBundle((bundle) => {
    expectHuskError(
      () => planMounts([{ destination: '/proc', type: 'tmpfs' }], context(bundle)),
      'mounts[0].destination: only a proc filesystem may be mounted on /proc',
    );
    expectHuskError(
      () => planMounts([{ destination: '/proc', type: 'bind', source: 'volume' }], context(bundle)),
      'mounts[0].destination: only a proc filesystem may be mounted on /proc',
    );
    expectHuskError(
      () => planMounts([{ destination: '/proc/foo', type: 'tmpfs' }], context(bundle)),
      'mounts[0].destination: /proc/foo is inside /proc, where only these may be mounted: /proc/cpuinfo, /proc/diskstats, ' +
        '/proc/meminfo, /proc/stat, /proc/swaps, /proc/uptime, /proc/loadavg, /proc/slabinfo, /proc/net/dev, ' +
        '/proc/sys/kernel/ns_last_pid, /proc/sys/crypto/fips_enabled',
    );
    const ok = planMounts(
      [
        { destination: '/proc', type: 'proc' },
        { destination: '/proc/meminfo', type: 'bind', source: 'hosts' },
        { destination: '/procfs', type: 'tmpfs' },
      ],
      context(bundle),
    );
    assert.equal(ok.mounts.length, 3);
    // A bind of a real procfs onto /proc is allowed (runc checks the source's filesystem).
    assert.equal(planMounts([{ destination: '/proc', type: 'bind', source: '/proc' }], context(bundle)).mounts.length, 1);
  });
});

test('cgroup on a v2 host: a cgroup2 mount', () => {
  withBundle((bundle) => {
    const plan = planMounts(
      [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }],
      context(bundle),
    );
    assert.deepEqual(plan.mounts, [
      {
        source: 'cgroup',
        destination: '/sys/fs/cgroup',
        fstype: 'cgroup2',
        flags: k.MS_NOSUID | k.MS_NOEXEC | k.MS_NODEV | k.MS_RELATIME | k.MS_RDONLY,
        data: '',
        remountFlags: 0,
        propagation: [],
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
        destinationKind: 'dir',
      },
    ]);
  });
});

test('cgroup on a v2 host in a new user namespace without a cgroup namespace: bind of the host hierarchy', () => {
  withBundle((bundle) => {
    const [op] = planMounts([{ destination: '/sys/fs/cgroup', type: 'cgroup', options: ['ro', 'nosuid'] }], context(bundle, { newUserNamespace: true })).mounts;
    assert.equal(op.source, '/sys/fs/cgroup');
    assert.equal(op.fstype, '');
    assert.equal(op.flags, k.MS_BIND);
    assert.equal(op.remountFlags, k.MS_RDONLY | k.MS_NOSUID);
    const [withCgroupns] = planMounts(
      [{ destination: '/sys/fs/cgroup', type: 'cgroup' }],
      context(bundle, { newUserNamespace: true, newCgroupNamespace: true }),
    ).mounts;
    assert.equal(withCgroupns.fstype, 'cgroup2');
  });
});

const v1Hierarchies = [
  { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: 'cpu,cpuacct' },
  { mountpoint: '/sys/fs/cgroup/memory', controllers: 'memory' },
  { mountpoint: '/sys/fs/cgroup/systemd', controllers: 'name=systemd' },
];
const cgroupMount: Mount[] = [
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];
const defaultFlags = k.MS_NOSUID | k.MS_NODEV | k.MS_NOEXEC;

test('cgroup on a v1 host with a new cgroup namespace: tmpfs, one cgroup mount per hierarchy, co-mount links', () => {
  withBundle((bundle) => {
    const plan = planMounts(cgroupMount, context(bundle, { cgroupVersion: 1, v1Hierarchies, newCgroupNamespace: true }));
    const summary = plan.mounts.map((m) => [m.source, m.destination, m.fstype, m.flags, m.data, m.remountFlags]);
    assert.deepEqual(summary, [
      ['tmpfs', '/sys/fs/cgroup', 'tmpfs', defaultFlags, 'mode=755', 0],
      ['cgroup', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', defaultFlags | k.MS_RDONLY, 'cpu,cpuacct', 0],
      ['cgroup', '/sys/fs/cgroup/memory', 'cgroup', defaultFlags | k.MS_RDONLY, 'memory', 0],
      ['cgroup', '/sys/fs/cgroup/systemd', 'cgroup', defaultFlags | k.MS_RDONLY, 'name=systemd', 0],
    ]);
    assert.deepEqual(plan.symlinks, [
      { target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpu' },
      { target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpuacct' },
    ]);
  });
});

test('cgroup on a v1 host without a cgroup namespace: read-only binds of the host hierarchies', () => {
  withBundle((bundle) => {
    const rw: Mount[] = [{ destination: '/sys/fs/cgroup', type: 'cgroup', options: ['nosuid'] }];
    const plan = planMounts(rw, context(bundle, { cgroupVersion: 1, v1Hierarchies }));
    const summary = plan.mounts.map((m) => [m.source, m.destination, m.fstype, m.flags, m.remountFlags]);
    assert.deepEqual(summary, [
      ['tmpfs', '/sys/fs/cgroup', 'tmpfs', defaultFlags, 0],
      ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '', k.MS_BIND | k.MS_REC, k.MS_NOSUID | k.MS_RDONLY],
      ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/memory', '', k.MS_BIND | k.MS_REC, k.MS_NOSUID | k.MS_RDONLY],
      ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/systemd', '', k.MS_BIND | k.MS_REC, k.MS_NOSUID | k.MS_RDONLY],
    ]);
    // With the container's own cgroup directories known, those are bound, with the config's flags.
    const own = planMounts(
      rw,
      context(bundle, {
        cgroupVersion: 1,
        v1Hierarchies,
        v1ContainerPaths: { '/sys/fs/cgroup/memory': '/sys/fs/cgroup/memory/husk/abc' },
      }),
    );
    assert.deepEqual(
      own.mounts.slice(2, 3).map((m) => [m.source, m.remountFlags]),
      [['/sys/fs/cgroup/memory/husk/abc', k.MS_NOSUID]],
    );
  });
});

test('/dev is set up unless something is bound onto it', () => {
  withBundle((bundle) => {
    assert.equal(needsDevSetup(planMounts([{ destination: '/dev', type: 'tmpfs' }], context(bundle)).mounts), true);
    assert.equal(needsDevSetup(planMounts([{ destination: '/dev/', type: 'bind', source: 'volume' }], context(bundle)).mounts), false);
    assert.equal(needsDevSetup([]), true);
  });
});

test('rootfs propagation: runc default rslave, named values, refusals', () => {
  assert.equal(planRootfsPropagation(undefined, false), k.MS_SLAVE | k.MS_REC);
  assert.equal(DEFAULT_ROOTFS_PROPAGATION, 0x84000);
  assert.equal(planRootfsPropagation('', false), DEFAULT_ROOTFS_PROPAGATION);
  assert.equal(planRootfsPropagation('shared', false), k.MS_SHARED);
  assert.equal(planRootfsPropagation('rshared', false), k.MS_SHARED | k.MS_REC);
  assert.equal(planRootfsPropagation('slave', true), k.MS_SLAVE);
  assert.equal(planRootfsPropagation('private', false), k.MS_PRIVATE);
  assert.equal(planRootfsPropagation('runbindable', false), k.MS_UNBINDABLE | k.MS_REC);
  expectHuskError(
    () => planRootfsPropagation('bogus', false),
    "linux.rootfsPropagation: 'bogus' is not a propagation type (shared, rshared, slave, rslave, private, rprivate, unbindable, runbindable)",
  );
  expectHuskError(
    () => planRootfsPropagation('rprivate', true),
    "linux.rootfsPropagation: 'rprivate' is not safe with --no-pivot (pivot_root is skipped)",
  );
});

test('root: relative to the bundle, must be an existing directory', () => {
  withBundle((bundle) => {
    assert.deepEqual(planRoot({ path: 'rootfs', readonly: true }, bundle), { rootfs: fs.realpathSync(path.join(bundle, 'rootfs')), readonly: true });
    assert.equal(planRoot({ path: path.join(bundle, 'rootfs') }, '/elsewhere').readonly, false);
    expectHuskError(() => planRoot({ path: 'nope' }, bundle), `root.path: ${path.join(bundle, 'nope')} does not exist`);
    expectHuskError(() => planRoot({ path: 'hosts' }, bundle), `root.path: ${path.join(bundle, 'hosts')} is not a directory`);
    expectHuskError(() => planRoot(undefined, bundle), "root: required (the container's root filesystem)");
  });
});

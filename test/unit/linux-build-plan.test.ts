import { readLastCap } from '../../src/linux/capabilities';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HuskError } from '../../src/errors';
import * as k from '../../src/linux/constants';
import { type BuildPlanOptions, buildLaunch, buildLaunchPlan } from '../../src/linux/build-plan';
import type { HostProbe } from '../../src/linux/host-probe';
import type { LaunchPlan, MountOp } from '../../src/linux/plan';
import type { Spec } from '../../src/spec/types';

function expectHuskError(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HuskError, `expected HuskError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

/** What `runc spec` (runc 1.1.5) writes, with terminal off. */
function runcSpec(): Spec {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** A pure cgroup v2 host where husk runs as root in the initial user namespace. */
function fakeProbe(overrides: Partial<HostProbe> = {}): HostProbe {
  return {
    cgroupVersion: () => 2,
    cgroupV1Hierarchies: () => [],
    namespaceTypeOf: () => {
      throw new Error('ENOTTY');
    },
    runningInUserNamespace: () => false,
    hasProcKcore: () => true,
    hardLimitOf: () => k.RLIM_INFINITY,
    canRaiseHardLimits: () => true,
    maxOpenFiles: () => 1048576,
    ...overrides,
  };
}

function withBundle(body: (bundle: string, options: BuildPlanOptions) => void, probe: Partial<HostProbe> = {}): void {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-plan-'));
  try {
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    body(bundle, { bundle, noPivot: false, preserveFds: 0, execFifo: path.join(bundle, 'exec.fifo'), probe: fakeProbe(probe) });
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

function op(fields: Partial<MountOp> & Pick<MountOp, 'source' | 'destination' | 'fstype' | 'flags'>): MountOp {
  return { data: '', remountFlags: 0, propagation: [], recursiveAttrSet: 0, recursiveAttrClear: 0, destinationKind: 'dir', ...fields };
}

test('runc spec default config → the expected plan', () => {
  withBundle((bundle, options) => {
    const plan = buildLaunchPlan(runcSpec(), options);
    const expected: LaunchPlan = {
      newNamespaceFlags: 0x6c020000, // NEWPID | NEWNET | NEWIPC | NEWUTS | NEWNS
      newUserNamespace: false,
      joins: [],
      timeOffsets: null,
      cgroupFd: -1,
      rootfs: fs.realpathSync(path.join(bundle, 'rootfs')),
      rootfsPropagation: 0x84000, // MS_SLAVE | MS_REC
      readonlyRoot: true,
      rootfsSetup: 'new-namespace',
      noPivot: false,
      mounts: [
        op({ source: 'proc', destination: '/proc', fstype: 'proc', flags: 0 }),
        op({ source: 'tmpfs', destination: '/dev', fstype: 'tmpfs', flags: 0x1000002, data: 'mode=755,size=65536k' }),
        op({ source: 'devpts', destination: '/dev/pts', fstype: 'devpts', flags: 0xa, data: 'newinstance,ptmxmode=0666,mode=0620,gid=5' }),
        op({ source: 'shm', destination: '/dev/shm', fstype: 'tmpfs', flags: 0xe, data: 'mode=1777,size=65536k' }),
        op({ source: 'mqueue', destination: '/dev/mqueue', fstype: 'mqueue', flags: 0xe }),
        op({ source: 'sysfs', destination: '/sys', fstype: 'sysfs', flags: 0xf }),
        op({ source: 'cgroup', destination: '/sys/fs/cgroup', fstype: 'cgroup2', flags: 0x20000f }),
      ],
      devices: [
        { path: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0, bindFrom: '' },
        { path: '/dev/random', mode: 0o20666, major: 1, minor: 8, uid: 0, gid: 0, bindFrom: '' },
        { path: '/dev/full', mode: 0o20666, major: 1, minor: 7, uid: 0, gid: 0, bindFrom: '' },
        { path: '/dev/tty', mode: 0o20666, major: 5, minor: 0, uid: 0, gid: 0, bindFrom: '' },
        { path: '/dev/zero', mode: 0o20666, major: 1, minor: 5, uid: 0, gid: 0, bindFrom: '' },
        { path: '/dev/urandom', mode: 0o20666, major: 1, minor: 9, uid: 0, gid: 0, bindFrom: '' },
      ],
      symlinks: [
        { target: 'pts/ptmx', path: '/dev/ptmx' },
        { target: '/proc/self/fd', path: '/dev/fd' },
        { target: '/proc/self/fd/0', path: '/dev/stdin' },
        { target: '/proc/self/fd/1', path: '/dev/stdout' },
        { target: '/proc/self/fd/2', path: '/dev/stderr' },
        { target: '/proc/kcore', path: '/dev/core' },
      ],
      maskedPaths: runcSpec().linux?.maskedPaths ?? [],
      readonlyPaths: runcSpec().linux?.readonlyPaths ?? [],
      hostname: 'runc',
      domainname: '',
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'HOME=/'],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      umask: 0o022,
      rlimits: [{ resource: 7, soft: '1024', hard: '1024' }],
      preserveFds: 0,
      execFifo: path.join(bundle, 'exec.fifo'),
      newSession: true,
      createContainerHooks: [],
      startContainerHooks: [],
      // CAP_AUDIT_WRITE (29) | CAP_KILL (5) | CAP_NET_BIND_SERVICE (10) = 0x20000420
      capabilities: {
        bounding: '536871968',
        effective: '536871968',
        permitted: '536871968',
        inheritable: '0',
        ambient: '536871968',
        lastCap: readLastCap(),
      },
      noNewPrivileges: true,
      // No terminal asked for (with one, mountConsole follows the mount namespace).
      terminal: false,
      consoleSocketFd: -1,
      consoleSize: null,
      mountConsole: false,
    };
    assert.deepEqual(plan, expected);
  });
});

test('runc spec default config on a v1 host: the cgroup mount becomes a tmpfs and read-only binds', () => {
  withBundle(
    (_bundle, options) => {
      const plan = buildLaunchPlan(runcSpec(), options);
      assert.deepEqual(
        plan.mounts.slice(6).map((m) => [m.source, m.destination, m.fstype, m.flags, m.remountFlags]),
        [
          ['tmpfs', '/sys/fs/cgroup', 'tmpfs', 0xe, 0],
          ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/memory', '', k.MS_BIND | k.MS_REC, 0x20000f],
          ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '', k.MS_BIND | k.MS_REC, 0x20000f],
        ],
      );
      assert.deepEqual(plan.symlinks.slice(0, 2), [
        { target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpu' },
        { target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpuacct' },
      ]);
    },
    {
      cgroupVersion: () => 1,
      cgroupV1Hierarchies: () => [
        { mountpoint: '/sys/fs/cgroup/memory', controllers: 'memory' },
        { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: 'cpu,cpuacct' },
      ],
    },
  );
});

test('options: cgroupFd, preserveFds, noPivot pass through; bad preserveFds is an error', () => {
  withBundle((_bundle, options) => {
    const plan = buildLaunchPlan(runcSpec(), { ...options, cgroupFd: 7, preserveFds: 2, noPivot: true, execFifo: '' });
    assert.equal(plan.cgroupFd, 7);
    assert.equal(plan.preserveFds, 2);
    assert.equal(plan.noPivot, true);
    assert.equal(plan.execFifo, '');
    expectHuskError(() => buildLaunchPlan(runcSpec(), { ...options, preserveFds: -1 }), '--preserve-fds: -1 is not a number of file descriptors');
  });
});

test('process is required; so are args and an absolute cwd', () => {
  withBundle((_bundle, options) => {
    expectHuskError(() => buildLaunchPlan({ ...runcSpec(), process: undefined }, options), 'process: required (the program the container runs)');
    const spec = runcSpec();
    if (spec.process) spec.process.args = [];
    expectHuskError(() => buildLaunchPlan(spec, options), 'process.args: must name the program to run');
    const relative = runcSpec();
    if (relative.process) relative.process.cwd = 'home';
    expectHuskError(() => buildLaunchPlan(relative, options), "process.cwd: 'home' must be an absolute path");
  });
});

test('root.path must exist', () => {
  withBundle((bundle, options) => {
    const spec = { ...runcSpec(), root: { path: 'missing' } };
    expectHuskError(() => buildLaunchPlan(spec, options), `root.path: ${path.join(bundle, 'missing')} does not exist`);
  });
});

test('env: NAME=value entries, later duplicates win in place, HOME from the rootfs passwd', () => {
  withBundle((bundle, options) => {
    fs.mkdirSync(path.join(bundle, 'rootfs/etc'));
    fs.writeFileSync(path.join(bundle, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    const spec = runcSpec();
    if (!spec.process) throw new Error('unreachable');
    spec.process.user = { uid: 1000, gid: 1000 };
    spec.process.env = ['A=1', 'B=2', 'A=3', 'EMPTY='];
    assert.deepEqual(buildLaunchPlan(spec, options).env, ['A=3', 'B=2', 'EMPTY=', 'HOME=/home/app']);
    spec.process.env = ['HOME=/custom'];
    assert.deepEqual(buildLaunchPlan(spec, options).env, ['HOME=/custom']);
    spec.process.env = ['HOME='];
    assert.deepEqual(buildLaunchPlan(spec, options).env, ['HOME=/home/app']);
    spec.process.env = ['PATH=/bin', 'JUSTANAME'];
    expectHuskError(() => buildLaunchPlan(spec, options), "process.env[1]: 'JUSTANAME' is not NAME=value");
    spec.process.env = ['=value'];
    expectHuskError(() => buildLaunchPlan(spec, options), "process.env[0]: '=value' has an empty name");
  });
});

test('hostname and domainname need a UTS namespace', () => {
  withBundle((_bundle, options) => {
    const spec = runcSpec();
    if (spec.linux) spec.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }];
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'hostname: setting it needs a UTS namespace of the container\'s own; add {"type": "uts"} to linux.namespaces',
    );
    delete spec.hostname;
    spec.domainname = 'example.org';
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'domainname: setting it needs a UTS namespace of the container\'s own; add {"type": "uts"} to linux.namespaces',
    );
    spec.domainname = '';
    assert.equal(buildLaunchPlan(spec, options).hostname, '');
  });
});

test('without a mount namespace nothing may be mounted (it would land on the host)', () => {
  withBundle((_bundle, options) => {
    const spec = runcSpec();
    if (spec.linux) spec.linux.namespaces = [{ type: 'pid' }, { type: 'uts' }];
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'mounts: requires a mount namespace of the container\'s own; add {"type": "mount"} to linux.namespaces',
    );
    spec.mounts = [];
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'linux.maskedPaths: requires a mount namespace of the container\'s own; add {"type": "mount"} to linux.namespaces',
    );
    if (spec.linux) {
      spec.linux.maskedPaths = [];
      spec.linux.readonlyPaths = [];
    }
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'root.readonly: requires a mount namespace of the container\'s own; add {"type": "mount"} to linux.namespaces',
    );
    if (spec.root) spec.root.readonly = false;
    const plan = buildLaunchPlan(spec, options);
    assert.equal(plan.rootfsPropagation, 0);
    assert.equal(plan.newNamespaceFlags, k.CLONE_NEWPID | k.CLONE_NEWUTS);
  });
});

test('masked and read-only paths must be absolute', () => {
  withBundle((_bundle, options) => {
    const spec = runcSpec();
    if (spec.linux) spec.linux.maskedPaths = ['/proc/kcore', 'proc/keys'];
    expectHuskError(() => buildLaunchPlan(spec, options), "linux.maskedPaths[1]: 'proc/keys' must be an absolute path");
  });
});

function usernsSpec(): Spec {
  const spec = runcSpec();
  if (!spec.linux) throw new Error('unreachable');
  spec.linux.namespaces = [...(spec.linux.namespaces ?? []), { type: 'user' }];
  spec.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  return spec;
}

test('a new user namespace: not in newNamespaceFlags, devices bound from the host, maps alongside', () => {
  withBundle((_bundle, options) => {
    const { plan, idMaps } = buildLaunch(usernsSpec(), options);
    assert.deepEqual(idMaps, { uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n' });
    assert.equal(buildLaunch(runcSpec(), options).idMaps, null);
    assert.equal(plan.newUserNamespace, true);
    assert.equal(plan.newNamespaceFlags, 0x6c020000);
    assert.deepEqual(
      plan.devices.map((d) => d.bindFrom),
      ['/dev/null', '/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom'],
    );
    // cgroup2 cannot be mounted from a new user namespace without a cgroup namespace: bind instead.
    const cgroup = plan.mounts[plan.mounts.length - 1];
    assert.deepEqual([cgroup.source, cgroup.fstype, cgroup.flags], ['/sys/fs/cgroup', '', k.MS_BIND]);
  });
});

test('sysfs from a new user namespace needs a new network namespace', () => {
  withBundle((_bundle, options) => {
    const spec = usernsSpec();
    if (spec.linux) spec.linux.namespaces = (spec.linux.namespaces ?? []).filter((n) => n.type !== 'network');
    expectHuskError(
      () => buildLaunchPlan(spec, options),
      'mounts[5]: sysfs cannot be mounted from a new user namespace that has no network namespace of its own; ' +
        'add {"type": "network"} to linux.namespaces, or bind /sys (type "bind", options ["rbind", "ro"])',
    );
  });
});

test('devices are bound from the host also when husk itself runs in a user namespace', () => {
  withBundle(
    (_bundle, options) => {
      assert.equal(buildLaunchPlan(runcSpec(), options).devices[0].bindFrom, '/dev/null');
    },
    { runningInUserNamespace: () => true },
  );
});

test('a new user namespace needs mappings that cover the process ids', () => {
  withBundle((_bundle, options) => {
    const noMaps = usernsSpec();
    if (noMaps.linux) delete noMaps.linux.uidMappings;
    expectHuskError(
      () => buildLaunchPlan(noMaps, options),
      'linux.uidMappings: required because linux.namespaces[5] creates a user namespace',
    );
    const unmapped = usernsSpec();
    if (unmapped.process) unmapped.process.user = { uid: 70000, gid: 0 };
    expectHuskError(() => buildLaunchPlan(unmapped, options), 'process.user.uid: 70000 is not mapped by linux.uidMappings');
  });
});

test('rlimits are checked against what the host allows', () => {
  withBundle(
    (_bundle, options) => {
      const spec = runcSpec();
      if (spec.process) spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }];
      expectHuskError(
        () => buildLaunchPlan(spec, options),
        "process.rlimits[0].hard: 1048576 is above husk's own hard limit for RLIMIT_NOFILE (20000), and husk lacks CAP_SYS_RESOURCE to raise it",
      );
      // runc spec's 1024 is fine.
      assert.deepEqual(buildLaunchPlan(runcSpec(), options).rlimits, [{ resource: 7, soft: '1024', hard: '1024' }]);
    },
    { hardLimitOf: (resource) => (resource === k.RLIMIT_NOFILE ? '20000' : k.RLIM_INFINITY), canRaiseHardLimits: () => false },
  );
});

test('createContainer and startContainer hooks become child hooks', () => {
  withBundle((_bundle, options) => {
    const spec: Spec = {
      ...runcSpec(),
      hooks: {
        prestart: [{ path: '/ignored/here' }],
        createContainer: [{ path: '/usr/bin/hook', args: ['hook', 'create'], env: ['X=1'], timeout: 5 }, { path: '/bin/true' }],
        startContainer: [{ path: '/bin/start-hook' }],
      },
    };
    const plan = buildLaunchPlan(spec, options);
    assert.deepEqual(plan.createContainerHooks, [
      { path: '/usr/bin/hook', args: ['hook', 'create'], env: ['X=1'], timeout: 5 },
      { path: '/bin/true', args: ['/bin/true'], env: [], timeout: 0 },
    ]);
    assert.deepEqual(plan.startContainerHooks, [{ path: '/bin/start-hook', args: ['/bin/start-hook'], env: [], timeout: 0 }]);
    expectHuskError(
      () => buildLaunchPlan({ ...runcSpec(), hooks: { startContainer: [{ path: 'relative' }] } }, options),
      "hooks.startContainer[0].path: 'relative' must be an absolute path",
    );
    expectHuskError(
      () => buildLaunchPlan({ ...runcSpec(), hooks: { createContainer: [{ path: '/bin/x', timeout: 0 }] } }, options),
      'hooks.createContainer[0].timeout: 0 is not a whole number of seconds greater than zero',
    );
  });
});

test('a bind mount onto /dev means no default devices or /dev links', () => {
  withBundle((bundle, options) => {
    fs.mkdirSync(path.join(bundle, 'devdir'));
    const spec = runcSpec();
    spec.mounts = [{ destination: '/dev', type: 'bind', source: 'devdir', options: ['rbind'] }];
    const plan = buildLaunchPlan(spec, options);
    assert.deepEqual(plan.devices, []);
    assert.deepEqual(plan.symlinks, []);
  });
});

test('joined namespaces reach the plan in join order', () => {
  withBundle(
    (_bundle, options) => {
      const spec = runcSpec();
      if (spec.linux) {
        spec.linux.namespaces = [
          { type: 'network', path: '/proc/self/ns/net' },
          { type: 'mount' },
          { type: 'user', path: '/proc/self/ns/user' },
          { type: 'uts' },
        ];
      }
      const plan = buildLaunchPlan(spec, options);
      assert.deepEqual(plan.joins, [
        { cloneFlag: k.CLONE_NEWUSER, path: '/proc/self/ns/user' },
        { cloneFlag: k.CLONE_NEWNET, path: '/proc/self/ns/net' },
      ]);
      assert.equal(plan.newNamespaceFlags, k.CLONE_NEWNS | k.CLONE_NEWUTS);
      assert.equal(plan.newUserNamespace, false);
    },
    {
      namespaceTypeOf: (nsPath) => {
        if (nsPath.endsWith('/net')) return k.CLONE_NEWNET;
        if (nsPath.endsWith('/user')) return k.CLONE_NEWUSER;
        throw new Error('ENOTTY');
      },
    },
  );
});

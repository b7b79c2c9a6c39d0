// Host probing and cgroupsPath resolution: pure functions, no filesystem.
// (Resource translation: cgroups-resources.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { expandSlice, planCgroup, probeCgroupHost, resolveCgroupsPath } from '../../src/cgroups';
import { hierarchyDirectory } from '../../src/cgroups/paths';

// /proc/self/mountinfo and /proc/self/cgroup of this project's build host (hybrid; cpu and
// cpuacct mounted separately; the memory controller puts us in /process_api/<hash>).
const HYBRID_MOUNTINFO = `\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_SELF_CGROUP = `\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/a4029a8c
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

const V2_MOUNTINFO = `\
25 1 0:22 / / rw - ext4 /dev/sda1 rw
30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

const V1_COMOUNTED_MOUNTINFO = `\
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 31 0:30 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
34 31 0:31 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
35 31 0:32 / /sys/fs/cgroup/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio
36 31 0:33 / /sys/fs/cgroup/other rw,relatime - cgroup cgroup rw,name=other
37 31 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
`;
const V1_COMOUNTED_SELF = `\
5:name=other:/
4:net_cls,net_prio:/
3:freezer:/user/1
2:devices:/user/1
1:cpu,cpuacct:/user/1
0:name=systemd:/user.slice
`;

function huskErrorMatching(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof HuskError && pattern.test(e.message) && !e.message.includes('\n');
}

test('this host is probed as hybrid, with our own cgroup per controller', () => {
  const host = probeCgroupHost({ mountinfo: HYBRID_MOUNTINFO, selfCgroup: HYBRID_SELF_CGROUP });
  assert.equal(host.mode, 'hybrid');
  assert.deepEqual(host.v1.map((m) => m.key), ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd']);
  assert.equal(host.v1.find((m) => m.key === 'memory')?.ownCgroup, '/process_api/a4029a8c');
  assert.deepEqual(
    { mountPoint: host.unified?.mountPoint, ownCgroup: host.unified?.ownCgroup },
    { mountPoint: '/sys/fs/cgroup/unified', ownCgroup: '/' },
  );
});

test('pure v2 and pure v1 hosts are told apart; foreign named hierarchies are not joined', () => {
  const v2 = probeCgroupHost({ mountinfo: V2_MOUNTINFO, selfCgroup: '0::/user.slice/session-1.scope\n' });
  assert.equal(v2.mode, 'v2');
  assert.equal(v2.unified?.ownCgroup, '/user.slice/session-1.scope');
  const v1 = probeCgroupHost({ mountinfo: V1_COMOUNTED_MOUNTINFO, selfCgroup: V1_COMOUNTED_SELF });
  assert.equal(v1.mode, 'v1');
  assert.equal(v1.unified, undefined);
  assert.deepEqual(v1.v1.map((m) => [m.key, m.mountPoint, m.ownCgroup]), [
    ['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '/user/1'],
    ['devices', '/sys/fs/cgroup/devices', '/user/1'],
    ['freezer', '/sys/fs/cgroup/freezer', '/user/1'],
    ['net_cls,net_prio', '/sys/fs/cgroup/net_cls,net_prio', '/'],
    ['name=systemd', '/sys/fs/cgroup/systemd', '/user.slice'],
  ]);
});

test('no cgroup mount at all is a clear error; escaped mount points are unescaped', () => {
  assert.throws(() => probeCgroupHost({ mountinfo: '25 1 0:22 / / rw - ext4 /dev/sda1 rw\n', selfCgroup: '' }), huskErrorMatching(/no cgroup filesystem is mounted/));
  const host = probeCgroupHost({ mountinfo: '30 25 0:26 / /tmp/my\\040cgroup rw - cgroup2 cgroup2 rw\n', selfCgroup: '0::/\n' });
  assert.equal(host.unified?.mountPoint, '/tmp/my cgroup');
});

test('empty cgroupsPath: relative, named after the container (runc)', () => {
  assert.deepEqual(resolveCgroupsPath({ cgroupsPath: undefined, id: 'c1', systemd: false }), { base: 'own', relative: 'c1', source: 'c1' });
  assert.deepEqual(resolveCgroupsPath({ cgroupsPath: '', id: 'c1', systemd: false }), { base: 'own', relative: 'c1', source: 'c1' });
});

test('absolute and relative cgroupsPath are normalized', () => {
  assert.deepEqual(resolveCgroupsPath({ cgroupsPath: '/a//b/./c/', id: 'x', systemd: false }), { base: 'root', relative: 'a/b/c', source: '/a//b/./c/' });
  assert.deepEqual(resolveCgroupsPath({ cgroupsPath: 'pod/../ctr', id: 'x', systemd: false }), { base: 'own', relative: 'ctr', source: 'pod/../ctr' });
});

test('a cgroupsPath escaping its base, or naming the base itself, is refused', () => {
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: '/a/../../etc', id: 'x', systemd: false }), huskErrorMatching(/'\/a\/\.\.\/\.\.\/etc' uses '\.\.' to leave the cgroup hierarchy/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: '../sibling', id: 'x', systemd: false }), huskErrorMatching(/uses '\.\.'/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: '/', id: 'x', systemd: false }), huskErrorMatching(/needs a cgroup of its own/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: 'a/..', id: 'x', systemd: false }), huskErrorMatching(/needs a cgroup of its own/));
});

test('systemd cgroupsPath maps to the cgroupfs path runc\'s systemd driver would create', () => {
  const resolve = (cgroupsPath: string | undefined): string => {
    const spec = resolveCgroupsPath({ cgroupsPath, id: 'c1', systemd: true });
    assert.equal(spec.base, 'root');
    return `/${spec.relative}`;
  };
  assert.equal(resolve('system.slice:docker:abc'), '/system.slice/docker-abc.scope');
  assert.equal(resolve('kubepods-burstable-pod1.slice:cri-containerd:abc'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope');
  assert.equal(resolve(':p:n'), '/system.slice/p-n.scope');
  assert.equal(resolve('user.slice:p:machine.slice'), '/user.slice/machine.slice');
  assert.equal(resolve(undefined), '/system.slice/runc-c1.scope');
  assert.equal(resolve('-.slice:p:n'), '/p-n.scope');
});

test('malformed systemd cgroupsPaths are refused with the expected form', () => {
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: '/plain/path', id: 'x', systemd: true }), huskErrorMatching(/is not of the form "slice:prefix:name"/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: 'a--b.slice:p:n', id: 'x', systemd: true }), huskErrorMatching(/invalid systemd slice name 'a--b.slice'/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: 'system:p:n', id: 'x', systemd: true }), huskErrorMatching(/must end in "\.slice"/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: 'system.slice:p:../../x', id: 'x', systemd: true }), huskErrorMatching(/must not contain '\/'/));
  assert.throws(() => resolveCgroupsPath({ cgroupsPath: 'system.slice:p:', id: 'x', systemd: true }), huskErrorMatching(/empty unit name/));
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
});

test('relative paths go below our own cgroup per hierarchy; absolute ones below the mount', () => {
  const host = probeCgroupHost({ mountinfo: HYBRID_MOUNTINFO, selfCgroup: HYBRID_SELF_CGROUP });
  const relative = planCgroup({ id: 'c1', host });
  assert.equal(relative.paths.memory, '/sys/fs/cgroup/memory/process_api/a4029a8c/c1');
  assert.equal(relative.paths.cpu, '/sys/fs/cgroup/cpu/c1');
  assert.equal(relative.paths['name=systemd'], '/sys/fs/cgroup/systemd/c1');
  assert.equal(relative.paths[''], '/sys/fs/cgroup/unified/c1');
  assert.equal(relative.unifiedPath, '/sys/fs/cgroup/unified/c1');
  const absolute = planCgroup({ id: 'c1', cgroupsPath: '/husk/c1', host });
  assert.equal(absolute.paths.memory, '/sys/fs/cgroup/memory/husk/c1');
  assert.equal(Object.keys(absolute.paths).length, 10);
});

test('on v2 there is one path, which is also the CLONE_INTO_CGROUP directory', () => {
  const host = probeCgroupHost({ mountinfo: V2_MOUNTINFO, selfCgroup: '0::/user.slice/s.scope\n' });
  const cgroup = planCgroup({ id: 'c1', host });
  assert.deepEqual(cgroup.paths, { '': '/sys/fs/cgroup/user.slice/s.scope/c1' });
  assert.equal(cgroup.unifiedPath, '/sys/fs/cgroup/user.slice/s.scope/c1');
  assert.equal(cgroup.mode, 'v2');
});

test('a mount showing only a subtree maps our own cgroup below its root', () => {
  const host = probeCgroupHost({
    mountinfo: '30 25 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    selfCgroup: '0::/docker/abc/init\n',
  });
  assert.equal(planCgroup({ id: 'c1', host }).paths[''], '/sys/fs/cgroup/init/c1');
  const unreachable = probeCgroupHost({
    mountinfo: '30 25 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    selfCgroup: '0::/elsewhere\n',
  });
  assert.throws(() => planCgroup({ id: 'c1', host: unreachable }), huskErrorMatching(/husk's own cgroup \/elsewhere in the cgroup2 hierarchy is not visible at \/sys\/fs\/cgroup/));
  const partlyListed = probeCgroupHost({
    mountinfo: '1 0 0:1 / /cg/devices rw - cgroup cgroup rw,devices\n2 0 0:2 / /cg/pids rw - cgroup cgroup rw,pids\n',
    selfCgroup: '1:devices:/d\n',
  });
  assert.deepEqual(planCgroup({ id: 'c1', host: partlyListed }).paths, { devices: '/cg/devices/d/c1' }, 'an unlisted hierarchy is skipped for relative paths');
  assert.deepEqual(planCgroup({ id: 'c1', cgroupsPath: '/abs', host: partlyListed }).paths, { devices: '/cg/devices/abs', pids: '/cg/pids/abs' });
  assert.throws(
    () => hierarchyDirectory({ key: 'memory', controllers: ['memory'], mountPoint: '/m', mountRoot: '/', ownCgroup: undefined }, { base: 'own', relative: 'x', source: 'x' }),
    huskErrorMatching(/\/proc\/self\/cgroup does not list the memory hierarchy/),
  );
});

test('a v1 host without the devices controller is refused (runc: device isolation is not optional)', () => {
  const host = probeCgroupHost({
    mountinfo: '32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n',
    selfCgroup: '1:cpu:/\n',
  });
  assert.throws(() => planCgroup({ id: 'c1', host }), huskErrorMatching(/devices cgroup controller is not mounted/));
});


test('v1DirectoriesByMountPoint: each v1 hierarchy mount point to the container directory, never the unified one', () => {
  const cgroup = planCgroup({ id: 'abc', cgroupsPath: '/husk/abc', sources: { mountinfo: HYBRID_MOUNTINFO, selfCgroup: HYBRID_SELF_CGROUP } });
  const byMountPoint = cgroup.v1DirectoriesByMountPoint();
  assert.equal(byMountPoint['/sys/fs/cgroup/devices'], '/sys/fs/cgroup/devices/husk/abc');
  assert.equal(byMountPoint['/sys/fs/cgroup/memory'], '/sys/fs/cgroup/memory/husk/abc');
  assert.equal(byMountPoint['/sys/fs/cgroup/unified'], undefined, 'cgroup2 is not a v1 hierarchy');
  assert.equal(Object.keys(byMountPoint).length, 9, Object.keys(byMountPoint).join(' '));
  const v2 = planCgroup({ id: 'abc', cgroupsPath: '/husk/abc', sources: { mountinfo: V2_MOUNTINFO, selfCgroup: '0::/\n' } });
  assert.deepEqual(v2.v1DirectoriesByMountPoint(), {});
});

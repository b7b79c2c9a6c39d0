// Config fields of the core-runtime issue beyond lifecycle-inside.test.ts: linux.devices (mknod,
// and binds from the host inside a user namespace), domainname, rootfsPropagation, the "cgroup"
// mount on this cgroup v1 host, and joining uts/ipc/mount namespaces of another container by path.
// Proven against runc 1.1.5 as well (HUSK_TEST_RUNTIME=/usr/sbin/runc).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { linesOf, outputInside, runInside } from '../helpers/inside';
import { describeResult, runtimeName, runtimeUnderTestBin } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

const UNDER_RUNC = runtimeName(runtimeUnderTestBin()) === 'runc';

describe('config: devices, domainname, propagation, cgroup mount, joined namespaces', suiteOptions(), () => {
  const context = useTestContext();

  it('linux.devices are created with their type, numbers, mode and owner', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.config.linux.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 1000, gid: 1000 },
      { path: '/dev/sub/loopx', type: 'b', major: 7, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
      { path: '/dev/myfifo', type: 'p', fileMode: 0o620 },
    ];
    // The cgroup must allow what the config creates (as a real config would).
    bundle.config.linux.resources = {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      ],
    };
    const out = await outputInside(ctx, bundle, 'stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/sub/loopx /dev/myfifo');
    assert.deepEqual(linesOf(out), [
      '/dev/fuse character special file a:e5 640 1000:1000',
      '/dev/sub/loopx block special file 7:c8 600 0:0',
      '/dev/myfifo fifo 0:0 620 0:0',
    ]);
  });

  it('inside a new user namespace, devices are bind mounts of the host nodes', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setUserNamespace(100000, 65536);
    // Inside a user namespace sysfs needs its own network namespace, which runc's default has.
    const out = await outputInside(ctx, bundle, 'grep -E " /dev/(null|zero|tty) " /proc/self/mountinfo | wc -l; stat -c "%t:%T" /dev/null; echo ok > /dev/null && echo writable');
    const [binds, numbers, writable] = linesOf(out);
    assert.equal(binds, '3', 'null, zero and tty are mount points');
    assert.equal(numbers, '1:3');
    assert.equal(writable, 'writable');
  });

  // runc 1.1.5 does not set the domainname (it arrived in runc 1.2).
  it('domainname comes from the config', { ...testOptions, skip: UNDER_RUNC && 'runc 1.1.5 ignores domainname' }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.config.domainname = 'example.husk';
    const out = await outputInside(ctx, bundle, 'cat /proc/sys/kernel/domainname');
    assert.equal(out.trim(), 'example.husk');
  });

  // pivot_root refuses a shared parent mount: with "shared", husk (like runc) first makes the mount
  // holding the rootfs private, so every value must start a container. The root then carries no
  // propagation tag on a host whose "/" is private (as here); runc 1.1.5 shows the same.
  // "unbindable": runc 1.1.5 fails (the rootfs cannot be bound onto itself); husk binds it first.
  it('every rootfsPropagation value starts a container; private leaves no propagation tag', { ...testOptions, skip: UNDER_RUNC && 'runc 1.1.5 fails with unbindable' }, async () => {
    const ctx = context();
    const tags: Record<string, string> = {};
    for (const propagation of ['private', 'slave', 'shared', 'unbindable'] as const) {
      const bundle = makeBundle(ctx);
      bundle.config.linux.rootfsPropagation = propagation;
      const out = await outputInside(ctx, bundle, 'awk \'$5 == "/" { print $0 }\' /proc/self/mountinfo');
      const optional = out.trim().split(' - ')[0].split(' ').slice(6);
      tags[propagation] = optional.map((tag) => tag.split(':')[0]).join(',');
    }
    assert.equal(tags.private, '', 'a private root has no propagation tag');
    assert.equal(tags.unbindable, 'unbindable');
  });

  it('a cgroup mount shows the container its own cgroups, read-only', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.addMount({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
    const result = await runInside(ctx, bundle, 'ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/cgroup.procs | wc -l; mkdir /sys/fs/cgroup/pids/x 2>/dev/null && echo mkdir-worked || echo mkdir-refused');
    assert.equal(result.status, 0, describeResult(result));
    const lines = linesOf(result.stdout);
    for (const controller of ['memory', 'pids', 'devices', 'freezer']) assert.ok(lines.includes(controller), `${controller} in ${lines.join(' ')}`);
    // The container's own pids cgroup: only the container's processes (sh, cat, wc...), not the host's.
    const processes = Number(lines[lines.length - 2]);
    assert.ok(processes >= 1 && processes < 10, `processes in the visible pids cgroup: ${processes}`);
    assert.equal(lines[lines.length - 1], 'mkdir-refused');
  });

  // runc 1.1.5 sets up the rootfs again in a joined mount namespace and fails; the runtime-spec
  // says a joined namespace is set up already, which is what husk assumes.
  it('joins the uts, ipc and mount namespaces of another container by path', { ...testOptions, skip: UNDER_RUNC && 'runc 1.1.5 cannot join a mount namespace' }, async () => {
    const ctx = context();
    const first = makeBundle(ctx).setHostname('first-container').setArgs('sleep', '60').save();
    const firstId = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', first.dir, firstId]);
    const pid = (await ctx.runtime.state(firstId)).pid;
    // runc's default root is read-only; /dev/shm is a tmpfs of the first container's own.
    fs.writeFileSync(`/proc/${pid}/root/dev/shm/marker`, 'in-the-first-rootfs');
    const second = makeBundle(ctx);
    second.config.hostname = undefined;
    second.setNamespace({ type: 'uts', path: `/proc/${pid}/ns/uts` });
    second.setNamespace({ type: 'ipc', path: `/proc/${pid}/ns/ipc` });
    second.setNamespace({ type: 'mount', path: `/proc/${pid}/ns/mnt` });
    // The joined mount namespace's /proc belongs to the first container's pid namespace: join it
    // too, or /proc/self would name no process.
    second.setNamespace({ type: 'pid', path: `/proc/${pid}/ns/pid` });
    // A joined mount namespace is already set up: no rootfs, mounts or paths of our own.
    second.config.mounts = [];
    second.config.linux.maskedPaths = [];
    second.config.linux.readonlyPaths = [];
    second.config.root.readonly = false;
    const out = await outputInside(ctx, second, 'hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc; cat /dev/shm/marker');
    const [hostname, uts, ipc, marker] = linesOf(out);
    assert.equal(hostname, 'first-container');
    assert.equal(uts, fs.readlinkSync(`/proc/${pid}/ns/uts`));
    assert.equal(ipc, fs.readlinkSync(`/proc/${pid}/ns/ipc`));
    assert.equal(marker, 'in-the-first-rootfs');
    await ctx.runtime.runOk(['delete', '--force', firstId]);
  });
});

// Namespaces beyond the basics of lifecycle-inside.test.ts: the time namespace with
// linux.timeOffsets, the cgroup namespace, file ownership through a user namespace's mappings,
// and joining another container's pid namespace by path.
// Proven against runc 1.1.5 except the time namespace, which runc 1.1.5 does not know.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { linesOf, outputInside } from '../helpers/inside';
import { hostNamespaceLink } from '../helpers/procfs';
import { runtimeName, runtimeUnderTestBin } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

const UNDER_RUNC = runtimeName(runtimeUnderTestBin()) === 'runc';

/** Seconds since boot on the host (the first field of /proc/uptime, CLOCK_BOOTTIME). */
function hostUptime(): number {
  return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

describe('namespaces: time, cgroup, user ownership, joining a pid namespace', suiteOptions(), () => {
  const context = useTestContext();

  describe('time namespace', () => {
    const BOOTTIME_OFFSET = 10 * 86400;
    const MONOTONIC_OFFSET = 3600;

    // runc 1.1.5 rejects the namespace ("namespace {"time" ""} does not exist"): husk only.
    it('linux.timeOffsets shift /proc/uptime inside, and the time namespace is not the host one', { ...testOptions, skip: UNDER_RUNC && 'runc 1.1.5 has no time namespace support' }, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setNamespace({ type: 'time' });
      bundle.config.linux.timeOffsets = {
        boottime: { secs: BOOTTIME_OFFSET, nanosecs: 0 },
        monotonic: { secs: MONOTONIC_OFFSET, nanosecs: 0 },
      };
      const before = hostUptime();
      const [uptime, timeNs, ...offsets] = linesOf(
        await outputInside(ctx, bundle, 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time; cat /proc/self/timens_offsets'),
      );
      const after = hostUptime();
      const shift = Number(uptime) - before;
      assert.ok(shift >= BOOTTIME_OFFSET && Number(uptime) - after <= BOOTTIME_OFFSET + 1, `uptime inside ${uptime}, host ${before}..${after}`);
      assert.notEqual(timeNs, hostNamespaceLink('time'));
      const offsetOf = (clock: string) => offsets.map((line) => line.split(/\s+/)).find(([name]) => name === clock)?.slice(1).join(' ');
      assert.equal(offsetOf('boottime'), `${BOOTTIME_OFFSET} 0`, offsets.join('\n'));
      assert.equal(offsetOf('monotonic'), `${MONOTONIC_OFFSET} 0`, offsets.join('\n'));
    });

    it('without a time namespace the clocks are the host ones', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).removeNamespace('time');
      const [uptime, timeNs] = linesOf(await outputInside(ctx, bundle, 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time'));
      assert.ok(Math.abs(Number(uptime) - hostUptime()) < 5, `uptime inside ${uptime}`);
      assert.equal(timeNs, hostNamespaceLink('time'));
    });
  });

  describe('cgroup namespace', () => {
    it('inside a cgroup namespace, /proc/self/cgroup shows / for every hierarchy', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setNamespace({ type: 'cgroup' }).setCgroupsPath(`/${ctx.newName('cgroup')}`);
      const [cgroupNs, ...cgroups] = linesOf(await outputInside(ctx, bundle, 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'));
      assert.notEqual(cgroupNs, hostNamespaceLink('cgroup'));
      assert.ok(cgroups.length > 0);
      for (const line of cgroups) assert.equal(line.split(':').slice(2).join(':'), '/', line);
    });

    it('without one, the container sees its real cgroup path', testOptions, async () => {
      const ctx = context();
      const name = ctx.newName('cgroup');
      const bundle = makeBundle(ctx).removeNamespace('cgroup').setCgroupsPath(`/${name}`);
      const cgroups = linesOf(await outputInside(ctx, bundle, 'cat /proc/self/cgroup'));
      assert.ok(cgroups.some((line) => line.endsWith(`:/${name}`)), cgroups.join('\n'));
    });
  });

  describe('user namespace', () => {
    const HOST_BASE = 100000;

    /** A user-namespaced bundle with a host dir bound at /shared (its mount point made on the
     * host: the rootfs belongs to host root, unmapped inside, so the container cannot mkdir). */
    function userNamespaceBundle(ctx: TestContext, shared: string): Bundle {
      const bundle = makeBundle(ctx).setUserNamespace(HOST_BASE, 65536).addBindMount(shared, '/shared');
      fs.mkdirSync(path.join(bundle.rootfs, 'shared'));
      return bundle;
    }

    for (const uid of [0, 1000]) {
      it(`a file created inside by uid ${uid} is owned by host uid ${HOST_BASE + uid}`, testOptions, async () => {
        const ctx = context();
        const shared = ctx.newDir('shared');
        fs.chmodSync(shared, 0o777);
        const bundle = userNamespaceBundle(ctx, shared).setUser({ uid, gid: uid });
        const inside = linesOf(await outputInside(ctx, bundle, 'touch /shared/created; mkdir /shared/dir; stat -c "%u:%g" /shared/created; id -u'));
        assert.deepEqual(inside, [`${uid}:${uid}`, String(uid)]);
        for (const name of ['created', 'dir']) {
          const stat = fs.statSync(path.join(shared, name));
          assert.deepEqual([stat.uid, stat.gid], [HOST_BASE + uid, HOST_BASE + uid], `${name} on the host`);
        }
      });
    }

    it('a host file of an unmapped owner shows as the overflow uid inside', testOptions, async () => {
      const ctx = context();
      const shared = ctx.newDir('shared');
      fs.writeFileSync(path.join(shared, 'host-root-file'), 'x'); // owned by host root, not mapped
      const bundle = userNamespaceBundle(ctx, shared);
      const owner = (await outputInside(ctx, bundle, 'stat -c "%u" /shared/host-root-file')).trim();
      assert.equal(owner, fs.readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
    });
  });

  describe('joining a pid namespace by path', () => {
    it("a second container in the first one's pid namespace sees the first one's processes", testOptions, async () => {
      const ctx = context();
      const firstBundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const first = ctx.newId();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', firstBundle.dir, first]);
      const { pid: firstPid } = await ctx.runtime.waitForStatus(first, 'running');
      const pidNs = `/proc/${firstPid}/ns/pid`;

      const secondBundle = makeBundle(ctx).setNamespace({ type: 'pid', path: pidNs });
      const [ownPid, pid1Cmdline, nsLink] = linesOf(
        await outputInside(ctx, secondBundle, "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; readlink /proc/self/ns/pid"),
      );
      assert.equal(nsLink, fs.readlinkSync(pidNs));
      assert.notEqual(ownPid, '1', 'the second container got a pid namespace of its own');
      assert.equal(pid1Cmdline.trim(), 'sleep 600');
      // The first container is untouched.
      assert.equal((await ctx.runtime.state(first)).status, 'running');
    });
  });
});

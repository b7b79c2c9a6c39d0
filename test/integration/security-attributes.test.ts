// Kernel attributes of the container process, seen from inside: sysctls in the container's own
// network and IPC namespaces, oom_score_adj, personality, scheduler and I/O priority; and the
// clear errors for what cannot be applied (host sysctls, LSM labels without the LSM).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { linesOf, outputInside, runInside } from '../helpers/inside';
import { assertOneLineFailure } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';


function hostText(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}

describe('security: process attributes', suiteOptions(), () => {
  const context = useTestContext();

  async function seenInside(script: string, edit: (bundle: Bundle) => void): Promise<string> {
    const ctx = context();
    const bundle = makeBundle(ctx);
    edit(bundle);
    return (await outputInside(ctx, bundle, script)).trim();
  }

  it('linux.sysctl is written in the container\'s network and IPC namespaces, not the host\'s', testOptions, async () => {
    const hostForward = hostText('/proc/sys/net/ipv4/ip_forward');
    const hostRmid = hostText('/proc/sys/kernel/shm_rmid_forced');
    const wanted = { forward: hostForward === '1' ? '0' : '1', rmid: hostRmid === '1' ? '0' : '1' };
    const output = await seenInside('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced', (bundle) => {
      bundle.config.linux.sysctl = { 'net.ipv4.ip_forward': wanted.forward, 'kernel/shm_rmid_forced': wanted.rmid };
    });
    assert.deepEqual(linesOf(output), [wanted.forward, wanted.rmid]);
    assert.equal(hostText('/proc/sys/net/ipv4/ip_forward'), hostForward, 'the host keeps its own value');
    assert.equal(hostText('/proc/sys/kernel/shm_rmid_forced'), hostRmid, 'the host keeps its own value');
  });

  it('a sysctl no namespace isolates fails create with one line naming it', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.config.linux.sysctl = { 'kernel.panic': '5' };
    assertOneLineFailure(await runInside(ctx, bundle, 'true'), 'kernel.panic');
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });

  it('process.oomScoreAdj is the process\'s oom_score_adj', testOptions, async () => {
    const output = await seenInside('cat /proc/self/oom_score_adj', (bundle) => {
      bundle.config.process.oomScoreAdj = 421;
    });
    assert.equal(output, '421');
  });

  it('without process.oomScoreAdj the value is inherited unchanged', testOptions, async () => {
    const output = await seenInside('cat /proc/self/oom_score_adj', () => {});
    assert.equal(output, hostText('/proc/self/oom_score_adj'));
  });

  it('linux.personality LINUX32 makes uname report a 32-bit machine', { ...testOptions, skip: process.arch === 'x64' ? false : 'x86_64 only' }, async () => {
    const output = await seenInside('uname -m', (bundle) => {
      bundle.config.linux.personality = { domain: 'LINUX32' };
    });
    assert.equal(output, 'i686');
  });

  it('process.scheduler sets the policy and nice value (SCHED_BATCH, nice 7)', testOptions, async () => {
    // /proc/self/stat: field 19 is nice, field 41 the policy (SCHED_BATCH = 3). Fields counted
    // after the parenthesised command name, which has no spaces here.
    const output = await seenInside("cut -d' ' -f19,41 /proc/self/stat", (bundle) => {
      bundle.config.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
    });
    assert.equal(output, '7 3');
  });

  it('process.ioPriority sets the I/O class and level', testOptions, async () => {
    const output = await seenInside('ionice -p $$', (bundle) => {
      bundle.config.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    });
    assert.match(output, /^idle/);
  });

  it('an AppArmor profile on a host without AppArmor fails create with one line', { ...testOptions, skip: fs.existsSync('/sys/module/apparmor') ? 'AppArmor is present here' : false }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.config.process.apparmorProfile = 'husk-test-profile';
    assertOneLineFailure(await runInside(ctx, bundle, 'true'), 'process.apparmorProfile: AppArmor is not enabled on this host');
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });

  it('an SELinux label on a host without SELinux fails create with one line', { ...testOptions, skip: fs.existsSync('/sys/fs/selinux/enforce') ? 'SELinux is enabled here' : false }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    bundle.config.process.selinuxLabel = 'system_u:system_r:container_t:s0';
    assertOneLineFailure(await runInside(ctx, bundle, 'true'), 'process.selinuxLabel: SELinux is not enabled on this host');
  });
});

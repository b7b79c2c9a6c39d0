// sysctl, scheduler, I/O priority, personality, oom_score_adj and LSM labels → plan values.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  parseCpuList,
  planIoPriority,
  planLsmLabels,
  planOomScoreAdj,
  planPersonality,
  planScheduler,
  planSecurityAttributes,
  planSysctls,
} from '../../src/linux/process-attributes';

const noLsm = { apparmorEnabled: () => false, selinuxEnabled: () => false };
const user = { uid: 0, gid: 0 };

test('sysctl keys become /proc/sys paths: dots to slashes, a key with slashes taken as the path', () => {
  assert.deepEqual(planSysctls({ 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.1/forwarding': '0' }), [
    { path: '/proc/sys/net/ipv4/ip_forward', value: '1' },
    { path: '/proc/sys/net/ipv4/conf/eth0.1/forwarding', value: '0' },
  ]);
  assert.deepEqual(planSysctls(undefined), []);
});

test('a sysctl key that climbs out of /proc/sys is refused', () => {
  assert.throws(() => planSysctls({ 'net/../../etc/passwd': 'x' }), { message: 'linux.sysctl["net/../../etc/passwd"]: not a sysctl name (expected e.g. "net.ipv4.ip_forward")' });
  assert.throws(() => planSysctls({ 'net..ipv4': 'x' }), /not a sysctl name/);
});

test('scheduler policy and flags become sched_setattr numbers', () => {
  assert.deepEqual(planScheduler({ policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] }), {
    policy: 1,
    flags: 1,
    nice: 0,
    priority: 10,
    runtime: '0',
    deadline: '0',
    period: '0',
  });
  assert.equal(planScheduler(undefined), null);
  assert.throws(() => planScheduler({ policy: 'SCHED_ISO' }), /SCHED_ISO is not implemented by Linux/);
});

test('I/O priority is class << 13 | level; absent leaves it alone', () => {
  assert.equal(planIoPriority({ class: 'IOPRIO_CLASS_BE', priority: 4 }), (2 << 13) | 4);
  assert.equal(planIoPriority({ class: 'IOPRIO_CLASS_IDLE', priority: 0 }), 3 << 13);
  assert.equal(planIoPriority(undefined), -1);
  assert.throws(() => planIoPriority({ class: 'IOPRIO_CLASS_BEST', priority: 0 }), /process\.ioPriority\.class: 'IOPRIO_CLASS_BEST'/);
});

test('personality: LINUX and LINUX32; flags are refused (runtime-spec defines none)', () => {
  assert.equal(planPersonality({ domain: 'LINUX' }), 0);
  assert.equal(planPersonality({ domain: 'LINUX32' }), 8);
  assert.equal(planPersonality(undefined), -1);
  assert.throws(() => planPersonality({ domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] }), /linux\.personality\.flags: runtime-spec defines no personality flags/);
});

test('oomScoreAdj: absent leaves it alone, out of range is refused', () => {
  assert.equal(planOomScoreAdj(undefined), null);
  assert.equal(planOomScoreAdj(-1000), -1000);
  assert.throws(() => planOomScoreAdj(1001), /process\.oomScoreAdj: expected an integer from -1000 to 1000/);
});

test('LSM labels on a host without that LSM are clear errors; with it they pass through', () => {
  assert.throws(() => planLsmLabels({ user, cwd: '/', apparmorProfile: 'p' }, undefined, noLsm), /process\.apparmorProfile: AppArmor is not enabled on this host/);
  assert.throws(() => planLsmLabels({ user, cwd: '/', selinuxLabel: 'l' }, undefined, noLsm), /process\.selinuxLabel: SELinux is not enabled on this host/);
  assert.throws(() => planLsmLabels({ user, cwd: '/' }, { mountLabel: 'm' }, noLsm), /linux\.mountLabel: SELinux is not enabled/);
  const withAll = { apparmorEnabled: () => true, selinuxEnabled: () => true };
  assert.deepEqual(planLsmLabels({ user, cwd: '/', apparmorProfile: 'p' }, undefined, withAll), { apparmorProfile: 'p', selinuxLabel: '' });
  assert.throws(() => planLsmLabels({ user, cwd: '/' }, { mountLabel: 'm' }, withAll), /linux\.mountLabel: SELinux mount labels are not supported by husk yet/);
});

test('a config without any of these adds no fields to the plan', () => {
  assert.deepEqual(planSecurityAttributes({ user, cwd: '/' }, {}, noLsm, () => {}), {});
});

test('CPU lists expand ranges', () => {
  assert.deepEqual(parseCpuList('0-3,7'), [0, 1, 2, 3, 7]);
  assert.deepEqual(parseCpuList('5'), [5]);
});

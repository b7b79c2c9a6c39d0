// linux.seccomp → SeccompPlan: names to numbers, runc's readings, and one-line errors.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { actionValue, planSeccomp, SECCOMP_FILTER_FLAG_NEW_LISTENER } from '../../src/linux/seccomp';
import type { Seccomp } from '../../src/spec/types';

const ALLOW = 0x7fff0000;
const ERRNO = 0x00050000;
const plan = (seccomp: Seccomp, noNewPrivileges = true, debug?: (m: string) => void) => planSeccomp(seccomp, { noNewPrivileges, debug });

test('no linux.seccomp: no filter', () => {
  assert.equal(planSeccomp(undefined, { noNewPrivileges: true }), null);
});

test('every action maps to its SECCOMP_RET value; ERRNO and TRACE carry errnoRet, EPERM by default', () => {
  const at = ['a', 'e'] as const;
  assert.equal(actionValue('SCMP_ACT_ALLOW', undefined, ...at), ALLOW);
  assert.equal(actionValue('SCMP_ACT_KILL', undefined, ...at), 0);
  assert.equal(actionValue('SCMP_ACT_KILL_THREAD', undefined, ...at), 0);
  assert.equal(actionValue('SCMP_ACT_KILL_PROCESS', undefined, ...at), 0x80000000);
  assert.equal(actionValue('SCMP_ACT_TRAP', undefined, ...at), 0x00030000);
  assert.equal(actionValue('SCMP_ACT_LOG', undefined, ...at), 0x7ffc0000);
  assert.equal(actionValue('SCMP_ACT_NOTIFY', undefined, ...at), 0x7fc00000);
  assert.equal(actionValue('SCMP_ACT_ERRNO', undefined, ...at), ERRNO | 1);
  assert.equal(actionValue('SCMP_ACT_ERRNO', 38, ...at), ERRNO | 38);
  assert.equal(actionValue('SCMP_ACT_TRACE', undefined, ...at), 0x7ff00000 | 1);
  assert.equal(actionValue('SCMP_ACT_TRACE', 7, ...at), 0x7ff00000 | 7);
});

test('defaultErrnoRet applies to the default action', () => {
  const result = plan({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 });
  assert.equal(result?.defaultAction, ERRNO | 38);
});

test('an unknown action is an error naming the JSON path and a close name', () => {
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERNO' }] }), {
    message: "linux.seccomp.syscalls[0].action: 'SCMP_ACT_ERNO' is not a seccomp action (did you mean 'SCMP_ACT_ERRNO'?)",
  });
  assert.throws(() => plan({ defaultAction: 'ALLOW' }), /linux\.seccomp\.defaultAction: 'ALLOW' is not a seccomp action/);
});

test('an errno on an action that takes none is an error (config-linux.md: MUST fail)', () => {
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }), {
    message: 'linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_KILL',
  });
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }), /linux\.seccomp\.defaultErrnoRet: only/);
});

test('an errno wider than 16 bits is refused', () => {
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }), /defaultErrnoRet: 70000 does not fit the 16 bits/);
});

test('operators map to enum scmp_compare; unknown ones are errors', () => {
  const result = plan({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
          { index: 1, value: 5, op: 'SCMP_CMP_NE' },
        ],
      },
    ],
  });
  assert.deepEqual(result?.rules, [
    {
      syscall: 'clone',
      action: ERRNO | 1,
      source: 0,
      conditions: [
        { index: 0, op: 7, value: '2114060288', valueTwo: '0' },
        { index: 1, op: 1, value: '5', valueTwo: '0' },
      ],
    },
  ]);
  const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
  ops.forEach((op, i) => {
    const r = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op }] }] });
    assert.equal(r?.rules[0].conditions[0].op, i + 1, op);
  });
  assert.throws(
    () => plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQQ' }] }] }),
    { message: "linux.seccomp.syscalls[0].args[0].op: 'SCMP_CMP_EQQ' is not a seccomp operator (did you mean 'SCMP_CMP_EQ'?)" },
  );
});

test('conditions on the same argument become separate rules (ORed), as runc reads them', () => {
  const result = plan({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  });
  assert.deepEqual(
    result?.rules.map((r) => r.conditions.map((c) => c.value)),
    [['0'], ['8']],
  );
});

test('each name of an entry is a rule; rules with the default action are dropped (libseccomp refuses them)', () => {
  const result = plan({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO' },
      { names: ['umount2'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  assert.deepEqual(
    result?.rules.map((r) => [r.syscall, r.action, r.source]),
    [
      ['read', ALLOW, 0],
      ['write', ALLOW, 0],
      ['umount2', ERRNO | 38, 2],
    ],
  );
});

test('architectures map to libseccomp names; unknown ones are errors', () => {
  const result = plan({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
  assert.deepEqual(result?.architectures, ['x86_64', 'x86', 'x32']);
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_46'] }), {
    message: "linux.seccomp.architectures[0]: 'SCMP_ARCH_X86_46' is not a seccomp architecture (did you mean 'SCMP_ARCH_X86_64'?)",
  });
});

test('flags become SECCOMP_FILTER_FLAG bits; unknown ones are errors', () => {
  const result = plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
  assert.equal(result?.loadFlags, 1 | 2 | 4);
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOGG'] }), /linux\.seccomp\.flags\[0\]: 'SECCOMP_FILTER_FLAG_LOGG' is not a seccomp filter flag/);
});

test('WAIT_KILLABLE_RECV without a NOTIFY rule is dropped (the kernel refuses it without a listener)', () => {
  const debug: string[] = [];
  const result = plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, true, (m) => debug.push(m));
  assert.equal(result?.loadFlags, 0);
  assert.equal(debug.length, 1);
});

test('a NOTIFY rule asks for a listener and keeps listenerPath and listenerMetadata; TSYNC is dropped', () => {
  const result = plan({
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    listenerPath: '/run/agent.sock',
    listenerMetadata: 'hello',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  assert.equal(result?.loadFlags, SECCOMP_FILTER_FLAG_NEW_LISTENER | (1 << 5));
  assert.equal(result?.listenerPath, '/run/agent.sock');
  assert.equal(result?.listenerMetadata, 'hello');
});

test('without a NOTIFY rule listenerPath is ignored (config-linux.md)', () => {
  const result = plan({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' });
  assert.equal(result?.listenerPath, '');
  assert.equal(result?.loadFlags, 0);
});

test('NOTIFY mistakes are errors: as default action, without listenerPath, on syscalls husk itself needs', () => {
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }), /linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY cannot be the default action/);
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }), /linux\.seccomp\.listenerPath: required with SCMP_ACT_NOTIFY/);
  for (const name of ['write', 'sendmsg', 'recvmsg', 'sendto']) {
    assert.throws(
      () => plan({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['mkdir', name], action: 'SCMP_ACT_NOTIFY' }] }),
      new RegExp(`linux\\.seccomp\\.syscalls\\[0\\]\\.names: SCMP_ACT_NOTIFY cannot be used for '${name}'`),
    );
  }
  assert.throws(() => plan({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'm' }), /linux\.seccomp\.listenerMetadata: needs linux\.seccomp\.listenerPath/);
});

test('without noNewPrivileges the filter loads before the user switch (it needs CAP_SYS_ADMIN then)', () => {
  assert.equal(plan({ defaultAction: 'SCMP_ACT_ALLOW' }, false)?.loadBeforeUserSwitch, true);
  assert.equal(plan({ defaultAction: 'SCMP_ACT_ALLOW' }, true)?.loadBeforeUserSwitch, false);
});

test('uint64 argument values travel as decimal text; 2^64-1 survives its rounding by JSON.parse', () => {
  const result = plan({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18446744073709551615, valueTwo: 4294967295, op: 'SCMP_CMP_MASKED_EQ' }] }],
  });
  assert.deepEqual(result?.rules[0].conditions[0], { index: 1, op: 7, value: '18446744073709551615', valueTwo: '4294967295' });
  assert.throws(
    () => plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_LOG', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }),
    /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: 6 is not a syscall argument/,
  );
});

test('long profiles ask libseccomp for a binary tree', () => {
  const names = Array.from({ length: 40 }, (_, i) => `call${i}`);
  assert.equal(plan({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] })?.optimize, true);
  assert.equal(plan({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] })?.optimize, false);
});

// SeccompPlan → BPF through libseccomp (the addon). Needs no root: compiling loads nothing.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { addon } from '../../src/addon';
import { compileSeccomp, planSeccomp } from '../../src/linux/seccomp';
import type { Seccomp } from '../../src/spec/types';
import { hasPodmanProfile, podmanDefaultSeccomp } from '../helpers/podman-seccomp';

/** struct sock_filter is 8 bytes: code u16, jt u8, jf u8, k u32. */
const BPF_INSTRUCTION = 8;
const BPF_RET_K = 0x06;

function compiled(seccomp: Seccomp, debug: (m: string) => void = () => {}): Buffer {
  const plan = planSeccomp(seccomp, { noNewPrivileges: true });
  assert.ok(plan);
  return compileSeccomp(plan, addon(), debug);
}

/** The k values of the program's return instructions: the actions it can take. */
function returnedActions(program: Buffer): Set<number> {
  const actions = new Set<number>();
  for (let offset = 0; offset < program.length; offset += BPF_INSTRUCTION) {
    if (program.readUInt16LE(offset) === BPF_RET_K) actions.add(program.readUInt32LE(offset + 4));
  }
  return actions;
}

test('a filter compiles to a BPF program whose returns are the configured actions', () => {
  const program = compiled({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 },
      { names: ['kill'], action: 'SCMP_ACT_LOG', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  assert.equal(program.length % BPF_INSTRUCTION, 0);
  const actions = returnedActions(program);
  assert.ok(actions.has(0x7fff0000), 'ALLOW as default');
  assert.ok(actions.has(0x00050000 | 18), 'ERRNO(EXDEV) for sethostname');
  assert.ok(actions.has(0x7ffc0000), 'LOG for kill(_, 0)');
});

test('syscall names libseccomp does not know are skipped and listed at debug level (runc does the same)', () => {
  const debug: string[] = [];
  const program = compiled(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall', 'sethostname'], action: 'SCMP_ACT_ERRNO' }] },
    (m) => debug.push(m),
  );
  assert.ok(returnedActions(program).has(0x00050000 | 1));
  assert.deepEqual(debug, ['linux.seccomp: syscalls unknown to libseccomp, skipped: no_such_syscall']);
});

test('an architecture this libseccomp lacks is an error naming the entry', () => {
  assert.throws(
    () => compiled({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_LOONGARCH64'] }),
    /linux\.seccomp\.architectures\[1\]: SCMP_ARCH_LOONGARCH64 is not supported by this host's libseccomp/,
  );
});

test('a rule libseccomp refuses is an error naming the config entry it came from', () => {
  const plan = planSeccomp(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG' }, { names: ['getpid', 'gettid'], action: 'SCMP_ACT_TRAP' }] },
    { noNewPrivileges: true },
  );
  assert.ok(plan);
  const refusing = {
    compileSeccomp(): never {
      throw Object.assign(new Error('libseccomp: EINVAL: Invalid argument'), { errno: 22, failedRule: 2, failedArchitecture: -1 });
    },
  };
  assert.throws(() => compileSeccomp(plan, refusing), {
    message: "linux.seccomp.syscalls[1]: libseccomp refused the rule for 'gettid': EINVAL: Invalid argument",
  });
});

test("Podman's default profile compiles, within the kernel's 4096 instructions", { skip: hasPodmanProfile() ? false : 'no /usr/share/containers/seccomp.json' }, (t) => {
  const seccomp = podmanDefaultSeccomp(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']) as unknown as Seccomp;
  const plan = planSeccomp(seccomp, { noNewPrivileges: true });
  assert.ok(plan);
  const started = process.hrtime.bigint();
  const program = compileSeccomp(plan, addon());
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const instructions = program.length / BPF_INSTRUCTION;
  assert.ok(instructions > 100 && instructions <= 4096, `${instructions} instructions`);
  assert.ok(plan.optimize, 'binary tree for a long profile');
  assert.ok(returnedActions(program).has(0x00050000 | 38), 'ENOSYS for what the profile does not list');
  // Not an assertion on speed, a record of it (seen here: ~5 ms for ~400 syscalls on 3 architectures).
  t.diagnostic(`podman profile: ${plan.rules.length} rules, ${instructions} instructions, ${ms.toFixed(1)} ms`);
});

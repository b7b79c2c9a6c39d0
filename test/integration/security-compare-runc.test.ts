// The same bundles under husk and under runc (the reference): the capability sets, no_new_privs
// and seccomp state in /proc/self/status, and what a handful of syscalls answer, must be the
// same inside. compare-runc.test.ts does this for the default `runc spec` bundle and
// security-seccomp.test.ts for Podman's default profile; these are the other shapes of
// process.capabilities, noNewPrivileges and linux.seccomp a config can take.
// Skipped without /usr/sbin/runc, or when the runtime under test is runc itself.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { integrationSkipReason } from '../helpers/context';
import { linesOf, outputInside } from '../helpers/inside';
import { RUNC_BIN } from '../helpers/paths';
import { runtimeUnderTestBin } from '../helpers/runtime';
import { testOptions, useTestContext } from '../helpers/suite';
import { addSyscallProbe, PROBE_IN_CONTAINER } from '../helpers/syscall-probe';

const STATUS = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status";

// Each line names what it tried and how it went; busybox prints the errno text on failure.
const PROBES = [
  `${PROBE_IN_CONTAINER} add_key keyctl unshare mount getpid`,
  'hostname probe-host 2>&1; echo "sethostname=$?"',
  'kill -0 $$ 2>&1; echo "kill-0=$?"',
  'kill -CONT $$ 2>&1; echo "kill-CONT=$?"',
  'mkdir /tmp/probe-dir 2>&1; echo "mkdir=$?"',
  'chown 1:1 /tmp 2>&1; echo "chown=$?"',
  'chroot / true 2>&1; echo "chroot=$?"',
].join('; ');

function compareSkipReason(): string | false {
  const skip = integrationSkipReason();
  if (skip) return skip;
  if (!fs.existsSync(RUNC_BIN)) return `${RUNC_BIN} (the reference) is not installed`;
  try {
    if (fs.realpathSync(runtimeUnderTestBin()) === fs.realpathSync(RUNC_BIN)) return 'the runtime under test is runc itself';
  } catch {
    // the runtime under test does not exist: integrationSkipReason said so already
  }
  return false;
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

function setCapabilities(bundle: Bundle, sets: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>>): void {
  bundle.config.process.capabilities = sets;
}

/** Capabilities in all five sets, ambient and inheritable included. */
function allFiveSets(bundle: Bundle): void {
  setCapabilities(bundle, {
    bounding: [...DEFAULT_CAPS, 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_CHOWN', 'CAP_SETUID', 'CAP_SETGID'],
    effective: [...DEFAULT_CAPS, 'CAP_CHOWN', 'CAP_NET_RAW'],
    permitted: [...DEFAULT_CAPS, 'CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_CHROOT'],
    inheritable: ['CAP_NET_RAW', 'CAP_SYS_CHROOT'],
    ambient: ['CAP_NET_RAW', 'CAP_SYS_CHROOT'],
  });
}

/** ERRNO rules with and without errnoRet, argument conditions, and the default action's errno. */
const ERRNO_PROFILE = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 },
    { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 28 },
    { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    { names: ['add_key', 'unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    { names: ['no_such_syscall_husk'], action: 'SCMP_ACT_ERRNO' },
  ],
};

// What the init (husk's or runc's, up to execve) and busybox sh running the probes need.
const ALLOWED_FOR_BUSYBOX = [
  'access', 'arch_prctl', 'brk', 'capget', 'capset', 'chdir', 'close', 'close_range', 'dup', 'dup2', 'dup3',
  'epoll_pwait', 'execve', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fchdir', 'fchown', 'fcntl', 'fstat',
  'fstatfs', 'futex', 'getcwd', 'getdents64', 'getegid', 'geteuid', 'getgid', 'getpgrp', 'getpid', 'getppid',
  'getrandom', 'getuid', 'ioctl', 'kill', 'lseek', 'lstat', 'mmap', 'mprotect', 'munmap', 'nanosleep', 'newfstatat',
  'open', 'openat', 'pipe', 'pipe2', 'prctl', 'read', 'readlink', 'readlinkat', 'rt_sigaction', 'rt_sigprocmask',
  'rt_sigreturn', 'rt_sigsuspend', 'sched_getaffinity', 'sched_yield', 'set_robust_list', 'set_tid_address',
  'setgid', 'setgroups', 'setresgid', 'setresuid', 'setuid', 'stat', 'statx', 'sysinfo', 'tgkill', 'uname',
  'wait4', 'waitid', 'write', 'writev', 'clone', 'clone3', 'fork', 'vfork', 'getpgid', 'setpgid', 'getsid', 'setsid',
  'keyctl', 'poll', 'ppoll', 'select', 'pselect6', 'rseq', 'prlimit64', 'getrlimit', 'umask',
];

interface Shape {
  name: string;
  edit: (bundle: Bundle) => void;
}

const SHAPES: Shape[] = [
  { name: 'all five capability sets (ambient, inheritable) as root', edit: allFiveSets },
  {
    name: 'all five capability sets as uid 1000 (kept across the user switch)',
    edit: (b) => {
      allFiveSets(b);
      b.setUser({ uid: 1000, gid: 1000 });
    },
  },
  {
    name: 'empty capability sets',
    edit: (b) => setCapabilities(b, { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] }),
  },
  {
    name: 'only a bounding set',
    edit: (b) => setCapabilities(b, { bounding: [...DEFAULT_CAPS, 'CAP_SYS_ADMIN'] }),
  },
  {
    name: 'noNewPrivileges false as root',
    edit: (b) => {
      b.config.process.noNewPrivileges = false;
    },
  },
  {
    name: 'an ERRNO seccomp profile (errnoRet, argument condition, unknown syscall name)',
    edit: (b) => {
      b.config.linux.seccomp = ERRNO_PROFILE;
    },
  },
  {
    name: 'the ERRNO profile without noNewPrivileges as uid 1000 (loaded before the user switch)',
    edit: (b) => {
      b.config.linux.seccomp = ERRNO_PROFILE;
      b.config.process.noNewPrivileges = false;
      b.setUser({ uid: 1000, gid: 1000 });
    },
  },
  {
    name: 'default action ERRNO with defaultErrnoRet, and an allow list',
    edit: (b) => {
      // Everything not listed fails with ENOSYS; the list covers what busybox and the probes need.
      b.config.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 38,
        syscalls: [{ names: ALLOWED_FOR_BUSYBOX, action: 'SCMP_ACT_ALLOW' }],
      };
    },
  },
];

describe('security: husk and runc see the same capabilities and seccomp state', { skip: compareSkipReason() }, () => {
  const context = useTestContext();

  for (const shape of SHAPES) {
    it(shape.name, testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      shape.edit(bundle);
      addSyscallProbe(ctx, bundle);
      const script = `${STATUS}; ${PROBES}`;
      const husk = linesOf(await outputInside(ctx, bundle, script));
      const runc = linesOf(await outputInside(ctx, bundle, script, { runtime: ctx.referenceRunc() }));
      assert.ok(husk.some((line) => line.startsWith('CapBnd:')), husk.join('\n'));
      assert.deepEqual(husk, runc, `${ctx.runtime.name} (actual) vs runc (expected)`);
    });
  }
});

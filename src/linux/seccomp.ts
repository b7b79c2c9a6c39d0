// linux.seccomp → SeccompPlan → BPF program.
//
// Two steps, both in husk before any container process exists:
//   planSeccomp     pure: names to the numbers libseccomp and seccomp(2) take, every mistake a
//                   one-line error naming its JSON path; unit-testable without root or addon.
//   compileSeccomp  libseccomp (through the addon) builds the filter and exports its BPF program;
//                   the child later loads that program with one raw seccomp(2) call.
// Syscall names are left to libseccomp: only it knows which numbers a name has on each
// architecture. A name it does not know is skipped, as runc does (profiles list syscalls newer
// than the running libseccomp); `--debug` lists them.
import { HuskError } from '../errors';
import type { Seccomp } from '../spec/types';
import { didYouMean } from './suggest';

/** SECCOMP_RET_* values (linux/seccomp.h; libseccomp's SCMP_ACT_* are the same numbers). */
export const SECCOMP_ACTIONS: Readonly<Record<string, number>> = {
  SCMP_ACT_KILL: 0x00000000, // = KILL_THREAD: only the calling thread dies
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};

/** Actions whose low 16 bits carry data: the errno returned, or the value a tracer sees. */
const ACTIONS_WITH_DATA = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
/** config-linux.md: errnoRet / defaultErrnoRet default to EPERM (runc uses it for TRACE as well). */
const EPERM = 1;
/** SECCOMP_RET_DATA is 16 bits wide. */
const MAX_ACTION_DATA = 0xffff;

/** enum scmp_compare of libseccomp (seccomp.h). */
export const SECCOMP_OPERATORS: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/**
 * SCMP_ARCH_* → the name seccomp_arch_resolve_name() takes. The last four came with libseccomp
 * 2.6; Debian 12's 2.5.4 does not know them, and compileSeccomp says so for the entry using one.
 */
export const SECCOMP_ARCHITECTURES: Readonly<Record<string, string>> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
  SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_SH: 'sh',
  SCMP_ARCH_SHEB: 'sheb',
};

/** seccomp(2) SECCOMP_FILTER_FLAG_* (linux/seccomp.h). */
export const SECCOMP_FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1 << 0,
  SECCOMP_FILTER_FLAG_LOG: 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 1 << 2,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 1 << 5,
};
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;

/**
 * Syscalls the container side itself makes after loading a filter and before the agent holds the
 * listener: notifying one of them would make the container wait for an answer nobody can give.
 * write is runc's restriction (Go's init reports over a pipe); husk's handover uses the socket calls.
 */
export const SYSCALLS_NOT_NOTIFIABLE = ['write', 'sendmsg', 'sendto', 'recvmsg'] as const;

/** Above this many rules libseccomp builds a binary tree (runc's threshold, see addon/seccomp.c). */
const BINARY_TREE_MIN_RULES = 32;

export interface SeccompCondition {
  /** Syscall argument, 0..5. */
  index: number;
  /** SCMP_CMP_* value. */
  op: number;
  /** uint64 as a decimal string: the config's value (for MASKED_EQ: the mask). */
  value: string;
  /** uint64 as a decimal string (for MASKED_EQ: the value the masked argument must equal). */
  valueTwo: string;
}

/** One seccomp_rule_add: one syscall, one action, conditions ANDed. */
export interface SeccompRule {
  syscall: string;
  action: number;
  conditions: SeccompCondition[];
  /** Index in linux.seccomp.syscalls this rule came from, for messages. */
  source: number;
}

export interface SeccompPlan {
  defaultAction: number;
  /** libseccomp names of the architectures besides the native one, in config order. */
  architectures: string[];
  /** The SCMP_ARCH_* names the config used, same order (for messages). */
  architectureNames: string[];
  rules: SeccompRule[];
  /** Ask libseccomp for a binary tree of syscalls (long profiles). */
  optimize: boolean;
  /** SECCOMP_FILTER_FLAG_* for the child's seccomp(2) call; NEW_LISTENER when a rule notifies. */
  loadFlags: number;
  /**
   * Load before the user switch and the capability changes. Without no_new_privs loading a
   * filter needs CAP_SYS_ADMIN, which the switch may take away (runc orders it the same way);
   * with it, the filter goes in after them, so fewer of husk's own syscalls must pass it.
   */
  loadBeforeUserSwitch: boolean;
  /** linux.seccomp.listenerPath when a rule notifies, "" otherwise. */
  listenerPath: string;
  listenerMetadata: string;
  /** The compiled BPF program (struct sock_filter[]), set by compileSeccomp before the launch. */
  program?: Buffer;
}

export interface SeccompPlanOptions {
  noNewPrivileges: boolean;
  /** Messages worth a --debug line (flags dropped as meaningless here). */
  debug?: (message: string) => void;
}

const AT = 'linux.seccomp';

/** null without linux.seccomp. Throws HuskError naming the JSON path of the first mistake. */
export function planSeccomp(seccomp: Seccomp | undefined, options: SeccompPlanOptions): SeccompPlan | null {
  if (!seccomp) return null;
  const debug = options.debug ?? (() => {});
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet, `${AT}.defaultAction`, `${AT}.defaultErrnoRet`);
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') {
    // The container's own execve would wait for an agent that is not connected yet (runc refuses too).
    throw new HuskError(`${AT}.defaultAction: SCMP_ACT_NOTIFY cannot be the default action; list the syscalls to notify in ${AT}.syscalls`);
  }

  const architectureNames = seccomp.architectures ?? [];
  const architectures = architectureNames.map((name, i) => {
    const libseccompName = SECCOMP_ARCHITECTURES[name];
    if (libseccompName === undefined) {
      throw new HuskError(`${AT}.architectures[${i}]: '${name}' is not a seccomp architecture${didYouMean(name, Object.keys(SECCOMP_ARCHITECTURES))}`);
    }
    return libseccompName;
  });

  const rules: SeccompRule[] = [];
  let notifies = false;
  (seccomp.syscalls ?? []).forEach((entry, index) => {
    const at = `${AT}.syscalls[${index}]`;
    const action = actionValue(entry.action, entry.errnoRet, `${at}.action`, `${at}.errnoRet`);
    if (entry.action === 'SCMP_ACT_NOTIFY') {
      notifies = true;
      const blocked = entry.names.find((name) => (SYSCALLS_NOT_NOTIFIABLE as readonly string[]).includes(name));
      if (blocked) {
        throw new HuskError(`${at}.names: SCMP_ACT_NOTIFY cannot be used for '${blocked}' (husk's own setup makes that call after loading the filter; neither can ${SYSCALLS_NOT_NOTIFIABLE.join(', ')})`);
      }
    }
    const conditionSets = conditionSetsOf(entry.args ?? [], at);
    entry.names.forEach((name, nameIndex) => {
      if (typeof name !== 'string' || name === '') throw new HuskError(`${at}.names[${nameIndex}]: must be a syscall name`);
      // libseccomp refuses a rule whose action is the default one; it would change nothing.
      if (action === defaultAction) return;
      for (const conditions of conditionSets) rules.push({ syscall: name, action, conditions, source: index });
    });
  });

  let loadFlags = 0;
  (seccomp.flags ?? []).forEach((flag, i) => {
    const bit = SECCOMP_FILTER_FLAGS[flag];
    if (bit === undefined) {
      throw new HuskError(`${AT}.flags[${i}]: '${flag}' is not a seccomp filter flag${didYouMean(flag, Object.keys(SECCOMP_FILTER_FLAGS))}`);
    }
    loadFlags |= bit;
  });

  const listenerPath = seccomp.listenerPath ?? '';
  if (seccomp.listenerMetadata && !listenerPath) {
    throw new HuskError(`${AT}.listenerMetadata: needs ${AT}.listenerPath (config-linux.md: MUST NOT be set without it)`);
  }
  if (notifies) {
    if (!listenerPath) throw new HuskError(`${AT}.listenerPath: required with SCMP_ACT_NOTIFY (the agent that answers the notifications listens there)`);
    if (!listenerPath.startsWith('/')) throw new HuskError(`${AT}.listenerPath: '${listenerPath}' must be an absolute path`);
    loadFlags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The container side is single-threaded when it loads the filter, so TSYNC has nothing to
    // synchronise, and the kernel refuses TSYNC together with NEW_LISTENER.
    if (loadFlags & SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC) {
      loadFlags &= ~SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC;
      debug(`${AT}.flags: SECCOMP_FILTER_FLAG_TSYNC dropped (single-threaded process; the kernel refuses it with a listener)`);
    }
  } else if (loadFlags & SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    // It only changes how a notified syscall waits; without a listener the kernel refuses it.
    loadFlags &= ~SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    debug(`${AT}.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV dropped (no SCMP_ACT_NOTIFY rule)`);
  }

  return {
    defaultAction,
    architectures,
    architectureNames,
    rules,
    optimize: rules.length > BINARY_TREE_MIN_RULES,
    loadFlags,
    loadBeforeUserSwitch: !options.noNewPrivileges,
    listenerPath: notifies ? listenerPath : '',
    listenerMetadata: notifies ? (seccomp.listenerMetadata ?? '') : '',
  };
}

/** The SECCOMP_RET_* value of an action with its data (errno) filled in. */
export function actionValue(action: string, errnoRet: number | undefined, actionAt: string, errnoAt: string): number {
  const base = SECCOMP_ACTIONS[action];
  if (base === undefined) {
    throw new HuskError(`${actionAt}: '${action}' is not a seccomp action${didYouMean(action, Object.keys(SECCOMP_ACTIONS))}`);
  }
  if (!ACTIONS_WITH_DATA.has(action)) {
    // config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error and fail."
    if (errnoRet !== undefined) throw new HuskError(`${errnoAt}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ${action}`);
    return base;
  }
  const data = errnoRet ?? EPERM;
  if (!Number.isInteger(data) || data < 0 || data > MAX_ACTION_DATA) {
    throw new HuskError(`${errnoAt}: ${data} does not fit the 16 bits seccomp returns (0..${MAX_ACTION_DATA})`);
  }
  return (base | data) >>> 0;
}

type SpecArg = NonNullable<NonNullable<Seccomp['syscalls']>[number]['args']>[number];

/**
 * The condition lists of one config entry, one rule each. Conditions on different arguments
 * are ANDed in one rule. libseccomp cannot AND two conditions on the same argument, so when a
 * config has them, each condition becomes a rule of its own: ORed. That is runc's reading, and
 * the profiles written for runc rely on it.
 */
function conditionSetsOf(args: readonly SpecArg[], at: string): SeccompCondition[][] {
  if (args.length === 0) return [[]];
  const conditions = args.map((arg, i) => conditionOf(arg, `${at}.args[${i}]`));
  const indexes = new Set(conditions.map((c) => c.index));
  return indexes.size === conditions.length ? [conditions] : conditions.map((c) => [c]);
}

function conditionOf(arg: SpecArg, at: string): SeccompCondition {
  const op = SECCOMP_OPERATORS[arg.op];
  if (op === undefined) {
    throw new HuskError(`${at}.op: '${arg.op}' is not a seccomp operator${didYouMean(arg.op, Object.keys(SECCOMP_OPERATORS))}`);
  }
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new HuskError(`${at}.index: ${arg.index} is not a syscall argument (0..5)`);
  }
  return { index: arg.index, op, value: uint64Text(arg.value, `${at}.value`), valueTwo: uint64Text(arg.valueTwo ?? 0, `${at}.valueTwo`) };
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * A uint64 as decimal text for the addon. JSON numbers above 2^53 reach us already rounded to a
 * double by JSON.parse; 18446744073709551615 rounds to 2^64, which can only have meant 2^64-1.
 */
function uint64Text(value: number, at: string): string {
  if (!Number.isInteger(value) || value < 0) throw new HuskError(`${at}: ${value} is not an unsigned 64-bit integer`);
  const big = BigInt(value);
  if (big === UINT64_MAX + 1n) return UINT64_MAX.toString();
  if (big > UINT64_MAX) throw new HuskError(`${at}: ${value} does not fit in 64 bits`);
  return big.toString();
}

/** What compileSeccomp needs from the addon (injectable for tests). */
export interface SeccompCompiler {
  compileSeccomp(filter: {
    defaultAction: number;
    architectures: string[];
    rules: SeccompRule[];
    optimize: boolean;
  }): { program: Buffer; unknownRules: number[] };
}

/**
 * Build the BPF program with libseccomp and store it in plan.program. Names libseccomp does not
 * know are skipped (debug line); anything else it refuses is a HuskError naming the config entry.
 */
export function compileSeccomp(plan: SeccompPlan, compiler: SeccompCompiler, debug: (message: string) => void = () => {}): Buffer {
  let compiled;
  try {
    compiled = compiler.compileSeccomp({
      defaultAction: plan.defaultAction,
      architectures: plan.architectures,
      rules: plan.rules,
      optimize: plan.optimize,
    });
  } catch (err) {
    throw new HuskError(explainCompileError(plan, err as Error & { failedRule?: number; failedArchitecture?: number }));
  }
  if (compiled.unknownRules.length > 0) {
    const names = [...new Set(compiled.unknownRules.map((i) => plan.rules[i].syscall))];
    debug(`${AT}: syscalls unknown to libseccomp, skipped: ${names.join(', ')}`);
  }
  // BPF_MAXINSNS: the kernel refuses longer classic BPF programs.
  if (compiled.program.length / 8 > 4096) {
    throw new HuskError(`${AT}: the compiled filter has ${compiled.program.length / 8} instructions; the kernel takes at most 4096`);
  }
  plan.program = compiled.program;
  return compiled.program;
}

function explainCompileError(plan: SeccompPlan, err: Error & { failedRule?: number; failedArchitecture?: number }): string {
  const reason = err.message.replace(/^libseccomp: /, '');
  if (err.failedArchitecture !== undefined && err.failedArchitecture >= 0) {
    const name = plan.architectureNames[err.failedArchitecture];
    return `${AT}.architectures[${err.failedArchitecture}]: ${name} is not supported by this host's libseccomp (${reason})`;
  }
  if (err.failedRule !== undefined && err.failedRule >= 0) {
    const rule = plan.rules[err.failedRule];
    return `${AT}.syscalls[${rule.source}]: libseccomp refused the rule for '${rule.syscall}': ${reason}`;
  }
  return `${AT}: libseccomp could not build the filter: ${reason}`;
}

/** runtime-spec config-linux.md "The Container Process State": what the seccomp agent receives. */
export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  pid: number;
  metadata?: string;
  state: { ociVersion: string; id: string; status: string; pid?: number; bundle: string; annotations?: Record<string, string> };
}

export function containerProcessState(plan: SeccompPlan, pid: number, state: ContainerProcessState['state']): ContainerProcessState {
  return {
    ociVersion: state.ociVersion,
    fds: ['seccompFd'],
    pid,
    ...(plan.listenerMetadata ? { metadata: plan.listenerMetadata } : {}),
    state,
  };
}

/**
 * Give the listener fd to the agent at listenerPath, with the container process state. A failure
 * is the container's failure: the spec says "If sending to this socket fails, the runtime MUST
 * generate an error", and notified syscalls would hang without an agent.
 */
export function sendListenerToAgent(
  plan: SeccompPlan,
  listenerFd: number,
  processState: ContainerProcessState,
  send: (listenerPath: string, fd: number, stateJson: string) => void,
): void {
  try {
    send(plan.listenerPath, listenerFd, JSON.stringify(processState));
  } catch (err) {
    throw new HuskError(`${AT}.listenerPath: ${(err as Error).message}`);
  }
}

// process.rlimits → setrlimit(2) calls, with limits as decimal strings (2^64-1 does not survive
// a JS number).
import type { Rlimit } from './plan';
import type { Rlimit as SpecRlimit } from '../spec/types';
import { HuskError } from '../errors';
import * as k from './constants';
import { didYouMean } from './suggest';
import type { HostProbe } from './host-probe';

export const RLIMIT_OF_NAME: Readonly<Record<string, number>> = {
  RLIMIT_CPU: k.RLIMIT_CPU,
  RLIMIT_FSIZE: k.RLIMIT_FSIZE,
  RLIMIT_DATA: k.RLIMIT_DATA,
  RLIMIT_STACK: k.RLIMIT_STACK,
  RLIMIT_CORE: k.RLIMIT_CORE,
  RLIMIT_RSS: k.RLIMIT_RSS,
  RLIMIT_NPROC: k.RLIMIT_NPROC,
  RLIMIT_NOFILE: k.RLIMIT_NOFILE,
  RLIMIT_MEMLOCK: k.RLIMIT_MEMLOCK,
  RLIMIT_AS: k.RLIMIT_AS,
  RLIMIT_LOCKS: k.RLIMIT_LOCKS,
  RLIMIT_SIGPENDING: k.RLIMIT_SIGPENDING,
  RLIMIT_MSGQUEUE: k.RLIMIT_MSGQUEUE,
  RLIMIT_NICE: k.RLIMIT_NICE,
  RLIMIT_RTPRIO: k.RLIMIT_RTPRIO,
  RLIMIT_RTTIME: k.RLIMIT_RTTIME,
};

/** What the host allows: a hard limit above husk's own fails with EPERM in the child. */
export interface RlimitCeiling {
  /** husk's own hard limit for a resource (decimal string), or null if unknown. */
  hardLimitOf(resource: number): string | null;
  /**
   * Whether the child may raise a hard limit: needs CAP_SYS_RESOURCE in the initial user
   * namespace, so never from inside a new user namespace.
   */
  mayRaiseHardLimits: boolean;
  /** Why it may not, for the message: "husk lacks CAP_SYS_RESOURCE" or similar. */
  whyNot: string;
  /** fs.nr_open: RLIMIT_NOFILE can never exceed it. */
  maxOpenFiles: number;
}

// 2^64-1 as a double rounds to 2^64; anything from there up is "unlimited".
const UNLIMITED_AS_NUMBER = 2 ** 64 - 1;

/**
 * A limit from config.json as the decimal text of a uint64. JSON.parse already rounded values
 * above 2^53, so large values are approximate; values at or above ~2^64-1 mean RLIM_INFINITY.
 * Null when the value is not a non-negative whole number.
 */
export function rlimitValueText(value: number): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return null;
  if (value >= UNLIMITED_AS_NUMBER) return k.RLIM_INFINITY;
  return BigInt(value).toString();
}

function describeLimit(text: string): string {
  return text === k.RLIM_INFINITY ? 'unlimited' : text;
}

/** Plan process.rlimits. `ceiling` null skips the host checks (unit tests, or unknown host). */
export function planRlimits(rlimits: SpecRlimit[] | undefined, ceiling: RlimitCeiling | null): Rlimit[] {
  const firstIndexOf = new Map<string, number>();
  return (rlimits ?? []).map((rlimit, index) => {
    const where = `process.rlimits[${index}]`;
    const resource = RLIMIT_OF_NAME[rlimit.type];
    if (resource === undefined) {
      throw new HuskError(`${where}.type: '${rlimit.type}' is not a resource limit${didYouMean(rlimit.type, Object.keys(RLIMIT_OF_NAME))}`);
    }
    // runtime-spec config.md: "If rlimits contains duplicated entries with same type, the runtime
    // MUST generate an error." (runc 1.1 silently lets the last one win.)
    const earlier = firstIndexOf.get(rlimit.type);
    if (earlier !== undefined) throw new HuskError(`${where}.type: '${rlimit.type}' listed twice (also process.rlimits[${earlier}])`);
    firstIndexOf.set(rlimit.type, index);

    const soft = rlimitValueText(rlimit.soft);
    if (soft === null) throw new HuskError(`${where}.soft: ${rlimit.soft} is not a non-negative whole number`);
    const hard = rlimitValueText(rlimit.hard);
    if (hard === null) throw new HuskError(`${where}.hard: ${rlimit.hard} is not a non-negative whole number`);
    // setrlimit fails with EINVAL when soft > hard; runc reports only "invalid argument".
    if (BigInt(soft) > BigInt(hard)) {
      throw new HuskError(`${where}: soft limit ${describeLimit(soft)} is above hard limit ${describeLimit(hard)}`);
    }
    if (ceiling) checkCeiling(rlimit.type, resource, hard, ceiling, where);
    return { resource, soft, hard };
  });
}

function checkCeiling(name: string, resource: number, hard: string, ceiling: RlimitCeiling, where: string): void {
  if (resource === k.RLIMIT_NOFILE && BigInt(hard) > BigInt(ceiling.maxOpenFiles)) {
    throw new HuskError(
      `${where}.hard: ${describeLimit(hard)} is above the kernel's maximum for RLIMIT_NOFILE (fs.nr_open = ${ceiling.maxOpenFiles})`,
    );
  }
  if (ceiling.mayRaiseHardLimits) return;
  const own = ceiling.hardLimitOf(resource);
  if (own !== null && BigInt(hard) > BigInt(own)) {
    throw new HuskError(
      `${where}.hard: ${describeLimit(hard)} is above husk's own hard limit for ${name} (${describeLimit(own)}), ` +
        `and ${ceiling.whyNot}`,
    );
  }
}

/**
 * The child sets the rlimits; raising a hard limit above husk's own needs CAP_SYS_RESOURCE in the
 * initial user namespace, which a child born in (or joining) a user namespace never has.
 */
export function rlimitCeiling(probe: HostProbe, newUserNamespace: boolean): RlimitCeiling {
  const canRaise = probe.canRaiseHardLimits();
  return {
    hardLimitOf: (resource) => probe.hardLimitOf(resource),
    mayRaiseHardLimits: canRaise && !newUserNamespace,
    whyNot: canRaise
      ? 'the container process, in a new user namespace, cannot raise it'
      : 'husk lacks CAP_SYS_RESOURCE to raise it',
    maxOpenFiles: probe.maxOpenFiles(),
  };
}

// linux.namespaces and linux.timeOffsets → which namespaces clone3 creates, which the child
// joins by path (and in which order), and the offsets of a new time namespace.
import * as fs from 'fs';
import type { NamespaceJoin, TimeOffsets } from './plan';
import type { Linux, NamespaceType } from '../spec/types';
import { HuskError, describeSystemError } from '../errors';
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
} from './constants';

export const CLONE_FLAG_OF_NAMESPACE: Readonly<Record<NamespaceType, number>> = {
  mount: CLONE_NEWNS,
  pid: CLONE_NEWPID,
  network: CLONE_NEWNET,
  ipc: CLONE_NEWIPC,
  uts: CLONE_NEWUTS,
  user: CLONE_NEWUSER,
  cgroup: CLONE_NEWCGROUP,
  time: CLONE_NEWTIME,
};

/**
 * The order in which namespaces are joined: user first, because joining it grants the
 * capabilities needed to join the others (runc keeps the same order: configs.NamespaceTypes).
 * Mount comes late: setns into a mount namespace changes the root and cwd used for later paths,
 * which are all opened in the parent before clone anyway.
 */
const JOIN_ORDER: readonly NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'mount', 'cgroup', 'time'];

/** The clocks a time namespace can offset (time_namespaces(7)). */
const OFFSETTABLE_CLOCKS = ['monotonic', 'boottime'] as const;

/** How the container's namespaces differ from husk's own. */
export interface NamespaceSetup {
  /** CLONE_NEW* bits of every namespace created new, CLONE_NEWUSER included. */
  created: number;
  /** CLONE_NEW* bits of every namespace joined by path. */
  joined: number;
  /** Index in linux.namespaces of each listed type, for error messages that point at the entry. */
  indexOf: Partial<Record<NamespaceType, number>>;
  /** Namespaces to join, in join order. */
  joins: NamespaceJoin[];
  /** Offsets for a new time namespace; null when there are none to write. */
  timeOffsets: TimeOffsets | null;
}

/** Whether the container gets a new namespace of this kind. */
export function createsNamespace(setup: NamespaceSetup, cloneFlag: number): boolean {
  return (setup.created & cloneFlag) !== 0;
}

/** Whether the container has a namespace of this kind other than husk's (created or joined). */
export function hasOwnNamespace(setup: NamespaceSetup, cloneFlag: number): boolean {
  return ((setup.created | setup.joined) & cloneFlag) !== 0;
}

/**
 * Plan linux.namespaces. A type absent from the list means the container shares husk's namespace
 * of that type (runtime-spec config-linux.md "Namespaces").
 * `namespaceTypeOf` returns the CLONE_NEW* type of a namespace file and throws for other files
 * (the addon's NS_GET_NSTYPE ioctl in production).
 */
export function planNamespaces(linux: Linux | undefined, namespaceTypeOf: (nsPath: string) => number): NamespaceSetup {
  const setup: NamespaceSetup = { created: 0, joined: 0, indexOf: {}, joins: [], timeOffsets: null };
  const joinPaths = new Map<NamespaceType, string>();

  (linux?.namespaces ?? []).forEach((namespace, index) => {
    const where = `linux.namespaces[${index}]`;
    const cloneFlag = CLONE_FLAG_OF_NAMESPACE[namespace.type];
    if (cloneFlag === undefined) {
      const known = Object.keys(CLONE_FLAG_OF_NAMESPACE).join(', ');
      throw new HuskError(`${where}.type: '${namespace.type}' is not a namespace type (known: ${known})`);
    }
    const earlier = setup.indexOf[namespace.type];
    if (earlier !== undefined) {
      throw new HuskError(`${where}: '${namespace.type}' listed twice (also linux.namespaces[${earlier}])`);
    }
    setup.indexOf[namespace.type] = index;

    // An empty path means "create", as in runc: Go configs cannot tell "" from absent.
    if (namespace.path === undefined || namespace.path === '') {
      setup.created |= cloneFlag;
      return;
    }
    checkNamespaceFile(namespace.path, namespace.type, `${where}.path`, namespaceTypeOf);
    setup.joined |= cloneFlag;
    joinPaths.set(namespace.type, namespace.path);
  });

  for (const type of JOIN_ORDER) {
    const nsPath = joinPaths.get(type);
    if (nsPath !== undefined) setup.joins.push({ cloneFlag: CLONE_FLAG_OF_NAMESPACE[type], path: nsPath });
  }
  setup.timeOffsets = planTimeOffsets(linux?.timeOffsets, setup);
  return setup;
}

function checkNamespaceFile(
  nsPath: string,
  type: NamespaceType,
  where: string,
  namespaceTypeOf: (nsPath: string) => number,
): void {
  // runtime-spec: "This value MUST be an absolute path in the runtime mount namespace."
  if (!nsPath.startsWith('/')) throw new HuskError(`${where}: '${nsPath}' must be an absolute path`);
  try {
    fs.statSync(nsPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HuskError(`${where}: ${nsPath} does not exist`);
    throw new HuskError(`${where}: cannot use ${nsPath}: ${describeSystemError(err)}`);
  }
  let actualFlag: number;
  try {
    actualFlag = namespaceTypeOf(nsPath);
  } catch (err) {
    // A missing or broken addon is husk's problem, not the config's: let it through as it is.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_DLOPEN_FAILED') throw err;
    throw new HuskError(`${where}: ${nsPath} is not a namespace file`);
  }
  // runtime-spec: the runtime MUST generate an error if path is not a namespace of type `type`.
  if (actualFlag !== CLONE_FLAG_OF_NAMESPACE[type]) {
    const actualType = (Object.keys(CLONE_FLAG_OF_NAMESPACE) as NamespaceType[]).find(
      (t) => CLONE_FLAG_OF_NAMESPACE[t] === actualFlag,
    );
    const actual = actualType ? `a ${actualType} namespace` : 'a namespace of another type';
    throw new HuskError(`${where}: ${nsPath} is ${actual}, not a ${type} namespace`);
  }
}

/**
 * linux.timeOffsets → offsets written to /proc/<pid>/timens_offsets. They can only be set on a
 * namespace no process has entered yet, so they need a new time namespace; runc errors likewise
 * ("time namespace offsets specified, but time namespace isn't enabled in the config").
 */
function planTimeOffsets(offsets: Linux['timeOffsets'], setup: NamespaceSetup): TimeOffsets | null {
  const clocks = Object.keys(offsets ?? {});
  if (!offsets || clocks.length === 0) return null;
  const timeIndex = setup.indexOf.time;
  if (!createsNamespace(setup, CLONE_NEWTIME)) {
    const why =
      timeIndex === undefined
        ? 'add {"type": "time"} to linux.namespaces'
        : `linux.namespaces[${timeIndex}] joins an existing one, whose offsets are fixed`;
    throw new HuskError(`linux.timeOffsets: offsets need a new time namespace; ${why}`);
  }
  const planned: TimeOffsets = { monotonicSecs: 0, monotonicNanosecs: 0, boottimeSecs: 0, boottimeNanosecs: 0 };
  for (const clock of clocks) {
    const where = `linux.timeOffsets.${clock}`;
    if (!(OFFSETTABLE_CLOCKS as readonly string[]).includes(clock)) {
      throw new HuskError(`${where}: a time namespace can offset only ${OFFSETTABLE_CLOCKS.join(' and ')}`);
    }
    const { secs = 0, nanosecs = 0 } = offsets[clock];
    if (!Number.isSafeInteger(secs)) throw new HuskError(`${where}.secs: ${secs} is not a whole number of seconds`);
    // The kernel rejects nanoseconds outside [0, 1e9) with EINVAL.
    if (!Number.isInteger(nanosecs) || nanosecs < 0 || nanosecs >= 1e9) {
      throw new HuskError(`${where}.nanosecs: ${nanosecs} is not between 0 and 999999999`);
    }
    if (clock === 'monotonic') {
      planned.monotonicSecs = secs;
      planned.monotonicNanosecs = nanosecs;
    } else {
      planned.boottimeSecs = secs;
      planned.boottimeNanosecs = nanosecs;
    }
  }
  return planned;
}

// Rules for config.json "linux" that the JSON schema cannot express: how namespaces, id
// mappings, time offsets, sysctls, network devices and the memory policy fit together.

import { IPC_NAMESPACED_SYSCTLS, TIME_NAMESPACE_CLOCKS, listValues } from './known-values';
import { checkIdMappingSizes } from './rules-config';
import {
  NETDEV_NAME_RULE,
  ProblemList,
  addNamespaceHint,
  isAbsolutePath,
  isIdList,
  isValidNetdevName,
  notAbsolute,
  notAnIdList,
} from './rules-common';
import { checkResources } from './rules-resources';
import { checkSeccomp } from './rules-seccomp';
import { Linux, Namespace, Spec } from './types';

export function checkLinux(spec: Spec, problems: ProblemList): void {
  const linux = spec.linux;
  if (!linux) return;
  const namespaces = linux.namespaces ?? [];
  checkNamespaceList(namespaces, problems);
  checkUserNamespaceMappings(linux, namespaces, problems);
  checkTimeOffsets(linux, namespaces, problems);
  checkDevices(linux, problems);
  checkContainerPaths(linux, 'maskedPaths', problems);
  checkContainerPaths(linux, 'readonlyPaths', problems);
  checkSysctls(spec, namespaces, problems);
  checkNetDevices(linux, namespaces, problems);
  checkMemoryPolicy(linux, problems);
  checkIntelRdt(linux, problems);
  if (linux.resources) checkResources(linux.resources, ['linux', 'resources'], problems);
  if (linux.seccomp) checkSeccomp(linux.seccomp, ['linux', 'seccomp'], problems);
}

// config-linux.md: duplicated types MUST be an error; a path MUST be absolute.
function checkNamespaceList(namespaces: readonly Namespace[], problems: ProblemList): void {
  const firstIndexByType = new Map<string, number>();
  namespaces.forEach((namespace, index) => {
    const first = firstIndexByType.get(namespace.type);
    if (first !== undefined) {
      problems.add(['linux', 'namespaces', index, 'type'], `'${namespace.type}' is already listed in linux.namespaces[${first}]`);
    } else {
      firstIndexByType.set(namespace.type, index);
    }
    if (namespace.path !== undefined) {
      problems.check(isAbsolutePath(namespace.path), ['linux', 'namespaces', index, 'path'], notAbsolute(namespace.path));
    }
  });
}

function findNamespace(namespaces: readonly Namespace[], type: string): Namespace | undefined {
  return namespaces.find((namespace) => namespace.type === type);
}

// A new user namespace without mappings leaves every id unmapped (the process runs as the
// overflow uid and cannot set itself up); mappings without a user namespace have nowhere to go.
// runc refuses both.
function checkUserNamespaceMappings(linux: Linux, namespaces: readonly Namespace[], problems: ProblemList): void {
  const userNamespace = findNamespace(namespaces, 'user');
  for (const field of ['uidMappings', 'gidMappings'] as const) {
    const mappings = linux[field] ?? [];
    checkIdMappingSizes(mappings, ['linux', field], problems);
    if (userNamespace === undefined && mappings.length > 0) {
      problems.add(['linux', field], `needs a user namespace; ${addNamespaceHint('user')}`);
    } else if (userNamespace !== undefined && userNamespace.path === undefined && mappings.length === 0) {
      problems.add(['linux'], `missing required field '${field}'; a new user namespace needs it`);
    }
  }
}

const NANOSECONDS_PER_SECOND = 1_000_000_000;

// time_namespaces(7): offsets exist for two clocks, are written once into a new time namespace,
// and the nanosecond part is below one second.
function checkTimeOffsets(linux: Linux, namespaces: readonly Namespace[], problems: ProblemList): void {
  const offsets = linux.timeOffsets;
  if (!offsets || Object.keys(offsets).length === 0) return;
  const timeNamespace = findNamespace(namespaces, 'time');
  if (timeNamespace === undefined) {
    problems.add(['linux', 'timeOffsets'], `needs a time namespace; ${addNamespaceHint('time')}`);
  } else if (timeNamespace.path !== undefined) {
    problems.add(['linux', 'timeOffsets'], 'can only be set for a new time namespace, not one joined by path');
  }
  for (const [clock, offset] of Object.entries(offsets)) {
    const at = ['linux', 'timeOffsets', clock];
    if (!(TIME_NAMESPACE_CLOCKS as readonly string[]).includes(clock)) {
      problems.add(at, `'${clock}' is not a clock a time namespace can offset; expected one of ${listValues(TIME_NAMESPACE_CLOCKS)}`);
    }
    const nanoseconds = offset.nanosecs ?? 0;
    problems.check(nanoseconds < NANOSECONDS_PER_SECOND, [...at, 'nanosecs'], `expected less than ${NANOSECONDS_PER_SECOND}, got ${nanoseconds}`);
  }
}

// config-linux.md: path is the "full path to device inside container"; major and minor are
// "REQUIRED unless type is p".
function checkDevices(linux: Linux, problems: ProblemList): void {
  (linux.devices ?? []).forEach((device, index) => {
    const at = ['linux', 'devices', index];
    problems.check(isAbsolutePath(device.path), [...at, 'path'], notAbsolute(device.path));
    if (device.type === 'p') return;
    for (const field of ['major', 'minor'] as const) {
      problems.check(device[field] !== undefined, at, `missing required field '${field}'; device type '${device.type}' needs major and minor`);
    }
  });
}

// config-linux.md: masked and read-only paths "MUST be absolute paths".
function checkContainerPaths(linux: Linux, field: 'maskedPaths' | 'readonlyPaths', problems: ProblemList): void {
  (linux[field] ?? []).forEach((path, index) => {
    problems.check(isAbsolutePath(path), ['linux', field, index], notAbsolute(path));
  });
}

// Only namespaced sysctls may be set: anything else would change the host for everyone. This
// follows runc's validator (IPC sysctls and fs.mqueue.* need an IPC namespace, net.* a network
// namespace, kernel.hostname/domainname a UTS namespace, everything else is refused).
function checkSysctls(spec: Spec, namespaces: readonly Namespace[], problems: ProblemList): void {
  const has = (type: string) => findNamespace(namespaces, type) !== undefined;
  for (const name of Object.keys(spec.linux?.sysctl ?? {})) {
    const at = ['linux', 'sysctl', name];
    // runc accepts the /proc/sys path form ("net/ipv4/ip_forward") as well.
    const key = name.replace(/\//g, '.');
    if ((IPC_NAMESPACED_SYSCTLS as readonly string[]).includes(key) || key.startsWith('fs.mqueue.')) {
      problems.check(has('ipc'), at, `needs an IPC namespace; ${addNamespaceHint('ipc')}`);
    } else if (key.startsWith('net.')) {
      problems.check(has('network'), at, `needs a network namespace; ${addNamespaceHint('network')}`);
    } else if (key === 'kernel.hostname') {
      problems.add(at, "set the 'hostname' field instead");
    } else if (key === 'kernel.domainname') {
      if (problems.check(has('uts'), at, `needs a UTS namespace; ${addNamespaceHint('uts')}`)) {
        problems.check(!spec.domainname, at, "conflicts with the 'domainname' field");
      }
    } else {
      problems.add(at, 'not isolated by any namespace, so setting it would change the host');
    }
  }
}

// config-linux.md "Network Devices" (runtime-spec 1.2): devices move into the container's network
// namespace, so there must be one, and both names must be valid, distinct interface names.
function checkNetDevices(linux: Linux, namespaces: readonly Namespace[], problems: ProblemList): void {
  const devices = linux.netDevices;
  if (!devices || Object.keys(devices).length === 0) return;
  problems.check(findNamespace(namespaces, 'network') !== undefined, ['linux', 'netDevices'], `needs a network namespace; ${addNamespaceHint('network')}`);
  const hostNameByContainerName = new Map<string, string>();
  for (const [hostName, device] of Object.entries(devices)) {
    const at = ['linux', 'netDevices', hostName];
    problems.check(isValidNetdevName(hostName), at, `'${hostName}' is not a valid interface name; ${NETDEV_NAME_RULE}`);
    const containerName = device.name || hostName;
    if (device.name) {
      problems.check(isValidNetdevName(device.name), [...at, 'name'], `'${device.name}' is not a valid interface name; ${NETDEV_NAME_RULE}`);
    }
    const taken = hostNameByContainerName.get(containerName);
    if (taken !== undefined) {
      problems.add(at, `would be named '${containerName}' in the container, like linux.netDevices[${JSON.stringify(taken)}]`);
    } else {
      hostNameByContainerName.set(containerName, hostName);
    }
  }
}

const MODES_WITHOUT_NODES = ['MPOL_DEFAULT', 'MPOL_LOCAL'];
const MODES_NEEDING_NODES = ['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'];
const NUMA_BALANCING_MODES = ['MPOL_BIND', 'MPOL_PREFERRED_MANY'];

// config-linux.md "Memory policy" (runtime-spec 1.3) plus what set_mempolicy(2) rejects with
// EINVAL: which modes take nodes and flags, and which flags exclude each other.
function checkMemoryPolicy(linux: Linux, problems: ProblemList): void {
  const policy = linux.memoryPolicy;
  if (!policy) return;
  const at = ['linux', 'memoryPolicy'];
  const nodes = policy.nodes ?? '';
  const flags = policy.flags ?? [];
  if (!problems.check(isIdList(nodes), [...at, 'nodes'], notAnIdList(nodes, 'memory node'))) return;
  if (MODES_WITHOUT_NODES.includes(policy.mode)) {
    problems.check(nodes.trim() === '', [...at, 'nodes'], `${policy.mode} takes no nodes`);
    problems.check(flags.length === 0, [...at, 'flags'], `${policy.mode} takes no flags`);
    return;
  }
  if (MODES_NEEDING_NODES.includes(policy.mode)) {
    problems.check(nodes.trim() !== '', at, `missing required field 'nodes'; ${policy.mode} needs at least one node`);
  }
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    problems.add([...at, 'flags'], 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined');
  }
  if (flags.includes('MPOL_F_NUMA_BALANCING')) {
    problems.check(NUMA_BALANCING_MODES.includes(policy.mode), [...at, 'flags'], `MPOL_F_NUMA_BALANCING only works with ${NUMA_BALANCING_MODES.join(' or ')}, not ${policy.mode}`);
  }
}

// closID names a directory under /sys/fs/resctrl; a '/' or '..' would escape it.
function checkIntelRdt(linux: Linux, problems: ProblemList): void {
  const closId = linux.intelRdt?.closID;
  if (typeof closId !== 'string') return;
  const valid = closId !== '' && closId !== '.' && closId !== '..' && !closId.includes('/');
  problems.check(valid, ['linux', 'intelRdt', 'closID'], `'${closId}' is not a resctrl group name; it must not be empty, '.', '..' or contain '/'`);
}

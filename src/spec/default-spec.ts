// The config `husk spec` writes: runc's `runc spec` / `runc spec --rootless` example (checked
// against runc 1.1.5), with the few deliberate differences marked "husk:".

import { Linux, Mount, Spec } from './types';
import { SPEC_VERSION } from './versions';

export interface DefaultSpecOptions {
  /** Like `runc spec --rootless`: a user namespace mapping the caller to root, no cgroup rules. */
  rootless: boolean;
  /** The container's command; default ["sh"], as runc. */
  args?: string[];
  /** Host ids mapped to root in rootless mode; default the caller's effective uid/gid (as runc). */
  hostUid?: number;
  hostGid?: number;
}

const DEFAULT_CAPABILITIES = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
  // husk: also hide the RAPL energy counters, which leak what other tenants compute
  // (CVE-2020-8694); containerd's default spec masks this path too.
  '/sys/devices/virtual/powercap',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function defaultSpec(options: DefaultSpecOptions): Spec {
  const capabilities = DEFAULT_CAPABILITIES;
  return {
    // husk: the spec version husk implements, where runc 1.1 writes "1.0.2-dev".
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: options.args ? [...options.args] : ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...capabilities],
        effective: [...capabilities],
        permitted: [...capabilities],
        ambient: [...capabilities],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    // husk: the runtime's own name, as runc writes "runc".
    hostname: 'husk',
    mounts: defaultMounts(options.rootless),
    linux: options.rootless ? rootlessLinux(options) : rootfulLinux(),
  };
}

function defaultMounts(rootless: boolean): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      // Rootless: group 5 (tty) is not mapped into the user namespace, so gid=5 would fail.
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // Rootless: without a network namespace of its own the container may not mount sysfs, so
    // it gets a read-only recursive bind of the host's /sys.
    rootless
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function rootfulLinux(): Linux {
  return {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
}

// Rootless: no network namespace (an unprivileged user could not configure one anyway, and the
// host network stays usable), a user namespace mapping the caller to root, and no device cgroup
// rules (an unprivileged user cannot write them).
function rootlessLinux(options: DefaultSpecOptions): Linux {
  const hostUid = options.hostUid ?? process.geteuid?.() ?? 0;
  const hostGid = options.hostGid ?? process.getegid?.() ?? 0;
  return {
    uidMappings: [{ containerID: 0, hostID: hostUid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: hostGid, size: 1 }],
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
}

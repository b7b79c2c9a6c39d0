// The fuzzer's material: base configs (runc spec and husk spec are generated at test time; the
// Podman- and containerd-like ones are written here, shaped like what those engines pass to a
// runtime), and seeded mutations of JSON values and of raw text. Everything is reproducible
// from the seed (HUSK_FUZZ_SEED) and the case number.
import { Random } from './harness';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A config shaped like what Podman 4 passes to its runtime (cgroupfs manager, no seccomp). */
export function podmanLikeConfig(bundleDir: string, cgroupParent: string): Json {
  const caps = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
    'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
  ];
  return {
    ociVersion: '1.1.0',
    process: {
      user: { uid: 0, gid: 0, umask: 18, additionalGids: [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27] },
      args: ['true'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'container=podman', 'HOSTNAME=fuzz', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }, { type: 'RLIMIT_NPROC', hard: 4096, soft: 4096 }],
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs' },
    hostname: 'fuzz',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/etc/hostname', type: 'bind', source: `${bundleDir}/hostname`, options: ['bind', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: `${bundleDir}/resolv.conf`, options: ['bind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: `${bundleDir}/hosts`, options: ['bind', 'rprivate'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['rw', 'nosuid', 'nodev', 'noexec', 'relatime', 'size=64000k'] },
      { destination: '/run/.containerenv', type: 'bind', source: `${bundleDir}/containerenv`, options: ['bind', 'rprivate'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    annotations: {
      'io.container.manager': 'libpod',
      'io.podman.annotations.autoremove': 'FALSE',
      'org.opencontainers.image.stopSignal': '15',
    },
    linux: {
      sysctl: { 'net.ipv4.ping_group_range': '0 0' },
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        pids: { limit: 2048 },
      },
      cgroupsPath: `${cgroupParent}/libpod-fuzz`,
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['kexec_load', 'open_by_handle_at', 'reboot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      },
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
    hooks: { prestart: [{ path: '/bin/true', args: ['true'], timeout: 10 }] },
  };
}

/** A config shaped like containerd's default spec (ctr run): cgroupsPath /<namespace>/<id>. */
export function containerdLikeConfig(cgroupParent: string): Json {
  const caps = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
    'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ];
  return {
    ociVersion: '1.1.0',
    process: {
      user: { uid: 0, gid: 0, additionalGids: [0, 10] },
      args: ['true'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
          { allow: true, type: 'c', major: 136, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
        ],
        memory: { limit: 268435456 },
        cpu: { shares: 512, quota: 50000, period: 100000 },
      },
      cgroupsPath: `${cgroupParent}/ctr-fuzz`,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Podman's exec process.json (what `podman exec` writes for `runc exec --process`). */
export function execProcessBase(): Json {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID'];
  return {
    terminal: false,
    user: { uid: 0, gid: 0, additionalGids: [0, 10] },
    args: ['true'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'HOME=/root'],
    cwd: '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
    oomScoreAdj: 0,
  };
}

type Path = Array<string | number>;

export interface Mutation {
  /** Where it happened ("process.args[0]"), or "(text)" for a raw text mutation. */
  where: string;
  what: string;
}

export function pathText(path: Path): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function allPaths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length >= 12) return out;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push([...prefix, index]);
      allPaths(item, [...prefix, index], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      allPaths(item, [...prefix, key], out);
    }
  }
  return out;
}

function getAt(root: Json, path: Path): Json {
  let node = root;
  for (const part of path) node = (node as Record<string | number, Json>)[part];
  return node;
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete (parent as Record<string, Json>)[last as string];
  } else {
    (parent as Record<string | number, Json>)[last] = value;
  }
}

function nested(depth: number): Json {
  let value: Json = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Values that break assumptions: wrong types, extremes, hostile strings, deep and wide structures. */
function strangeValue(random: Random): Json {
  const choices: Array<() => Json> = [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 31,
    () => 2 ** 32 + 7,
    () => Number.MAX_SAFE_INTEGER + 2,
    () => -(2 ** 63),
    () => 1e308,
    () => '',
    () => 'x',
    () => 'A'.repeat(70_000),
    () => '../../../../../../etc/passwd',
    () => '/proc/self/fd/0',
    () => 'a\u0000b',
    () => '💥\u202e',
    () => '%s%n%x',
    () => ' \t\n',
    () => '-1',
    () => '/',
    () => ({}),
    () => [],
    () => [null],
    () => ({ unknownField: { deeper: [1, 'two'] } }),
    () => nested(2000),
    () => Array.from({ length: 5000 }, (_, i) => i),
    () => Array.from({ length: 2000 }, () => 'CAP_KILL'),
  ];
  return random.pick(choices)();
}

/** A change that keeps the type: numbers nudged, strings cut or grown, arrays emptied or doubled. */
function tweakedValue(value: Json, random: Random): Json | undefined {
  if (typeof value === 'number') return random.pick([value + 1, value - 1, -value, value * 1048576, Math.floor(value / 2), 0]);
  if (typeof value === 'string') {
    return random.pick([
      value.slice(0, Math.max(0, value.length - 1)),
      value + value,
      value.toUpperCase(),
      `${value}/..`,
      `${value}\u0000`,
      value.replace(/[aeiou]/, 'x'),
      ` ${value}`,
    ]);
  }
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) {
    return random.pick<() => Json>([
      () => [],
      () => [...value, ...value],
      () => [...value].reverse(),
      () => [value[0] ?? null, value[0] ?? null],
    ])();
  }
  if (value !== null && typeof value === 'object') {
    const copy: { [key: string]: Json } = { ...value };
    copy[random.pick(['unknown', 'Type', 'options ', '$ref', '__proto__x'])] = strangeValue(random);
    return copy;
  }
  return undefined;
}

/**
 * Apply 1-3 mutations to a deep copy of `base`; `keep` refuses paths whose change would aim the
 * test at the host rather than at husk (see fuzz.test.ts).
 */
export function mutateJson(base: Json, random: Random, keep: (path: string) => boolean = () => true): { value: Json; mutations: Mutation[] } {
  const value = JSON.parse(JSON.stringify(base)) as Json;
  const mutations: Mutation[] = [];
  const count = 1 + random.int(3);
  for (let n = 0; n < count; n++) {
    // Not inside what an earlier mutation nested deeply (JSON.stringify itself would overflow).
    const paths = allPaths(value).filter((p) => keep(pathText(p)));
    if (paths.length === 0) break;
    const target = random.pick(paths);
    const where = pathText(target);
    const operation = random.int(10);
    if (operation < 2) {
      setAt(value, target, undefined);
      mutations.push({ where, what: 'removed' });
    } else if (operation < 6) {
      const replacement = strangeValue(random);
      setAt(value, target, replacement);
      mutations.push({ where, what: `set to ${JSON.stringify(replacement)?.slice(0, 60)}` });
    } else if (operation < 9) {
      const tweaked = tweakedValue(getAt(value, target), random);
      if (tweaked === undefined) continue;
      setAt(value, target, tweaked);
      mutations.push({ where, what: `tweaked to ${JSON.stringify(tweaked)?.slice(0, 60)}` });
    } else {
      const other = random.pick(paths);
      const a = getAt(value, target);
      const b = getAt(value, other);
      if (pathText(other).startsWith(where) || where.startsWith(pathText(other))) continue;
      setAt(value, target, JSON.parse(JSON.stringify(b)) as Json);
      setAt(value, other, JSON.parse(JSON.stringify(a)) as Json);
      mutations.push({ where, what: `swapped with ${pathText(other)}` }, { where: pathText(other), what: `swapped with ${where}` });
    }
  }
  return { value, mutations };
}

/** Mutations of the text itself: what a truncated write, a bad editor or a hostile tool leaves. */
export function mutateText(text: string, random: Random): { text: string; what: string } {
  const at = random.int(text.length + 1);
  const choices: Array<() => { text: string; what: string }> = [
    () => ({ text: text.slice(0, at), what: `truncated at ${at}` }),
    () => ({ text: text.slice(0, at) + String.fromCharCode(random.int(256)) + text.slice(at + 1), what: `byte ${at} replaced` }),
    () => ({ text: text.slice(0, at) + random.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000']) + text.slice(at), what: `punctuation inserted at ${at}` }),
    () => ({ text: `\ufeff${text}`, what: 'byte order mark' }),
    () => ({ text: `${text}\n{"trailing": true}`, what: 'trailing garbage' }),
    () => ({ text: `// comment\n${text}`, what: 'a comment' }),
    () => ({ text: text.replace('"process"', '"process": {"args": ["true"]}, "process"'), what: 'duplicate key process' }),
    () => ({ text: '['.repeat(200_000), what: '200k nested arrays' }),
    () => ({ text: `{"ociVersion": "1.0.2", "annotations": {"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, what: 'deep annotation value' }),
    () => ({ text: '', what: 'empty' }),
    () => ({ text: 'null', what: 'null' }),
    () => ({ text: '[]', what: 'an array' }),
    // Written as latin1 by the caller (what === 'invalid UTF-8'): the bytes 0xff 0xfe, not UTF-8.
    () => ({ text: text.replace('"', '"\xff\xfe'), what: 'invalid UTF-8' }),
  ];
  return random.pick(choices)();
}

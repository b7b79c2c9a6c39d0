// What every container gets without asking: runtime-linux.md (file descriptors, /dev symlinks)
// and config-linux.md "Default Filesystems" and "Default Devices", checked on the default config.
import { clause, expect, expectEqual } from '../lib/clause';
import { device, mountAt, optionList } from '../lib/checker';
import { attempt, defaultRun, mustRun } from '../lib/scenarios';

clause({
  id: 'runtime-linux/fds/only-stdio',
  spec: 'runtime-linux.md',
  section: 'File descriptors',
  level: 'MUST',
  gist: 'by default only stdin, stdout and stderr are kept open for the application',
  scenario: defaultRun,
  check({ report }) {
    const fds = Object.keys(report.fds).map(Number).sort((a, b) => a - b);
    expectEqual(fds, [0, 1, 2], 'open fds');
  },
});

for (const [link, target] of [
  ['/dev/fd', '/proc/self/fd'],
  ['/dev/stdin', '/proc/self/fd/0'],
  ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'],
] as const) {
  clause({
    id: `runtime-linux/dev-symlinks/${link.slice(5)}`,
    spec: 'runtime-linux.md',
    section: 'Dev symbolic links',
    level: 'MUST',
    gist: `the runtime creates the symlink ${link} -> ${target} (its source exists after the mounts)`,
    scenario: defaultRun,
    check({ report }) {
      const entry = device(report, link);
      expect(entry, `${link} does not exist`);
      expectEqual(entry.type, 'l', `${link}'s type`);
      expectEqual(entry.target, target, `${link}'s target`);
    },
  });
}

for (const [mountPoint, fsType] of [
  ['/proc', 'proc'],
  ['/sys', 'sysfs'],
  ['/dev/pts', 'devpts'],
  ['/dev/shm', 'tmpfs'],
] as const) {
  clause({
    id: `config-linux/default-filesystems${mountPoint.replace(/\//g, '-')}`,
    spec: 'config-linux.md',
    section: 'Default Filesystems',
    level: 'SHOULD',
    gist: `${mountPoint} is available as ${fsType} in the container (with the default config)`,
    scenario: defaultRun,
    check({ report }) {
      const mount = mountAt(report, mountPoint);
      expect(mount, `nothing is mounted at ${mountPoint}`);
      expectEqual(mount.fsType, fsType, `type of ${mountPoint}`);
    },
  });
}

for (const [path, major, minor] of [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
] as const) {
  clause({
    id: `config-linux/default-devices${path.replace(/\//g, '-')}`,
    spec: 'config-linux.md',
    section: 'Default Devices',
    level: 'MUST',
    gist: `the runtime supplies ${path} (character device ${major}:${minor})`,
    scenario: defaultRun,
    check({ report }) {
      const entry = device(report, path);
      expect(entry, `${path} does not exist`);
      expectEqual([entry.type, entry.major, entry.minor], ['c', major, minor], `${path} type and numbers`);
    },
  });
}

clause({
  id: 'config-linux/default-devices-ptmx',
  spec: 'config-linux.md',
  section: 'Default Devices',
  level: 'MUST',
  gist: "the runtime supplies /dev/ptmx as a bind mount or symlink of the container's /dev/pts/ptmx",
  scenario: defaultRun,
  check({ report }) {
    const entry = device(report, '/dev/ptmx');
    expect(entry, '/dev/ptmx does not exist');
    if (entry.type === 'l') {
      expect(entry.target === 'pts/ptmx' || entry.target === '/dev/pts/ptmx', `/dev/ptmx points to ${entry.target}`);
    } else {
      const mount = mountAt(report, '/dev/ptmx');
      expect(mount && mount.fsType === 'devpts', '/dev/ptmx is neither a symlink nor a bind mount of /dev/pts/ptmx');
    }
    expectEqual(report.opens?.['/dev/ptmx'] !== undefined && report.opens['/dev/ptmx'] !== 'ENOENT', true, '/dev/ptmx resolves');
  },
});

const rootWritable = attempt(
  'root-readonly-unset',
  (bundle) => {
    delete (bundle.config.root as { readonly?: boolean }).readonly;
  },
  ['--write', '/conformance-rw-probe'],
);

clause({
  id: 'config/root/readonly-default',
  spec: 'config.md',
  section: 'Root',
  level: 'MUST',
  gist: 'root.readonly defaults to false: without it the root filesystem is writable',
  scenario: rootWritable,
  check(obs) {
    const report = mustRun(obs);
    const root = mountAt(report, '/');
    expect(root, 'no mount at /');
    expect(optionList(root).includes('rw'), `/ is mounted ${root.options}`);
    expectEqual(report.writes?.['/conformance-rw-probe'], 'OK', 'writing a file at /');
  },
});

clause({
  id: 'config/process/terminal-default',
  spec: 'config.md',
  section: 'Process',
  level: 'MUST',
  gist: 'terminal defaults to false: without it the process gets no terminal (its stdio is not a pty)',
  scenario: defaultRun,
  check({ report }) {
    for (const fd of ['0', '1', '2']) {
      const target = report.fds[fd] ?? '';
      expect(!target.startsWith('/dev/pts/') && target !== '/dev/console', `fd ${fd} is ${target}`);
    }
    expect(!mountAt(report, '/dev/console'), '/dev/console was set up without a terminal');
  },
});

// config-linux.md "Devices" (nodes the runtime makes) and "Allowed Device list" (the devices
// cgroup rules, applied in order).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, expect, expectEqual } from '../lib/clause';
import { CheckerStat, device } from '../lib/checker';
import { probeHost } from '../lib/host';
import { attempt, mustFail, mustRun } from '../lib/scenarios';

const SPEC = 'config-linux.md';

const DEVICES = [
  { path: '/dev/conf-char', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 },
  { path: '/dev/conf-block', type: 'b', major: 7, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
  { path: '/dev/conf-fifo', type: 'p', fileMode: 0o644 },
  { path: '/dev/conf-unbuffered', type: 'u', major: 1, minor: 5 },
  { path: '/conf-devices/null', type: 'c', major: 1, minor: 3 },
];

/** Device nodes made on the host inside the rootfs (not through linux.devices): only cgroup rules decide access. */
const CGROUP_NODES = [
  ['/conf-nodes/deny-last', 240, 0],
  ['/conf-nodes/allow-last', 240, 1],
  ['/conf-nodes/unlisted', 240, 2],
] as const;

const devicesRun = attempt(
  'devices',
  (bundle) => {
    bundle.config.linux.devices = DEVICES;
    fs.mkdirSync(path.join(bundle.rootfs, 'conf-nodes'));
    for (const [node, major, minor] of CGROUP_NODES) execFileSync('mknod', ['-m', '666', path.join(bundle.rootfs, node), 'c', String(major), String(minor)]);
    const resources = (bundle.config.linux.resources ?? {}) as Record<string, unknown>;
    resources.devices = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 240, minor: 0, access: 'rw' },
      { allow: false, type: 'c', major: 240, minor: 0, access: 'rw' },
      { allow: false, type: 'c', major: 240, minor: 1, access: 'rw' },
      { allow: true, type: 'c', major: 240, minor: 1, access: 'rw' },
    ];
    bundle.config.linux.resources = resources;
  },
  ['--stat', '/conf-devices/null', ...CGROUP_NODES.flatMap(([node]) => ['--open', node])],
);

function deviceEntry(report: ReturnType<typeof mustRun>, devicePath: string): CheckerStat {
  const entry = devicePath.startsWith('/dev/') ? device(report, devicePath) : report.stats?.[devicePath];
  expect(entry && !entry.errno, `${devicePath} does not exist${entry?.errno ? ` (${entry.errno})` : ''}`);
  return entry;
}

clause({
  id: 'config-linux/devices/char',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: "a listed character device is available in the container with its type, major and minor (c 1:3 at /dev/conf-char)",
  scenario: devicesRun,
  check(obs) {
    const entry = deviceEntry(mustRun(obs), '/dev/conf-char');
    expectEqual([entry.type, entry.major, entry.minor], ['c', 1, 3], '/dev/conf-char');
  },
});

clause({
  id: 'config-linux/devices/block',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: 'a listed block device is available with its type, major and minor (b 7:200)',
  scenario: devicesRun,
  check(obs) {
    const entry = deviceEntry(mustRun(obs), '/dev/conf-block');
    expectEqual([entry.type, entry.major, entry.minor], ['b', 7, 200], '/dev/conf-block');
  },
});

clause({
  id: 'config-linux/devices/fifo',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: "a listed FIFO (type 'p', no major/minor) is available",
  scenario: devicesRun,
  check: (obs) => expectEqual(deviceEntry(mustRun(obs), '/dev/conf-fifo').type, 'p', 'type of /dev/conf-fifo'),
});

clause({
  id: 'config-linux/devices/unbuffered',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: "a listed unbuffered character device (type 'u') is available as a character device",
  scenario: devicesRun,
  check(obs) {
    const entry = deviceEntry(mustRun(obs), '/dev/conf-unbuffered');
    expectEqual([entry.type, entry.major, entry.minor], ['c', 1, 5], '/dev/conf-unbuffered');
  },
});

clause({
  id: 'config-linux/devices/fileMode',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: 'fileMode is the file mode of the device (0640 and 0600)',
  scenario: devicesRun,
  check(obs) {
    const report = mustRun(obs);
    expectEqual(deviceEntry(report, '/dev/conf-char').mode, 0o640, 'mode of /dev/conf-char');
    expectEqual(deviceEntry(report, '/dev/conf-block').mode, 0o600, 'mode of /dev/conf-block');
  },
});

clause({
  id: 'config-linux/devices/uid-gid',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: "uid and gid are the device's owner and group in the container namespace",
  scenario: devicesRun,
  check(obs) {
    const entry = deviceEntry(mustRun(obs), '/dev/conf-char');
    expectEqual([entry.uid, entry.gid], [1000, 1001], 'owner of /dev/conf-char');
  },
});

clause({
  id: 'config-linux/devices/outside-dev',
  spec: SPEC,
  section: 'Devices',
  level: 'MAY',
  gist: 'the device path may be anywhere in the container filesystem, outside /dev (/conf-devices/null)',
  scenario: devicesRun,
  check(obs) {
    const entry = deviceEntry(mustRun(obs), '/conf-devices/null');
    expectEqual([entry.type, entry.major, entry.minor], ['c', 1, 3], '/conf-devices/null');
  },
});

clause({
  id: 'config-linux/devices/existing-file-mismatch',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: 'if a file that does not match the requested device already exists at path, the runtime generates an error',
  scenario: attempt('devices-existing-file', (bundle) => {
    fs.writeFileSync(path.join(bundle.rootfs, 'conf-existing'), 'a regular file\n');
    bundle.config.linux.devices = [{ path: '/conf-existing', type: 'c', major: 1, minor: 3 }];
  }),
  check: (obs) => mustFail(obs, 'a device path where a regular file exists'),
});

clause({
  id: 'config-linux/devices/invalid-type',
  spec: SPEC,
  section: 'Devices',
  level: 'MUST',
  gist: "a device type other than c, b, u, p ('x') is an invalid value and an error",
  scenario: attempt('devices-invalid-type', (bundle) => {
    bundle.config.linux.devices = [{ path: '/dev/conf-x', type: 'x', major: 1, minor: 3 }];
  }),
  check: (obs) => mustFail(obs, "device type 'x'"),
});

const cgroupDevices = () => (probeHost().cgroupMode === 'v2' ? undefined : probeHost().v1Controllers.devices ? undefined : 'no devices cgroup controller');

clause({
  id: 'config-linux/device-allowlist/order',
  spec: SPEC,
  section: 'Allowed Device list',
  level: 'MUST',
  gist: 'the allowed-device entries are applied in the listed order: for c 240:0 allow then deny denies, for c 240:1 deny then allow allows',
  scenario: devicesRun,
  hostSkip: cgroupDevices,
  check(obs) {
    const opens = mustRun(obs).opens ?? {};
    expectEqual(opens['/conf-nodes/deny-last'], 'EPERM', 'opening c 240:0 (allowed, then denied)');
    // No driver has major 240: an allowed open fails with ENXIO, a denied one with EPERM.
    expectEqual(opens['/conf-nodes/allow-last'], 'ENXIO', 'opening c 240:1 (denied, then allowed)');
  },
});

clause({
  id: 'config-linux/device-allowlist/wildcards',
  spec: SPEC,
  section: 'Allowed Device list',
  level: 'MUST',
  gist: "unset type, major and minor mean all: {allow: false, access: rwm} denies a device no other entry names (c 240:2)",
  scenario: devicesRun,
  hostSkip: cgroupDevices,
  check: (obs) => expectEqual(mustRun(obs).opens?.['/conf-nodes/unlisted'], 'EPERM', 'opening c 240:2'),
});

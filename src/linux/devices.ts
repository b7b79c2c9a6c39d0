// The container's device nodes and /dev symlinks: the defaults every container gets, plus
// linux.devices. Inside a user namespace mknod(2) is refused, so nodes are bound from the host.
import * as fs from 'fs';
import type { DeviceNode, Symlink } from './plan';
import type { Device } from '../spec/types';
import { HuskError, describeSystemError } from '../errors';
import * as k from './constants';
import { containerPath } from './paths';

export interface DevicePlanContext {
  /**
   * /dev is set up at all: false when a mount binds something onto /dev, which then brings its
   * own nodes (runc's needsSetupDev); neither defaults, linux.devices nor symlinks are created.
   */
  setUpDev: boolean;
  /**
   * Bind every node from the same path on the host instead of mknod: inside a new user namespace
   * (or when husk itself runs in one) mknod fails with EPERM. runc does the same.
   */
  bindFromHost: boolean;
  /** The host has /proc/kcore; runc links /dev/core to it only then. */
  hasProcKcore: boolean;
}

export interface DevicesPlan {
  devices: DeviceNode[];
  symlinks: Symlink[];
}

const DEFAULT_FILE_MODE = 0o666;
// dev_t as the kernel splits it: 12 bits of major, 20 of minor.
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;

/**
 * The devices runtime-spec config-linux.md "Default Devices" requires, with runc's modes and
 * order (specconv.AllowedDevices). /dev/ptmx is a symlink (below); /dev/console belongs to the
 * terminal setup.
 */
const DEFAULT_DEVICES: ReadonlyArray<{ path: string; major: number; minor: number }> = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/tty', major: 5, minor: 0 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/urandom', major: 1, minor: 9 },
];

const FILE_TYPE_OF_DEVICE_TYPE: Readonly<Record<string, number>> = {
  c: k.S_IFCHR,
  u: k.S_IFCHR, // "unbuffered character device": the same node to mknod
  b: k.S_IFBLK,
  p: k.S_IFIFO,
};

const DEVICE_TYPE_NAME: Readonly<Record<string, string>> = {
  c: 'a character device',
  u: 'a character device',
  b: 'a block device',
  p: 'a FIFO',
};

/** runc replaces any /dev/ptmx with this link to the container's devpts instance (setupPtmx). */
const PTMX_PATH = '/dev/ptmx';

export function planDevices(configDevices: Device[] | undefined, context: DevicePlanContext): DevicesPlan {
  if (!context.setUpDev) return { devices: [], symlinks: [] };

  const fromConfig: DeviceNode[] = [];
  const indexOfPath = new Map<string, number>();
  (configDevices ?? []).forEach((device, index) => {
    const node = planConfigDevice(device, `linux.devices[${index}]`);
    const earlier = indexOfPath.get(node.path);
    if (earlier !== undefined) {
      throw new HuskError(`linux.devices[${index}].path: ${node.path} listed twice (also linux.devices[${earlier}])`);
    }
    indexOfPath.set(node.path, index);
    // The /dev/ptmx symlink replaces whatever was there, as in runc (createDevices skips it).
    if (node.path !== PTMX_PATH) fromConfig.push(node);
  });

  // A config device with a default's path replaces the default (runc: "the spec one takes
  // priority").
  const defaults: DeviceNode[] = DEFAULT_DEVICES.filter((d) => !indexOfPath.has(d.path)).map((d) => ({
    path: d.path,
    mode: k.S_IFCHR | DEFAULT_FILE_MODE,
    major: d.major,
    minor: d.minor,
    uid: 0,
    gid: 0,
    bindFrom: '',
  }));
  const devices = [...defaults, ...fromConfig];

  if (context.bindFromHost) {
    for (const node of devices) {
      const index = indexOfPath.get(node.path);
      const where = index === undefined ? `default device ${node.path}` : `linux.devices[${index}].path`;
      checkHostDevice(node.path, where);
      node.bindFrom = node.path;
    }
  }
  return { devices, symlinks: devSymlinks(context.hasProcKcore) };
}

function planConfigDevice(device: Device, where: string): DeviceNode {
  const path = containerPath(device.path, `${where}.path`);
  const fileType = FILE_TYPE_OF_DEVICE_TYPE[device.type];
  if (fileType === undefined) throw new HuskError(`${where}.type: '${device.type}' is not a device type (c, b, u or p)`);

  let major = 0;
  let minor = 0;
  if (device.type !== 'p') {
    major = deviceNumber(device.major, MAX_MAJOR, `${where}.major`, device.type);
    minor = deviceNumber(device.minor, MAX_MINOR, `${where}.minor`, device.type);
  }
  // runc keeps only the permission bits of fileMode (the file type comes from `type`).
  let permissions = DEFAULT_FILE_MODE;
  if (device.fileMode !== undefined) {
    if (!Number.isInteger(device.fileMode) || device.fileMode < 0) {
      throw new HuskError(`${where}.fileMode: ${device.fileMode} is not a file mode`);
    }
    permissions = device.fileMode & ~k.S_IFMT;
    if (permissions > 0o7777) throw new HuskError(`${where}.fileMode: ${device.fileMode} is not a file mode`);
  }
  return {
    path,
    mode: fileType | permissions,
    major,
    minor,
    uid: ownerId(device.uid, `${where}.uid`),
    gid: ownerId(device.gid, `${where}.gid`),
    bindFrom: '',
  };
}

function deviceNumber(value: number | undefined, max: number, where: string, type: string): number {
  if (value === undefined) throw new HuskError(`${where}: required for ${DEVICE_TYPE_NAME[type]}`);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new HuskError(`${where}: ${value} is not between 0 and ${max}`);
  return value;
}

function ownerId(value: number | undefined, where: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32 - 1) throw new HuskError(`${where}: ${value} is not a valid id`);
  return value;
}

function checkHostDevice(hostPath: string, where: string): void {
  try {
    fs.statSync(hostPath);
  } catch (err) {
    const problem =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'which does not exist there' : `which fails: ${describeSystemError(err)}`;
    throw new HuskError(`${where}: a user namespace cannot create device nodes, so ${hostPath} is bound from the host, ${problem}`);
  }
}

/** The /dev links runc creates (setupPtmx, setupDevSymlinks), in its order. */
function devSymlinks(hasProcKcore: boolean): Symlink[] {
  const links: Symlink[] = [
    { target: 'pts/ptmx', path: PTMX_PATH },
    { target: '/proc/self/fd', path: '/dev/fd' },
    { target: '/proc/self/fd/0', path: '/dev/stdin' },
    { target: '/proc/self/fd/1', path: '/dev/stdout' },
    { target: '/proc/self/fd/2', path: '/dev/stderr' },
  ];
  // CONFIG_PROC_KCORE may be off; a dangling /dev/core would only confuse.
  if (hasProcKcore) links.push({ target: '/proc/kcore', path: '/dev/core' });
  return links;
}

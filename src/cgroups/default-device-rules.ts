// Device cgroup rules every container gets after the config's own (which usually start with
// "deny all"): the default devices the runtime creates, the pty devices and mknod. The runtime-spec
// requires the default devices to work; the list is runc's (libcontainer/specconv AllowedDevices),
// and like runc, every device listed in linux.devices is allowed too.
import type { Device, DeviceCgroupRule } from '../spec/types';

const RWM = 'rwm';

export const DEFAULT_ALLOWED_DEVICES: DeviceCgroupRule[] = [
  { allow: true, type: 'c', access: 'm' }, // mknod of any char device (creating is not opening)
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: RWM }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: RWM }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: RWM }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: RWM }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: RWM }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: RWM }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: RWM }, // /dev/console
  { allow: true, type: 'c', major: 136, access: RWM }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: RWM }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: RWM }, // /dev/net/tun
];

/** The rules the runtime adds after the config's: the defaults, then one per config device. */
export function runtimeDeviceRules(devices: Device[] | undefined): DeviceCgroupRule[] {
  const forDevices: DeviceCgroupRule[] = (devices ?? [])
    .filter((d) => d.type !== 'p') // fifos are not devices to the cgroup
    .map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: RWM }));
  return [...DEFAULT_ALLOWED_DEVICES, ...forDevices];
}

/** The rules to apply, in order: the config's, then the defaults, then one per config device. */
export function containerDeviceRules(configRules: DeviceCgroupRule[] | undefined, devices: Device[] | undefined): DeviceCgroupRule[] {
  return [...(configRules ?? []), ...runtimeDeviceRules(devices)];
}

// Checks of linux.resources values before anything is written: a negative or malformed limit is a
// sentence naming the field, not an EINVAL from some cgroupfs file. The JSON schema already
// checks config.json at create; `update --resources` reads LinuxResources JSON the schema never
// sees, and update flags become the same structure, so both paths come through here.
//
// Conventions (runc's, from the spec's Go types where 0 is the zero value):
//  * memory limits, pids.limit, cpu quota and rt runtime: -1 means unlimited, 0 means "not set";
//    anything below -1 is an error (runc lets any negative through to the kernel).
//  * cpu.shares 0 means "not set"; other values must lie in the kernel's 2..262144.
//  * blkio weights 0 mean "not set"; others must lie in 10..1000 (runc's documented range).
import { HuskError } from '../errors';
import type { Resources } from '../spec/types';
import { isIdList, notAnIdList } from '../spec/rules-common';

export const FIELD_PREFIX = 'linux.resources.';

/**
 * -1 stored in the uint64 swappiness (18446744073709551615, which parses to 2^64 as a double).
 * Docker writes it for "not set", and runc treats it (and -1 itself) that way.
 */
export function isSwappinessUnset(value: number): boolean {
  return value === 2 ** 64 || value === -1;
}

const U32_MAX = 2 ** 32 - 1;
const CPU_SHARES_MIN = 2;
const CPU_SHARES_MAX = 262144;
const BLKIO_WEIGHT_MIN = 10;
const BLKIO_WEIGHT_MAX = 1000;

class ValueChecker {
  readonly problems: string[] = [];

  note(field: string, text: string): void {
    this.problems.push(`${FIELD_PREFIX}${field} ${text}`);
  }

  isNumber(field: string, value: unknown): value is number {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.note(field, `must be an integer, got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }

  /** -1 (unlimited), 0 (not set) or a positive number. */
  limit(field: string, value: unknown, unit: string): void {
    if (this.isNumber(field, value) && value < -1) {
      this.note(field, `is ${value}: expected a number of ${unit}, or -1 for unlimited`);
    }
  }

  atLeast(field: string, value: unknown, minimum: number, what: string): void {
    if (this.isNumber(field, value) && value < minimum) this.note(field, `is ${value}: ${what}`);
  }

  range(field: string, value: unknown, low: number, high: number, zeroMeansUnset: boolean): void {
    if (!this.isNumber(field, value)) return;
    if (zeroMeansUnset && value === 0) return;
    if (value < low || value > high) this.note(field, `is ${value}: expected ${low} to ${high}${zeroMeansUnset ? ' (or 0 for not set)' : ''}`);
  }

  text(field: string, value: unknown): value is string {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'string') {
      this.note(field, `must be a string, got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }

  /** A name written into a space-separated cgroupfs line: non-empty, no whitespace. */
  word(field: string, value: unknown, what: string): void {
    if (!this.text(field, value)) {
      if (value === undefined || value === null) this.note(field, `is missing: expected ${what}`);
      return;
    }
    if (value === '' || /\s/.test(value)) this.note(field, `'${value}' is not ${what}`);
  }

  object(field: string, value: unknown): value is Record<string, unknown> {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.note(field, `must be an object, got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }

  list(field: string, value: unknown): value is unknown[] {
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) {
      this.note(field, `must be a list, got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }
}

/**
 * Throws one HuskError listing every bad value ("linux.resources.memory.limit is -5: expected a
 * number of bytes, or -1 for unlimited"). Accepts untrusted JSON (update --resources).
 */
export function checkResourceValues(resources: Resources): void {
  if (resources === undefined || resources === null) return;
  if (typeof resources !== 'object' || Array.isArray(resources)) {
    throw new HuskError(`linux.resources must be an object, got ${JSON.stringify(resources)}`);
  }
  const check = new ValueChecker();
  checkMemory(check, resources.memory);
  checkCpu(check, resources.cpu);
  if (check.object('pids', resources.pids)) check.limit('pids.limit', resources.pids.limit, 'processes');
  checkBlockIO(check, resources.blockIO);
  checkHugepages(check, resources.hugepageLimits);
  checkNetwork(check, resources.network);
  checkRdma(check, resources.rdma);
  checkUnified(check, resources.unified);
  checkDevices(check, resources.devices);
  if (check.problems.length > 0) throw new HuskError(check.problems.join('; '));
}

function checkMemory(check: ValueChecker, memory: Resources['memory']): void {
  if (!check.object('memory', memory)) return;
  for (const field of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
    check.limit(`memory.${field}`, memory[field], 'bytes');
  }
  const { limit, swap, swappiness } = memory;
  // The spec's swap is memory+swap (v1 memsw semantics): it cannot be below the memory limit.
  if (typeof limit === 'number' && typeof swap === 'number' && limit > 0 && swap > 0 && swap < limit) {
    check.note('memory.swap', `(${swap}, memory plus swap) is less than memory.limit (${limit})`);
  }
  if (check.isNumber('memory.swappiness', swappiness) && !isSwappinessUnset(swappiness)) {
    check.range('memory.swappiness', swappiness, 0, 100, false);
  }
  for (const field of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'] as const) {
    const value = memory[field];
    if (value !== undefined && value !== null && typeof value !== 'boolean') check.note(`memory.${field}`, `must be true or false, got ${JSON.stringify(value)}`);
  }
}

function checkCpu(check: ValueChecker, cpu: Resources['cpu']): void {
  if (!check.object('cpu', cpu)) return;
  check.range('cpu.shares', cpu.shares, CPU_SHARES_MIN, CPU_SHARES_MAX, true);
  check.limit('cpu.quota', cpu.quota, 'microseconds per period');
  check.atLeast('cpu.period', cpu.period, 0, 'expected a number of microseconds');
  check.atLeast('cpu.burst', cpu.burst, 0, 'expected a number of microseconds');
  check.limit('cpu.realtimeRuntime', cpu.realtimeRuntime, 'microseconds per period');
  check.atLeast('cpu.realtimePeriod', cpu.realtimePeriod, 0, 'expected a number of microseconds');
  check.range('cpu.idle', cpu.idle, 0, 1, false);
  if (typeof cpu.quota === 'number' && typeof cpu.burst === 'number' && cpu.quota > 0 && cpu.burst > cpu.quota) {
    check.note('cpu.burst', `(${cpu.burst}) is more than the quota (${cpu.quota})`);
  }
  if (check.text('cpu.cpus', cpu.cpus) && !isIdList(cpu.cpus)) check.note('cpu.cpus', notAnIdList(cpu.cpus, 'CPU'));
  if (check.text('cpu.mems', cpu.mems) && !isIdList(cpu.mems)) check.note('cpu.mems', notAnIdList(cpu.mems, 'memory node'));
}

function checkBlockIO(check: ValueChecker, blockIO: Resources['blockIO']): void {
  if (!check.object('blockIO', blockIO)) return;
  check.range('blockIO.weight', blockIO.weight, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX, true);
  check.range('blockIO.leafWeight', blockIO.leafWeight, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX, true);
  if (check.list('blockIO.weightDevice', blockIO.weightDevice)) {
    blockIO.weightDevice.forEach((device, index) => {
      const at = `blockIO.weightDevice[${index}]`;
      if (!check.object(at, device)) return;
      checkDeviceNumbers(check, at, device);
      check.range(`${at}.weight`, device.weight, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX, true);
      check.range(`${at}.leafWeight`, device.leafWeight, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX, true);
    });
  }
  for (const field of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    const list = blockIO[field];
    if (!check.list(`blockIO.${field}`, list)) continue;
    list.forEach((device, index) => {
      const at = `blockIO.${field}[${index}]`;
      if (!check.object(at, device)) return;
      checkDeviceNumbers(check, at, device);
      if (device.rate === undefined || device.rate === null) check.note(`${at}.rate`, 'is missing');
      else check.atLeast(`${at}.rate`, device.rate, 0, 'expected a rate of 0 (no limit) or more');
    });
  }
}

function checkDeviceNumbers(check: ValueChecker, at: string, device: { major?: unknown; minor?: unknown }): void {
  for (const part of ['major', 'minor'] as const) {
    const value = device[part];
    if (value === undefined || value === null) check.note(`${at}.${part}`, 'is missing');
    else check.atLeast(`${at}.${part}`, value, 0, 'expected a device number');
  }
}

function checkHugepages(check: ValueChecker, limits: Resources['hugepageLimits']): void {
  if (!check.list('hugepageLimits', limits)) return;
  limits.forEach((entry, index) => {
    const at = `hugepageLimits[${index}]`;
    if (!check.object(at, entry)) return;
    if (check.text(`${at}.pageSize`, entry.pageSize)) {
      if (!/^[1-9]\d*(KB|MB|GB|TB|PB)$/.test(entry.pageSize)) {
        check.note(`${at}.pageSize`, `'${entry.pageSize}' is not a page size; expected a size such as 2MB or 1GB`);
      }
    } else {
      check.note(`${at}.pageSize`, 'is missing');
    }
    if (entry.limit === undefined || entry.limit === null) check.note(`${at}.limit`, 'is missing');
    else check.atLeast(`${at}.limit`, entry.limit, 0, 'expected a number of bytes');
  });
}

function checkNetwork(check: ValueChecker, network: Resources['network']): void {
  if (!check.object('network', network)) return;
  check.range('network.classID', network.classID, 0, U32_MAX, false);
  if (!check.list('network.priorities', network.priorities)) return;
  network.priorities.forEach((entry, index) => {
    const at = `network.priorities[${index}]`;
    if (!check.object(at, entry)) return;
    check.word(`${at}.name`, entry.name, 'a network interface name');
    check.range(`${at}.priority`, entry.priority, 0, U32_MAX, false);
  });
}

// config-linux.md "Allowed Device list" (the schema checks config.json; update JSON comes here).
function checkDevices(check: ValueChecker, devices: Resources['devices']): void {
  if (!check.list('devices', devices)) return;
  devices.forEach((rule, index) => {
    const at = `devices[${index}]`;
    if (!check.object(at, rule)) return;
    if (typeof rule.allow !== 'boolean') check.note(`${at}.allow`, `must be true or false, got ${JSON.stringify(rule.allow)}`);
    if (check.text(`${at}.type`, rule.type) && !['a', 'b', 'c'].includes(rule.type)) {
      check.note(`${at}.type`, `'${rule.type}' is not a device rule type; expected one of a, c, b`);
    }
    for (const part of ['major', 'minor'] as const) {
      const value = rule[part];
      if (check.isNumber(`${at}.${part}`, value) && (value < -1 || value > U32_MAX)) {
        check.note(`${at}.${part}`, `is ${value}: expected a device number, or -1 for any`);
      }
    }
    if (check.text(`${at}.access`, rule.access) && !(/^[rwm]*$/.test(rule.access) && new Set(rule.access).size === rule.access.length)) {
      check.note(`${at}.access`, `'${rule.access}' is not a device access; expected a combination of r, w and m`);
    }
  });
}

function checkRdma(check: ValueChecker, rdma: Resources['rdma']): void {
  if (!check.object('rdma', rdma)) return;
  for (const [device, limits] of Object.entries(rdma)) {
    const at = `rdma.${device}`;
    if (device === '' || /\s/.test(device)) check.note('rdma', `'${device}' is not an RDMA device name`);
    if (!check.object(at, limits)) continue;
    check.range(`${at}.hcaHandles`, limits.hcaHandles, 0, U32_MAX, false);
    check.range(`${at}.hcaObjects`, limits.hcaObjects, 0, U32_MAX, false);
  }
}

function checkUnified(check: ValueChecker, unified: Resources['unified']): void {
  if (!check.object('unified', unified)) return;
  for (const [key, value] of Object.entries(unified)) {
    // Keys name files in the container's cgroup directory: a '/' or '..' would reach outside it.
    if (key.includes('/') || !/^[^.]+\.[^.]/.test(key)) {
      check.note(`unified["${key}"]`, 'is not a cgroup interface file name; expected CONTROLLER.PARAMETER such as memory.high');
    }
    check.text(`unified["${key}"]`, value);
  }
}

/**
 * memory.checkBeforeUpdate: refuse a new limit at or below what the container already uses,
 * instead of letting the kernel reclaim or OOM-kill to fit (runc's CheckMemoryUsage).
 */
export function refuseLimitBelowUsage(field: string, limit: number | undefined, usage: bigint | undefined): void {
  if (limit === undefined || limit === null || limit <= 0 || usage === undefined) return;
  if (BigInt(Math.trunc(limit)) <= usage) {
    throw new HuskError(
      `${FIELD_PREFIX}${field} ${BigInt(Math.trunc(limit))} is not above the container's current usage (${usage} bytes), and memory.checkBeforeUpdate is set`,
    );
  }
}

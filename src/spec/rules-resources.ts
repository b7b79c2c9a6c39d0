// Rules for linux.resources (cgroup settings) that the JSON schema cannot express.

import { PathSegment } from './json-path';
import { ProblemList, isIdList, notAnIdList } from './rules-common';
import { Resources } from './types';

export function checkResources(resources: Resources, at: PathSegment[], problems: ProblemList): void {
  checkCpu(resources.cpu, [...at, 'cpu'], problems);
  checkMemory(resources.memory, [...at, 'memory'], problems);
  checkBlockIoWeights(resources.blockIO, [...at, 'blockIO'], problems);
  checkRdma(resources.rdma, [...at, 'rdma'], problems);
  checkDeviceRules(resources.devices ?? [], [...at, 'devices'], problems);
  checkUnified(resources.unified, [...at, 'unified'], problems);
}

function checkCpu(cpu: Resources['cpu'], at: PathSegment[], problems: ProblemList): void {
  if (!cpu) return;
  if (cpu.cpus !== undefined) problems.check(isIdList(cpu.cpus), [...at, 'cpus'], notAnIdList(cpu.cpus, 'CPU'));
  if (cpu.mems !== undefined) problems.check(isIdList(cpu.mems), [...at, 'mems'], notAnIdList(cpu.mems, 'memory node'));
  // config-linux.md: burst "MUST be no larger than any positive quota (runtimes MAY generate an
  // error)"; the kernel refuses it in cpu.max.burst, so husk says so up front.
  if (cpu.burst !== undefined && cpu.quota !== undefined && cpu.quota > 0) {
    problems.check(cpu.burst <= cpu.quota, [...at, 'burst'], `${cpu.burst} is more than the quota (${cpu.quota})`);
  }
  // config-linux.md: "0: default behavior, 1: SCHED_IDLE"; cpu.idle accepts nothing else.
  if (cpu.idle !== undefined) problems.check(cpu.idle === 0 || cpu.idle === 1, [...at, 'idle'], `expected 0 or 1, got ${cpu.idle}`);
}

/**
 * -1 stored in the uint64 field (18446744073709551615, which parses to 2^64 as a double). Docker
 * has written it for "not set", and runc treats it that way, so husk accepts it too.
 */
const SWAPPINESS_UNSET = 2 ** 64;

// config-linux.md: swappiness "values are from 0 to 100".
function checkMemory(memory: Resources['memory'], at: PathSegment[], problems: ProblemList): void {
  const swappiness = memory?.swappiness;
  if (swappiness === undefined || swappiness === SWAPPINESS_UNSET) return;
  problems.check(swappiness <= 100, [...at, 'swappiness'], `expected 0 to 100, got ${swappiness}`);
}

// config-linux.md: each weightDevice entry "MUST specify at least one of weight or leafWeight".
function checkBlockIoWeights(blockIO: Resources['blockIO'], at: PathSegment[], problems: ProblemList): void {
  (blockIO?.weightDevice ?? []).forEach((device, index) => {
    const hasWeight = device.weight !== undefined || device.leafWeight !== undefined;
    problems.check(hasWeight, [...at, 'weightDevice', index], "missing required field 'weight' or 'leafWeight'");
  });
}

// config-linux.md: each rdma entry "MUST specify at least one of hcaHandles or hcaObjects".
function checkRdma(rdma: Resources['rdma'], at: PathSegment[], problems: ProblemList): void {
  for (const [device, limits] of Object.entries(rdma ?? {})) {
    const hasLimit = limits.hcaHandles !== undefined || limits.hcaObjects !== undefined;
    problems.check(hasLimit, [...at, device], "missing required field 'hcaHandles' or 'hcaObjects'");
  }
}

// config-linux.md "Allowed Device list": type is a, c or b; access combines r, w and m.
function checkDeviceRules(rules: NonNullable<Resources['devices']>, at: PathSegment[], problems: ProblemList): void {
  rules.forEach((rule, index) => {
    if (rule.type !== undefined) {
      problems.check(['a', 'c', 'b'].includes(rule.type), [...at, index, 'type'], `'${rule.type}' is not a device rule type; expected one of a, c, b`);
    }
    if (rule.access !== undefined) {
      const valid = /^[rwm]*$/.test(rule.access) && new Set(rule.access).size === rule.access.length;
      problems.check(valid, [...at, index, 'access'], `'${rule.access}' is not a device access; expected a combination of r, w and m`);
    }
  });
}

// Keys name files in the container's cgroup directory ("memory.high"): a '/' would reach
// outside it, and every cgroup v2 interface file is CONTROLLER.PARAMETER. runc checks both.
function checkUnified(unified: Resources['unified'], at: PathSegment[], problems: ProblemList): void {
  for (const key of Object.keys(unified ?? {})) {
    const valid = !key.includes('/') && /^[^.]+\.[^.]/.test(key);
    problems.check(valid, [...at, key], `'${key}' is not a cgroup interface file name; expected CONTROLLER.PARAMETER such as memory.high`);
  }
}

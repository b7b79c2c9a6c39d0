// The pure parts of update, events and ps: merging a change over the limits in force, parsing
// runc's flag values and durations, filtering ps output. No containers, no cgroupfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { mergeResources, normalizeChange, resourcesToApply } from '../../src/cgroups/update-resources';
import { parseInterval } from '../../src/lifecycle/events';
import { filterPsTable } from '../../src/lifecycle/ps';
import { parseBytes, resourcesFromFlags, resourcesFromInput } from '../../src/lifecycle/update';
import type { Resources } from '../../src/spec/types';

function huskError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof HuskError)) return false;
    assert.match(e.message, pattern);
    return true;
  };
}

test('update: a change is overlaid on the limits in force; 0 leaves a limit alone; lists merge per device', () => {
  const base: Resources = {
    memory: { limit: 100, swap: 200 },
    cpu: { shares: 1024, quota: 50000, period: 100000, idle: 1 },
    pids: { limit: 10 },
    blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 5 }, { major: 8, minor: 16, rate: 6 }] },
    devices: [{ allow: false, access: 'rwm' }],
  };
  const merged = mergeResources(base, {
    memory: { limit: 150, swap: 0 },
    cpu: { shares: 0, idle: 0 },
    blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 16, rate: 60 }] },
  });
  assert.deepEqual(merged, {
    memory: { limit: 150, swap: 200 },
    cpu: { shares: 1024, quota: 50000, period: 100000, idle: 0 },
    pids: { limit: 10 },
    blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 5 }, { major: 8, minor: 16, rate: 60 }] },
    devices: [{ allow: false, access: 'rwm' }],
  });
  assert.deepEqual(mergeResources(undefined, { pids: { limit: 3 } }), { pids: { limit: 3 } });
});

test('update: each pair is written whole (memory limit+swap, cpu quota+period), the other half from what is in force', () => {
  const merged: Resources = { memory: { limit: 150, swap: 200 }, cpu: { quota: 30000, period: 100000, shares: 512 } };
  assert.deepEqual(resourcesToApply(merged, { memory: { limit: 150 } }), { memory: { limit: 150, swap: 200 } });
  assert.deepEqual(resourcesToApply(merged, { cpu: { period: 100000 } }), { cpu: { quota: 30000, period: 100000 } });
  assert.deepEqual(resourcesToApply(merged, { cpu: { shares: 512 } }), { cpu: { shares: 512 } });
  assert.deepEqual(resourcesToApply(merged, { pids: { limit: 4 } }), { pids: { limit: 4 } });
});

test('update: --memory -1 lifts swap too (runc); a device rule list replaces the one in force', () => {
  assert.deepEqual(normalizeChange({ memory: { limit: -1 } }), { memory: { limit: -1, swap: -1 } });
  assert.deepEqual(normalizeChange({ memory: { limit: -1, swap: 500 } }), { memory: { limit: -1, swap: 500 } });
  const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }];
  assert.deepEqual(mergeResources({ devices: [{ allow: false, access: 'rwm' }], pids: { limit: 3 } }, { devices: rules }), { devices: rules, pids: { limit: 3 } });
});

test('update flags: runc\'s names and units become a LinuxResources change naming only what was given', () => {
  assert.deepEqual(resourcesFromFlags({
    memory: '256m', 'memory-swap': '-1', 'memory-reservation': '1.5g', 'cpu-share': '512', 'cpu-quota': '-1',
    'cpu-period': '100000', 'cpuset-cpus': '0-1', 'pids-limit': '9', 'blkio-weight': '300', 'cpu-rt-runtime': '950',
  }), {
    memory: { limit: 256 * 1024 * 1024, swap: -1, reservation: 1.5 * 1024 ** 3 },
    cpu: { shares: 512, quota: -1, period: 100000, realtimeRuntime: 950, cpus: '0-1' },
    pids: { limit: 9 },
    blockIO: { weight: 300 },
  });
  assert.deepEqual(resourcesFromFlags({}), {});
  assert.equal(parseBytes('memory', '512'), 512);
  assert.equal(parseBytes('memory', '64KiB'), 65536);
  assert.equal(parseBytes('memory', '2 GB'), 2 * 1024 ** 3);
  assert.throws(() => parseBytes('memory', '-5'), huskError(/^invalid value for --memory: '-5' is not a size/));
  assert.throws(() => resourcesFromFlags({ 'cpu-quota': '5.5' }), huskError(/^invalid value for --cpu-quota: '5\.5' is not an integer$/));
  assert.throws(() => resourcesFromFlags({ 'l3-cache-schema': 'L3:0=f' }), huskError(/Intel RDT is not supported/));
});

test('update --resources: JSON from a file or stdin, never mixed with flags', () => {
  assert.deepEqual(resourcesFromInput({ resources: '-', flags: {}, readStdin: () => '{"pids":{"limit":3}}' }), { pids: { limit: 3 } });
  assert.throws(() => resourcesFromInput({ resources: '-', flags: {}, readStdin: () => '{"pids":' }), huskError(/^--resources: standard input is not valid JSON/));
  assert.throws(() => resourcesFromInput({ resources: '-', flags: {}, readStdin: () => '[]' }), huskError(/must hold a JSON object/));
  assert.throws(() => resourcesFromInput({ resources: '/nonexistent/r.json', flags: {} }), huskError(/^--resources: cannot read \/nonexistent\/r\.json: ENOENT/));
  assert.throws(() => resourcesFromInput({ resources: '-', flags: { memory: '1m' }, readStdin: () => '{}' }), huskError(/^--resources cannot be combined with --memory/));
});

test('events --interval takes Go durations', () => {
  assert.equal(parseInterval('5s'), 5000);
  assert.equal(parseInterval('250ms'), 250);
  assert.equal(parseInterval('1m30s'), 90_000);
  assert.equal(parseInterval('1.5s'), 1500);
  for (const bad of ['', '5', 'five', '0s', '5 s', '-1s']) assert.throws(() => parseInterval(bad), huskError(/^invalid --interval/), bad);
});

test('ps table: the header and the rows of the container\'s pids, found by the PID column', () => {
  const output = [
    'UID        PID  PPID  C STIME TTY          TIME CMD',
    'root         1     0  0 10:00 ?        00:00:01 /sbin/init',
    'root      4242     1  0 10:01 ?        00:00:00 sleep 600',
    'root      4243  4242  0 10:01 ?        00:00:00 sh -c 4242',
    '',
  ].join('\n');
  assert.equal(filterPsTable(output, new Set([4242, 4243])), `${output.split('\n').filter((l, i) => i === 0 || l.includes('  424')).join('\n')}\n`);
  assert.equal(filterPsTable('  PID COMMAND\n    7 sleep\n', new Set([7])), '  PID COMMAND\n    7 sleep\n');
  assert.throws(() => filterPsTable('COMMAND\nsleep\n', new Set([7])), huskError(/no PID column/));
});

// HUSK_TIMING=1 in a worker of `husk daemon` (src/timing.ts): restartTiming forgets whatever the
// daemon recorded and makes the first phase the given one ("worker", the fork to the command's
// start) instead of Node's start-up; reportTiming prints the line once, on fd 2 (a worker has no
// 'exit' event), and nothing when the caller did not ask for timing.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
// The module object itself (timing.ts calls require('fs').writeSync), not an import namespace copy.
import fs = require('node:fs');
import { mark, reportTiming, restartTiming, startTiming, timingCommand } from '../../src/timing';

const originalTiming = process.env.HUSK_TIMING;
let written: string[] = [];

beforeEach(() => {
  written = [];
  mock.method(fs, 'writeSync', (fd: number, text: string) => {
    assert.equal(fd, 2, 'the timing line goes to fd 2');
    written.push(text);
    return text.length;
  });
});

afterEach(() => {
  reportTiming(); // drop whatever a failed test left recorded (written nowhere: the mock is on)
  mock.restoreAll();
  process.removeListener('exit', reportTiming);
  if (originalTiming === undefined) delete process.env.HUSK_TIMING;
  else process.env.HUSK_TIMING = originalTiming;
});

function timingLines(): Array<Record<string, unknown>> {
  return written.map((text) => {
    assert.match(text, /^husk-timing \{.*\}\n$/);
    return JSON.parse(text.slice('husk-timing '.length)) as Record<string, unknown>;
  });
}

test('restartTiming: the first phase is the worker\'s, with its figure; then the marks, exit and total', () => {
  process.env.HUSK_TIMING = '1';
  restartTiming('worker', 2.5);
  timingCommand('state');
  mark('args');
  reportTiming();
  const [line, ...more] = timingLines();
  assert.deepEqual(more, []);
  assert.deepEqual(Object.keys(line), ['command', 'worker', 'args', 'exit', 'total', 'cpu']);
  assert.equal(line.command, 'state');
  assert.equal(line.worker, 2.5);
  const phases = (line.worker as number) + (line.args as number) + (line.exit as number);
  assert.ok(Math.abs((line.total as number) - phases) < 0.05, `total ${line.total} is not the sum ${phases}`);
  const cpu = line.cpu as Record<string, number>;
  assert.equal(cpu.worker, 0, 'the fork costs the worker no CPU of its own before it starts');
  assert.deepEqual(Object.keys(cpu), ['worker', 'args', 'exit', 'total']);
});

test('the line is printed once: a second reportTiming (or the exit event) prints nothing', () => {
  process.env.HUSK_TIMING = '1';
  restartTiming('worker', 1);
  reportTiming();
  reportTiming();
  assert.equal(timingLines().length, 1);
});

test('restartTiming forgets what the daemon recorded before the fork (its "node" and its marks)', () => {
  process.env.HUSK_TIMING = '1';
  startTiming(); // the daemon's own bin/husk start
  timingCommand('daemon');
  mark('load');
  restartTiming('worker', 0.75);
  timingCommand('list');
  reportTiming();
  const [line] = timingLines();
  assert.equal(line.command, 'list');
  assert.equal(line.worker, 0.75);
  assert.equal('node' in line, false, JSON.stringify(line));
  assert.equal('load' in line, false, JSON.stringify(line));
});

test('a caller without HUSK_TIMING=1 gets no line, even when the daemon was started with it', () => {
  process.env.HUSK_TIMING = '1';
  startTiming(); // the daemon, timing itself
  mark('load');
  process.env.HUSK_TIMING = ''; // the worker took the caller's environment
  restartTiming('worker', 1);
  mark('args');
  reportTiming();
  assert.deepEqual(written, []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { isValidContainerId, validateContainerId } from '../../src/state/id';
import { isProcessAlive, parseProcessStat, readProcessStartTime, readProcessStat } from '../../src/state/proc';

test('container ids follow runc: letters, digits, _ + - . only', () => {
  for (const id of ['abc', 'a.b-c_d+e', 'A1', '..a', 'a..b', '.hidden', 'x'.repeat(255)]) {
    assert.equal(isValidContainerId(id), true, id);
  }
  for (const id of ['', '.', '..', 'a/b', '../x', 'a b', 'a,b', 'a:b', 'a@b', 'é', 'x'.repeat(256)]) {
    assert.equal(isValidContainerId(id), false, JSON.stringify(id));
  }
});

test('invalid ids get one-line HuskErrors that say what is allowed', () => {
  assert.throws(() => validateContainerId(''), (e: unknown) => e instanceof HuskError && e.message === 'container id cannot be empty');
  assert.throws(() => validateContainerId('a/b'), /invalid container id 'a\/b': use only letters, digits/);
  assert.throws(() => validateContainerId('..'), /invalid container id '\.\.'/);
  assert.throws(() => validateContainerId('y'.repeat(300)), /longer than 255 characters/);
});

test('parseProcessStat splits after the last ")" of comm', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S'; // field 3
  fields[1] = '77'; // field 4: ppid
  fields[19] = '123456'; // field 22: starttime
  const stat = parseProcessStat(`4242 (we ird) (name) ${fields.join(' ')}\n`);
  assert.deepEqual(stat, { pid: 4242, state: 'S', ppid: 77, startTime: 123456 });
  assert.equal(parseProcessStat('garbage'), undefined);
});

test('our own process is alive with its own start time, and not with another', () => {
  const startTime = readProcessStartTime(process.pid);
  assert.ok(startTime !== undefined && startTime > 0);
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(process.pid, startTime), true);
  assert.equal(isProcessAlive(process.pid, startTime + 1), false, 'a recycled pid has another start time');
});

test('a pid that does not exist, or is not a pid, is dead', () => {
  const result = spawnSync('true');
  assert.equal(isProcessAlive(result.pid as number), false);
  assert.equal(isProcessAlive(0), false);
  assert.equal(isProcessAlive(-1), false);
  assert.equal(readProcessStat(2 ** 30), undefined);
});

test('zombies count as dead (fake /proc)', () => {
  const procRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-proc-'));
  try {
    const statLine = (state: string): string => `100 (init) ${state} 1 ${Array.from({ length: 17 }, () => '0').join(' ')} 999 0 0\n`;
    fs.mkdirSync(path.join(procRoot, '100'));
    fs.writeFileSync(path.join(procRoot, '100', 'stat'), statLine('Z'));
    assert.equal(readProcessStat(100, { procRoot })?.startTime, 999);
    assert.equal(isProcessAlive(100, 999, { procRoot }), false);
    fs.writeFileSync(path.join(procRoot, '100', 'stat'), statLine('S'));
    assert.equal(isProcessAlive(100, 999, { procRoot }), true);
  } finally {
    fs.rmSync(procRoot, { recursive: true, force: true });
  }
});

test('a real zombie is dead', async () => {
  // `sleep 0` exits at once; its parent execs `sleep 5`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombiePid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    let stat = readProcessStat(zombiePid);
    for (let i = 0; i < 100 && stat?.state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      stat = readProcessStat(zombiePid);
    }
    assert.equal(stat?.state, 'Z', 'the test needs a zombie to look at');
    assert.equal(isProcessAlive(zombiePid), false);
    assert.equal(isProcessAlive(zombiePid, stat.startTime), false);
  } finally {
    parent.kill('SIGKILL');
  }
});

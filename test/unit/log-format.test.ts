import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import {
  configureLog, formatLogLine, hasLogFile, logDebug, logError, logInfo, logWarn, resetLog, rfc3339Seconds,
} from '../../src/log';

const LOG_MODULE = path.join(__dirname, '..', '..', 'src', 'log.js');
const originalTZ = process.env.TZ;

afterEach(() => {
  resetLog();
  if (originalTZ === undefined) delete process.env.TZ;
  else process.env.TZ = originalTZ;
});

function withTempDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-log-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('json lines have logrus keys in sorted order: level, msg, time', () => {
  const line = formatLogLine('error', 'container "x" does not exist', 'json', new Date('2024-01-01T00:00:00Z'));
  const time = rfc3339Seconds(new Date('2024-01-01T00:00:00Z'));
  assert.equal(line, `{"level":"error","msg":"container \\"x\\" does not exist","time":"${time}"}\n`);
  assert.deepEqual(Object.keys(JSON.parse(line)), ['level', 'msg', 'time']);
});

test('json escapes <, > and & like Go encoding/json', () => {
  const line = formatLogLine('warning', 'a<b>&c', 'json');
  assert.match(line, /"msg":"a\\u003cb\\u003e\\u0026c"/);
  assert.equal(JSON.parse(line).msg, 'a<b>&c');
});

test('text lines quote only values that need it, as logrus does', () => {
  const date = new Date('2024-05-06T07:08:09Z');
  const time = rfc3339Seconds(date);
  assert.equal(formatLogLine('error', 'no such container', 'text', date), `time="${time}" level=error msg="no such container"\n`);
  assert.equal(formatLogLine('info', 'plain-word_1.2', 'text', date), `time="${time}" level=info msg=plain-word_1.2\n`);
  assert.equal(formatLogLine('warning', 'say "hi"', 'text', date), `time="${time}" level=warning msg="say \\"hi\\""\n`);
});

test('time is RFC 3339 with seconds: Z in UTC, the offset elsewhere', () => {
  process.env.TZ = 'UTC';
  assert.equal(rfc3339Seconds(new Date('2024-01-01T00:00:00.999Z')), '2024-01-01T00:00:00Z');
  process.env.TZ = 'Asia/Kolkata';
  assert.equal(rfc3339Seconds(new Date('2024-01-01T00:00:00Z')), '2024-01-01T05:30:00+05:30');
  process.env.TZ = 'America/New_York';
  assert.equal(rfc3339Seconds(new Date('2024-01-01T00:00:00Z')), '2023-12-31T19:00:00-05:00');
});

test('configureLog rejects an unknown format', () => {
  assert.throws(() => configureLog({ format: 'yaml' }), (err: unknown) => err instanceof HuskError && /invalid --log-format 'yaml'/.test(err.message));
});

test('configureLog names a log file it cannot open', () => {
  assert.throws(() => configureLog({ file: '/nonexistent-dir-husk/log.json' }), /cannot open log file \/nonexistent-dir-husk\/log.json: ENOENT/);
});

test('with --log, every level goes to the file; debug only with --debug', () => {
  withTempDir((dir) => {
    const file = path.join(dir, 'log.json');
    configureLog({ file, format: 'json' });
    assert.equal(hasLogFile(), true);
    logError('first');
    logWarn('second');
    logInfo('third');
    logDebug('hidden');
    configureLog({ file, format: 'json', debug: true });
    logDebug('shown');
    resetLog();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
      ['error', 'first'], ['warning', 'second'], ['info', 'third'], ['debug', 'shown'],
    ]);
  });
});

test('the log file is appended to, never truncated', () => {
  withTempDir((dir) => {
    const file = path.join(dir, 'log');
    fs.writeFileSync(file, 'earlier line\n');
    configureLog({ file });
    logWarn('later');
    resetLog();
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.startsWith('earlier line\n'));
    assert.match(text, /level=warning msg=later\n$/);
  });
});

test('without --log, errors are left to the CLI while warnings go to stderr', () => {
  const script = `
    const log = require(${JSON.stringify(LOG_MODULE)});
    log.configureLog({ format: 'json' });
    log.logError('should not appear');
    log.logWarn('a warning');
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.deepEqual({ level: JSON.parse(lines[0]).level, msg: JSON.parse(lines[0]).msg }, { level: 'warning', msg: 'a warning' });
});

// Inputs that once hung or crashed husk (found by test/reliability/fuzz.test.ts): fifos and
// devices where a file is expected, huge files, absurdly deep JSON.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { UnreadableFileError, readRegularFile } from '../../src/regular-file';
import { parseJsonDocument } from '../../src/spec/json-parse';
import { loadSpec } from '../../src/spec/load';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-hostile-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('readRegularFile reads a regular file, through a symlink too', () => {
  fs.writeFileSync(path.join(dir, 'f'), 'héllo');
  fs.symlinkSync('f', path.join(dir, 'link'));
  assert.equal(readRegularFile(path.join(dir, 'f'), 100), 'héllo');
  assert.equal(readRegularFile(path.join(dir, 'link'), 100), 'héllo');
  assert.equal(readRegularFile(path.join(dir, 'f'), 6), 'héllo', 'the limit is in bytes, inclusive');
});

test('readRegularFile refuses a fifo at once instead of waiting for a writer', () => {
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  assert.throws(() => readRegularFile(path.join(dir, 'fifo'), 100), (e: unknown) => e instanceof UnreadableFileError && e.message === 'is a fifo, not a regular file');
});

test('readRegularFile refuses devices that never end, directories, and files over the limit', () => {
  assert.throws(() => readRegularFile('/dev/zero', 100), /is a character device, not a regular file/);
  assert.throws(() => readRegularFile(dir, 100), /is a directory, not a file/);
  fs.writeFileSync(path.join(dir, 'big'), 'x'.repeat(2 * 1024 * 1024 + 1));
  assert.throws(() => readRegularFile(path.join(dir, 'big'), 2 * 1024 * 1024), /is larger than 2 MiB/);
  assert.throws(() => readRegularFile(path.join(dir, 'missing'), 100), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
});

test('a config.json that is a fifo or a device is a one-line error naming it', () => {
  execFileSync('mkfifo', [path.join(dir, 'config.json')]);
  assert.throws(() => loadSpec(dir), (e: unknown) => e instanceof HuskError && e.message === `bundle ${dir}: config.json is a fifo, not a regular file`);
  fs.rmSync(path.join(dir, 'config.json'));
  fs.symlinkSync('/dev/urandom', path.join(dir, 'config.json'));
  assert.throws(() => loadSpec(dir), /config\.json is a character device, not a regular file/);
});

test('JSON nested absurdly deep is a syntax error with a position, not a stack overflow', () => {
  assert.throws(
    () => parseJsonDocument('['.repeat(200_000), 'config.json'),
    (e: unknown) => e instanceof HuskError && /^config\.json:1:\d+: invalid JSON: arrays and objects nested more than 1000 deep$/.test(e.message),
  );
  // Moderately deep and broken still gets the precise error.
  assert.throws(() => parseJsonDocument(`${'['.repeat(50)}1,,${']'.repeat(50)}`, 'x.json'), /x\.json:1:53: invalid JSON/);
});

test('a NUL character anywhere but in annotations is an error naming the field', () => {
  const config = { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } }, linux: { cgroupsPath: '/a\u0000b' }, annotations: { 'x\u0000': 'y\u0000' } };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  assert.throws(() => loadSpec(dir), (e: unknown) => e instanceof HuskError && e.message === 'linux.cgroupsPath: contains a NUL character');
  config.linux.cgroupsPath = '/ok';
  config.process.args = ['sh', '-c\u0000'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  assert.throws(() => loadSpec(dir), { message: 'process.args[1]: contains a NUL character' });
});

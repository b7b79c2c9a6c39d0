// Real hooks: small shell scripts in a temp dir.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { hookFailureIsFatal, runHook, runHooks } from '../../src/hooks';
import type { SpecState } from '../../src/spec/types';

let dir: string;
let bundle: string;
let state: SpecState;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-hooks-'));
  bundle = path.join(dir, 'bundle');
  fs.mkdirSync(bundle);
  state = { ociVersion: '1.2.0', id: 'hooked', status: 'creating', pid: 4242, bundle, annotations: { a: 'b' } };
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Write an executable /bin/sh script and return its path. */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function out(name: string): string {
  return path.join(dir, name);
}

test('the hook gets the state JSON on stdin, its args, and exactly its env', () => {
  const hook = script('record.sh', [
    'cat > "$1"',
    'printf "%s\\n" "$@" > "$2"',
    // The environment as execve gave it, before the shell adds anything of its own.
    'tr "\\0" "\\n" < /proc/$$/environ > "$3"',
    'pwd > "$4"',
  ].join('\n'));
  runHook('createRuntime', {
    path: hook,
    args: [hook, out('stdin'), out('args'), out('environ'), out('cwd')],
    env: ['A=1', 'B=two words', 'EQ=x=y', 'EMPTY='],
  }, state);
  assert.deepEqual(JSON.parse(fs.readFileSync(out('stdin'), 'utf8')), state);
  assert.deepEqual(fs.readFileSync(out('args'), 'utf8').trim().split('\n'), [out('stdin'), out('args'), out('environ'), out('cwd')]);
  assert.deepEqual(fs.readFileSync(out('environ'), 'utf8').trim().split('\n'), ['A=1', 'B=two words', 'EQ=x=y', 'EMPTY=']);
  assert.equal(fs.readFileSync(out('cwd'), 'utf8').trim(), bundle, 'hooks run in the bundle directory');
});

test('without env the hook gets an empty environment, not husk\'s', () => {
  const hook = script('env.sh', 'tr "\\0" "\\n" < /proc/$$/environ > "$1"');
  runHook('prestart', { path: hook, args: ['env.sh', out('environ')] }, state);
  assert.equal(fs.readFileSync(out('environ'), 'utf8'), '');
});

test('args[0] becomes argv[0]; without args, argv is just the path', () => {
  runHook('poststart', {
    path: '/bin/sh',
    args: ['fancy-argv0', '-c', 'tr "\\0" "\\n" < /proc/$$/cmdline > "$0"', out('cmdline')],
  }, state);
  assert.deepEqual(fs.readFileSync(out('cmdline'), 'utf8').trim().split('\n').slice(0, 2), ['fancy-argv0', '-c']);
  const hook = script('argc.sh', `echo "$#" > ${out('argc')}`);
  runHook('poststart', { path: hook }, state);
  assert.equal(fs.readFileSync(out('argc'), 'utf8').trim(), '0');
});

test('a non-zero exit names the hook kind, path, status and the last line of stderr', () => {
  const hook = script('fail.sh', 'echo "first line" >&2\necho "could not set up eth0" >&2\necho ignored-stdout\nexit 3');
  assert.throws(
    () => runHook('prestart', { path: hook }, state),
    (e: unknown) => e instanceof HuskError && e.message === `prestart hook ${hook} exited with status 3: could not set up eth0`,
  );
  const quiet = script('quiet.sh', 'exit 1');
  assert.throws(() => runHook('createRuntime', { path: quiet }, state), (e: unknown) => e instanceof HuskError && e.message === `createRuntime hook ${quiet} exited with status 1`);
});

test('a hook that ignores its stdin is judged by its exit status alone', () => {
  const big = { ...state, annotations: { blob: 'x'.repeat(1 << 20) } };
  const ok = script('ignore-ok.sh', 'exit 0');
  const bad = script('ignore-bad.sh', 'exit 5');
  for (let i = 0; i < 5; i++) runHook('poststart', { path: ok }, big);
  assert.throws(() => runHook('prestart', { path: bad }, big), (e: unknown) => e instanceof HuskError && e.message === `prestart hook ${bad} exited with status 5`);
});

test('a hook killed by a signal says so', () => {
  const hook = script('suicide.sh', 'kill -TERM $$');
  assert.throws(() => runHook('createRuntime', { path: hook }, state), (e: unknown) => e instanceof HuskError && e.message === `createRuntime hook ${hook} was killed by SIGTERM`);
});

test('timeout kills the hook and its children and fails with the timeout in the message', async () => {
  const hook = script('slow.sh', `sleep 30 &\necho $! > ${out('child')}\nwait`);
  const started = Date.now();
  assert.throws(
    () => runHook('createRuntime', { path: hook, timeout: 1 }, state),
    (e: unknown) => e instanceof HuskError && e.message === `createRuntime hook ${hook} timed out after 1s`,
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed} ms`);
  const grandchild = Number(fs.readFileSync(out('child'), 'utf8'));
  for (let i = 0; i < 100 && isRunning(grandchild); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(isRunning(grandchild), false, 'the hook\'s background sleep was killed with it');
});

function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

test('a missing hook binary, a relative path and a bad timeout are clear errors', () => {
  assert.throws(() => runHook('prestart', { path: path.join(dir, 'nope') }, state), /prestart hook .*nope could not be run: ENOENT/);
  assert.throws(() => runHook('prestart', { path: 'relative/hook' }, state), /hooks\.prestart\[0\]\.path 'relative\/hook' must be an absolute path/);
  assert.throws(() => runHook('prestart', { path: '/bin/true', timeout: 0 }, state, 2), /hooks\.prestart\[2\]\.timeout must be a number of seconds greater than zero/);
  assert.throws(() => runHook('prestart', { path: '/bin/true', env: ['NOEQUALS'] }, state), /hooks\.prestart\[0\]\.env\[0\] 'NOEQUALS' is not of the form NAME=value/);
});

test('fatal kinds stop at the first failing hook', () => {
  const failing = script('fail.sh', 'exit 2');
  const marker = script('marker.sh', `touch ${out('ran')}`);
  for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart'] as const) {
    assert.equal(hookFailureIsFatal(kind), true);
    assert.throws(
      () => runHooks(kind, [{ path: failing }, { path: marker }], state),
      (e: unknown) => e instanceof HuskError && e.message === `${kind} hook ${failing} exited with status 2`,
    );
    assert.equal(fs.existsSync(out('ran')), false, `${kind}: later hooks do not run`);
  }
});

test('poststop failures are warnings, and the remaining hooks still run', () => {
  const failing = script('fail.sh', 'echo broken >&2; exit 4');
  const marker = script('marker.sh', 'touch "$1"');
  for (const kind of ['poststop'] as const) {
    assert.equal(hookFailureIsFatal(kind), false);
    const warnings: string[] = [];
    const ran = out(`ran-${kind}`);
    runHooks(kind, [{ path: failing }, { path: marker, args: ['marker', ran] }], { ...state, status: 'stopped' }, { warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, [`${kind} hook ${failing} exited with status 4: broken`]);
    assert.equal(fs.existsSync(ran), true);
  }
});

test('hooks run in order, and no hooks is fine', () => {
  const append = script('append.sh', `echo "$1" >> ${out('order')}`);
  runHooks('prestart', [1, 2, 3].map((n) => ({ path: append, args: ['append', String(n)] })), state);
  assert.equal(fs.readFileSync(out('order'), 'utf8'), '1\n2\n3\n');
  runHooks('prestart', undefined, state);
  runHooks('poststop', [], state);
});

test('poststop still runs when the bundle is gone (from /)', () => {
  const hook = script('cwd.sh', `pwd > ${out('cwd')}`);
  runHook('poststop', { path: hook }, { ...state, bundle: path.join(dir, 'removed-bundle') });
  assert.equal(fs.readFileSync(out('cwd'), 'utf8').trim(), '/');
});

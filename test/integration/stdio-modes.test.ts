// Stdio without a terminal: the caller's fds go to the container as they are (detached and in
// the foreground), --preserve-fds passes more, and systemd socket activation (LISTEN_FDS with
// LISTEN_PID naming the runtime) hands its sockets on with LISTEN_FDS/LISTEN_PID=1 set inside.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { describeResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

describe('stdio modes', suiteOptions(), () => {
  const context = useTestContext();

  /**
   * `run` started through `sh -c 'VARS exec runtime ...'`, so that LISTEN_PID can name the
   * runtime's own pid ($$ survives exec). extraFds become fds 3, 4, ...
   */
  function runWithEnv(ctx: TestContext, env: string, args: string[], extraFds: number[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const dir = ctx.newDir('io');
    const stdout = fs.openSync(path.join(dir, 'stdout'), 'w');
    const stderr = fs.openSync(path.join(dir, 'stderr'), 'w');
    const quoted = [ctx.runtime.bin, '--root', ctx.runtime.root, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('sh', ['-c', `${env} exec ${quoted}`], { stdio: ['ignore', stdout, stderr, ...extraFds] });
    fs.closeSync(stdout);
    fs.closeSync(stderr);
    return new Promise((resolve) => {
      child.on('exit', (status) =>
        resolve({ status, stdout: fs.readFileSync(path.join(dir, 'stdout'), 'utf8'), stderr: fs.readFileSync(path.join(dir, 'stderr'), 'utf8') }),
      );
    });
  }

  it('socket activation: LISTEN_FDS fds come first, --preserve-fds after them; the process sees LISTEN_FDS=N LISTEN_PID=1', testOptions, async () => {
    const ctx = context();
    const dir = ctx.newDir('fds');
    const listenFile = path.join(dir, 'listen'), preservedFile = path.join(dir, 'preserved');
    const listenFd = fs.openSync(listenFile, 'w'), preservedFd = fs.openSync(preservedFile, 'w');
    const bundle = makeBundle(ctx).setShellScript('echo "$LISTEN_FDS $LISTEN_PID"; echo to-listen-fd >&3; echo to-preserved-fd >&4').save();
    try {
      const result = await runWithEnv(ctx, 'LISTEN_PID=$$ LISTEN_FDS=1', ['run', '--preserve-fds', '1', '--bundle', bundle.dir, ctx.newId()], [listenFd, preservedFd]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '1 1\n');
    } finally {
      fs.closeSync(listenFd);
      fs.closeSync(preservedFd);
    }
    assert.equal(fs.readFileSync(listenFile, 'utf8'), 'to-listen-fd\n');
    assert.equal(fs.readFileSync(preservedFile, 'utf8'), 'to-preserved-fd\n');
  });

  it('socket activation meant for another process (LISTEN_PID is not the runtime) passes nothing', testOptions, async () => {
    const ctx = context();
    const file = path.join(ctx.newDir('fds'), 'listen');
    const fd = fs.openSync(file, 'w');
    const bundle = makeBundle(ctx).setShellScript('echo "[$LISTEN_FDS]"; [ -e /proc/self/fd/3 ] || echo no-fd-3').save();
    try {
      const result = await runWithEnv(ctx, 'LISTEN_PID=1 LISTEN_FDS=1', ['run', '--bundle', bundle.dir, ctx.newId()], [fd]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '[]\nno-fd-3\n');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('run --detach hands the caller\'s stdio files to the container itself', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setShellScript('echo early; sleep 0.5; echo late; sleep 600').save();
    const id = ctx.newId();
    const result = await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    const { pid } = await ctx.runtime.waitForStatus(id, 'running');
    // The runtime has exited; the container still writes to the same file, through the same fd.
    const target = fs.readlinkSync(`/proc/${pid}/fd/1`);
    assert.ok(target.endsWith('.stdout'), target);
    await waitFor('the late line', () => fs.readFileSync(target, 'utf8').includes('late'));
    assert.equal(result.status, 0, describeResult(result));
  });

  it('run in the foreground passes stdin, stdout and stderr through', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setShellScript('read line; echo "out:$line"; echo "err:$line" >&2').save();
    const result = await ctx.runtime.run(['run', '--bundle', bundle.dir, ctx.newId()], { input: 'abc\n' });
    assert.equal(result.status, 0, describeResult(result));
    assert.equal(result.stdout, 'out:abc\n');
    assert.equal(result.stderr, 'err:abc\n');
  });
});

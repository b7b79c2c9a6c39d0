// process.terminal with --console-socket: the pty is made inside the container, its master goes
// to the socket (the test's receiver plays containerd), its slave is the process's stdio,
// controlling terminal and /dev/console. Also true of runc (HUSK_TEST_RUNTIME=/usr/sbin/runc).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { ConsoleReceiver, ReceivedTerminal } from '../helpers/console-receiver';
import { TestContext } from '../helpers/context';
import { describeResult, RunResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

describe('terminal: --console-socket', suiteOptions(), () => {
  const context = useTestContext();
  const receivers: ConsoleReceiver[] = [];
  after(() => {
    for (const made of receivers.splice(0)) made.close();
  });

  function receiver(ctx: TestContext): ConsoleReceiver {
    const made = new ConsoleReceiver(ctx.newDir('console'));
    receivers.push(made);
    return made;
  }

  function terminalBundle(ctx: TestContext, script: string, configure: (b: Bundle) => Bundle = (b) => b): Bundle {
    const bundle = makeBundle(ctx).setShellScript(script);
    bundle.config.process.terminal = true;
    return configure(bundle).save();
  }

  /**
   * `create --console-socket`, receiving the master while create runs (the runtime connects and
   * sends during create). Returns the terminal and create's result.
   */
  async function createWithTerminal(ctx: TestContext, bundle: Bundle, id: string): Promise<{ terminal: ReceivedTerminal; result: RunResult }> {
    const console = receiver(ctx);
    const creating = ctx.runtime.run(['create', '--console-socket', console.socketPath, '--bundle', bundle.dir, id]);
    const [terminal, result] = await Promise.all([console.receive(), creating]);
    assert.equal(result.status, 0, describeResult(result));
    return { terminal, result };
  }

  it('the master arrives at the socket; the process sees a pty as stdio, of consoleSize, and /dev/console is it', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(
      ctx,
      'tty; stty size; stat -c "%t %F" /dev/console; [ "$(stat -c %t:%T /dev/console)" = "$(stat -c %t:%T $(tty))" ] && echo console-is-tty',
      (b) => {
        b.config.process.consoleSize = { height: 33, width: 111 };
        return b;
      },
    );
    const id = ctx.newId();
    const { terminal } = await createWithTerminal(ctx, bundle, id);
    assert.equal(terminal.name, '/dev/ptmx', 'runc sends the master with its name, /dev/ptmx');
    await ctx.runtime.runOk(['start', id]);
    const output = await terminal.waitForEnd();
    const lines = output.split('\n').map((l) => l.trim());
    assert.match(lines[0], /^\/dev\/pts\/\d+$/, output);
    assert.equal(lines[1], '33 111', output);
    assert.match(lines[2], /^88 character special file$/, output); // 0x88 = 136, the pty slave major
    assert.equal(lines[3], 'console-is-tty', output);
  });

  it('what is written to the master reaches the process; the pty is its controlling terminal', testOptions, async () => {
    const ctx = context();
    // Field 7 of /proc/self/stat is the controlling terminal (0: none).
    const bundle = terminalBundle(ctx, 'read line; echo "got:$line"; cut -d" " -f7 /proc/self/stat');
    const id = ctx.newId();
    const { terminal } = await createWithTerminal(ctx, bundle, id);
    await ctx.runtime.runOk(['start', id]);
    terminal.write('hello\n');
    const output = await terminal.waitForEnd();
    assert.match(output, /got:hello/);
    const ttyNr = output.trim().split('\n').pop()?.trim();
    assert.notEqual(ttyNr, '0', output);
  });

  it('a non-root process owns its terminal', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(ctx, 'stat -c %u $(tty)', (b) => b.setUser({ uid: 1000, gid: 1000 }));
    const id = ctx.newId();
    const { terminal } = await createWithTerminal(ctx, bundle, id);
    await ctx.runtime.runOk(['start', id]);
    assert.equal((await terminal.waitForEnd()).trim(), '1000');
  });

  it('works in a user namespace', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(ctx, 'tty; id -u', (b) => b.setUserNamespace(100000, 65536));
    const id = ctx.newId();
    const { terminal } = await createWithTerminal(ctx, bundle, id);
    await ctx.runtime.runOk(['start', id]);
    const output = await terminal.waitForEnd();
    assert.match(output, /\/dev\/pts\/\d+\n0\n/, output);
  });

  it('run --detach --console-socket works like create + start', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(ctx, 'tty; echo detached-run');
    const console = receiver(ctx);
    const running = ctx.runtime.run(['run', '--detach', '--console-socket', console.socketPath, '--bundle', bundle.dir, ctx.newId()]);
    const [terminal, result] = await Promise.all([console.receive(), running]);
    assert.equal(result.status, 0, describeResult(result));
    assert.match(await terminal.waitForEnd(), /\/dev\/pts\/\d+\ndetached-run\n/);
  });

  it('exec --tty --detach --console-socket: the exec\'d process gets a terminal of its own', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    const console = receiver(ctx);
    const execing = ctx.runtime.run(['exec', '--tty', '--detach', '--console-socket', console.socketPath, id, 'sh', '-c', 'tty; read x; echo "in:$x"']);
    const [terminal, result] = await Promise.all([console.receive(), execing]);
    assert.equal(result.status, 0, describeResult(result));
    await terminal.waitForOutput(/\/dev\/pts\/\d+/);
    terminal.write('typed\n');
    assert.match(await terminal.waitForEnd(), /in:typed/);
  });

  it('create refuses a terminal without --console-socket, and --console-socket without a terminal; nothing is left', testOptions, async () => {
    const ctx = context();
    const withTerminal = terminalBundle(ctx, 'true');
    const noSocket = await ctx.runtime.run(['create', '--bundle', withTerminal.dir, ctx.newId()]);
    assert.notEqual(noSocket.status, 0, describeResult(noSocket));
    assert.match(noSocket.stderr, /console.socket|console socket/);

    const withoutTerminal = makeBundle(ctx).setArgs('true').save();
    const console = receiver(ctx);
    const noTerminal = await ctx.runtime.run(['create', '--console-socket', console.socketPath, '--bundle', withoutTerminal.dir, ctx.newId()]);
    assert.notEqual(noTerminal.status, 0, describeResult(noTerminal));
    assert.match(noTerminal.stderr, /console.socket|console socket/);
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });

  it('create fails cleanly when nobody listens on the console socket', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(ctx, 'true');
    const result = await ctx.runtime.run(['create', '--console-socket', `${ctx.newDir('sock')}/none.sock`, '--bundle', bundle.dir, ctx.newId()]);
    assert.notEqual(result.status, 0, describeResult(result));
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });

  it('the process gets SIGHUP when the receiver closes the master', testOptions, async () => {
    const ctx = context();
    const bundle = terminalBundle(ctx, 'trap "exit 9" HUP; echo ready; while :; do sleep 0.1; done');
    const id = ctx.newId();
    const { terminal } = await createWithTerminal(ctx, bundle, id);
    await ctx.runtime.runOk(['start', id]);
    await terminal.waitForOutput('ready');
    terminal.close();
    await ctx.runtime.waitForStatus(id, 'stopped');
  });
});

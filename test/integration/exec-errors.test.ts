// `exec` that must fail: a clear message, exit status 255 (runc's for a failed exec), and no
// process left behind in the container or on the host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { TestContext } from '../helpers/context';
import { linesOf } from '../helpers/inside';
import { processCgroupText } from '../helpers/procfs';
import { describeResult, RunResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { sleep, waitFor } from '../helpers/wait';

const EXEC_FAILED = 255;

describe('exec: failures', suiteOptions(), () => {
  const context = useTestContext();

  async function runningContainer(ctx: TestContext, configure: (b: Bundle) => Bundle = (b) => b): Promise<{ id: string; pid: number }> {
    const bundle = configure(makeBundle(ctx).setArgs('sleep', '600')).save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    const state = await ctx.runtime.waitForStatus(id, 'running');
    return { id, pid: state.pid };
  }

  /** Every process of the container's cgroup tree (pids hierarchy, or the unified one). */
  function containerProcesses(initPid: number): number[] {
    const line = processCgroupText(initPid)
      .split('\n')
      .find((l) => /^\d+:pids:/.test(l) || /^0::/.test(l));
    assert.ok(line);
    const [, controller, cgroupPath] = line.split(':');
    const dir = controller === 'pids' ? path.join('/sys/fs/cgroup/pids', cgroupPath) : path.join('/sys/fs/cgroup', cgroupPath);
    const pids: number[] = [];
    const walk = (d: string) => {
      pids.push(...linesOf(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8')).map(Number));
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(d, entry.name));
    };
    walk(dir);
    return pids;
  }

  /** The failure: status 255, the message matching, only the init left in the container. */
  async function assertFailsCleanly(result: RunResult, message: RegExp, initPid: number): Promise<void> {
    assert.equal(result.status, EXEC_FAILED, describeResult(result));
    assert.match(result.stderr, message, describeResult(result));
    await waitFor('the container to hold only its init', () => {
      const pids = containerProcesses(initPid);
      return pids.length === 1 && pids[0] === initPid;
    });
  }

  it('a program that is not in the container', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    const result = await ctx.runtime.run(['exec', id, 'no-such-program']);
    await assertFailsCleanly(result, /no-such-program/, pid);
  });

  it('a --cwd that does not exist', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--cwd', '/no/such/dir', id, 'true']), /no\/such\/dir|chdir/, pid);
  });

  it('a --user that is not a number', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--user', 'alice', id, 'true']), /alice/, pid);
  });

  it('a uid the container\'s user namespace does not map', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx, (b) => b.setUserNamespace(100000, 65536));
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--user', '70000', id, 'true']), /70000|unmapped/, pid);
  });

  // config.md: a capability that cannot be mapped to the kernel MUST be logged as a warning (and
  // the runtime SHOULD NOT fail); husk and runc both warn, naming it, and run the process.
  it('an unknown --cap is a warning naming it, and the process runs', testOptions, async () => {
    const ctx = context();
    const { id } = await runningContainer(ctx);
    const result = await ctx.runtime.run(['exec', '--cap', 'CAP_NO_SUCH', id, 'true']);
    assert.equal(result.status, 0, describeResult(result));
    assert.match(result.stderr, /CAP_NO_SUCH/);
  });

  it('no command and no --process', testOptions, async () => {
    const ctx = context();
    const { id } = await runningContainer(ctx);
    const result = await ctx.runtime.run(['exec', id]);
    assert.notEqual(result.status, 0, describeResult(result));
  });

  it('a --process file that is not a process', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    const file = path.join(ctx.newDir('p'), 'process.json');
    fs.writeFileSync(file, JSON.stringify({ args: ['true'] })); // no cwd, no user
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--process', file, id]), /cwd|user/i, pid);
  });

  it('a container that does not exist', testOptions, async () => {
    const ctx = context();
    const result = await ctx.runtime.run(['exec', ctx.newId(), 'true']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /does not exist|not exist/);
  });

  it('a stopped container', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('true').save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    await ctx.runtime.waitForStatus(id, 'stopped');
    const result = await ctx.runtime.run(['exec', id, 'true']);
    assert.equal(result.status, EXEC_FAILED, describeResult(result));
    assert.match(result.stderr, /stopped/);
  });

  it('a paused container, unless --ignore-paused (the process then waits for resume)', testOptions, async () => {
    const ctx = context();
    const { id } = await runningContainer(ctx);
    await ctx.runtime.runOk(['pause', id]);
    const refused = await ctx.runtime.run(['exec', id, 'true']);
    assert.equal(refused.status, EXEC_FAILED, describeResult(refused));
    assert.match(refused.stderr, /paused/);
    const allowed = ctx.runtime.run(['exec', '--ignore-paused', id, 'sh', '-c', 'echo ran']);
    await sleep(300);
    await ctx.runtime.runOk(['resume', id]);
    const result = await allowed;
    assert.equal(result.status, 0, describeResult(result));
    assert.equal(result.stdout, 'ran\n');
  });

  it('--console-socket without --tty, and --tty --detach without --console-socket', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    const socket = path.join(ctx.newDir('sock'), 'console.sock');
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--console-socket', socket, '-d', id, 'true']), /console/, pid);
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--tty', '--detach', id, 'true']), /console/, pid);
  });

  it('a --console-socket nobody listens on', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    const socket = path.join(ctx.newDir('sock'), 'nobody.sock');
    await assertFailsCleanly(await ctx.runtime.run(['exec', '-t', '-d', '--console-socket', socket, id, 'true']), /nobody\.sock|connect/, pid);
  });

  it('a --cgroup sub-cgroup that does not exist', testOptions, async () => {
    const ctx = context();
    const { id, pid } = await runningContainer(ctx);
    await assertFailsCleanly(await ctx.runtime.run(['exec', '--cgroup', 'no-such-sub', id, 'true']), /no-such-sub/, pid);
  });
});

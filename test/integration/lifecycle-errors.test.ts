// Bad input and wrong-state commands: exit status 1, one line on stderr, and
// nothing left behind. Proven against runc 1.1.5, whose messages are single
// `time=... level=error msg=...` lines too, so the one-line rule holds for both.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { assertNothingLeft } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { assertOneLineFailure, describeResult, RunResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

const LONG_SLEEP = ['sleep', '600'];

/** The error contract: status 1, nothing on stdout, exactly one non-empty line on stderr. */
function assertQuietFailure(result: RunResult, mentions?: string): void {
  assert.equal(result.stdout, '', describeResult(result));
  assertOneLineFailure(result, ...(mentions === undefined ? [] : [mentions]));
}

describe('lifecycle: errors', suiteOptions(), () => {
  const context = useTestContext();

  async function runningContainer(ctx: TestContext): Promise<string> {
    const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
    await ctx.runtime.waitForStatus(id, 'running');
    return id;
  }

  interface BadBundleCase {
    name: string;
    /** Breaks the bundle; returns a string stderr must mention, if any. */
    spoil: (bundle: Bundle, ctx: TestContext) => string | void;
  }

  const badBundles: BadBundleCase[] = [
    { name: 'malformed JSON', spoil: (bundle) => bundle.writeRawConfig('{"ociVersion": "1.0.2", "process": {') },
    { name: 'no config.json', spoil: (bundle) => fs.rmSync(bundle.configPath) },
    {
      name: 'schema violation: process.args is a string',
      spoil: (bundle) => {
        (bundle.config.process as unknown as Record<string, unknown>).args = 'sh';
        bundle.save();
      },
    },
    {
      name: 'schema violation: unknown namespace type',
      spoil: (bundle) => {
        bundle.setNamespace({ type: 'bogus' }).save();
      },
    },
    {
      name: 'no process (required to create a container)',
      spoil: (bundle) => {
        delete (bundle.config as unknown as Record<string, unknown>).process;
        bundle.save();
      },
    },
    {
      name: 'missing rootfs',
      spoil: (bundle) => {
        bundle.config.root.path = 'no-such-rootfs';
        bundle.save();
        return 'no-such-rootfs';
      },
    },
    {
      name: 'namespace path that does not exist',
      spoil: (bundle, ctx) => {
        const missing = `/run/netns/${ctx.prefix}missing`;
        bundle.setNamespace({ type: 'network', path: missing }).save();
        return missing;
      },
    },
  ];

  for (const subcommand of ['create', 'run']) {
    describe(`${subcommand} with a bad bundle fails and leaves nothing behind`, () => {
      for (const badBundle of badBundles) {
        it(badBundle.name, testOptions, async () => {
          const ctx = context();
          const bundle = makeBundle(ctx).setArgs('/bin/true').save();
          const mentions = badBundle.spoil(bundle, ctx) ?? undefined;
          const id = ctx.newId();
          assertQuietFailure(await ctx.runtime.run([subcommand, '--bundle', bundle.dir, id]), mentions);
          await assertNothingLeft(ctx);
          assert.notEqual((await ctx.runtime.run(['state', id])).status, 0, 'a failed create left a container');
        });
      }
    });
  }

  it('create in a bundle directory that does not exist', testOptions, async () => {
    const ctx = context();
    const missingDir = path.join(ctx.tmpDir, 'no-such-bundle');
    assertQuietFailure(await ctx.runtime.run(['create', '--bundle', missingDir, ctx.newId()]));
    await assertNothingLeft(ctx);
  });

  it('create with an invalid id (contains /)', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('/bin/true').save();
    assertQuietFailure(await ctx.runtime.run(['create', '--bundle', bundle.dir, `${ctx.newId()}/x`]));
    await assertNothingLeft(ctx);
  });

  it('create with an id in use fails and leaves the first container alone', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs(...LONG_SLEEP).save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
    const first = await ctx.runtime.state(id);
    assertQuietFailure(await ctx.runtime.run(['create', '--bundle', bundle.dir, id]));
    const after = await ctx.runtime.state(id);
    assert.deepEqual([after.status, after.pid, after.created], [first.status, first.pid, first.created]);
    await ctx.runtime.runOk(['delete', '--force', id]);
    await assertNothingLeft(ctx);
  });

  describe('unknown id', () => {
    const commands: [string, string[]][] = [
      ['state', []],
      ['start', []],
      ['kill', ['KILL']],
      ['delete', []],
    ];
    for (const [subcommand, extra] of commands) {
      it(`${subcommand} of an unknown id`, testOptions, async () => {
        const ctx = context();
        assertQuietFailure(await ctx.runtime.run([subcommand, ctx.newId(), ...extra]));
        await assertNothingLeft(ctx);
      });
    }

    // runc: `delete --force` of an unknown id succeeds silently (idempotent cleanup).
    it('delete --force of an unknown id succeeds', testOptions, async () => {
      const ctx = context();
      const result = await ctx.runtime.run(['delete', '--force', ctx.newId()]);
      assert.equal(result.status, 0, describeResult(result));
      await assertNothingLeft(ctx);
    });
  });

  describe('wrong state', () => {
    it('start of a running container fails and it keeps running', testOptions, async () => {
      const ctx = context();
      const id = await runningContainer(ctx);
      assertQuietFailure(await ctx.runtime.run(['start', id]));
      assert.equal((await ctx.runtime.state(id)).status, 'running');
      await ctx.runtime.runOk(['delete', '--force', id]);
      await assertNothingLeft(ctx);
    });

    it('delete of a running container without --force fails and it keeps running', testOptions, async () => {
      const ctx = context();
      const id = await runningContainer(ctx);
      assertQuietFailure(await ctx.runtime.run(['delete', id]));
      assert.equal((await ctx.runtime.state(id)).status, 'running');
      await ctx.runtime.runOk(['delete', '--force', id]);
      await assertNothingLeft(ctx);
    });

    it('start of a stopped container fails', testOptions, async () => {
      const ctx = context();
      const id = await runningContainer(ctx);
      await ctx.runtime.runOk(['kill', id, 'KILL']);
      await ctx.runtime.waitForStatus(id, 'stopped');
      assertQuietFailure(await ctx.runtime.run(['start', id]));
      await ctx.runtime.runOk(['delete', id]);
      await assertNothingLeft(ctx);
    });

    // runc 1.1: kill of a stopped container is an error ("container not running").
    it('kill of a stopped container fails', testOptions, async () => {
      const ctx = context();
      const id = await runningContainer(ctx);
      await ctx.runtime.runOk(['kill', id, 'KILL']);
      await ctx.runtime.waitForStatus(id, 'stopped');
      assertQuietFailure(await ctx.runtime.run(['kill', id, 'KILL']));
      await ctx.runtime.runOk(['delete', id]);
      await assertNothingLeft(ctx);
    });

    it('kill with an unknown signal name fails and the container keeps running', testOptions, async () => {
      const ctx = context();
      const id = await runningContainer(ctx);
      assertQuietFailure(await ctx.runtime.run(['kill', id, 'SIGBOGUS']));
      assert.equal((await ctx.runtime.state(id)).status, 'running');
      await ctx.runtime.runOk(['delete', '--force', id]);
      await assertNothingLeft(ctx);
    });
  });
});

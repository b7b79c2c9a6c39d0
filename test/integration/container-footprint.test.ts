// What a container costs and keeps of husk (issue 8, "the container side has no overhead").
//
// A created container's init is a clone of husk's Node process. It must not keep husk's malloc
// heap while it waits for `start` (addon/memory.c releases it; a plan field allocated outside
// husk_plan_alloc would make it stay, and this test notice). After execve nothing of husk
// remains: not the node binary, not the addon, no fd beyond stdio.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

/** Rss (KiB) of each mapping of a process, by the mapping's pathname ('' for anonymous ones). */
function residentByMapping(pid: number): Array<{ name: string; rssKiB: number }> {
  const out: Array<{ name: string; rssKiB: number }> = [];
  let name = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) name = header[1];
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.push({ name, rssKiB: Number(rss[1]) });
  }
  return out;
}

describe('container footprint', suiteOptions(), () => {
  const context = useTestContext();

  it("the init waiting for start holds no page of husk's malloc heap", testOptions, async (t) => {
    const ctx = context();
    if (ctx.runtime.name !== 'husk') return t.skip('husk-specific: runc init is not a clone of a Node process');
    const bundle = makeBundle(ctx).setArgs('/bin/true').save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
    const { pid } = await ctx.runtime.state(id);
    const heap = residentByMapping(pid).filter((m) => m.name === '[heap]');
    const resident = heap.reduce((sum, m) => sum + m.rssKiB, 0);
    assert.ok(resident <= 16, `the init still has ${resident} KiB of husk's [heap] resident (addon/memory.c released nothing?)`);
    // And it still does its job with that memory gone.
    await ctx.runtime.runOk(['start', id]);
    await ctx.runtime.waitForStatus(id, 'stopped');
    await ctx.runtime.runOk(['delete', id]);
  });

  it('after execve nothing of husk is left in the container process', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    const id = ctx.newId();
    await ctx.runtime.runOk(['create', '--bundle', bundle.dir, id]);
    await ctx.runtime.runOk(['start', id]);
    const { pid } = await ctx.runtime.waitForStatus(id, 'running');
    const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
    assert.doesNotMatch(maps, /node|husk_addon|libstdc\+\+/, 'the container process still maps part of husk');
    assert.deepEqual(fs.readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
    await ctx.runtime.runOk(['delete', '--force', id]);
  });
});

// Fuzzing: mutated config.json (from `runc spec`, `husk spec`, a Podman-like and a containerd-like
// config) and process.json (for `exec --process`), then hostile bundles. husk must never crash
// (no internal error, no stack, no signal), never hang (every command has a deadline), leave
// nothing behind, and reject with one line that names the field. Seeded and bounded:
// HUSK_FUZZ_SEED and HUSK_FUZZ_CASES reproduce a run; a failure names the seed and case.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { describeLeftovers, findLeftovers, isEmpty } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { hostMounts } from '../helpers/procfs';
import { RUNC_BIN } from '../helpers/paths';
import { RunResult, RuntimeTimeoutError, describeResult } from '../helpers/runtime';
import { suiteOptions, useTestContext } from '../helpers/suite';
import { sleep } from '../helpers/wait';
import { SIZES, Figures, Random, contractViolation, newFigures, recordFigures } from './harness';
import { Json, Mutation, containerdLikeConfig, execProcessBase, mutateJson, mutateText, podmanLikeConfig } from './fuzz-inputs';

const COMMAND_TIMEOUT_MS = 20_000;

/**
 * Top-level config fields: a rejection of a mutated config must name the field it is about.
 * ("the program to run 'x'" is how the init reports process.args[0] it cannot find.)
 */
const FIELD_WORDS = /\b(ociVersion|process|root|hostname|domainname|mounts|hooks|annotations|linux|config\.json|JSON|sysctl)\b|program to run/;

interface Outcome {
  result?: RunResult;
  problem?: string;
}

describe('reliability: fuzzing', { ...suiteOptions(), timeout: 4 * 60 * 60_000 }, () => {
  const context = useTestContext();
  const figures = newFigures();
  after(() => recordFigures('fuzz', figures));

  /** One husk command under the contract; a hang is a problem, not an exception. */
  async function husk(ctx: TestContext, figuresOf: Figures, args: string[]): Promise<Outcome> {
    figuresOf.operations++;
    const log = path.join(ctx.tmpDir, 'fuzz.log');
    try {
      // --debug: an internal error would print its stack (which the contract forbids); --log
      // keeps debug lines off stderr.
      const result = await ctx.runtime.run(['--log', log, '--debug', ...args], { timeoutMs: COMMAND_TIMEOUT_MS });
      const violation = contractViolation(result);
      return { result, problem: violation ? `${violation}: ${describeResult(result)}` : undefined };
    } catch (err) {
      if (err instanceof RuntimeTimeoutError) return { problem: `hang: ${err.message}` };
      throw err;
    }
  }

  async function leftovers(ctx: TestContext): Promise<string> {
    let found = findLeftovers(ctx);
    for (let attempt = 0; attempt < 40 && !isEmpty(found); attempt++) {
      await sleep(50);
      found = findLeftovers(ctx);
    }
    return isEmpty(found) ? '' : describeLeftovers(found);
  }

  /** The bundle's extra files the Podman-like config binds. */
  function podmanFiles(bundle: Bundle): void {
    fs.writeFileSync(path.join(bundle.dir, 'hostname'), 'fuzz\n');
    fs.writeFileSync(path.join(bundle.dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    fs.writeFileSync(path.join(bundle.dir, 'hosts'), '127.0.0.1 localhost\n');
    fs.writeFileSync(path.join(bundle.dir, 'containerenv'), '');
  }

  function generatedSpec(bin: string, dir: string): Json {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync(bin, ['spec', '--bundle', dir], { stdio: 'ignore' });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.process.args = ['true'];
    return config as Json;
  }

  /**
   * Paths the mutator leaves alone because a change there would point the test at the host, not
   * at husk: root.path (an absolute or escaping rootfs is a hostile-bundle case below, done with
   * a safe target).
   */
  const keep = (where: string): boolean => where !== 'root.path' && where !== 'root';

  it(`${SIZES.fuzzCases} mutated config.json (seed ${SIZES.fuzzSeed}): one-line errors naming the field, nothing left`, { timeout: 4 * 60 * 60_000 }, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    podmanFiles(bundle);
    const cgroupParent = `/${ctx.prefix}fuzz`;
    const bases: Array<[string, Json]> = [
      ['husk spec', generatedSpec(ctx.runtime.bin, ctx.newDir('husk-spec'))],
      ['podman-like', podmanLikeConfig(bundle.dir, cgroupParent)],
      ['containerd-like', containerdLikeConfig(cgroupParent)],
    ];
    if (fs.existsSync(RUNC_BIN)) bases.unshift(['runc spec', generatedSpec(RUNC_BIN, ctx.newDir('runc-spec'))]);

    const problems: string[] = [];
    const unnamed: string[] = [];
    let accepted = 0;
    // Every base config must be accepted as it is, or the mutations test nothing.
    for (const [name, config] of bases) {
      fs.writeFileSync(bundle.configPath, JSON.stringify(config, null, 2));
      const id = ctx.newId();
      const outcome = await husk(ctx, figures, ['create', '--bundle', bundle.dir, id]);
      assert.equal(outcome.result?.status, 0, `base config ${name} is refused: ${outcome.problem ?? describeResult(outcome.result!)}`);
      await husk(ctx, figures, ['delete', '--force', id]);
    }

    const cgroupRoots = [...new Set(hostMounts().filter((m) => m.fsType.startsWith('cgroup')).map((m) => m.mountPoint))];
    for (let index = 0; index < SIZES.fuzzCases; index++) {
      const random = new Random(SIZES.fuzzSeed * 7919 + index);
      const [baseName, base] = bases[index % bases.length];
      const baseText = JSON.stringify(base, null, 2);
      let description: string;
      let mutations: Mutation[] = [];
      let cgroupCandidates: string[] = [];
      if (random.chance(0.2)) {
        const { text, what } = mutateText(baseText, random);
        fs.writeFileSync(bundle.configPath, Buffer.from(text, what === 'invalid UTF-8' ? 'latin1' : 'utf8'));
        description = `${baseName}, text: ${what}`;
      } else {
        const mutated = mutateJson(base, random, keep);
        mutations = mutated.mutations;
        fs.writeFileSync(bundle.configPath, JSON.stringify(mutated.value, null, 2));
        description = `${baseName}: ${mutations.map((m) => `${m.where} ${m.what}`).join('; ')}`;
        const cgroupsPath = (mutated.value as { linux?: { cgroupsPath?: unknown } })?.linux?.cgroupsPath;
        if (typeof cgroupsPath === 'string' && cgroupsPath.startsWith('/') && !cgroupsPath.includes('\u0000')) {
          cgroupCandidates = cgroupRoots.map((rootDir) => path.join(rootDir, cgroupsPath)).filter((dir) => !fs.existsSync(dir));
        }
      }
      figures.badInputs++;
      const where = `case ${index} (HUSK_FUZZ_SEED=${SIZES.fuzzSeed}) ${description}`;
      const id = ctx.newId();
      const outcome = await husk(ctx, figures, ['create', '--bundle', bundle.dir, id]);
      if (outcome.problem) problems.push(`${where}: ${outcome.problem}`);
      if (outcome.result?.status === 0) {
        accepted++;
        const deleted = await husk(ctx, figures, ['delete', '--force', id]);
        if (deleted.problem || deleted.result?.status !== 0) problems.push(`${where}: delete --force: ${deleted.problem ?? describeResult(deleted.result!)}`);
      } else if (outcome.result?.status === 1 && !FIELD_WORDS.test(outcome.result.stderr)) {
        unnamed.push(`${where}: ${outcome.result.stderr.trim()}`);
      } else if (!outcome.result) {
        // A hang: the runtime was killed; whatever it left must still go.
        await husk(ctx, figures, ['delete', '--force', id]);
      }
      const left = await leftovers(ctx);
      const strayCgroups = cgroupCandidates.filter((dir) => fs.existsSync(dir));
      if (left || strayCgroups.length) {
        figures.leaks++;
        problems.push(`${where}: left behind:\n${left}${strayCgroups.join('\n')}`);
        strayCgroups.forEach((dir) => fs.rmSync(dir, { recursive: false, force: true }));
      }
      if (problems.length > 20) break;
    }
    figures.notes!.push(`config.json: ${SIZES.fuzzCases} cases from ${bases.map(([name]) => name).join(', ')}, ${accepted} accepted, ${unnamed.length} rejections not naming a field`);
    figures.leaks += problems.filter((p) => p.includes('hang') || p.includes('stack') || p.includes('died')).length;
    assert.deepEqual({ problems, unnamed }, { problems: [], unnamed: [] });
  });

  it(`${Math.ceil(SIZES.fuzzCases / 3)} mutated process.json for exec --process (seed ${SIZES.fuzzSeed})`, { timeout: 4 * 60 * 60_000 }, async () => {
    const ctx = context();
    if ((await ctx.runtime.run(['exec', '--help'])).status !== 0) {
      figures.notes!.push('process.json: SKIPPED, no exec in this build (TODO when exec lands)');
      return;
    }
    const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
    let id = '';
    const ensureRunning = async (): Promise<void> => {
      const state = id ? await ctx.runtime.run(['state', id]) : undefined;
      if (state?.status === 0 && JSON.parse(state.stdout).status === 'running') return;
      if (id) await ctx.runtime.run(['delete', '--force', id]);
      id = ctx.newId();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
      figures.operations += 2;
    };
    const processFile = path.join(ctx.tmpDir, 'process.json');
    const base = execProcessBase();
    const problems: string[] = [];
    const unnamed: string[] = [];
    let accepted = 0;
    await ensureRunning();
    fs.writeFileSync(processFile, JSON.stringify(base));
    const sane = await husk(ctx, figures, ['exec', '--process', processFile, id]);
    assert.equal(sane.result?.status, 0, `the base process.json is refused: ${sane.problem ?? describeResult(sane.result!)}`);
    const cases = Math.ceil(SIZES.fuzzCases / 3);
    for (let index = 0; index < cases; index++) {
      const random = new Random(SIZES.fuzzSeed * 104729 + index);
      let description: string;
      if (random.chance(0.2)) {
        const { text, what } = mutateText(JSON.stringify(base, null, 2), random);
        fs.writeFileSync(processFile, Buffer.from(text, what === 'invalid UTF-8' ? 'latin1' : 'utf8'));
        description = `text: ${what}`;
      } else {
        const { value, mutations } = mutateJson(base, random);
        fs.writeFileSync(processFile, JSON.stringify(value));
        description = mutations.map((m) => `${m.where} ${m.what}`).join('; ');
      }
      figures.badInputs++;
      const where = `process case ${index} (HUSK_FUZZ_SEED=${SIZES.fuzzSeed}) ${description}`;
      await ensureRunning();
      const outcome = await husk(ctx, figures, ['exec', '--process', processFile, id]);
      if (outcome.problem) problems.push(`${where}: ${outcome.problem}`);
      if (outcome.result?.status === 0) accepted++;
      // The exec'd program's own failure ("exec failed: ...") counts as naming what failed.
      else if (outcome.result?.status === 255 && !/\b(process|args|env|cwd|user|terminal|capabilities|rlimits|--process|JSON|exec)\b/.test(outcome.result.stderr)) {
        unnamed.push(`${where}: ${outcome.result.stderr.trim()}`);
      }
      if (problems.length > 20) break;
    }
    await husk(ctx, figures, ['delete', '--force', id]);
    const left = await leftovers(ctx);
    if (left) {
      figures.leaks++;
      problems.push(`process.json fuzzing left behind:\n${left}`);
    }
    figures.notes!.push(`process.json: ${cases} cases, ${accepted} accepted, ${unnamed.length} rejections not naming a field`);
    assert.deepEqual({ problems, unnamed }, { problems: [], unnamed: [] });
  });

  interface HostileCase {
    name: string;
    /** Spoils the bundle; returns a check run after create (and delete), or nothing. */
    prepare(bundle: Bundle, ctx: TestContext, outside: string): void;
    /** Exec instead of create: the spoiled process.json path (the container is made fresh). */
    execProcess?: (ctx: TestContext) => string;
    /** What stderr must mention when husk refuses. */
    mentions?: RegExp;
    /** Once created, it must start too. */
    start?: boolean;
  }

  function symlink(target: string, at: string): void {
    fs.rmSync(at, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(target, at);
  }

  function fifo(at: string): void {
    fs.rmSync(at, { recursive: true, force: true });
    execFileSync('mkfifo', [at]);
  }

  const BIG = 64 * 1024 * 1024;

  const hostileCases: HostileCase[] = [
    { name: 'config.json is a fifo', prepare: (b) => fifo(b.configPath), mentions: /config\.json/ },
    { name: 'config.json is a directory', prepare: (b) => { fs.rmSync(b.configPath); fs.mkdirSync(b.configPath); }, mentions: /config\.json/ },
    { name: 'config.json is a symlink loop', prepare: (b) => symlink('config.json', b.configPath), mentions: /config\.json/ },
    { name: 'config.json is a symlink to /dev/zero', prepare: (b) => symlink('/dev/zero', b.configPath), mentions: /config\.json/ },
    { name: 'config.json is a symlink to /dev/urandom', prepare: (b) => symlink('/dev/urandom', b.configPath), mentions: /config\.json/ },
    {
      name: `config.json is ${BIG >> 20} MiB (a huge annotation)`,
      prepare: (b) => {
        const config = { ...b.config, annotations: { huge: 'x'.repeat(BIG) } };
        fs.writeFileSync(b.configPath, JSON.stringify(config));
      },
      mentions: /config\.json|annotations/,
    },
    {
      name: 'annotations of 1 MiB, no container-side hooks (created and started)',
      prepare: (b) => {
        b.config.annotations = { big: 'y'.repeat(1024 * 1024) };
        b.save();
      },
      start: true,
    },
    {
      name: 'annotations of 1 MiB with a createContainer hook',
      prepare: (b) => {
        b.config.annotations = { big: 'y'.repeat(1024 * 1024) };
        b.config.hooks = { createContainer: [{ path: '/bin/true' }] };
        b.save();
      },
      mentions: /annotations/,
    },
    {
      name: 'an unknown field nested a million arrays deep (valid JSON)',
      prepare: (b) => fs.writeFileSync(b.configPath, `${JSON.stringify(b.config).slice(0, -1)}, "x-deep": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`),
    },
    { name: 'config.json is 64 MiB of whitespace', prepare: (b) => fs.writeFileSync(b.configPath, ' '.repeat(BIG) + JSON.stringify(b.config)), mentions: /config\.json/ },
    { name: 'the bundle is a file', prepare: (b) => { fs.rmSync(b.dir, { recursive: true }); fs.writeFileSync(b.dir, ''); }, mentions: /bundle/ },
    { name: 'root.path is a file', prepare: (b) => { b.config.root.path = 'config.json'; b.save(); }, mentions: /root/ },
    { name: 'root.path is a fifo', prepare: (b) => { fifo(path.join(b.dir, 'rootfifo')); b.config.root.path = 'rootfifo'; b.save(); }, mentions: /root/ },
    {
      name: 'rootfs is a symlink to a directory outside the bundle',
      prepare: (b, _ctx, outside) => {
        const real = path.join(outside, 'real-rootfs');
        fs.renameSync(b.rootfs, real);
        symlink(real, b.rootfs);
      },
    },
    {
      name: 'rootfs/proc is an absolute symlink to a host directory',
      prepare: (b, _ctx, outside) => symlink(outside, path.join(b.rootfs, 'proc')),
    },
    {
      name: 'rootfs/dev is a relative symlink escaping the rootfs',
      prepare: (b, _ctx, outside) => symlink(path.relative(b.rootfs, outside), path.join(b.rootfs, 'dev')),
    },
    {
      name: 'a mount target through a symlink escaping the rootfs',
      prepare: (b, _ctx, outside) => {
        symlink(`../../../../../../../../..${outside}`, path.join(b.rootfs, 'mnt', 'escape'));
        b.addMount({ destination: '/mnt/escape/sub', type: 'tmpfs', source: 'tmpfs' }).save();
      },
    },
    {
      name: 'a bind mount target through an absolute symlink to the host',
      prepare: (b, ctx, outside) => {
        symlink(outside, path.join(b.rootfs, 'data'));
        b.addBindMount(ctx.newDir('bind-source'), '/data/inner').save();
      },
    },
    {
      name: 'a mount target that is a symlink loop',
      prepare: (b) => {
        symlink('loop', path.join(b.rootfs, 'loop'));
        b.addMount({ destination: '/loop/x', type: 'tmpfs', source: 'tmpfs' }).save();
      },
      mentions: /mounts/,
    },
    {
      name: 'rootfs/dev/null is a symlink to a host file (no /dev tmpfs)',
      prepare: (b, _ctx, outside) => {
        b.config.mounts = b.config.mounts.filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
        b.save();
        fs.writeFileSync(path.join(outside, 'victim'), 'untouched');
        symlink(path.join(outside, 'victim'), path.join(b.rootfs, 'dev', 'null'));
      },
    },
    { name: 'rootfs/etc/passwd is a fifo', prepare: (b) => fifo(path.join(b.rootfs, 'etc', 'passwd')) },
    {
      name: 'rootfs/etc/passwd links to a device node /dev/zero inside the rootfs',
      prepare: (b) => {
        fs.mkdirSync(path.join(b.rootfs, 'devices'), { recursive: true });
        execFileSync('mknod', [path.join(b.rootfs, 'devices', 'zero'), 'c', '1', '5']);
        symlink('/devices/zero', path.join(b.rootfs, 'etc', 'passwd'));
      },
    },
    { name: `rootfs/etc/passwd is ${BIG >> 20} MiB`, prepare: (b) => fs.writeFileSync(path.join(b.rootfs, 'etc', 'passwd'), 'x:x:1:1::/:/bin/sh\n'.repeat(BIG / 20)) },
    {
      name: 'a bind mount whose source is a fifo',
      prepare: (b, ctx) => {
        const source = path.join(ctx.newDir('fifo-source'), 'f');
        fifo(source);
        b.addMount({ destination: '/f', type: 'bind', source, options: ['bind'] }).save();
      },
    },
    {
      name: 'a bind mount onto a fifo in the rootfs',
      prepare: (b, ctx) => {
        fifo(path.join(b.rootfs, 'etc', 'hostname'));
        const source = path.join(ctx.newDir('file-source'), 'hostname');
        fs.writeFileSync(source, 'h\n');
        b.addMount({ destination: '/etc/hostname', type: 'bind', source, options: ['bind'] }).save();
      },
    },
    {
      name: 'a prestart hook that is a fifo',
      prepare: (b, ctx) => {
        const hook = path.join(ctx.newDir('hook'), 'hook');
        fifo(hook);
        b.config.hooks = { prestart: [{ path: hook }] };
        b.save();
      },
      mentions: /hook/,
    },
    {
      name: 'a huge number of mounts (2000 tmpfs)',
      prepare: (b) => {
        for (let i = 0; i < 2000; i++) b.addMount({ destination: `/mnt/m${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=4k'] });
        b.save();
      },
    },
    { name: 'exec --process is a fifo', prepare: () => undefined, execProcess: (ctx) => { const f = path.join(ctx.newDir('proc'), 'p.json'); fifo(f); return f; }, mentions: /process/ },
    { name: 'exec --process is /dev/zero', prepare: () => undefined, execProcess: () => '/dev/zero', mentions: /process/ },
    { name: 'exec --process is a directory', prepare: () => undefined, execProcess: (ctx) => ctx.newDir('pdir'), mentions: /process/ },
  ];

  it(`${hostileCases.length} hostile bundles: no hang, no crash, nothing written outside, nothing left`, { timeout: 60 * 60_000 }, async () => {
    const ctx = context();
    const withExec = (await ctx.runtime.run(['exec', '--help'])).status === 0;
    const problems: string[] = [];
    for (const hostile of hostileCases) {
      if (hostile.execProcess && !withExec) continue;
      figures.badInputs++;
      const bundle = makeBundle(ctx).setArgs('sleep', '600').save();
      const outside = ctx.newDir('outside');
      const before = snapshotTree(outside);
      hostile.prepare(bundle, ctx, outside);
      const snapshotAfterPrepare = snapshotTree(outside);
      const id = ctx.newId();
      let outcome: Outcome;
      if (hostile.execProcess) {
        const good = makeBundle(ctx).setArgs('sleep', '600').save();
        await ctx.runtime.runOk(['run', '--detach', '--bundle', good.dir, id]);
        figures.operations++;
        outcome = await husk(ctx, figures, ['exec', '--process', hostile.execProcess(ctx), id]);
      } else {
        outcome = await husk(ctx, figures, ['create', '--bundle', bundle.dir, id]);
      }
      const status = outcome.result?.status;
      if (outcome.problem) problems.push(`${hostile.name}: ${outcome.problem}`);
      if (status === 0 && hostile.start) {
        const started = await husk(ctx, figures, ['start', id]);
        if (started.problem || started.result?.status !== 0) problems.push(`${hostile.name}: start: ${started.problem ?? describeResult(started.result!)}`);
      }
      else if (status !== 0 && hostile.mentions && !hostile.mentions.test(outcome.result!.stderr)) {
        problems.push(`${hostile.name}: the error does not say which input is wrong: ${outcome.result!.stderr.trim()}`);
      }
      const deleted = await husk(ctx, figures, ['delete', '--force', id]);
      if (deleted.problem || deleted.result?.status !== 0) problems.push(`${hostile.name}: delete --force: ${deleted.problem ?? describeResult(deleted.result!)}`);
      const changed = diffTrees(snapshotAfterPrepare, snapshotTree(outside));
      if (changed) problems.push(`${hostile.name}: husk changed a directory outside the rootfs: ${changed}`);
      void before;
      const left = await leftovers(ctx);
      if (left) {
        figures.leaks++;
        problems.push(`${hostile.name}: left behind:\n${left}`);
      }
      figures.notes!.push(`hostile: ${hostile.name}: ${outcome.result ? (status === 0 ? 'accepted' : outcome.result.stderr.trim()) : 'HANG'}`);
    }
    assert.deepEqual(problems, []);
  });
});

/** Names, types and sizes of everything under dir (symlinks not followed). */
function snapshotTree(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (current: string): void => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(current);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(current, name);
      const st = fs.lstatSync(full, { throwIfNoEntry: false });
      if (!st) continue;
      const content = st.isFile() && st.size < 4096 ? fs.readFileSync(full, 'utf8') : '';
      entries.set(path.relative(dir, full), `${st.mode.toString(8)} ${st.isFile() ? st.size : ''} ${content}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return entries;
}

function diffTrees(before: Map<string, string>, after: Map<string, string>): string {
  const changes: string[] = [];
  for (const [name, what] of after) if (before.get(name) !== what) changes.push(`${name} (${what.slice(0, 40)})`);
  for (const name of before.keys()) if (!after.has(name)) changes.push(`${name} removed`);
  return changes.join(', ');
}

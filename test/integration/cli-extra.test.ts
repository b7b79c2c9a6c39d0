// The command line beyond lifecycle-basic.test.ts: --no-pivot, --log with --log-format json,
// kill --all, run --keep, signal forwarding by a foreground run, --version, spec (and
// --rootless), unknown flags; and bad input that must fail cleanly (or, for a symlinked mount
// destination, stay inside the rootfs). Proven against runc 1.1.5; differences are noted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle, OciConfig } from '../helpers/bundle';
import { assertNothingLeft } from '../helpers/cleanup';
import { TestContext } from '../helpers/context';
import { linesOf, outputInside } from '../helpers/inside';
import { hostMounts, parseMountInfo } from '../helpers/procfs';
import { assertOneLineFailure, describeResult, runtimeName } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { waitFor } from '../helpers/wait';



/** The cgroup.procs file of a container cgroup named by cgroupsPath, in the pids hierarchy (v1) or the unified one. */
function cgroupProcsFile(cgroupsPath: string): string {
  const mounts = hostMounts();
  const pids = mounts.find((mount) => mount.fsType === 'cgroup' && mount.superOptions.split(',').includes('pids'));
  const unified = mounts.find((mount) => mount.fsType === 'cgroup2');
  const base = pids?.mountPoint ?? unified?.mountPoint;
  assert.ok(base, 'no pids or unified cgroup hierarchy on this host');
  return path.join(base, cgroupsPath, 'cgroup.procs');
}

function cgroupPids(procsFile: string): number[] {
  try {
    return linesOf(fs.readFileSync(procsFile, 'utf8')).map(Number);
  } catch {
    return []; // the cgroup is gone
  }
}

describe('cli: more flags and subcommands', suiteOptions(), () => {
  const context = useTestContext();

  describe('--no-pivot', () => {
    it('runs the program with the rootfs as /', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      fs.writeFileSync(path.join(bundle.rootfs, 'marker'), 'in the rootfs\n');
      bundle.setShellScript('stat -c "%i" /; cat /marker; cat /proc/self/mountinfo').save();
      const result = await ctx.runtime.run(['run', '--no-pivot', '--bundle', bundle.dir, ctx.newId()]);
      assert.equal(result.status, 0, describeResult(result));
      const [rootInode, marker, ...mountinfo] = linesOf(result.stdout);
      assert.equal(Number(rootInode), fs.statSync(bundle.rootfs).ino);
      assert.equal(marker, 'in the rootfs');
      const mounts = parseMountInfo(mountinfo.join('\n'));
      assert.ok(mounts.some((mount) => mount.mountPoint === '/proc' && mount.fsType === 'proc'), mountinfo.join('\n'));
    });
  });

  describe('--log with --log-format json', () => {
    it('a failing create writes a JSON error line naming the problem', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      bundle.config.root.path = 'no-such-rootfs';
      bundle.save();
      const logFile = path.join(ctx.newDir('log'), 'runtime.log');
      const id = ctx.newId();
      const result = await ctx.runtime.run(['--log', logFile, '--log-format', 'json', 'create', '--bundle', bundle.dir, id]);
      assertOneLineFailure(result);
      const lines = linesOf(fs.readFileSync(logFile, 'utf8'));
      assert.ok(lines.length > 0, 'nothing was logged');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const last = entries[entries.length - 1];
      // containerd reads the last error line's msg; logrus writes the keys sorted.
      assert.deepEqual(Object.keys(last), ['level', 'msg', 'time']);
      assert.equal(last.level, 'error');
      assert.match(String(last.msg), /no-such-rootfs/);
      assert.match(String(last.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
      await assertNothingLeft(ctx);
    });

    it('text is the default format: time=... level=error msg=...', testOptions, async () => {
      const ctx = context();
      const logFile = path.join(ctx.newDir('log'), 'runtime.log');
      const result = await ctx.runtime.run(['--log', logFile, 'state', ctx.newId()]);
      assertOneLineFailure(result);
      const last = linesOf(fs.readFileSync(logFile, 'utf8')).pop() ?? '';
      assert.match(last, /^time="?[^ ]+"? level=error msg=/);
    });
  });

  describe('kill --all', () => {
    it('kills every process of the container, not only the init', testOptions, async () => {
      const ctx = context();
      const cgroupsPath = `/${ctx.newName('cgroup')}`;
      // Without a pid namespace of its own, killing the init does not take the others with it.
      const bundle = makeBundle(ctx).removeNamespace('pid').setCgroupsPath(cgroupsPath).setShellScript('sleep 100 & sleep 100').save();
      const id = ctx.newId();
      await ctx.runtime.runOk(['run', '--detach', '--bundle', bundle.dir, id]);
      const procs = cgroupProcsFile(cgroupsPath);
      const members = await waitFor(`two processes in ${procs}`, () => {
        const pids = cgroupPids(procs);
        return pids.length === 2 && pids;
      });
      await ctx.runtime.runOk(['kill', '--all', id, 'KILL']);
      await waitFor(`${procs} to be empty (had ${members.join(' ')})`, () => cgroupPids(procs).length === 0);
      await ctx.runtime.waitForStatus(id, 'stopped');
      await ctx.runtime.runOk(['delete', id]);
      await assertNothingLeft(ctx);
    });
  });

  describe('run', () => {
    it('--keep leaves a stopped container that state shows and delete removes', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).setShellScript('exit 3').save();
      const id = ctx.newId();
      const result = await ctx.runtime.run(['run', '--keep', '--bundle', bundle.dir, id]);
      assert.equal(result.status, 3, describeResult(result));
      const state = await ctx.runtime.state(id);
      assert.equal(state.status, 'stopped');
      assert.deepEqual(await ctx.runtime.listIds(), [id]);
      await ctx.runtime.runOk(['delete', id]);
      assert.notEqual((await ctx.runtime.run(['state', id])).status, 0, 'still there after delete');
      await assertNothingLeft(ctx);
    });

    it('forwards SIGTERM to the init and exits with its status', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx)
        .setShellScript("trap 'echo got-term; exit 7' TERM; sleep 0.3; echo ready; while :; do sleep 0.1; done")
        .save();
      const id = ctx.newId();
      const ioDir = ctx.newDir('io');
      const stdoutFile = path.join(ioDir, 'stdout');
      const stdout = fs.openSync(stdoutFile, 'w');
      const stderr = fs.openSync(path.join(ioDir, 'stderr'), 'w');
      const runtime = spawn(ctx.runtime.bin, ['--root', ctx.runtime.root, 'run', '--bundle', bundle.dir, id], {
        stdio: ['ignore', stdout, stderr],
      });
      fs.closeSync(stdout);
      fs.closeSync(stderr);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        runtime.on('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        await waitFor('the container to print ready', () => fs.readFileSync(stdoutFile, 'utf8').includes('ready'));
        runtime.kill('SIGTERM');
        const exit = await Promise.race([
          exited,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('run did not exit after SIGTERM')), 5000)),
        ]);
        const output = fs.readFileSync(stdoutFile, 'utf8');
        assert.deepEqual(exit, { code: 7, signal: null }, output);
        assert.match(output, /got-term/);
      } finally {
        runtime.kill('SIGKILL');
      }
      await assertNothingLeft(ctx);
    });
  });

  describe('--version', () => {
    it('prints "<name> version X" on its first line', testOptions, async () => {
      const ctx = context();
      const result = await ctx.runtime.runOk(['--version']);
      assert.match(result.stdout.split('\n')[0], new RegExp(`^${runtimeName(ctx.runtime.bin)} version \\S+$`));
    });
  });

  describe('spec', () => {
    /** A bundle directory with the busybox rootfs and no config.json. */
    function bareBundle(ctx: TestContext): string {
      const bundle = makeBundle(ctx);
      fs.rmSync(bundle.configPath);
      return bundle.dir;
    }

    function readConfig(dir: string): OciConfig {
      return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as OciConfig;
    }

    it('writes a config that run accepts once terminal is false and args are set', testOptions, async () => {
      const ctx = context();
      const dir = bareBundle(ctx);
      await ctx.runtime.runOk(['spec'], { cwd: dir });
      const bundle = new Bundle(dir);
      assert.equal(bundle.config.root.path, 'rootfs');
      bundle.config.process.terminal = false;
      const out = await outputInside(ctx, bundle, 'echo spec-ok; hostname; id -u');
      assert.deepEqual(linesOf(out), ['spec-ok', String(bundle.config.hostname), '0']);
    });

    it('--bundle names the directory to write into', testOptions, async () => {
      const ctx = context();
      const dir = bareBundle(ctx);
      await ctx.runtime.runOk(['spec', '--bundle', dir]);
      assert.equal(typeof readConfig(dir).ociVersion, 'string');
    });

    it('refuses to overwrite an existing config.json', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      const before = fs.readFileSync(bundle.configPath, 'utf8');
      assertOneLineFailure(await ctx.runtime.run(['spec'], { cwd: bundle.dir }));
      assert.equal(fs.readFileSync(bundle.configPath, 'utf8'), before);
    });

    it('--rootless writes a user-namespace config mapping the caller to root, without a network namespace, that runs', testOptions, async () => {
      const ctx = context();
      const dir = bareBundle(ctx);
      await ctx.runtime.runOk(['spec', '--rootless'], { cwd: dir });
      const bundle = new Bundle(dir);
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      assert.deepEqual(bundle.config.linux.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
      assert.deepEqual(bundle.config.linux.gidMappings, [{ containerID: 0, hostID: gid, size: 1 }]);
      const types = bundle.namespaceTypes();
      assert.ok(types.includes('user'), types.join(','));
      assert.ok(!types.includes('network'), types.join(','));
      bundle.config.process.terminal = false;
      const out = await outputInside(ctx, bundle, 'cat /proc/self/uid_map; id -u');
      assert.deepEqual(linesOf(out).map((line) => line.split(/\s+/).join(' ')), [`0 ${uid} 1`, '0']);
    });
  });

  describe('unknown flags', () => {
    const cases: Array<[string, (ctx: TestContext) => string[]]> = [
      ['a global one before the command', () => ['--bogus-flag', 'list']],
      ['after the command', () => ['list', '--bogus-flag']],
      ['create with an unknown flag among known ones', (ctx) => ['create', '--bogus-flag', '--bundle', makeBundle(ctx).dir, ctx.newId()]],
      ['an unknown single-letter flag', () => ['list', '-Z']],
    ];
    for (const [name, args] of cases) {
      it(`${name}: exit 1, one line naming the flag`, testOptions, async () => {
        const ctx = context();
        const argv = args(ctx);
        const result = await ctx.runtime.run(argv);
        // runc: "flag provided but not defined: -bogus-flag" (and its usage text on stdout).
        assertOneLineFailure(result, argv.includes('-Z') ? 'Z' : 'bogus-flag');
        assert.ok(!/husk:.*husk:/.test(result.stderr), `the prefix is doubled: ${result.stderr}`);
        await assertNothingLeft(ctx);
      });
    }
  });

  describe('bad input leaves nothing', () => {
    interface BadInput {
      name: string;
      /** Spoils the bundle; returns what stderr must mention. */
      spoil(bundle: Bundle, ctx: TestContext): string;
    }
    const badInputs: BadInput[] = [
      {
        name: 'a bind mount whose source does not exist',
        spoil(bundle, ctx) {
          const missing = path.join(ctx.tmpDir, 'no-such-source');
          bundle.addBindMount(missing, '/mnt');
          return missing;
        },
      },
      {
        name: 'a device whose path cannot be created (its parent is a file)',
        spoil(bundle) {
          fs.writeFileSync(path.join(bundle.rootfs, 'not-a-dir'), '');
          bundle.config.linux.devices = [{ path: '/not-a-dir/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
          return 'not-a-dir';
        },
      },
      {
        name: 'a program that does not exist',
        spoil(bundle) {
          bundle.setArgs('/nonexistent');
          return '/nonexistent';
        },
      },
      {
        name: 'a program not found in PATH',
        spoil(bundle) {
          bundle.setArgs('no-such-program');
          return 'no-such-program';
        },
      },
    ];
    for (const bad of badInputs) {
      it(`${bad.name}: create exits 1 with one line`, testOptions, async () => {
        const ctx = context();
        const bundle = makeBundle(ctx).setArgs('true');
        const mentions = bad.spoil(bundle, ctx);
        bundle.save();
        const id = ctx.newId();
        assertOneLineFailure(await ctx.runtime.run(['create', '--bundle', bundle.dir, id]), mentions);
        assert.notEqual((await ctx.runtime.run(['state', id])).status, 0, 'a failed create left a container');
        await assertNothingLeft(ctx);
      });
    }

    it('a mount destination through a symlink pointing out of the rootfs lands inside the rootfs', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx);
      fs.symlinkSync('/etc', path.join(bundle.rootfs, 'evil'));
      const name = `${ctx.prefix}mnt`;
      const source = ctx.newDir('source');
      fs.writeFileSync(path.join(source, 'file'), 'from the source');
      bundle.addBindMount(source, `/evil/${name}`);
      bundle.addMount({ destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      bundle.addBindMount(source, `/evil/${name}`);
      const hostEtc = fs.readdirSync('/etc').sort();
      const out = await outputInside(ctx, bundle, `cat /etc/${name}/file; echo; touch /etc/written-inside; grep -E ' /etc(/| )' /proc/self/mountinfo`);
      const [content, ...mountinfo] = linesOf(out);
      assert.equal(content, 'from the source');
      // Host /etc untouched: no mount point made there, no file written there.
      assert.deepEqual(fs.readdirSync('/etc').sort(), hostEtc);
      assert.ok(!fs.existsSync(`/etc/${name}`));
      // The first bind's mount point was made in the rootfs' own /etc.
      assert.ok(fs.statSync(path.join(bundle.rootfs, 'etc', name)).isDirectory());
      const mountPoints = parseMountInfo(mountinfo.join('\n')).map((mount) => mount.mountPoint);
      assert.deepEqual(mountPoints, [`/etc/${name}`, '/etc', `/etc/${name}`], mountinfo.join('\n'));
    });
  });
});

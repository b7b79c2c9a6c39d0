// config.md "Mounts", "Linux mount options" and "POSIX-platform Mounts": every option string of
// the table (MUST, SHOULD and MAY rows), mount order, relative destinations and sources.
//
// The option cases run as one container with one mount per case (at /mo/<option>); if that
// container fails, each case runs alone, so one refused option does not hide the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OciMount } from '../../test/helpers/bundle';
import { Level, clause, expect, expectEqual, fail, scenario } from '../lib/clause';
import { CheckerMount, CheckerReport, ReportError, mountAt, mountsAt, optionList, parseReport, superOptionList } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, oneLine } from '../lib/context';
import { MountFixtures, mountFixtures } from '../lib/fixtures';
import { attempt, mustRun } from '../lib/scenarios';

const SPEC = 'config.md';
const SECTION = 'Linux mount options';

interface OptionCase {
  option: string;
  level: Level;
  gist: string;
  /** The mounts of this case; the checked one is at `at`. */
  mounts(fx: MountFixtures, at: string): OciMount[];
  /** Extra checker arguments (probes). */
  probes?(at: string): string[];
  check(report: CheckerReport, at: string): void;
}

const tmpfs = (at: string, options: string[]): OciMount => ({ destination: at, type: 'tmpfs', source: 'tmpfs', options });
const bind = (at: string, source: string, options: string[]): OciMount => ({ destination: at, type: 'bind', source, options });

function top(report: CheckerReport, at: string): CheckerMount {
  const mount = mountAt(report, at);
  if (!mount) fail(`nothing is mounted at ${at}`);
  return mount;
}

const has = (flag: string) => (report: CheckerReport, at: string) => {
  const mount = top(report, at);
  expect(optionList(mount).includes(flag), `${at} is mounted ${mount.options}, without ${flag}`);
};
const lacks = (flag: string) => (report: CheckerReport, at: string) => {
  const mount = top(report, at);
  expect(!optionList(mount).includes(flag), `${at} is mounted ${mount.options}, with ${flag}`);
};
const superHas = (flag: string) => (report: CheckerReport, at: string) => {
  const mount = top(report, at);
  expect(superOptionList(mount).includes(flag), `${at}'s superblock options are ${mount.superOptions}, without ${flag}`);
};
const superLacks = (flag: string) => (report: CheckerReport, at: string) => {
  const mount = top(report, at);
  expect(!superOptionList(mount).includes(flag), `${at}'s superblock options are ${mount.superOptions}, with ${flag}`);
};
/** For options with no visible trace: the mount exists, so the option was not passed to tmpfs as data (tmpfs refuses unknown data). */
const mounted = (report: CheckerReport, at: string) => void top(report, at);

const both =
  (...checks: ((report: CheckerReport, at: string) => void)[]) =>
  (report: CheckerReport, at: string) => {
    for (const check of checks) check(report, at);
  };

/** The propagation fields of a mount: shared:N → "shared", master:N → "master", unbindable. */
function propagation(mount: CheckerMount): string[] {
  return mount.optional.map((field) => field.replace(/:\d+$/, '')).filter((field) => field !== 'propagate_from').sort();
}

const flagCase = (option: string, level: Level, options: string[], check: OptionCase['check'], what: string): OptionCase => ({
  option,
  level,
  gist: `'${option}' ${what}`,
  mounts: (_fx, at) => [tmpfs(at, options)],
  check,
});

const CASES: OptionCase[] = [
  flagCase('async', 'MUST', ['sync', 'async'], superLacks('sync'), 'undoes sync (tmpfs mounted sync,async is not synchronous)'),
  flagCase('atime', 'MUST', ['noatime', 'atime'], lacks('noatime'), 'undoes noatime'),
  {
    option: 'bind',
    level: 'MUST',
    gist: "'bind' makes a bind mount of the source, without its submounts",
    mounts: (fx, at) => [bind(at, fx.recursive, ['bind'])],
    check(report, at) {
      const mount = top(report, at);
      expect(mount.root.endsWith('/fixtures/recursive'), `${at} shows ${mount.root}, not the source directory`);
      expect(!mountAt(report, `${at}/sub`), `${at}/sub is mounted: the bind was recursive`);
    },
  },
  flagCase('defaults', 'MUST', ['ro', 'defaults'], has('rw'), 'is mount(8)\'s defaults (rw, suid, dev, exec, async): ro,defaults gives rw'),
  flagCase('dev', 'MUST', ['nodev', 'dev'], lacks('nodev'), 'undoes nodev'),
  flagCase('diratime', 'MUST', ['nodiratime', 'diratime'], lacks('nodiratime'), 'undoes nodiratime'),
  flagCase('dirsync', 'MUST', ['dirsync'], superHas('dirsync'), 'makes directory changes synchronous (dirsync on the superblock)'),
  {
    option: 'exec',
    level: 'MUST',
    gist: "'exec' undoes noexec: a program on the mount can be executed",
    mounts: (fx, at) => [bind(at, fx.files, ['bind', 'noexec', 'exec'])],
    probes: (at) => ['--exec', `${at}/checker`],
    check(report, at) {
      lacks('noexec')(report, at);
      expectEqual(report.execs?.[`${at}/checker`], 'OK', `executing ${at}/checker`);
    },
  },
  flagCase('iversion', 'MUST', ['iversion'], mounted, 'is a mount flag (MS_I_VERSION), not filesystem data'),
  flagCase('lazytime', 'MUST', ['lazytime'], superHas('lazytime'), 'sets lazytime'),
  flagCase('loud', 'MUST', ['loud'], mounted, 'is a mount flag (clears MS_SILENT), not filesystem data'),
  flagCase('mand', 'MAY', ['mand'], mounted, 'is a mount flag (MS_MANDLOCK, deprecated since Linux 5.15), not filesystem data'),
  flagCase('noatime', 'MUST', ['noatime'], has('noatime'), 'sets noatime'),
  flagCase('nodev', 'MUST', ['nodev'], has('nodev'), 'sets nodev'),
  flagCase('nodiratime', 'MUST', ['nodiratime'], has('nodiratime'), 'sets nodiratime'),
  {
    option: 'noexec',
    level: 'MUST',
    gist: "'noexec' sets noexec: a program on the mount cannot be executed",
    mounts: (fx, at) => [bind(at, fx.files, ['bind', 'noexec'])],
    probes: (at) => ['--exec', `${at}/checker`],
    check(report, at) {
      has('noexec')(report, at);
      expectEqual(report.execs?.[`${at}/checker`], 'EACCES', `executing ${at}/checker`);
    },
  },
  flagCase('noiversion', 'MUST', ['noiversion'], mounted, 'is a mount flag (clears MS_I_VERSION), not filesystem data'),
  flagCase('nolazytime', 'MUST', ['lazytime', 'nolazytime'], superLacks('lazytime'), 'undoes lazytime'),
  flagCase('nomand', 'MAY', ['nomand'], mounted, 'is a mount flag (clears MS_MANDLOCK), not filesystem data'),
  flagCase('norelatime', 'MUST', ['norelatime'], mounted, 'is a mount flag (clears MS_RELATIME; the kernel default stays relatime), not filesystem data'),
  flagCase('nostrictatime', 'MUST', ['strictatime', 'nostrictatime'], has('relatime'), 'undoes strictatime (back to the kernel default, relatime)'),
  flagCase('nosuid', 'MUST', ['nosuid'], has('nosuid'), 'sets nosuid'),
  flagCase('nosymfollow', 'SHOULD', ['nosymfollow'], has('nosymfollow'), 'sets nosymfollow'),
  {
    option: 'rbind',
    level: 'MUST',
    gist: "'rbind' makes a recursive bind mount: the source's submounts come along",
    mounts: (fx, at) => [bind(at, fx.recursive, ['rbind'])],
    check(report, at) {
      top(report, at);
      expect(mountAt(report, `${at}/sub`), `${at}/sub is not mounted: the bind was not recursive`);
    },
  },
  {
    option: 'relatime',
    level: 'MUST',
    gist: "'relatime' sets relatime: a bind of a noatime mount with relatime is relatime",
    mounts: (fx, at) => [bind(at, `${fx.flagged}/sub`, ['bind', 'relatime'])],
    check: both(has('relatime'), lacks('noatime')),
  },
  {
    option: 'remount',
    level: 'MUST',
    gist: "'remount' changes an existing mount: a second entry for /mo/remount with remount,ro makes the first tmpfs read-only",
    mounts: (_fx, at) => [tmpfs(at, []), { destination: at, type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro'] }],
    check(report, at) {
      has('ro')(report, at);
      expectEqual(mountsAt(report, at).length, 1, `mounts at ${at}`);
    },
  },
  flagCase('ro', 'MUST', ['ro'], has('ro'), 'mounts read-only'),
  flagCase('rw', 'MUST', ['ro', 'rw'], has('rw'), 'mounts read-write (after ro)'),
  flagCase('silent', 'MUST', ['silent'], mounted, 'is a mount flag (MS_SILENT), not filesystem data'),
  flagCase('strictatime', 'MUST', ['strictatime'], both(lacks('relatime'), lacks('noatime')), 'sets strictatime (neither relatime nor noatime)'),
  flagCase('suid', 'MUST', ['nosuid', 'suid'], lacks('nosuid'), 'undoes nosuid'),
  flagCase('symfollow', 'SHOULD', ['nosymfollow', 'symfollow'], lacks('nosymfollow'), 'undoes nosymfollow'),
  flagCase('sync', 'MUST', ['sync'], superHas('sync'), 'makes writes synchronous (sync on the superblock)'),
  {
    option: 'tmpcopyup',
    level: 'MAY',
    gist: "'tmpcopyup' copies what the image has at the destination into the new tmpfs",
    mounts: () => [tmpfs('/etc', ['tmpcopyup'])],
    probes: () => ['--read', '/etc/conformance-rootfs'],
    check(report) {
      expectEqual(top(report, '/etc').fsType, 'tmpfs', 'type of /etc');
      expectEqual(report.files?.['/etc/conformance-rootfs'], 'yes\n', '/etc/conformance-rootfs in the tmpfs');
    },
  },
  {
    option: 'fs-specific',
    level: 'SHOULD',
    gist: "unknown options are filesystem-specific and go to mount(2)'s data: tmpfs gets size=1m,mode=0700",
    mounts: (_fx, at) => [tmpfs(at, ['size=1m', 'mode=0700'])],
    check(report, at) {
      superHas('size=1024k')(report, at);
      superHas('mode=700')(report, at);
    },
  },
];

const PROPAGATION: [string, string][] = [
  ['private', 'no propagation (private)'],
  ['rprivate', 'no propagation (private), submounts too'],
  ['shared', 'a new peer group (shared)'],
  ['rshared', 'a new peer group (shared), submounts too'],
  ['slave', 'propagation from the source only (slave)'],
  ['rslave', 'propagation from the source only (slave), submounts too'],
  ['unbindable', 'no propagation and no binds of it (unbindable)'],
  ['runbindable', 'no propagation and no binds of it (unbindable), submounts too'],
];

/** What a mount's propagation fields must be after `option`. */
function checkPropagation(option: string, mount: CheckerMount, where: string): void {
  const fields = propagation(mount);
  const shown = `${where} has ${mount.optional.join(' ') || 'no propagation fields'}`;
  if (option.includes('private')) expectEqual(fields, [], `propagation: ${shown}`);
  else if (option.includes('unbindable')) expectEqual(fields, ['unbindable'], `propagation: ${shown}`);
  else if (option.includes('shared')) expect(fields.includes('shared'), `not shared: ${shown}`);
  else expectEqual(fields, ['master'], `propagation: ${shown}`);
}

for (const [option, what] of PROPAGATION) {
  const recursive = option.startsWith('r');
  CASES.push({
    option,
    level: 'MUST',
    gist: `'${option}' (bind mount propagation) gives the mount ${what}; the source is a shared host mount with a submount`,
    mounts: (fx, at) => [bind(at, fx.shared, ['rbind', option])],
    check(report, at) {
      checkPropagation(option, top(report, at), at);
      const sub = top(report, `${at}/sub`);
      // The submount gets the option too when it is recursive; otherwise it stays as the rbind
      // made it: a slave of the host's submount.
      if (recursive) checkPropagation(option, sub, `${at}/sub`);
      else expectEqual(propagation(sub), ['master'], `propagation of ${at}/sub, which a non-recursive option must not change (${sub.optional.join(' ') || 'none'})`);
    },
  });
}

const RECURSIVE: [string, 'recursive' | 'flagged' | 'strict', (report: CheckerReport, at: string) => void, string][] = [
  ['rro', 'recursive', has('ro'), 'makes the submounts read-only too'],
  ['rrw', 'flagged', has('rw'), 'makes the submounts read-write too'],
  ['rnosuid', 'recursive', has('nosuid'), 'sets nosuid on the submounts too'],
  ['rsuid', 'flagged', lacks('nosuid'), 'clears nosuid on the submounts too'],
  ['rnodev', 'recursive', has('nodev'), 'sets nodev on the submounts too'],
  ['rdev', 'flagged', lacks('nodev'), 'clears nodev on the submounts too'],
  ['rnoexec', 'recursive', has('noexec'), 'sets noexec on the submounts too'],
  ['rexec', 'flagged', lacks('noexec'), 'clears noexec on the submounts too'],
  ['rnodiratime', 'recursive', has('nodiratime'), 'sets nodiratime on the submounts too'],
  ['rdiratime', 'flagged', lacks('nodiratime'), 'clears nodiratime on the submounts too'],
  ['rnoatime', 'recursive', has('noatime'), 'sets noatime on the submounts too'],
  ['ratime', 'flagged', lacks('noatime'), 'clears noatime on the submounts too'],
  ['rrelatime', 'flagged', has('relatime'), 'sets relatime on the submounts too'],
  ['rnorelatime', 'recursive', mounted, 'is a recursive attribute, not filesystem data'],
  ['rstrictatime', 'recursive', both(lacks('relatime'), lacks('noatime')), 'sets strictatime on the submounts too'],
  ['rnostrictatime', 'strict', has('relatime'), 'clears strictatime on the submounts too (back to relatime)'],
  ['rnosymfollow', 'recursive', has('nosymfollow'), 'sets nosymfollow on the submounts too'],
  ['rsymfollow', 'flagged', lacks('nosymfollow'), 'clears nosymfollow on the submounts too'],
];

for (const [option, fixture, check, what] of RECURSIVE) {
  CASES.push({
    option,
    level: 'SHOULD',
    gist: `'${option}' ${what} (mount_setattr(2) with AT_RECURSIVE)`,
    mounts: (fx, at) => [bind(at, fx[fixture], ['rbind', option])],
    check: (report, at) => check(report, `${at}/sub`),
  });
}

for (const option of ['idmap', 'ridmap']) {
  CASES.push({
    option,
    level: 'SHOULD',
    gist: `'${option}' applies the mount's uidMappings/gidMappings (mount_setattr MOUNT_ATTR_IDMAP): a file of host uid 1000 shows as uid 0 with mapping 0->1000`,
    mounts: (fx, at) => [
      { ...bind(at, fx.files, ['rbind', option]), uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } as OciMount,
    ],
    probes: (at) => ['--stat', `${at}/owned-by-1000`],
    check(report, at) {
      const entry = report.stats?.[`${at}/owned-by-1000`];
      expect(entry && !entry.errno, `stat failed: ${entry?.errno}`);
      expectEqual([entry.uid, entry.gid], [0, 0], 'owner through the idmapped mount');
    },
  });
}

// ---------------------------------------------------------------- running the cases

interface CaseOutcome {
  report?: CheckerReport;
  error?: string;
}

const atOf = (option: string) => `/mo/${option}`;

async function runCases(ctx: ScenarioContext, cases: OptionCase[]): Promise<CaseOutcome> {
  const fx = mountFixtures(ctx.workspace);
  const bundle = ctx.bundle();
  const probes: string[] = [];
  for (const c of cases) {
    for (const mount of c.mounts(fx, atOf(c.option))) bundle.addMount(mount);
    probes.push(...(c.probes?.(atOf(c.option)) ?? []));
  }
  bundle.setArgs(CHECKER_IN_CONTAINER, ...probes).save();
  const id = ctx.newId();
  const result = await ctx.run(['run', '--bundle', bundle.dir, id]);
  if (result.status !== 0) return { error: oneLine(result) };
  try {
    return { report: parseReport(result.stdout, result) };
  } catch (error) {
    return { error: error instanceof ReportError ? error.message : String(error) };
  }
}

/**
 * All cases in one container; when it fails, bisect (halves in parallel) until every refused
 * option is alone in a container that failed, and every other case has a report.
 */
async function bisect(ctx: ScenarioContext, cases: OptionCase[], outcomes: Record<string, CaseOutcome>): Promise<void> {
  const outcome = await runCases(ctx, cases);
  if (outcome.report || cases.length === 1) {
    for (const c of cases) outcomes[c.option] = outcome;
    return;
  }
  const half = Math.ceil(cases.length / 2);
  await Promise.all([bisect(ctx, cases.slice(0, half), outcomes), bisect(ctx, cases.slice(half), outcomes)]);
}

const optionCases = scenario<Record<string, CaseOutcome>>('mount-options', async (ctx) => {
  const outcomes: Record<string, CaseOutcome> = {};
  await bisect(ctx, CASES, outcomes);
  return outcomes;
});

for (const c of CASES) {
  clause({
    id: `config/mount-options/${c.option}`,
    spec: SPEC,
    section: c.option === 'fs-specific' ? 'Linux mount options' : SECTION,
    level: c.level,
    gist: c.gist,
    scenario: optionCases,
    check(outcomes) {
      const outcome = outcomes[c.option];
      expect(outcome?.report, `the container failed: ${outcome?.error}`);
      c.check(outcome.report, atOf(c.option));
    },
  });
}

// ---------------------------------------------------------------- order, destinations, sources

const mountOrder = attempt('mount-order', (bundle, ctx) => {
  const data = ctx.newDir('bind-data');
  fs.writeFileSync(path.join(data, 'file'), 'bound');
  fs.mkdirSync(path.join(bundle.dir, 'relative-source'));
  fs.writeFileSync(path.join(bundle.dir, 'relative-source', 'file'), 'relative');
  bundle.addMount(tmpfs('/order/a', ['mode=755']));
  bundle.addMount(tmpfs('/order/a/b', ['mode=755']));
  bundle.addMount(bind('/order/a/b/c', data, ['rbind', 'ro']));
  bundle.addMount(tmpfs('/order/s', ['size=1m']));
  bundle.addMount(tmpfs('/order/s', ['size=2m']));
  bundle.addMount(bind('/order/relative-source', 'relative-source', ['rbind']));
}, ['--read', '/order/a/b/c/file', '--read', '/order/relative-source/file']);

clause({
  id: 'config/mounts/listed-order',
  spec: SPEC,
  section: 'Mounts',
  level: 'MUST',
  gist: 'mounts are mounted in the listed order: nested destinations stack, and a later mount at the same destination is on top',
  scenario: mountOrder,
  check(obs) {
    const report = mustRun(obs);
    const a = mountAt(report, '/order/a');
    const b = mountAt(report, '/order/a/b');
    const c = mountAt(report, '/order/a/b/c');
    expect(a && b && c, 'a nested mount is missing');
    expectEqual([b.parent, c.parent], [a.id, b.id], 'parents of /order/a/b and /order/a/b/c');
    expectEqual(report.files?.['/order/a/b/c/file'], 'bound', 'the bind mount under the tmpfs mounts');
    const stacked = mountsAt(report, '/order/s');
    expectEqual(stacked.length, 2, 'mounts at /order/s');
    expect(superOptionList(stacked[1]).includes('size=2048k'), `the top mount at /order/s is ${stacked[1].superOptions}, not the second entry`);
  },
});

clause({
  id: 'config/mounts/type',
  spec: SPEC,
  section: 'POSIX-platform Mounts',
  level: 'MUST',
  gist: 'type is the type of the filesystem mounted (tmpfs entries are tmpfs mounts)',
  scenario: mountOrder,
  check(obs) {
    expectEqual(mountAt(mustRun(obs), '/order/a')?.fsType, 'tmpfs', 'type of /order/a');
  },
});

clause({
  id: 'config/mounts/source-relative-to-bundle',
  spec: SPEC,
  section: 'Mounts',
  level: 'MUST',
  gist: "a bind mount's source may be relative to the bundle",
  scenario: mountOrder,
  check(obs) {
    expectEqual(mustRun(obs).files?.['/order/relative-source/file'], 'relative', 'the file under the relative source');
  },
});

const relativeDestination = attempt('mount-relative-destination', (bundle) => {
  bundle.addMount(tmpfs('conformance-relative', ['size=1m']));
});

clause({
  id: 'config/mounts/destination-relative',
  spec: SPEC,
  section: 'Mounts',
  level: 'MUST',
  gist: 'a relative destination (deprecated, allowed on Linux) is interpreted relative to "/"',
  scenario: relativeDestination,
  check(obs) {
    const mount = mountAt(mustRun(obs), '/conformance-relative');
    expect(mount && mount.fsType === 'tmpfs', 'no tmpfs at /conformance-relative');
  },
});

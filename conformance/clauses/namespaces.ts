// config-linux.md "Namespaces", "User namespace mappings" and "Offset for Time Namespace".
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Scenario, clause, expect, expectEqual, scenario } from '../lib/clause';
import { CheckerReport, mapLines, parseReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, oneLine } from '../lib/context';
import { hostNamespaceLink, probeHost } from '../lib/host';
import { Attempt, attempt, mustFail, mustRun } from '../lib/scenarios';
import { cgroupDirsOf, readText, sharedDir, waitFor, waitForStatus } from '../lib/util';
import type { OciNamespace } from '../../test/helpers/bundle';

const SPEC = 'config-linux.md';

/** config type → /proc/<pid>/ns name */
const NS_FILE: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

const timeNamespaces = () => (probeHost().timeNamespace ? undefined : 'the kernel has no time namespaces');

// ---------------------------------------------------------------- new namespaces

const newNamespaces = attempt('namespaces-new', (bundle) => {
  bundle.setNamespaces(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type })));
});

const USER_MAPPINGS = {
  uid: [
    { containerID: 0, hostID: 100000, size: 1000 },
    { containerID: 1000, hostID: 300000, size: 10 },
  ],
  gid: [
    { containerID: 0, hostID: 200000, size: 1000 },
    { containerID: 1000, hostID: 400000, size: 10 },
  ],
};

interface UserRun {
  report?: CheckerReport;
  error?: string;
  rootfsOwnerBefore: number;
  rootfsOwnerAfter: number;
  cgroupOwners: { dir: string; uid: number }[];
}

const userNamespace = scenario<UserRun>('namespaces-user', async (ctx) => {
  const bundle = ctx.bundle();
  const out = sharedDir(ctx, 'userns-out');
  bundle.addBindMount(out, '/out');
  // The container's root is host uid 100000: it cannot make the mount point in a root-owned rootfs.
  fs.mkdirSync(path.join(bundle.rootfs, 'out'));
  bundle.setNamespace({ type: 'user' });
  bundle.config.linux.uidMappings = USER_MAPPINGS.uid;
  bundle.config.linux.gidMappings = USER_MAPPINGS.gid;
  bundle.setArgs(CHECKER_IN_CONTAINER, '--out', '/out/report.json').save();
  const busybox = path.join(bundle.rootfs, 'bin', 'busybox');
  const rootfsOwnerBefore = fs.statSync(busybox).uid;
  const id = ctx.newId();
  const create = await ctx.run(['create', '--bundle', bundle.dir, id]);
  if (create.status !== 0) return { error: oneLine(create), rootfsOwnerBefore, rootfsOwnerAfter: fs.statSync(busybox).uid, cgroupOwners: [] };
  const pid = Number((await ctx.state(id))?.pid);
  const cgroupOwners = cgroupDirsOf(pid, ctx.host).map((dir) => ({ dir, uid: fs.statSync(dir).uid }));
  const start = await ctx.run(['start', id]);
  await waitForStatus(ctx, id, 'stopped');
  const text = readText(path.join(out, 'report.json'));
  return {
    report: text ? parseReport(text) : undefined,
    error: start.status !== 0 ? oneLine(start) : text ? undefined : 'no report',
    rootfsOwnerBefore,
    rootfsOwnerAfter: fs.statSync(busybox).uid,
    cgroupOwners,
  };
});

const timeNamespace = attempt('namespaces-time', (bundle) => {
  bundle.setNamespace({ type: 'time' });
  bundle.config.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 172800, nanosecs: 0 } };
});

for (const type of ['pid', 'network', 'mount', 'ipc', 'uts', 'cgroup', 'user', 'time']) {
  clause({
    id: `config-linux/namespaces/new-${type}`,
    spec: SPEC,
    section: 'Namespaces',
    level: 'SHOULD',
    gist: `namespace type '${type}' is supported: without a path the runtime creates a new ${type} namespace for the container`,
    scenario: (type === 'user' ? userNamespace : type === 'time' ? timeNamespace : newNamespaces) as Scenario<Attempt | UserRun>,
    hostSkip: type === 'time' ? timeNamespaces : undefined,
    check(obs: Attempt | UserRun) {
      const report = 'result' in obs ? mustRun(obs) : obs.report;
      expect(report, `the container failed: ${'error' in obs ? obs.error : ''}`);
      const file = NS_FILE[type];
      expect(report.namespaces[file], `no /proc/self/ns/${file}`);
      expect(report.namespaces[file] !== hostNamespaceLink(file), `the container is in the runtime's ${type} namespace (${report.namespaces[file]})`);
      if (type === 'pid') expectEqual(report.pid, 1, 'pid of the container process in its new pid namespace');
    },
  });
}

clause({
  id: 'config-linux/namespaces/not-listed-inherited',
  spec: SPEC,
  section: 'Namespaces',
  level: 'MUST',
  gist: "a namespace type not in the array is inherited from the runtime: with only 'mount' listed, every other namespace is the runtime's",
  scenario: attempt('namespaces-only-mount', (bundle) => {
    bundle.setNamespaces([{ type: 'mount' }]);
    // Sharing the host's network namespace: sysfs cannot be mounted anew there, and hostname needs a UTS namespace.
    bundle.config.mounts = bundle.config.mounts.filter((mount) => mount.destination !== '/sys' && mount.destination !== '/sys/fs/cgroup');
    delete bundle.config.hostname;
  }),
  check(obs) {
    const report = mustRun(obs);
    for (const file of ['net', 'ipc', 'uts', 'pid', 'cgroup', 'user', 'time']) {
      if (!report.namespaces[file]) continue;
      expectEqual(report.namespaces[file], hostNamespaceLink(file), `${file} namespace`);
    }
  },
});

// ---------------------------------------------------------------- joining namespaces by path

interface Holder {
  /** A process in the namespaces to join (a child of `unshare`, for the pid namespace). */
  pid: number;
  process: ChildProcess;
}

/** `unshare` a sleeping process into new namespaces; killed when the scenario ends. */
async function namespaceHolder(ctx: ScenarioContext, flags: string[]): Promise<Holder> {
  const child = spawn('unshare', [...flags, '--fork', 'sleep', '600'], { stdio: 'ignore', detached: true });
  ctx.defer(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const pid = await waitFor(
    'the namespace holder to fork',
    () => {
      const children = (readText(`/proc/${child.pid}/task/${child.pid}/children`) ?? '').trim();
      return children ? Number(children.split(' ')[0]) : false;
    },
    { timeoutMs: 5000 },
  );
  // unshare may still be between fork and exec: wait until the child is sleep.
  await waitFor('the namespace holder to exec sleep', () => (readText(`/proc/${pid}/comm`) ?? '').trim() === 'sleep');
  return { pid, process: child };
}

interface Joined {
  holder: Record<string, string | undefined>;
  obs: Attempt;
}

function joinScenario(name: string, types: string[], flags: string[]) {
  return scenario<Joined>(name, async (ctx) => {
    const holder = await namespaceHolder(ctx, flags);
    const links: Record<string, string | undefined> = {};
    for (const type of types) links[type] = fs.readlinkSync(`/proc/${holder.pid}/ns/${NS_FILE[type]}`);
    const run = attempt(`${name}-run`, (bundle) => {
      for (const type of types) bundle.setNamespace({ type, path: `/proc/${holder.pid}/ns/${NS_FILE[type]}` });
    });
    return { holder: links, obs: await run.run(ctx) };
  });
}

const joined = joinScenario('namespaces-join', ['network', 'ipc', 'uts', 'cgroup', 'pid'], ['--net', '--ipc', '--uts', '--cgroup', '--pid']);
const joinedTime = joinScenario('namespaces-join-time', ['time'], ['--time']);

for (const type of ['network', 'ipc', 'uts', 'cgroup', 'pid', 'time']) {
  clause({
    id: `config-linux/namespaces/path-${type}`,
    spec: SPEC,
    section: 'Namespaces',
    level: 'MUST',
    gist: `with a path, the runtime places the container process in that ${type} namespace`,
    scenario: type === 'time' ? joinedTime : joined,
    hostSkip: type === 'time' ? timeNamespaces : undefined,
    check({ holder, obs }) {
      const report = mustRun(obs);
      expectEqual(report.namespaces[NS_FILE[type]], holder[type], `${type} namespace`);
    },
  });
}

interface WrongType {
  obs: Attempt;
}

const wrongType = scenario<WrongType>('namespaces-path-wrong-type', async (ctx) => {
  const holder = await namespaceHolder(ctx, ['--ipc', '--uts']);
  const run = attempt('namespaces-path-wrong-type-run', (bundle) => {
    bundle.setNamespace({ type: 'network', path: `/proc/${holder.pid}/ns/ipc` });
  });
  return { obs: await run.run(ctx) };
});

clause({
  id: 'config-linux/namespaces/path-wrong-type',
  spec: SPEC,
  section: 'Namespaces',
  level: 'MUST',
  gist: 'a path not associated with a namespace of the given type (network -> an ipc namespace) is an error',
  scenario: wrongType,
  check: ({ obs }) => mustFail(obs, 'a network namespace path that is an ipc namespace'),
});

clause({
  id: 'config-linux/namespaces/path-absolute',
  spec: SPEC,
  section: 'Namespaces',
  level: 'MUST',
  gist: 'a namespace path must be absolute: a relative one is an error',
  scenario: attempt('namespaces-path-relative', (bundle) => {
    bundle.setNamespace({ type: 'network', path: 'proc/1/ns/net' });
  }),
  check: (obs) => mustFail(obs, 'a relative namespace path'),
});

clause({
  id: 'config-linux/namespaces/duplicate',
  spec: SPEC,
  section: 'Namespaces',
  level: 'MUST',
  gist: 'duplicated namespace types are an error',
  scenario: attempt('namespaces-duplicate', (bundle) => {
    bundle.config.linux.namespaces = [...(bundle.config.linux.namespaces as OciNamespace[]), { type: 'network' }];
  }),
  check: (obs) => mustFail(obs, 'two network namespaces'),
});

clause({
  id: 'config-linux/namespaces/unknown-type',
  spec: SPEC,
  section: 'Namespaces',
  level: 'MUST',
  gist: "an unknown namespace type ('conformance') is an invalid value and an error (config.md \"Valid values\")",
  scenario: attempt('namespaces-unknown-type', (bundle) => {
    bundle.setNamespace({ type: 'conformance' });
  }),
  check: (obs) => mustFail(obs, "namespace type 'conformance'"),
});

// ---------------------------------------------------------------- user namespace mappings

function userReport(obs: UserRun): CheckerReport {
  expect(obs.report, `the container failed: ${obs.error}`);
  return obs.report;
}

const mapText = (mappings: typeof USER_MAPPINGS.uid) => mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}`);

clause({
  id: 'config-linux/user-mappings/uid',
  spec: SPEC,
  section: 'User namespace mappings',
  level: 'MUST',
  gist: 'uidMappings are the uid mappings of the user namespace (two entries)',
  scenario: userNamespace,
  check: (obs) => expectEqual(mapLines(userReport(obs).uidMap), mapText(USER_MAPPINGS.uid), 'uid_map'),
});

clause({
  id: 'config-linux/user-mappings/gid',
  spec: SPEC,
  section: 'User namespace mappings',
  level: 'MUST',
  gist: 'gidMappings are the gid mappings of the user namespace (two entries)',
  scenario: userNamespace,
  check: (obs) => expectEqual(mapLines(userReport(obs).gidMap), mapText(USER_MAPPINGS.gid), 'gid_map'),
});

clause({
  id: 'config-linux/user-mappings/no-chown',
  spec: SPEC,
  section: 'User namespace mappings',
  level: 'SHOULD NOT',
  gist: 'the runtime does not change the ownership of the rootfs to realize the mapping',
  scenario: userNamespace,
  check(obs) {
    userReport(obs);
    expectEqual(obs.rootfsOwnerAfter, obs.rootfsOwnerBefore, 'owner of rootfs/bin/busybox');
  },
});

clause({
  id: 'config-linux/cgroups/ownership-v1',
  spec: SPEC,
  section: 'Cgroup ownership',
  level: 'SHOULD NOT',
  gist: "with cgroups v1 the runtime does not change the ownership of the container's cgroups (even with a user namespace)",
  scenario: userNamespace,
  hostSkip: () => (probeHost().cgroupMode === 'v2' ? 'cgroups v1 are not in use here' : undefined),
  check(obs) {
    userReport(obs);
    const v1 = obs.cgroupOwners.filter(({ dir }) => !dir.startsWith('/sys/fs/cgroup/unified'));
    expect(v1.length > 0, 'no cgroup directories seen');
    for (const { dir, uid } of v1) expectEqual(uid, 0, `owner of ${dir}`);
  },
});

clause({
  id: 'config-linux/time-offsets',
  spec: SPEC,
  section: 'Offset for Time Namespace',
  level: 'MUST',
  gist: 'timeOffsets sets the offsets of the clocks in the time namespace (monotonic 86400 s, boottime 172800 s)',
  scenario: timeNamespace,
  hostSkip: timeNamespaces,
  check(obs) {
    const report = mustRun(obs);
    const offsets = typeof report.timensOffsets === 'string' ? report.timensOffsets : `(${report.timensOffsets.errno})`;
    const lines = offsets.split('\n').map((line) => line.trim().split(/\s+/).join(' ')).filter(Boolean).sort();
    expectEqual(lines, ['boottime 172800 0', 'monotonic 86400 0'], 'timens_offsets');
  },
});


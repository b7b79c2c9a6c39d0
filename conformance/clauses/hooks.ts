// config.md "POSIX-platform Hooks" and runtime.md "Lifecycle" steps 3-13: when each kind of hook
// runs, in which namespaces, with what on stdin, and what a failing hook does to the operation.
//
// Every hook is one shell script that appends a tab-separated line to a log: its name, the
// namespaces and hostname it ran in, an environment variable, what the state's pid executes,
// whether the program has run yet, and the state it read on stdin. Hooks that run in the
// runtime's namespaces use a copy on the host; startContainer (whose path resolves in the
// container) uses a copy inside the rootfs under a name the host does not have.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, expect, expectEqual, scenario } from '../lib/clause';
import { CheckerReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, ScenarioError, oneLine } from '../lib/context';
import { hostNamespaceLink } from '../lib/host';
import { cgroupDirsNamed, isAlive, readText, sharedDir, sleep, waitForLine, waitForStatus, writeScript } from '../lib/util';
import type { Bundle } from '../../test/helpers/bundle';
import type { RunResult } from '../../test/helpers/runtime';

const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];

const LOG_HOOK = `#!/bin/sh
name=$1; log=$2; marker=$3; state=$(cat)
pid=$(echo "$state" | sed -n 's/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p')
exe=$(readlink /proc/$pid/exe 2>/dev/null)
program=no; [ -e "$marker" ] && program=yes
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$name" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/uts)" "$(readlink /proc/self/ns/pid)" "$(readlink /proc/self/ns/net)" "$(hostname)" "$HOOK_MARK" "$exe" "$program" "$state" >> "$log"
`;

interface HookLine {
  name: string;
  mnt: string;
  uts: string;
  pidNs: string;
  net: string;
  hostname: string;
  mark: string;
  exe: string;
  programRan: boolean;
  state?: Record<string, unknown>;
  stateText: string;
  /** create, start or delete: which operation had returned last before the line was first seen. */
  phase: string;
}

function parseLog(text: string, phase: string, seen: Set<string>): HookLine[] {
  const lines: HookLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || seen.has(line)) continue;
    seen.add(line);
    const [name, mnt, uts, pidNs, net, hostname, mark, exe, program, ...rest] = line.split('\t');
    const stateText = rest.join('\t');
    let state: Record<string, unknown> | undefined;
    try {
      state = JSON.parse(stateText) as Record<string, unknown>;
    } catch {
      state = undefined;
    }
    lines.push({ name, mnt, uts, pidNs, net, hostname, mark, exe, programRan: program === 'yes', state, stateText, phase });
  }
  return lines;
}

interface HookSetup {
  bundle: Bundle;
  logFile: string;
  markerHost: string;
  hook(kind: Kind, name: string, extra?: Record<string, unknown>): Record<string, unknown>;
  hostDir: string;
}

function hookSetup(ctx: ScenarioContext): HookSetup {
  const hostDir = ctx.newDir('hooks');
  const logDir = sharedDir(ctx, 'hooklog');
  const logFile = path.join(logDir, 'hooks.log');
  const hostScript = writeScript(path.join(hostDir, 'log-hook.sh'), LOG_HOOK);
  const bundle = ctx.bundle().addBindMount(logDir, '/hooklog');
  // A name the host does not have: this copy can only run if the path resolved in the container.
  const rootfsScript = `/${ctx.workspace.prefix}-log-hook.sh`;
  if (fs.existsSync(rootfsScript)) throw new ScenarioError(`${rootfsScript} exists on the host`);
  writeScript(path.join(bundle.rootfs, rootfsScript), LOG_HOOK);
  const markerHost = path.join(logDir, 'program-ran');
  const hook = (kind: Kind, name: string, extra: Record<string, unknown> = {}) => {
    const inside = kind === 'startContainer';
    const script = inside ? rootfsScript : hostScript;
    const log = inside ? '/hooklog/hooks.log' : logFile;
    const marker = inside ? '/hooklog/program-ran' : markerHost;
    return { path: script, args: [script, name, log, marker], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `HOOK_MARK=mark-${name}`], ...extra };
  };
  return { bundle, logFile, markerHost, hook, hostDir };
}

// ---------------------------------------------------------------- every kind, in one container

interface AllHooks {
  id: string;
  lines: HookLine[];
  report?: CheckerReport;
  createdState?: Record<string, unknown>;
  start: RunResult;
  delete: RunResult;
  hostname: string;
}

const allHooks = scenario<AllHooks>('hooks-all-kinds', async (ctx) => {
  const setup = hookSetup(ctx);
  const hooks: Record<string, unknown[]> = {};
  for (const kind of KINDS) {
    const count = kind === 'startContainer' ? 1 : 2;
    hooks[kind] = Array.from({ length: count }, (_, i) => setup.hook(kind, `${kind}-${i + 1}`));
  }
  setup.bundle.config.hooks = hooks;
  const hostname = 'conf-hooks';
  setup.bundle.setHostname(hostname);
  // The program stays until TERM, so that poststart hooks can see it executing.
  setup.bundle.setArgs(CHECKER_IN_CONTAINER, '--out', '/hooklog/report.json', '--touch', '/hooklog/program-ran', '--signals', '/hooklog/signals');
  const seen = new Set<string>();
  const id = await ctx.create(setup.bundle);
  const lines = parseLog(readText(setup.logFile) ?? '', 'create', seen);
  const createdState = await ctx.state(id);
  const start = await ctx.run(['start', id]);
  lines.push(...parseLog(readText(setup.logFile) ?? '', 'start', seen));
  if (start.status === 0) await waitForLine(path.join(path.dirname(setup.logFile), 'signals'), 'READY');
  await ctx.run(['kill', id, 'TERM']);
  await waitForStatus(ctx, id, 'stopped');
  const report = JSON.parse(readText(path.join(path.dirname(setup.logFile), 'report.json')) ?? 'null') ?? undefined;
  // Lines logged after start returned but before delete (e.g. a late poststart) count as 'stopped'.
  lines.push(...parseLog(readText(setup.logFile) ?? '', 'stopped', seen));
  const deleted = await ctx.run(['delete', id]);
  lines.push(...parseLog(readText(setup.logFile) ?? '', 'delete', seen));
  return { id, lines, report, createdState, start, delete: deleted, hostname };
});

const SPEC = 'config.md';

function linesOf(obs: AllHooks, kind: Kind): HookLine[] {
  return obs.lines.filter((line) => line.name.startsWith(`${kind}-`));
}

function ranIn(obs: AllHooks, kind: Kind, phase: string): void {
  const lines = linesOf(obs, kind);
  expect(lines.length > 0, `no ${kind} hook ran (log: ${obs.lines.map((line) => `${line.name}@${line.phase}`).join(', ') || 'empty'})`);
  for (const line of lines) expect(line.phase === phase, `${line.name} was first seen after ${line.phase}, not during ${phase}`);
}

function inRuntimeNamespaces(obs: AllHooks, kind: Kind): void {
  const lines = linesOf(obs, kind);
  expect(lines.length > 0, `no ${kind} hook ran`);
  for (const line of lines) {
    expectEqual(line.mnt, hostNamespaceLink('mnt'), `${line.name}'s mount namespace`);
    expectEqual(line.net, hostNamespaceLink('net'), `${line.name}'s network namespace`);
    expectEqual(line.uts, hostNamespaceLink('uts'), `${line.name}'s uts namespace`);
  }
}

function inContainerNamespaces(obs: AllHooks, kind: Kind, types: ('mnt' | 'uts' | 'pid')[]): void {
  const lines = linesOf(obs, kind);
  expect(lines.length > 0, `no ${kind} hook ran`);
  expect(obs.report, 'the program printed no report');
  for (const line of lines) {
    if (types.includes('mnt')) expectEqual(line.mnt, obs.report.namespaces.mnt, `${line.name}'s mount namespace`);
    if (types.includes('uts')) expectEqual(line.uts, obs.report.namespaces.uts, `${line.name}'s uts namespace`);
    if (types.includes('pid')) expectEqual(line.pidNs, obs.report.namespaces.pid, `${line.name}'s pid namespace`);
  }
}

const index = (obs: AllHooks, name: string) => obs.lines.findIndex((line) => line.name === name);

clause({
  id: 'config/hooks/listed-order',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: 'the hooks of a kind are called in the listed order',
  scenario: allHooks,
  check(obs) {
    for (const kind of KINDS) {
      if (kind === 'startContainer') continue;
      const first = index(obs, `${kind}-1`);
      const second = index(obs, `${kind}-2`);
      expect(first >= 0 && second >= 0, `${kind}-1 or ${kind}-2 did not run`);
      expect(first < second, `${kind}-2 ran before ${kind}-1`);
    }
  },
});

clause({
  id: 'config/hooks/state-on-stdin',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: "the container's state is passed to every hook on stdin",
  scenario: allHooks,
  check(obs) {
    expect(obs.lines.length >= 11, `only ${obs.lines.length} hooks logged`);
    for (const line of obs.lines) {
      expect(line.state, `${line.name} read no state JSON: ${JSON.stringify(line.stateText.slice(0, 100))}`);
      expectEqual(line.state.id, obs.id, `${line.name}'s state.id`);
      expect(typeof line.state.bundle === 'string' && typeof line.state.status === 'string' && typeof line.state.ociVersion === 'string', `${line.name}'s state lacks bundle/status/ociVersion`);
    }
  },
});

clause({
  id: 'config/hooks/args-and-env',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: "a hook is executed with its args as argv and its env as environment (execv semantics)",
  scenario: allHooks,
  check(obs) {
    expect(obs.lines.length > 0, 'no hook ran');
    for (const line of obs.lines) expectEqual(line.mark, `mark-${line.name}`, `${line.name}'s HOOK_MARK`);
  },
});

clause({
  id: 'config/hooks/prestart/when',
  spec: SPEC,
  section: 'Prestart',
  level: 'MUST',
  gist: 'prestart hooks are called as part of create, before the createRuntime hooks',
  scenario: allHooks,
  check(obs) {
    ranIn(obs, 'prestart', 'create');
    expect(index(obs, 'prestart-2') < index(obs, 'createRuntime-1'), 'a createRuntime hook ran before a prestart hook');
  },
});

clause({
  id: 'config/hooks/prestart/namespace',
  spec: SPEC,
  section: 'Prestart',
  level: 'MUST',
  gist: 'prestart hooks are executed in the runtime namespace',
  scenario: allHooks,
  check: (obs) => inRuntimeNamespaces(obs, 'prestart'),
});

clause({
  id: 'config/hooks/createRuntime/when',
  spec: SPEC,
  section: 'CreateRuntime Hooks',
  level: 'MUST',
  gist: 'createRuntime hooks are called as part of create',
  scenario: allHooks,
  check: (obs) => ranIn(obs, 'createRuntime', 'create'),
});

clause({
  id: 'config/hooks/createRuntime/namespace',
  spec: SPEC,
  section: 'CreateRuntime Hooks',
  level: 'MUST',
  gist: 'createRuntime hooks are executed in the runtime namespace',
  scenario: allHooks,
  check: (obs) => inRuntimeNamespaces(obs, 'createRuntime'),
});

clause({
  id: 'config/hooks/createContainer/when',
  spec: SPEC,
  section: 'CreateContainer Hooks',
  level: 'MUST',
  gist: 'createContainer hooks are called as part of create, after the createRuntime hooks',
  scenario: allHooks,
  check(obs) {
    ranIn(obs, 'createContainer', 'create');
    expect(index(obs, 'createRuntime-2') < index(obs, 'createContainer-1'), 'a createContainer hook ran before a createRuntime hook');
  },
});

clause({
  id: 'config/hooks/createContainer/path',
  spec: SPEC,
  section: 'CreateContainer Hooks',
  level: 'MUST',
  gist: "createContainer hooks' path resolves in the runtime namespace (the script exists only on the host)",
  scenario: allHooks,
  check: (obs) => expect(linesOf(obs, 'createContainer').length === 2, 'the createContainer hooks did not run'),
});

clause({
  id: 'config/hooks/createContainer/namespace',
  spec: SPEC,
  section: 'CreateContainer Hooks',
  level: 'MUST',
  gist: 'createContainer hooks are executed in the container namespace (its mount and uts namespaces)',
  scenario: allHooks,
  check: (obs) => inContainerNamespaces(obs, 'createContainer', ['mnt', 'uts']),
});

clause({
  id: 'config/hooks/startContainer/when',
  spec: SPEC,
  section: 'StartContainer Hooks',
  level: 'MUST',
  gist: 'startContainer hooks are called as part of start, before the user-specified process is executed',
  scenario: allHooks,
  check(obs) {
    ranIn(obs, 'startContainer', 'start');
    for (const line of linesOf(obs, 'startContainer')) expect(!line.programRan, `the program had already run when ${line.name} ran`);
  },
});

clause({
  id: 'config/hooks/startContainer/path',
  spec: SPEC,
  section: 'StartContainer Hooks',
  level: 'MUST',
  gist: "startContainer hooks' path resolves in the container namespace (the script exists only in the rootfs)",
  scenario: allHooks,
  check: (obs) => expect(linesOf(obs, 'startContainer').length === 1, 'the startContainer hook did not run'),
});

clause({
  id: 'config/hooks/startContainer/namespace',
  spec: SPEC,
  section: 'StartContainer Hooks',
  level: 'MUST',
  gist: 'startContainer hooks are executed in the container namespace (mount, pid and uts namespaces)',
  scenario: allHooks,
  check: (obs) => inContainerNamespaces(obs, 'startContainer', ['mnt', 'uts', 'pid']),
});

clause({
  id: 'config/hooks/poststart/when',
  spec: SPEC,
  section: 'Poststart',
  level: 'MUST',
  gist: 'poststart hooks are called after the user-specified process is executed, before start returns',
  scenario: allHooks,
  check(obs) {
    ranIn(obs, 'poststart', 'start');
    for (const line of linesOf(obs, 'poststart')) {
      expect(line.exe.endsWith(CHECKER_IN_CONTAINER), `when ${line.name} ran, the container process executed ${line.exe || '(gone)'}, not the program`);
    }
  },
});

clause({
  id: 'config/hooks/poststart/namespace',
  spec: SPEC,
  section: 'Poststart',
  level: 'MUST',
  gist: 'poststart hooks are executed in the runtime namespace',
  scenario: allHooks,
  check: (obs) => inRuntimeNamespaces(obs, 'poststart'),
});

clause({
  id: 'config/hooks/poststop/when',
  spec: SPEC,
  section: 'Poststop',
  level: 'MUST',
  gist: 'poststop hooks are called after the container is deleted, before delete returns',
  scenario: allHooks,
  check(obs) {
    expect(obs.delete.status === 0, `delete failed: ${oneLine(obs.delete)}`);
    ranIn(obs, 'poststop', 'delete');
  },
});

clause({
  id: 'config/hooks/poststop/namespace',
  spec: SPEC,
  section: 'Poststop',
  level: 'MUST',
  gist: 'poststop hooks are executed in the runtime namespace',
  scenario: allHooks,
  check: (obs) => inRuntimeNamespaces(obs, 'poststop'),
});

clause({
  id: 'runtime/state/pid-in-runtime-namespace-hooks',
  spec: 'runtime.md',
  section: 'State',
  level: 'MUST',
  gist: "for hooks executed in the runtime namespace, state.pid is the container process's pid as the runtime sees it",
  scenario: allHooks,
  check(obs) {
    const hostPid = obs.createdState?.pid;
    expect(typeof hostPid === 'number', 'no pid in the state after create');
    for (const kind of ['prestart', 'createRuntime', 'poststart'] as const) {
      for (const line of linesOf(obs, kind)) expectEqual(line.state?.pid, hostPid, `${line.name}'s state.pid`);
    }
  },
});

clause({
  id: 'runtime/state/pid-in-container-namespace-hooks',
  spec: 'runtime.md',
  section: 'State',
  level: 'MUST',
  gist: "for hooks executed in the container namespace, state.pid is the container process's pid as the container sees it",
  scenario: allHooks,
  check(obs) {
    expect(obs.report, 'the program printed no report');
    for (const kind of ['createContainer', 'startContainer'] as const) {
      for (const line of linesOf(obs, kind)) expectEqual(line.state?.pid, obs.report.pid, `${line.name}'s state.pid`);
    }
  },
});

// ---------------------------------------------------------------- failing hooks

interface FailingHook {
  kind: Kind;
  create: RunResult;
  start?: RunResult;
  stateAfter?: Record<string, unknown>;
  stateCommand?: RunResult;
  pid?: number;
  pidAlive: boolean;
  programRan: boolean;
  cgroupsLeft: string[];
  deleteResult?: RunResult;
  laterHookRan: boolean;
}

function failingHook(kind: Kind) {
  return scenario<FailingHook>(`hook-fails-${kind}`, async (ctx) => {
    const setup = hookSetup(ctx);
    const failing = kind === 'startContainer'
      ? { path: '/bin/false', args: ['false'] }
      : { path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null; echo "conformance: this hook fails" >&2; exit 7'] };
    setup.bundle.config.hooks = { [kind]: [failing, setup.hook(kind, `${kind}-after`)] };
    setup.bundle.setArgs(CHECKER_IN_CONTAINER, '--touch', '/hooklog/program-ran', '--sleep', '600').save();
    const id = ctx.newId();
    const obs: FailingHook = {
      kind,
      create: await ctx.run(['create', '--bundle', setup.bundle.dir, id]),
      pidAlive: false,
      programRan: false,
      cgroupsLeft: [],
      laterHookRan: false,
    };
    const created = await ctx.state(id);
    obs.pid = Number(created?.pid) || undefined;
    if (obs.create.status === 0 && kind !== 'poststop') obs.start = await ctx.run(['start', id]);
    if (kind === 'poststop') {
      await ctx.run(['kill', id, 'KILL']);
      await waitForStatus(ctx, id, 'stopped');
      obs.deleteResult = await ctx.run(['delete', id]);
    }
    await sleep(100);
    obs.stateCommand = await ctx.run(['state', id]);
    obs.stateAfter = obs.stateCommand.status === 0 ? (JSON.parse(obs.stateCommand.stdout) as Record<string, unknown>) : undefined;
    obs.pidAlive = obs.pid !== undefined && isAlive(obs.pid);
    obs.programRan = fs.existsSync(setup.markerHost);
    obs.cgroupsLeft = kind === 'poststop' ? cgroupDirsNamed(id) : [];
    obs.laterHookRan = (readText(setup.logFile) ?? '').includes(`${kind}-after`);
    if (obs.stateAfter === undefined && obs.create.status !== 0) obs.cgroupsLeft = cgroupDirsNamed(id);
    return obs;
  });
}

for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
  const failScenario = failingHook(kind);
  clause({
    id: `runtime/lifecycle/${kind}-fails`,
    spec: 'runtime.md',
    section: 'Lifecycle',
    level: 'MUST',
    gist: `if a ${kind} hook fails, the runtime generates an error (create fails), stops the container and destroys it (step 12)`,
    scenario: failScenario,
    check(obs) {
      expect(obs.create.status !== 0, `create succeeded although a ${kind} hook failed`);
      expect(obs.stateAfter === undefined, `the container still exists (${JSON.stringify(obs.stateAfter?.status)})`);
      expect(obs.cgroupsLeft.length === 0, `cgroups left: ${obs.cgroupsLeft.join(', ')}`);
      expect(!obs.laterHookRan, `the ${kind} hook after the failing one ran`);
    },
  });
}

const startContainerFails = failingHook('startContainer');
clause({
  id: 'runtime/lifecycle/startContainer-fails',
  spec: 'runtime.md',
  section: 'Lifecycle',
  level: 'MUST',
  gist: 'if a startContainer hook fails, start generates an error, the program does not run and the container is stopped',
  scenario: startContainerFails,
  check(obs) {
    expect(obs.create.status === 0, `create failed: ${oneLine(obs.create)}`);
    expect(obs.start && obs.start.status !== 0, 'start succeeded although the startContainer hook failed');
    expect(!obs.programRan, 'the program ran');
    expect(!obs.pidAlive, 'the container process is still alive');
    expect(obs.stateAfter === undefined || obs.stateAfter.status === 'stopped', `status is ${JSON.stringify(obs.stateAfter?.status)}`);
  },
});

const poststartFails = failingHook('poststart');
clause({
  id: 'runtime/lifecycle/poststart-fails',
  spec: 'runtime.md',
  section: 'Lifecycle',
  level: 'MUST',
  gist: 'if a poststart hook fails, the runtime generates an error and stops the container (v1.3; earlier versions said: log a warning)',
  scenario: poststartFails,
  check(obs) {
    const failedAt = obs.create.status !== 0 ? 'create' : obs.start && obs.start.status !== 0 ? 'start' : undefined;
    expect(failedAt, 'neither create nor start failed although a poststart hook failed');
    expect(!obs.pidAlive, 'the container process is still alive');
    expect(obs.stateAfter === undefined || obs.stateAfter.status === 'stopped', `status is ${JSON.stringify(obs.stateAfter?.status)}`);
  },
});

const poststopFails = failingHook('poststop');
clause({
  id: 'runtime/lifecycle/poststop-fails',
  spec: 'runtime.md',
  section: 'Lifecycle',
  level: 'MUST',
  gist: 'if a poststop hook fails, the runtime logs a warning and the remaining hooks and the lifecycle continue (delete succeeds)',
  scenario: poststopFails,
  check(obs) {
    expect(obs.create.status === 0, `create failed: ${oneLine(obs.create)}`);
    expect(obs.deleteResult?.status === 0, `delete failed: ${obs.deleteResult && oneLine(obs.deleteResult)}`);
    expect(obs.laterHookRan, 'the poststop hook after the failing one did not run');
    expect(obs.stateAfter === undefined, 'the container still exists');
    expect(obs.cgroupsLeft.length === 0, `cgroups left: ${obs.cgroupsLeft.join(', ')}`);
    expect(/warn/i.test(obs.deleteResult.stderr) || obs.deleteResult.stderr.trim() !== '', 'no warning was logged');
  },
});

// ---------------------------------------------------------------- hook fields

interface HookField {
  create: RunResult;
  seconds: number;
}

function hookField(name: string, hook: (ctx: ScenarioContext, dir: string) => Record<string, unknown>) {
  return scenario<HookField>(name, async (ctx) => {
    const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER);
    const dir = ctx.newDir('hook');
    bundle.config.hooks = { createRuntime: [hook(ctx, dir)] };
    bundle.save();
    const t0 = Date.now();
    const id = ctx.newId();
    const create = await ctx.run(['create', '--bundle', bundle.dir, id], { timeoutMs: 20_000 });
    return { create, seconds: (Date.now() - t0) / 1000 };
  });
}

const slowHook = hookField('hook-timeout', (_ctx, dir) => {
  const script = writeScript(path.join(dir, 'slow.sh'), '#!/bin/sh\nexec sleep 10\n');
  return { path: script, timeout: 1 };
});

clause({
  id: 'config/hooks/timeout',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: 'timeout is the number of seconds before aborting the hook: a hook sleeping 10 s with timeout 1 is aborted (and create fails)',
  scenario: slowHook,
  check(obs) {
    expect(obs.create.status !== 0, 'create succeeded');
    expect(obs.seconds < 6, `create took ${obs.seconds.toFixed(1)} s`);
  },
});

const zeroTimeout = hookField('hook-timeout-zero', () => ({ path: '/bin/true', timeout: 0 }));

clause({
  id: 'config/hooks/timeout-positive',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: 'if set, timeout must be greater than zero: a config with timeout 0 is invalid and create is an error ("Valid values")',
  scenario: zeroTimeout,
  check: (obs) => expect(obs.create.status !== 0, 'create succeeded with a hook timeout of 0'),
});

const relativeHook = hookField('hook-relative-path', () => ({ path: 'bin/true' }));

clause({
  id: 'config/hooks/path-absolute',
  spec: SPEC,
  section: 'POSIX-platform Hooks',
  level: 'MUST',
  gist: 'a hook path must be absolute: a relative path is invalid and create is an error ("Valid values")',
  scenario: relativeHook,
  check: (obs) => expect(obs.create.status !== 0, 'create succeeded with a relative hook path'),
});



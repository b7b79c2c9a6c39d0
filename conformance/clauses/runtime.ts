// runtime.md: the state, the lifecycle, the operations (create, start, state, kill, delete) and
// the errors they must generate.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import { clause, expect, expectEqual, fail, scenario } from '../lib/clause';
import { CheckerReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, ScenarioError, oneLine } from '../lib/context';
import { hostNamespaceLink } from '../lib/host';
import {
  cgroupDirsOf,
  exeOf,
  exists,
  isAlive,
  namespaceLinks,
  readText,
  sharedDir,
  waitForLine,
  waitForStatus,
} from '../lib/util';
import type { RunResult } from '../../test/helpers/runtime';

const SPEC = 'runtime.md';
const SCHEMA_DIR = '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';

type State = Record<string, unknown>;

/** Validates state JSON against the runtime-spec's state-schema.json (Debian's copy). */
let stateValidator: ((state: unknown) => string | undefined) | undefined;
function validateState(state: unknown): string | undefined {
  if (!stateValidator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const file of ['defs.json', 'state-schema.json']) {
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')), file);
    }
    const validate = ajv.getSchema('state-schema.json');
    if (!validate) throw new Error('state-schema.json did not compile');
    stateValidator = (value) => (validate(value) ? undefined : ajv.errorsText(validate.errors));
  }
  return stateValidator(state);
}

const ok = (result: RunResult | undefined) => result !== undefined && result.status === 0;
const failed = (result: RunResult | undefined) => result !== undefined && result.status !== 0 && result.signal === null;

// ---------------------------------------------------------------- one container, create to delete

interface Journey {
  id: string;
  bundleDir: string;
  annotations: Record<string, string>;
  create: RunResult;
  afterCreate?: State;
  ranAfterCreate: boolean;
  atCreate: { ns: Record<string, string | undefined>; cgroupDirs: string[]; hostname?: string };
  start?: RunResult;
  afterStart?: State;
  ranAfterStart: boolean;
  changedRan: boolean;
  report?: CheckerReport;
  exeAfterStart?: string;
  startAgain?: RunResult;
  afterStartAgain?: State;
  killUsr1?: RunResult;
  usr1Seen: boolean;
  afterStop?: State;
  killStopped?: RunResult;
  afterKillStopped?: State;
  startStopped?: RunResult;
  delete?: RunResult;
  stateAfterDelete?: RunResult;
  cgroupDirsLeft: string[];
  stateEntryLeft: boolean;
  recreate?: RunResult;
}

const journey = scenario<Journey>('lifecycle-journey', async (ctx) => {
  const bundle = ctx.bundle();
  const markers = sharedDir(ctx, 'markers');
  const annotations = { 'org.example.conformance/key': 'value', 'com.example.empty': '' };
  bundle.addBindMount(markers, '/markers');
  bundle.config.annotations = annotations;
  bundle.setHostname('conf-original');
  bundle.setArgs(CHECKER_IN_CONTAINER, '--touch', '/markers/ran', '--out', '/markers/report.json', '--signals', '/markers/signals').save();
  const id = ctx.newId();
  const obs: Journey = {
    id,
    bundleDir: bundle.dir,
    annotations,
    create: await ctx.run(['create', '--bundle', bundle.dir, id]),
    ranAfterCreate: false,
    atCreate: { ns: {}, cgroupDirs: [] },
    ranAfterStart: false,
    changedRan: false,
    usr1Seen: false,
    cgroupDirsLeft: [],
    stateEntryLeft: false,
  };
  if (!ok(obs.create)) throw new ScenarioError(`create failed: ${oneLine(obs.create)}`);
  obs.afterCreate = await ctx.state(id);
  obs.ranAfterCreate = exists(path.join(markers, 'ran'));
  const pid = Number(obs.afterCreate?.pid);
  if (pid > 0) {
    obs.atCreate.ns = namespaceLinks(pid);
    obs.atCreate.cgroupDirs = cgroupDirsOf(pid, ctx.host);
    const uts = spawnSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' });
    obs.atCreate.hostname = uts.status === 0 ? uts.stdout.trim() : undefined;
  }
  // runtime.md Create: "Any changes made to the config.json file after this operation will not
  // have an effect on the container."
  bundle.setArgs(CHECKER_IN_CONTAINER, '--touch', '/markers/changed', '--out', '/markers/report.json').setHostname('conf-changed').save();

  obs.start = await ctx.run(['start', id]);
  if (ok(obs.start)) {
    await waitForLine(path.join(markers, 'signals'), 'READY');
    obs.afterStart = await ctx.state(id);
    obs.ranAfterStart = exists(path.join(markers, 'ran'));
    obs.changedRan = exists(path.join(markers, 'changed'));
    obs.report = JSON.parse(readText(path.join(markers, 'report.json')) ?? 'null') ?? undefined;
    obs.exeAfterStart = pid > 0 ? exeOf(pid) : undefined;
    obs.startAgain = await ctx.run(['start', id]);
    obs.afterStartAgain = await ctx.state(id);
    obs.killUsr1 = await ctx.run(['kill', id, 'USR1']);
    try {
      await waitForLine(path.join(markers, 'signals'), 'USR1');
      obs.usr1Seen = true;
    } catch {
      obs.usr1Seen = false;
    }
    await ctx.run(['kill', id, 'TERM']);
    obs.afterStop = await waitForStatus(ctx, id, 'stopped');
    obs.killStopped = await ctx.run(['kill', id, 'KILL']);
    obs.afterKillStopped = await ctx.state(id);
    obs.startStopped = await ctx.run(['start', id]);
  }
  obs.delete = await ctx.run(['delete', id]);
  obs.stateAfterDelete = await ctx.run(['state', id]);
  obs.cgroupDirsLeft = obs.atCreate.cgroupDirs.filter((dir) => fs.existsSync(dir));
  obs.stateEntryLeft = fs.existsSync(path.join(ctx.runtime.root, id));
  // runtime.md Delete: "Once a container is deleted its ID MAY be used by a subsequent container."
  bundle.setArgs(CHECKER_IN_CONTAINER).save();
  obs.recreate = await ctx.run(['create', '--bundle', bundle.dir, id]);
  return obs;
});

function needStarted(obs: Journey): void {
  if (!ok(obs.start)) fail(`start failed: ${obs.start ? oneLine(obs.start) : 'not run'}`);
}

clause({
  id: 'runtime/scope',
  spec: SPEC,
  section: 'Scope of a Container',
  level: 'MUST',
  gist: 'the entity that created a container can use every operation (state, start, kill, delete) on it',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(obs.afterCreate && obs.afterStart, 'state failed on the container just created');
    expect(ok(obs.killUsr1), `kill failed: ${obs.killUsr1 && oneLine(obs.killUsr1)}`);
    expect(ok(obs.delete), `delete failed: ${obs.delete && oneLine(obs.delete)}`);
  },
});

clause({
  id: 'runtime/state/ociVersion',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: 'the state includes ociVersion (REQUIRED), a SemVer string',
  scenario: journey,
  check(obs) {
    const version = obs.afterCreate?.ociVersion;
    expect(typeof version === 'string', `ociVersion is ${JSON.stringify(version)}`);
    expect(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version), `ociVersion '${version}' is not SemVer`);
  },
});

clause({
  id: 'runtime/state/id',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "the state's id (REQUIRED) is the container's id",
  scenario: journey,
  check(obs) {
    expectEqual(obs.afterCreate?.id, obs.id, 'state.id');
  },
});

clause({
  id: 'runtime/state/created',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "status is 'created' once create has finished and the program has neither run nor exited",
  scenario: journey,
  check(obs) {
    expectEqual(obs.afterCreate?.status, 'created', 'status after create');
  },
});

clause({
  id: 'runtime/state/pid-created',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "pid is REQUIRED while 'created', and names the container process as the host sees it",
  scenario: journey,
  check(obs) {
    const pid = obs.afterCreate?.pid;
    expect(typeof pid === 'number' && pid > 0, `pid is ${JSON.stringify(pid)}`);
    expect(obs.atCreate.ns.mnt !== undefined, `no process ${pid} on the host`);
    expect(obs.atCreate.ns.mnt !== hostNamespaceLink('mnt'), `process ${pid} is in the host's mount namespace, not the container's`);
  },
});

clause({
  id: 'runtime/state/pid-running',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "pid is REQUIRED while 'running': the same process, now executing the program",
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expectEqual(obs.afterStart?.pid, obs.afterCreate?.pid, 'pid after start');
    expect(obs.exeAfterStart?.endsWith(CHECKER_IN_CONTAINER), `process ${obs.afterStart?.pid} executes ${obs.exeAfterStart}, not the program`);
  },
});

clause({
  id: 'runtime/state/bundle',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "bundle (REQUIRED) is the absolute path of the container's bundle directory",
  scenario: journey,
  check(obs) {
    const bundle = obs.afterCreate?.bundle;
    expect(typeof bundle === 'string' && path.isAbsolute(bundle), `bundle is ${JSON.stringify(bundle)}`);
    expectEqual(fs.realpathSync(bundle), fs.realpathSync(obs.bundleDir), 'state.bundle');
  },
});

clause({
  id: 'runtime/state/annotations',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "annotations lists the container's annotations (those of config.json)",
  scenario: journey,
  check(obs) {
    const sorted = (map: unknown) => Object.entries((map ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    expectEqual(sorted(obs.afterCreate?.annotations), sorted(obs.annotations), 'state.annotations');
  },
});

clause({
  id: 'runtime/state/schema',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: 'serialized as JSON, the state adheres to schema/state-schema.json (checked while created, running and stopped)',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    for (const [when, state] of [['created', obs.afterCreate], ['running', obs.afterStart], ['stopped', obs.afterStop]] as const) {
      expect(state, `no state while ${when}`);
      const problem = validateState(state);
      expect(!problem, `the state while ${when} does not match state-schema.json: ${problem}`);
    }
  },
});

clause({
  id: 'runtime/state/running',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "status is 'running' once the program has been executed and has not exited",
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expectEqual(obs.afterStart?.status, 'running', 'status after start');
  },
});

clause({
  id: 'runtime/state/stopped-after-kill',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "status is 'stopped' once the container process has exited (here: after kill TERM)",
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expectEqual(obs.afterStop?.status, 'stopped', 'status after the process exited');
  },
});

clause({
  id: 'runtime/lifecycle/program-not-run-at-create',
  spec: SPEC,
  section: 'Lifecycle',
  level: 'MUST NOT',
  gist: 'step 2: the user-specified program is not run by create',
  scenario: journey,
  check(obs) {
    expect(!obs.ranAfterCreate, 'the program ran during create');
  },
});

clause({
  id: 'runtime/lifecycle/config-changes-after-create',
  spec: SPEC,
  section: 'Lifecycle',
  level: 'MUST NOT',
  gist: 'step 2: changes to config.json after create do not affect the container (args and hostname edited)',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(!obs.changedRan, 'the program of the edited config.json ran');
    expect(obs.report, 'no report from the program');
    expectEqual(obs.report.hostname, 'conf-original', 'hostname');
    expect(obs.report.argv.includes('--signals'), `argv is the edited one: ${obs.report.argv.join(' ')}`);
  },
});

clause({
  id: 'runtime/create/applies-namespaces-and-hostname',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: 'create applies every property but process: the waiting process is already in its namespaces, with its hostname',
  scenario: journey,
  check(obs) {
    for (const type of ['mnt', 'net', 'ipc', 'uts', 'pid']) {
      expect(obs.atCreate.ns[type] !== undefined, `no /proc/<pid>/ns/${type}`);
      expect(obs.atCreate.ns[type] !== hostNamespaceLink(type), `the created process is still in the host's ${type} namespace`);
    }
    expectEqual(obs.atCreate.hostname, 'conf-original', 'hostname of the created container');
  },
});

clause({
  id: 'runtime/create/applies-cgroups',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: "create applies every property but process: the waiting process is already in the container's cgroups",
  scenario: journey,
  check(obs) {
    expect(obs.atCreate.cgroupDirs.length > 0, 'the created process is in no cgroup the host shows');
    const named = obs.atCreate.cgroupDirs.filter((dir) => dir.includes(obs.id));
    expect(named.length > 0, `the created process is in ${obs.atCreate.cgroupDirs.join(', ')}, none of them the container's`);
  },
});

clause({
  id: 'runtime/start/runs-program',
  spec: SPEC,
  section: 'Start',
  level: 'MUST',
  gist: 'start runs the user-specified program as process says',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(obs.ranAfterStart, 'the program did not run');
  },
});

clause({
  id: 'runtime/start/running-is-error',
  spec: SPEC,
  section: 'Start',
  level: 'MUST',
  gist: 'start of a container that is not created (running) is an error and has no effect on it',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(failed(obs.startAgain), 'a second start succeeded');
    expectEqual(obs.afterStartAgain?.status, 'running', 'status after the second start');
    expectEqual(obs.afterStartAgain?.pid, obs.afterStart?.pid, 'pid after the second start');
  },
});

clause({
  id: 'runtime/start/stopped-is-error',
  spec: SPEC,
  section: 'Start',
  level: 'MUST',
  gist: 'start of a container that is not created (stopped) is an error',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(failed(obs.startStopped), 'start of a stopped container succeeded');
  },
});

clause({
  id: 'runtime/kill/sends-signal',
  spec: SPEC,
  section: 'Kill',
  level: 'MUST',
  gist: 'kill sends the given signal (USR1) to the container process',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(ok(obs.killUsr1), `kill USR1 failed: ${obs.killUsr1 && oneLine(obs.killUsr1)}`);
    expect(obs.usr1Seen, 'the process never received SIGUSR1');
  },
});

clause({
  id: 'runtime/kill/stopped-is-error',
  spec: SPEC,
  section: 'Kill',
  level: 'MUST',
  gist: 'kill of a container that is neither created nor running (stopped) is an error and has no effect',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(failed(obs.killStopped), 'kill of a stopped container succeeded');
    expectEqual(obs.afterKillStopped?.status, 'stopped', 'status after kill');
  },
});

clause({
  id: 'runtime/delete/removes-resources',
  spec: SPEC,
  section: 'Delete',
  level: 'MUST',
  gist: 'delete of a stopped container removes what create made: its cgroups and its state',
  scenario: journey,
  check(obs) {
    needStarted(obs);
    expect(ok(obs.delete), `delete failed: ${obs.delete && oneLine(obs.delete)}`);
    expect(obs.cgroupDirsLeft.length === 0, `cgroups left: ${obs.cgroupDirsLeft.join(', ')}`);
    expect(failed(obs.stateAfterDelete), 'state still answers for the deleted container');
    expect(!obs.stateEntryLeft, 'the state directory is still there');
  },
});

clause({
  id: 'runtime/delete/id-reusable',
  spec: SPEC,
  section: 'Delete',
  level: 'MAY',
  gist: 'once a container is deleted its id may be used by a new container',
  scenario: journey,
  check(obs) {
    expect(ok(obs.recreate), `create with the deleted id failed: ${obs.recreate && oneLine(obs.recreate)}`);
  },
});

// ---------------------------------------------------------------- operations without an id

interface MissingArgs {
  state: RunResult;
  create: RunResult;
  start: RunResult;
  kill: RunResult;
  delete: RunResult;
  createNoConfig: RunResult;
  noConfigLeft: boolean;
}

const missingArgs = scenario<MissingArgs>('operations-without-arguments', async (ctx) => {
  const bundle = ctx.bundle().save();
  const empty = ctx.newDir('no-config');
  const id = ctx.newId();
  const obs: MissingArgs = {
    state: await ctx.run(['state']),
    create: await ctx.run(['create', '--bundle', bundle.dir]),
    start: await ctx.run(['start']),
    kill: await ctx.run(['kill']),
    delete: await ctx.run(['delete']),
    createNoConfig: await ctx.run(['create', '--bundle', empty, id]),
    noConfigLeft: false,
  };
  obs.noConfigLeft = (await ctx.run(['state', id])).status === 0;
  return obs;
});

for (const op of ['state', 'create', 'start', 'kill', 'delete'] as const) {
  const section = { state: 'Query State', create: 'Create', start: 'Start', kill: 'Kill', delete: 'Delete' }[op];
  clause({
    id: `runtime/${op}/no-id`,
    spec: SPEC,
    section,
    level: 'MUST',
    gist: `${op} without a container id is an error`,
    scenario: missingArgs,
    check(obs) {
      expect(failed(obs[op]), `\`${op}\` without an id exited ${obs[op].status}`);
    },
  });
}

clause({
  id: 'runtime/create/no-bundle',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: 'create without a bundle (a directory with no config.json) is an error and creates nothing',
  scenario: missingArgs,
  check(obs) {
    expect(failed(obs.createNoConfig), 'create from a directory without config.json succeeded');
    expect(!obs.noConfigLeft, 'a container exists afterwards');
  },
});

// ---------------------------------------------------------------- operations on unknown ids

interface Unknown {
  state: RunResult;
  start: RunResult;
  kill: RunResult;
  delete: RunResult;
}

const unknownId = scenario<Unknown>('operations-on-unknown-id', async (ctx) => {
  const id = ctx.newId();
  return {
    state: await ctx.run(['state', id]),
    start: await ctx.run(['start', id]),
    kill: await ctx.run(['kill', id, 'KILL']),
    delete: await ctx.run(['delete', id]),
  };
});

for (const [op, section, gist] of [
  ['state', 'Query State', 'querying the state of a container that does not exist is an error'],
  ['start', 'Start', 'start of a container that does not exist (not created) is an error'],
  ['kill', 'Kill', 'kill of a container that does not exist (neither created nor running) is an error'],
  ['delete', 'Delete', 'delete of a container that does not exist (not stopped) is an error'],
] as const) {
  clause({
    id: `runtime/${op}/unknown-id`,
    spec: SPEC,
    section,
    level: 'MUST',
    gist,
    scenario: unknownId,
    check(obs) {
      expect(failed(obs[op]), `\`${op}\` of an unknown id exited ${obs[op].status}`);
    },
  });
}

// ---------------------------------------------------------------- ids

interface DuplicateId {
  second: RunResult;
  firstBefore?: State;
  firstAfter?: State;
  secondRan: boolean;
}

const duplicateId = scenario<DuplicateId>('create-duplicate-id', async (ctx) => {
  const first = ctx.bundle();
  const id = await ctx.create(first.setArgs(CHECKER_IN_CONTAINER));
  const firstBefore = await ctx.state(id);
  const markers = sharedDir(ctx, 'dup');
  const second = ctx.bundle().addBindMount(markers, '/markers').setArgs(CHECKER_IN_CONTAINER, '--touch', '/markers/ran').save();
  const result = await ctx.run(['create', '--bundle', second.dir, id]);
  // If the second create did make something, starting it would show.
  if (result.status === 0) await ctx.run(['start', id]);
  return { second: result, firstBefore, firstAfter: await ctx.state(id), secondRan: exists(path.join(markers, 'ran')) };
});

clause({
  id: 'runtime/create/duplicate-id',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: 'create with an id already in use is an error, and no new container is created (the existing one is untouched)',
  scenario: duplicateId,
  check(obs) {
    expect(failed(obs.second), 'a second create with the same id succeeded');
    expectEqual(obs.firstAfter?.status, 'created', 'status of the existing container');
    expectEqual(obs.firstAfter?.pid, obs.firstBefore?.pid, 'pid of the existing container');
    expectEqual(obs.firstAfter?.bundle, obs.firstBefore?.bundle, 'bundle of the existing container');
  },
});

interface InvalidIds {
  results: Record<string, RunResult>;
  rootEntries: string[];
  escaped: boolean;
}

const invalidIds = scenario<InvalidIds>('create-invalid-id', async (ctx) => {
  const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER).save();
  const results: Record<string, RunResult> = {};
  const escapeName = `${ctx.newId()}-escape`;
  for (const id of ['a/b', `../${escapeName}`, '']) {
    results[id] = await ctx.run(['create', '--bundle', bundle.dir, id]);
    ctx.ids.push(id);
  }
  // Other scenarios share this --root: look only for what these ids could have made.
  const rootEntries = ['a', 'a/b'].filter((name) => fs.existsSync(path.join(ctx.runtime.root, name)));
  return { results, rootEntries, escaped: fs.existsSync(path.join(path.dirname(ctx.runtime.root), escapeName)) };
});

clause({
  id: 'runtime/create/invalid-id',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: "create with an id that is not valid ('a/b', '../x', '') is an error and creates nothing",
  scenario: invalidIds,
  check(obs) {
    for (const [id, result] of Object.entries(obs.results)) expect(failed(result), `create with id ${JSON.stringify(id)} succeeded`);
    expect(obs.rootEntries.length === 0 && !obs.escaped, `state left: ${obs.rootEntries.join(', ')}${obs.escaped ? ' and a directory outside the root' : ''}`);
  },
});

// ---------------------------------------------------------------- failures leave nothing

interface CreateFails {
  result: RunResult;
  stateAfter: RunResult;
  rootEntries: string[];
  cgroupsLeft: string[];
}

const createFails = scenario<CreateFails>('create-cannot-apply', async (ctx) => {
  const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER);
  bundle.addBindMount(path.join(ctx.workspace.dir, 'does-not-exist'), '/missing');
  bundle.save();
  const id = ctx.newId();
  const result = await ctx.run(['create', '--bundle', bundle.dir, id]);
  const cgroupsLeft = Object.values(ctx.host.v1Controllers)
    .map((mountPoint) => path.join(mountPoint, id))
    .filter((dir) => fs.existsSync(dir));
  const rootEntries = fs.existsSync(path.join(ctx.runtime.root, id)) ? [id] : [];
  return { result, stateAfter: await ctx.run(['state', id]), rootEntries, cgroupsLeft };
});

clause({
  id: 'runtime/create/cannot-apply-is-error',
  spec: SPEC,
  section: 'Create',
  level: 'MUST',
  gist: 'if a property cannot be applied (a bind mount of a missing source), create is an error and no container is created',
  scenario: createFails,
  check(obs) {
    expect(failed(obs.result), 'create succeeded');
    expect(failed(obs.stateAfter), 'the container exists afterwards');
  },
});

clause({
  id: 'runtime/errors/no-trace',
  spec: SPEC,
  section: 'Errors',
  level: 'MUST',
  gist: 'an operation that generates an error leaves the environment as if it had not been attempted (no state, no cgroup)',
  scenario: createFails,
  check(obs) {
    expect(failed(obs.result), 'create succeeded');
    expect(obs.rootEntries.length === 0, `state left: ${obs.rootEntries.join(', ')}`);
    expect(obs.cgroupsLeft.length === 0, `cgroups left: ${obs.cgroupsLeft.join(', ')}`);
  },
});

// ---------------------------------------------------------------- kill and delete by status

interface KillCreated {
  kill: RunResult;
  after?: State;
}

const killCreated = scenario<KillCreated>('kill-created', async (ctx) => {
  const id = await ctx.create(ctx.bundle().setArgs(CHECKER_IN_CONTAINER));
  const kill = await ctx.run(['kill', id, 'KILL']);
  return { kill, after: await waitForStatus(ctx, id, 'stopped') };
});

clause({
  id: 'runtime/kill/created',
  spec: SPEC,
  section: 'Kill',
  level: 'MUST',
  gist: "kill works on a 'created' container (only containers neither created nor running are refused): KILL stops it",
  scenario: killCreated,
  check(obs) {
    expect(ok(obs.kill), `kill of a created container failed: ${oneLine(obs.kill)}`);
    expectEqual(obs.after?.status, 'stopped', 'status after kill');
  },
});

interface DeleteNotStopped {
  result: RunResult;
  before?: State;
  after?: State;
  alive: boolean;
}

function deleteNotStopped(name: string, started: boolean) {
  return scenario<DeleteNotStopped>(name, async (ctx) => {
    const id = await ctx.create(ctx.bundle().setArgs(CHECKER_IN_CONTAINER, '--sleep', '600'));
    if (started) await ctx.runOk(['start', id]);
    const before = await ctx.state(id);
    const result = await ctx.run(['delete', id]);
    const after = await ctx.state(id);
    return { result, before, after, alive: isAlive(Number(before?.pid)) };
  });
}

const deleteRunning = deleteNotStopped('delete-running', true);
const deleteCreated = deleteNotStopped('delete-created', false);

clause({
  id: 'runtime/delete/running-is-error',
  spec: SPEC,
  section: 'Delete',
  level: 'MUST',
  gist: 'delete of a running container is an error and has no effect on it',
  scenario: deleteRunning,
  check(obs) {
    expect(failed(obs.result), 'delete of a running container succeeded');
    expectEqual(obs.after?.status, 'running', 'status after delete');
    expect(obs.alive, 'the container process is gone');
  },
});

clause({
  id: 'runtime/delete/created-is-error',
  spec: SPEC,
  section: 'Delete',
  level: 'MUST',
  gist: 'delete of a created (not stopped) container is an error and has no effect on it',
  scenario: deleteCreated,
  check(obs) {
    expect(failed(obs.result), 'delete of a created container succeeded (and removed it)');
    expectEqual(obs.after?.status, 'created', 'status after delete');
  },
});

interface ForeignResources {
  delete: RunResult;
  bindSourceLeft: boolean;
  bindFileLeft: boolean;
  netnsLeft: boolean;
}

const foreignResources = scenario<ForeignResources>('delete-keeps-foreign-resources', async (ctx) => {
  const netnsName = `${ctx.workspace.prefix}-${ctx.runtimeName}-${ctx.workspace.next()}`;
  const created = spawnSync('ip', ['netns', 'add', netnsName], { encoding: 'utf8' });
  if (created.status !== 0) throw new ScenarioError(`ip netns add: ${created.stderr}`);
  ctx.defer(() => {
    spawnSync('ip', ['netns', 'delete', netnsName]);
  });
  const data = ctx.newDir('foreign');
  fs.writeFileSync(path.join(data, 'keep'), 'x');
  const bundle = ctx.bundle().addBindMount(data, '/data').setNamespace({ type: 'network', path: `/run/netns/${netnsName}` });
  const id = await ctx.create(bundle.setArgs(CHECKER_IN_CONTAINER));
  await ctx.runOk(['start', id]);
  await waitForStatus(ctx, id, 'stopped');
  const result = await ctx.run(['delete', id]);
  const stillNetns = spawnSync('ip', ['netns', 'exec', netnsName, 'true']).status === 0;
  return { delete: result, bindSourceLeft: fs.existsSync(data), bindFileLeft: fs.existsSync(path.join(data, 'keep')), netnsLeft: stillNetns };
});

clause({
  id: 'runtime/delete/keeps-foreign-resources',
  spec: SPEC,
  section: 'Delete',
  level: 'MUST NOT',
  gist: 'delete does not remove resources the container did not create (a bind-mount source, a joined network namespace)',
  scenario: foreignResources,
  check(obs) {
    expect(ok(obs.delete), `delete failed: ${oneLine(obs.delete)}`);
    expect(obs.bindSourceLeft && obs.bindFileLeft, 'the bind-mount source was removed');
    expect(obs.netnsLeft, 'the joined network namespace is gone');
  },
});

interface ExitsAlone {
  after?: State;
}

const exitsAlone = scenario<ExitsAlone>('program-exits', async (ctx) => {
  const id = await ctx.create(ctx.bundle().setArgs(CHECKER_IN_CONTAINER, '--exit', '3'));
  await ctx.runOk(['start', id]);
  return { after: await waitForStatus(ctx, id, 'stopped') };
});

clause({
  id: 'runtime/state/stopped-after-exit',
  spec: SPEC,
  section: 'State',
  level: 'MUST',
  gist: "status is 'stopped' once the container process has exited on its own",
  scenario: exitsAlone,
  check(obs) {
    expectEqual(obs.after?.status, 'stopped', 'status after the program exited');
  },
});

interface NoProcess {
  create: RunResult;
  start?: RunResult;
}

const noProcess = scenario<NoProcess>('no-process', async (ctx) => {
  const bundle = ctx.bundle();
  delete (bundle.config as Record<string, unknown>).process;
  bundle.save();
  const id = ctx.newId();
  const create = await ctx.run(['create', '--bundle', bundle.dir, id]);
  const start = create.status === 0 ? await ctx.run(['start', id]) : undefined;
  return { create, start };
});

clause({
  id: 'runtime/start/no-process',
  spec: SPEC,
  section: 'Start',
  level: 'MUST',
  gist: 'start generates an error if process was not set (create may refuse such a config already)',
  scenario: noProcess,
  check(obs) {
    expect(failed(obs.create) || failed(obs.start), 'a container without process was created and started');
  },
});

// What a scenario gets: the runtime under test with its own --root, fresh ids and directories,
// bundles (busybox rootfs + the checker at /bin/checker), and cleanup that runs whatever happens.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bundle } from '../../test/helpers/bundle';
import { BUNDLE_SCRIPT_PATH, REPO_ROOT } from '../../test/helpers/paths';
import { describeResult, RunOptions, RunResult, Runtime } from '../../test/helpers/runtime';
import { CheckerReport, parseReport } from './checker';
import { HostInfo } from './host';

/** Where the checker lives inside every conformance bundle. */
export const CHECKER_IN_CONTAINER = '/bin/checker';

export interface RuntimeUnderTest {
  /** Short name shown in the report ("husk", "runc"). */
  name: string;
  bin: string;
}

/** Shared by all scenarios of one suite run. */
export class Workspace {
  private templateDir?: string;
  private counter = 0;

  constructor(
    /** Private temp dir (mode 0755, so user-namespaced containers can traverse it). */
    readonly dir: string,
    /** Prefix of every container id, cgroup and netns name (unique per suite run). */
    readonly prefix: string,
    readonly checkerBinary: string,
    readonly host: HostInfo,
  ) {}

  static create(host: HostInfo): Workspace {
    const prefix = `cf${process.pid}`;
    const dir = fs.mkdtempSync(`/tmp/husk-conformance-${process.pid}-`);
    fs.chmodSync(dir, 0o755);
    const checker = path.join(REPO_ROOT, 'build', 'checker');
    if (!fs.existsSync(checker)) throw new Error(`${checker} is missing: run make first`);
    return new Workspace(dir, prefix, checker, host);
  }

  next(): number {
    return ++this.counter;
  }

  newDir(label: string): string {
    const dir = path.join(this.dir, `${label}-${this.next()}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** The busybox bundle (runc spec's default config, terminal off) with the checker, built once. */
  template(): string {
    if (!this.templateDir) {
      const dir = path.join(this.dir, 'template');
      execFileSync(BUNDLE_SCRIPT_PATH, [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      fs.copyFileSync(this.checkerBinary, path.join(dir, 'rootfs', CHECKER_IN_CONTAINER));
      fs.chmodSync(path.join(dir, 'rootfs', CHECKER_IN_CONTAINER), 0o755);
      // Something only this rootfs has, to tell it apart from the host's root.
      fs.writeFileSync(path.join(dir, 'rootfs', 'etc', 'conformance-rootfs'), 'yes\n');
      this.templateDir = dir;
    }
    return this.templateDir;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A checker run in the foreground: what the runtime returned and what the checker printed. */
export interface CheckerRun {
  result: RunResult;
  report: CheckerReport;
  id: string;
}

export class ScenarioError extends Error {}

export class ScenarioContext {
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  readonly ids: string[] = [];

  constructor(
    readonly workspace: Workspace,
    readonly runtime: Runtime,
    readonly runtimeName: string,
    readonly scenarioName: string,
  ) {}

  get host(): HostInfo {
    return this.workspace.host;
  }

  newId(): string {
    const id = `${this.workspace.prefix}-${this.runtimeName}-${this.workspace.next()}`;
    this.ids.push(id);
    return id;
  }

  newDir(label: string): string {
    return this.workspace.newDir(`${this.runtimeName}-${label}`);
  }

  /** A fresh copy of the template bundle (in the workspace, or under `parent`). */
  bundle(parent?: string): Bundle {
    const dir = parent ? path.join(parent, `${this.runtimeName}-bundle-${this.workspace.next()}`) : this.newDir('bundle');
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    execFileSync('cp', ['-a', `${this.workspace.template()}/.`, dir]);
    return new Bundle(dir);
  }

  /** Runs after the scenario, in reverse order, even when it failed. */
  defer(cleanup: () => void | Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return this.runtime.run(args, options);
  }

  async runOk(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await this.runtime.run(args, options);
    if (result.status !== 0) throw new ScenarioError(`${oneLine(result)}`);
    return result;
  }

  /**
   * `run` the checker in the foreground with `args`, under a fresh id; its report is its stdout.
   * Throws ScenarioError when the runtime fails or the checker printed no report.
   */
  async runChecker(bundle: Bundle, args: string[] = [], options: RunOptions & { runArgs?: string[] } = {}): Promise<CheckerRun> {
    bundle.setArgs(CHECKER_IN_CONTAINER, ...args).save();
    const id = this.newId();
    const result = await this.run(['run', ...(options.runArgs ?? []), '--bundle', bundle.dir, id], options);
    if (result.status !== 0) throw new ScenarioError(`the container failed: ${oneLine(result)}`);
    return { result, report: parseReport(result.stdout, result), id };
  }

  /** Like runChecker, but returns the RunResult whatever happened (for configs that must fail). */
  async tryRun(bundle: Bundle, args: string[] = [CHECKER_IN_CONTAINER], options: RunOptions & { runArgs?: string[] } = {}): Promise<{ result: RunResult; id: string }> {
    bundle.setArgs(...args).save();
    const id = this.newId();
    const result = await this.run(['run', ...(options.runArgs ?? []), '--bundle', bundle.dir, id], options);
    return { result, id };
  }

  /** `create` (must succeed) under a fresh id. */
  async create(bundle: Bundle, extraArgs: string[] = []): Promise<string> {
    bundle.save();
    const id = this.newId();
    await this.runOk(['create', ...extraArgs, '--bundle', bundle.dir, id]);
    return id;
  }

  async state(id: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.run(['state', id]);
    if (result.status !== 0) return undefined;
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** Every id handed out is force-deleted, then the deferred cleanups run. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    for (const id of this.ids) {
      try {
        await this.runtime.run(['delete', '--force', id], { timeoutMs: 10_000 });
      } catch (error) {
        problems.push(`delete --force ${id}: ${String(error)}`);
      }
    }
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        problems.push(String(error));
      }
    }
    return problems;
  }
}

/** The last meaningful line of a failed runtime command, with its status. */
export function oneLine(result: RunResult): string {
  const lines = result.stderr.trim().split('\n').filter((line) => line.trim() !== '');
  const last = lines.length > 0 ? lines[lines.length - 1] : '(no stderr)';
  return `status ${result.status}${result.signal ? ` (${result.signal})` : ''}: ${last.slice(0, 400)}`;
}

export { describeResult };

/** Run a host command; throws with its stderr when it fails. */
export function host(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error}`);
  return result.stdout;
}

// The conformance suite's command line (make conformance):
//
//   node build/ts/conformance/run.js [--runtime NAME=BIN]... [--report FILE] [--only REGEX]
//                                    [--jobs N] [--list]
//
// Runs every clause (or those whose id, scenario or spec file matches --only) against each
// runtime: by default husk (this checkout's bin/husk) and runc (/usr/sbin/runc), in one go,
// scenarios in parallel. The first runtime is the subject, the one named "runc" the reference.
// Prints one line per scenario and the totals; writes the Markdown report with --report.
// Exit status 1 when husk fails a clause runc passes (and that is not a listed gap), when a
// difference or a clause neither passes is unexplained, or when something was left behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HUSK_BIN, RUNC_BIN } from '../test/helpers/paths';
import './clauses';
import { EXPLANATIONS } from './explanations';
import { allClauses } from './lib/clause';
import { RuntimeUnderTest } from './lib/context';
import { judge, renderReport, totalsLine } from './lib/report';
import { runSuite } from './lib/runner';

interface Options {
  runtimes: RuntimeUnderTest[];
  report?: string;
  only?: RegExp;
  jobs: number;
  list: boolean;
}

function usage(message: string): never {
  process.stderr.write(`conformance: ${message}\nusage: run.js [--runtime NAME=BIN]... [--report FILE] [--only REGEX] [--jobs N] [--list]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runtimes: [], jobs: 4, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--runtime') {
      const spec = value();
      const eq = spec.indexOf('=');
      const bin = eq > 0 ? spec.slice(eq + 1) : spec;
      options.runtimes.push({ name: eq > 0 ? spec.slice(0, eq) : path.basename(spec), bin: path.resolve(bin) });
    } else if (arg === '--report') options.report = value();
    else if (arg === '--only') options.only = new RegExp(value());
    else if (arg === '--jobs') options.jobs = Number(value());
    else if (arg === '--list') options.list = true;
    else usage(`unknown argument ${arg}`);
  }
  if (options.runtimes.length === 0) {
    options.runtimes.push({ name: 'husk', bin: HUSK_BIN });
    if (fs.existsSync(RUNC_BIN)) options.runtimes.push({ name: 'runc', bin: RUNC_BIN });
  }
  if (!Number.isInteger(options.jobs) || options.jobs < 1) usage('--jobs must be a positive integer');
  return options;
}

function versionOf(bin: string): string {
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return (result.stdout || result.stderr || '').trim().split('\n').slice(0, 2).join('; ');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const c of allClauses()) process.stdout.write(`${c.id}\t${c.spec}\t${c.section}\t${c.level}\t${c.gist}\n`);
    return;
  }
  if (process.getuid?.() !== 0) usage('the conformance suite starts real containers: run it as root');
  for (const rt of options.runtimes) if (!fs.existsSync(rt.bin)) usage(`${rt.bin} does not exist`);
  const result = await runSuite({
    runtimes: options.runtimes,
    jobs: options.jobs,
    only: options.only,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const subject = options.runtimes[0].name;
  const reference = options.runtimes.find((rt) => rt.name === 'runc' && rt.name !== subject)?.name;
  const judgement = judge(result, EXPLANATIONS, subject, reference);
  if (options.report) {
    const versions = Object.fromEntries(options.runtimes.map((rt) => [rt.name, versionOf(rt.bin)]));
    fs.writeFileSync(options.report, renderReport(result, judgement, EXPLANATIONS, { versions }));
  }
  process.stdout.write(`\n${result.outcomes.length} clauses in ${result.wallSeconds.toFixed(1)} s: ${totalsLine(result)}\n`);
  for (const outcome of judgement.regressions) {
    const verdict = outcome.verdicts[subject];
    process.stdout.write(`REGRESSION ${outcome.clause.id}: ${subject} ${verdict?.status}${verdict && 'reason' in verdict ? `: ${verdict.reason}` : ''}\n`);
  }
  for (const outcome of judgement.unexplained) {
    const detail = options.runtimes
      .map((rt) => {
        const verdict = outcome.verdicts[rt.name];
        return `${rt.name} ${verdict?.status}${verdict && 'reason' in verdict ? ` (${verdict.reason.split('\n')[0]})` : ''}`;
      })
      .join('; ');
    process.stdout.write(`UNEXPLAINED ${outcome.clause.id}: ${detail}\n`);
  }
  for (const id of judgement.stale) process.stdout.write(`stale explanation (every runtime passes now): ${id}\n`);
  for (const problem of judgement.problems) process.stdout.write(`PROBLEM ${problem}\n`);
  if (options.report) process.stdout.write(`report: ${options.report}\n`);
  const failedSuite = judgement.regressions.length > 0 || judgement.unexplained.length > 0 || judgement.problems.length > 0;
  process.exitCode = failedSuite ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`conformance: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

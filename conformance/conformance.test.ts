// The conformance suite under node:test (`node --test build/ts/conformance/`), for those who run
// suites that way; `make conformance` runs run.ts, which also writes REPORT.md. The runtime under
// test is $HUSK_TEST_RUNTIME or bin/husk; the reference is /usr/sbin/runc. Set
// CONFORMANCE_REPORT=<file> to get the report, CONFORMANCE_ONLY=<regex> to run some clauses.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RUNC_BIN } from '../test/helpers/paths';
import { runtimeUnderTestBin } from '../test/helpers/runtime';
import './clauses';
import { EXPLANATIONS } from './explanations';
import { RuntimeUnderTest } from './lib/context';
import { judge, renderReport, totalsLine } from './lib/report';
import { runSuite } from './lib/runner';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'the conformance suite starts real containers and needs root';
  if (!fs.existsSync(runtimeUnderTestBin())) return `${runtimeUnderTestBin()} does not exist`;
  return false;
}

test('runtime-spec conformance: every clause runc passes, husk passes; every difference is explained', { skip: skipReason(), timeout: 300_000 }, async (t) => {
  const runtimes: RuntimeUnderTest[] = [{ name: 'husk', bin: runtimeUnderTestBin() }];
  if (fs.existsSync(RUNC_BIN) && fs.realpathSync(runtimeUnderTestBin()) !== fs.realpathSync(RUNC_BIN)) runtimes.push({ name: 'runc', bin: RUNC_BIN });
  const only = process.env.CONFORMANCE_ONLY ? new RegExp(process.env.CONFORMANCE_ONLY) : undefined;
  const result = await runSuite({ runtimes, jobs: 4, only });
  const judgement = judge(result, EXPLANATIONS, 'husk', runtimes[1]?.name);
  if (process.env.CONFORMANCE_REPORT) {
    fs.writeFileSync(path.resolve(process.env.CONFORMANCE_REPORT), renderReport(result, judgement, EXPLANATIONS, { versions: {} }));
  }
  t.diagnostic(`${result.outcomes.length} clauses in ${result.wallSeconds.toFixed(1)} s: ${totalsLine(result)}`);
  assert.deepEqual(judgement.regressions.map((outcome) => `${outcome.clause.id}: ${JSON.stringify(outcome.verdicts.husk)}`), [], 'clauses runc passes and husk does not');
  assert.deepEqual(judgement.unexplained.map((outcome) => `${outcome.clause.id}: ${JSON.stringify(outcome.verdicts)}`), [], 'differences without an explanation');
  assert.deepEqual(judgement.problems, [], 'left behind or broken');
});

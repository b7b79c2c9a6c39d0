#!/usr/bin/env node
// Sums the figures the reliability tests appended (one JSON line per test file) and prints them:
//   node scripts/reliability-report.js build/reliability-figures.jsonl
'use strict';
const fs = require('fs');

const file = process.argv[2] || 'build/reliability-figures.jsonl';
let lines = [];
try {
  lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
} catch {
  console.log(`reliability: no figures in ${file} (did the tests run?)`);
  process.exit(0);
}
const total = { operations: 0, faults: 0, badInputs: 0, leaks: 0 };
const rows = [];
for (const line of lines) {
  const part = JSON.parse(line);
  for (const key of Object.keys(total)) total[key] += part[key] || 0;
  rows.push(part);
}
const pad = (text, width) => String(text).padStart(width);
console.log('');
console.log('reliability figures');
console.log(`  ${'part'.padEnd(14)}${pad('operations', 12)}${pad('faults', 9)}${pad('bad inputs', 12)}${pad('leaks', 7)}`);
for (const row of rows) {
  console.log(`  ${row.part.padEnd(14)}${pad(row.operations, 12)}${pad(row.faults, 9)}${pad(row.badInputs, 12)}${pad(row.leaks, 7)}`);
}
console.log(`  ${'total'.padEnd(14)}${pad(total.operations, 12)}${pad(total.faults, 9)}${pad(total.badInputs, 12)}${pad(total.leaks, 7)}`);
for (const row of rows) for (const note of row.notes || []) console.log(`  ${row.part}: ${note}`);
console.log(`operations done: ${total.operations}, faults injected: ${total.faults}, bad inputs tried: ${total.badInputs}, leaks found: ${total.leaks}`);

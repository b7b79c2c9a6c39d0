#!/usr/bin/env node
// Builds what bin/husk runs (make calls this):
//
//   build/husk.js        the CLI bundled by esbuild into one file: one read and one compile
//                        instead of a module resolution per source file. yargs stays outside (only
//                        --help, errors and the rarer subcommands load it).
//   build/husk.js.cache  V8's code cache for it, every function compiled: bin/husk hands it to
//                        vm.Script, so V8 deserializes bytecode instead of parsing and compiling.
//                        Measured here (CPU time): `state` 12 -> 8 ms of husk's own, `create`
//                        -7 ms. A cache from another Node version is rejected by V8 and the
//                        source compiles as usual.
//
//   node scripts/bundle.js            bundle + its cache
//   node scripts/bundle.js --cache F  only a code cache for F (the schema validators)
'use strict';

const fs = require('fs');
const path = require('path');
const { Module } = require('module');
const vm = require('vm');
const v8 = require('v8');

const REPO = path.resolve(__dirname, '..');
const BUILTINS = ['fs', 'path', 'os', 'tty'];

/**
 * V8's code cache of `file` wrapped as Node wraps a CommonJS module (bin/husk and
 * src/spec/validate.ts compile it the same way), with every function compiled eagerly.
 */
function writeCodeCache(file) {
  const source = fs.readFileSync(file, 'utf8');
  v8.setFlagsFromString('--no-lazy');
  const script = new vm.Script(Module.wrap(source), { filename: file });
  // The cache records the flags it was made with; the consumer runs with the default --lazy.
  v8.setFlagsFromString('--lazy');
  fs.writeFileSync(`${file}.cache`, script.createCachedData());
}

function bundle() {
  // Every import of a Node builtin in src is a namespace import (import * as fs from 'fs'), for
  // which esbuild emits __toESM(require("fs")): a copy of the whole module object, made once per
  // importing file (65 of them, ~2 ms of every start). A plain require gives the same properties.
  for (const file of listTs(path.join(REPO, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    const defaultImport = new RegExp(`^import\\s+\\w+\\s*(,.*)?from\\s+'(node:)?(${BUILTINS.join('|')})'`, 'm').exec(text);
    if (defaultImport) fail(`${path.relative(REPO, file)}: use "import * as" for Node builtins (${defaultImport[0]})`);
  }
  const esbuild = require(path.join(REPO, 'node_modules', 'esbuild'));
  const result = esbuild.buildSync({
    entryPoints: [path.join(REPO, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['yargs'],
    charset: 'ascii',
    logLevel: 'warning',
    write: false,
    outfile: path.join(REPO, 'build', 'husk.js'),
  });
  let code = result.outputFiles[0].text;
  for (const name of BUILTINS) code = code.split(`__toESM(require("${name}"))`).join(`require("${name}")`);
  // ASCII only, so that bin/husk can read it as latin1 (half the cost of decoding UTF-8). esbuild
  // escapes strings but keeps comments as they are; \uXXXX means the same character anywhere in
  // JavaScript source (string, template, regular expression, identifier) and is text in a comment.
  code = code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const out = path.join(REPO, 'build', 'husk.js');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.tmp`, code);
  fs.renameSync(`${out}.tmp`, out);
  writeCodeCache(out);
}

function listTs(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function fail(message) {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args[0] === '--cache') {
  for (const file of args.slice(1)) writeCodeCache(path.resolve(file));
} else if (args.length === 0) {
  bundle();
} else {
  fail('usage: node scripts/bundle.js [--cache FILE...]');
}

// Loading config.json from a bundle, parsing `exec --process` files, and JSON syntax errors.

import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { defaultSpec } from '../../src/spec/default-spec';
import { findSyntaxError, parseJsonDocument } from '../../src/spec/json-parse';
import { loadSpec, parseProcessJson, parseSpecJson } from '../../src/spec/load';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-spec-load-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let bundleCount = 0;
/** A bundle directory whose config.json holds `text`. */
function bundleWith(text: string): string {
  const bundle = path.join(scratch, `bundle-${++bundleCount}`);
  fs.mkdirSync(bundle);
  fs.writeFileSync(path.join(bundle, 'config.json'), text);
  return bundle;
}

function huskErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HuskError, `expected a HuskError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('no error was thrown');
}

const validConfigText = JSON.stringify(defaultSpec({ rootless: false }), null, '\t');

describe('loadSpec', () => {
  it('loads a valid bundle config', () => {
    const spec = loadSpec(bundleWith(validConfigText));
    assert.equal(spec.ociVersion, '1.3.0');
    assert.equal(spec.process?.cwd, '/');
  });

  it('says which bundle has no config.json', () => {
    const bundle = path.join(scratch, 'empty-bundle');
    fs.mkdirSync(bundle);
    assert.equal(huskErrorMessage(() => loadSpec(bundle)), `bundle ${bundle}: config.json not found`);
  });

  it('says when the bundle directory does not exist or is a file', () => {
    const missing = path.join(scratch, 'no-such-bundle');
    assert.equal(huskErrorMessage(() => loadSpec(missing)), `bundle ${missing}: no such directory`);
    const file = path.join(scratch, 'a-file');
    fs.writeFileSync(file, '');
    assert.equal(huskErrorMessage(() => loadSpec(file)), `bundle ${file}: not a directory`);
  });

  it('says when config.json is a directory', () => {
    const bundle = path.join(scratch, 'dir-config');
    fs.mkdirSync(path.join(bundle, 'config.json'), { recursive: true });
    assert.equal(huskErrorMessage(() => loadSpec(bundle)), `bundle ${bundle}: config.json is a directory, not a file`);
  });

  it('reports malformed JSON with line and column', () => {
    const bundle = bundleWith('{\n  "ociVersion": "1.3.0",\n  "process": {\n    "cwd": "/"\n    "args": ["sh"]\n  }\n}\n');
    assert.equal(
      huskErrorMessage(() => loadSpec(bundle)),
      `${path.join(bundle, 'config.json')}:5:5: invalid JSON: expected ',' or '}' after a property value, found '"'`,
    );
  });

  it('reports validation problems without a file prefix', () => {
    const config = JSON.parse(validConfigText);
    config.linux.namespaces[2].type = 'pidd';
    assert.equal(
      huskErrorMessage(() => loadSpec(bundleWith(JSON.stringify(config)))),
      "linux.namespaces[2].type: 'pidd' is not a namespace type; expected one of pid, network, mount, ipc, uts, user, cgroup, time",
    );
  });

  it('checks ociVersion', () => {
    const config = { ...JSON.parse(validConfigText), ociVersion: '2.0.0' };
    assert.equal(
      huskErrorMessage(() => loadSpec(bundleWith(JSON.stringify(config)))),
      "ociVersion '2.0.0' is not supported; husk supports runtime-spec 1.0.0 to 1.3.x",
    );
  });

  it('makes relative mount destinations absolute and warns about them', () => {
    const config = JSON.parse(validConfigText);
    config.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' });
    const warnings: string[] = [];
    const spec = loadSpec(bundleWith(JSON.stringify(config)), { onWarning: (message) => warnings.push(message) });
    assert.equal(spec.mounts?.[7].destination, '/data');
    assert.deepEqual(warnings, ["mounts[7].destination: 'data' is relative; using '/data' (relative mount destinations are deprecated)"]);
  });

  it('accepts a byte order mark', () => {
    assert.equal(loadSpec(bundleWith(`\ufeff${validConfigText}`)).ociVersion, '1.3.0');
  });
});

describe('parseSpecJson', () => {
  it('parses and validates a config held in a string', () => {
    assert.equal(parseSpecJson(validConfigText, 'stdin').hostname, 'husk');
    assert.equal(huskErrorMessage(() => parseSpecJson('{"ociVersion": "1.3.0"', 'stdin')), "stdin:1:23: invalid JSON: expected ',' or '}' after a property value, found the end of the file");
  });
});

describe('parseProcessJson', () => {
  const process = { terminal: false, user: { uid: 1000, gid: 1000 }, args: ['/bin/ls', '-l'], env: ['PATH=/bin'], cwd: '/tmp' };

  it('returns a valid process', () => {
    assert.deepEqual(parseProcessJson(JSON.stringify(process), 'process.json'), process);
  });

  it('writes problem paths from "process"', () => {
    assert.equal(
      huskErrorMessage(() => parseProcessJson(JSON.stringify({ ...process, user: { uid: '1000', gid: 1000 } }), 'p.json')),
      'process.user.uid: expected an integer, got string',
    );
    assert.equal(huskErrorMessage(() => parseProcessJson(JSON.stringify({ ...process, cwd: undefined }), 'p.json')), "process: missing required field 'cwd'");
    assert.equal(huskErrorMessage(() => parseProcessJson(JSON.stringify({ ...process, args: [] }), 'p.json')), 'process.args: must name the program to run');
    assert.equal(
      huskErrorMessage(() => parseProcessJson(JSON.stringify({ ...process, rlimits: [{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }] }), 'p.json')),
      'process.rlimits[0]: soft limit 2 is above hard limit 1',
    );
    assert.equal(
      huskErrorMessage(() => parseProcessJson(JSON.stringify({ ...process, ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 9 } }), 'p.json')),
      'process.ioPriority.priority: expected 0 to 7, got 9',
    );
    assert.equal(huskErrorMessage(() => parseProcessJson('[]', 'p.json')), 'process: expected an object, got array');
  });

  it('reports malformed JSON in the named file', () => {
    assert.equal(huskErrorMessage(() => parseProcessJson('{"cwd": "/",}', '/tmp/p.json')), '/tmp/p.json:1:13: invalid JSON: expected a double-quoted property name, found \'}\'');
  });
});

describe('JSON syntax errors', () => {
  const cases: Array<[string, string]> = [
    ['', "1:1: expected a JSON value, found the end of the file"],
    ['{"a": tru}', "1:7: expected a value after ':', found 't'"],
    ['{"a" 1}', "1:6: expected ':' after a property name, found '1'"],
    ['[1, 2', "1:6: expected ',' or ']' after an array element, found the end of the file"],
    ['[1,]', "1:4: expected a value, found ']'"],
    ['{"a": "x\ny"}', '1:9: control character in a string; write it as an escape such as \\n'],
    ['{"a": "\\x"}', '1:8: invalid escape sequence in a string'],
    ['{"a": 01}', '1:7: invalid number'],
    ['{"a": "unterminated}', '1:7: unterminated string'],
    ['{} {}', "1:4: unexpected '{' after the end of the JSON value"],
    ["{'a': 1}", `1:2: expected a double-quoted property name, found "'"`],
    ['{\r\n\t"a": 1,\r\n\t"b": }', "3:7: expected a value after ':', found '}'"],
  ];
  for (const [text, expected] of cases) {
    it(`finds ${JSON.stringify(text)}`, () => {
      const [, position, reason] = /^(\d+:\d+): (.*)$/.exec(expected)!;
      assert.equal(huskErrorMessage(() => parseJsonDocument(text, 'f')), `f:${position}: invalid JSON: ${reason}`);
    });
  }

  it('agrees with JSON.parse on valid documents', () => {
    for (const text of ['0', '-1.5e+3', '"\\u00e9\\n"', '[true,false,null]', '{"a":{"b":[{}]}}', ' \n{ "k" : [ 1 , 2 ] } \n']) {
      assert.equal(findSyntaxError(text), undefined, text);
      assert.deepEqual(parseJsonDocument(text, 'f'), JSON.parse(text));
    }
  });
});

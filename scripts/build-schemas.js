#!/usr/bin/env node
// Build step: turn the OCI runtime-spec JSON schemas shipped by Debian into precompiled validators.
//
//   node scripts/build-schemas.js <outDir>
//
// writes
//   <outDir>/json/*.json            the Debian schemas, copied unchanged (for reference and debugging)
//   <outDir>/config-validator.js    CommonJS; exports validate (config.json) and validateProcess
//                                   (the process object of `exec --process`)
//   <outDir>/state-validator.js     CommonJS; exports validate (state JSON, runtime.md "State")
//   <outDir>/source.json            where the schemas came from, and which additions were applied
//
// Why compile at build time: compiling these draft-04 schemas with ajv costs ~50-90 ms per run,
// and loading ajv itself more; the standalone module loads in a few ms and needs no ajv at run time.
//
// The Debian schemas describe runtime-spec 1.0.2-dev. src/spec/schema-additions.json adds what
// 1.1-1.3 introduced; it adds, and relaxes a constraint only where a patch says why (removeRequired,
// removeKeywords), so when Debian ships a newer schema its text wins.

'use strict';

const fs = require('fs');
const path = require('path');

const SCHEMA_PACKAGE = 'golang-github-opencontainers-specs-dev';
const SCHEMA_SOURCE_DIR =
  process.env.HUSK_SCHEMA_SOURCE_DIR ||
  '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';
const ADDITIONS_FILE = path.join(__dirname, '..', 'src', 'spec', 'schema-additions.json');

// Platform sections a Linux runtime never reads. They are left out of the compiled validator
// (45 KB of generated code, ~0.5 ms per run); their schema files are still copied to json/.
const OTHER_PLATFORM_SECTIONS = ['solaris', 'windows', 'vm', 'zos'];

const REQUIRED_SCHEMA_FILES = ['config-schema.json', 'config-linux.json', 'defs.json', 'defs-linux.json', 'state-schema.json'];

function fail(message) {
  process.stderr.write(`build-schemas: ${message}\n`);
  process.exit(1);
}

/** Write via a temporary file and rename, so a concurrent `require` never sees half a module. */
function writeFileAtomic(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`cannot read ${file}: ${err.message}`);
  }
}

/** Every *.json in the Debian schema directory, keyed by file name (the name their $refs use). */
function readDebianSchemas() {
  if (!fs.existsSync(SCHEMA_SOURCE_DIR)) {
    fail(
      `OCI runtime-spec schemas not found in ${SCHEMA_SOURCE_DIR}; ` +
        `install them with: apt-get install ${SCHEMA_PACKAGE}`,
    );
  }
  const names = fs.readdirSync(SCHEMA_SOURCE_DIR).filter((name) => name.endsWith('.json')).sort();
  for (const required of REQUIRED_SCHEMA_FILES) {
    if (!names.includes(required)) {
      fail(`${SCHEMA_SOURCE_DIR} has no ${required}; reinstall ${SCHEMA_PACKAGE}`);
    }
  }
  const schemas = {};
  for (const name of names) schemas[name] = readJson(path.join(SCHEMA_SOURCE_DIR, name));
  return schemas;
}

/** The spec version Debian's Go bindings declare (specs-go/version.go), e.g. "1.0.2-dev". */
function readDebianSpecVersion() {
  const versionGo = path.join(SCHEMA_SOURCE_DIR, '..', 'specs-go', 'version.go');
  let text;
  try {
    text = fs.readFileSync(versionGo, 'utf8');
  } catch {
    return 'unknown';
  }
  const field = (name) => (text.match(new RegExp(`${name}\\s*=\\s*("?)([^"\\s]*)\\1`)) || [])[2];
  const [major, minor, patch, dev] = ['VersionMajor', 'VersionMinor', 'VersionPatch', 'VersionDev'].map(field);
  return major === undefined ? 'unknown' : `${major}.${minor}.${patch}${dev || ''}`;
}

function readPackageVersion() {
  try {
    const status = fs.readFileSync('/var/lib/dpkg/status', 'utf8');
    const entry = status.split('\n\n').find((block) => block.startsWith(`Package: ${SCHEMA_PACKAGE}\n`));
    const match = entry && entry.match(/^Version: (.*)$/m);
    return match ? match[1] : 'unknown';
  } catch {
    return 'unknown';
  }
}

// ---- applying src/spec/schema-additions.json --------------------------------------------------

/** Resolve a JSON pointer ("/linux/properties") inside a schema; undefined when absent. */
function resolvePointer(document, pointer) {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = document;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object' || !(segment in node)) return undefined;
    node = node[segment];
  }
  return node;
}

function addEnumValues(target, values) {
  if (!Array.isArray(target.enum)) throw new Error('target has no enum');
  for (const value of values) if (!target.enum.includes(value)) target.enum.push(value);
}

function addProperties(target, properties) {
  for (const [name, schema] of Object.entries(properties)) {
    if (!(name in target)) target[name] = schema;
  }
}

function addRequired(target, names) {
  target.required = Array.from(new Set([...(target.required || []), ...names]));
}

function removeRequired(target, names) {
  if (!Array.isArray(target.required)) return;
  target.required = target.required.filter((name) => !names.includes(name));
  // draft-04 forbids an empty "required" array.
  if (target.required.length === 0) delete target.required;
}

/** Drop constraints the Debian schema has and runtime-spec's Go types do not (each patch says why). */
function removeKeywords(target, names) {
  for (const name of names) delete target[name];
}

const PATCH_OPERATIONS = { addEnumValues, addProperties, addRequired, removeRequired, removeKeywords };

function applyAdditions(schemas, additions) {
  let applied = 0;
  for (const patch of additions.patches) {
    const where = `${patch.file}#${patch.at}`;
    const schema = schemas[patch.file];
    const target = schema && resolvePointer(schema, patch.at);
    if (target === undefined || target === null || typeof target !== 'object') {
      fail(`schema-additions.json: ${where} does not exist in the Debian schemas; update the patch`);
    }
    const operations = Object.keys(patch).filter((key) => key in PATCH_OPERATIONS);
    if (operations.length !== 1) fail(`schema-additions.json: patch for ${where} needs exactly one operation`);
    try {
      PATCH_OPERATIONS[operations[0]](target, patch[operations[0]]);
    } catch (err) {
      fail(`schema-additions.json: ${operations[0]} at ${where}: ${err.message}`);
    }
    applied++;
  }
  return applied;
}

function keepOnlyLinuxSections(schemas) {
  const properties = schemas['config-schema.json'].properties;
  for (const section of OTHER_PLATFORM_SECTIONS) delete properties[section];
}

// ---- compiling ----------------------------------------------------------------------------------

function loadAjv() {
  try {
    const Ajv = require('ajv-draft-04');
    const standaloneCode = require('ajv/dist/standalone').default;
    return { Ajv: Ajv.default || Ajv, standaloneCode };
  } catch (err) {
    return fail(`cannot load ajv-draft-04 / ajv (run npm ci): ${err.message}`);
  }
}

function newAjv(Ajv, schemas) {
  const ajv = new Ajv({
    code: { source: true, optimize: true },
    // The OCI schemas use constructs ajv's strict mode objects to ("$ref" next to other keywords,
    // as in linux.personality); they are the reference, so compile them as written.
    strict: false,
    // All errors, so a user learns how many problems a config has ("and 3 more problems").
    // Measured: the module is no larger and no slower than with allErrors off.
    allErrors: true,
    validateFormats: false,
    // Compile each referenced definition once and call it, rather than pasting it into every
    // place that refers to it: the module shrinks by a fifth (~165 KB) and loads faster.
    inlineRefs: false,
  });
  for (const [name, schema] of Object.entries(schemas)) ajv.addSchema(schema, name);
  return ajv;
}

function writeValidator(standaloneCode, ajv, exportsByName, file) {
  let code;
  try {
    code = standaloneCode(ajv, exportsByName);
  } catch (err) {
    fail(`compiling ${Object.values(exportsByName).join(', ')}: ${err.message}`);
  }
  const header = `// Generated by scripts/build-schemas.js from Debian's ${SCHEMA_PACKAGE} schemas. Do not edit.\n`;
  writeFileAtomic(file, header + code);
  return code;
}

/** The generated code may only need ajv's small runtime helpers, never ajv itself. */
function checkRuntimeRequires(code, file) {
  const requires = Array.from(code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g), (m) => m[1]);
  const unexpected = requires.filter((name) => !name.startsWith('ajv/dist/runtime/'));
  if (unexpected.length > 0) fail(`${file} would require ${unexpected.join(', ')} at run time`);
  return requires;
}

/** Compile-and-run smoke test: a minimal config must pass and a broken one must fail. */
function smokeTest(configValidatorFile) {
  const { validate } = require(configValidatorFile);
  const good = { ociVersion: '1.3.0', process: { cwd: '/', user: { uid: 0, gid: 0 } }, linux: { namespaces: [{ type: 'time' }] } };
  const bad = { ociVersion: '1.3.0', linux: { namespaces: [{ type: 'pidd' }] } };
  if (!validate(good)) fail(`generated validator rejects a valid config: ${JSON.stringify(validate.errors)}`);
  if (validate(bad)) fail('generated validator accepts an invalid namespace type');
}

function main() {
  const outDir = process.argv[2];
  if (!outDir) fail('usage: node scripts/build-schemas.js <outDir>');
  const outPath = path.resolve(outDir);

  const debianSchemas = readDebianSchemas();
  fs.mkdirSync(path.join(outPath, 'json'), { recursive: true });
  for (const name of Object.keys(debianSchemas)) {
    writeFileAtomic(path.join(outPath, 'json', name), fs.readFileSync(path.join(SCHEMA_SOURCE_DIR, name)));
  }

  const schemas = JSON.parse(JSON.stringify(debianSchemas));
  const appliedPatches = applyAdditions(schemas, readJson(ADDITIONS_FILE));
  keepOnlyLinuxSections(schemas);

  const { Ajv, standaloneCode } = loadAjv();
  const ajv = newAjv(Ajv, schemas);
  const configFile = path.join(outPath, 'config-validator.js');
  const stateFile = path.join(outPath, 'state-validator.js');
  const configCode = writeValidator(
    standaloneCode,
    ajv,
    { validate: 'config-schema.json', validateProcess: 'config-schema.json#/properties/process' },
    configFile,
  );
  const stateCode = writeValidator(standaloneCode, ajv, { validate: 'state-schema.json' }, stateFile);
  const runtimeRequires = [...checkRuntimeRequires(configCode, configFile), ...checkRuntimeRequires(stateCode, stateFile)];

  smokeTest(configFile);

  const source = {
    package: SCHEMA_PACKAGE,
    packageVersion: readPackageVersion(),
    schemaSpecVersion: readDebianSpecVersion(),
    sourceDir: SCHEMA_SOURCE_DIR,
    files: Object.keys(debianSchemas),
    additions: path.relative(path.join(__dirname, '..'), ADDITIONS_FILE),
    appliedPatches,
    runtimeRequires: Array.from(new Set(runtimeRequires)),
  };
  writeFileAtomic(path.join(outPath, 'source.json'), JSON.stringify(source, null, 2) + '\n');
  process.stdout.write(
    `build-schemas: ${Object.keys(debianSchemas).length} schemas (spec ${source.schemaSpecVersion}) ` +
      `+ ${appliedPatches} additions -> ${path.relative(process.cwd(), outPath) || '.'}\n`,
  );
}

main();

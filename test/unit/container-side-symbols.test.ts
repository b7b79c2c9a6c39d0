// The container side is a clone of a multi-threaded process (husk's Node), so it must not call
// glibc's credential wrappers: they signal every thread glibc remembers and can wait forever for
// one that was being created at the clone (addon/credentials.h). This reads the built binaries'
// symbol tables: the addon must not import them, the static front end must not contain them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const CREDENTIAL_WRAPPERS = ['setuid', 'setgid', 'seteuid', 'setegid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'initgroups'];
const ADDON = path.join(REPO_ROOT, 'build', 'Release', 'husk_addon.node');
const FRONT_END = path.join(REPO_ROOT, 'build', 'bin', 'husk');

/** Symbol names that `nm args` lists, without their version suffix (setresuid@GLIBC_2.2.5). */
function symbols(args: string[]): string[] {
  const listed = spawnSync('nm', args, { encoding: 'utf8' });
  assert.equal(listed.status, 0, `nm ${args.join(' ')}: ${listed.stderr}`);
  return listed.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop() ?? '')
    .map((name) => name.replace(/@.*$/, ''));
}

const skipNoNm = spawnSync('nm', ['--version']).status === 0 ? false : 'nm (binutils) is not installed';

test('the addon imports none of glibc\'s credential wrappers', { skip: skipNoNm || (!fs.existsSync(ADDON) && 'the addon is not built (make)') }, () => {
  const imported = symbols(['-D', '--undefined-only', ADDON]);
  assert.ok(imported.includes('syscall'), 'expected the addon to import syscall: is this the right file?');
  assert.deepEqual(imported.filter((name) => CREDENTIAL_WRAPPERS.includes(name)), []);
});

test('the front end contains none of the C library\'s credential wrappers', { skip: skipNoNm || (!fs.existsSync(FRONT_END) && 'the front end is not built (make)') }, () => {
  const defined = symbols([FRONT_END]);
  assert.ok(defined.includes('main'), 'expected the front end to have a symbol table');
  assert.deepEqual(defined.filter((name) => CREDENTIAL_WRAPPERS.includes(name)), []);
});

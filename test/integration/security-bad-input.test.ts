// Bad security input: each case fails `create` with exit status 1 and one line on stderr naming the
// config field, and leaves nothing behind (no process, mount, cgroup or state). Configuration
// mistakes are refused in TypeScript before any process exists; a masked or read-only path that
// is a symlink in the image can only be seen by the container side, which reports it.
//
// These are husk's words: runc 1.1.5 follows symlinked masked paths, so the file is skipped under
// another runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { assertNothingLeft } from '../helpers/cleanup';
import { hostMounts } from '../helpers/procfs';
import { describeResult, runtimeName, runtimeUnderTestBin } from '../helpers/runtime';
import { integrationSkipReason } from '../helpers/context';
import { testOptions, useTestContext } from '../helpers/suite';

const UNDER_HUSK = runtimeName(runtimeUnderTestBin()) === 'husk';

interface BadCase {
  name: string;
  edit: (bundle: Bundle) => void;
  /** The one line on stderr. */
  error: RegExp;
}

// Unknown capability names are not here: config.md "Linux Process" says they MUST be logged as a
// warning, and a warning does not change the flow (runtime.md "Warnings"), so husk skips them
// with a warning that names the field and a close name (unit test; conformance clause
// config/process/capabilities-unmappable-warning).
const CASES: BadCase[] = [
  {
    name: 'an unknown seccomp default action',
    edit: (b) => {
      b.config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALOW' };
    },
    error: /^husk: linux\.seccomp\.defaultAction: 'SCMP_ACT_ALOW' is not a seccomp action; expected one of .*SCMP_ACT_ALLOW/,
  },
  {
    name: 'an unknown seccomp rule action',
    edit: (b) => {
      b.config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_DENY' }] };
    },
    error: /^husk: linux\.seccomp\.syscalls\[0\]\.action: 'SCMP_ACT_DENY' is not a seccomp action; expected one of /,
  },
  {
    name: 'an unknown seccomp operator',
    edit: (b) => {
      b.config.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQUAL' }] }],
      };
    },
    error: /^husk: linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op: 'SCMP_CMP_EQUAL' is not a seccomp operator; expected one of .*SCMP_CMP_EQ/,
  },
  {
    name: 'a sysctl no namespace isolates (kernel.core_pattern)',
    edit: (b) => {
      b.config.linux.sysctl = { 'kernel.core_pattern': '|/bin/false' };
    },
    error: /^husk: linux\.sysctl\["kernel\.core_pattern"\]: not isolated by any namespace, so setting it would change the host$/,
  },
  {
    name: 'a network sysctl without a network namespace',
    edit: (b) => {
      b.config.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      b.removeNamespace('network');
    },
    error: /^husk: linux\.sysctl\["net\.ipv4\.ip_forward"\]: needs a network namespace/,
  },
  {
    name: 'an IPC sysctl without an IPC namespace',
    edit: (b) => {
      b.config.linux.sysctl = { 'kernel.shmmax': '4096' };
      b.removeNamespace('ipc');
    },
    error: /^husk: linux\.sysctl\["kernel\.shmmax"\]: needs an IPC namespace/,
  },
];

describe('security: bad input', { skip: integrationSkipReason() || (!UNDER_HUSK && "husk's own messages") }, () => {
  const context = useTestContext();

  async function assertRefused(bundle: Bundle, error: RegExp): Promise<void> {
    const ctx = context();
    bundle.save();
    const result = await ctx.runtime.run(['create', '--bundle', bundle.dir, ctx.newId()]);
    assert.equal(result.status, 1, describeResult(result));
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, `expected one line: ${describeResult(result)}`);
    assert.match(lines[0], error);
    assert.deepEqual(await ctx.runtime.listIds(), []);
    await assertNothingLeft(ctx);
  }

  for (const badCase of CASES) {
    it(badCase.name, testOptions, async () => {
      const bundle = makeBundle(context());
      badCase.edit(bundle);
      await assertRefused(bundle, badCase.error);
    });
  }

  it('the refused core_pattern sysctl did not reach the host', testOptions, async () => {
    const before = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const bundle = makeBundle(context());
    bundle.config.linux.sysctl = { 'kernel.core_pattern': '|/bin/false' };
    await assertRefused(bundle, /kernel\.core_pattern/);
    assert.equal(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), before);
  });

  for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
    const what = field === 'maskedPaths' ? 'masking path' : 'making path read-only';
    for (const [kind, target] of [
      ['absolute', (hostFile: string) => hostFile],
      ['relative (../..)', (hostFile: string) => `../${'../'.repeat(12)}${hostFile.slice(1)}`],
    ] as const) {
      it(`a linux.${field} entry that is a symlink out of the rootfs (${kind}) fails the container side with one line`, testOptions, async () => {
        const ctx = context();
        const hostFile = path.join(ctx.newDir('host'), 'file');
        fs.writeFileSync(hostFile, 'host\n');
        const bundle = makeBundle(ctx);
        fs.symlinkSync(target(hostFile), path.join(bundle.rootfs, 'etc', 'out'));
        (bundle.config.linux[field] as string[]).push('/etc/out');
        const index = (bundle.config.linux[field] as string[]).length - 1;
        const expected = new RegExp(
          `^husk: container init failed ${what} /etc/out \\(linux\\.${field}\\[${index}\\]\\): ELOOP: .*\\(the path is a symbolic link or goes through one; masked and read-only paths are not followed through symlinks\\)$`,
        );
        await assertRefused(bundle, expected);
        assert.equal(fs.readFileSync(hostFile, 'utf8'), 'host\n');
        assert.deepEqual(hostMounts().filter((mount) => mount.mountPoint === hostFile), []);
      });
    }
  }

  it('a linux.maskedPaths entry under a symlinked directory fails the same way', testOptions, async () => {
    const ctx = context();
    const hostDir = ctx.newDir('host');
    fs.writeFileSync(path.join(hostDir, 'secret'), 'host\n');
    const bundle = makeBundle(ctx);
    fs.symlinkSync(hostDir, path.join(bundle.rootfs, 'etc', 'dir-out'));
    (bundle.config.linux.maskedPaths as string[]).push('/etc/dir-out/secret');
    await assertRefused(bundle, /masking path \/etc\/dir-out\/secret \(linux\.maskedPaths\[\d+\]\): ELOOP/);
  });
});

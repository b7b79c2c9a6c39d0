// Seccomp seen from inside real containers: the filter is there, it answers as configured, it
// loads in both orders (with and without noNewPrivileges), Podman's default profile confines a
// busybox workload without breaking it, and a NOTIFY listener reaches an agent with the state.
// Each test fails on a husk that does not load the filter.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { linesOf, outputInside, runInside } from '../helpers/inside';
import { REPO_ROOT } from '../helpers/paths';
import { hasPodmanProfile, podmanDefaultSeccomp } from '../helpers/podman-seccomp';
import { describeResult } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';
import { addSyscallProbe, PROBE_IN_CONTAINER, probeResults } from '../helpers/syscall-probe';
import { waitFor } from '../helpers/wait';

const EXDEV_TEXT = 'Invalid cross-device link';
const ENOMEDIUM = 123;
const ENOMEDIUM_TEXT = 'No medium found';

/** "Seccomp:" and "Seccomp_filters:" of /proc/self/status. */
const SECCOMP_STATUS = "grep -E '^Seccomp(_filters)?:' /proc/self/status | tr -s '\\t ' ' '";

function seccompMode(output: string): string {
  return linesOf(output).find((line) => line.startsWith('Seccomp:')) ?? '(no Seccomp line)';
}

describe('security: seccomp', suiteOptions(), () => {
  const context = useTestContext();

  function bundleWith(seccomp: Record<string, unknown>, edit: (bundle: Bundle) => void = () => {}): Bundle {
    const bundle = makeBundle(context());
    bundle.config.linux.seccomp = seccomp;
    edit(bundle);
    return bundle;
  }

  it('without linux.seccomp the process has no filter', testOptions, async () => {
    const output = await outputInside(context(), makeBundle(context()), SECCOMP_STATUS);
    assert.equal(seccompMode(output), 'Seccomp: 0');
  });

  it('with a profile /proc/self/status shows filter mode 2, and a blocked syscall returns the configured errno', testOptions, async () => {
    const bundle = bundleWith({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 /* EXDEV */ }],
    });
    const result = await runInside(context(), bundle, `${SECCOMP_STATUS}; hostname blocked; echo "hostname=$?"; echo still-running`);
    assert.equal(result.status, 0, describeResult(result));
    assert.equal(seccompMode(result.stdout), 'Seccomp: 2');
    assert.ok(result.stdout.includes('hostname=1'), describeResult(result));
    assert.ok(result.stderr.includes(EXDEV_TEXT), `sethostname should fail with EXDEV: ${describeResult(result)}`);
  });

  it('argument conditions decide: kill(pid, 0) is refused, kill(pid, SIGCONT) is not', testOptions, async () => {
    const bundle = bundleWith({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 18, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] }],
    });
    const result = await runInside(context(), bundle, 'kill -0 $$; echo "zero=$?"; kill -CONT $$; echo "cont=$?"');
    assert.ok(result.stdout.includes('zero=1'), describeResult(result));
    assert.ok(result.stdout.includes('cont=0'), describeResult(result));
    assert.ok(result.stderr.includes(EXDEV_TEXT), describeResult(result));
  });

  it('without noNewPrivileges the filter still loads for a non-root user (loaded before the user switch)', testOptions, async () => {
    const bundle = bundleWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] }, (b) => {
      b.config.process.noNewPrivileges = false;
      b.setUser({ uid: 1000, gid: 1000 });
    });
    const output = await outputInside(context(), bundle, `${SECCOMP_STATUS}; grep NoNewPrivs /proc/self/status; id -u`);
    assert.equal(seccompMode(output), 'Seccomp: 2');
    assert.ok(output.includes('NoNewPrivs:\t0'), output);
    assert.ok(linesOf(output).includes('1000'), output);
  });

  it('an architecture this libseccomp does not know fails create with one line naming it, and leaves nothing', testOptions, async () => {
    const bundle = bundleWith({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_LOONGARCH64'] });
    const result = await runInside(context(), bundle, 'true');
    assert.equal(result.status, 1, describeResult(result));
    assert.match(result.stderr, /linux\.seccomp\.architectures\[1\]: SCMP_ARCH_LOONGARCH64/);
    assert.deepEqual(await context().runtime.listIds(), []);
  });

  describe("Podman's default profile", { skip: hasPodmanProfile() ? false : 'no /usr/share/containers/seccomp.json (golang-github-containers-common)' }, () => {
    function podmanBundle(): Bundle {
      const bundle = makeBundle(context());
      const bounding = (bundle.config.process.capabilities as { bounding?: string[] } | undefined)?.bounding ?? [];
      bundle.config.linux.seccomp = podmanDefaultSeccomp(bounding);
      return bundle;
    }

    it('loads, and ordinary programs run', testOptions, async () => {
      const script = `${SECCOMP_STATUS}; ls / >/dev/null && echo ls-ok; echo a b | tr a-z A-Z; (sleep 0; echo subshell-ok) | cat; date +%Y >/dev/null && echo date-ok; id -u`;
      const output = await outputInside(context(), podmanBundle(), script);
      assert.equal(seccompMode(output), 'Seccomp: 2');
      for (const expected of ['ls-ok', 'A B', 'subshell-ok', 'date-ok', '0']) assert.ok(linesOf(output).includes(expected), `${expected} missing in:\n${output}`);
    });

    it('what it does not list fails with its default errno (add_key: ENOSYS); what it lists works (keyctl)', testOptions, async () => {
      const bundle = podmanBundle();
      addSyscallProbe(context(), bundle);
      const results = probeResults(await outputInside(context(), bundle, `${PROBE_IN_CONTAINER} add_key keyctl getpid`));
      assert.deepEqual(results, { add_key: 'ENOSYS', keyctl: 'OK', getpid: 'OK' });
    });

    it('husk and runc show the same seccomp state and syscall results inside', testOptions, async () => {
      const ctx = context();
      const bundle = podmanBundle();
      addSyscallProbe(ctx, bundle);
      const script = `${SECCOMP_STATUS}; grep NoNewPrivs /proc/self/status; ${PROBE_IN_CONTAINER} add_key keyctl unshare mount getpid`;
      const husk = await outputInside(ctx, bundle, script);
      const runc = await outputInside(ctx, bundle, script, { runtime: ctx.referenceRunc() });
      assert.deepEqual(linesOf(husk), linesOf(runc));
    });

    it('unshare and mount fail with EPERM: the profile lets them through, the missing CAP_SYS_ADMIN refuses them', testOptions, async () => {
      const bundle = podmanBundle();
      addSyscallProbe(context(), bundle);
      const results = probeResults(await outputInside(context(), bundle, `${PROBE_IN_CONTAINER} unshare mount`));
      assert.deepEqual(results, { unshare: 'EPERM', mount: 'EPERM' });
    });
  });

  it('without a profile the same probe succeeds (so the results above are the filter\'s doing)', testOptions, async () => {
    const bundle = makeBundle(context());
    addSyscallProbe(context(), bundle);
    const results = probeResults(await outputInside(context(), bundle, `${PROBE_IN_CONTAINER} add_key keyctl`));
    assert.deepEqual(results, { add_key: 'OK', keyctl: 'OK' });
  });

  it('rules refusing unshare, keyctl and mount hold even with CAP_SYS_ADMIN (the filter, not the capability, refuses)', testOptions, async () => {
    const bundle = bundleWith({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['unshare', 'keyctl', 'mount'], action: 'SCMP_ACT_ERRNO' }],
    });
    const caps = bundle.config.process.capabilities as Record<string, string[]>;
    for (const set of ['bounding', 'effective', 'permitted']) caps[set] = [...(caps[set] ?? []), 'CAP_SYS_ADMIN'];
    addSyscallProbe(context(), bundle);
    const results = probeResults(await outputInside(context(), bundle, `${PROBE_IN_CONTAINER} unshare keyctl mount getpid`));
    assert.deepEqual(results, { unshare: 'EPERM', keyctl: 'EPERM', mount: 'EPERM', getpid: 'OK' });
  });

  it('SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the container process state, and answers the syscall', { timeout: 60_000 }, async () => {
    const ctx = context();
    const dir = ctx.newDir('agent');
    const socketPath = path.join(dir, 'agent.sock');
    const recordPath = path.join(dir, 'record.json');
    const agent = spawn('python3', [path.join(REPO_ROOT, 'test', 'helpers', 'seccomp-agent.py'), socketPath, recordPath, String(ENOMEDIUM)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      await waitFor(() => `the agent to listen on ${socketPath}`, async () => fs.existsSync(socketPath), { timeoutMs: 10_000 });
      const bundle = bundleWith({
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: socketPath,
        listenerMetadata: 'husk-test-metadata',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      });
      const result = await runInside(ctx, bundle, 'mkdir /tmp/notified; echo "mkdir=$?"; test -d /tmp/notified || echo absent');
      assert.ok(result.stdout.includes('mkdir=1'), describeResult(result));
      assert.ok(result.stdout.includes('absent'), describeResult(result));
      assert.ok(result.stderr.includes(ENOMEDIUM_TEXT), `the agent's answer should reach mkdir: ${describeResult(result)}`);

      const record = JSON.parse(fs.readFileSync(recordPath, 'utf8'));
      assert.equal(record.fdCount, 1);
      assert.deepEqual(record.state.fds, ['seccompFd']);
      assert.equal(record.state.metadata, 'husk-test-metadata');
      assert.ok(record.state.pid > 0);
      assert.equal(record.state.state.pid, record.state.pid);
      assert.equal(record.state.state.status, 'creating');
      assert.ok(ctx.ids.includes(record.state.state.id), JSON.stringify(record.state));
      assert.equal(record.state.state.bundle, bundle.dir);
      assert.ok(record.notified.length >= 1, JSON.stringify(record));
    } finally {
      agent.kill();
    }
  });

  it('SCMP_ACT_NOTIFY with nobody at listenerPath fails create with one line and leaves nothing', testOptions, async () => {
    const ctx = context();
    const missing = path.join(ctx.newDir('agent'), 'nobody.sock');
    const bundle = bundleWith({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: missing, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
    const result = await runInside(ctx, bundle, 'true');
    assert.equal(result.status, 1, describeResult(result));
    assert.ok(result.stderr.includes(`linux.seccomp.listenerPath: sending the seccomp listener to ${missing}`), describeResult(result));
    assert.deepEqual(await ctx.runtime.listIds(), []);
  });
});

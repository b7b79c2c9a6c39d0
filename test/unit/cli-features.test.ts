// `husk features`: the document's shape (runtime-spec features.md / features-linux.md), and that
// each list is the one the code uses — a config naming any listed value gets past husk's checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { featuresDocument, type FeaturesProbe } from '../../src/cli/features';
import { planCapabilities } from '../../src/linux/capabilities';
import { parseMountOptions } from '../../src/linux/mount-options';
import { SECCOMP_FILTER_FLAGS } from '../../src/linux/seccomp';
import { checkOciVersion } from '../../src/spec/versions';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const probe = (overrides: Partial<FeaturesProbe> = {}): FeaturesProbe => ({
  seccompFlagsSupported: () => true,
  seccompArchKnown: (name) => !['loongarch64', 'm68k', 'sh', 'sheb'].includes(name),
  buildInfo: () => ({ version: '9.9.9', commit: 'abc123', libseccomp: '2.5.4' }),
  ...overrides,
});

test('features: the fields of features.md and features-linux.md, nothing else', () => {
  const doc: Json = featuresDocument(probe());
  assert.deepEqual(Object.keys(doc), ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations']);
  assert.deepEqual(Object.keys(doc.linux), [
    'namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'mountExtensions', 'netDevices',
  ]);
  assert.deepEqual(doc.linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
  assert.deepEqual(doc.linux.intelRdt, { enabled: false });
  assert.deepEqual(doc.linux.mountExtensions, { idmap: { enabled: false } });
  assert.deepEqual(doc.linux.netDevices, { enabled: false });
  assert.deepEqual(doc.annotations, { 'io.github.seccomp.libseccomp.version': '2.5.4', 'husk.commit': 'abc123', 'husk.version': '9.9.9' });
});

test('features: the version range is one husk accepts at both ends', () => {
  const doc: Json = featuresDocument(probe());
  assert.equal(doc.ociVersionMin, '1.0.0');
  assert.equal(doc.ociVersionMax, '1.3.0');
  checkOciVersion(doc.ociVersionMin);
  checkOciVersion(doc.ociVersionMax);
});

test('features: hooks, namespaces and capabilities are the lists husk checks configs against', () => {
  const doc: Json = featuresDocument(probe());
  assert.deepEqual(doc.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.deepEqual(doc.linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
  assert.equal(doc.linux.capabilities[0], 'CAP_CHOWN');
  assert.equal(doc.linux.capabilities.at(-1), 'CAP_CHECKPOINT_RESTORE');
  // Every listed capability is accepted in a config.
  const all = doc.linux.capabilities as string[];
  const warnings: string[] = [];
  assert.doesNotThrow(() => planCapabilities({ bounding: all, effective: all, permitted: all }, 40, (w) => warnings.push(w)));
  assert.deepEqual(warnings, []);
});

test('features: every listed mount option parses, tmpcopyup included, id-mapped ones left out', () => {
  const doc: Json = featuresDocument(probe());
  const options = doc.mountOptions as string[];
  assert.deepEqual(options, [...options].sort());
  for (const option of ['tmpcopyup', 'rbind', 'rro', 'nosymfollow', 'rnoatime', 'defaults', 'unbindable', 'acl']) assert.ok(options.includes(option), option);
  assert.ok(!options.includes('idmap') && !options.includes('ridmap'));
  for (const option of options) assert.doesNotThrow(() => parseMountOptions([option], 'mounts[0].options'), option);
});

test('features: seccomp lists, with archs and supported flags from the probes', () => {
  const doc: Json = featuresDocument(probe());
  const seccomp = doc.linux.seccomp;
  assert.equal(seccomp.enabled, true);
  assert.deepEqual(seccomp.actions, [
    'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
  ]);
  assert.deepEqual(seccomp.operators, ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
  assert.ok(seccomp.archs.includes('SCMP_ARCH_X86_64') && seccomp.archs.includes('SCMP_ARCH_RISCV64'));
  assert.ok(!seccomp.archs.includes('SCMP_ARCH_LOONGARCH64'), 'an architecture libseccomp does not know is left out');
  assert.deepEqual(seccomp.knownFlags, Object.keys(SECCOMP_FILTER_FLAGS));

  const asked: number[] = [];
  const onlyTsync: Json = featuresDocument(
    probe({
      seccompFlagsSupported: (flags) => {
        asked.push(flags);
        return flags === SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC;
      },
    }),
  );
  assert.deepEqual(onlyTsync.linux.seccomp.supportedFlags, ['SECCOMP_FILTER_FLAG_TSYNC']);
  // WAIT_KILLABLE_RECV is refused by the kernel without NEW_LISTENER: it is probed with it.
  assert.ok(asked.includes((1 << 5) | (1 << 3)));
});

/** `runc features`, or undefined without runc (1.1.5 on the development host). */
function runcFeatures(): Json | undefined {
  try {
    return JSON.parse(require('node:child_process').execFileSync('runc', ['features'], { encoding: 'utf8' }));
  } catch {
    return undefined;
  }
}

test('features: husk recognises everything runc 1.1.5 lists', { skip: runcFeatures() ? false : 'runc not installed' }, () => {
  const runc = runcFeatures();
  const husk: Json = featuresDocument(probe());
  const missing = (theirs: string[], ours: string[]): string[] => theirs.filter((name) => !ours.includes(name));
  assert.deepEqual(missing(runc.hooks, husk.hooks), []);
  assert.deepEqual(missing(runc.mountOptions, husk.mountOptions), []);
  assert.deepEqual(missing(runc.linux.namespaces, husk.linux.namespaces), []);
  assert.deepEqual(missing(runc.linux.capabilities, husk.linux.capabilities), []);
  assert.deepEqual(missing(runc.linux.seccomp.actions, husk.linux.seccomp.actions), []);
  assert.deepEqual(missing(runc.linux.seccomp.operators, husk.linux.seccomp.operators), []);
  assert.deepEqual(missing(runc.linux.seccomp.archs, husk.linux.seccomp.archs), []);
});

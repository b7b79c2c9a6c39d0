// `husk features`: the runtime-spec features document (features.md, features-linux.md), as
// `runc features` prints it. Every list comes from the table the code itself uses, so the document
// cannot claim what the build does not do; the two probes (seccomp flags the kernel takes,
// architectures this build's libseccomp knows) ask the addon.
import type { Argv } from 'yargs';
import { CAPABILITY_NUMBERS } from '../linux/capabilities';
import { recognisedMountOptions } from '../linux/mount-options';
import { SECCOMP_ACTIONS, SECCOMP_ARCHITECTURES, SECCOMP_FILTER_FLAGS, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_OPERATORS } from '../linux/seccomp';
import { NAMESPACE_TYPES } from '../spec/known-values';
import { HOOK_NAMES } from '../spec/rules-config';
import { SPEC_VERSION, SUPPORTED_SPEC_RANGE } from '../spec/versions';
import { buildInfo, type BuildInfo } from './version';

export interface FeaturesProbe {
  seccompFlagsSupported(flags: number): boolean;
  seccompArchKnown(libseccompName: string): boolean;
  buildInfo(): BuildInfo;
}

/** Flags that only work together with another one: probed with it (the kernel refuses them alone). */
const FLAGS_PROBED_WITH: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG_NEW_LISTENER,
};

const sorted = (names: Iterable<string>): string[] => [...names].sort();

export function featuresDocument(probe: FeaturesProbe): Record<string, unknown> {
  const info = probe.buildInfo();
  const knownFlags = Object.keys(SECCOMP_FILTER_FLAGS);
  return {
    ociVersionMin: SUPPORTED_SPEC_RANGE.min,
    // Any 1.3.x is accepted (versions.ts); the newest husk implements is the one it names.
    ociVersionMax: SPEC_VERSION,
    hooks: [...HOOK_NAMES],
    mountOptions: recognisedMountOptions(),
    linux: {
      namespaces: sorted(NAMESPACE_TYPES),
      // In capability-number order, as runc lists them.
      capabilities: Object.entries(CAPABILITY_NUMBERS)
        .sort((a, b) => a[1] - b[1])
        .map(([name]) => name),
      cgroup: {
        v1: true,
        v2: true,
        // --systemd-cgroup accepts systemd's cgroupsPath syntax but maps it onto cgroupfs: there is
        // no systemd cgroup manager (no D-Bus, no transient units), so both are false.
        systemd: false,
        systemdUser: false,
        rdma: true,
      },
      seccomp: {
        enabled: true,
        actions: sorted(Object.keys(SECCOMP_ACTIONS)),
        operators: sorted(Object.keys(SECCOMP_OPERATORS)),
        // The ones this build's libseccomp can compile (Debian 12's 2.5.4 lacks the 2.6 four).
        archs: sorted(Object.keys(SECCOMP_ARCHITECTURES).filter((arch) => probe.seccompArchKnown(SECCOMP_ARCHITECTURES[arch]))),
        knownFlags,
        supportedFlags: knownFlags.filter((flag) => probe.seccompFlagsSupported(SECCOMP_FILTER_FLAGS[flag] | (FLAGS_PROBED_WITH[flag] ?? 0))),
      },
      // process.apparmorProfile and process.selinuxLabel are applied where the host has the LSM
      // (linux.mountLabel is refused: mounts get no context= yet).
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      'io.github.seccomp.libseccomp.version': info.libseccomp,
      'husk.commit': info.commit,
      'husk.version': info.version,
    },
  };
}

function addonProbe(): FeaturesProbe {
  const { addon } = require('../addon') as typeof import('../addon');
  const loaded = addon();
  return {
    seccompFlagsSupported: (flags) => loaded.seccompFlagsSupported(flags),
    seccompArchKnown: (name) => loaded.seccompArchKnown(name),
    buildInfo,
  };
}

export function register(cli: Argv): Argv {
  return cli.command(
    'features',
    'print the runtime-spec features document (JSON): what this build of husk supports',
    (y) => y,
    () => {
      // runc's layout: four-space indentation.
      process.stdout.write(`${JSON.stringify(featuresDocument(addonProbe()), null, 4)}\n`);
    },
  );
}

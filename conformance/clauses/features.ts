// features.md and features-linux.md: the Features structure a runtime MAY print (`features`),
// and that what it lists is accepted in config.json. A runtime without the command skips these.
import { clause, expect, expectEqual, scenario, skip } from '../lib/clause';
import { CAPABILITY_NAMES, capabilityNames, parseReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, ScenarioContext, oneLine } from '../lib/context';
import { mountFixtures } from '../lib/fixtures';
import { hostHasCapability } from '../lib/host';
import { refusedItems } from '../lib/scenarios';
import type { Bundle } from '../../test/helpers/bundle';

interface Features {
  ociVersionMin?: string;
  ociVersionMax?: string;
  hooks?: string[];
  mountOptions?: string[];
  linux?: {
    namespaces?: string[];
    capabilities?: string[];
    seccomp?: { enabled?: boolean; actions?: string[]; operators?: string[]; archs?: string[]; knownFlags?: string[]; supportedFlags?: string[] };
    [key: string]: unknown;
  };
  annotations?: Record<string, unknown>;
  [key: string]: unknown;
}

interface Trial {
  ok: boolean;
  error?: string;
  /** What failed, when a bulk trial was split. */
  refused?: string[];
  bounding?: string[];
}

interface FeaturesRun {
  features: Features;
  minAccepted: Trial;
  maxAccepted: Trial;
  hooks: Trial;
  mountOptions: Trial;
  namespaces: Trial;
  capabilities: Trial & { requested: string[] };
  seccomp: Trial;
  flags: Trial;
}

async function tryBundle(ctx: ScenarioContext, edit: (bundle: Bundle) => void): Promise<Trial> {
  const bundle = ctx.bundle().setArgs(CHECKER_IN_CONTAINER);
  edit(bundle);
  bundle.save();
  const result = await ctx.run(['run', '--bundle', bundle.dir, ctx.newId()]);
  if (result.status !== 0) return { ok: false, error: oneLine(result) };
  const report = parseReport(result.stdout, result);
  return { ok: true, bounding: capabilityNames(report.caps.bounding) };
}

function semverParts(version: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

/** Options that need more than one mount entry or id mappings to mean anything. */
const MOUNT_OPTIONS_NEEDING_CONTEXT = new Set(['remount', 'idmap', 'ridmap']);

const featuresRun = scenario<FeaturesRun>('features', async (ctx) => {
  const result = await ctx.run(['features']);
  if (result.status !== 0) skip(`the runtime prints no Features structure (\`features\`: ${oneLine(result)}); features.md makes it optional (MAY)`);
  const features = JSON.parse(result.stdout) as Features;
  const withVersion = (version: string | undefined) => (bundle: Bundle) => {
    bundle.config.ociVersion = version ?? '';
  };
  const minAccepted = await tryBundle(ctx, withVersion(features.ociVersionMin));
  const maxAccepted = await tryBundle(ctx, withVersion(features.ociVersionMax));
  const hooks = await tryBundle(ctx, (bundle) => {
    const entries: Record<string, unknown[]> = {};
    for (const kind of features.hooks ?? []) entries[kind] = [{ path: '/bin/true' }];
    bundle.config.hooks = entries;
  });
  // Each option on a mount of its own: a bind mount (bind mounts ignore filesystem data), or a
  // tmpfs for tmpcopyup. Recognized options must not make the container fail; bisecting names
  // the ones that do.
  const fx = mountFixtures(ctx.workspace);
  const options = (features.mountOptions ?? []).filter((option) => !MOUNT_OPTIONS_NEEDING_CONTEXT.has(option));
  const withOptions = (list: string[]) => (bundle: Bundle) => {
    for (const option of list) {
      if (option === 'tmpcopyup') bundle.addMount({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: [option] });
      else bundle.addMount({ destination: `/fo/${option}`, type: 'bind', source: fx.recursive, options: ['rbind', option] });
    }
  };
  const errors: string[] = [];
  const refused = await refusedItems(options, async (subset) => {
    const trial = await tryBundle(ctx, withOptions(subset));
    if (!trial.ok && subset.length === 1) errors.push(`${subset[0]} (${trial.error})`);
    return trial.ok;
  });
  const mountOptions: Trial = refused.length === 0 ? { ok: true } : { ok: false, error: `refused: ${refused.join(', ')}`, refused: errors.sort() };
  const namespaces = await tryBundle(ctx, (bundle) => {
    bundle.setNamespaces((features.linux?.namespaces ?? []).map((type) => ({ type })));
    if (features.linux?.namespaces?.includes('user')) {
      const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
      bundle.config.linux.uidMappings = mapping;
      bundle.config.linux.gidMappings = mapping;
    }
  });
  // Only what this host lets a runtime grant (a sandbox may lack some capabilities).
  const requested = (features.linux?.capabilities ?? []).filter((name) => {
    const bit = CAP_BITS[name];
    return bit !== undefined && hostHasCapability(ctx.host, bit);
  });
  const capabilities = {
    ...(await tryBundle(ctx, (bundle) => {
      bundle.config.process.capabilities = { bounding: requested, permitted: requested, effective: requested, inheritable: [], ambient: [] };
    })),
    requested,
  };
  const seccompFeatures = features.linux?.seccomp ?? {};
  // Every action except NOTIFY (it needs an agent) on a syscall the container never makes.
  const rareSyscalls = ['acct', 'reboot', 'swapon', 'swapoff', 'kexec_load', 'init_module', 'delete_module', 'quotactl', 'pivot_root', 'settimeofday'];
  const seccomp = await tryBundle(ctx, (bundle) => {
    const actions = (seccompFeatures.actions ?? []).filter((action) => action !== 'SCMP_ACT_NOTIFY' && action !== 'SCMP_ACT_ALLOW');
    bundle.config.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      // Only the x86 family: libseccomp cannot put other architectures into an x86_64 filter.
      architectures: (seccompFeatures.archs ?? []).filter((arch) => ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'].includes(arch)),
      syscalls: [
        ...actions.map((action, i) => ({ names: [rareSyscalls[i % rareSyscalls.length]], action })),
        ...(seccompFeatures.operators ?? []).map((op, i) => ({ names: ['setdomainname'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 1000 + i, valueTwo: op === 'SCMP_CMP_MASKED_EQ' ? 0 : undefined, op }] })),
      ],
    };
  });
  const flags = await tryBundle(ctx, (bundle) => {
    bundle.config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: seccompFeatures.supportedFlags ?? [], syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO' }] };
  });
  return { features, minAccepted, maxAccepted, hooks, mountOptions, namespaces, capabilities, seccomp, flags };
});

const CAP_BITS: Record<string, number> = Object.fromEntries(CAPABILITY_NAMES.map((name, bit) => [name, bit]));

function accepted(trial: Trial, what: string): void {
  expect(trial.ok, `${what}: the container failed: ${trial.error}${trial.refused ? `; refused alone: ${trial.refused.join(', ')}` : ''}`);
}

clause({
  id: 'features/ociVersion-range',
  spec: 'features.md',
  section: 'Specification version',
  level: 'MUST',
  gist: 'ociVersionMin and ociVersionMax are present (REQUIRED) and ociVersionMax is not less than ociVersionMin',
  scenario: featuresRun,
  check({ features }) {
    const min = semverParts(features.ociVersionMin ?? '');
    const max = semverParts(features.ociVersionMax ?? '');
    expect(min && max, `ociVersionMin ${JSON.stringify(features.ociVersionMin)}, ociVersionMax ${JSON.stringify(features.ociVersionMax)}`);
    const order = min[0] - max[0] || min[1] - max[1] || min[2] - max[2];
    expect(order <= 0, `ociVersionMax ${features.ociVersionMax} is less than ociVersionMin ${features.ociVersionMin}`);
  },
});

clause({
  id: 'features/accepts-ociVersionMin',
  spec: 'features.md',
  section: 'Specification version',
  level: 'MUST',
  gist: "the runtime accepts its ociVersionMin as config.json's ociVersion",
  scenario: featuresRun,
  check: (obs) => accepted(obs.minAccepted, `ociVersion ${obs.features.ociVersionMin}`),
});

clause({
  id: 'features/accepts-ociVersionMax',
  spec: 'features.md',
  section: 'Specification version',
  level: 'MUST',
  gist: "the runtime accepts its ociVersionMax as config.json's ociVersion",
  scenario: featuresRun,
  check: (obs) => accepted(obs.maxAccepted, `ociVersion ${obs.features.ociVersionMax}`),
});

const KNOWN_TOP = ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations', 'potentiallyUnsafeConfigAnnotations'];
const KNOWN_LINUX = ['namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'mountExtensions', 'netDevices', 'memoryPolicy'];

clause({
  id: 'features/no-undefined-properties',
  spec: 'features.md',
  section: 'Specification version',
  level: 'MUST NOT',
  gist: 'the Features structure contains no properties the spec does not define (checked against v1.3)',
  scenario: featuresRun,
  check({ features }) {
    const unknown = [
      ...Object.keys(features).filter((key) => !KNOWN_TOP.includes(key)),
      ...Object.keys(features.linux ?? {}).filter((key) => !KNOWN_LINUX.includes(key)).map((key) => `linux.${key}`),
    ];
    expectEqual(unknown, [], 'undefined properties');
  },
});

clause({
  id: 'features/hooks',
  spec: 'features.md',
  section: 'Hooks',
  level: 'MUST',
  gist: 'the runtime supports every hook kind it lists (a config with one hook of each runs)',
  scenario: featuresRun,
  check: (obs) => accepted(obs.hooks, `hooks ${JSON.stringify(obs.features.hooks)}`),
});

clause({
  id: 'features/mountOptions',
  spec: 'features.md',
  section: 'Mount Options',
  level: 'MUST',
  gist: 'the runtime recognizes every mount option it lists (each on a bind mount; remount, idmap and ridmap need more context and are left out)',
  scenario: featuresRun,
  check: (obs) => accepted(obs.mountOptions, 'the listed mount options'),
});

clause({
  id: 'features/annotations',
  spec: 'features.md',
  section: 'Annotations',
  level: 'MUST',
  gist: 'annotations, if present, are a map of string keys to string values',
  scenario: featuresRun,
  check({ features }) {
    for (const [key, value] of Object.entries(features.annotations ?? {})) {
      expect(key !== '' && typeof value === 'string', `annotation ${JSON.stringify(key)} is ${JSON.stringify(value)}`);
    }
  },
});

clause({
  id: 'features-linux/namespaces',
  spec: 'features-linux.md',
  section: 'Namespaces',
  level: 'MUST',
  gist: 'the runtime recognizes every namespace type it lists (a config with all of them runs)',
  scenario: featuresRun,
  check: (obs) => accepted(obs.namespaces, `namespaces ${JSON.stringify(obs.features.linux?.namespaces)}`),
});

clause({
  id: 'features-linux/capabilities',
  spec: 'features-linux.md',
  section: 'Capabilities',
  level: 'MUST',
  gist: 'the runtime recognizes every capability it lists: all of them (those this host can grant) end up in the bounding set',
  scenario: featuresRun,
  check(obs) {
    accepted(obs.capabilities, 'the listed capabilities');
    expectEqual(obs.capabilities.bounding, [...obs.capabilities.requested].sort(), 'bounding set');
  },
});

clause({
  id: 'features-linux/seccomp',
  spec: 'features-linux.md',
  section: 'Seccomp',
  level: 'MUST',
  gist: 'the runtime recognizes every seccomp action (but NOTIFY, which needs an agent) and operator it lists, and the x86 architectures among its archs, in one filter',
  scenario: featuresRun,
  check: (obs) => accepted(obs.seccomp, 'a filter with every listed action, operator and architecture'),
});

clause({
  id: 'features-linux/seccomp-supportedFlags',
  spec: 'features-linux.md',
  section: 'Seccomp',
  level: 'MUST',
  gist: 'the runtime recognizes and supports every seccomp flag it lists in supportedFlags',
  scenario: featuresRun,
  check: (obs) => accepted(obs.flags, `flags ${JSON.stringify(obs.features.linux?.seccomp?.supportedFlags ?? [])}`),
});


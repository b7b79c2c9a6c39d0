// What this host offers, probed once: clauses whose feature the host lacks are skipped with the
// reason, for every runtime alike.
import * as fs from 'node:fs';

export interface HostInfo {
  /** 'v1', 'v2' or 'hybrid' (v1 controllers plus a cgroup2 mount). */
  cgroupMode: 'v1' | 'v2' | 'hybrid';
  /** v1 controllers mounted as their own hierarchy (name → mount point). */
  v1Controllers: Record<string, string>;
  appArmor: boolean;
  selinux: boolean;
  resctrl: boolean;
  timeNamespace: boolean;
  /** A whole-disk block device for blkio throttle rules, "MAJ:MIN". */
  blockDevice?: string;
  kernelRelease: string;
  /** Capabilities the suite (root) itself holds: a sandbox may lack some. */
  ownEffectiveCaps: bigint;
}

function mountInfoLines(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line !== '');
}

function probeCgroups(): Pick<HostInfo, 'cgroupMode' | 'v1Controllers'> {
  const v1Controllers: Record<string, string> = {};
  let unified = false;
  for (const line of mountInfoLines()) {
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fsType, , superOptions] = after.split(' ');
    const mountPoint = before.split(' ')[4];
    if (fsType === 'cgroup2') unified = true;
    if (fsType !== 'cgroup') continue;
    for (const option of superOptions.split(',')) {
      if (option === 'rw' || option === 'ro' || option.includes('=') && !option.startsWith('name=')) continue;
      v1Controllers[option] = mountPoint;
    }
  }
  const hasV1 = Object.keys(v1Controllers).length > 0;
  return { cgroupMode: hasV1 ? (unified ? 'hybrid' : 'v1') : 'v2', v1Controllers };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function firstDisk(): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync('/sys/block');
  } catch {
    return undefined;
  }
  for (const name of names.sort()) {
    if (name.startsWith('loop') || name.startsWith('ram') || name.startsWith('zram')) continue;
    const dev = readText(`/sys/block/${name}/dev`);
    if (dev) return dev.trim();
  }
  return undefined;
}

export function probeHost(): HostInfo {
  const status = readText('/proc/self/status') ?? '';
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
  return {
    ...probeCgroups(),
    appArmor: (readText('/sys/module/apparmor/parameters/enabled') ?? '').trim() === 'Y',
    selinux: fs.existsSync('/sys/fs/selinux/enforce'),
    resctrl: mountInfoLines().some((line) => line.includes(' - resctrl ')),
    timeNamespace: fs.existsSync('/proc/self/ns/time'),
    blockDevice: firstDisk(),
    kernelRelease: (readText('/proc/sys/kernel/osrelease') ?? '').trim(),
    ownEffectiveCaps: BigInt(`0x${capEff}`),
  };
}

export function hostHasCapability(host: HostInfo, bit: number): boolean {
  return ((host.ownEffectiveCaps >> BigInt(bit)) & 1n) === 1n;
}

export function hostNamespaceLink(type: string): string {
  return fs.readlinkSync(`/proc/self/ns/${type}`);
}

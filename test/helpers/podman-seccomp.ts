// Podman's default seccomp profile as Podman hands it to a runtime. The file Debian ships
// (/usr/share/containers/seccomp.json, package golang-github-containers-common) is in the
// containers/common profile format, not the OCI one: it has an archMap and per-entry
// includes/excludes on architectures and capabilities. Podman resolves those for the host and
// the container's bounding set before writing config.json; this does the same, following the
// rules of containers/common's pkg/seccomp (setupSeccomp): an entry is kept when none of its
// excluded arches is the native one and none of its excluded caps is in the bounding set, and
// every included arch/cap is present.
import * as fs from 'node:fs';

export const PODMAN_PROFILE_PATH = '/usr/share/containers/seccomp.json';

/** Go's name of the native architecture, which the profile's includes/excludes use. */
const NATIVE_GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', s390x: 's390x' };
/** The SCMP_ARCH_* of the native architecture, which picks the archMap entry. */
const NATIVE_SECCOMP_ARCH: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', s390x: 'SCMP_ARCH_S390X' };

interface ProfileEntry {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
  includes?: { arches?: string[]; caps?: string[] };
  excludes?: { arches?: string[]; caps?: string[] };
}

interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  syscalls: ProfileEntry[];
}

export function hasPodmanProfile(): boolean {
  return fs.existsSync(PODMAN_PROFILE_PATH);
}

/** The OCI linux.seccomp Podman would write for a container with this bounding set. */
export function podmanDefaultSeccomp(boundingCaps: readonly string[]): Record<string, unknown> {
  const profile = JSON.parse(fs.readFileSync(PODMAN_PROFILE_PATH, 'utf8')) as Profile;
  const goArch = NATIVE_GO_ARCH[process.arch] ?? process.arch;
  const seccompArch = NATIVE_SECCOMP_ARCH[process.arch];
  const architectures = [...(profile.architectures ?? [])];
  for (const entry of profile.archMap ?? []) {
    if (entry.architecture === seccompArch) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  const kept = profile.syscalls.filter((entry) => {
    const { includes = {}, excludes = {} } = entry;
    if ((excludes.arches ?? []).includes(goArch)) return false;
    if ((excludes.caps ?? []).some((cap) => boundingCaps.includes(cap))) return false;
    if ((includes.arches ?? []).length > 0 && !(includes.arches ?? []).includes(goArch)) return false;
    if ((includes.caps ?? []).some((cap) => !boundingCaps.includes(cap))) return false;
    return true;
  });
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    syscalls: kept.map((entry) => ({
      names: entry.names && entry.names.length > 0 ? entry.names : [entry.name as string],
      action: entry.action,
      ...(entry.errnoRet !== undefined ? { errnoRet: entry.errnoRet } : {}),
      ...(entry.args && entry.args.length > 0 ? { args: entry.args } : {}),
    })),
  };
}

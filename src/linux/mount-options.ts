// The strings of mounts[].options → mount(2) flags, propagation changes, mount_setattr(2)
// attributes and the filesystem's data string. The option names are runc's
// (libcontainer/specconv/spec_linux.go), which the runtime-spec adopted in config.md "Mounts".
import { HuskError } from '../errors';
import * as k from './constants';
import { closestName } from './suggest';

/** A mount(2) flag option: sets `set` and clears `clear` (applied in option order). */
interface FlagOption {
  set: number;
  clear: number;
}

const flag = (set: number): FlagOption => ({ set, clear: 0 });
const unflag = (clear: number): FlagOption => ({ set: 0, clear });

const FLAG_OPTIONS: Readonly<Record<string, FlagOption>> = {
  ro: flag(k.MS_RDONLY),
  rw: unflag(k.MS_RDONLY),
  nosuid: flag(k.MS_NOSUID),
  suid: unflag(k.MS_NOSUID),
  nodev: flag(k.MS_NODEV),
  dev: unflag(k.MS_NODEV),
  noexec: flag(k.MS_NOEXEC),
  exec: unflag(k.MS_NOEXEC),
  sync: flag(k.MS_SYNCHRONOUS),
  async: unflag(k.MS_SYNCHRONOUS),
  dirsync: flag(k.MS_DIRSYNC),
  remount: flag(k.MS_REMOUNT),
  mand: flag(k.MS_MANDLOCK),
  nomand: unflag(k.MS_MANDLOCK),
  noatime: flag(k.MS_NOATIME),
  atime: unflag(k.MS_NOATIME),
  nodiratime: flag(k.MS_NODIRATIME),
  diratime: unflag(k.MS_NODIRATIME),
  relatime: flag(k.MS_RELATIME),
  norelatime: unflag(k.MS_RELATIME),
  strictatime: flag(k.MS_STRICTATIME),
  nostrictatime: unflag(k.MS_STRICTATIME),
  nosymfollow: flag(k.MS_NOSYMFOLLOW), // kernel 5.10+
  symfollow: unflag(k.MS_NOSYMFOLLOW),
  lazytime: flag(k.MS_LAZYTIME),
  nolazytime: unflag(k.MS_LAZYTIME),
  iversion: flag(k.MS_I_VERSION),
  noiversion: unflag(k.MS_I_VERSION),
  silent: flag(k.MS_SILENT),
  loud: unflag(k.MS_SILENT),
  // runc's acl/noacl: MS_POSIXACL, which mount(2) passes on to the superblock.
  acl: flag(k.MS_POSIXACL),
  noacl: unflag(k.MS_POSIXACL),
  // mount(8): "defaults" = rw, suid, dev, exec, async. runc lists it with flag 0, which sends it
  // to the data string, where most filesystems reject it (tmpfs: EINVAL). husk applies it.
  defaults: unflag(k.MS_RDONLY | k.MS_NOSUID | k.MS_NODEV | k.MS_NOEXEC | k.MS_SYNCHRONOUS),
  bind: flag(k.MS_BIND),
  rbind: flag(k.MS_BIND | k.MS_REC),
};

const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = {
  shared: k.MS_SHARED,
  rshared: k.MS_SHARED | k.MS_REC,
  slave: k.MS_SLAVE,
  rslave: k.MS_SLAVE | k.MS_REC,
  private: k.MS_PRIVATE,
  rprivate: k.MS_PRIVATE | k.MS_REC,
  unbindable: k.MS_UNBINDABLE,
  runbindable: k.MS_UNBINDABLE | k.MS_REC,
};

/** Recursive (mount_setattr) options other than the access-time ones. */
const RECURSIVE_ATTR_OPTIONS: Readonly<Record<string, FlagOption>> = {
  rro: flag(k.MOUNT_ATTR_RDONLY),
  rrw: unflag(k.MOUNT_ATTR_RDONLY),
  rnosuid: flag(k.MOUNT_ATTR_NOSUID),
  rsuid: unflag(k.MOUNT_ATTR_NOSUID),
  rnodev: flag(k.MOUNT_ATTR_NODEV),
  rdev: unflag(k.MOUNT_ATTR_NODEV),
  rnoexec: flag(k.MOUNT_ATTR_NOEXEC),
  rexec: unflag(k.MOUNT_ATTR_NOEXEC),
  rnodiratime: flag(k.MOUNT_ATTR_NODIRATIME),
  rdiratime: unflag(k.MOUNT_ATTR_NODIRATIME),
  rnosymfollow: flag(k.MOUNT_ATTR_NOSYMFOLLOW), // kernel 5.14+
  rsymfollow: unflag(k.MOUNT_ATTR_NOSYMFOLLOW),
};

/**
 * Recursive access-time options. The MOUNT_ATTR_*ATIME values are an enum, not bits: the kernel
 * wants one of them in attr_set and all of MOUNT_ATTR__ATIME in attr_clr, else EINVAL. So each
 * option picks the resulting mode; the last one wins. "ratime" (not noatime) and
 * "rnostrictatime" fall back to the kernel default, relatime. "rnorelatime" clears
 * MOUNT_ATTR_RELATIME, which is 0: a no-op in the runtime-spec's own table and in runc, so here.
 */
const RECURSIVE_ATIME_OPTIONS: Readonly<Record<string, number | null>> = {
  rrelatime: k.MOUNT_ATTR_RELATIME,
  rnorelatime: null,
  rnoatime: k.MOUNT_ATTR_NOATIME,
  ratime: k.MOUNT_ATTR_RELATIME,
  rstrictatime: k.MOUNT_ATTR_STRICTATIME,
  rnostrictatime: k.MOUNT_ATTR_RELATIME,
};

/** Options husk knows but cannot honour yet; each names the missing piece. */
const UNSUPPORTED_OPTIONS: Readonly<Record<string, string>> = {
  idmap: 'id-mapped mounts are not supported yet',
  ridmap: 'id-mapped mounts are not supported yet',
};

/**
 * runc's extension (libcontainer EXT_COPYUP), in runtime-spec's list of mount options: the new
 * tmpfs starts with a copy of what the image had at its destination. Podman adds it to every
 * --tmpfs mount and to the tmpfs mounts of --read-only (/tmp, /var/tmp, /run).
 */
const COPY_UP_OPTION = 'tmpcopyup';

const KNOWN_OPTION_NAMES: readonly string[] = [
  ...Object.keys(FLAG_OPTIONS),
  ...Object.keys(PROPAGATION_OPTIONS),
  ...Object.keys(RECURSIVE_ATTR_OPTIONS),
  ...Object.keys(RECURSIVE_ATIME_OPTIONS),
  ...Object.keys(UNSUPPORTED_OPTIONS),
  COPY_UP_OPTION,
];

/**
 * Every mount option name husk recognises (`husk features` lists them as mountOptions), sorted.
 * Options it knows but refuses (id-mapped mounts) are left out: features.md lists what the
 * runtime MUST recognise, and a config using those fails.
 */
export function recognisedMountOptions(): string[] {
  return KNOWN_OPTION_NAMES.filter((name) => !(name in UNSUPPORTED_OPTIONS)).sort();
}

export interface ParsedMountOptions {
  /** MS_* flags after applying every option in order (bind/rbind included). */
  flags: number;
  /** Propagation changes in option order. */
  propagation: number[];
  recursiveAttrSet: number;
  recursiveAttrClear: number;
  /** Filesystem-specific options, comma-joined for mount(2)'s data argument. */
  data: string;
  /** tmpcopyup: fill the new tmpfs with a copy of what its destination held. */
  copyUp: boolean;
}

/**
 * Filesystems whose options husk knows: for these (and for bind mounts, where the kernel ignores
 * the data string) an unknown option close to a known one is reported as a typo. Options of other
 * filesystems are passed through: xfs's "nouuid" and btrfs's "nossd" are one edit away from
 * "nosuid".
 */
const FILESYSTEMS_WITH_KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'proc',
  'sysfs',
  'tmpfs',
  'devpts',
  'mqueue',
  'cgroup',
  'cgroup2',
  'bind',
  'none',
  '',
]);

/** Whether near misses of known options are reported for this mount (see parseMountOptions). */
export function checksOptionSpelling(type: string | undefined, options: readonly string[] | undefined): boolean {
  return FILESYSTEMS_WITH_KNOWN_OPTIONS.has(type ?? '') || (options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/**
 * Parse mounts[n].options (`where` = "mounts[n].options").
 *
 * runc sends every option it does not know to the data string and lets the kernel (or the
 * filesystem) reject it at mount time with a bare EINVAL. husk does the same for options it
 * cannot know (filesystem-specific ones: "mode=755", "newinstance", "inode64"...). With
 * `checkSpelling`, an option without "=" that is a near miss of a known option ("rbindd",
 * "noexce") is reported instead, with the option it resembles.
 */
export function parseMountOptions(
  options: readonly string[] | undefined,
  where: string,
  checkSpelling = true,
): ParsedMountOptions {
  const parsed: ParsedMountOptions = { flags: 0, propagation: [], recursiveAttrSet: 0, recursiveAttrClear: 0, data: '', copyUp: false };
  const data: string[] = [];
  let recursiveAtime: number | null = null;

  for (const option of options ?? []) {
    if (option === '') throw new HuskError(`${where}: contains an empty option`);
    if (option.includes('\0')) throw new HuskError(`${where}: '${option.replace(/\0/g, '\\0')}' contains a NUL byte`);
    if (option in UNSUPPORTED_OPTIONS) throw new HuskError(`${where}: ${UNSUPPORTED_OPTIONS[option]}`);
    if (option === COPY_UP_OPTION) {
      parsed.copyUp = true;
      continue;
    }

    const flagOption = FLAG_OPTIONS[option];
    if (flagOption) {
      parsed.flags = (parsed.flags | flagOption.set) & ~flagOption.clear;
      continue;
    }
    const propagation = PROPAGATION_OPTIONS[option];
    if (propagation !== undefined) {
      parsed.propagation.push(propagation);
      continue;
    }
    const attr = RECURSIVE_ATTR_OPTIONS[option];
    if (attr) {
      parsed.recursiveAttrSet = (parsed.recursiveAttrSet | attr.set) & ~attr.clear;
      parsed.recursiveAttrClear = (parsed.recursiveAttrClear | attr.clear) & ~attr.set;
      continue;
    }
    if (option in RECURSIVE_ATIME_OPTIONS) {
      recursiveAtime = RECURSIVE_ATIME_OPTIONS[option] ?? recursiveAtime;
      continue;
    }
    if (checkSpelling && !option.includes('=')) {
      const resembles = closestName(option, KNOWN_OPTION_NAMES);
      if (resembles !== null) {
        throw new HuskError(`${where}: '${option}' is not a mount option (did you mean '${resembles}'?)`);
      }
    }
    data.push(option);
  }

  if (recursiveAtime !== null) {
    parsed.recursiveAttrSet |= recursiveAtime;
    parsed.recursiveAttrClear |= k.MOUNT_ATTR__ATIME;
  }
  parsed.data = data.join(',');
  return parsed;
}

/** Whether a mount is a bind mount: type "bind", or bind/rbind among its options. */
export function isBindMount(type: string | undefined, parsed: ParsedMountOptions): boolean {
  return type === 'bind' || (parsed.flags & k.MS_BIND) !== 0;
}

/** rootfsPropagation values: the propagation option names (runc accepts the r- forms too). */
export function propagationFlagOf(name: string): number | undefined {
  return PROPAGATION_OPTIONS[name];
}

export const PROPAGATION_NAMES: readonly string[] = Object.keys(PROPAGATION_OPTIONS);

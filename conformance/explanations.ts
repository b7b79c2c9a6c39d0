// Why the runtimes differ on a clause, or why neither passes it. Every such clause needs an entry
// (the suite fails otherwise); an entry for a clause every runtime passes is reported as stale.
// Clauses that every runtime skips for the same host reason explain themselves.
//
// "runc" here is Debian 12's runc 1.1.5 (2023, runtime-spec 1.0.2-dev); many clauses are about
// fields the spec added in 1.1-1.3 that runc only learned in 1.2 or not yet.
import type { Explanations } from './lib/report';

const PREDATES = (field: string, spec: string, runc = 'runc 1.2') =>
  `runc 1.1.5 predates ${field} (runtime-spec ${spec}; ${runc} supports it) and ignores it as an unknown property.`;
const NO_CHECK = (what: string) => `runc 1.1.5 does not check ${what}, and runs the config.`;
const TIME_NS = 'runc 1.1.5 does not know the time namespace (runtime-spec 1.1; runc 1.2 has it) and refuses the config ("namespace time does not exist").';
const HUSK_REFUSES = (field: string, feature: string) =>
  `husk refuses ${field} with an error naming the field ("not supported yet"), as config.md "Valid values" asks for an unsupported value, and its features document says so (${feature}).`;

const explained: Record<string, string> = {
  // ---------------------------------------------------------------- runtime.md
  'runtime/delete/created-is-error':
    "Both delete a `created` container without --force: runc kills the waiting init and removes it, and husk does the same on purpose (containerd deletes a created container after a failed start without --force). runtime.md v1.1+ allows delete only of a stopped container.",
  'config/hooks/poststart/when':
    'runc 1.1.5 runs poststart hooks during `create` (when libcontainer starts the init), before the program is executed; runc 1.2 moved them to `start`.',
  'runtime/lifecycle/startContainer-fails':
    "runc 1.1.5's `start` only writes the exec fifo and returns: the init runs the startContainer hooks afterwards, so a failing hook stops the container but `start` exits 0. husk's init reports the failure through a result fifo that `start` reads.",
  'runtime/lifecycle/poststop-fails':
    'runc 1.1.5 stops at the first failing poststop hook (it logs the error and runs no later poststop hook); the spec wants the remaining hooks to run.',
  // ---------------------------------------------------------------- config.md
  'config/domainname': PREDATES('domainname', '1.1'),
  'config/process/scheduler': PREDATES('process.scheduler', '1.2'),
  'config/process/ioPriority': PREDATES('process.ioPriority', '1.2'),
  'config/valid-values/scheduler-policy': 'runc 1.1.5 ignores process.scheduler altogether (runtime-spec 1.2), so it cannot refuse a bad policy in it.',
  'config/valid-values/ioPriority-class': 'runc 1.1.5 ignores process.ioPriority altogether (runtime-spec 1.2), so it cannot refuse a bad class in it.',
  'config/valid-values/mount-idmap-uid-only': PREDATES("mounts' uidMappings/gidMappings", '1.1'),
  'config/ociVersion/semver': NO_CHECK('that ociVersion is SemVer'),
  'config/annotations/key-not-empty': NO_CHECK('annotation keys'),
  'config/process/capabilities-ungrantable':
    'Host: this sandbox withholds CAP_SYS_RESOURCE from root, so a config asking for every capability asks for one neither runtime holds. Both fail at capset(2) with EPERM instead of granting what they can (a SHOULD NOT). Trimming the requested sets to what the runtime holds (outside a new user namespace) would fix it in husk; not done.',
  'config/user/umask-unset':
    "Both set umask 0022 when process.user.umask is absent (runc's libcontainer always does; husk does the same so that a container behaves alike under both). The spec's sentence is a lower-case \"should\".",
  'config/mount-options/defaults':
    "runc 1.1.5 maps 'defaults' to no flag and passes it to the filesystem as data, which tmpfs refuses (EINVAL); husk applies mount(8)'s meaning (rw, suid, dev, exec, async).",
  'config/mount-options/ratime':
    "runc 1.1.5's mount_setattr(2) for 'ratime' sets an access-time mode without clearing MOUNT_ATTR__ATIME, which the kernel refuses (EINVAL); husk clears the field.",
  'config/mount-options/rnostrictatime':
    "runc 1.1.5's mount_setattr(2) for 'rnostrictatime' sets an access-time mode without clearing MOUNT_ATTR__ATIME, which the kernel refuses (EINVAL); husk clears the field.",
  'config/mount-options/idmap': `Neither (SHOULD): ${PREDATES('id-mapped mounts', '1.2')} ${HUSK_REFUSES("'idmap'", 'mountExtensions.idmap false')}`,
  'config/mount-options/ridmap': `Neither (SHOULD): ${PREDATES('id-mapped mounts', '1.2')} ${HUSK_REFUSES("'ridmap'", 'mountExtensions.idmap false')}`,
  // ---------------------------------------------------------------- config-linux.md
  'config-linux/namespaces/new-time': TIME_NS,
  'config-linux/namespaces/path-time': TIME_NS,
  'config-linux/time-offsets': TIME_NS,
  'config-linux/devices/existing-file-mismatch':
    "Neither: a regular file already at a device's path does not make create fail. runc 1.1.5 ignores mknod's EEXIST and leaves the file; husk replaces the file with the node (addon/devices.c, \"as in runc\": images ship placeholder files in /dev). The spec's MUST is not met by husk; changing it means refusing such images, left for a decision (addon/devices.c).",
  'config-linux/resources/memory-kernelTCP':
    'runc 1.1.5 does not write memory.kmem.tcp.limit_in_bytes on cgroup v1 (it leaves kernelTCP unapplied); husk applies it (docs/cgroups.md).',
  'config-linux/resources/cpu-burst': 'runc 1.1.5 does not write cpu.cfs_burst_us (cpu.burst, runtime-spec 1.1; runc 1.2 writes it).',
  'config-linux/resources/cpu-idle': 'runc 1.1.5 does not write cpu.idle on this cgroup v1 host (runtime-spec 1.1); husk does.',
  'config-linux/resources/pids-zero':
    "Both treat a pids limit of 0 as \"not set\" (pids.max stays max): runc's convention, which Docker and containerd rely on. The spec's SHOULD (v1.3) asks for pids.max 0; husk keeps runc's reading on purpose (docs/cgroups.md: 0 means not set).",
  'config-linux/intelRdt/no-resctrl':
    `runc 1.1.5 runs a config with intelRdt (closID only) although no resctrl is mounted. ${HUSK_REFUSES('linux.intelRdt', 'intelRdt enabled false')}`,
  'config-linux/seccomp/flags': "runc 1.1.5 refuses every seccomp flag (\"seccomp flags are not yet supported by runc\"; runc 1.2 supports them).",
  'config-linux/seccomp/notify-connection-closed':
    'runc 1.1.5 sends the container process state but keeps the connection open until its own process exits; an agent that reads to the end of the stream waits for ever (the suite\'s agent stops at the end of the JSON, so the other notify clauses still run).',
  'config-linux/seccomp/invalid-errnoRet-on-allow': NO_CHECK('that errnoRet goes with an action that returns an errno'),
  'config-linux/seccomp/invalid-defaultErrnoRet-on-allow': NO_CHECK('that defaultErrnoRet goes with a default action that returns an errno'),
  'config-linux/seccomp/invalid-names-empty': NO_CHECK('for empty syscall name lists'),
  'config-linux/seccomp/invalid-metadata-without-listener': NO_CHECK('listenerMetadata without listenerPath'),
  'config-linux/rootfs-propagation/shared':
    "Both set the propagation of \"/\" before binding the rootfs and before pivot_root, and make the mount holding the rootfs private (pivot_root refuses a shared parent), so the new \"/\" ends up private. runc 1.2 applies rootfsPropagation to \"/\" again after pivot_root; husk should do the same (addon/mounts.c), not done here.",
  'config-linux/rootfs-propagation/slave':
    "Both make the mount holding the rootfs private before binding it (runc's prepareRoot; pivot_root refuses a shared parent), which cuts the rootfs off from the host's mount events. Re-applying rootfsPropagation to \"/\" after pivot_root (runc 1.2) would give the slave; not done in husk yet.",
  'config-linux/rootfs-propagation/unbindable':
    'runc 1.1.5 makes "/" unbindable before it binds the rootfs onto itself, and that bind then fails (EINVAL); husk binds first and makes the rootfs unbindable after.',
  'config-linux/masked-paths/absolute': NO_CHECK('that maskedPaths are absolute'),
  'config-linux/readonly-paths/absolute': NO_CHECK('that readonlyPaths are absolute'),
  'config-linux/personality/linux32': PREDATES('linux.personality', '1.0.2'),
  'config-linux/personality/linux': PREDATES('linux.personality', '1.0.2'),
  'config-linux/personality/invalid-domain': 'runc 1.1.5 ignores linux.personality altogether, so it cannot refuse a bad domain in it.',
  'config-linux/memory-policy': `Neither: ${PREDATES('linux.memoryPolicy', '1.3', 'no released runc')} ${HUSK_REFUSES('linux.memoryPolicy', 'no memoryPolicy entry')}`,
  'config-linux/memory-policy/invalid-mode': 'runc 1.1.5 ignores linux.memoryPolicy altogether (runtime-spec 1.3), so it cannot refuse a bad mode in it.',
  'config-linux/net-devices/moved': `Neither: ${PREDATES('linux.netDevices', '1.3', 'runc 1.3')} ${HUSK_REFUSES('linux.netDevices', 'netDevices enabled false')}`,
  'config-linux/net-devices/up': `Neither: ${PREDATES('linux.netDevices', '1.3', 'runc 1.3')} ${HUSK_REFUSES('linux.netDevices', 'netDevices enabled false')}`,
  'config-linux/net-devices/addresses': `Neither: ${PREDATES('linux.netDevices', '1.3', 'runc 1.3')} ${HUSK_REFUSES('linux.netDevices', 'netDevices enabled false')}`,
  // ---------------------------------------------------------------- features.md
  'features/mountOptions': "runc 1.1.5 lists 'ratime' and 'rnostrictatime' but fails them (see config/mount-options/ratime).",
};

/** Clauses runc passes and husk does not, accepted for now; each names what is missing and where it is tracked. */
const gaps: Record<string, string> = {};

export const EXPLANATIONS: Explanations = { explained, gaps };

// The one interface every cgroup implementation (v1, v2, hybrid) offers to the lifecycle code.
import type { DeviceCgroupRule, Resources } from '../spec/types';
import type { CgroupMode } from './host';
import type { OomCounters } from './stats';

/**
 * What husk stores in state.json so that later commands (start, kill, pause, delete) can find and
 * clean up the cgroup without re-reading the config or re-probing the host.
 */
export interface CgroupRecord {
  mode: CgroupMode;
  /**
   * The container's cgroup directory per hierarchy. v1 keys name the hierarchy's controllers as
   * /proc/self/cgroup does ("cpu,cpuacct", "memory", "name=systemd"); "" is the cgroup2 hierarchy
   * (pure v2, or the controller-less unified hierarchy of a hybrid host).
   */
  paths: Record<string, string>;
  /** Directories husk created, parents before children. destroy() removes these and nothing else. */
  created: string[];
  /**
   * linux.resources in force: what create applied, with every `update` overlaid (see
   * update-resources.ts). Absent when the config set none.
   */
  resources?: Resources;
  /**
   * The device rules husk appends to linux.resources.devices (runc's default allowlist, then one
   * rule per linux.devices entry; see default-device-rules.ts). The rules in force are
   * resources.devices followed by these; `update` replaces the first part and keeps these.
   */
  runtimeDeviceRules?: DeviceCgroupRule[];
}

export type Signal = NodeJS.Signals | number;

export interface Cgroup {
  readonly mode: CgroupMode;
  /** See CgroupRecord.paths. */
  readonly paths: Readonly<Record<string, string>>;
  /**
   * The cgroup2 directory, to open for clone3's CLONE_INTO_CGROUP; undefined on pure v1 hosts.
   * On hybrid hosts that only covers the unified hierarchy: call addProcess as well.
   */
  readonly unifiedPath: string | undefined;

  /**
   * Make the directories (recording which ones did not exist), and prepare them to receive
   * processes. Refuses a pre-existing cgroup that already holds processes. On failure removes
   * what it created and throws.
   */
  create(): void;
  /** Write `pid` into cgroup.procs in every hierarchy. */
  addProcess(pid: number): void;
  /**
   * Check and apply linux.resources (every field but devices; see resources.ts for the v1 and v2
   * translations). Fields set to their "not set" value (0 for limits) are left as they are, so
   * `update` can pass just what changes. Throws a HuskError naming the field for a bad value, a
   * field this cgroup version cannot express, or one the host lacks the controller or file for.
   */
  applyResources(resources: Resources | undefined): void;
  /**
   * `husk update`: check `change`, write it (with the other half of the memory limit/swap and
   * cpu quota/period pairs, from what is in force), and return the resources now in force.
   * `change.devices` replaces the config's device rules (the runtime's rules stay after them).
   */
  updateResources(change: Resources): Resources;
  /** The resources in force as far as husk applied them (see CgroupRecord.resources). */
  appliedResources(): Resources | undefined;
  /** Resource usage in the shape of runc's events "data" (bigints for u64 counters; see stats.ts). */
  stats(): Record<string, unknown>;
  /** OOM counters of the memory controller; undefined without one. */
  oomCounters(): OomCounters | undefined;
  /**
   * Enforce `configRules` followed by `runtimeRules`, with the v1 devices controller's meaning of
   * such a list: v1 writes them in order to devices.allow / devices.deny, v2 attaches an eBPF
   * program that decides the same (device-filter.ts). Keeps runtimeRules in the record.
   */
  applyDeviceRules(configRules: DeviceCgroupRule[], runtimeRules?: DeviceCgroupRule[]): void;
  /** Processes in the cgroup and its sub-cgroups, as pids of husk's pid namespace. */
  pids(): number[];
  /**
   * Send `signal` (default SIGKILL) to every process in the cgroup. The cgroup is frozen while
   * the list is taken and signalled, so nothing forks past the list. For SIGKILL this repeats until
   * the cgroup is empty (HuskError after ~10 s); other signals are sent once.
   */
  killAll(signal?: Signal): void;
  /** Freeze every process; returns once the kernel reports the cgroup frozen. */
  freeze(): void;
  thaw(): void;
  /** True only when the freezer reports FROZEN (false when there is no freezer or no cgroup). */
  isFrozen(): boolean;
  /** Whether the cgroup directories still exist. */
  exists(): boolean;
  /**
   * Remove the directories husk created, deepest first (with sub-cgroups the container made inside
   * them), retrying EBUSY while exiting tasks drain. Never removes a directory it did not create.
   */
  destroy(): void;
  toRecord(): CgroupRecord;
  /**
   * The container's directory in each v1 hierarchy, keyed by the hierarchy's host mount point
   * (what a "cgroup" mount in the config binds); empty on v2 and for a cgroup opened from a record.
   */
  v1DirectoriesByMountPoint(): Record<string, string>;
}

// "The child reports, the parent explains": the container side sends {step, errno, detail};
// this turns it into one sentence a user can act on. Step numbers mirror addon/sync.h.
import type { LaunchPlan } from '../linux/plan';

export const SyncType = {
  EOF: 0,
  GO: 1,
  USERNS_READY: 2,
  INIT_PID: 3,
  RUNTIME_HOOKS: 4,
  READY: 5,
  ERROR: 6,
  SECCOMP_LISTENER: 7,
  TIMEOUT: -1,
} as const;

/** Index = step number in addon/sync.h (enum husk_step, starting at 1). */
const STEP_NAMES = [
  '',
  'talking to husk over the sync socket',
  'resetting signal handlers',
  'joining namespace',
  'creating the user namespace',
  'becoming root in the new user namespace (is container uid/gid 0 mapped?)',
  'creating namespaces',
  'writing time namespace offsets',
  'cloning the container init',
  'setting the propagation of /',
  'bind-mounting the rootfs onto itself',
  'opening the rootfs',
  'creating mount destination',
  'mounting',
  'remounting bind mount with its options',
  'setting mount propagation',
  'setting recursive mount attributes',
  'creating device',
  'creating /dev symlink',
  'running createContainer hook',
  'entering the rootfs (pivot_root)',
  'making the root filesystem read-only',
  'masking path',
  'making path read-only',
  'setting the hostname',
  'setting the domainname',
  'setting rlimit',
  'starting a new session',
  'setting additional groups',
  'setting gid',
  'setting uid',
  'setting umask',
  'changing to the working directory',
  'finding the program to run',
  'preparing file descriptors',
  'waiting for start',
  'running startContainer hook',
  'executing the program',
  'setting capabilities',
  'setting no_new_privs',
  'joining a new session keyring',
  "copying what the image has at the mount destination into the new tmpfs (tmpcopyup) for",
] as const;

/** Seccomp and process-attribute steps: addon/sync.h numbers them from 200 (STEP_SECCOMP). */
const SECURITY_STEPS: Readonly<Record<number, string>> = {
  200: 'loading the seccomp filter',
  201: 'handing the seccomp listener to husk',
  202: 'writing sysctl',
  203: 'setting the scheduler (process.scheduler)',
  204: 'setting the I/O priority (process.ioPriority)',
  205: 'setting the personality (linux.personality)',
  206: 'setting the LSM exec label',
};

/** Terminal and exec steps: addon/sync.h numbers them from 100 (STEP_CONSOLE). */
const TERMINAL_AND_EXEC_STEPS: Readonly<Record<number, string>> = {
  100: 'setting up the terminal',
  101: "joining the container's namespaces",
  102: "starting the process in the container's pid namespace",
  103: 'making the process non-dumpable',
};

/** The detail of a terminal step: enum husk_console_stage in addon/console.h. */
const CONSOLE_STAGES = [
  'starting a new session',
  'opening /dev/ptmx (does the container mount devpts on /dev/pts?)',
  'unlocking the pty',
  'reading the pty number',
  'setting the window size (process.consoleSize)',
  'opening the pty slave',
  "giving the pty slave to the process's uid",
  'creating /dev/console',
  'binding the pty slave onto /dev/console',
  'sending the pty master to the console socket',
  'making the pty slave stdin, stdout and stderr',
  'making the pty the controlling terminal',
];

/** Name of a step number, from whichever table holds it. */
function stepName(step: number): string | undefined {
  return STEP_NAMES[step] ?? SECURITY_STEPS[step] ?? TERMINAL_AND_EXEC_STEPS[step];
}

export const Step = Object.fromEntries(STEP_NAMES.map((name, index) => [name, index]));

function errnoName(errno: number, describe: (errno: number) => string): string {
  return describe(errno);
}

/** What the failed step was working on, in the config's terms. */
function subject(step: number, detail: number, plan: LaunchPlan): string {
  const name = stepName(step) ?? '';
  const security = securitySubject(name, detail, plan);
  if (security !== null) return security;
  if (name === TERMINAL_AND_EXEC_STEPS[100]) return CONSOLE_STAGES[detail] ? `: ${CONSOLE_STAGES[detail]}` : '';
  if (detail < 0) {
    if (name.startsWith('changing to the working')) return ` ${plan.cwd}`;
    if (name.startsWith('finding the program')) return ` '${plan.args[0]}' (PATH inside the container: ${pathOf(plan)})`;
    if (name.startsWith('setting uid')) return ` ${plan.uid}`;
    if (name.startsWith('setting gid')) return ` ${plan.gid}`;
    if (name.startsWith('setting the hostname')) return ` '${plan.hostname}'`;
    if (name.startsWith('bind-mounting the rootfs') || name.startsWith('opening the rootfs')) return ` ${plan.rootfs}`;
    return '';
  }
  if (name.startsWith('joining namespace')) {
    const join = plan.joins[detail];
    return join ? ` ${join.path}` : '';
  }
  if (name.includes('mount') && !name.includes('rootfs') && plan.mounts[detail]) {
    const m = plan.mounts[detail];
    const what = m.fstype ? `${m.fstype} on ${m.destination}` : `${m.source} on ${m.destination}`;
    return ` ${what} (mounts[${detail}])`;
  }
  if (name.startsWith('creating device') && plan.devices[detail]) return ` ${plan.devices[detail].path}`;
  if (name.startsWith('creating /dev symlink') && plan.symlinks[detail]) return ` ${plan.symlinks[detail].path}`;
  if (name.startsWith('masking path')) return ` ${plan.maskedPaths[detail] ?? ''} (linux.maskedPaths[${detail}])`;
  if (name.startsWith('making path read-only')) return ` ${plan.readonlyPaths[detail] ?? ''} (linux.readonlyPaths[${detail}])`;
  if (name.startsWith('setting rlimit') && plan.rlimits[detail]) return ` process.rlimits[${detail}]`;
  if (name.startsWith('running createContainer hook')) {
    const hook = plan.createContainerHooks[detail];
    return hook ? ` hooks.createContainer[${detail}] ${hook.path}` : '';
  }
  return '';
}

function securitySubject(name: string, detail: number, plan: LaunchPlan): string | null {
  if (name === SECURITY_STEPS[202]) {
    const sysctl = plan.sysctls?.[detail];
    return sysctl ? ` ${sysctl.path} = '${sysctl.value}'` : '';
  }
  if (name === SECURITY_STEPS[206]) {
    return detail === 0 ? ` AppArmor profile '${plan.apparmorProfile}'` : ` SELinux label '${plan.selinuxLabel}'`;
  }
  return null;
}

/** Why a security step most likely failed, when the errno alone does not say it. */
function securityHint(name: string, errno: number): string {
  if (name === SECURITY_STEPS[200] && errno === 13 /* EACCES */) {
    return ' (without process.noNewPrivileges the filter needs CAP_SYS_ADMIN in the container\'s user namespace)';
  }
  if (name === SECURITY_STEPS[200] && errno === 22 /* EINVAL */) {
    return ' (a linux.seccomp.flags entry this kernel lacks?)';
  }
  if (name === SECURITY_STEPS[202] && errno === 18 /* EXDEV */) {
    return ' (not a procfs file: is proc mounted on /proc?)';
  }
  // addon/mounts.c husk_finish_rootfs: paths opened once, inside the root, never through a symlink.
  if ((name === 'masking path' || name === 'making path read-only') && errno === 40 /* ELOOP */) {
    return ' (the path is a symbolic link or goes through one; masked and read-only paths are not followed through symlinks)';
  }
  if (name === 'masking path' && errno === 19 /* ENODEV */) {
    return " (the container's /dev/null is not the null device 1:3 itself, so it cannot cover a file)";
  }
  if (name.startsWith('changing to the working') && errno === 18 /* EXDEV */) {
    // addon/process.c husk_check_cwd_inside: the CVE-2024-21626 check.
    return " (it is outside the container's root, reached through a file descriptor from outside; refused)";
  }
  return '';
}

function pathOf(plan: LaunchPlan): string {
  const entry = plan.env.find((e) => e.startsWith('PATH='));
  return entry ? entry.slice(5) : '(not set)';
}

/**
 * One line: "container init failed mounting proc on /proc (mounts[0]): EPERM: Operation not permitted".
 */
export function explainChildFailure(
  step: number,
  errno: number,
  detail: number,
  plan: LaunchPlan,
  describeErrno: (errno: number) => string,
  /** Who failed, for the sentence: the init, or "exec'd process". */
  who = 'container init',
): string {
  const name = stepName(step) ?? `step ${step}`;
  let reason = errnoName(errno, describeErrno) + securityHint(name, errno);
  if (name.startsWith('running createContainer hook')) {
    // addon/process.h: HUSK_HOOK_EXITED (1000) + status, HUSK_HOOK_SIGNALED (2000) + signal.
    if (errno === 110 /* ETIMEDOUT */) reason = 'timed out';
    else if (errno >= 2000) reason = `killed by signal ${errno - 2000}`;
    else if (errno >= 1000) reason = `exited with status ${errno - 1000}`;
  }
  return `${who} failed ${name}${subject(step, detail, plan)}: ${reason}`;
}

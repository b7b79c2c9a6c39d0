/* The container side, from clone3 to execve.
 *
 *   husk (Node) --clone3--> stage 1: joins namespaces, creates the user namespace (the parent
 *                           writes its maps), unshares the rest, then clones the init with
 *                           CLONE_PARENT and exits.
 *                           stage 2 = the init: pid 1 of a new pid namespace, sibling of
 *                           stage 1, child of husk (so `run` can wait for it; when husk exits
 *                           it goes to husk's subreaper: containerd's shim, conmon).
 *
 * Two stages because a pid or time namespace only applies to children of the process that
 * unshares it, and because joins must come before the new namespaces are made (a joined user
 * namespace owns them). Both stages run only async-signal-safe code: Node is multithreaded and
 * any lock another thread held at clone time stays held forever here. */
#include "clone.h"
#include "attributes.h"
#include "console.h"
#include "devices.h"
#include "memory.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "seccomp.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

static long raw_clone3(uint64_t flags, int cgroup_fd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  /* clone3 refuses an exit signal with CLONE_PARENT: the kernel gives the init stage 1's own
   * (SIGCHLD), so husk is notified as for any child. */
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  if (flags & CLONE_INTO_CGROUP) args.cgroup = (uint64_t)cgroup_fd;
  return syscall(SYS_clone3, &args, sizeof args);
}

/* Node's signal handlers would run Node code here; the container starts with the defaults. */
static void reset_signal_dispositions(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL); /* glibc-internal signals refuse with EINVAL: fine */
  }
}

static void wait_for_go(struct husk_plan *plan, char *payload, size_t capacity) {
  struct husk_sync_msg msg;
  int rc = husk_sync_recv(plan->sync_fd, &msg, payload, capacity);
  if (rc < 0) FAIL(plan, STEP_SYNC, rc, -1);
  if (msg.type != SYNC_GO) _exit(1); /* the parent gave up on us */
}

static void run_init(struct husk_plan *plan) __attribute__((noreturn));

static void run_stage1(struct husk_plan *plan) __attribute__((noreturn));
static void set_dumpable(struct husk_plan *plan, int dumpable) {
  if (prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) < 0) FAIL(plan, STEP_DUMPABLE, errno, -1);
}

void husk_close_first_fds(struct husk_plan *plan) {
  for (int i = 0; i < plan->n_close_first_fds; i++) close(plan->close_first_fds[i]);
}

static void run_stage1(struct husk_plan *plan) {
  husk_close_first_fds(plan);
  reset_signal_dispositions();
  /* Not dumpable from here to the init's execve (which makes the program dumpable again): until
   * then stage 1 and the init are copies of node with husk's environment, fds and privileges, and
   * a process that can see them (one exec'd into the container, another container in the same pid
   * namespace) must not ptrace them, read /proc/<pid>/environ, or open /proc/<pid>/exe (the node
   * binary: CVE-2019-5736) or /proc/<pid>/fd/N (the exec fifo; CVE-2016-9962). The init inherits
   * this; a non-dumpable task's /proc files need CAP_SYS_PTRACE in the host user namespace. */
  set_dumpable(plan, 0);
  /* First, so that the init (cloned below) inherits as little as possible: husk's malloc heaps,
   * which nothing here reads (memory.c). */
  husk_release_parent_memory(plan);
  /* The parent moves us into the container's cgroups first (cgroup v1 has no CLONE_INTO_CGROUP),
   * so that everything below, and the init, is accounted there from its first instruction. */
  wait_for_go(plan, NULL, 0);
  husk_join_namespaces(plan);
  /* Dumpable while husk writes our uid/gid maps and we write /proc/self/timens_offsets: a
   * non-dumpable task's /proc files belong to host root, which neither a rootless husk nor we
   * (root of the new user namespace only) are. runc makes the same exception. Nothing of the
   * container can see stage 1 meanwhile: it stays in husk's pid namespace. */
  if (plan->new_user_namespace) {
    set_dumpable(plan, 1);
    husk_enter_new_user_namespace(plan);
  }
  husk_unshare_namespaces(plan);
  set_dumpable(plan, 0);

  long init_pid = raw_clone3(CLONE_PARENT, -1);
  if (init_pid < 0) FAIL(plan, STEP_CLONE_INIT, errno, -1);
  if (init_pid == 0) run_init(plan);
  husk_sync_send(plan->sync_fd, SYNC_INIT_PID, (int)init_pid, 0, -1);
  _exit(0);
}

static void run_init(struct husk_plan *plan) {
  /* Setup creates files with exact modes; the process's own umask is set just before exec. */
  umask(0);
  int root_fd = -1;
  if (plan->rootfs_setup == HUSK_ROOTFS_NEW_NAMESPACE) {
    root_fd = husk_prepare_rootfs(plan);
    husk_mount_all(plan, root_fd);
    husk_create_devices(plan, root_fd);
  }

  /* prestart and createRuntime hooks run in husk, now, in the runtime's namespaces. */
  if (husk_sync_send(plan->sync_fd, SYNC_RUNTIME_HOOKS, 0, 0, -1) < 0) _exit(1);
  wait_for_go(plan, plan->payload, plan->payload_capacity);
  int failed = -1;
  int rc = husk_run_child_hooks(plan, plan->create_container_hooks, plan->n_create_container_hooks, &failed);
  if (rc < 0) FAIL(plan, STEP_CREATE_CONTAINER_HOOK, rc, failed);

  if (plan->rootfs_setup == HUSK_ROOTFS_NEW_NAMESPACE) husk_enter_rootfs(plan, root_fd);
  else if (plan->rootfs_setup == HUSK_ROOTFS_CHROOT) husk_chroot_rootfs(plan);
  /* HUSK_ROOTFS_JOINED: setns put us at the joined namespace's root, which is the container's. */
  /* runc's place for the console: after pivot_root (the pty must come from the container's
   * devpts), before the root becomes read-only (/dev/console may have to be created). */
  if (plan->terminal) husk_setup_console(plan);
  husk_write_sysctls(plan);
  husk_finish_rootfs(plan);
  husk_set_identity(plan);
  husk_finish_process_setup(plan);
  if (husk_sync_send(plan->sync_fd, SYNC_READY, 0, 0, -1) < 0) _exit(1);
  close(plan->sync_fd);

  husk_wait_for_start(plan);
  rc = husk_run_child_hooks(plan, plan->start_container_hooks, plan->n_start_container_hooks, &failed);
  if (rc < 0) {
    /* `start` reads this and fails; the container stops (runtime-spec: a failed startContainer
     * hook is an error and the container must stop). */
    husk_report_start_failure(plan, rc == -ETIMEDOUT ? "hook-timeout" : "hook", failed);
    _exit(1);
  }
  husk_exec(plan);
}

void husk_finish_process_setup(struct husk_plan *plan) {
  husk_set_scheduling(plan);
  husk_set_lsm_labels(plan);
  /* Seccomp as late as possible, so the fewest syscalls of ours must pass the container's filter.
   * Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the user switch may drop:
   * then it goes first (runc orders it the same way). Either way before husk hears the process is
   * ready: a listener fd must reach husk over the sync socket, and a failure is still an error of
   * the command that started it. */
  if (plan->seccomp_before_user_switch) husk_seccomp_install(plan);
  husk_prepare_process(plan);
  husk_prepare_fds(plan);
  if (!plan->seccomp_before_user_switch) husk_seccomp_install(plan);
  husk_set_personality(plan);  /* after the filter, as runc: a profile decides which personas */
}

void husk_close_plan_fds(struct husk_plan *plan) {
  for (int i = 0; i < plan->n_joins; i++)
    if (plan->joins[i].fd >= 0) close(plan->joins[i].fd);
  if (plan->exec_fifo_fd >= 0) close(plan->exec_fifo_fd);
  if (plan->result_fifo_fd >= 0) close(plan->result_fifo_fd);
}

int husk_spawn_stage1(struct husk_plan *plan, husk_stage1_fn stage1, pid_t *stage1_pid, int *sync_fd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return husk_neg_errno();
  /* Keep our own fds clear of the range the caller asked to preserve (3 .. 3+N-1). */
  int floor = 3 + plan->preserve_fds;
  pair[0] = husk_move_fd_above(pair[0], floor);
  pair[1] = husk_move_fd_above(pair[1], floor);
  plan->sync_fd = pair[1];

  uint64_t flags = plan->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0;
  long pid = raw_clone3(flags, plan->cgroup_fd);
  if (pid == 0) {
    close(pair[0]);
    stage1(plan);
  }
  int rc = pid < 0 ? husk_neg_errno() : 0;
  close(pair[1]);
  if (rc < 0) {
    close(pair[0]);
    return rc;
  }
  *stage1_pid = (pid_t)pid;
  *sync_fd = pair[0];
  return 0;
}

int husk_spawn_init(struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd) {
  int rc = husk_spawn_stage1(plan, run_stage1, stage1_pid, sync_fd);
  husk_close_plan_fds(plan); /* the child has its copies */
  return rc;
}

/* The pieces of the launch that exec.c shares (see clone.h). */
long husk_raw_clone3(uint64_t flags, int cgroup_fd) { return raw_clone3(flags, cgroup_fd); }
void husk_reset_signal_dispositions(void) { reset_signal_dispositions(); }
void husk_wait_for_go(struct husk_plan *plan) { wait_for_go(plan, NULL, 0); }

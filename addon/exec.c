/* The exec'd process, from clone3 to execve (protocol in exec.h).
 *
 * One setns call with the init's pidfd joins every namespace of the container at once, user
 * namespace included (Linux 5.8): no namespace file is opened by path, so nothing can swap one
 * between an open and a join, and the kernel applies the set atomically in the right order.
 * A pid or time namespace only applies to children of the joining process, hence the second
 * clone. Like clone.c, everything after the first clone3 is async-signal-safe. */
#include "exec.h"
#include "attributes.h"
#include "clone.h"
#include "console.h"
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
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

static void run_exec_process(struct husk_plan *plan) __attribute__((noreturn));
static void run_exec_process(struct husk_plan *plan) {
  /* The order of clone.c's run_init from the console on, which is runc's (setns_init_linux.go). */
  if (plan->terminal) husk_setup_console(plan);
  husk_finish_process_setup(plan);

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The sync socket is close-on-exec: husk reads end-of-file when this succeeds. */
  execve(plan->exec_path, plan->argv, plan->envp);
  FAIL(plan, STEP_EXEC, errno, -1);
}

static void run_exec_stage1(struct husk_plan *plan) __attribute__((noreturn));
static void run_exec_stage1(struct husk_plan *plan) {
  husk_close_first_fds(plan);
  husk_reset_signal_dispositions();
  /* Not dumpable until execve: a process of the container must not ptrace or open
   * /proc/<pid>/fd of ours while we still hold host fds and full privileges (runc does the
   * same, CVE-2016-9962). execve makes it dumpable again (unless it changes credentials). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) FAIL(plan, STEP_DUMPABLE, errno, -1);
  /* husk moves us into the container's cgroups first (v1 needs writes; v2 used CLONE_INTO_CGROUP). */
  husk_wait_for_go(plan);
  if (plan->ns_flags && setns(plan->ns_pidfd, plan->ns_flags) < 0) FAIL(plan, STEP_JOIN_CONTAINER, errno, -1);
  close(plan->ns_pidfd);
  /* Joining a mount namespace puts us at its root, which is the container's after pivot_root.
   * An init that only chrooted (no mount namespace of its own, or --no-pivot) has another root:
   * take the init's own, as `nsenter --root` does, so the process sees what the init sees. */
  if (plan->root_fd >= 0) {
    if (fchdir(plan->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) FAIL(plan, STEP_JOIN_CONTAINER, errno, 1);
    close(plan->root_fd);
  }

  long pid = husk_raw_clone3(CLONE_PARENT, -1);
  if (pid < 0) FAIL(plan, STEP_CLONE_PROCESS, errno, -1);
  if (pid == 0) run_exec_process(plan);
  husk_sync_send(plan->sync_fd, SYNC_INIT_PID, (int)pid, 0, -1);
  _exit(0);
}

int husk_spawn_exec(struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd) {
  return husk_spawn_stage1(plan, run_exec_stage1, stage1_pid, sync_fd);
}

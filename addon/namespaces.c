#include "namespaces.h"
#include "credentials.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void husk_join_namespaces(struct husk_plan *plan) {
  /* binding.cc orders the joins user first: the other setns calls need the capabilities the
   * joined user namespace gives over its namespaces. */
  for (int i = 0; i < plan->n_joins; i++) {
    if (setns(plan->joins[i].fd, plan->joins[i].clone_flag) < 0)
      husk_child_fail(plan->sync_fd, STEP_SETNS, errno, i);
    close(plan->joins[i].fd);
  }
}

void husk_enter_new_user_namespace(struct husk_plan *plan) {
  struct husk_sync_msg msg;
  if (unshare(CLONE_NEWUSER) < 0) husk_child_fail(plan->sync_fd, STEP_UNSHARE_USER, errno, -1);
  /* The maps can only be written from outside (we hold no capability in the parent namespace). */
  if (husk_sync_send(plan->sync_fd, SYNC_USERNS_READY, getpid(), 0, -1) < 0) _exit(1);
  if (husk_sync_recv(plan->sync_fd, &msg, NULL, 0) < 0 || msg.type != SYNC_GO) _exit(1);
  /* runc does the same: become root of the new namespace so that the rest of the setup
   * (mounts, mknod, sethostname) runs with the namespace's full capabilities. */
  if (husk_setresgid(0, 0, 0) < 0) husk_child_fail(plan->sync_fd, STEP_BECOME_ROOT, errno, 0);
  if (husk_setresuid(0, 0, 0) < 0) husk_child_fail(plan->sync_fd, STEP_BECOME_ROOT, errno, 1);
}

static void write_time_offsets(struct husk_plan *plan) {
  char text[160], number[24];
  const struct husk_time_offsets *t = &plan->time_offsets;
  text[0] = '\0';
  husk_append(text, sizeof text, "monotonic ");
  husk_format_i64(number, t->monotonic_secs);
  husk_append(text, sizeof text, number);
  husk_append(text, sizeof text, " ");
  husk_format_i64(number, t->monotonic_nanosecs);
  husk_append(text, sizeof text, number);
  husk_append(text, sizeof text, "\nboottime ");
  husk_format_i64(number, t->boottime_secs);
  husk_append(text, sizeof text, number);
  husk_append(text, sizeof text, " ");
  husk_format_i64(number, t->boottime_nanosecs);
  husk_append(text, sizeof text, number);
  husk_append(text, sizeof text, "\n");

  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) husk_child_fail(plan->sync_fd, STEP_TIME_OFFSETS, errno, -1);
  int rc = husk_write_all(fd, text, strlen(text));
  if (rc < 0) husk_child_fail(plan->sync_fd, STEP_TIME_OFFSETS, rc, -1);
  close(fd);
}

void husk_unshare_namespaces(struct husk_plan *plan) {
  if (plan->new_namespace_flags && unshare(plan->new_namespace_flags) < 0)
    husk_child_fail(plan->sync_fd, STEP_UNSHARE, errno, -1);
  /* Offsets must be written before any process lives in the new time namespace: the init we
   * clone next is its first member. */
  if ((plan->new_namespace_flags & CLONE_NEWTIME) && plan->has_time_offsets) write_time_offsets(plan);
}

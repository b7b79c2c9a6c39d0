/* Seccomp, the installing half: the container side loads the program husk compiled
 * (seccomp-compile.c) with one raw syscall, and hands a listener fd to an agent. No libseccomp. See
 * seccomp.h for why the two halves are kept apart. */
#include "seccomp.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

int husk_seccomp_send_to_agent(const char *path, int listener_fd, const char *state_json, size_t length) {
  int sock = husk_unix_connect(path);
  if (sock < 0) return sock;
  int rc = 0;

  /* The fd goes with the first sendmsg only (config-linux.md, "The Container Process State"). */
  size_t sent = 0;
  while (rc == 0 && sent < length) {
    long n = husk_send_with_fd(sock, state_json + sent, length - sent, sent == 0 ? listener_fd : -1);
    if (n < 0) rc = (int)n;
    else sent += (size_t)n;
  }
  /* One state per connection, then close (the agent reads until end-of-file). */
  close(sock);
  return rc;
}

/* =====================================================================================
 * Child side. Runs after clone3: raw syscalls only, nothing allocated, no libseccomp.
 * ===================================================================================== */

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

int husk_seccomp_load(const void *instructions, size_t length, unsigned int flags) {
  if (length == 0 || length > BPF_MAXINSNS) return -EINVAL;
  struct sock_fprog program = {(unsigned short)length, (struct sock_filter *)instructions};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
  return rc < 0 ? husk_neg_errno() : (int)rc;
}

void husk_seccomp_install(struct husk_plan *plan) {
  if (!plan->seccomp_program) return;
  int listener = husk_seccomp_load(plan->seccomp_program, plan->seccomp_program_length, plan->seccomp_flags);
  if (listener < 0) FAIL(plan, STEP_SECCOMP, listener, -1);
  if (!(plan->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return;

  /* From here on every syscall passes the filter, so the handover uses only sendmsg and recvmsg,
   * which the plan refuses to have notified (a notified call would wait for an agent that does
   * not have the fd yet). husk passes the fd on and answers GO, or gives up on us. */
  int rc = husk_sync_send_fd(plan->sync_fd, SYNC_SECCOMP_LISTENER, 0, listener);
  if (rc < 0) FAIL(plan, STEP_SECCOMP_LISTENER, rc, -1);
  close(listener);
  struct husk_sync_msg msg;
  rc = husk_sync_recv(plan->sync_fd, &msg, NULL, 0);
  if (rc < 0) FAIL(plan, STEP_SECCOMP_LISTENER, rc, -1);
  if (msg.type != SYNC_GO) _exit(1);
}

int husk_seccomp_flags_supported(unsigned int flags) {
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) == 0) return 1; /* cannot happen */
  if (errno == EFAULT) return 1;
  if (errno == EINVAL) return 0;
  return husk_neg_errno();
}

#include "keyring.h"
#include "sync.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "possessor search" is granted on top of the kernel's default permissions, as runc does, so
 * that processes joining later by name (exec) can find the ring. */
#define KEY_USR_SEARCH 0x00080000u

static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c) {
  return syscall(SYS_keyctl, op, a, b, c, 0);
}

/* KEYCTL_DESCRIBE gives "type;uid;gid;perm;description" with perm in hex. */
static int current_permissions(long key, char *buf, size_t cap, unsigned long *perm) {
  long n = keyctl(KEYCTL_DESCRIBE, (unsigned long)key, (unsigned long)buf, cap - 1);
  if (n < 0) return -errno;
  buf[(size_t)n < cap ? (size_t)n : cap - 1] = '\0';
  char *field = buf;
  for (int i = 0; i < 3 && field; i++) {
    field = strchr(field, ';');
    if (field) field++;
  }
  if (!field) return -EPROTO;
  unsigned long value = 0;
  for (; *field && *field != ';'; field++) {
    char c = *field;
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return -EPROTO;
    value = value * 16 + (unsigned long)digit;
  }
  *perm = value;
  return 0;
}

void husk_join_session_keyring(struct husk_plan *plan) {
  if (!plan->session_keyring) return;
  long key = keyctl(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)plan->session_keyring, 0, 0);
  if (key < 0) {
    /* A kernel without keyrings: the feature is best effort (as in runc). */
    if (errno == ENOSYS) return;
    husk_child_fail(plan->sync_fd, STEP_SESSION_KEYRING, errno, -1);
  }
  unsigned long perm = 0;
  int rc = current_permissions(key, plan->scratch, 256, &perm);
  if (rc < 0) husk_child_fail(plan->sync_fd, STEP_SESSION_KEYRING, rc, -1);
  if (keyctl(KEYCTL_SETPERM, (unsigned long)key, perm | KEY_USR_SEARCH, 0) < 0)
    husk_child_fail(plan->sync_fd, STEP_SESSION_KEYRING, errno, -1);
}

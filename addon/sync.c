#include "sync.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int husk_sync_send(int fd, int type, int value, int error, int detail) {
  struct husk_sync_msg msg = {type, value, error, detail};
  /* write, not send: READY goes out after the seccomp filter is loaded (with no_new_privs), and
   * a profile that works under runc (which writes to its sync pipe there) allows write but need
   * not allow sendto. A write to a closed peer raises SIGPIPE, which ends this child just as the
   * _exit after a failed send would. */
  for (;;) {
    ssize_t n = write(fd, &msg, sizeof msg);
    if (n == (ssize_t)sizeof msg) return 0;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? husk_neg_errno() : -EPROTO;
  }
}

int husk_sync_recv(int fd, struct husk_sync_msg *msg, char *buf, size_t cap) {
  struct iovec iov[2] = {{msg, sizeof *msg}, {buf, cap ? cap - 1 : 0}};
  struct msghdr hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.msg_iov = iov;
  hdr.msg_iovlen = buf ? 2 : 1;
  for (;;) {
    ssize_t n = recvmsg(fd, &hdr, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return husk_neg_errno();
    if (n == 0) {
      msg->type = SYNC_EOF;
      return 0;
    }
    if ((size_t)n < sizeof *msg) return -EPROTO;
    if (buf && cap) buf[(size_t)n - sizeof *msg] = '\0';
    return 0;
  }
}

void husk_child_fail(int sync_fd, int step, int error, int detail) {
  husk_sync_send(sync_fd, SYNC_ERROR, step, error < 0 ? -error : error, detail);
  _exit(1);
}

int husk_sync_send_fd(int fd, int type, int value, int passed_fd) {
  struct husk_sync_msg msg = {type, value, 0, -1};
  long n = husk_send_with_fd(fd, &msg, sizeof msg, passed_fd);
  if (n < 0) return (int)n;
  return n == (long)sizeof msg ? 0 : -EPROTO;
}

int husk_sync_recv_fd(int fd, struct husk_sync_msg *msg, int *passed_fd) {
  long n = husk_recv_with_fd(fd, msg, sizeof *msg, passed_fd);
  if (n < 0) return (int)n;
  if (n == 0) {
    msg->type = SYNC_EOF;
    return 0;
  }
  return (size_t)n < sizeof *msg ? -EPROTO : 0;
}

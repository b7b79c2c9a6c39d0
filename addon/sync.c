#include "sync.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int husk_sync_send(int fd, int type, int value, int error, int detail) {
  struct husk_sync_msg msg = {type, value, error, detail};
  for (;;) {
    ssize_t n = send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
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

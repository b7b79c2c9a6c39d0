/* Frames of the daemon protocol. The fds travel with the header's bytes: a unix stream socket
 * hands ancillary data to the recvmsg that reads the first byte it came with, so reading exactly
 * one header per recvmsg keeps each frame's fds with it. */
#include "frames.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return husk_neg_errno();
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

int husk_frame_send(int socket_fd, uint32_t type, int32_t a, int32_t b, int32_t c, const void *payload, size_t length,
                    const int *fds, int n_fds) {
  if (length > HUSK_FRAME_MAX_PAYLOAD || n_fds < 0 || n_fds > HUSK_FRAME_MAX_FDS) return -EINVAL;
  struct husk_frame header = {type, (uint32_t)length, a, b, c, (uint32_t)n_fds};
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(int) * HUSK_FRAME_MAX_FDS)];
  } control;
  struct iovec iov = {&header, sizeof header};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (n_fds > 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.space;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)n_fds);
  }
  ssize_t sent;
  do sent = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return husk_neg_errno();
  int rc = write_all(socket_fd, (const char *)&header + sent, sizeof header - (size_t)sent);
  if (rc == 0 && length > 0) rc = write_all(socket_fd, payload, length);
  return rc;
}

static int wait_readable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return husk_neg_errno();
  return ready == 0 ? -ETIMEDOUT : 0;
}

static int read_all(int fd, char *data, size_t length) {
  while (length > 0) {
    ssize_t n = recv(fd, data, length, MSG_WAITALL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return husk_neg_errno();
    if (n == 0) return -ECONNRESET;
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

static void close_all(int *fds, int n) {
  for (int i = 0; i < n; i++) close(fds[i]);
}

int husk_frame_recv(int socket_fd, struct husk_frame *header, char **payload, int *fds, int timeout_ms) {
  *payload = NULL;
  int rc = wait_readable(socket_fd, timeout_ms);
  if (rc < 0) return rc;
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(int) * HUSK_FRAME_MAX_FDS)];
  } control;
  struct iovec iov = {header, sizeof *header};
  struct msghdr msg;
  ssize_t n;
  do {
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return husk_neg_errno();
  if (n == 0) return -ECONNRESET;
  int received = 0;
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(cmsg) + sizeof(int) * (size_t)i, sizeof fd);
      if (received < HUSK_FRAME_MAX_FDS) fds[received++] = fd;
      else close(fd);
    }
  }
  if ((size_t)n < sizeof *header) rc = read_all(socket_fd, (char *)header + n, sizeof *header - (size_t)n);
  if (rc == 0 && (msg.msg_flags & MSG_CTRUNC)) rc = -EMSGSIZE;
  if (rc == 0 && (header->length > HUSK_FRAME_MAX_PAYLOAD || header->n_fds != (uint32_t)received)) rc = -EPROTO;
  if (rc == 0 && header->length > 0) {
    *payload = malloc(header->length + 1);
    if (!*payload) rc = -ENOMEM;
    else {
      rc = read_all(socket_fd, *payload, header->length);
      (*payload)[header->length] = '\0';
    }
  }
  if (rc < 0) {
    close_all(fds, received);
    free(*payload);
    *payload = NULL;
    return rc;
  }
  header->n_fds = (uint32_t)received;
  return 0;
}

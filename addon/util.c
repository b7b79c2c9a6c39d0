#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int husk_neg_errno(void) { return errno ? -errno : -EIO; }

int husk_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return husk_neg_errno();
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

size_t husk_format_i64(char *out, int64_t v) {
  char digits[24];
  size_t n = 0, len = 0;
  uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
  do {
    digits[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) out[len++] = '-';
  while (n) out[len++] = digits[--n];
  out[len] = '\0';
  return len;
}

int husk_copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n + 1 > cap) return -ENAMETOOLONG;
  memcpy(dst, src, n + 1);
  return 0;
}

const char *husk_exec_errno_name(int err) {
  switch (err) {
    case E2BIG: return "E2BIG";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ELIBBAD: return "ELIBBAD";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENFILE: return "ENFILE";
    case ENOENT: return "ENOENT";
    case ENOEXEC: return "ENOEXEC";
    case ENOMEM: return "ENOMEM";
    case ENOTDIR: return "ENOTDIR";
    case EPERM: return "EPERM";
    case ETXTBSY: return "ETXTBSY";
    default: return "error";
  }
}

int husk_append(char *dst, size_t cap, const char *src) {
  size_t have = strlen(dst);
  if (have >= cap) return -ENAMETOOLONG;
  return husk_copy(dst + have, cap - have, src);
}

void husk_fd_path(char *out, int fd) {
  memcpy(out, "/proc/self/fd/", 14);
  husk_format_i64(out + 14, fd);
}

int husk_move_fd_above(int fd, int min_fd) {
  if (fd >= min_fd) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  if (moved < 0) return husk_neg_errno();
  close(fd);
  return moved;
}

long husk_send_with_fd(int socket_fd, const void *data, size_t len, int fd) {
  struct iovec iov = {(void *)data, len};
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno != EINTR) return husk_neg_errno();
  }
}

long husk_recv_with_fd(int socket_fd, void *buf, size_t cap, int *fd) {
  struct iovec iov = {buf, cap};
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  *fd = -1;
  for (;;) {
    memset(&control, 0, sizeof control);
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return husk_neg_errno();
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS && cmsg->cmsg_len >= CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
    return n;
  }
}

/* A SOCK_STREAM unix socket, close-on-exec, and the address of `path` for it. */
static int unix_socket_for(const char *path, struct sockaddr_un *address) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof address->sun_path) return -ENAMETOOLONG;
  memcpy(address->sun_path, path, strlen(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return fd < 0 ? husk_neg_errno() : fd;
}

int husk_unix_connect(const char *path) {
  struct sockaddr_un address;
  int fd = unix_socket_for(path, &address);
  if (fd < 0) return fd;
  int rc;
  do rc = connect(fd, (struct sockaddr *)&address, sizeof address);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    rc = husk_neg_errno();
    close(fd);
    return rc;
  }
  return fd;
}

int husk_unix_listen(const char *path, int backlog) {
  struct sockaddr_un address;
  int fd = unix_socket_for(path, &address);
  if (fd < 0) return fd;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, backlog) < 0) {
    int rc = husk_neg_errno();
    close(fd);
    return rc;
  }
  return fd;
}

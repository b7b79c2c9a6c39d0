#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

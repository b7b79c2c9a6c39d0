/* Small async-signal-safe helpers for the container side: no malloc, no stdio, no locks. */
#ifndef HUSK_UTIL_H
#define HUSK_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Write all of buf, retrying on EINTR and short writes. 0 or -errno. */
int husk_write_all(int fd, const void *buf, size_t len);
/* Decimal text of v into out (capacity >= 24); returns the length. */
size_t husk_format_i64(char *out, int64_t v);
/* Bounded string copy/append; return -ENAMETOOLONG when it does not fit. */
int husk_copy(char *dst, size_t cap, const char *src);
int husk_append(char *dst, size_t cap, const char *src);
/* "/proc/self/fd/<fd>" into out (capacity >= 32). */
void husk_fd_path(char *out, int fd);
/* Move fd to the lowest free number >= min_fd, close-on-exec; returns the new fd or -errno. */
int husk_move_fd_above(int fd, int min_fd);
/* sendmsg `len` bytes of `data` on a unix socket with `fd` attached (SCM_RIGHTS; fd < 0: none),
 * retrying EINTR. Returns the bytes sent (maybe fewer than len) or -errno. */
long husk_send_with_fd(int socket_fd, const void *data, size_t len, int fd);
/* recvmsg up to `cap` bytes; *fd gets an attached fd (close-on-exec) or -1. Returns bytes or -errno. */
long husk_recv_with_fd(int socket_fd, void *buf, size_t cap, int *fd);
/* Current errno as a negative value. */
int husk_neg_errno(void);
/* The symbolic name of the errors execve(2) reports ("ENOENT"), else "error". A table of our own:
 * strerrorname_np is glibc's alone, and strerror may allocate (glibc translates). */
const char *husk_exec_errno_name(int err);
/* Parent side (console sockets, seccomp agents, the daemon): a SOCK_STREAM unix socket,
 * close-on-exec, connected to `path` / bound to it and listening. fd or -errno. */
int husk_unix_connect(const char *path);
int husk_unix_listen(const char *path, int backlog);

#endif

#include "copyup.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Deeper trees than this are refused (ELOOP): each level holds a directory buffer on the stack. */
#define COPY_MAX_DEPTH 32

struct dirent64_raw {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int copy_file_data(int in, int out) {
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n == 0) return 0;
    if (n > 0) continue;
    /* Across filesystems on older kernels, or from filesystems without it: sendfile. */
    if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS) return husk_neg_errno();
    break;
  }
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 30);
    if (n == 0) return 0;
    if (n < 0) return husk_neg_errno();
  }
}

/* Owner, then mode (chown clears set-id bits), then times: the copy looks like the original. */
static int copy_attributes(int dst, const char *name, const struct stat *st) {
  if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) return husk_neg_errno();
  if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0) return husk_neg_errno();
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0) return husk_neg_errno();
  return 0;
}

static int copy_tree_at(int src, int dst, char *link, int depth);

static int copy_entry(int src, int dst, const char *name, char *link, int depth) {
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return husk_neg_errno();
  int rc = 0;
  switch (st.st_mode & S_IFMT) {
  case S_IFDIR: {
    if (depth >= COPY_MAX_DEPTH) return -ELOOP;
    if (mkdirat(dst, name, 0700) < 0) return husk_neg_errno();
    int in = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return husk_neg_errno();
    int out = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (out < 0) rc = husk_neg_errno();
    else rc = copy_tree_at(in, out, link, depth + 1);
    close(in);
    if (out >= 0) close(out);
    break;
  }
  case S_IFREG: {
    int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return husk_neg_errno();
    int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) rc = husk_neg_errno();
    else rc = copy_file_data(in, out);
    close(in);
    if (out >= 0) close(out);
    break;
  }
  case S_IFLNK: {
    ssize_t n = readlinkat(src, name, link, PATH_MAX - 1);
    if (n < 0) return husk_neg_errno();
    link[n] = '\0';
    if (symlinkat(link, dst, name) < 0) return husk_neg_errno();
    break;
  }
  case S_IFIFO:
  case S_IFCHR:
  case S_IFBLK:
    if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) return husk_neg_errno();
    break;
  default:
    return 0; /* a socket is bound by a process; a copy would be a dead file (runc skips them too) */
  }
  if (rc < 0) return rc;
  return copy_attributes(dst, name, &st);
}

static int copy_tree_at(int src, int dst, char *link, int depth) {
  /* 8-byte aligned: getdents64 writes records with 64-bit fields. */
  unsigned long long buffer[256];
  for (;;) {
    long n = syscall(SYS_getdents64, src, buffer, sizeof buffer);
    if (n < 0) return husk_neg_errno();
    if (n == 0) return 0;
    for (long offset = 0; offset < n;) {
      struct dirent64_raw *entry = (struct dirent64_raw *)((char *)buffer + offset);
      offset += entry->d_reclen;
      const char *name = entry->d_name;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
      int rc = copy_entry(src, dst, name, link, depth);
      if (rc < 0) return rc;
    }
  }
}

int husk_copy_tree(int src, int dst, char *link) { return copy_tree_at(src, dst, link, 0); }

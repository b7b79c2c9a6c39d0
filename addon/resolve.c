#include "resolve.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int husk_open_in_root(int root_fd, const char *path, int extra_flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC | (uint64_t)extra_flags;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if (errno == EAGAIN || errno == EINTR) continue; /* RESOLVE_IN_ROOT retries on rename races */
    return husk_neg_errno();
  }
}

int husk_open_in_root_no_symlinks(int root_fd, const char *path) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  /* No O_NOFOLLOW: with it O_PATH would open a trailing symlink itself instead of failing. */
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if (errno == EAGAIN || errno == EINTR) continue;
    return husk_neg_errno();
  }
}

/* Split `path` (copied into scratch) at its last '/': returns the name, scratch keeps the dir. */
static const char *split_last(char *scratch) {
  size_t len = strlen(scratch);
  while (len > 1 && scratch[len - 1] == '/') scratch[--len] = '\0';
  char *slash = strrchr(scratch, '/');
  if (!slash) return scratch;
  *slash = '\0';
  return slash + 1;
}

static int mkdir_all_in_root(int root_fd, char *dir) {
  int fd = husk_open_in_root(root_fd, dir[0] ? dir : "/", O_DIRECTORY);
  if (fd != -ENOENT) return fd;
  /* Walk from the top: create each missing component inside its (resolved) parent. */
  size_t len = strlen(dir);
  for (size_t i = 1; i <= len; i++) {
    if (dir[i] != '/' && dir[i] != '\0') continue;
    char saved = dir[i];
    dir[i] = '\0';
    int existing = husk_open_in_root(root_fd, dir, O_DIRECTORY);
    if (existing == -ENOENT) {
      char *slash = strrchr(dir, '/');
      *slash = '\0';
      int parent = husk_open_in_root(root_fd, dir[0] ? dir : "/", O_DIRECTORY);
      *slash = '/';
      if (parent < 0) return parent;
      int rc = mkdirat(parent, slash + 1, 0755);
      close(parent);
      if (rc < 0 && errno != EEXIST) return husk_neg_errno();
      existing = husk_open_in_root(root_fd, dir, O_DIRECTORY);
    }
    dir[i] = saved;
    if (existing < 0) return existing;
    if (saved == '\0') return existing;
    close(existing);
  }
  return -ENOENT;
}

int husk_open_parent_in_root(int root_fd, const char *path, char *scratch, const char **name) {
  int rc = husk_copy(scratch, PATH_MAX, path);
  if (rc < 0) return rc;
  *name = split_last(scratch);
  return mkdir_all_in_root(root_fd, scratch);
}

int husk_create_in_root(int root_fd, const char *path, int create_file, char *scratch) {
  int fd = husk_open_in_root(root_fd, path, 0);
  if (fd != -ENOENT) return fd;
  const char *name;
  int parent = husk_open_parent_in_root(root_fd, path, scratch, &name);
  if (parent < 0) return parent;
  /* mkdirat/mknodat never follow a symlink in the last component: a dangling link there gives
   * EEXIST and the final openat2 then fails instead of creating something outside. */
  int rc = create_file ? mknodat(parent, name, S_IFREG | 0644, 0) : mkdirat(parent, name, 0755);
  int saved = errno;
  close(parent);
  if (rc < 0 && saved != EEXIST) return -saved;
  return husk_open_in_root(root_fd, path, 0);
}

/* The kernel's new mount API (open_tree, move_mount, fsopen, fsconfig, fsmount, mount_setattr) as
 * plain syscalls. glibc 2.36 has wrappers for them and musl 1.2 does not; the front end
 * (frontend.c) is built against musl, the addon against glibc, so both use these. Each returns
 * what the syscall does: a result >= 0, or -1 with errno set. */
#ifndef HUSK_MOUNT_API_H
#define HUSK_MOUNT_API_H

#include <fcntl.h>
#include <linux/mount.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int husk_open_tree(int dirfd, const char *path, unsigned int flags) {
  return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static inline int husk_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags) {
  return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int husk_fsopen(const char *fs_name, unsigned int flags) {
  return (int)syscall(SYS_fsopen, fs_name, flags);
}

static inline int husk_fsconfig(int fs_fd, unsigned int cmd, const char *key, const void *value, int aux) {
  return (int)syscall(SYS_fsconfig, fs_fd, cmd, key, value, aux);
}

static inline int husk_fsmount(int fs_fd, unsigned int flags, unsigned int attr_flags) {
  return (int)syscall(SYS_fsmount, fs_fd, flags, attr_flags);
}

static inline int husk_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr) {
  return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}

#endif

#include "mounts.h"
#include "copyup.h"
#include "mount-api.h"
#include "resolve.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

/* pivot_root refuses a new root whose parent mount is shared, and a bind of the rootfs under a
 * shared mount would propagate to the host. So the mount holding the rootfs is made private
 * first, whatever the root propagation, as runc does (prepareRoot: rootfsParentMountPrivate):
 * a non-recursive rootfsPropagation (private, slave, unbindable) leaves the mounts below "/"
 * shared, and a bundle on a shared host mount (every bundle on a systemd host) would fail
 * pivot_root with EINVAL. Its mount point is found by walking up from the rootfs: MS_PRIVATE on
 * a directory that is not a mount point fails with EINVAL. */
static int make_rootfs_parent_mount_private(struct husk_plan *plan) {
  char *path = plan->scratch;
  int rc = husk_copy(path, PATH_MAX, plan->rootfs);
  if (rc < 0) return rc;
  for (;;) {
    if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0) return 0;
    if (errno != EINVAL || strcmp(path, "/") == 0) return husk_neg_errno();
    char *slash = strrchr(path, '/');
    if (slash == path) slash[1] = '\0';
    else *slash = '\0';
  }
}

int husk_prepare_rootfs(struct husk_plan *plan) {
  /* Keep the container's mounts from propagating back to the host (runc's default: rslave). An
   * unbindable rootfs could not be bound onto itself below: it goes private first and becomes
   * unbindable after the bind (runc 1.1.5 fails here instead). */
  unsigned long unbindable = plan->rootfs_propagation & MS_UNBINDABLE;
  unsigned long propagation = unbindable ? (MS_PRIVATE | (plan->rootfs_propagation & MS_REC)) : plan->rootfs_propagation;
  if (mount(NULL, "/", NULL, propagation, NULL) < 0)
    FAIL(plan, STEP_ROOT_PROPAGATION, errno, -1);
  int rc = make_rootfs_parent_mount_private(plan);
  if (rc < 0) FAIL(plan, STEP_ROOT_PROPAGATION, rc, 1);
  /* pivot_root needs the new root to be a mount point. */
  if (mount(plan->rootfs, plan->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    FAIL(plan, STEP_ROOTFS_BIND, errno, -1);
  if (unbindable && mount(NULL, plan->rootfs, NULL, plan->rootfs_propagation, NULL) < 0)
    FAIL(plan, STEP_ROOT_PROPAGATION, errno, 2);
  int root_fd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) FAIL(plan, STEP_ROOTFS_OPEN, errno, -1);
  return root_fd;
}

/* Mount flags that the kernel keeps locked on a bind mount made inside a user namespace: a
 * remount must repeat them or it fails with EPERM. */
static unsigned long locked_flags_of(int fd) {
  struct statvfs st;
  if (fstatvfs(fd, &st) < 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  return flags;
}

static int remount_bind(const char *target, int fd, unsigned long flags) {
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0) return 0;
  if (errno != EPERM) return husk_neg_errno();
  unsigned long locked = locked_flags_of(fd) & ~(unsigned long)MS_RDONLY;
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | locked, NULL) == 0) return 0;
  return husk_neg_errno();
}

/* runc: a tmpfs without a mode= option gets the mode of the directory it covers (the kernel's
 * default, 1777, would turn e.g. a 0755 /run into a world-writable one). A directory the runtime
 * had to create keeps the kernel's default, as in runc. */
static const char *tmpfs_data_with_mode(const struct husk_mount *m, int fd, int existed, char *buf, size_t cap) {
  struct stat st;
  if (!existed || !m->fstype || strcmp(m->fstype, "tmpfs") != 0) return m->data;
  if (m->data && (strncmp(m->data, "mode=", 5) == 0 || strstr(m->data, ",mode="))) return m->data;
  if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) return m->data;
  char octal[8];
  size_t n = 0;
  unsigned mode = st.st_mode & 07777;
  do {
    octal[n++] = (char)('0' + (mode & 7));
    mode >>= 3;
  } while (mode);
  buf[0] = '\0';
  husk_append(buf, cap, "mode=");
  size_t len = strlen(buf);
  while (n && len + 1 < cap) buf[len++] = octal[--n];
  buf[len] = '\0';
  if (m->data && *m->data) {
    husk_append(buf, cap, ",");
    if (husk_append(buf, cap, m->data) < 0) return m->data;
  }
  return buf;
}

/* As runc: a read-only tmpfs is mounted writable, so that tmpcopyup can fill it and later mounts
 * can create their destinations in it (Podman: --tmpfs /etc:ro, then binds on /etc/hosts), and
 * is remounted read-only once every mount is made. */
static int is_readonly_tmpfs(const struct husk_mount *m) {
  return m->fstype && strcmp(m->fstype, "tmpfs") == 0 && (m->flags & MS_RDONLY);
}

static void mount_one(struct husk_plan *plan, int root_fd, int index) {
  const struct husk_mount *m = &plan->mounts[index];
  char target[32];
  char data[1024];
  int fd = husk_open_in_root(root_fd, m->destination, 0);
  int existed = fd >= 0;
  if (fd == -ENOENT) fd = husk_create_in_root(root_fd, m->destination, m->destination_is_file, plan->scratch);
  if (fd < 0) FAIL(plan, STEP_MOUNT_DESTINATION, fd, index);
  husk_fd_path(target, fd);
  const char *mount_data = tmpfs_data_with_mode(m, fd, existed, data, sizeof data);
  /* tmpcopyup: keep the covered directory open to copy from once the tmpfs hides it (runc
   * mounts the tmpfs elsewhere and moves it; the fd makes that unnecessary). */
  int covered = -1;
  if (m->copy_up && existed && (covered = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    FAIL(plan, STEP_MOUNT_COPYUP, errno, index);
  unsigned long first_flags = is_readonly_tmpfs(m) ? m->flags & ~(unsigned long)MS_RDONLY : m->flags;
  if (mount(m->source, target, m->fstype, first_flags, mount_data) < 0) FAIL(plan, STEP_MOUNT, errno, index);
  close(fd);

  /* The fd above names the covered directory; look the path up again to reach the new mount. */
  fd = husk_open_in_root(root_fd, m->destination, 0);
  if (fd < 0) FAIL(plan, STEP_MOUNT_DESTINATION, fd, index);
  husk_fd_path(target, fd);
  if (covered >= 0) {
    int into = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = into < 0 ? husk_neg_errno() : husk_copy_tree(covered, into, plan->scratch);
    if (into >= 0) close(into);
    close(covered);
    if (rc < 0) FAIL(plan, STEP_MOUNT_COPYUP, rc, index);
  }
  if (m->remount_flags) {
    int rc = remount_bind(target, fd, m->remount_flags);
    if (rc < 0) FAIL(plan, STEP_MOUNT_REMOUNT, rc, index);
  }
  for (int i = 0; i < m->n_propagation; i++)
    if (mount(NULL, target, NULL, m->propagation[i], NULL) < 0) FAIL(plan, STEP_MOUNT_PROPAGATION, errno, index);
  if (m->rec_attr_set || m->rec_attr_clear) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = m->rec_attr_set;
    attr.attr_clr = m->rec_attr_clear;
    if (husk_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
      FAIL(plan, STEP_MOUNT_SETATTR, errno, index);
  }
  close(fd);
}

void husk_mount_all(struct husk_plan *plan, int root_fd) {
  for (int i = 0; i < plan->n_mounts; i++) mount_one(plan, root_fd, i);
  for (int i = 0; i < plan->n_mounts; i++) {
    if (!is_readonly_tmpfs(&plan->mounts[i])) continue;
    char target[32];
    int fd = husk_open_in_root(root_fd, plan->mounts[i].destination, 0);
    if (fd < 0) FAIL(plan, STEP_MOUNT_DESTINATION, fd, i);
    husk_fd_path(target, fd);
    if (mount(NULL, target, NULL, MS_REMOUNT | plan->mounts[i].flags, NULL) < 0) FAIL(plan, STEP_MOUNT_REMOUNT, errno, i);
    close(fd);
  }
}

void husk_enter_rootfs(struct husk_plan *plan, int root_fd) {
  if (fchdir(root_fd) < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 0);
  if (plan->no_pivot) {
    /* --no-pivot (for ramfs roots, where pivot_root is impossible): move the rootfs over "/"
     * and chroot into it. Weaker: the old root stays reachable to a process that escapes chroot. */
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 1);
    if (chroot(".") < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 2);
  } else {
    int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (old_root < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 3);
    /* pivot_root(".", ".") stacks the old root on top of the new one; we then detach it from
     * there, so no directory for the old root is needed inside the container. */
    if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 4);
    if (fchdir(old_root) < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 5);
    /* Make sure the unmount does not propagate to the host's mounts. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 6);
    if (umount2(".", MNT_DETACH) < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 7);
    close(old_root);
  }
  if (chdir("/") < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 8);
  close(root_fd);
}

void husk_chroot_rootfs(struct husk_plan *plan) {
  if (chdir(plan->rootfs) < 0 || chroot(".") < 0 || chdir("/") < 0) FAIL(plan, STEP_PIVOT_ROOT, errno, 9);
}

/* Masked and read-only paths are set up after pivot_root, in a root the container's image (and
 * anything racing with us in its mount namespace) controls. So every path is opened once, inside
 * the root and without following any symlink (RESOLVE_NO_SYMLINKS: ELOOP), the file found is
 * checked on that fd, and the mount goes onto that fd with the new mount API (open_tree, fsmount,
 * move_mount): nothing is looked up twice, no symlink or swapped path leads anywhere else
 * (CVE-2021-30465, CVE-2025-31133), and /proc need not be mounted for /proc/self/fd paths. */

/* Attach the detached mount `tree` onto the file or directory `target` (both fds). */
static int attach_mount(int tree, int target) {
  int rc = husk_move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? husk_neg_errno() : 0;
  close(tree);
  return rc;
}

/* The container's /dev/null, only if it is the null device itself (char 1:3, not a symlink to
 * one, not a file or another device put in its place), as an O_PATH fd; -ENODEV otherwise. */
static int open_dev_null(int root_fd) {
  int fd = husk_open_in_root_no_symlinks(root_fd, "/dev/null");
  if (fd < 0) return -ENODEV;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
    close(fd);
    return -ENODEV;
  }
  return fd;
}

/* A file is covered by a bind of /dev/null, a directory by an empty read-only tmpfs (runc). */
static int mask_one(int root_fd, int *dev_null, const char *path) {
  int target = husk_open_in_root_no_symlinks(root_fd, path);
  if (target == -ENOENT) return 0; /* nothing to hide */
  if (target < 0) return target;
  struct stat st;
  int tree = -1;
  if (fstat(target, &st) < 0) {
    tree = husk_neg_errno();
  } else if (S_ISDIR(st.st_mode)) {
    /* What mount("tmpfs", path, "tmpfs", MS_RDONLY) makes: source "tmpfs", read-only superblock. */
    int fs = husk_fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs >= 0 && husk_fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) == 0 &&
        husk_fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) == 0 && husk_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
      tree = husk_fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
    if (tree < 0) tree = husk_neg_errno();
    if (fs >= 0) close(fs);
  } else {
    if (*dev_null < 0) *dev_null = open_dev_null(root_fd);
    if (*dev_null < 0) tree = *dev_null;
    else if ((tree = husk_open_tree(*dev_null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) < 0) tree = husk_neg_errno();
  }
  int rc = tree < 0 ? tree : attach_mount(tree, target);
  close(target);
  return rc;
}

/* A recursive bind of the path onto itself, read-only all the way down. */
static int make_readonly_one(int root_fd, const char *path) {
  int target = husk_open_in_root_no_symlinks(root_fd, path);
  if (target == -ENOENT) return 0;
  if (target < 0) return target;
  int rc = 0;
  int tree = husk_open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0) rc = husk_neg_errno();
  if (rc == 0) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (husk_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0) {
      rc = husk_neg_errno();
      close(tree);
    } else {
      rc = attach_mount(tree, target);
    }
  }
  close(target);
  return rc;
}

void husk_finish_rootfs(struct husk_plan *plan) {
  if (plan->readonly_root) {
    int fd = open("/", O_PATH | O_CLOEXEC);
    int rc = fd < 0 ? husk_neg_errno() : remount_bind("/", fd, MS_RDONLY | locked_flags_of(fd));
    if (fd >= 0) close(fd);
    if (rc < 0) FAIL(plan, STEP_READONLY_ROOT, rc, -1);
  }
  if (plan->n_readonly_paths == 0 && plan->n_masked_paths == 0) return;
  int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) FAIL(plan, STEP_READONLY_PATH, errno, 0);
  for (int i = 0; i < plan->n_readonly_paths; i++) {
    int rc = make_readonly_one(root_fd, plan->readonly_paths[i]);
    if (rc < 0) FAIL(plan, STEP_READONLY_PATH, rc, i);
  }
  int dev_null = -1;
  for (int i = 0; i < plan->n_masked_paths; i++) {
    int rc = mask_one(root_fd, &dev_null, plan->masked_paths[i]);
    if (rc < 0) FAIL(plan, STEP_MASK_PATH, rc, i);
  }
  if (dev_null >= 0) close(dev_null);
  close(root_fd);
}

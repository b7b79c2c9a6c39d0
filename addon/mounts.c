#include "mounts.h"
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
 * shared mount would propagate to the host. So with shared root propagation the mount holding
 * the rootfs is made private first, as runc does. Its mount point is found by walking up from
 * the rootfs: MS_PRIVATE on a directory that is not a mount point fails with EINVAL. */
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
  if (plan->rootfs_propagation & MS_SHARED) {
    int rc = make_rootfs_parent_mount_private(plan);
    if (rc < 0) FAIL(plan, STEP_ROOT_PROPAGATION, rc, 1);
  }
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
  if (mount(m->source, target, m->fstype, m->flags, mount_data) < 0) FAIL(plan, STEP_MOUNT, errno, index);
  close(fd);

  /* The fd above names the covered directory; look the path up again to reach the new mount. */
  fd = husk_open_in_root(root_fd, m->destination, 0);
  if (fd < 0) FAIL(plan, STEP_MOUNT_DESTINATION, fd, index);
  husk_fd_path(target, fd);
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
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      FAIL(plan, STEP_MOUNT_SETATTR, errno, index);
  }
  close(fd);
}

void husk_mount_all(struct husk_plan *plan, int root_fd) {
  for (int i = 0; i < plan->n_mounts; i++) mount_one(plan, root_fd, i);
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

static int is_dev_null(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

static void mask_path(struct husk_plan *plan, int index) {
  const char *path = plan->masked_paths[index];
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return; /* nothing to hide */
    FAIL(plan, STEP_MASK_PATH, errno, index);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0) FAIL(plan, STEP_MASK_PATH, errno, index);
    return;
  }
  /* Only ever bind the real /dev/null over a masked file, never whatever sits at that path. */
  if (!is_dev_null("/dev/null")) FAIL(plan, STEP_MASK_PATH, ENODEV, index);
  if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) FAIL(plan, STEP_MASK_PATH, errno, index);
}

static void make_path_readonly(struct husk_plan *plan, int index) {
  const char *path = plan->readonly_paths[index];
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return;
    FAIL(plan, STEP_READONLY_PATH, errno, index);
  }
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) FAIL(plan, STEP_READONLY_PATH, errno, index);
  int rc = remount_bind(path, fd, MS_RDONLY | MS_REC | locked_flags_of(fd));
  close(fd);
  if (rc < 0) FAIL(plan, STEP_READONLY_PATH, rc, index);
}

void husk_finish_rootfs(struct husk_plan *plan) {
  if (plan->readonly_root) {
    int fd = open("/", O_PATH | O_CLOEXEC);
    int rc = fd < 0 ? husk_neg_errno() : remount_bind("/", fd, MS_RDONLY | locked_flags_of(fd));
    if (fd >= 0) close(fd);
    if (rc < 0) FAIL(plan, STEP_READONLY_ROOT, rc, -1);
  }
  for (int i = 0; i < plan->n_readonly_paths; i++) make_path_readonly(plan, i);
  for (int i = 0; i < plan->n_masked_paths; i++) mask_path(plan, i);
}

#include "attributes.h"
#include "mount-api.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

/* Open a /proc file ("/proc/sys/...", "/proc/<pid>/attr/...") for writing so that the write lands
 * in that procfs file and nowhere else (CVE-2025-52881: procfs writes redirected):
 *   - /proc itself is opened without following a symlink and must be procfs: a rootfs without a
 *     proc mount cannot turn a sysctl or label write into a write to a file of its choosing;
 *   - the rest is looked up in a private clone of that proc mount (open_tree OPEN_TREE_CLONE,
 *     not recursive), which has none of the mounts stacked on /proc's files: a bind of another
 *     procfs file (say /proc/sys/kernel/core_pattern) over /proc/sys/net/ipv4/ip_forward, made
 *     by the config's mounts, a hook or a process racing us in the mount namespace, is not seen;
 *   - no symlink, magic link or mount crossing on the way (RESOLVE_BENEATH keeps it in /proc). */
static int open_proc_file(const char *path) {
  static const char prefix[] = "/proc/";
  if (strncmp(path, prefix, sizeof prefix - 1) != 0) return -EINVAL;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int proc = (int)syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof how);
  if (proc < 0) return errno == ELOOP || errno == ENOTDIR ? -EXDEV : husk_neg_errno();
  struct statfs fs;
  if (fstatfs(proc, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    close(proc);
    return -EXDEV;
  }
  int tree = husk_open_tree(proc, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  int rc = tree < 0 ? husk_neg_errno() : 0;
  close(proc);
  if (rc < 0) return rc;
  how.flags = O_WRONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  int fd = (int)syscall(SYS_openat2, tree, path + sizeof prefix - 1, &how, sizeof how);
  rc = fd < 0 ? husk_neg_errno() : 0;
  close(tree); /* the open file keeps the detached mount alive until it is closed */
  if (rc < 0) return rc;
  if (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    close(fd);
    return -EXDEV;
  }
  return fd;
}

void husk_write_sysctls(struct husk_plan *plan) {
  for (int i = 0; i < plan->n_sysctls; i++) {
    int fd = open_proc_file(plan->sysctl_paths[i]);
    if (fd < 0) FAIL(plan, STEP_SYSCTL, fd, i);
    int rc = husk_write_all(fd, plan->sysctl_values[i], strlen(plan->sysctl_values[i]));
    close(fd);
    if (rc < 0) FAIL(plan, STEP_SYSCTL, rc, i);
  }
}

/* struct sched_attr as sched_setattr(2) takes it (SCHED_ATTR_SIZE_VER1: with the util clamps). */
struct sched_attributes {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

#define IOPRIO_WHO_PROCESS 1

void husk_set_scheduling(struct husk_plan *plan) {
  if (plan->has_scheduler) {
    struct sched_attributes attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = plan->sched_policy;
    attr.sched_flags = plan->sched_flags;
    attr.sched_nice = plan->sched_nice;
    attr.sched_priority = plan->sched_priority;
    attr.sched_runtime = plan->sched_runtime;
    attr.sched_deadline = plan->sched_deadline;
    attr.sched_period = plan->sched_period;
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) FAIL(plan, STEP_SCHEDULER, errno, -1);
  }
  if (plan->io_priority >= 0 && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, plan->io_priority) < 0)
    FAIL(plan, STEP_IO_PRIORITY, errno, -1);
}

void husk_set_personality(struct husk_plan *plan) {
  if (plan->personality < 0) return;
  /* personality(2) returns the previous persona, and -1 with errno on failure. */
  if (personality((unsigned long)plan->personality) == -1) FAIL(plan, STEP_PERSONALITY, errno, -1);
}

/* Write text to /proc/<pid>/attr/<name>. The numeric path, not /proc/self or /proc/thread-self:
 * those are symlinks, which open_proc_file refuses; the process is single-threaded here, so its
 * pid names its only thread. */
static int write_proc_attr(struct husk_plan *plan, const char *name, const char *text) {
  char *path = plan->scratch;
  char number[24];
  number[husk_format_i64(number, (int64_t)getpid())] = '\0';
  path[0] = '\0';
  if (husk_append(path, PATH_MAX, "/proc/") < 0 || husk_append(path, PATH_MAX, number) < 0 ||
      husk_append(path, PATH_MAX, "/attr/") < 0 || husk_append(path, PATH_MAX, name) < 0)
    return -ENAMETOOLONG;
  int fd = open_proc_file(path);
  if (fd < 0) return fd;
  int rc = husk_write_all(fd, text, strlen(text));
  close(fd);
  return rc;
}

void husk_set_lsm_labels(struct husk_plan *plan) {
  if (plan->apparmor_profile) {
    /* "exec <profile>": the profile takes effect at execve (AppArmor's change_onexec). The
     * per-LSM directory exists since Linux 5.8; older kernels only have the shared file. */
    char *text = plan->scratch + PATH_MAX;
    text[0] = '\0';
    if (husk_append(text, PATH_MAX, "exec ") < 0 || husk_append(text, PATH_MAX, plan->apparmor_profile) < 0)
      FAIL(plan, STEP_LSM_LABEL, ENAMETOOLONG, 0);
    int rc = write_proc_attr(plan, "apparmor/exec", text);
    if (rc == -ENOENT) rc = write_proc_attr(plan, "exec", text);
    if (rc < 0) FAIL(plan, STEP_LSM_LABEL, rc, 0);
  }
  if (plan->selinux_label) {
    int rc = write_proc_attr(plan, "exec", plan->selinux_label);
    if (rc < 0) FAIL(plan, STEP_LSM_LABEL, rc, 1);
  }
}

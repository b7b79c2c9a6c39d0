#include "attributes.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

/* Open a /proc file for writing without following any symlink, and make sure it is procfs: a
 * rootfs without a proc mount (or with something else at /proc) must not turn a sysctl or label
 * write into a write to an ordinary file of the container's choosing. */
static int open_proc_file(const char *path) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_WRONLY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return husk_neg_errno();
  struct statfs fs;
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

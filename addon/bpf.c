/* cgroup v2 device filters with raw bpf(2) calls (no libbpf). See bpf.h. */
#include "bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Programs attached directly to one cgroup; more than this many husk programs never happens (it
 * replaces its own), and the query reports the real count when it does not fit. */
#define MAX_QUERIED 64

static int sys_bpf(int cmd, union bpf_attr *attr) {
  long rc;
  do {
    rc = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
  } while (rc < 0 && errno == EINTR);
  return rc < 0 ? -errno : (int)rc;
}

static uint64_t ptr_to_u64(const void *p) {
  return (uint64_t)(uintptr_t)p;
}

static int fail(struct husk_bpf_error *error, const char *step, int rc) {
  if (error) error->step = step;
  return rc;
}

static int open_cgroup(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static int load_program(const void *insns, size_t count, char *log, size_t log_size) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr_to_u64(insns);
  attr.insn_cnt = (uint32_t)count;
  /* Device programs call no GPL-only helper; runc says "Apache" too. */
  attr.license = ptr_to_u64("Apache");
  memcpy(attr.prog_name, HUSK_DEVICE_FILTER_NAME, sizeof(HUSK_DEVICE_FILTER_NAME));
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd == -EPERM) {
    /* Before Linux 5.11 program memory counts against RLIMIT_MEMLOCK (runc raises it the same
     * way); on newer kernels EPERM means no CAP_BPF/CAP_SYS_ADMIN and the retry fails alike. */
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) fd = sys_bpf(BPF_PROG_LOAD, &attr);
  }
  if (fd < 0 && fd != -EPERM && log && log_size > 1) {
    /* Again with the verifier's log, only now: logging makes every load slower. */
    log[0] = '\0';
    attr.log_level = 1;
    attr.log_buf = ptr_to_u64(log);
    attr.log_size = (uint32_t)(log_size > UINT32_MAX ? UINT32_MAX : log_size);
    int again = sys_bpf(BPF_PROG_LOAD, &attr);
    if (again >= 0) {
      close(again); /* flaky refusal (ENOMEM?): keep reporting the first error */
      log[0] = '\0';
    }
    log[log_size - 1] = '\0';
  }
  return fd;
}

static int query(int cgroup_fd, uint32_t *ids, uint32_t *count) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (uint32_t)cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.query_flags = 0; /* attached to this cgroup itself, not inherited */
  attr.query.prog_ids = ptr_to_u64(ids);
  attr.query.prog_cnt = MAX_QUERIED;
  int rc = sys_bpf(BPF_PROG_QUERY, &attr);
  *count = attr.query.prog_cnt;
  if (rc == -ENOSPC) return 0; /* more than MAX_QUERIED: the first ones are filled in */
  return rc;
}

/* An fd for program `id` and its name. -errno (ENOENT when it went away meanwhile). */
static int program_by_id(uint32_t id, char name[16]) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) return fd;
  struct bpf_prog_info info;
  memset(&info, 0, sizeof(info));
  memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = (uint32_t)fd;
  attr.info.info_len = sizeof(info);
  attr.info.info = ptr_to_u64(&info);
  int rc = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
  if (rc < 0) {
    close(fd);
    return rc;
  }
  memcpy(name, info.name, 16);
  name[15] = '\0';
  return fd;
}

static int detach(int cgroup_fd, int program_fd) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)program_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  return sys_bpf(BPF_PROG_DETACH, &attr);
}

/* Detach husk's programs attached to cgroup_fd, except `keep` (0: none). */
static int detach_husk_programs(int cgroup_fd, uint32_t keep, uint32_t *detached, struct husk_bpf_error *error) {
  uint32_t ids[MAX_QUERIED];
  uint32_t count = 0;
  *detached = 0;
  int rc = query(cgroup_fd, ids, &count);
  if (rc < 0) return fail(error, "listing the cgroup's device programs (BPF_PROG_QUERY)", rc);
  if (count > MAX_QUERIED) count = MAX_QUERIED;
  for (uint32_t i = 0; i < count; i++) {
    if (ids[i] == keep) continue;
    char name[16];
    int fd = program_by_id(ids[i], name);
    if (fd == -ENOENT) continue; /* detached by someone else meanwhile */
    if (fd < 0) return fail(error, "opening an attached device program (BPF_PROG_GET_FD_BY_ID)", fd);
    if (strcmp(name, HUSK_DEVICE_FILTER_NAME) == 0) {
      rc = detach(cgroup_fd, fd);
      if (rc == 0) (*detached)++;
    }
    close(fd);
    if (rc < 0 && rc != -ENOENT) return fail(error, "detaching the previous device filter (BPF_PROG_DETACH)", rc);
    rc = 0;
  }
  return 0;
}

static uint32_t program_id(int program_fd) {
  struct bpf_prog_info info;
  union bpf_attr attr;
  memset(&info, 0, sizeof(info));
  memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = (uint32_t)program_fd;
  attr.info.info_len = sizeof(info);
  attr.info.info = ptr_to_u64(&info);
  return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0 ? 0 : info.id;
}

int husk_attach_device_filter(const char *cgroup_dir, const void *insns, size_t count, uint32_t *new_id,
                              uint32_t *detached, struct husk_bpf_error *error) {
  *new_id = 0;
  *detached = 0;
  if (count == 0 || count > UINT32_MAX) return fail(error, "checking the device filter program", -EINVAL);
  int cgroup_fd = open_cgroup(cgroup_dir);
  if (cgroup_fd < 0) return fail(error, "opening the cgroup directory", cgroup_fd);
  int program_fd = load_program(insns, count, error ? error->log : NULL, error ? error->log_size : 0);
  if (program_fd < 0) {
    close(cgroup_fd);
    return fail(error, "loading the device filter program (BPF_PROG_LOAD)", program_fd);
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)program_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = sys_bpf(BPF_PROG_ATTACH, &attr);
  if (rc < 0) {
    close(program_fd);
    close(cgroup_fd);
    return fail(error, "attaching the device filter to the cgroup (BPF_PROG_ATTACH)", rc);
  }
  *new_id = program_id(program_fd);
  /* The cgroup holds the program now; our fd is not needed to keep it. */
  close(program_fd);
  rc = *new_id ? detach_husk_programs(cgroup_fd, *new_id, detached, error) : 0;
  close(cgroup_fd);
  return rc;
}

int husk_detach_device_filters(const char *cgroup_dir, uint32_t *detached, struct husk_bpf_error *error) {
  *detached = 0;
  int cgroup_fd = open_cgroup(cgroup_dir);
  if (cgroup_fd < 0) return fail(error, "opening the cgroup directory", cgroup_fd);
  int rc = detach_husk_programs(cgroup_fd, 0, detached, error);
  close(cgroup_fd);
  return rc;
}

int husk_query_device_filters(const char *cgroup_dir, struct husk_bpf_program_info *out, size_t capacity,
                              size_t *count, struct husk_bpf_error *error) {
  *count = 0;
  int cgroup_fd = open_cgroup(cgroup_dir);
  if (cgroup_fd < 0) return fail(error, "opening the cgroup directory", cgroup_fd);
  uint32_t ids[MAX_QUERIED];
  uint32_t attached = 0;
  int rc = query(cgroup_fd, ids, &attached);
  close(cgroup_fd);
  if (rc < 0) return fail(error, "listing the cgroup's device programs (BPF_PROG_QUERY)", rc);
  *count = attached;
  for (uint32_t i = 0; i < attached && i < MAX_QUERIED && i < capacity; i++) {
    out[i].id = ids[i];
    out[i].name[0] = '\0';
    int fd = program_by_id(ids[i], out[i].name);
    if (fd >= 0) close(fd);
  }
  return 0;
}

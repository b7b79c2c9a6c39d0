/* checker: runs as a container's process and prints what that process sees, as one JSON object,
 * so that the conformance suite compares config.json with observed reality instead of trusting
 * exit codes. Built statically by `make` (build/checker) and copied into the bundle's rootfs.
 *
 *   checker [options]
 *
 * Always reported: argv, env, pid/ppid, ids (uid/gid: real, effective, saved, fs; groups), umask,
 * cwd, capabilities (the five sets, as hex masks), no_new_privs, seccomp mode and filter count,
 * every rlimit, mounts (mountinfo parsed), device nodes and links under /dev, hostname and
 * domainname, uname machine, namespace inodes, cgroup membership and key cgroup values,
 * uid_map/gid_map/setgroups, timens_offsets, oom_score_adj, personality, scheduling attributes,
 * I/O priority, memory policy, CPU affinity, terminal size of stdin, open fds.
 *
 * Options (in any order; the probes run in the order given, before the report is written):
 *   --out FILE            write the JSON to FILE instead of stdout
 *   --touch FILE          create FILE first (a marker that the program ran)
 *   --read PATH           report the content of PATH (or its errno) under "files"
 *   --sysctl NAME         report /proc/sys/NAME (dots become slashes) under "sysctls"
 *   --open PATH           open PATH read-only and read a byte; "opens": "OK" or the errno name
 *   --write PATH          create/truncate PATH and write a byte; "writes"
 *   --mkdir PATH          mkdir PATH; "mkdirs"
 *   --exec PATH           fork and execve PATH; "execs": "OK" (it ran) or the errno name
 *   --stat PATH           lstat PATH; "stats"
 *   --syscall NAME=NR[,A0,...,A5]
 *                         raw syscall NR with up to six integer args; "syscalls": {ret, errno}
 *   --signals FILE        after reporting, wait for signals forever and append each one's name
 *                         to FILE (one line each); SIGTERM is recorded, then exits 0
 *   --sleep SECONDS       after reporting, sleep
 *   --exit N              exit status (default 0)
 *
 * Only libc and raw syscalls; no allocation beyond a few static buffers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---------- JSON output into a growing buffer ---------- */

static char *out_buf;
static size_t out_len, out_cap;
static int need_comma;

static void emit_raw(const char *text, size_t length) {
  if (out_len + length + 1 > out_cap) {
    size_t cap = out_cap ? out_cap * 2 : 65536;
    while (cap < out_len + length + 1) cap *= 2;
    char *grown = realloc(out_buf, cap);
    if (!grown) _exit(111);
    out_buf = grown;
    out_cap = cap;
  }
  memcpy(out_buf + out_len, text, length);
  out_len += length;
  out_buf[out_len] = 0;
}

static void emitf(const char *format, ...) {
  char small[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    emit_raw(small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) _exit(111);
  va_start(args, format);
  vsnprintf(big, (size_t)n + 1, format, args);
  va_end(args);
  emit_raw(big, (size_t)n);
  free(big);
}

static void comma(void) {
  if (need_comma) emit_raw(",", 1);
  need_comma = 1;
}

static void emit_string_n(const char *s, size_t length) {
  emit_raw("\"", 1);
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') emit_raw("\\\"", 2);
    else if (c == '\\') emit_raw("\\\\", 2);
    else if (c == '\n') emit_raw("\\n", 2);
    else if (c == '\t') emit_raw("\\t", 2);
    else if (c < 0x20 || c >= 0x7f) emitf("\\u%04x", c);
    else emit_raw((const char *)&s[i], 1);
  }
  emit_raw("\"", 1);
}

static void emit_string(const char *s) { emit_string_n(s, strlen(s)); }

static void key(const char *name) {
  comma();
  emit_string(name);
  emit_raw(":", 1);
}

static void open_object(const char *name) {
  if (name) key(name);
  else comma();
  emit_raw("{", 1);
  need_comma = 0;
}

static void open_array(const char *name) {
  if (name) key(name);
  else comma();
  emit_raw("[", 1);
  need_comma = 0;
}

static void close_object(void) {
  emit_raw("}", 1);
  need_comma = 1;
}

static void close_array(void) {
  emit_raw("]", 1);
  need_comma = 1;
}

static void field_string(const char *name, const char *value) {
  key(name);
  if (value) emit_string(value);
  else emit_raw("null", 4);
}

static void field_long(const char *name, long long value) {
  key(name);
  emitf("%lld", value);
}

/* 64-bit unsigned values travel as decimal strings: JSON readers lose precision above 2^53. */
static void field_u64_string(const char *name, unsigned long long value) {
  key(name);
  emitf("\"%llu\"", value);
}

static void field_errno(const char *name, int err) {
  const char *errno_name = strerrorname_np(err);
  field_string(name, errno_name ? errno_name : "E?");
}

static void element_string(const char *value) {
  comma();
  emit_string(value);
}

static void element_long(long long value) {
  comma();
  emitf("%lld", value);
}

/* ---------- small file helpers ---------- */

/* Reads up to size-1 bytes of a file; returns the length or -errno. */
static ssize_t read_file(const char *path, char *buffer, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t total = 0;
  while (total + 1 < size) {
    ssize_t n = read(fd, buffer + total, size - 1 - total);
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    total += (size_t)n;
  }
  close(fd);
  buffer[total] = 0;
  return (ssize_t)total;
}

static char file_buffer[1 << 20];

/* "name": "content" or "name": {"errno": "ENOENT"} */
static void field_file(const char *name, const char *path) {
  ssize_t n = read_file(path, file_buffer, sizeof file_buffer);
  if (n < 0) {
    open_object(name);
    field_errno("errno", (int)-n);
    close_object();
    return;
  }
  key(name);
  emit_string_n(file_buffer, (size_t)n);
}

/* The value of "Name:\t..." in /proc/self/status, without the newline; NULL when absent. */
static char status_buffer[16384];
static const char *status_field(const char *name) {
  static char value[256];
  size_t name_length = strlen(name);
  for (char *line = status_buffer; line && *line;) {
    char *end = strchr(line, '\n');
    if (!strncmp(line, name, name_length) && line[name_length] == ':') {
      char *start = line + name_length + 1;
      while (*start == ' ' || *start == '\t') start++;
      size_t length = end ? (size_t)(end - start) : strlen(start);
      if (length >= sizeof value) length = sizeof value - 1;
      memcpy(value, start, length);
      value[length] = 0;
      return value;
    }
    line = end ? end + 1 : NULL;
  }
  return NULL;
}

/* ---------- sections ---------- */

static void report_ids(void) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  getresuid(&ruid, &euid, &suid);
  getresgid(&rgid, &egid, &sgid);
  open_object("ids");
  field_long("uid", ruid);
  field_long("euid", euid);
  field_long("suid", suid);
  field_long("fsuid", syscall(SYS_setfsuid, -1));
  field_long("gid", rgid);
  field_long("egid", egid);
  field_long("sgid", sgid);
  field_long("fsgid", syscall(SYS_setfsgid, -1));
  gid_t groups[NGROUPS_MAX];
  int count = getgroups(NGROUPS_MAX, groups);
  open_array("groups");
  for (int i = 0; i < count; i++) element_long(groups[i]);
  close_array();
  close_object();
}

static void report_status_fields(void) {
  const char *umask_text = status_field("Umask");
  if (umask_text) field_long("umask", strtol(umask_text, NULL, 8));
  open_object("caps");
  static const char *const sets[][2] = {
      {"effective", "CapEff"}, {"permitted", "CapPrm"}, {"inheritable", "CapInh"},
      {"bounding", "CapBnd"},  {"ambient", "CapAmb"},
  };
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) field_string(sets[i][0], status_field(sets[i][1]));
  close_object();
  open_object("seccomp");
  /* status_field returns a static buffer: use each value before the next call. */
  const char *mode = status_field("Seccomp");
  field_long("mode", mode ? atol(mode) : -1);
  const char *filters = status_field("Seccomp_filters");
  field_long("filters", filters ? atol(filters) : -1);
  close_object();
  const char *nnp = status_field("NoNewPrivs");
  field_long("noNewPrivsStatus", nnp ? atol(nnp) : -1);
  field_string("cpusAllowedList", status_field("Cpus_allowed_list"));
  field_string("memsAllowedList", status_field("Mems_allowed_list"));
}

static const struct {
  const char *name;
  int resource;
} RLIMITS[] = {
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},     {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static void report_rlimits(void) {
  open_object("rlimits");
  for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++) {
    struct rlimit limit;
    open_object(RLIMITS[i].name);
    if (getrlimit(RLIMITS[i].resource, &limit) == 0) {
      field_u64_string("soft", (unsigned long long)limit.rlim_cur);
      field_u64_string("hard", (unsigned long long)limit.rlim_max);
    } else {
      field_errno("errno", errno);
    }
    close_object();
  }
  close_object();
}

/* mountinfo fields are space separated; spaces, tabs, newlines and backslashes are \ooo. */
static void emit_unescaped(const char *name, const char *field) {
  char value[PATH_MAX * 2];
  size_t length = 0;
  for (const char *p = field; *p && length + 1 < sizeof value; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      value[length++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
      p += 3;
    } else {
      value[length++] = *p;
    }
  }
  value[length] = 0;
  field_string(name, value);
}

static void report_mounts(void) {
  static char text[1 << 20];
  open_array("mounts");
  if (read_file("/proc/self/mountinfo", text, sizeof text) < 0) {
    close_array();
    return;
  }
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    char *fields[64];
    int count = 0;
    for (char *save = NULL, *token = strtok_r(line, " ", &save); token && count < 64; token = strtok_r(NULL, " ", &save))
      fields[count++] = token;
    int separator = -1;
    for (int i = 6; i < count; i++)
      if (!strcmp(fields[i], "-")) {
        separator = i;
        break;
      }
    if (count >= 10 && separator > 0 && separator + 3 < count + 1) {
      open_object(NULL);
      field_long("id", atol(fields[0]));
      field_long("parent", atol(fields[1]));
      field_string("device", fields[2]);
      emit_unescaped("root", fields[3]);
      emit_unescaped("mountPoint", fields[4]);
      field_string("options", fields[5]);
      open_array("optional");
      for (int i = 6; i < separator; i++) element_string(fields[i]);
      close_array();
      field_string("fsType", fields[separator + 1]);
      emit_unescaped("source", separator + 2 < count ? fields[separator + 2] : "");
      field_string("superOptions", separator + 3 < count ? fields[separator + 3] : "");
      close_object();
    }
    line = end ? end + 1 : NULL;
  }
  close_array();
}

static char file_type(mode_t mode) {
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISDIR(mode)) return 'd';
  return 'f';
}

static void emit_stat_fields(const char *path, const struct stat *st) {
  char type[2] = {file_type(st->st_mode), 0};
  field_string("type", type);
  field_long("mode", st->st_mode & 07777);
  field_long("uid", st->st_uid);
  field_long("gid", st->st_gid);
  if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
    field_long("major", major(st->st_rdev));
    field_long("minor", minor(st->st_rdev));
  }
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) {
      target[n] = 0;
      field_string("target", target);
    }
  }
  if (S_ISREG(st->st_mode)) field_long("size", st->st_size);
}

static void walk_dev(const char *dir, int depth) {
  DIR *handle = opendir(dir);
  if (!handle) return;
  struct dirent *entry;
  while ((entry = readdir(handle))) {
    if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    open_object(NULL);
    field_string("path", path);
    emit_stat_fields(path, &st);
    close_object();
    if (S_ISDIR(st.st_mode) && depth < 3) walk_dev(path, depth + 1);
  }
  closedir(handle);
}

static void report_devices(void) {
  open_array("devices");
  walk_dev("/dev", 1);
  close_array();
}

static void report_namespaces(void) {
  static const char *const types[] = {"cgroup", "ipc",  "mnt",  "net",  "pid", "pid_for_children",
                                      "time",   "time_for_children", "user", "uts"};
  open_object("namespaces");
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", types[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) continue;
    target[n] = 0;
    field_string(types[i], target);
  }
  close_object();
}

static void report_cgroups(void) {
  static char text[65536];
  open_array("cgroup");
  if (read_file("/proc/self/cgroup", text, sizeof text) >= 0) {
    for (char *line = text; line && *line;) {
      char *end = strchr(line, '\n');
      if (end) *end = 0;
      element_string(line);
      line = end ? end + 1 : NULL;
    }
  }
  close_array();
  /* What the container sees of its own cgroup at /sys/fs/cgroup (v1 controller dirs, or v2). */
  static const char *const files[] = {
      "memory/memory.limit_in_bytes",   "memory/memory.soft_limit_in_bytes", "memory/memory.memsw.limit_in_bytes",
      "memory/memory.swappiness",       "memory/memory.oom_control",         "memory/memory.kmem.tcp.limit_in_bytes",
      "memory/memory.use_hierarchy",    "cpu/cpu.shares",                    "cpu/cpu.cfs_quota_us",
      "cpu/cpu.cfs_period_us",          "cpu/cpu.cfs_burst_us",              "cpu/cpu.rt_runtime_us",
      "cpu/cpu.rt_period_us",           "cpu/cpu.idle",                      "cpuset/cpuset.cpus",
      "cpuset/cpuset.mems",             "pids/pids.max",                     "blkio/blkio.weight",
      "blkio/blkio.bfq.weight",         "blkio/blkio.throttle.read_bps_device", "blkio/blkio.throttle.write_bps_device",
      "blkio/blkio.throttle.read_iops_device", "blkio/blkio.throttle.write_iops_device", "devices/devices.list",
      "memory.max",                     "memory.low",                        "memory.swap.max",
      "cpu.weight",                     "cpu.max",                           "cpuset.cpus",
      "cpuset.mems",                    "pids.max",                          "io.max",
  };
  open_object("cgroupValues");
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", files[i]);
    ssize_t n = read_file(path, file_buffer, sizeof file_buffer);
    if (n < 0) continue;
    while (n > 0 && file_buffer[n - 1] == '\n') file_buffer[--n] = 0;
    field_string(files[i], file_buffer);
  }
  close_object();
}

static void report_process_attributes(void) {
  char text[256];
  ssize_t n = read_file("/proc/self/oom_score_adj", text, sizeof text);
  if (n > 0) field_long("oomScoreAdj", atol(text));
  field_long("personality", personality(0xffffffff));
  field_long("noNewPrivs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  field_long("dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  struct utsname names;
  if (uname(&names) == 0) {
    field_string("hostname", names.nodename);
    field_string("domainname", names.domainname);
    field_string("machine", names.machine);
  }
  /* sched_getattr(2): struct sched_attr is 56 bytes in its first published size (SCHED_ATTR_SIZE_VER1). */
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
  } attr;
  memset(&attr, 0, sizeof attr);
  open_object("sched");
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0) {
    field_long("policy", attr.policy);
    field_long("flags", (long long)attr.flags);
    field_long("nice", attr.nice);
    field_long("priority", attr.priority);
    field_u64_string("runtime", attr.runtime);
    field_u64_string("deadline", attr.deadline);
    field_u64_string("period", attr.period);
  } else {
    field_errno("errno", errno);
  }
  close_object();
  long ioprio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  open_object("ioPriority");
  if (ioprio >= 0) {
    field_long("class", ioprio >> 13);
    field_long("level", ioprio & 0x1fff);
  } else {
    field_errno("errno", errno);
  }
  close_object();
  int mode = -1;
  unsigned long nodes[16];
  memset(nodes, 0, sizeof nodes);
  open_object("memoryPolicy");
  if (syscall(SYS_get_mempolicy, &mode, nodes, sizeof nodes * 8, 0, 0) == 0) {
    field_long("mode", mode);
    field_long("nodes", (long long)nodes[0]);
  } else {
    field_errno("errno", errno);
  }
  close_object();
  cpu_set_t cpus;
  open_array("affinity");
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
      if (CPU_ISSET(cpu, &cpus)) element_long(cpu);
  close_array();
}

/* The terminal size of stdin when it is a tty (process.consoleSize). */
static void report_winsize(void) {
  struct winsize size;
  open_object("winsize");
  if (ioctl(0, TIOCGWINSZ, &size) == 0) {
    field_long("rows", size.ws_row);
    field_long("cols", size.ws_col);
  } else {
    field_errno("errno", errno);
  }
  close_object();
}

static void report_fds(void) {
  open_object("fds");
  DIR *handle = opendir("/proc/self/fd");
  if (!handle) {
    close_object();
    return;
  }
  int own = dirfd(handle);
  struct dirent *entry;
  while ((entry = readdir(handle))) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd == own) continue;
    char path[64], target[PATH_MAX];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    field_string(entry->d_name, target);
  }
  closedir(handle);
  close_object();
}

static void report_id_maps(void) {
  field_file("uidMap", "/proc/self/uid_map");
  field_file("gidMap", "/proc/self/gid_map");
  field_file("setgroups", "/proc/self/setgroups");
  field_file("timensOffsets", "/proc/self/timens_offsets");
}

/* ---------- probes asked for on the command line ---------- */

struct probe {
  const char *kind;
  const char *arg;
};

static struct probe probes[256];
static int probe_count;

static void probe_open(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    field_errno(path, errno);
    return;
  }
  char byte;
  ssize_t n = read(fd, &byte, 1);
  int err = errno;
  close(fd);
  if (n < 0 && err != EAGAIN && err != EISDIR) field_errno(path, err);
  else field_string(path, n == 0 ? "EMPTY" : "OK");
}

static void probe_write(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    field_errno(path, errno);
    return;
  }
  ssize_t n = write(fd, "x", 1);
  int err = errno;
  close(fd);
  if (n < 0) field_errno(path, err);
  else field_string(path, "OK");
}

static void probe_exec(const char *path) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    field_errno(path, errno);
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    char *const args[] = {(char *)path, NULL};
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execve(path, args, environ);
    int err = errno;
    (void)!write(pipefd[1], &err, sizeof err);
    _exit(127);
  }
  close(pipefd[1]);
  int err = 0;
  ssize_t n = read(pipefd[0], &err, sizeof err);
  close(pipefd[0]);
  int status;
  waitpid(child, &status, 0);
  if (n == (ssize_t)sizeof err) field_errno(path, err);
  else field_string(path, "OK");
}

static void probe_stat(const char *path) {
  struct stat st;
  open_object(path);
  if (lstat(path, &st) < 0) field_errno("errno", errno);
  else emit_stat_fields(path, &st);
  close_object();
}

static void probe_syscall(const char *spec) {
  char name[64];
  const char *equals = strchr(spec, '=');
  if (!equals || (size_t)(equals - spec) >= sizeof name) return;
  memcpy(name, spec, (size_t)(equals - spec));
  name[equals - spec] = 0;
  long values[7] = {0};
  int count = 0;
  char *cursor = (char *)equals + 1;
  while (count < 7 && *cursor) {
    values[count++] = strtol(cursor, &cursor, 0);
    if (*cursor == ',') cursor++;
    else break;
  }
  errno = 0;
  long ret = syscall(values[0], values[1], values[2], values[3], values[4], values[5], values[6]);
  int err = errno;
  open_object(name);
  field_long("ret", ret);
  if (ret < 0) field_errno("errno", err);
  close_object();
}

static void run_probes(const char *kind, const char *section, void (*run)(const char *)) {
  int any = 0;
  for (int i = 0; i < probe_count; i++) {
    if (strcmp(probes[i].kind, kind)) continue;
    if (!any) open_object(section);
    any = 1;
    run(probes[i].arg);
  }
  if (any) close_object();
}

static void probe_read(const char *path) { field_file(path, path); }

static void probe_sysctl(const char *name) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.') *p = '/';
  ssize_t n = read_file(path, file_buffer, sizeof file_buffer);
  if (n < 0) {
    open_object(name);
    field_errno("errno", (int)-n);
    close_object();
    return;
  }
  while (n > 0 && file_buffer[n - 1] == '\n') file_buffer[--n] = 0;
  field_string(name, file_buffer);
}

static void probe_mkdir(const char *path) {
  if (mkdir(path, 0755) < 0) field_errno(path, errno);
  else field_string(path, "OK");
}

/* ---------- signals ---------- */

static int signals_fd = -1;

static void on_signal(int signal_number) {
  const char *name = sigabbrev_np(signal_number);
  char line[32];
  int n = snprintf(line, sizeof line, "%s\n", name ? name : "?");
  if (signals_fd >= 0) (void)!write(signals_fd, line, (size_t)n);
  if (signal_number == SIGTERM) _exit(0);
}

static void wait_for_signals(const char *file) {
  signals_fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD) sigaction(s, &action, NULL);
  /* Tell the waiter we are ready to receive. */
  if (signals_fd >= 0) (void)!write(signals_fd, "READY\n", 6);
  for (;;) pause();
}

int main(int argc, char **argv) {
  const char *out_file = NULL, *signals_file = NULL;
  long sleep_seconds = 0;
  int exit_status = 0;
  for (int i = 1; i < argc; i++) {
    const char *option = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!value) {
      fprintf(stderr, "checker: %s needs a value\n", option);
      return 2;
    }
    i++;
    if (!strcmp(option, "--out")) out_file = value;
    else if (!strcmp(option, "--signals")) signals_file = value;
    else if (!strcmp(option, "--sleep")) sleep_seconds = atol(value);
    else if (!strcmp(option, "--exit")) exit_status = atoi(value);
    else if (!strcmp(option, "--touch")) {
      int fd = open(value, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) close(fd);
    } else if (probe_count < 256) {
      probes[probe_count].kind = option;
      probes[probe_count].arg = value;
      probe_count++;
    }
  }

  read_file("/proc/self/status", status_buffer, sizeof status_buffer);
  emit_raw("{", 1);
  need_comma = 0;
  open_array("argv");
  for (int i = 0; i < argc; i++) element_string(argv[i]);
  close_array();
  open_array("env");
  for (char **e = environ; *e; e++) element_string(*e);
  close_array();
  field_long("pid", getpid());
  field_long("ppid", getppid());
  char cwd[PATH_MAX];
  field_string("cwd", getcwd(cwd, sizeof cwd) ? cwd : NULL);
  report_ids();
  report_status_fields();
  report_rlimits();
  report_process_attributes();
  report_namespaces();
  report_id_maps();
  report_cgroups();
  report_winsize();
  report_fds();
  report_mounts();
  report_devices();
  run_probes("--read", "files", probe_read);
  run_probes("--sysctl", "sysctls", probe_sysctl);
  run_probes("--open", "opens", probe_open);
  run_probes("--write", "writes", probe_write);
  run_probes("--mkdir", "mkdirs", probe_mkdir);
  run_probes("--exec", "execs", probe_exec);
  run_probes("--stat", "stats", probe_stat);
  run_probes("--syscall", "syscalls", probe_syscall);
  emit_raw("}\n", 2);

  int fd = out_file ? open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;
  if (fd < 0) {
    fprintf(stderr, "checker: %s: %s\n", out_file, strerror(errno));
    return 3;
  }
  for (size_t done = 0; done < out_len;) {
    ssize_t n = write(fd, out_buf + done, out_len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 4;
    }
    done += (size_t)n;
  }
  if (out_file) close(fd);
  if (signals_file) wait_for_signals(signals_file);
  if (sleep_seconds > 0) sleep((unsigned)sleep_seconds);
  return exit_status;
}

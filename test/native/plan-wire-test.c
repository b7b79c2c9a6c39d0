/* plan-wire-test: addon/plan-wire.c round trip and hostile bytes. Built by the Makefile as
 * build/plan-wire-test, run by test/unit/plan-wire.test.ts. Prints "plan-wire-test: ok ..." and
 * exits 0, or names the first mismatch on stderr and exits 1.
 *
 * The comparison is written out field by field on purpose (not a memcmp of the structs, which is
 * how plan-wire.c copies the scalars): a field the writer or the reader forgot shows up here. */
#include "plan-wire.h"

#include "memory.h"
#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(struct husk_plan) == 576, "struct husk_plan changed: fill and compare its new field here");
#endif

#define PAYLOAD_CAPACITY (1u << 20) /* binding.cc's kPayloadCapacity */

static void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("plan-wire-test: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

#define CHECK(condition, ...) \
  do {                        \
    if (!(condition)) die(__VA_ARGS__); \
  } while (0)

/* ---- building the plans ---- */

static char *text(const char *s) { return s ? husk_plan_strdup(s) : NULL; }

/* A NULL-terminated copy of `n` strings (entries may be NULL for the counted arrays). */
static char **texts(int n, const char *const *items) {
  char **list = husk_plan_alloc((size_t)(n + 1) * sizeof *list);
  for (int i = 0; i < n; i++) list[i] = text(items[i]);
  return list;
}

#define TEXTS(...) texts((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), (const char *[]){__VA_ARGS__})

/* Every field set, most to a value of its own, NULL and "" side by side, and a string longer
 * than a page. */
static struct husk_plan *full_plan(void) {
  struct husk_plan *p = husk_plan_memory_begin(sizeof *p);
  p->new_namespace_flags = 0x7e020000;
  p->new_user_namespace = 1;
  p->n_joins = 3;
  p->joins = husk_plan_alloc(3 * sizeof *p->joins);
  p->joins[0] = (struct husk_join){0x10000000, text("/proc/77/ns/user"), 40};
  p->joins[1] = (struct husk_join){0x40000000, text("/proc/77/ns/net"), 41};
  p->joins[2] = (struct husk_join){0x20000, text(""), 42};
  p->has_time_offsets = 1;
  p->time_offsets = (struct husk_time_offsets){-5, 123456789, 3600, -7};
  p->cgroup_fd = 50;

  p->rootfs = text("/rootfs-of-plan-1");
  p->rootfs_propagation = 0x44000;
  p->readonly_root = 1;
  p->rootfs_setup = HUSK_ROOTFS_CHROOT;
  p->no_pivot = 1;
  p->n_mounts = 2;
  p->mounts = husk_plan_alloc(2 * sizeof *p->mounts);
  p->mounts[0] = (struct husk_mount){
      .source = text("/var/lib/data"), .destination = text("/data"), .fstype = NULL, .data = NULL,
      .flags = 0x1000, .remount_flags = 0x1021, .n_propagation = 2, .rec_attr_set = 1ULL << 40,
      .rec_attr_clear = 0x100000, .destination_is_file = 1, .copy_up = 0};
  p->mounts[0].propagation = husk_plan_alloc(2 * sizeof(unsigned long));
  p->mounts[0].propagation[0] = 0x40000;
  p->mounts[0].propagation[1] = 0x104000;
  p->mounts[1] = (struct husk_mount){
      .source = text("tmpfs"), .destination = text("/tmp"), .fstype = text("tmpfs"), .data = text(""),
      .flags = 6, .remount_flags = 0, .n_propagation = 0, .rec_attr_set = 0, .rec_attr_clear = 3,
      .destination_is_file = 0, .copy_up = 1};
  p->mounts[1].propagation = husk_plan_alloc(1); /* present and empty: not NULL */
  p->n_devices = 2;
  p->devices = husk_plan_alloc(2 * sizeof *p->devices);
  p->devices[0] = (struct husk_device){text("/dev/fuse"), 020666, 10, 229, 1000, 1001, NULL};
  p->devices[1] = (struct husk_device){text("/dev/null"), 020666, 1, 3, 0, 5, text("/dev/null")};
  p->n_symlinks = 2;
  p->symlinks = husk_plan_alloc(2 * sizeof *p->symlinks);
  p->symlinks[0] = (struct husk_symlink){text("/proc/self/fd"), text("/dev/fd")};
  p->symlinks[1] = (struct husk_symlink){text(""), text("/dev/empty-target")};
  p->n_masked_paths = 3;
  p->masked_paths = TEXTS("/proc/kcore", "", "/sys/firmware");
  p->n_readonly_paths = 2;
  p->readonly_paths = TEXTS("/proc/sys", NULL); /* a NULL entry in a counted array travels too */
  p->hostname = NULL;
  p->domainname = text("");

  char *long_value = malloc(5000);
  memset(long_value, 'v', 4999);
  memcpy(long_value, "LONG=", 5);
  long_value[4999] = '\0';
  p->argv = TEXTS("/bin/sh", "-c", "");
  p->envp = TEXTS("PATH=/usr/bin:/bin", long_value);
  free(long_value);
  p->cwd = text("/work");
  p->uid = 1234;
  p->gid = 5678;
  p->n_additional_gids = 3;
  p->additional_gids = husk_plan_alloc(3 * sizeof(gid_t));
  p->additional_gids[0] = 10;
  p->additional_gids[1] = 4294967294u;
  p->additional_gids[2] = 0;
  p->umask = 027;
  p->n_rlimits = 2;
  p->rlimits = husk_plan_alloc(2 * sizeof *p->rlimits);
  p->rlimits[0] = (struct husk_rlimit){7, 1024, 4096};
  p->rlimits[1] = (struct husk_rlimit){3, UINT64_MAX, UINT64_MAX - 1};
  p->preserve_fds = 2;
  p->exec_fifo_fd = 51;
  p->result_fifo_fd = 52;
  p->new_session = 1;
  p->n_create_container_hooks = 2;
  p->create_container_hooks = husk_plan_alloc(2 * sizeof(struct husk_hook));
  p->create_container_hooks[0] = (struct husk_hook){text("/usr/bin/hook"), TEXTS("hook", "--create"), TEXTS("A=1"), 5};
  p->create_container_hooks[1] = (struct husk_hook){text("/bin/true"), texts(0, NULL), NULL, 0};
  p->n_start_container_hooks = 1;
  p->start_container_hooks = husk_plan_alloc(sizeof(struct husk_hook));
  p->start_container_hooks[0] = (struct husk_hook){text("/usr/bin/start-hook"), TEXTS("start-hook", ""), texts(0, NULL), 30};

  p->set_capabilities = 1;
  p->cap_bounding = 0x1ffffffffffULL;
  p->cap_effective = 0x3fd;
  p->cap_permitted = 0x3fe;
  p->cap_inheritable = 0x3ff;
  p->cap_ambient = 0x400;
  p->cap_last_cap = 40;
  p->no_new_privileges = 1;
  p->session_keyring = text("_ses.plan-1");

  /* The worker's container-lock fds, which must not travel: the front end has none of them. */
  p->close_first_fds[0] = 61;
  p->n_close_first_fds = 1;
  /* Scratch, which must not travel: the reader makes its own. */
  p->sync_fd = 60;
  p->payload_capacity = 1;
  p->payload = husk_plan_alloc(1);
  p->exec_path = husk_plan_alloc(PATH_MAX);
  p->scratch = husk_plan_alloc(PATH_MAX * 2);

  p->seccomp_program_length = 5;
  p->seccomp_program = husk_plan_alloc(5 * 8);
  for (int i = 0; i < 5 * 8; i++) ((unsigned char *)p->seccomp_program)[i] = (unsigned char)(i * 37 + 1);
  p->seccomp_flags = 9;
  p->seccomp_before_user_switch = 1;
  p->n_sysctls = 2;
  p->sysctl_paths = TEXTS("/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/msgmax");
  p->sysctl_values = TEXTS("1", "");
  p->has_scheduler = 1;
  p->sched_policy = 6;
  p->sched_flags = 0x21;
  p->sched_nice = -7;
  p->sched_priority = 3;
  p->sched_runtime = 1000000;
  p->sched_deadline = 2000000;
  p->sched_period = 3000000;
  p->io_priority = (2 << 13) | 4;
  p->personality = 8;
  p->apparmor_profile = text("husk-default");
  p->selinux_label = NULL;

  p->terminal = 1;
  p->console_socket_fd = 53;
  p->console_rows = 24;
  p->console_cols = 80;
  p->mount_console = 1;
  p->ns_pidfd = 54;
  p->ns_flags = 0x6c020000;
  p->root_fd = 55;
  return p;
}

/* Shaped like binding.cc's CopyExecPlan: no arrays at all, most fds -1, "" where plan 1 had NULL. */
static struct husk_plan *sparse_plan(void) {
  struct husk_plan *p = husk_plan_memory_begin(sizeof *p);
  p->cgroup_fd = p->exec_fifo_fd = p->result_fifo_fd = p->console_socket_fd = p->root_fd = -1;
  p->ns_pidfd = 70;
  p->ns_flags = 0x20000;
  p->hostname = text("");
  p->domainname = NULL;
  p->argv = TEXTS("");
  p->envp = texts(0, NULL);
  p->cwd = text("");
  p->umask = -1;
  p->io_priority = -1;
  p->personality = -1;
  p->selinux_label = text("system_u:system_r:container_t:s0");
  return p;
}

/* ---- comparing ---- */

struct fd_map {
  const int *sent, *received;
  int n;
};

/* What an fd field of the rebuilt plan must hold: the received fd at the index the sent one had. */
static int expected_fd(const struct fd_map *map, int original) {
  if (original < 0) return -1;
  for (int i = 0; i < map->n; i++)
    if (map->sent[i] == original) return map->received[i];
  die("fd %d was not among the fds to send", original);
  return -1;
}

static void same_string(const char *want, const char *got, const char *what) {
  CHECK((want == NULL) == (got == NULL), "%s: %s where %s was expected", what, got ? "a string" : "NULL", want ? "a string" : "NULL");
  CHECK(!want || strcmp(want, got) == 0, "%s: \"%.40s\" != \"%.40s\"", what, got, want);
}

static void same_terminated_strings(char *const *want, char *const *got, const char *what) {
  CHECK((want == NULL) == (got == NULL), "%s: NULL-ness differs", what);
  if (!want) return;
  int i = 0;
  for (; want[i]; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s[%d]", what, i);
    CHECK(got[i] != NULL, "%s: missing", name);
    same_string(want[i], got[i], name);
  }
  CHECK(got[i] == NULL, "%s: longer than %d", what, i);
}

static void same_counted_strings(char *const *want, char *const *got, int n, const char *what) {
  CHECK((want == NULL) == (got == NULL), "%s: NULL-ness differs", what);
  if (!want) return;
  for (int i = 0; i < n; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s[%d]", what, i);
    same_string(want[i], got[i], name);
  }
  CHECK(got[n] == NULL, "%s: not NULL-terminated", what);
}

static void same_bytes(const void *want, const void *got, size_t n, const char *what) {
  CHECK((want == NULL) == (got == NULL), "%s: NULL-ness differs", what);
  CHECK(!want || memcmp(want, got, n) == 0, "%s: contents differ", what);
}

#define SAME(field) CHECK(want->field == got->field, "%s: %s differs", what, #field)

static void same_hooks(const struct husk_hook *want_hooks, const struct husk_hook *got_hooks, int n, const char *list) {
  CHECK((want_hooks == NULL) == (got_hooks == NULL), "%s: NULL-ness differs", list);
  for (int i = 0; want_hooks && i < n; i++) {
    const struct husk_hook *want = &want_hooks[i], *got = &got_hooks[i];
    char what[64];
    snprintf(what, sizeof what, "%s[%d]", list, i);
    same_string(want->path, got->path, what);
    same_terminated_strings(want->argv, got->argv, what);
    same_terminated_strings(want->envp, got->envp, what);
    SAME(timeout_seconds);
  }
}

static void same_mounts(const struct husk_plan *want_plan, const struct husk_plan *got_plan) {
  CHECK((want_plan->mounts == NULL) == (got_plan->mounts == NULL), "mounts: NULL-ness differs");
  for (int i = 0; want_plan->mounts && i < want_plan->n_mounts; i++) {
    const struct husk_mount *want = &want_plan->mounts[i], *got = &got_plan->mounts[i];
    char what[64];
    snprintf(what, sizeof what, "mounts[%d]", i);
    same_string(want->source, got->source, what);
    same_string(want->destination, got->destination, what);
    same_string(want->fstype, got->fstype, what);
    same_string(want->data, got->data, what);
    SAME(flags);
    SAME(remount_flags);
    SAME(n_propagation);
    same_bytes(want->propagation, got->propagation, (size_t)want->n_propagation * sizeof(unsigned long), what);
    SAME(rec_attr_set);
    SAME(rec_attr_clear);
    SAME(destination_is_file);
    SAME(copy_up);
  }
}

static void same_devices_and_links(const struct husk_plan *want_plan, const struct husk_plan *got_plan) {
  CHECK((want_plan->devices == NULL) == (got_plan->devices == NULL), "devices: NULL-ness differs");
  for (int i = 0; want_plan->devices && i < want_plan->n_devices; i++) {
    const struct husk_device *want = &want_plan->devices[i], *got = &got_plan->devices[i];
    char what[64];
    snprintf(what, sizeof what, "devices[%d]", i);
    same_string(want->path, got->path, what);
    SAME(mode);
    SAME(major);
    SAME(minor);
    SAME(uid);
    SAME(gid);
    same_string(want->bind_from, got->bind_from, what);
  }
  CHECK((want_plan->symlinks == NULL) == (got_plan->symlinks == NULL), "symlinks: NULL-ness differs");
  for (int i = 0; want_plan->symlinks && i < want_plan->n_symlinks; i++) {
    same_string(want_plan->symlinks[i].target, got_plan->symlinks[i].target, "symlinks[].target");
    same_string(want_plan->symlinks[i].path, got_plan->symlinks[i].path, "symlinks[].path");
  }
}

static void same_plan(const struct husk_plan *want, const struct husk_plan *got, const struct fd_map *fds) {
  const char *what = "plan";
  SAME(new_namespace_flags);
  SAME(new_user_namespace);
  SAME(n_joins);
  CHECK((want->joins == NULL) == (got->joins == NULL), "joins: NULL-ness differs");
  for (int i = 0; want->joins && i < want->n_joins; i++) {
    CHECK(got->joins[i].clone_flag == want->joins[i].clone_flag, "joins[%d].clone_flag differs", i);
    same_string(want->joins[i].path, got->joins[i].path, "joins[].path");
    CHECK(got->joins[i].fd == expected_fd(fds, want->joins[i].fd), "joins[%d].fd: %d", i, got->joins[i].fd);
  }
  SAME(has_time_offsets);
  SAME(time_offsets.monotonic_secs);
  SAME(time_offsets.monotonic_nanosecs);
  SAME(time_offsets.boottime_secs);
  SAME(time_offsets.boottime_nanosecs);
  CHECK(got->cgroup_fd == expected_fd(fds, want->cgroup_fd), "cgroup_fd: %d", got->cgroup_fd);

  same_string(want->rootfs, got->rootfs, "rootfs");
  SAME(rootfs_propagation);
  SAME(readonly_root);
  SAME(rootfs_setup);
  SAME(no_pivot);
  SAME(n_mounts);
  same_mounts(want, got);
  SAME(n_devices);
  SAME(n_symlinks);
  same_devices_and_links(want, got);
  SAME(n_masked_paths);
  same_counted_strings(want->masked_paths, got->masked_paths, want->n_masked_paths, "masked_paths");
  SAME(n_readonly_paths);
  same_counted_strings(want->readonly_paths, got->readonly_paths, want->n_readonly_paths, "readonly_paths");
  same_string(want->hostname, got->hostname, "hostname");
  same_string(want->domainname, got->domainname, "domainname");

  same_terminated_strings(want->argv, got->argv, "argv");
  same_terminated_strings(want->envp, got->envp, "envp");
  same_string(want->cwd, got->cwd, "cwd");
  SAME(uid);
  SAME(gid);
  SAME(n_additional_gids);
  same_bytes(want->additional_gids, got->additional_gids, (size_t)want->n_additional_gids * sizeof(gid_t), "additional_gids");
  SAME(umask);
  SAME(n_rlimits);
  CHECK((want->rlimits == NULL) == (got->rlimits == NULL), "rlimits: NULL-ness differs");
  for (int i = 0; want->rlimits && i < want->n_rlimits; i++)
    CHECK(got->rlimits[i].resource == want->rlimits[i].resource && got->rlimits[i].soft == want->rlimits[i].soft &&
              got->rlimits[i].hard == want->rlimits[i].hard,
          "rlimits[%d] differs", i);
  SAME(preserve_fds);
  CHECK(got->exec_fifo_fd == expected_fd(fds, want->exec_fifo_fd), "exec_fifo_fd: %d", got->exec_fifo_fd);
  CHECK(got->result_fifo_fd == expected_fd(fds, want->result_fifo_fd), "result_fifo_fd: %d", got->result_fifo_fd);
  SAME(new_session);
  SAME(n_create_container_hooks);
  same_hooks(want->create_container_hooks, got->create_container_hooks, want->n_create_container_hooks, "create_container_hooks");
  SAME(n_start_container_hooks);
  same_hooks(want->start_container_hooks, got->start_container_hooks, want->n_start_container_hooks, "start_container_hooks");

  SAME(set_capabilities);
  SAME(cap_bounding);
  SAME(cap_effective);
  SAME(cap_permitted);
  SAME(cap_inheritable);
  SAME(cap_ambient);
  SAME(cap_last_cap);
  SAME(no_new_privileges);
  same_string(want->session_keyring, got->session_keyring, "session_keyring");

  CHECK(got->n_close_first_fds == 0, "n_close_first_fds: %d", got->n_close_first_fds);
  /* Scratch: made by the reader, as CopyPlan makes it, whatever the sender had. */
  CHECK(got->sync_fd == -1, "sync_fd: %d", got->sync_fd);
  CHECK(got->payload_capacity == PAYLOAD_CAPACITY, "payload_capacity: %zu", got->payload_capacity);
  CHECK(got->payload && got->exec_path && got->scratch, "a scratch buffer is missing");
  got->payload[PAYLOAD_CAPACITY - 1] = 'p'; /* the whole of each is there and writable */
  got->exec_path[PATH_MAX - 1] = 'e';
  got->scratch[PATH_MAX * 2 - 1] = 's';

  SAME(seccomp_program_length);
  same_bytes(want->seccomp_program, got->seccomp_program, want->seccomp_program_length * 8, "seccomp_program");
  SAME(seccomp_flags);
  SAME(seccomp_before_user_switch);
  SAME(n_sysctls);
  same_counted_strings(want->sysctl_paths, got->sysctl_paths, want->n_sysctls, "sysctl_paths");
  same_counted_strings(want->sysctl_values, got->sysctl_values, want->n_sysctls, "sysctl_values");
  SAME(has_scheduler);
  SAME(sched_policy);
  SAME(sched_flags);
  SAME(sched_nice);
  SAME(sched_priority);
  SAME(sched_runtime);
  SAME(sched_deadline);
  SAME(sched_period);
  SAME(io_priority);
  SAME(personality);
  same_string(want->apparmor_profile, got->apparmor_profile, "apparmor_profile");
  same_string(want->selinux_label, got->selinux_label, "selinux_label");

  SAME(terminal);
  CHECK(got->console_socket_fd == expected_fd(fds, want->console_socket_fd), "console_socket_fd: %d", got->console_socket_fd);
  SAME(console_rows);
  SAME(console_cols);
  SAME(mount_console);
  CHECK(got->ns_pidfd == expected_fd(fds, want->ns_pidfd), "ns_pidfd: %d", got->ns_pidfd);
  SAME(ns_flags);
  CHECK(got->root_fd == expected_fd(fds, want->root_fd), "root_fd: %d", got->root_fd);
}

/* ---- the checks ---- */

/* Received fds stand-ins: distinct from the sent ones and from each other. */
static void received_fds(int *received, int n) {
  for (int i = 0; i < n; i++) received[i] = 1000 + 7 * i;
}

static void expect_rejected(const void *bytes, size_t len, const int *fds, int n_fds, const char *what) {
  errno = 0;
  struct husk_plan *plan = husk_plan_deserialize(bytes, len, fds, n_fds);
  if (plan) husk_plan_memory_free(plan);
  CHECK(!plan, "%s: accepted", what);
  CHECK(errno == EINVAL, "%s: errno %d, not EINVAL", what, errno);
}

/* Serialize, check the fds sent, rebuild from a copy that is then scribbled over (the plan must
 * own its memory), compare. Returns the bytes (malloc'd) for the hostile-input checks. */
static unsigned char *round_trip(const struct husk_plan *plan, int want_fds, size_t *len, int *sent, int *n_sent, const char *name) {
  unsigned char *bytes = husk_plan_serialize(plan, len, sent, n_sent);
  CHECK(bytes, "%s: serialize failed: %s", name, strerror(errno));
  CHECK(*n_sent == want_fds, "%s: %d fds to send, expected %d", name, *n_sent, want_fds);
  for (int i = 0; i < *n_sent; i++)
    for (int k = 0; k < i; k++) CHECK(sent[i] != sent[k], "%s: fd %d sent twice", name, sent[i]);

  unsigned char *copy = malloc(*len);
  memcpy(copy, bytes, *len);
  int received[HUSK_PLAN_WIRE_MAX_FDS];
  received_fds(received, *n_sent);
  struct husk_plan *rebuilt = husk_plan_deserialize(copy, *len, received, *n_sent);
  CHECK(rebuilt, "%s: deserialize failed: %s", name, strerror(errno));
  memset(copy, 0xa5, *len);
  free(copy);
  struct fd_map map = {sent, received, *n_sent};
  same_plan(plan, rebuilt, &map);

  /* The bytes of the rebuilt plan are the same bytes: nothing is lost on a second trip. */
  size_t again_len;
  int again_fds[HUSK_PLAN_WIRE_MAX_FDS], n_again;
  unsigned char *again = husk_plan_serialize(rebuilt, &again_len, again_fds, &n_again);
  CHECK(again && n_again == *n_sent, "%s: second serialize failed", name);
  for (int i = 0; i < n_again; i++) CHECK(again_fds[i] == received[i], "%s: second trip fd %d", name, i);
  free(again);
  husk_plan_memory_free(rebuilt);
  return bytes;
}

static long vm_size_kb(void) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (status && fgets(line, sizeof line, status))
    if (sscanf(line, "VmSize: %ld", &kb) == 1) break;
  if (status) fclose(status);
  return kb;
}

static void put_int(unsigned char *bytes, size_t at, int value) { memcpy(bytes + at, &value, sizeof value); }

int main(void) {
  struct husk_plan *full = full_plan();
  struct husk_plan *sparse = sparse_plan();
  size_t len, sparse_len;
  int sent[HUSK_PLAN_WIRE_MAX_FDS], n_sent, sparse_sent[HUSK_PLAN_WIRE_MAX_FDS], n_sparse_sent;
  unsigned char *bytes = round_trip(full, 9, &len, sent, &n_sent, "full plan");
  unsigned char *sparse_bytes = round_trip(sparse, 1, &sparse_len, sparse_sent, &n_sparse_sent, "sparse plan");
  CHECK(sparse_sent[0] == 70, "sparse plan: sent fd %d, not its ns_pidfd", sparse_sent[0]);

  int received[HUSK_PLAN_WIRE_MAX_FDS];
  received_fds(received, HUSK_PLAN_WIRE_MAX_FDS);
  unsigned char *bad = malloc(len + 1);
  long vm_before = vm_size_kb();

  /* Every truncation. */
  for (size_t n = 0; n < len; n++) {
    memcpy(bad, bytes, n);
    expect_rejected(bad, n, received, n_sent, "a truncation");
  }
  for (size_t n = 0; n < sparse_len; n++) expect_rejected(sparse_bytes, n, received, n_sparse_sent, "a truncation of the sparse plan");

  /* Trailing bytes, and fds that do not match the indexes. */
  memcpy(bad, bytes, len);
  bad[len] = 0;
  expect_rejected(bad, len + 1, received, n_sent, "a trailing byte");
  expect_rejected(bytes, len, received, n_sent - 1, "one fd too few");
  expect_rejected(bytes, len, received, n_sent + 1, "one fd too many");
  expect_rejected(bytes, len, received, -1, "n_fds -1");
  expect_rejected(bytes, len, NULL, n_sent, "no fds array");
  expect_rejected(bytes, len, received, HUSK_PLAN_WIRE_MAX_FDS + 1, "n_fds over the maximum");

  /* The header: magic, version, a layout from another build. */
  const size_t plan_at = sizeof(struct husk_plan_wire_header);
  for (size_t at = 0; at < plan_at; at += 4) {
    memcpy(bad, bytes, len);
    bad[at] ^= 1;
    expect_rejected(bad, len, received, n_sent, "a changed header word");
  }

  /* Counts out of range, or more elements than there are. */
  struct {
    size_t field;
    int value;
    const char *what;
  } counts[] = {
      {offsetof(struct husk_plan, n_mounts), -1, "n_mounts -1"},
      {offsetof(struct husk_plan, n_mounts), (1 << 20) + 1, "n_mounts over the limit"},
      {offsetof(struct husk_plan, n_mounts), 3, "n_mounts one more than sent"},
      {offsetof(struct husk_plan, n_joins), 0x7fffffff, "n_joins INT_MAX"},
      {offsetof(struct husk_plan, n_devices), 1 << 20, "n_devices at the limit, with few bytes"},
      {offsetof(struct husk_plan, n_additional_gids), 4, "n_additional_gids one more than sent"},
      {offsetof(struct husk_plan, n_sysctls), 3, "n_sysctls one more than sent"},
      {offsetof(struct husk_plan, n_masked_paths), -100, "n_masked_paths negative"},
      {offsetof(struct husk_plan, n_start_container_hooks), 1000, "n_start_container_hooks 1000"},
      {offsetof(struct husk_plan, cgroup_fd), 9, "an fd index past the fds"},
      {offsetof(struct husk_plan, cgroup_fd), -2, "an fd index -2"},
      {offsetof(struct husk_plan, root_fd), 0, "an fd index used twice"},
  };
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memcpy(bad, bytes, len);
    put_int(bad, plan_at + counts[i].field, counts[i].value);
    expect_rejected(bad, len, received, n_sent, counts[i].what);
  }
  size_t huge_program = (size_t)1 << 40;
  memcpy(bad, bytes, len);
  memcpy(bad + plan_at + offsetof(struct husk_plan, seccomp_program_length), &huge_program, sizeof huge_program);
  expect_rejected(bad, len, received, n_sent, "seccomp_program_length 2^40");

  /* A string: its NUL gone, a NUL inside, its size too large or too small. */
  static const char rootfs[] = "/rootfs-of-plan-1";
  unsigned char *found = memmem(bytes, len, rootfs, sizeof rootfs);
  CHECK(found, "rootfs not found in the bytes");
  size_t rootfs_at = (size_t)(found - bytes);
  memcpy(bad, bytes, len);
  bad[rootfs_at + sizeof rootfs - 1] = 'x';
  expect_rejected(bad, len, received, n_sent, "a string without its NUL");
  memcpy(bad, bytes, len);
  bad[rootfs_at + 4] = '\0';
  expect_rejected(bad, len, received, n_sent, "a string with a NUL inside");
  uint32_t sizes[] = {0xfffffff0u, (uint32_t)sizeof rootfs + 1, (uint32_t)sizeof rootfs - 1, 1u << 25};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    memcpy(bad, bytes, len);
    memcpy(bad + rootfs_at - 4, &sizes[i], 4);
    expect_rejected(bad, len, received, n_sent, "a wrong string size");
  }
  /* The presence word of the joins, right after the plan: neither 0 nor 1, or 0 with joins. */
  uint32_t presences[] = {2, 0, UINT32_MAX};
  for (size_t i = 0; i < sizeof presences / sizeof presences[0]; i++) {
    memcpy(bad, bytes, len);
    memcpy(bad + plan_at + sizeof(struct husk_plan), &presences[i], 4);
    expect_rejected(bad, len, received, n_sent, "a wrong presence word");
  }

  /* Random damage must never crash the reader (it may or may not make a valid plan). */
  unsigned state = 12345;
  int accepted = 0;
  for (int round = 0; round < 20000; round++) {
    memcpy(bad, bytes, len);
    for (int flips = 1 + round % 4; flips > 0; flips--) {
      state = state * 1103515245u + 12345u;
      bad[(state >> 8) % len] ^= (unsigned char)(1u << (state >> 4 & 7));
    }
    state = state * 1103515245u + 12345u;
    size_t cut = round % 8 == 0 ? (state >> 8) % (len + 1) : len;
    struct husk_plan *plan = husk_plan_deserialize(bad, cut, received, n_sent);
    if (plan) {
      accepted++;
      husk_plan_memory_free(plan);
    } else {
      CHECK(errno == EINVAL, "random damage: errno %d, not EINVAL", errno);
    }
  }

  long vm_after = vm_size_kb();
  CHECK(vm_before == vm_after, "rejected plans left memory mapped: VmSize %ld kB, then %ld kB", vm_before, vm_after);

  /* What the writer refuses. */
  int too_many[HUSK_PLAN_WIRE_MAX_FDS];
  struct husk_plan *crowded = husk_plan_memory_begin(sizeof *crowded);
  crowded->n_joins = HUSK_PLAN_WIRE_MAX_FDS + 1;
  crowded->joins = husk_plan_alloc((size_t)crowded->n_joins * sizeof *crowded->joins);
  for (int i = 0; i < crowded->n_joins; i++) crowded->joins[i] = (struct husk_join){0x20000, text("/proc/1/ns/mnt"), 100 + i};
  crowded->cgroup_fd = crowded->exec_fifo_fd = crowded->result_fifo_fd = crowded->console_socket_fd = crowded->ns_pidfd =
      crowded->root_fd = -1;
  size_t ignored_len;
  int ignored_n;
  errno = 0;
  CHECK(!husk_plan_serialize(crowded, &ignored_len, too_many, &ignored_n) && errno == E2BIG, "65 fds: not E2BIG");
  crowded->n_joins = 2;
  crowded->joins[1].fd = -1;
  void *one_fd = husk_plan_serialize(crowded, &ignored_len, too_many, &ignored_n);
  CHECK(one_fd && ignored_n == 1 && too_many[0] == 100, "two joins, one with an fd: not that one fd");
  free(one_fd);
  crowded->n_mounts = 1; /* and no mounts array */
  errno = 0;
  CHECK(!husk_plan_serialize(crowded, &ignored_len, too_many, &ignored_n) && errno == EINVAL, "a count without its array: not EINVAL");
  crowded->n_mounts = -1;
  errno = 0;
  CHECK(!husk_plan_serialize(crowded, &ignored_len, too_many, &ignored_n) && errno == EINVAL, "a negative count: not EINVAL");
  husk_plan_memory_free(crowded);

  printf("plan-wire-test: ok (%zu bytes and %d fds for the full plan, %zu and %d for the sparse one; %zu truncations, %d of 20000 damaged copies accepted)\n",
         len, n_sent, sparse_len, n_sparse_sent, len + sparse_len, accepted);
  free(bad);
  free(bytes);
  free(sparse_bytes);
  husk_plan_memory_free(full);
  husk_plan_memory_free(sparse);
  return 0;
}

/* struct husk_plan to bytes and back (plan-wire.h describes the format).
 *
 * The scalars travel inside a copy of each struct, so a new scalar field travels without any
 * change here. A new pointer or fd field does not: it needs its line in the writer and the reader
 * (and in test/native/plan-wire-test.c). The size checks below fail the build when a struct
 * grows, which a pointer always makes it do, so that nobody ships a plan whose new pointer
 * reaches the other process as a number from the daemon's address space.
 *
 * The reader trusts the daemon about what the plan says, but not about the bytes being well
 * formed: every count and size is checked against its limit and against the bytes left before
 * anything is allocated or copied. */
#include "plan-wire.h"

#include "memory.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT (1 << 20)         /* elements in any one array */
#define MAX_STRING (1u << 24)       /* bytes in any one string, its NUL included */
#define PAYLOAD_CAPACITY (1u << 20) /* binding.cc's kPayloadCapacity */
#define NULL_LIST UINT32_MAX        /* the count of a NULL-terminated array that is NULL itself */
#define SECCOMP_INSTRUCTION_SIZE 8  /* sizeof(struct sock_filter) */

_Static_assert(HUSK_PLAN_WIRE_MAX_FDS <= 64, "the reader keeps the fds it took in a uint64_t");

#if defined(__x86_64__) || defined(__aarch64__)
#define TEACH_PLAN_WIRE \
  "a plan struct changed: teach addon/plan-wire.c and test/native/plan-wire-test.c its new field, then update this size"
_Static_assert(sizeof(struct husk_plan) == 576, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_join) == 24, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_mount) == 88, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_device) == 40, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_symlink) == 16, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_rlimit) == 24, TEACH_PLAN_WIRE);
_Static_assert(sizeof(struct husk_hook) == 32, TEACH_PLAN_WIRE);
#endif

static const struct husk_plan_wire_header kHeader = {
    .magic = HUSK_PLAN_WIRE_MAGIC,
    .version = HUSK_PLAN_WIRE_VERSION,
    .plan_size = sizeof(struct husk_plan),
    .join_size = sizeof(struct husk_join),
    .mount_size = sizeof(struct husk_mount),
    .device_size = sizeof(struct husk_device),
    .symlink_size = sizeof(struct husk_symlink),
    .rlimit_size = sizeof(struct husk_rlimit),
    .hook_size = sizeof(struct husk_hook),
};

/* ---- writing ---- */

struct writer {
  unsigned char *data;
  size_t len, capacity;
  int *fds;
  int n_fds;
  int error; /* errno of the first failure; once set, nothing more is written */
};

static void fail(struct writer *w, int err) {
  if (!w->error) w->error = err;
}

static void put_bytes(struct writer *w, const void *bytes, size_t n) {
  if (w->error) return;
  if (n > w->capacity - w->len) {
    size_t capacity = w->capacity ? w->capacity : 4096;
    while (capacity - w->len < n) {
      if (capacity > SIZE_MAX / 2) {
        fail(w, ENOMEM);
        return;
      }
      capacity *= 2;
    }
    unsigned char *grown = realloc(w->data, capacity);
    if (!grown) {
      fail(w, ENOMEM);
      return;
    }
    w->data = grown;
    w->capacity = capacity;
  }
  if (n) memcpy(w->data + w->len, bytes, n);
  w->len += n;
}

static void put_u32(struct writer *w, uint32_t value) { put_bytes(w, &value, sizeof value); }

static void put_string(struct writer *w, const char *text) {
  size_t size = text ? strlen(text) + 1 : 0;
  if (size > MAX_STRING) {
    fail(w, EINVAL);
    return;
  }
  put_u32(w, (uint32_t)size);
  if (text) put_bytes(w, text, size);
}

static void put_terminated_strings(struct writer *w, char *const *list) {
  if (!list) {
    put_u32(w, NULL_LIST);
    return;
  }
  size_t n = 0;
  while (list[n]) n++;
  if (n > MAX_COUNT) {
    fail(w, EINVAL);
    return;
  }
  put_u32(w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) put_string(w, list[i]);
}

/* Writes whether a counted array is there; returns whether its elements follow. */
static int put_presence(struct writer *w, const void *array, long long count) {
  if (count < 0 || count > MAX_COUNT || (!array && count > 0)) {
    fail(w, EINVAL);
    return 0;
  }
  put_u32(w, array != NULL);
  return array != NULL;
}

static void put_counted_strings(struct writer *w, char *const *list, int count) {
  if (put_presence(w, list, count))
    for (int i = 0; i < count; i++) put_string(w, list[i]);
}

/* What an fd field holds on the wire: the fd's index among those sent beside the bytes, or -1. */
static int fd_index(struct writer *w, int fd) {
  if (fd < 0) return -1;
  if (w->n_fds == HUSK_PLAN_WIRE_MAX_FDS) {
    fail(w, E2BIG);
    return -1;
  }
  w->fds[w->n_fds] = fd;
  return w->n_fds++;
}

static void put_joins(struct writer *w, const struct husk_plan *plan) {
  if (!put_presence(w, plan->joins, plan->n_joins)) return;
  for (int i = 0; i < plan->n_joins; i++) {
    struct husk_join flat;
    memcpy(&flat, &plan->joins[i], sizeof flat);
    flat.path = NULL;
    flat.fd = fd_index(w, plan->joins[i].fd);
    put_bytes(w, &flat, sizeof flat);
    put_string(w, plan->joins[i].path);
  }
}

static void put_mounts(struct writer *w, const struct husk_plan *plan) {
  if (!put_presence(w, plan->mounts, plan->n_mounts)) return;
  for (int i = 0; i < plan->n_mounts; i++) {
    const struct husk_mount *m = &plan->mounts[i];
    struct husk_mount flat;
    memcpy(&flat, m, sizeof flat);
    flat.source = flat.destination = flat.fstype = flat.data = NULL;
    flat.propagation = NULL;
    put_bytes(w, &flat, sizeof flat);
    put_string(w, m->source);
    put_string(w, m->destination);
    put_string(w, m->fstype);
    put_string(w, m->data);
    if (put_presence(w, m->propagation, m->n_propagation))
      put_bytes(w, m->propagation, (size_t)m->n_propagation * sizeof *m->propagation);
  }
}

static void put_devices(struct writer *w, const struct husk_plan *plan) {
  if (!put_presence(w, plan->devices, plan->n_devices)) return;
  for (int i = 0; i < plan->n_devices; i++) {
    struct husk_device flat;
    memcpy(&flat, &plan->devices[i], sizeof flat);
    flat.path = flat.bind_from = NULL;
    put_bytes(w, &flat, sizeof flat);
    put_string(w, plan->devices[i].path);
    put_string(w, plan->devices[i].bind_from);
  }
}

static void put_symlinks(struct writer *w, const struct husk_plan *plan) {
  if (!put_presence(w, plan->symlinks, plan->n_symlinks)) return;
  for (int i = 0; i < plan->n_symlinks; i++) {
    struct husk_symlink flat;
    memcpy(&flat, &plan->symlinks[i], sizeof flat);
    flat.target = flat.path = NULL;
    put_bytes(w, &flat, sizeof flat);
    put_string(w, plan->symlinks[i].target);
    put_string(w, plan->symlinks[i].path);
  }
}

static void put_hooks(struct writer *w, const struct husk_hook *hooks, int count) {
  if (!put_presence(w, hooks, count)) return;
  for (int i = 0; i < count; i++) {
    struct husk_hook flat;
    memcpy(&flat, &hooks[i], sizeof flat);
    flat.path = NULL;
    flat.argv = flat.envp = NULL;
    put_bytes(w, &flat, sizeof flat);
    put_string(w, hooks[i].path);
    put_terminated_strings(w, hooks[i].argv);
    put_terminated_strings(w, hooks[i].envp);
  }
}

void *husk_plan_serialize(const struct husk_plan *plan, size_t *len, int *fds, int *n_fds) {
  if (!plan || !len || !fds || !n_fds) {
    errno = EINVAL;
    return NULL;
  }
  struct writer w = {.fds = fds};
  put_bytes(&w, &kHeader, sizeof kHeader);

  /* The plan's scalars as they are; its pointers zeroed (their targets follow); fds as indexes. */
  struct husk_plan flat;
  memcpy(&flat, plan, sizeof flat);
  flat.joins = NULL;
  flat.rootfs = NULL;
  flat.mounts = NULL;
  flat.devices = NULL;
  flat.symlinks = NULL;
  flat.masked_paths = flat.readonly_paths = NULL;
  flat.hostname = flat.domainname = NULL;
  flat.argv = flat.envp = NULL;
  flat.cwd = NULL;
  flat.additional_gids = NULL;
  flat.rlimits = NULL;
  flat.create_container_hooks = flat.start_container_hooks = NULL;
  flat.session_keyring = NULL;
  flat.seccomp_program = NULL;
  flat.sysctl_paths = flat.sysctl_values = NULL;
  flat.apparmor_profile = flat.selinux_label = NULL;
  /* The worker's fds to close mean nothing in the front end, which names its own (plan.h). */
  flat.n_close_first_fds = 0;
  /* Scratch does not travel: the reader makes its own. */
  flat.sync_fd = 0;
  flat.payload = flat.exec_path = flat.scratch = NULL;
  flat.payload_capacity = 0;
  flat.cgroup_fd = fd_index(&w, plan->cgroup_fd);
  flat.exec_fifo_fd = fd_index(&w, plan->exec_fifo_fd);
  flat.result_fifo_fd = fd_index(&w, plan->result_fifo_fd);
  flat.console_socket_fd = fd_index(&w, plan->console_socket_fd);
  flat.ns_pidfd = fd_index(&w, plan->ns_pidfd);
  flat.root_fd = fd_index(&w, plan->root_fd);
  put_bytes(&w, &flat, sizeof flat);

  /* The pointer targets, in the order of plan.h (the reader follows the same order). */
  put_joins(&w, plan);
  put_string(&w, plan->rootfs);
  put_mounts(&w, plan);
  put_devices(&w, plan);
  put_symlinks(&w, plan);
  put_counted_strings(&w, plan->masked_paths, plan->n_masked_paths);
  put_counted_strings(&w, plan->readonly_paths, plan->n_readonly_paths);
  put_string(&w, plan->hostname);
  put_string(&w, plan->domainname);
  put_terminated_strings(&w, plan->argv);
  put_terminated_strings(&w, plan->envp);
  put_string(&w, plan->cwd);
  if (put_presence(&w, plan->additional_gids, plan->n_additional_gids))
    put_bytes(&w, plan->additional_gids, (size_t)plan->n_additional_gids * sizeof *plan->additional_gids);
  if (put_presence(&w, plan->rlimits, plan->n_rlimits))
    put_bytes(&w, plan->rlimits, (size_t)plan->n_rlimits * sizeof *plan->rlimits);
  put_hooks(&w, plan->create_container_hooks, plan->n_create_container_hooks);
  put_hooks(&w, plan->start_container_hooks, plan->n_start_container_hooks);
  put_string(&w, plan->session_keyring);
  if (plan->seccomp_program_length > MAX_COUNT) fail(&w, EINVAL);
  else if (put_presence(&w, plan->seccomp_program, (long long)plan->seccomp_program_length))
    put_bytes(&w, plan->seccomp_program, plan->seccomp_program_length * SECCOMP_INSTRUCTION_SIZE);
  put_counted_strings(&w, plan->sysctl_paths, plan->n_sysctls);
  put_counted_strings(&w, plan->sysctl_values, plan->n_sysctls);
  put_string(&w, plan->apparmor_profile);
  put_string(&w, plan->selinux_label);

  if (w.error) {
    free(w.data);
    errno = w.error;
    return NULL;
  }
  *len = w.len;
  *n_fds = w.n_fds;
  return w.data;
}

/* ---- reading ---- */

struct reader {
  const unsigned char *at, *end;
  const int *fds;
  int n_fds;
  uint64_t fds_taken; /* bit i: fds[i] went into the plan */
  int bad;            /* once set, every read fails and returns nothing */
};

static size_t left(const struct reader *r) { return (size_t)(r->end - r->at); }

static int take(struct reader *r, void *out, size_t n) {
  if (r->bad || left(r) < n) {
    r->bad = 1;
    return 0;
  }
  if (n) memcpy(out, r->at, n);
  r->at += n;
  return 1;
}

static uint32_t get_u32(struct reader *r) {
  uint32_t value = 0;
  take(r, &value, sizeof value);
  return value;
}

/* Whether `count` elements of at least `wire_size` bytes each can be what is left: checked before
 * allocating them, so that a few bad bytes cannot ask for gigabytes. */
static int fits(struct reader *r, long long count, size_t wire_size) {
  if (r->bad || count < 0 || count > MAX_COUNT || (size_t)count > left(r) / wire_size) {
    r->bad = 1;
    return 0;
  }
  return 1;
}

static char *get_string(struct reader *r) {
  uint32_t size = get_u32(r);
  if (r->bad || size == 0) return NULL;
  if (size > MAX_STRING || size > left(r) || memchr(r->at, '\0', size) != r->at + size - 1) {
    r->bad = 1;
    return NULL;
  }
  char *text = husk_plan_alloc(size);
  take(r, text, size);
  return text;
}

static char **get_terminated_strings(struct reader *r) {
  uint32_t n = get_u32(r);
  if (r->bad || n == NULL_LIST || !fits(r, n, sizeof(uint32_t))) return NULL;
  char **list = husk_plan_alloc(((size_t)n + 1) * sizeof *list);
  for (uint32_t i = 0; i < n && !r->bad; i++)
    if (!(list[i] = get_string(r))) r->bad = 1; /* a NULL would end the list early */
  return list;
}

/* Reads whether a counted array is there; returns whether `count` elements (of at least
 * `wire_size` bytes each) follow. */
static int get_presence(struct reader *r, long long count, size_t wire_size) {
  uint32_t present = get_u32(r);
  if (r->bad) return 0;
  if (present > 1 || (!present && count != 0)) {
    r->bad = 1;
    return 0;
  }
  return present && fits(r, count, wire_size);
}

/* A counted array of plain values; its presence and count are checked already. */
static void *get_values(struct reader *r, size_t count, size_t size) {
  void *values = husk_plan_alloc(count * size);
  take(r, values, count * size);
  return values;
}

/* A counted array of strings, NULL-terminated too as binding.cc makes them. */
static char **get_counted_strings(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(uint32_t))) return NULL;
  char **list = husk_plan_alloc(((size_t)count + 1) * sizeof *list);
  for (int i = 0; i < count && !r->bad; i++) list[i] = get_string(r);
  return list;
}

static int get_fd(struct reader *r, int index) {
  if (index == -1) return -1;
  if (index < 0 || index >= r->n_fds || (r->fds_taken >> index & 1)) {
    r->bad = 1;
    return -1;
  }
  r->fds_taken |= 1ULL << index;
  return r->fds[index];
}

static struct husk_join *get_joins(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(struct husk_join))) return NULL;
  struct husk_join *joins = husk_plan_alloc((size_t)count * sizeof *joins);
  for (int i = 0; i < count && take(r, &joins[i], sizeof joins[i]); i++) {
    joins[i].fd = get_fd(r, joins[i].fd);
    joins[i].path = get_string(r);
  }
  return joins;
}

static struct husk_mount *get_mounts(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(struct husk_mount))) return NULL;
  struct husk_mount *mounts = husk_plan_alloc((size_t)count * sizeof *mounts);
  for (int i = 0; i < count && take(r, &mounts[i], sizeof mounts[i]); i++) {
    struct husk_mount *m = &mounts[i];
    m->source = get_string(r);
    m->destination = get_string(r);
    m->fstype = get_string(r);
    m->data = get_string(r);
    m->propagation = get_presence(r, m->n_propagation, sizeof *m->propagation)
                         ? get_values(r, (size_t)m->n_propagation, sizeof *m->propagation)
                         : NULL;
  }
  return mounts;
}

static struct husk_device *get_devices(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(struct husk_device))) return NULL;
  struct husk_device *devices = husk_plan_alloc((size_t)count * sizeof *devices);
  for (int i = 0; i < count && take(r, &devices[i], sizeof devices[i]); i++) {
    devices[i].path = get_string(r);
    devices[i].bind_from = get_string(r);
  }
  return devices;
}

static struct husk_symlink *get_symlinks(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(struct husk_symlink))) return NULL;
  struct husk_symlink *symlinks = husk_plan_alloc((size_t)count * sizeof *symlinks);
  for (int i = 0; i < count && take(r, &symlinks[i], sizeof symlinks[i]); i++) {
    symlinks[i].target = get_string(r);
    symlinks[i].path = get_string(r);
  }
  return symlinks;
}

static struct husk_hook *get_hooks(struct reader *r, int count) {
  if (!get_presence(r, count, sizeof(struct husk_hook))) return NULL;
  struct husk_hook *hooks = husk_plan_alloc((size_t)count * sizeof *hooks);
  for (int i = 0; i < count && take(r, &hooks[i], sizeof hooks[i]); i++) {
    hooks[i].path = get_string(r);
    hooks[i].argv = get_terminated_strings(r);
    hooks[i].envp = get_terminated_strings(r);
  }
  return hooks;
}

struct husk_plan *husk_plan_deserialize(const void *data, size_t len, const int *fds, int n_fds) {
  if (!data) {
    errno = EINVAL;
    return NULL;
  }
  struct reader r = {.at = data, .end = (const unsigned char *)data + len, .fds = fds, .n_fds = n_fds};
  struct husk_plan_wire_header header;
  if (n_fds < 0 || n_fds > HUSK_PLAN_WIRE_MAX_FDS || (n_fds > 0 && !fds) || !take(&r, &header, sizeof header) ||
      memcmp(&header, &kHeader, sizeof header) != 0 || left(&r) < sizeof(struct husk_plan)) {
    errno = EINVAL;
    return NULL;
  }
  struct husk_plan *plan = husk_plan_memory_begin(sizeof *plan);
  take(&r, plan, sizeof *plan);
  plan->cgroup_fd = get_fd(&r, plan->cgroup_fd);
  plan->exec_fifo_fd = get_fd(&r, plan->exec_fifo_fd);
  plan->result_fifo_fd = get_fd(&r, plan->result_fifo_fd);
  plan->console_socket_fd = get_fd(&r, plan->console_socket_fd);
  plan->ns_pidfd = get_fd(&r, plan->ns_pidfd);
  plan->root_fd = get_fd(&r, plan->root_fd);

  /* Every pointer is assigned here, whatever the bytes held in its place. */
  plan->joins = get_joins(&r, plan->n_joins);
  plan->rootfs = get_string(&r);
  plan->mounts = get_mounts(&r, plan->n_mounts);
  plan->devices = get_devices(&r, plan->n_devices);
  plan->symlinks = get_symlinks(&r, plan->n_symlinks);
  plan->masked_paths = get_counted_strings(&r, plan->n_masked_paths);
  plan->readonly_paths = get_counted_strings(&r, plan->n_readonly_paths);
  plan->hostname = get_string(&r);
  plan->domainname = get_string(&r);
  plan->argv = get_terminated_strings(&r);
  plan->envp = get_terminated_strings(&r);
  plan->cwd = get_string(&r);
  plan->additional_gids = get_presence(&r, plan->n_additional_gids, sizeof *plan->additional_gids)
                              ? get_values(&r, (size_t)plan->n_additional_gids, sizeof *plan->additional_gids)
                              : NULL;
  plan->rlimits = get_presence(&r, plan->n_rlimits, sizeof *plan->rlimits)
                      ? get_values(&r, (size_t)plan->n_rlimits, sizeof *plan->rlimits)
                      : NULL;
  plan->create_container_hooks = get_hooks(&r, plan->n_create_container_hooks);
  plan->start_container_hooks = get_hooks(&r, plan->n_start_container_hooks);
  plan->session_keyring = get_string(&r);
  if (plan->seccomp_program_length > MAX_COUNT) r.bad = 1;
  plan->seccomp_program = get_presence(&r, (long long)plan->seccomp_program_length, SECCOMP_INSTRUCTION_SIZE)
                              ? get_values(&r, plan->seccomp_program_length, SECCOMP_INSTRUCTION_SIZE)
                              : NULL;
  plan->sysctl_paths = get_counted_strings(&r, plan->n_sysctls);
  plan->sysctl_values = get_counted_strings(&r, plan->n_sysctls);
  plan->apparmor_profile = get_string(&r);
  plan->selinux_label = get_string(&r);

  uint64_t every_fd = n_fds == 64 ? UINT64_MAX : (1ULL << n_fds) - 1;
  if (r.bad || left(&r) != 0 || r.fds_taken != every_fd) {
    husk_plan_memory_free(plan);
    errno = EINVAL;
    return NULL;
  }
  plan->sync_fd = -1;
  plan->n_close_first_fds = 0; /* whatever arrived: the front end names its own */
  plan->payload_capacity = PAYLOAD_CAPACITY;
  plan->payload = husk_plan_alloc(PAYLOAD_CAPACITY);
  plan->exec_path = husk_plan_alloc(PATH_MAX);
  plan->scratch = husk_plan_alloc(PATH_MAX * 2);
  return plan;
}

/* cgroup v2 device filters: load a BPF_PROG_TYPE_CGROUP_DEVICE program (compiled in TypeScript,
 * src/cgroups/device-filter.ts) and attach it to a cgroup2 directory. Parent side only: runs in
 * husk's own process, never after clone3.
 *
 * Programs are attached with BPF_F_ALLOW_MULTI (as runc does), so programs of parent cgroups keep
 * running too and every one must allow an access. husk names its programs HUSK_DEVICE_FILTER_NAME;
 * attaching a new one detaches the previous husk programs of that cgroup (after the new one is in,
 * so there is no moment without a filter), and leaves other programs alone. The kernel detaches
 * and frees everything attached to a cgroup when the cgroup is removed. */
#ifndef HUSK_BPF_H
#define HUSK_BPF_H

#include <stddef.h>
#include <stdint.h>

#define HUSK_DEVICE_FILTER_NAME "husk_devices"

/* What went wrong, for the message: the step ("loading the device filter program"), and for a
 * refused program the verifier's log (the caller's buffer, NUL-terminated, may be empty). */
struct husk_bpf_error {
  const char *step;
  char *log;
  size_t log_size;
};

struct husk_bpf_program_info {
  uint32_t id;
  char name[16];  /* BPF_OBJ_NAME_LEN */
};

/* Load `count` struct bpf_insn and attach the program to the cgroup2 directory `cgroup_dir`, then
 * detach husk's previous programs there. *new_id: the program's id; *detached: how many old ones
 * went. 0 or -errno (error->step says which step). */
int husk_attach_device_filter(const char *cgroup_dir, const void *insns, size_t count, uint32_t *new_id,
                              uint32_t *detached, struct husk_bpf_error *error);

/* Detach every husk device filter attached to cgroup_dir. *detached: how many. 0 or -errno. */
int husk_detach_device_filters(const char *cgroup_dir, uint32_t *detached, struct husk_bpf_error *error);

/* The device programs attached directly to cgroup_dir (any owner), up to capacity; *count is the
 * number attached (may exceed capacity). 0 or -errno. */
int husk_query_device_filters(const char *cgroup_dir, struct husk_bpf_program_info *out, size_t capacity,
                              size_t *count, struct husk_bpf_error *error);

#endif

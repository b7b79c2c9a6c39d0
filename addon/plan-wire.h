/* The launch plan (plan.h) as bytes, so that a plan built by the daemon can reach the process that
 * clones: the bytes travel over a unix socket and the plan's fds beside them (SCM_RIGHTS).
 *
 * Both ends are the same build of husk on one host, so the format is native: host byte order and
 * the compiler's struct layout. The header says which layout; anything else is refused.
 *
 *   header   struct husk_plan_wire_header
 *   plan     struct husk_plan as in memory, with every pointer zeroed and every fd field holding
 *            an index into the fds sent beside the bytes (-1: no fd)
 *   targets  what the pointers point to, in the order of plan.h, depth first (a mount is its
 *            struct, then its strings, then its propagation array), each one as:
 *              string               u32 size including the NUL (0: NULL), then the bytes
 *              NULL-terminated      u32 count (UINT32_MAX: NULL array), then that many strings
 *              counted array        u32 1 (present) or 0 (NULL), then `count` elements, the
 *                                   count being the plan's own field (n_mounts, ...)
 *
 * The scratch fields (sync_fd, payload, payload_capacity, exec_path, scratch) do not travel: the
 * reader allocates them as binding.cc's CopyPlan does. */
#ifndef HUSK_PLAN_WIRE_H
#define HUSK_PLAN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSK_PLAN_WIRE_MAX_FDS 64
#define HUSK_PLAN_WIRE_MAGIC 0x77706b68u /* "hkpw" in little-endian bytes */
#define HUSK_PLAN_WIRE_VERSION 1u

struct husk_plan_wire_header {
  uint32_t magic;
  uint32_t version;
  /* The layouts the plan was written with: a reader built from another plan.h refuses it. */
  uint32_t plan_size, join_size, mount_size, device_size, symlink_size, rlimit_size, hook_size;
};

/* Serialize `plan`. Returns a malloc'd buffer (*len bytes) or NULL with errno set (EINVAL: a count
 * out of range or a NULL array with a non-zero count; E2BIG: more than HUSK_PLAN_WIRE_MAX_FDS fds;
 * ENOMEM). The fd fields that are >= 0 (joins[i].fd, cgroup_fd, exec_fifo_fd, result_fifo_fd,
 * console_socket_fd, ns_pidfd, root_fd) are appended to fds[] (capacity HUSK_PLAN_WIRE_MAX_FDS;
 * *n_fds gets the count) and the bytes hold their index; a negative fd field travels as -1. The
 * fds are not duplicated: they stay the caller's. */
void *husk_plan_serialize(const struct husk_plan *plan, size_t *len, int *fds, int *n_fds);

/* Rebuild a plan from bytes made by husk_plan_serialize, allocated with husk_plan_memory_begin/
 * husk_plan_alloc (free with husk_plan_memory_free). Fd fields get fds[index]: on success the plan
 * holds every one of the n_fds fds (each index is used exactly once); on failure the caller still
 * owns them all. Scratch buffers are allocated as CopyPlan does (payload 1 MiB, exec_path
 * PATH_MAX, scratch 2 * PATH_MAX); sync_fd = -1. Malformed input (wrong header, truncated, counts
 * or lengths out of range, a string without its NUL or with one inside, an fd index out of range
 * or used twice, fds left unused, trailing bytes) returns NULL with errno EINVAL, having freed
 * whatever it allocated. */
struct husk_plan *husk_plan_deserialize(const void *data, size_t len, const int *fds, int n_fds);

#ifdef __cplusplus
}
#endif

#endif

/* Seccomp in two halves that never meet in one process:
 *
 *   parent (husk, before clone3)    husk_seccomp_compile(): libseccomp builds the filter from rules
 *                                   the TypeScript plan already resolved and exports its BPF program
 *                                   into memory husk owns (libseccomp 2.5.4 exports only to an fd).
 *   child (after clone3)            husk_seccomp_install(): one raw seccomp(2) call with that
 *                                   program; no libseccomp, no allocation, async-signal-safe.
 *
 * libseccomp is never called after clone: it allocates, and its first use probes the kernel. */
#ifndef HUSK_SECCOMP_H
#define HUSK_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* ---- parent side: compilation ---- */

struct husk_seccomp_condition {
  unsigned int index;   /* syscall argument 0..5 */
  int op;               /* enum scmp_compare (SCMP_CMP_NE = 1 .. SCMP_CMP_MASKED_EQ = 7) */
  uint64_t value;
  uint64_t value_two;
};

struct husk_seccomp_rule {
  const char *syscall;  /* name; libseccomp resolves it (per architecture) */
  uint32_t action;      /* SCMP_ACT_* value, errno/trace data included */
  struct husk_seccomp_condition *conditions;
  int n_conditions;
  int unknown;          /* out: 1 when libseccomp does not know the name (the rule was skipped) */
};

struct husk_seccomp_filter {
  uint32_t default_action;
  const char **architectures;  /* libseccomp names ("x86", "x32"); the native one is always there */
  int n_architectures;
  struct husk_seccomp_rule *rules;
  int n_rules;
  int optimize_binary_tree;    /* SCMP_FLTATR_CTL_OPTIMIZE = 2 */
};

struct husk_seccomp_program {
  void *instructions;          /* struct sock_filter[], malloc'd; the caller frees */
  size_t length;               /* number of instructions */
  /* On failure: what failed, for the message. -1 when not that kind of item. */
  int failed_rule;
  int failed_architecture;
};

/* 0, or -errno with program->failed_* saying which rule or architecture libseccomp refused. */
int husk_seccomp_compile(struct husk_seccomp_filter *filter, struct husk_seccomp_program *program);

/* Hand a seccomp listener fd to a seccomp agent (runtime-spec config-linux.md "listenerPath"):
 * connect to the AF_UNIX SOCK_STREAM socket at path and send state_json with the fd attached
 * (SCM_RIGHTS) in the first sendmsg. 0 or -errno. */
int husk_seccomp_send_to_agent(const char *path, int listener_fd, const char *state_json, size_t length);

/* ---- what this build and kernel support (`husk features`) ---- */

/* Whether the running kernel accepts these SECCOMP_FILTER_FLAG_* bits: seccomp(2) is called with
 * them and no program, so it fails either with EINVAL (unknown flags) or EFAULT (flags accepted,
 * program unreadable), and nothing is loaded. 1, 0, or -errno for any other answer. */
int husk_seccomp_flags_supported(unsigned int flags);

/* Whether this build's libseccomp knows an architecture ("x86_64", "loongarch64"). */
int husk_seccomp_arch_known(const char *name);

/* ---- child side: installation (async-signal-safe) ---- */

/* seccomp(SECCOMP_SET_MODE_FILTER, flags, program). Returns the listener fd when flags ask for one
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER), 0 otherwise, or -errno. */
int husk_seccomp_load(const void *instructions, size_t length, unsigned int flags);

/* Install the plan's filter; with a listener, hand the fd to husk and wait for it to reach the
 * agent. Reports failures over the sync socket and exits. No-op without a filter. */
void husk_seccomp_install(struct husk_plan *plan);

#endif

/* Seccomp in two halves that never meet in one process:
 *
 *   parent (husk, before clone3)    husk_seccomp_compile() (seccomp-compile.h): libseccomp builds
 *                                   the filter and exports its BPF program into memory husk owns.
 *   child (after clone3)            husk_seccomp_install(), here: one raw seccomp(2) call with that
 *                                   program; no libseccomp, no allocation, async-signal-safe.
 *
 * libseccomp is never called after clone: it allocates, and its first use probes the kernel. This
 * half needs no libseccomp at all, so the daemon-mode front end (frontend.c), which only installs
 * programs a worker compiled, links without it. */
#ifndef HUSK_SECCOMP_H
#define HUSK_SECCOMP_H

#include <stddef.h>

#include "plan.h"

/* Hand a seccomp listener fd to a seccomp agent (runtime-spec config-linux.md "listenerPath"):
 * connect to the AF_UNIX SOCK_STREAM socket at path and send state_json with the fd attached
 * (SCM_RIGHTS) in the first sendmsg. 0 or -errno. */
int husk_seccomp_send_to_agent(const char *path, int listener_fd, const char *state_json, size_t length);

/* ---- what this build and kernel support (`husk features`) ---- */

/* Whether the running kernel accepts these SECCOMP_FILTER_FLAG_* bits: seccomp(2) is called with
 * them and no program, so it fails either with EINVAL (unknown flags) or EFAULT (flags accepted,
 * program unreadable), and nothing is loaded. 1, 0, or -errno for any other answer. */
int husk_seccomp_flags_supported(unsigned int flags);

/* ---- child side: installation (async-signal-safe) ---- */

/* seccomp(SECCOMP_SET_MODE_FILTER, flags, program). Returns the listener fd when flags ask for one
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER), 0 otherwise, or -errno. */
int husk_seccomp_load(const void *instructions, size_t length, unsigned int flags);

/* Install the plan's filter; with a listener, hand the fd to husk and wait for it to reach the
 * agent. Reports failures over the sync socket and exits. No-op without a filter. */
void husk_seccomp_install(struct husk_plan *plan);

#endif

/* `husk exec`: a new process in the namespaces and cgroup of a running container. */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include "plan.h"

/* clone3 the first stage of an exec'd process with `plan` (process fields, terminal fields,
 * ns_pidfd/ns_flags, cgroup_fd). On success *stage1_pid and *sync_fd (parent end) are set and 0
 * is returned, else -errno. The protocol (addon/sync.h):
 *
 *   parent                                     stage 1 (child of husk)
 *   place stage 1 in the cgroups, GO  ──────▶  not dumpable; setns(ns_pidfd, ns_flags) joins all
 *                                              the container's namespaces at once; clone3
 *                                              CLONE_PARENT, so the process is husk's child and
 *                                              lands in the container's pid (and time) namespace
 *            ◀─────────────── INIT_PID (pid)   stage 1 exits
 *                                              the process: terminal, rlimits, user, caps, cwd,
 *                                              fds, execve
 *            ◀─────────────── ERROR | EOF      EOF: the sync socket closed at a successful execve
 */
int husk_spawn_exec(struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd);

#endif

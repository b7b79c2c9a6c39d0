#ifndef HUSK_CLONE_H
#define HUSK_CLONE_H

#include "plan.h"

/* clone3 the first stage with `plan`; on success *stage1_pid and *sync_fd (parent end) are
 * set and 0 is returned, else -errno. Closes the plan's fds in the parent either way. */
int husk_spawn_init(struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd);

/* Close the fds the parent opened for an init's plan (namespace joins, exec and result fifos), as
 * husk_spawn_init does once stage 1 has its copies; daemon.c, after sending them to the front end. */
void husk_close_plan_fds(struct husk_plan *plan);
/* Shared with exec.c. clone3 with `flags` (CLONE_INTO_CGROUP uses cgroup_fd; CLONE_PARENT gets
 * no exit signal of its own): the child's pid, 0 in the child, or -1 with errno. */
long husk_raw_clone3(uint64_t flags, int cgroup_fd);
/* The end of every container process's setup, init or exec'd, in runc's order: scheduling, LSM
 * labels, seccomp (before or after the user switch), user/rlimits/cwd, fds, personality. */
void husk_finish_process_setup(struct husk_plan *plan);
/* Stage 1 of a launch: runs in the clone and never returns. */
typedef void (*husk_stage1_fn)(struct husk_plan *plan) __attribute__((noreturn));
/* Make the sync socket pair (kept above the preserved fds) and clone3 `stage1` (into plan->cgroup_fd
 * when set). *stage1_pid and *sync_fd (parent end) on success; 0 or -errno. */
int husk_spawn_stage1(struct husk_plan *plan, husk_stage1_fn stage1, pid_t *stage1_pid, int *sync_fd);
/* Child side, first thing: close the launcher's fds the plan names (close_first_fds, plan.h). */
void husk_close_first_fds(struct husk_plan *plan);
/* Every signal back to its default disposition (Node's handlers must not run in the child). */
void husk_reset_signal_dispositions(void);
/* Child side: block until the parent sends GO; exit quietly on anything else. */
void husk_wait_for_go(struct husk_plan *plan);

#endif

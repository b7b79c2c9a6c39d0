#ifndef HUSK_PROCESS_H
#define HUSK_PROCESS_H

#include "plan.h"

/* hostname, domainname */
void husk_set_identity(struct husk_plan *plan);
/* rlimits, session, groups/gid/uid, umask, cwd; resolves the program through PATH. */
void husk_prepare_process(struct husk_plan *plan);
/* stdio survives execve; preserved fds stay; everything else closes at execve. */
void husk_prepare_fds(struct husk_plan *plan);
/* Block until `start` writes to the exec fifo; the payload after the first byte is the state JSON. */
void husk_wait_for_start(struct husk_plan *plan);
/* How a failed hook ended, in the error field of a step report (beyond every errno). */
#define HUSK_HOOK_EXITED 1000
#define HUSK_HOOK_SIGNALED 2000

/* Run hooks from the container side (createContainer, startContainer). 0 or -errno, *failed = index. */
int husk_run_child_hooks(struct husk_plan *plan, struct husk_hook *hooks, int n, int *failed);
/* After start: tell `start` (through the result fifo) that `what` ("hook", "exec") failed with
 * `value` ("hook" and "hook-timeout": the hook index; "exec": errno). */
void husk_report_start_failure(struct husk_plan *plan, const char *what, int value);
/* execve the program. Never returns. */
void husk_exec(struct husk_plan *plan) __attribute__((noreturn));

#endif

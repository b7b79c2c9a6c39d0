#ifndef HUSK_CLONE_H
#define HUSK_CLONE_H

#include "plan.h"

/* clone3 the first stage with `plan`; on success *stage1_pid and *sync_fd (parent end) are
 * set and 0 is returned, else -errno. Closes the plan's fds in the parent either way. */
int husk_spawn_init(struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd);

#endif

/* The container's terminal (process.terminal): a pty made inside the container, its master sent
 * over a unix socket, its slave the process's stdio and controlling terminal. Also the two
 * parent-side helpers that talk to console sockets (connect, receive an fd). */
#ifndef HUSK_CONSOLE_H
#define HUSK_CONSOLE_H

#include <stddef.h>

#include "plan.h"

/* What husk_setup_console was doing when it failed: the `detail` of STEP_CONSOLE errors.
 * Keep in step with CONSOLE_STAGES in src/lifecycle/child-steps.ts. */
enum husk_console_stage {
  CONSOLE_SETSID = 0,
  CONSOLE_OPEN_PTMX,
  CONSOLE_UNLOCK,
  CONSOLE_PTS_NUMBER,
  CONSOLE_WINDOW_SIZE,
  CONSOLE_OPEN_SLAVE,
  CONSOLE_CHOWN_SLAVE,
  CONSOLE_DEV_CONSOLE,
  CONSOLE_MOUNT_DEV_CONSOLE,
  CONSOLE_SEND_MASTER,
  CONSOLE_STDIO,
  CONSOLE_CONTROLLING_TERMINAL,
};

/* Child side, async-signal-safe. Call after pivot_root (the pty must come from the container's
 * devpts) and before the user switch. Starts a new session (and clears plan->new_session so
 * husk_prepare_process does not try again), opens /dev/ptmx, sends the master to
 * plan->console_socket_fd, binds the slave onto /dev/console when plan->mount_console, and makes
 * the slave fds 0, 1, 2 and the controlling terminal. Fails the child on error. */
void husk_setup_console(struct husk_plan *plan);

/* Parent side. Receive one fd sent with SCM_RIGHTS on `socket_fd`, with the text that came with
 * it (NUL-terminated into name, capacity name_cap). fd (close-on-exec) or -errno; -ENOMSG when
 * the peer closed the socket without sending one. */
int husk_recv_fd(int socket_fd, char *name, size_t name_cap);
#endif

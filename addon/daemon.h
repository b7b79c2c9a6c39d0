/* `husk daemon`: the accept loop that forks a worker per front-end connection, and the worker's
 * side of the protocol (daemon-protocol.h). */
#ifndef HUSK_DAEMON_H
#define HUSK_DAEMON_H

#include <sys/types.h>
#include "plan.h"

/* Accept connections on listen_fd and fork a worker for each; reap the workers and tell each
 * front end how its worker ended. Returns only in a worker (the connection's fd), or in the daemon
 * with -ETIMEDOUT once idle_ms passed with no connection and no worker (idle_ms <= 0: never), with
 * -ECANCELED on SIGTERM, SIGINT or SIGHUP, or with another -errno; in the daemon, its spare workers
 * are gone by then (busy ones finish their commands) and the stop signals are ignored, for the
 * daemon to exit cleanly. listen_fd stays open: the caller removes the socket file, then closes it. `prepare` runs in each worker before it waits for its connection. */
int husk_daemon_serve(int listen_fd, int idle_ms, void (*prepare)(void));

struct husk_invocation {
  char *payload;    /* owns the strings below */
  const char *cwd;
  unsigned umask;
  int argc;         /* argv[0] is the first argument after the program name */
  char **argv;
  int envc;
  char **envp;
  pid_t caller_pid; /* the front end, in the daemon's pid namespace */
};

/* Worker side, first thing: read the HELLO, tell the front end the worker's pid, and check that the
 * caller may be served here: same user, same build (build_id), same namespaces and root directory.
 * Then its stdio becomes ours (0, 1, 2) and its umask is set. 0 when it is served; 1 when it must
 * run the Node CLI itself (FALLBACK was sent); -errno when the connection failed. */
int husk_worker_accept(int connection, const char *build_id, struct husk_invocation *invocation);

/* Worker side, once served: the worker dies (SIGKILL) if its front end goes before the worker
 * has said how the command ended, as a killed bin/husk would end the command. 0 or -errno. */
int husk_worker_watch_front_end(int connection);

/* Worker side: what the front end does for the worker. Each returns 0 or -errno. */
int husk_remote_spawn(int connection, int init, struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd);
int husk_remote_waitpid(int connection, pid_t pid, int flags, pid_t *got, int *exit_code, int *signal);
int husk_remote_forward_signals(int connection, pid_t pid);
int husk_remote_collect(int connection, pid_t pid, int *exit_code, int *signal);
/* EXIT (exit_code) or FALLBACK to the front end, then _exit: a worker never runs Node's exit
 * path, which would join threads that exist only in the daemon. */
void husk_worker_finish(int connection, int fallback, int exit_code) __attribute__((noreturn));

#endif

/* Daemon mode: the front end (addon/frontend.c, the `husk` that containerd or Podman runs) and a
 * worker of `husk daemon` (addon/daemon.c, a fork of the warm Node process) talk over one
 * SOCK_STREAM unix connection in frames (addon/frames.c).
 *
 *   front end                                   daemon
 *   connect ───────────────────────────────────▶ accept, fork a worker
 *   HELLO (argv, env, cwd, umask; fds 0 1 2) ──▶ worker: same namespaces? same build? else FALLBACK
 *        ◀──────────────────────────── WORKER    (its pid: the caller's signals go on to it)
 *        ◀──── SPAWN_INIT | SPAWN_EXEC | WAITPID | FORWARD_SIGNALS | COLLECT  (answered one by one)
 *        ◀──────────────────── EXIT | FALLBACK   the worker ran the command | it did nothing
 *        ◀──────────────────── EXIT | DIED       the daemon, once it reaped the worker
 *
 * The front end runs the clones (the container's processes must be the caller's children, as
 * with runc: containerd's shim and conmon wait for them as subreapers) and does nothing else: every
 * decision stays in the worker's TypeScript. */
#ifndef HUSK_DAEMON_PROTOCOL_H
#define HUSK_DAEMON_PROTOCOL_H

#include <stdint.h>

/* Where `husk daemon` listens and the front end connects, unless HUSK_DAEMON_SOCKET says
 * otherwise ("off": never connect). */
#define HUSK_DAEMON_DEFAULT_SOCKET "/run/husk-daemon.sock"

enum husk_frame_type {
  FRAME_HELLO = 1,       /* front end -> worker. payload: NUL-terminated strings: build id, cwd,
                          * umask (decimal), argc (decimal), argv[1..argc-1], then KEY=VALUE
                          * environment entries to the end. fds: 0, 1, 2 */
  FRAME_WORKER,          /* worker -> front end: a = the worker's pid */
  FRAME_FALLBACK,        /* worker -> front end: nothing was done; run the Node CLI yourself */
  FRAME_EXIT,            /* worker or daemon -> front end: exit with status a */
  FRAME_DIED,            /* daemon -> front end: the worker was killed by signal a */
  FRAME_SPAWN_INIT,      /* worker -> front end: husk_spawn_init. payload: the plan (plan-wire.h);
                          * fds: the plan's; a = lowest fd number the front end may hold (3 +
                          * preserved fds) */
  FRAME_SPAWN_EXEC,      /* the same with husk_spawn_exec */
  FRAME_SPAWNED,         /* reply: a = stage 1's pid; fd: the parent end of the sync socket */
  FRAME_WAITPID,         /* a = pid, b = waitpid flags */
  FRAME_WAITED,          /* reply: a = pid (0: WNOHANG and no change), b = exit code, c = signal */
  FRAME_FORWARD_SIGNALS, /* a = pid: from now on the caller's signals go to it (runc's
                          * foreground forwarding); reply OK */
  FRAME_COLLECT,         /* a = pid: wait for it, forwarding signals meanwhile; reply WAITED */
  FRAME_OK,
  FRAME_ERROR,           /* reply: a = errno */
};

struct husk_frame {
  uint32_t type;         /* enum husk_frame_type */
  uint32_t length;       /* payload bytes after the header */
  int32_t a, b, c;
  uint32_t n_fds;        /* fds attached to the header (SCM_RIGHTS) */
};

#define HUSK_FRAME_MAX_PAYLOAD (16u << 20)
#define HUSK_FRAME_MAX_FDS 64

#endif

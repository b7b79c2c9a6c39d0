/* The `husk` executable of daemon mode: a small static program that a caller (containerd's shim,
 * conmon, a shell) runs instead of Node. When `husk daemon` answers on its socket, the front end
 * hands it the invocation (arguments, environment, working directory, umask, stdio) and then only
 * does what must happen in the caller's process tree: it clones the container's processes from the
 * plans the daemon's worker sends, waits for them, and forwards signals (daemon-protocol.h). When
 * no daemon answers, or the worker says FALLBACK, it runs the Node CLI (bin/husk) with the same
 * arguments, so it is always a complete `husk`.
 *
 * Built static against musl (Makefile): it needs no library at run time and starts in ~0.06 ms,
 * where static glibc spends ~0.5 ms in its start-up cpuid probing on a VM (docs/daemon.md). */
#include "clone.h"
#include "daemon-protocol.h"
#include "exec.h"
#include "frames.h"
#include "memory.h"
#include "plan-wire.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HUSK_BUILD_ID
#error "HUSK_BUILD_ID must name the build (the Makefile passes it)"
#endif

extern char **environ;

/* Signals the caller sends to husk. With a foreground process (run, exec without -d) they go to
 * it, as runc forwards them; before that they go to the worker, which dies of them as the Node
 * CLI would, and the daemon reports that death (FRAME_DIED) so this process dies of it too. */
static const int FORWARDED_SIGNALS[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT};
static const int WORKER_SIGNALS[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

static volatile pid_t worker_pid;
static volatile pid_t foreground_pid;

static void die_of_signal(int sig) __attribute__((noreturn));

static void pass_signal_on(int sig) {
  int saved = errno;
  pid_t target = foreground_pid ? foreground_pid : worker_pid;
  if (target <= 0) die_of_signal(sig); /* no worker yet: as if the daemon were not there */
  kill(target, sig);
  errno = saved;
}

static void handle_signals(const int *signals, size_t count) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = pass_signal_on;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < count; i++) sigaction(signals[i], &action, NULL);
}

static void die_of_signal(int sig) {
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  _exit(128 + sig);
}

/* As Node does at start-up: a closed 0, 1 or 2 becomes /dev/null, so that the daemon connection
 * (or a container's fd) never takes a stdio number; and 0, 1 and 2 are close-on-exec, as Node
 * leaves them, so that the container side behaves as under the Node CLI: its programs get stdio
 * only once the init or exec'd process sets it up (a createContainer hook's output goes nowhere). */
static void prepare_stdio(int close_on_exec) {
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0) {
      int null_fd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null_fd >= 0 && null_fd != fd) {
        dup2(null_fd, fd);
        close(null_fd);
      }
    }
    fcntl(fd, F_SETFD, close_on_exec ? FD_CLOEXEC : 0);
  }
}

/* The Node CLI, bin/husk, relative to this program (build/bin/husk in the tree, and the same
 * layout under PREFIX/lib/husk when installed). Run through `node` on PATH, as bin/husk's own
 * shebang does, without NODE_EXTRA_CA_CERTS (husk never speaks TLS; loading it costs ~50 ms). */
static void exec_node_cli(char **argv) __attribute__((noreturn));
static void exec_node_cli(char **argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "husk: cannot find its own executable: %s\n", strerror(errno));
    exit(1);
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash) *slash = '\0';
  char entry[PATH_MAX + 32];
  snprintf(entry, sizeof entry, "%s/../../bin/husk", self);
  int argc = 0;
  while (argv[argc]) argc++;
  char **node_argv = calloc((size_t)argc + 2, sizeof *node_argv);
  if (!node_argv) exit(1);
  node_argv[0] = "node";
  node_argv[1] = entry;
  for (int i = 1; i < argc; i++) node_argv[i + 1] = argv[i];
  unsetenv("NODE_EXTRA_CA_CERTS");
  prepare_stdio(0);
  execvp("node", node_argv);
#ifdef HUSK_BUILD_NODE
  /* Podman runs some commands with no PATH at all: then the node this build was made with. */
  execv(HUSK_BUILD_NODE, node_argv);
#endif
  fprintf(stderr, "husk: cannot run node (needed for %s): %s\n", entry, strerror(errno));
  exit(127);
}


/* A growing buffer of NUL-terminated strings (the HELLO payload). */
struct strings {
  char *data;
  size_t length, capacity;
};

static int append_string(struct strings *s, const char *text) {
  size_t n = strlen(text) + 1;
  if (s->length + n > s->capacity) {
    size_t capacity = (s->capacity ? s->capacity * 2 : 4096);
    while (capacity < s->length + n) capacity *= 2;
    char *grown = realloc(s->data, capacity);
    if (!grown) return -ENOMEM;
    s->data = grown;
    s->capacity = capacity;
  }
  memcpy(s->data + s->length, text, n);
  s->length += n;
  return 0;
}

static int send_hello(int connection, int argc, char **argv) {
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return -errno;
  mode_t mask = umask(0);
  umask(mask);
  char number[32];
  struct strings s = {0};
  int rc = append_string(&s, HUSK_BUILD_ID);
  if (rc == 0) rc = append_string(&s, cwd);
  snprintf(number, sizeof number, "%u", (unsigned)mask);
  if (rc == 0) rc = append_string(&s, number);
  snprintf(number, sizeof number, "%d", argc);
  if (rc == 0) rc = append_string(&s, number);
  for (int i = 1; rc == 0 && i < argc; i++) rc = append_string(&s, argv[i]);
  for (char **e = environ; rc == 0 && *e; e++) rc = append_string(&s, *e);
  const int stdio[3] = {0, 1, 2};
  if (rc == 0) rc = husk_frame_send(connection, FRAME_HELLO, 0, 0, 0, s.data, s.length, stdio, 3);
  free(s.data);
  return rc;
}

static void close_fds(const int *fds, int n) {
  for (int i = 0; i < n; i++) close(fds[i]);
}

/* SPAWN_INIT / SPAWN_EXEC: rebuild the plan, clone, and give the worker the sync socket. */
static int spawn(int *connection, const struct husk_frame *frame, const char *payload, int *fds) {
  int n_fds = (int)frame->n_fds;
  int floor = frame->a > 3 ? frame->a : 3;
  /* The caller's preserved fds (3 .. floor-1) go to the container: none of ours may sit there. */
  for (int i = 0; i < n_fds; i++) {
    int moved = husk_move_fd_above(fds[i], floor);
    if (moved < 0) {
      close_fds(fds + i, n_fds - i);
      close_fds(fds, i);
      return husk_frame_send(*connection, FRAME_ERROR, -moved, 0, 0, NULL, 0, NULL, 0);
    }
    fds[i] = moved;
  }
  if (*connection < floor) {
    int moved = husk_move_fd_above(*connection, floor);
    if (moved < 0) return moved;
    *connection = moved;
  }
  struct husk_plan *plan = husk_plan_deserialize(payload, frame->length, fds, n_fds);
  if (!plan) {
    int err = errno ? errno : EINVAL;
    close_fds(fds, n_fds); /* a refused plan leaves its fds with us */
    return husk_frame_send(*connection, FRAME_ERROR, err, 0, 0, NULL, 0, NULL, 0);
  }
  /* Our connection to the worker is the command's life line: a clone holding a copy would keep
   * the worker from noticing this process was killed (daemon.c husk_worker_watch_front_end). */
  plan->close_first_fds[0] = *connection;
  plan->n_close_first_fds = 1;
  pid_t stage1 = 0;
  int sync_fd = -1;
  int rc = frame->type == FRAME_SPAWN_INIT ? husk_spawn_init(plan, &stage1, &sync_fd) : husk_spawn_exec(plan, &stage1, &sync_fd);
  husk_plan_memory_free(plan);
  close_fds(fds, n_fds); /* stage 1 has its copies (husk_spawn_init closed some already: EBADF) */
  if (rc < 0) return husk_frame_send(*connection, FRAME_ERROR, -rc, 0, 0, NULL, 0, NULL, 0);
  rc = husk_frame_send(*connection, FRAME_SPAWNED, stage1, 0, 0, NULL, 0, &sync_fd, 1);
  close(sync_fd);
  return rc;
}

static int reply_waited(int connection, pid_t pid, int flags) {
  int status = 0;
  pid_t got;
  do got = waitpid(pid, &status, flags | __WALL);
  while (got < 0 && errno == EINTR);
  if (got < 0) return husk_frame_send(connection, FRAME_ERROR, errno, 0, 0, NULL, 0, NULL, 0);
  int code = got > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = got > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return husk_frame_send(connection, FRAME_WAITED, got, code, sig, NULL, 0, NULL, 0);
}

/* COLLECT: wait for pid to exit; meanwhile the worker waits for the answer, and if it dies
 * instead (someone killed it), the daemon says so on the connection: end as it did. */
static int collect(int connection, pid_t pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    struct pollfd polled[2] = {{pidfd, POLLIN, 0}, {connection, POLLIN, 0}};
    for (;;) {
      int ready = poll(polled, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || polled[0].revents) break;
      struct husk_frame frame;
      char *payload = NULL;
      int fds[HUSK_FRAME_MAX_FDS];
      int rc = husk_frame_recv(connection, &frame, &payload, fds, 0);
      if (rc == 0 && frame.type == FRAME_DIED) die_of_signal(frame.a);
      if (rc == 0 && frame.type == FRAME_EXIT) exit(frame.a);
      fprintf(stderr, "husk: lost the connection to husk daemon while waiting for process %d\n", (int)pid);
      exit(1);
    }
    close(pidfd);
  }
  return reply_waited(connection, pid, 0);
}

/* Answers the worker until it says how this ends; returns only for FALLBACK (or a worker that
 * ended before its first message). */
static void serve_worker(int connection) {
  for (int frames = 0;; frames++) {
    struct husk_frame frame;
    char *payload = NULL;
    int fds[HUSK_FRAME_MAX_FDS];
    int rc = husk_frame_recv(connection, &frame, &payload, fds, -1);
    /* Gone before a word (a spare killed with its daemon, say): it did nothing, Node can. */
    if (rc < 0 && frames == 0) return;
    if (rc < 0) {
      fprintf(stderr, "husk: lost the connection to husk daemon: %s\n", strerror(-rc));
      exit(1);
    }
    switch (frame.type) {
      case FRAME_WORKER:
        worker_pid = frame.a;
        break;
      case FRAME_FALLBACK:
        close_fds(fds, (int)frame.n_fds);
        free(payload);
        return;
      case FRAME_EXIT:
        exit(frame.a);
      case FRAME_DIED:
        die_of_signal(frame.a);
      case FRAME_SPAWN_INIT:
      case FRAME_SPAWN_EXEC:
        rc = spawn(&connection, &frame, payload, fds);
        break;
      case FRAME_WAITPID:
        rc = reply_waited(connection, frame.a, frame.b);
        break;
      case FRAME_FORWARD_SIGNALS:
        foreground_pid = frame.a;
        handle_signals(FORWARDED_SIGNALS, sizeof FORWARDED_SIGNALS / sizeof *FORWARDED_SIGNALS);
        rc = husk_frame_send(connection, FRAME_OK, 0, 0, 0, NULL, 0, NULL, 0);
        break;
      case FRAME_COLLECT:
        rc = collect(connection, frame.a);
        foreground_pid = 0;
        break;
      default:
        close_fds(fds, (int)frame.n_fds);
        rc = husk_frame_send(connection, FRAME_ERROR, EPROTO, 0, 0, NULL, 0, NULL, 0);
    }
    free(payload);
    if (rc < 0) {
      fprintf(stderr, "husk: lost the connection to husk daemon: %s\n", strerror(-rc));
      exit(1);
    }
  }
}

int main(int argc, char **argv) {
  prepare_stdio(1);
  const char *socket_path = getenv("HUSK_DAEMON_SOCKET");
  if (!socket_path || !*socket_path) socket_path = HUSK_DAEMON_DEFAULT_SOCKET;
  if (argc > 1 && strcmp(socket_path, "off") != 0) {
    int connection = husk_unix_connect(socket_path);
    if (connection >= 0) {
      handle_signals(WORKER_SIGNALS, sizeof WORKER_SIGNALS / sizeof *WORKER_SIGNALS);
      if (send_hello(connection, argc, argv) == 0) serve_worker(connection);
      close(connection);
      worker_pid = 0;
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      for (size_t i = 0; i < sizeof WORKER_SIGNALS / sizeof *WORKER_SIGNALS; i++) sigaction(WORKER_SIGNALS[i], &dfl, NULL);
    }
  }
  exec_node_cli(argv);
}

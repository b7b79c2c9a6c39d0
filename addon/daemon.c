/* `husk daemon`. The daemon is a Node process that loaded all of husk once; for each front-end
 * connection it forks a worker, a copy of that warm process, which runs one command line and exits.
 * The worker is a fresh process per command, so nothing one command does (its globals, its
 * environment, its working directory, a crash) reaches another, and the CLI code runs as it does
 * under `node bin/husk`.
 *
 * Forking Node needs care:
 *  - V8 marks its heap MADV_DONTFORK (it would be lost in a child): the daemon undoes that before
 *    each fork;
 *  - only the forking thread exists in the child: V8's and libuv's worker threads do not. The
 *    daemon runs V8 --single-threaded (no background GC or compiler tasks), libuv's thread pool
 *    re-creates itself in a child (pthread_atfork), binding.cc gives each spare a fresh event loop
 *    (uv_loop_fork), and a worker leaves with _exit (Node's exit would join the missing threads).
 *  - the daemon's own loop here is plain C: while it serves, no JavaScript runs in the daemon. */
#include "daemon.h"
#include "clone.h"
#include "daemon-protocol.h"
#include "frames.h"
#include "plan-wire.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 512
#define SPARE_WORKERS 2
#define HELLO_TIMEOUT_MS 10000

/* A worker is forked before it is needed (a "spare"): it waits in accept(), so a command does not
 * wait for a fork (~1 ms of copying the daemon's page tables). Once it has a connection it hands
 * the daemon a copy (HANDOFF below) and the daemon forks the next spare. */
struct worker {
  pid_t pid;
  int pidfd;      /* readable once it exited */
  int connection; /* -1 while spare; then kept to tell the front end how the worker ended */
};

static struct worker workers[MAX_WORKERS];
static int n_workers;

/* SIGTERM, SIGINT and SIGHUP stop the daemon (stop_serving). While it serves, their handler only
 * writes the signal to a pipe that the accept loop polls, so that one never lands half-way through a
 * fork or a handoff. A handler, not a blocked mask and a signalfd: the mask is per thread, and the
 * daemon has Node's other threads, which would take the signal and die of it. A spare gets back the
 * handlers the daemon had before (Node's). */
static const int STOP_SIGNALS[] = {SIGTERM, SIGINT, SIGHUP};
#define N_STOP_SIGNALS (sizeof STOP_SIGNALS / sizeof *STOP_SIGNALS)
static struct sigaction handlers_before_serving[N_STOP_SIGNALS];
static int stop_pipe[2] = {-1, -1};

static void note_stop_signal(int signal) {
  int saved = errno;
  char byte = (char)signal;
  (void)!write(stop_pipe[1], &byte, 1);
  errno = saved;
}

static int catch_stop_signals(void) {
  if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return husk_neg_errno();
  struct sigaction catching;
  memset(&catching, 0, sizeof catching);
  catching.sa_handler = note_stop_signal;
  sigfillset(&catching.sa_mask);
  catching.sa_flags = SA_RESTART;
  for (size_t i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], &catching, &handlers_before_serving[i]);
  return 0;
}

/* In a spare: Node's handlers again. In the daemon once it stops: ignored (it exits next, and a
 * second SIGTERM must not kill it half-way, leaving its socket file behind). */
static void release_stop_signals(int ignore) {
  struct sigaction ignoring;
  memset(&ignoring, 0, sizeof ignoring);
  ignoring.sa_handler = SIG_IGN;
  for (size_t i = 0; i < N_STOP_SIGNALS; i++) sigaction(STOP_SIGNALS[i], ignore ? &ignoring : &handlers_before_serving[i], NULL);
  close(stop_pipe[0]);
  close(stop_pipe[1]);
  stop_pipe[0] = stop_pipe[1] = -1;
}

/* Undo V8's MADV_DONTFORK on every mapping (one call: madvise applies to the mapped parts of the
 * range and reports ENOMEM for the holes). */
static void let_fork_copy_everything(void) {
  madvise((void *)0x1000, 0x7ffffffff000UL - 0x1000, MADV_DOFORK);
}

static int count_spares(void) {
  int spares = 0;
  for (int i = 0; i < n_workers; i++) spares += workers[i].connection < 0;
  return spares;
}

static void forget_worker(int index) {
  struct worker *w = &workers[index];
  if (w->connection >= 0) close(w->connection);
  close(w->pidfd);
  *w = workers[--n_workers];
}

static void tell_front_end_how_it_ended(int index) {
  struct worker *w = &workers[index];
  int status = 0;
  pid_t got;
  do got = waitpid(w->pid, &status, WNOHANG);
  while (got < 0 && errno == EINTR);
  if (got == 0) return; /* not yet: poll again */
  if (w->connection >= 0) {
    struct husk_frame frame = {FRAME_EXIT, 0, 0, 0, 0, 0};
    if (got > 0 && WIFSIGNALED(status)) {
      frame.type = FRAME_DIED;
      frame.a = WTERMSIG(status);
    } else if (got > 0 && WIFEXITED(status)) {
      frame.a = WEXITSTATUS(status);
    } else {
      frame.a = 1;
    }
    /* The worker normally said EXIT itself and its front end is gone: this finds no reader. */
    send(w->connection, &frame, sizeof frame, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  forget_worker(index);
}

/* ---- the pages a worker touches ----
 *
 * A fault costs ~9 us on this kind of machine (a VM), and a fresh fork faults on every page it
 * touches: a copy-on-write fault on each page it writes that it shares with the daemon, and a
 * fault on each page of the node binary and libraries it runs (fork copies no page-table entries
 * for file mappings). For `state` that was ~620 faults, more than half of its time. So the first
 * workers report the pages they touched (in /proc/self/pagemap: written = present and no longer
 * shared in a writable private mapping; read = present in a read-only one), and every later spare
 * touches them in advance, with MADV_POPULATE_WRITE / MADV_POPULATE_READ in one call per run of
 * pages, while it waits for a connection. */
#define MAX_LEARNED_RANGES 2048
#define MAX_LEARNED_PAGES 16384 /* 64 MiB per set: beyond that, learning stops */
#define LEARNING_REPORTS 32     /* workers that report; then the sets are what they are */
#define PAGE_SIZE_BYTES 4096UL
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum handoff_kind { HANDOFF_CONNECTION = 1, HANDOFF_WRITTEN_PAGES = 2, HANDOFF_READ_PAGES = 3 };

struct page_range {
  uintptr_t start, length;
};

struct page_set {
  struct page_range ranges[MAX_LEARNED_RANGES];
  int count;
};

static struct page_set learned_written, learned_read;
static int reports_received;
static int report_fd = -1; /* in a worker that reports its pages; -1 otherwise */

static int compare_ranges(const void *a, const void *b) {
  uintptr_t x = ((const struct page_range *)a)->start, y = ((const struct page_range *)b)->start;
  return x < y ? -1 : x > y;
}

/* set = set ∪ ranges, sorted and coalesced. */
static void learn_pages(struct page_set *set, const struct page_range *ranges, int n) {
  static struct page_range merged[MAX_LEARNED_RANGES * 2];
  int count = 0;
  for (int i = 0; i < set->count; i++) merged[count++] = set->ranges[i];
  for (int i = 0; i < n && count < MAX_LEARNED_RANGES * 2; i++) merged[count++] = ranges[i];
  qsort(merged, (size_t)count, sizeof *merged, compare_ranges);
  int out = 0;
  uintptr_t pages = 0;
  for (int i = 0; i < count; i++) {
    struct page_range *last = out > 0 ? &set->ranges[out - 1] : NULL;
    if (last && merged[i].start <= last->start + last->length) {
      uintptr_t end = merged[i].start + merged[i].length;
      if (end > last->start + last->length) {
        pages += (end - (last->start + last->length)) / PAGE_SIZE_BYTES;
        last->length = end - last->start;
      }
      continue;
    }
    if (out == MAX_LEARNED_RANGES) break;
    set->ranges[out++] = merged[i];
    pages += merged[i].length / PAGE_SIZE_BYTES;
  }
  set->count = out;
  if (pages > MAX_LEARNED_PAGES) reports_received = LEARNING_REPORTS; /* enough: stop growing */
}

/* The runs of pages this worker touched, of one kind, sent to the daemon in one message. */
static void report_pages(const char *maps, int pagemap_fd, int written) {
  static struct {
    uint32_t kind, count;
    struct page_range runs[MAX_LEARNED_RANGES];
  } message;
  uint32_t n_runs = 0;
  for (const char *line = maps; *line && n_runs < MAX_LEARNED_RANGES;) {
    const char *next = strchr(line, '\n');
    unsigned long start, end;
    char perms[8];
    int fields = sscanf(line, "%lx-%lx %7s", &start, &end, perms);
    /* written: private writable memory; read: what is mapped from files read-only (code, data). */
    int wanted = fields == 3 && (written ? strcmp(perms, "rw-p") == 0 : perms[1] == '-' && perms[0] == 'r' && strchr(line, '/') != NULL);
    for (uintptr_t page = start; wanted && page < end && n_runs < MAX_LEARNED_RANGES;) {
      uint64_t entries[512];
      size_t count = (end - page) / PAGE_SIZE_BYTES;
      if (count > 512) count = 512;
      ssize_t bytes = pread(pagemap_fd, entries, count * 8, (off_t)(page / PAGE_SIZE_BYTES * 8));
      if (bytes <= 0) break;
      for (size_t i = 0; i < (size_t)bytes / 8; i++, page += PAGE_SIZE_BYTES) {
        int present = entries[i] >> 63 & 1, exclusive = entries[i] >> 56 & 1;
        if (!present || (written && !exclusive)) continue;
        struct page_range *last = n_runs > 0 ? &message.runs[n_runs - 1] : NULL;
        if (last && last->start + last->length == page) last->length += PAGE_SIZE_BYTES;
        else if (n_runs < MAX_LEARNED_RANGES) message.runs[n_runs++] = (struct page_range){page, PAGE_SIZE_BYTES};
      }
    }
    line = next ? next + 1 : line + strlen(line);
  }
  message.kind = written ? HANDOFF_WRITTEN_PAGES : HANDOFF_READ_PAGES;
  message.count = n_runs;
  send(report_fd, &message, 8 + sizeof(struct page_range) * n_runs, MSG_NOSIGNAL);
}

/* Worker, after its front end has its answer. */
static void report_touched_pages(void) {
  size_t capacity = 1 << 20;
  char *maps = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (maps == MAP_FAILED) return;
  int maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  int pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  ssize_t n;
  while (maps_fd >= 0 && got < capacity - 1 && (n = read(maps_fd, maps + got, capacity - 1 - got)) > 0) got += (size_t)n;
  maps[got] = '\0';
  if (maps_fd >= 0 && pagemap_fd >= 0 && got < capacity - 1) {
    report_pages(maps, pagemap_fd, 1);
    report_pages(maps, pagemap_fd, 0);
  }
  if (maps_fd >= 0) close(maps_fd);
  if (pagemap_fd >= 0) close(pagemap_fd);
  munmap(maps, capacity);
}

/* In a spare, before it waits: touch the learned pages now rather than fault on them later. */
static void touch_learned_pages(void) {
  for (int i = 0; i < learned_written.count; i++)
    madvise((void *)learned_written.ranges[i].start, learned_written.ranges[i].length, MADV_POPULATE_WRITE);
  for (int i = 0; i < learned_read.count; i++)
    madvise((void *)learned_read.ranges[i].start, learned_read.ranges[i].length, MADV_POPULATE_READ);
}

/* What binding.cc has each spare do before it waits (its own event loop). */
static void (*prepare_spare)(void);

/* In a new spare: wait for a connection, give the daemon a copy, and become its worker. A spare
 * dies with the daemon (nobody would reap it or answer for it); a worker finishes its command. */
static int become_spare(int listen_fd, const int handoff[2], pid_t daemon) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != daemon) _exit(0);
  release_stop_signals(0);
  close(handoff[0]);
  for (int i = 0; i < n_workers; i++) {
    close(workers[i].pidfd);
    if (workers[i].connection >= 0) close(workers[i].connection);
  }
  n_workers = 0;
  /* With callers already waiting (a burst), take one now: touching the pages first would only
   * make it wait longer. */
  struct pollfd waiting = {listen_fd, POLLIN, 0};
  if (poll(&waiting, 1, 0) == 0) touch_learned_pages();
  if (prepare_spare) prepare_spare();
  int connection;
  do connection = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  while (connection < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (connection < 0) _exit(0);
  prctl(PR_SET_PDEATHSIG, 0);
  uint32_t message[2] = {HANDOFF_CONNECTION, (uint32_t)getpid()};
  husk_send_with_fd(handoff[1], message, sizeof message, connection);
  if (reports_received < LEARNING_REPORTS) report_fd = handoff[1];
  else close(handoff[1]);
  close(listen_fd);
  return connection;
}

/* Fork a spare. In the spare this returns its connection (>= 0) once it has one; in the daemon -1. */
static int fork_spare(int listen_fd, const int handoff[2]) {
  if (n_workers == MAX_WORKERS) return -1;
  pid_t daemon = getpid();
  let_fork_copy_everything();
  pid_t pid = fork();
  if (pid == 0) return become_spare(listen_fd, handoff, daemon);
  int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
  if (pidfd < 0) {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
    }
    return -1;
  }
  workers[n_workers++] = (struct worker){pid, pidfd, -1};
  return -1;
}

/* A message from a worker: the connection it took (a copy comes with its pid), or the pages it
 * wrote. */
static void take_handoff(int handoff_fd) {
  static union {
    uint32_t words[2];
    struct {
      uint32_t kind, count;
      struct page_range runs[MAX_LEARNED_RANGES];
    } pages;
  } message;
  int connection = -1;
  long n = husk_recv_with_fd(handoff_fd, &message, sizeof message, &connection);
  uint32_t kind = n >= 8 ? message.words[0] : 0;
  if ((kind == HANDOFF_WRITTEN_PAGES || kind == HANDOFF_READ_PAGES) && connection < 0) {
    uint32_t count = message.pages.count;
    if ((size_t)n == 8 + count * sizeof(struct page_range) && count <= MAX_LEARNED_RANGES && reports_received < LEARNING_REPORTS) {
      learn_pages(kind == HANDOFF_WRITTEN_PAGES ? &learned_written : &learned_read, message.pages.runs, (int)count);
      if (kind == HANDOFF_READ_PAGES) reports_received++; /* the second message of a report */
    }
    return;
  }
  if (n != 8 || message.words[0] != HANDOFF_CONNECTION || connection < 0) {
    if (connection >= 0) close(connection);
    return;
  }
  pid_t pid = (pid_t)message.words[1];
  for (int i = 0; i < n_workers; i++) {
    if (workers[i].pid == pid && workers[i].connection < 0) {
      workers[i].connection = connection;
      return;
    }
  }
  close(connection);
}

/* The daemon stops serving (idle, or a stop signal). Connections spares took are handed over first,
 * so that only spares still waiting in accept() are killed: they hold the listening socket, and
 * with them gone, a front end that connects after the daemon closed it is refused and runs the Node
 * CLI. Busy workers finish their commands on their own and tell their front ends how they ended;
 * only a worker's crash after this goes unreported (its front end sees the connection close). */
static void stop_serving(int handoff[2]) {
  struct pollfd pending = {handoff[0], POLLIN, 0};
  while (poll(&pending, 1, 0) > 0 && (pending.revents & POLLIN)) take_handoff(handoff[0]);
  for (int i = n_workers - 1; i >= 0; i--) {
    if (workers[i].connection < 0) {
      kill(workers[i].pid, SIGKILL);
      waitpid(workers[i].pid, NULL, 0);
    }
    forget_worker(i);
  }
  close(handoff[0]);
  close(handoff[1]);
  release_stop_signals(1);
}

int husk_daemon_serve(int listen_fd, int idle_ms, void (*prepare)(void)) {
  prepare_spare = prepare;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return husk_neg_errno();
  int rc = catch_stop_signals();
  if (rc < 0) {
    close(pair[0]);
    close(pair[1]);
    return rc;
  }
  struct pollfd polled[MAX_WORKERS + 2];
  for (;;) {
    /* While commands run, one spare is enough: forking and preparing another (~1-3 ms of CPU)
     * would compete with them for the CPUs. The second comes once nothing runs. */
    int wanted = n_workers > count_spares() ? 1 : SPARE_WORKERS;
    while (count_spares() < wanted && n_workers < MAX_WORKERS) {
      int before = n_workers;
      int connection = fork_spare(listen_fd, pair);
      if (connection >= 0) return connection; /* in the new worker */
      if (n_workers == before) break;         /* fork failed: try again after a pause */
    }
    int n = 0;
    polled[n++] = (struct pollfd){stop_pipe[0], POLLIN, 0};
    polled[n++] = (struct pollfd){pair[0], POLLIN, 0};
    for (int i = 0; i < n_workers; i++) polled[n++] = (struct pollfd){workers[i].pidfd, POLLIN, 0};
    int busy = n_workers - count_spares();
    int timeout = count_spares() < wanted ? 100 : busy == 0 && idle_ms > 0 ? idle_ms : -1;
    int ready = poll(polled, (nfds_t)n, timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      rc = husk_neg_errno();
      stop_serving(pair);
      return rc;
    }
    if (polled[0].revents & POLLIN) {
      stop_serving(pair);
      return -ECANCELED;
    }
    if (ready == 0 && busy == 0 && idle_ms > 0 && count_spares() == SPARE_WORKERS) {
      stop_serving(pair);
      return -ETIMEDOUT;
    }
    if (polled[1].revents & POLLIN) take_handoff(pair[0]);
    /* Indexes shift as workers go: walk the pidfds from the end. */
    for (int i = n - 1; i >= 2; i--)
      if (polled[i].revents) tell_front_end_how_it_ended(i - 2);
  }
}

static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A worker resolves paths, reads /proc and makes cgroups as the daemon sees them: it can serve a
 * caller only in the very same namespaces and root directory (a caller in another mount namespace,
 * say containerd's in a sandbox, gets the Node CLI instead). */
static int sees_what_caller_sees(pid_t caller) {
  static const char *const namespaces[] = {"mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"};
  char theirs[64], ours[64];
  for (size_t i = 0; i < sizeof namespaces / sizeof *namespaces; i++) {
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)caller, namespaces[i]);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", namespaces[i]);
    if (!same_file(theirs, ours)) return 0;
  }
  snprintf(theirs, sizeof theirs, "/proc/%d/root", (int)caller);
  return same_file(theirs, "/");
}

/* HELLO's payload: build id, cwd, umask, argc, argv[1..], environment (daemon-protocol.h). */
static int parse_hello(char *payload, size_t length, struct husk_invocation *inv, const char **build_id) {
  size_t count = 0;
  for (size_t i = 0; i < length; i++) count += payload[i] == '\0';
  if (length == 0 || payload[length - 1] != '\0' || count < 4) return -EPROTO;
  char **strings = calloc(count, sizeof *strings);
  if (!strings) return -ENOMEM;
  size_t k = 0;
  for (char *p = payload; p < payload + length; p += strlen(p) + 1) strings[k++] = p;
  *build_id = strings[0];
  inv->cwd = strings[1];
  inv->umask = (unsigned)strtoul(strings[2], NULL, 10) & 0777;
  long argc = strtol(strings[3], NULL, 10);
  if (argc < 1 || (size_t)argc - 1 > count - 4) {
    free(strings);
    return -EPROTO;
  }
  inv->argc = (int)argc - 1;
  inv->envc = (int)(count - 4 - (size_t)inv->argc);
  /* argv and envp point into one NULL-terminated array each, copied out of `strings`. */
  inv->argv = calloc((size_t)inv->argc + 1, sizeof *inv->argv);
  inv->envp = calloc((size_t)inv->envc + 1, sizeof *inv->envp);
  if (!inv->argv || !inv->envp) {
    free(strings);
    return -ENOMEM;
  }
  memcpy(inv->argv, strings + 4, sizeof *inv->argv * (size_t)inv->argc);
  memcpy(inv->envp, strings + 4 + inv->argc, sizeof *inv->envp * (size_t)inv->envc);
  free(strings);
  inv->payload = payload;
  return 0;
}

int husk_worker_accept(int connection, const char *build_id, struct husk_invocation *inv) {
  memset(inv, 0, sizeof *inv);
  struct husk_frame frame;
  char *payload = NULL;
  int fds[HUSK_FRAME_MAX_FDS];
  int rc = husk_frame_recv(connection, &frame, &payload, fds, HELLO_TIMEOUT_MS);
  if (rc < 0) return rc;
  if (frame.type != FRAME_HELLO || frame.n_fds != 3) {
    for (uint32_t i = 0; i < frame.n_fds; i++) close(fds[i]);
    free(payload);
    return -EPROTO;
  }
  rc = husk_frame_send(connection, FRAME_WORKER, getpid(), 0, 0, NULL, 0, NULL, 0);
  const char *their_build = "";
  if (rc == 0) rc = parse_hello(payload, frame.length, inv, &their_build);
  struct ucred peer;
  socklen_t peer_length = sizeof peer;
  if (rc == 0 && getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &peer_length) < 0) rc = husk_neg_errno();
  if (rc < 0) {
    for (int i = 0; i < 3; i++) close(fds[i]);
    free(payload);
    return rc;
  }
  inv->caller_pid = peer.pid;
  if (peer.uid != geteuid() || peer.pid <= 0 || strcmp(their_build, build_id) != 0 || !sees_what_caller_sees(peer.pid)) {
    for (int i = 0; i < 3; i++) close(fds[i]);
    husk_worker_finish(connection, 1, 0);
  }
  for (int i = 0; i < 3; i++) {
    if (fds[i] != i) {
      dup2(fds[i], i); /* not close-on-exec: hooks inherit the caller's stdio, as under Node */
      close(fds[i]);
    } else {
      fcntl(i, F_SETFD, 0);
    }
  }
  umask((mode_t)inv->umask);
  return 0;
}

static int expect_reply(int connection, struct husk_frame *frame, int *fd) {
  char *payload = NULL;
  int fds[HUSK_FRAME_MAX_FDS];
  int rc = husk_frame_recv(connection, frame, &payload, fds, -1);
  free(payload);
  if (rc < 0) return rc;
  for (uint32_t i = 0; i < frame->n_fds; i++) {
    if (fd && i == 0) *fd = fds[0];
    else close(fds[i]);
  }
  if (frame->type == FRAME_ERROR) return -(frame->a > 0 ? frame->a : EPROTO);
  return 0;
}

int husk_remote_spawn(int connection, int init, struct husk_plan *plan, pid_t *stage1_pid, int *sync_fd) {
  int fds[HUSK_PLAN_WIRE_MAX_FDS];
  int n_fds = 0;
  size_t length = 0;
  void *bytes = husk_plan_serialize(plan, &length, fds, &n_fds);
  if (!bytes) return husk_neg_errno();
  int rc = husk_frame_send(connection, init ? FRAME_SPAWN_INIT : FRAME_SPAWN_EXEC, 3 + plan->preserve_fds, 0, 0, bytes, length,
                           fds, n_fds);
  free(bytes);
  /* The front end has its copies; the daemon's, as after a local spawn, are closed (init's fds). */
  if (init) husk_close_plan_fds(plan);
  if (rc < 0) return rc;
  struct husk_frame reply;
  int fd = -1;
  rc = expect_reply(connection, &reply, &fd);
  if (rc < 0) return rc;
  if (reply.type != FRAME_SPAWNED || fd < 0) {
    if (fd >= 0) close(fd);
    return -EPROTO;
  }
  *stage1_pid = reply.a;
  *sync_fd = fd;
  return 0;
}

int husk_remote_waitpid(int connection, pid_t pid, int flags, pid_t *got, int *exit_code, int *signal) {
  int rc = husk_frame_send(connection, FRAME_WAITPID, pid, flags, 0, NULL, 0, NULL, 0);
  struct husk_frame reply;
  if (rc == 0) rc = expect_reply(connection, &reply, NULL);
  if (rc < 0) return rc;
  if (reply.type != FRAME_WAITED) return -EPROTO;
  *got = reply.a;
  *exit_code = reply.b;
  *signal = reply.c;
  return 0;
}

int husk_remote_forward_signals(int connection, pid_t pid) {
  int rc = husk_frame_send(connection, FRAME_FORWARD_SIGNALS, pid, 0, 0, NULL, 0, NULL, 0);
  struct husk_frame reply;
  if (rc == 0) rc = expect_reply(connection, &reply, NULL);
  return rc < 0 ? rc : reply.type == FRAME_OK ? 0 : -EPROTO;
}

int husk_remote_collect(int connection, pid_t pid, int *exit_code, int *signal) {
  int rc = husk_frame_send(connection, FRAME_COLLECT, pid, 0, 0, NULL, 0, NULL, 0);
  struct husk_frame reply;
  if (rc == 0) rc = expect_reply(connection, &reply, NULL);
  if (rc < 0) return rc;
  if (reply.type != FRAME_WAITED) return -EPROTO;
  *exit_code = reply.b;
  *signal = reply.c;
  return 0;
}

/* ---- the worker's front end ----
 *
 * The front end is the command as its caller sees it. Killed (a shim's timeout, a SIGKILL to
 * `husk create`), it must take its worker along, as killing bin/husk ends the command there:
 * otherwise the worker goes on, holding the container's lock (a `create` waiting for an init busy
 * in a createContainer hook, say) while the caller believes the command gone, and its
 * `delete --force` waits. A thread of the worker's own waits for the connection to hang up; once
 * the worker has said how it ends (EXIT, FALLBACK), the front end leaving is expected. */
static atomic_int worker_finishing;

static void *watch_front_end(void *arg) {
  struct pollfd front_end = {(int)(intptr_t)arg, POLLRDHUP, 0};
  int ready;
  do ready = poll(&front_end, 1, -1);
  while (ready < 0 && errno == EINTR);
  if (ready > 0 && !atomic_load(&worker_finishing)) kill(getpid(), SIGKILL);
  return NULL;
}

int husk_worker_watch_front_end(int connection) {
  pthread_attr_t attributes;
  pthread_t thread;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  int rc = pthread_create(&thread, &attributes, watch_front_end, (void *)(intptr_t)connection);
  pthread_attr_destroy(&attributes);
  return -rc;
}

void husk_worker_finish(int connection, int fallback, int exit_code) {
  atomic_store(&worker_finishing, 1);
  husk_frame_send(connection, fallback ? FRAME_FALLBACK : FRAME_EXIT, exit_code, 0, 0, NULL, 0, NULL, 0);
  if (report_fd >= 0 && !fallback) report_touched_pages();
  _exit(exit_code);
}

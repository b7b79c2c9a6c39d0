#include "process.h"
#include "credentials.h"
#include "caps.h"
#include "keyring.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

void husk_set_identity(struct husk_plan *plan) {
  if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
    FAIL(plan, STEP_HOSTNAME, errno, -1);
  if (plan->domainname && setdomainname(plan->domainname, strlen(plan->domainname)) < 0)
    FAIL(plan, STEP_DOMAINNAME, errno, -1);
}

static const char *env_value(char **envp, const char *name) {
  size_t len = strlen(name);
  for (char **e = envp; e && *e; e++)
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return NULL;
}

static int is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Find args[0] the way execvp would, but with the container's PATH, inside the container,
 * before `create` returns: a program that is not there is a create error (as in runc). */
static int resolve_program(struct husk_plan *plan) {
  const char *program = plan->argv[0];
  if (strchr(program, '/')) {
    if (husk_copy(plan->exec_path, PATH_MAX, program) < 0) return -ENAMETOOLONG;
    return is_executable_file(program) ? 0 : (errno ? -errno : -EACCES);
  }
  const char *search = env_value(plan->envp, "PATH");
  if (!search) return -ENOENT; /* runc: no PATH, no lookup */
  while (*search) {
    const char *end = strchrnul(search, ':');
    size_t dir_len = (size_t)(end - search);
    if (dir_len + 1 + strlen(program) + 1 <= PATH_MAX) {
      memcpy(plan->exec_path, search, dir_len);
      plan->exec_path[dir_len] = '\0';
      if (dir_len == 0) husk_copy(plan->exec_path, PATH_MAX, ".");
      husk_append(plan->exec_path, PATH_MAX, "/");
      husk_append(plan->exec_path, PATH_MAX, program);
      if (is_executable_file(plan->exec_path)) return 0;
    }
    search = *end ? end + 1 : end;
  }
  return -ENOENT;
}

/* The working directory must be inside the container's root. chdir runs while fds husk inherited
 * or opened (a cgroup directory, a caller's leaked fd) are still open, and a cwd such as
 * /proc/self/fd/N follows one of them out of the root: the process would then start in a host
 * directory and reach the host's whole tree through "..". That was runc's CVE-2024-21626. The
 * kernel's getcwd prefixes a directory the root cannot reach with "(unreachable)", so anything
 * but an absolute path here is refused (runc's fix does the same check). */
static void husk_check_cwd_inside(struct husk_plan *plan) {
  /* Any failure is refused too: ENAMETOOLONG included, or a deep enough host path would pass. */
  if (syscall(SYS_getcwd, plan->scratch, (size_t)PATH_MAX * 2) < 0) FAIL(plan, STEP_CWD, errno, -1);
  if (plan->scratch[0] != '/') FAIL(plan, STEP_CWD, EXDEV, -1);
}

void husk_prepare_process(struct husk_plan *plan) {
  for (int i = 0; i < plan->n_rlimits; i++) {
    struct rlimit64 limit = {plan->rlimits[i].soft, plan->rlimits[i].hard};
    if (prlimit64(0, plan->rlimits[i].resource, &limit, NULL) < 0) FAIL(plan, STEP_RLIMIT, errno, i);
  }
  if (plan->new_session && setsid() < 0) FAIL(plan, STEP_SETSID, errno, -1);
  husk_join_session_keyring(plan);
  husk_caps_before_user_switch(plan);
  if (husk_setgroups((size_t)plan->n_additional_gids, plan->additional_gids) < 0) {
    /* A user namespace with setgroups "deny" (rootless) cannot set groups; runc skips the call
     * when there are no additional groups to set, and so do we. */
    if (!(errno == EPERM && plan->n_additional_gids == 0)) FAIL(plan, STEP_SETGROUPS, errno, -1);
  }
  if (husk_setresgid(plan->gid, plan->gid, plan->gid) < 0) FAIL(plan, STEP_SETGID, errno, -1);
  if (husk_setresuid(plan->uid, plan->uid, plan->uid) < 0) FAIL(plan, STEP_SETUID, errno, -1);
  husk_caps_after_user_switch(plan);
  /* runc sets 0022 when the config has no umask. */
  umask(plan->umask >= 0 ? (mode_t)plan->umask : 0022);
  if (chdir(plan->cwd) < 0) FAIL(plan, STEP_CWD, errno, -1);
  husk_check_cwd_inside(plan);
  int rc = resolve_program(plan);
  if (rc < 0) FAIL(plan, STEP_EXEC_LOOKUP, rc, -1);
}

static int close_fd_range(unsigned first, unsigned last) {
  if (first > last) return 0;
  return syscall(SYS_close_range, first, last, 0) < 0 ? husk_neg_errno() : 0;
}

void husk_prepare_fds(struct husk_plan *plan) {
  /* Node marks its stdio close-on-exec; the container's program must get them. */
  for (int fd = 0; fd < 3 + plan->preserve_fds; fd++) {
    if (fcntl(fd, F_SETFD, 0) < 0 && errno != EBADF) FAIL(plan, STEP_FDS, errno, fd);
  }
  /* Close, not just mark close-on-exec, every other fd: the init may wait for `start` a long
   * time, and an inherited fd keeps what it names alive meanwhile (husk's flock on the container
   * lock would block `start` itself). Nothing of the host reaches the container's program
   * either (the CVE-2024-21626 class). Only the sync socket and the exec and result fifos
   * stay, all close-on-exec. */
  unsigned first = (unsigned)(3 + plan->preserve_fds);
  int keep[3] = {plan->sync_fd, plan->exec_fifo_fd, plan->result_fifo_fd};
  /* Sort the fds to keep (-1 = none) and close the gaps between them. */
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (keep[j] < keep[i]) {
        int t = keep[i];
        keep[i] = keep[j];
        keep[j] = t;
      }
  int rc = 0;
  for (int i = 0; i < 3 && rc == 0; i++) {
    if (keep[i] < 0 || (unsigned)keep[i] < first) continue;
    rc = close_fd_range(first, (unsigned)keep[i] - 1);
    first = (unsigned)keep[i] + 1;
  }
  if (rc == 0) rc = close_fd_range(first, ~0U);
  if (rc < 0) FAIL(plan, STEP_FDS, rc, -1);
}

void husk_report_start_failure(struct husk_plan *plan, const char *what, int value) {
  if (plan->result_fifo_fd < 0) return;
  char line[64], number[24];
  line[0] = '\0';
  husk_append(line, sizeof line, what);
  husk_append(line, sizeof line, " ");
  husk_format_i64(number, value);
  husk_append(line, sizeof line, number);
  husk_append(line, sizeof line, "\n");
  husk_write_all(plan->result_fifo_fd, line, strlen(line));
}

void husk_wait_for_start(struct husk_plan *plan) {
  if (plan->exec_fifo_fd < 0) return;
  /* The fifo was opened read-write, so this read blocks (rather than seeing end-of-file) until
   * `start` writes: one byte, the container state JSON for the startContainer hooks, a NUL. */
  size_t got = 0;
  while (!memchr(plan->payload, '\0', got) && got < plan->payload_capacity - 1) {
    ssize_t n = read(plan->exec_fifo_fd, plan->payload + got, plan->payload_capacity - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(1);
    got += (size_t)n;
  }
  plan->payload[got] = '\0';
  memmove(plan->payload, plan->payload + 1, got); /* drop the start byte */
}

static pid_t spawn_hook(const struct husk_hook *hook, int stdin_fd, int *pidfd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)pidfd;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid != 0) return (pid_t)pid;
  if (dup2(stdin_fd, 0) < 0) _exit(126);
  execve(hook->path, hook->argv, hook->envp);
  _exit(127);
}

static int wait_hook(pid_t pid, int pidfd, int timeout_seconds) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout_seconds > 0 ? timeout_seconds * 1000 : -1);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    waitpid(pid, NULL, 0);
    return -ETIMEDOUT;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  /* Not errnos: the parent turns these back into "exited with status N" / "killed by signal N". */
  if (WIFSIGNALED(status)) return -(HUSK_HOOK_SIGNALED + WTERMSIG(status));
  return -(HUSK_HOOK_EXITED + (WIFEXITED(status) ? WEXITSTATUS(status) : 255));
}

int husk_run_child_hooks(struct husk_plan *plan, struct husk_hook *hooks, int n, int *failed) {
  for (int i = 0; i < n; i++) {
    int pipe_fds[2], pidfd = -1;
    *failed = i;
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return husk_neg_errno();
    pid_t pid = spawn_hook(&hooks[i], pipe_fds[0], &pidfd);
    close(pipe_fds[0]);
    if (pid < 0) {
      close(pipe_fds[1]);
      return husk_neg_errno();
    }
    /* A hook that exits without reading its stdin must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    husk_write_all(pipe_fds[1], plan->payload, strlen(plan->payload));
    signal(SIGPIPE, SIG_DFL);
    close(pipe_fds[1]);
    int rc = wait_hook(pid, pidfd, hooks[i].timeout_seconds);
    close(pidfd);
    if (rc < 0) return rc;
  }
  return 0;
}

void husk_exec(struct husk_plan *plan) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(plan->exec_path, plan->argv, plan->envp);
  /* start has returned by now: the only place left to say why is the container's stderr. */
  int err = errno;
  husk_report_start_failure(plan, "exec", err);
  char line[PATH_MAX + 96];
  line[0] = '\0';
  husk_append(line, sizeof line, "husk: exec ");
  husk_append(line, sizeof line, plan->exec_path);
  husk_append(line, sizeof line, ": ");
  husk_append(line, sizeof line, husk_exec_errno_name(err));
  husk_append(line, sizeof line, "\n");
  husk_write_all(2, line, strlen(line));
  _exit(127);
}

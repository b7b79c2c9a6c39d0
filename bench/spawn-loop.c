/* `make bench`'s precise timer: spawn a command COUNT times, waiting GAP_US microseconds between
 * runs, and print each run's wall-clock time in milliseconds (spawn to reaped), one per line.
 * Node's spawnSync adds ~2 ms of its own to every command it times; this adds ~0.05 ms. The
 * command's stdout goes to /dev/null; its stderr and environment are ours.
 *   spawn-loop COUNT GAP_US PROGRAM [ARG...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: spawn-loop COUNT GAP_US PROGRAM [ARG...]\n");
    return 2;
  }
  int count = atoi(argv[1]);
  useconds_t gap = (useconds_t)atoi(argv[2]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  for (int i = 0; i < count; i++) {
    double started = now_ms();
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[3], &actions, NULL, argv + 3, environ);
    if (rc != 0) {
      fprintf(stderr, "spawn-loop: cannot run %s\n", argv[3]);
      return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "spawn-loop: %s failed (status %d)\n", argv[3], status);
      return 1;
    }
    printf("%.4f\n", now_ms() - started);
    if (gap) usleep(gap);
  }
  return 0;
}

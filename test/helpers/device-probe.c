/* device-probe: asks the kernel's device cgroup checks (v1 devices controller, v2 eBPF filter)
 * about device nodes, for test/integration/cgroups-device-filter.test.ts.
 *
 *   device-probe make DIR TYPE:MAJOR:MINOR...
 *       mknod DIR/TYPE-MAJOR-MINOR (mode 0666) for each; run outside any restricting cgroup.
 *   device-probe check [PROCS_FILE...] -- DIR OP...
 *       join each cgroup (write our pid to its cgroup.procs), then for each OP print "OP=RESULT"
 *       where RESULT is OK or the errno name. OP is ACCESS:TYPE:MAJOR:MINOR with ACCESS one of
 *       r, w, rw (open the node made by `make`) or m (mknod a fresh node, then remove it).
 *
 * The device cgroup check comes before the driver's open, so a node without a driver fails
 * with ENXIO when the cgroup allows it and EPERM when it does not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int parse(const char *spec, char *type, unsigned *major, unsigned *minor) {
  return sscanf(spec, "%c:%u:%u", type, major, minor) == 3 && (*type == 'c' || *type == 'b') ? 0 : -1;
}

static const char *result(int rc) {
  return rc == 0 ? "OK" : (strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: device-probe make DIR SPEC... | check [PROCS...] -- DIR OP...\n");
    return 2;
  }
  char type;
  unsigned major, minor;
  char path[4096];
  if (strcmp(argv[1], "make") == 0) {
    for (int i = 3; i < argc; i++) {
      if (parse(argv[i], &type, &major, &minor) < 0) return 2;
      snprintf(path, sizeof(path), "%s/%c-%u-%u", argv[2], type, major, minor);
      if (mknod(path, (type == 'c' ? S_IFCHR : S_IFBLK) | 0666, makedev(major, minor)) < 0 && errno != EEXIST) {
        perror(path);
        return 1;
      }
    }
    return 0;
  }
  if (strcmp(argv[1], "check") != 0) return 2;
  int i = 2;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
    char pid[32];
    int length = snprintf(pid, sizeof(pid), "%d", (int)getpid());
    if (fd < 0 || write(fd, pid, (size_t)length) != length) {
      perror(argv[i]);
      return 1;
    }
    close(fd);
  }
  if (i + 1 >= argc) return 2;
  const char *dir = argv[i + 1];
  for (i += 2; i < argc; i++) {
    char access[4] = {0};
    const char *colon = strchr(argv[i], ':');
    if (!colon || colon - argv[i] > 2 || parse(colon + 1, &type, &major, &minor) < 0) return 2;
    memcpy(access, argv[i], (size_t)(colon - argv[i]));
    int rc;
    if (strcmp(access, "m") == 0) {
      snprintf(path, sizeof(path), "%s/mknod-%d", dir, (int)getpid());
      rc = mknod(path, (type == 'c' ? S_IFCHR : S_IFBLK) | 0600, makedev(major, minor));
      if (rc == 0) unlink(path);
    } else {
      int flags = strcmp(access, "r") == 0 ? O_RDONLY : strcmp(access, "w") == 0 ? O_WRONLY : O_RDWR;
      snprintf(path, sizeof(path), "%s/%c-%u-%u", dir, type, major, minor);
      int fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      rc = fd < 0 ? -1 : 0;
      if (fd >= 0) close(fd);
    }
    printf("%s=%s\n", argv[i], result(rc));
  }
  return 0;
}

/* syscall-probe: makes one syscall per argument and prints "<name>=OK" or "<name>=<ERRNO>".
 * Built statically by the seccomp tests (test/helpers/syscall-probe.ts) and copied into a
 * busybox rootfs, because no busybox applet makes add_key or keyctl, and the shell cannot tell
 * which errno a failed applet saw. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_SPEC_PROCESS_KEYRING (-2)
#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEYCTL_GET_KEYRING_ID 0

static long probe(const char *name) {
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "husk-probe", "v", 1, KEY_SPEC_PROCESS_KEYRING);
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (!strcmp(name, "unshare")) return unshare(CLONE_NEWNS);
  if (!strcmp(name, "mount")) return mount("none", "/tmp", "tmpfs", 0, NULL);
  if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
  errno = EINVAL;
  return -2;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    errno = 0;
    long rc = probe(argv[i]);
    if (rc == -2) {
      printf("%s=UNKNOWN-PROBE\n", argv[i]);
      continue;
    }
    const char *errno_name = strerrorname_np(errno);
    printf("%s=%s\n", argv[i], rc >= 0 ? "OK" : (errno_name ? errno_name : "E?"));
  }
  return 0;
}

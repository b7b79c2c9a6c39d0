/* setgroups, setresgid and setresuid as the bare syscalls, for the container side.
 *
 * glibc's wrappers keep POSIX's rule that credentials are per process: when glibc believes the
 * process has other threads, they signal each one (SIGSETXID) and wait for it to change too. The
 * container side is a clone of husk's Node process, and glibc's memory, copied with it, still
 * lists Node's threads: so the init signalled threads that do not exist in it, and when one of
 * them was being created or was exiting at the moment of the clone, it waited forever for a
 * thread that would never answer, holding the container's lock (seen in CI: one `create` or `run`
 * in a few thousand hung for good). Here there is only ever the one thread: the syscall alone is
 * what is meant. Each returns what syscall() does: 0, or -1 with errno set. */
#ifndef HUSK_CREDENTIALS_H
#define HUSK_CREDENTIALS_H

#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int husk_setgroups(size_t count, const gid_t *groups) {
  return (int)syscall(SYS_setgroups, count, groups);
}

static inline int husk_setresgid(gid_t real, gid_t effective, gid_t saved) {
  return (int)syscall(SYS_setresgid, real, effective, saved);
}

static inline int husk_setresuid(uid_t real, uid_t effective, uid_t saved) {
  return (int)syscall(SYS_setresuid, real, effective, saved);
}

#endif

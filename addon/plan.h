/* The resolved launch plan, copied from the JavaScript LaunchPlan (src/linux/plan.ts) by
 * binding.cc before clone3. Everything here is allocated in the parent, so the container side
 * only reads memory it already has: it never allocates. */
#ifndef HUSK_PLAN_H
#define HUSK_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_join {
  int clone_flag;   /* CLONE_NEW* of the namespace */
  char *path;
  int fd;           /* opened by the parent before clone */
};

struct husk_mount {
  char *source;
  char *destination; /* absolute container path */
  char *fstype;      /* NULL for binds */
  char *data;        /* NULL for none */
  unsigned long flags;
  unsigned long remount_flags;
  unsigned long *propagation;
  int n_propagation;
  uint64_t rec_attr_set;
  uint64_t rec_attr_clear;
  int destination_is_file;
  int copy_up;       /* tmpcopyup: copy what the destination held into the new tmpfs */
};

struct husk_device {
  char *path;        /* absolute container path */
  mode_t mode;       /* S_IF* | permissions */
  unsigned int major, minor;
  uid_t uid;
  gid_t gid;
  char *bind_from;   /* NULL: mknod */
};

struct husk_symlink {
  char *target;
  char *path;
};

struct husk_rlimit {
  int resource;
  uint64_t soft, hard;
};

struct husk_hook {
  char *path;
  char **argv;       /* NULL-terminated */
  char **envp;       /* NULL-terminated */
  int timeout_seconds; /* 0: none */
};

struct husk_time_offsets {
  int64_t monotonic_secs, monotonic_nanosecs;
  int64_t boottime_secs, boottime_nanosecs;
};

/* What the init does about its root filesystem. */
enum husk_rootfs_setup {
  HUSK_ROOTFS_NEW_NAMESPACE = 0, /* mounts, devices, pivot_root (or --no-pivot) in its new mount namespace */
  HUSK_ROOTFS_CHROOT = 1,        /* no mount namespace of its own: only chroot into the rootfs (as runc) */
  HUSK_ROOTFS_JOINED = 2,        /* a joined mount namespace is set up already: its root stays the root */
};

/* A new field here or in a struct above must also be taught to addon/plan-wire.c (the daemon's plans). */
struct husk_plan {
  /* namespaces */
  int new_namespace_flags;  /* CLONE_NEW* except CLONE_NEWUSER */
  int new_user_namespace;
  struct husk_join *joins;
  int n_joins;
  int has_time_offsets;
  struct husk_time_offsets time_offsets;
  int cgroup_fd;            /* v2 cgroup dir for CLONE_INTO_CGROUP, or -1 */

  /* filesystem */
  char *rootfs;
  unsigned long rootfs_propagation;
  int readonly_root;
  int rootfs_setup;         /* enum husk_rootfs_setup */
  int no_pivot;
  struct husk_mount *mounts;
  int n_mounts;
  struct husk_device *devices;
  int n_devices;
  struct husk_symlink *symlinks;
  int n_symlinks;
  char **masked_paths;
  int n_masked_paths;
  char **readonly_paths;
  int n_readonly_paths;
  char *hostname;           /* NULL: unchanged */
  char *domainname;

  /* process */
  char **argv;
  char **envp;
  char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  int n_additional_gids;
  int umask;                /* -1: unchanged */
  struct husk_rlimit *rlimits;
  int n_rlimits;
  int preserve_fds;
  int exec_fifo_fd;         /* -1: do not wait for start */
  int result_fifo_fd;       /* -1: none; after start, the init reports a failure here before dying */
  int new_session;
  struct husk_hook *create_container_hooks;
  int n_create_container_hooks;
  struct husk_hook *start_container_hooks;
  int n_start_container_hooks;

  /* capabilities (bit n = capability n) and no_new_privs */
  int set_capabilities;     /* 0: leave the capabilities as they are (no process.capabilities) */
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  int cap_last_cap;         /* /proc/sys/kernel/cap_last_cap of the host */
  int no_new_privileges;
  char *session_keyring;    /* "_ses.<id>", or NULL with --no-new-keyring */

  /* Fds of the launching process that the child closes first thing, before anything can make it
   * wait: husk's container locks (src/state/lock.ts heldLockFds; a flock belongs to the open file
   * description, which a clone shares, so an init stuck in a createContainer hook after `husk
   * create` was killed would hold the lock, and `delete --force` would wait for it forever), and
   * in daemon mode the front end's connection to its worker (while the init held a copy, killing
   * the front end did not hang the connection up, and the worker went on holding the lock).
   * Never sent over the wire: each process names its own (plan-wire.c). */
#define HUSK_MAX_CLOSE_FIRST_FDS 4
  int close_first_fds[HUSK_MAX_CLOSE_FIRST_FDS];
  int n_close_first_fds;

  /* scratch, allocated by the parent so the child never allocates */
  int sync_fd;
  char *payload;            /* state JSON received from the parent, NUL-terminated */
  size_t payload_capacity;
  char *exec_path;          /* resolved program path, PATH_MAX */
  char *scratch;            /* PATH_MAX * 2 bytes for path building */

  /* seccomp (addon/seccomp.c): the program compiled in the parent, loaded by the child */
  void *seccomp_program;          /* struct sock_filter[]; NULL: no filter */
  size_t seccomp_program_length;  /* instructions */
  unsigned int seccomp_flags;     /* SECCOMP_FILTER_FLAG_* for seccomp(2); NEW_LISTENER: hand the fd over */
  int seccomp_before_user_switch; /* noNewPrivileges false: load while CAP_SYS_ADMIN is still held */

  /* kernel attributes of the process (addon/attributes.c) */
  char **sysctl_paths;            /* "/proc/sys/net/ipv4/ip_forward", written after pivot_root */
  char **sysctl_values;
  int n_sysctls;
  int has_scheduler;              /* process.scheduler: sched_setattr(2) with the fields below */
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  int io_priority;                /* ioprio_set(2) value (class << 13 | level), -1: unchanged */
  long personality;               /* personality(2) persona, -1: unchanged */
  char *apparmor_profile;         /* NULL: none */
  char *selinux_label;            /* NULL: none */

  /* terminal (process.terminal; addon/console.c) */
  int terminal;             /* make a pty in the container: its slave becomes stdio and controlling tty */
  int console_socket_fd;    /* connected unix socket the pty master is sent to (SCM_RIGHTS), or -1 */
  unsigned short console_rows, console_cols; /* TIOCSWINSZ when both are non-zero */
  int mount_console;        /* bind the slave onto /dev/console (the init with a mount namespace) */

  /* exec: join a running container (addon/exec.c) */
  int ns_pidfd;             /* pidfd of the container's init, or -1 */
  int ns_flags;             /* CLONE_NEW* namespaces to join with setns(ns_pidfd, ns_flags) */
  int root_fd;              /* the init's root directory (/proc/<pid>/root): chroot there after joining, or -1 */
};

#endif

/* The sync socket protocol between husk (parent) and the container side (child).
 * SOCK_SEQPACKET: one send is one message; a message is `struct husk_sync_msg` optionally
 * followed by a payload (the container state JSON that hooks read on stdin). */
#ifndef HUSK_SYNC_H
#define HUSK_SYNC_H

#include <stddef.h>
#include <stdint.h>

enum husk_sync_type {
  SYNC_EOF = 0,            /* the other side closed the socket */
  SYNC_GO = 1,             /* parent -> child: carry on (payload: state JSON, optional) */
  SYNC_USERNS_READY = 2,   /* child -> parent: write uid/gid maps of pid `value` */
  SYNC_INIT_PID = 3,       /* child -> parent: the init's pid is `value` */
  SYNC_RUNTIME_HOOKS = 4,  /* child -> parent: mounts done; run prestart/createRuntime, then GO */
  SYNC_READY = 5,          /* child -> parent: set up, waiting for start */
  SYNC_ERROR = 6,          /* child -> parent: step `value` failed with `error` on item `detail` */
  SYNC_SECCOMP_LISTENER = 7, /* child -> parent: the seccomp listener fd is attached (SCM_RIGHTS);
                              * hand it to the agent at listenerPath, then GO */
};

/* Steps of the container side, for error reports. Keep in step with src/lifecycle/child-steps.ts. */
enum husk_step {
  STEP_SYNC = 1,
  STEP_SIGNALS,
  STEP_SETNS,
  STEP_UNSHARE_USER,
  STEP_BECOME_ROOT,
  STEP_UNSHARE,
  STEP_TIME_OFFSETS,
  STEP_CLONE_INIT,
  STEP_ROOT_PROPAGATION,
  STEP_ROOTFS_BIND,
  STEP_ROOTFS_OPEN,
  STEP_MOUNT_DESTINATION,
  STEP_MOUNT,
  STEP_MOUNT_REMOUNT,
  STEP_MOUNT_PROPAGATION,
  STEP_MOUNT_SETATTR,
  STEP_DEVICE,
  STEP_SYMLINK,
  STEP_CREATE_CONTAINER_HOOK,
  STEP_PIVOT_ROOT,
  STEP_READONLY_ROOT,
  STEP_MASK_PATH,
  STEP_READONLY_PATH,
  STEP_HOSTNAME,
  STEP_DOMAINNAME,
  STEP_RLIMIT,
  STEP_SETSID,
  STEP_SETGROUPS,
  STEP_SETGID,
  STEP_SETUID,
  STEP_UMASK,
  STEP_CWD,
  STEP_EXEC_LOOKUP,
  STEP_FDS,
  STEP_WAIT_START,
  STEP_START_CONTAINER_HOOK,
  STEP_EXEC,
  STEP_CAPABILITIES,
  STEP_NO_NEW_PRIVILEGES,
  STEP_SESSION_KEYRING,
  STEP_MOUNT_COPYUP,

  /* Terminal and exec steps, numbered apart from the list above so that steps added there do
   * not renumber these (src/lifecycle/child-steps.ts names them in TERMINAL_AND_EXEC_STEPS). */
  STEP_CONSOLE = 100,      /* detail: enum husk_console_stage (addon/console.h) */
  STEP_JOIN_CONTAINER,     /* setns(init pidfd, flags) */
  STEP_CLONE_PROCESS,      /* cloning the exec'd process into the joined pid namespace */
  STEP_DUMPABLE,           /* prctl(PR_SET_DUMPABLE, 0) before joining */

  /* Seccomp and kernel process attributes (addon/seccomp.c, addon/attributes.c), numbered apart
   * for the same reason; child-steps.ts names them in SECURITY_STEPS. */
  STEP_SECCOMP = 200,      /* seccomp(SECCOMP_SET_MODE_FILTER) */
  STEP_SECCOMP_LISTENER,   /* handing the SCMP_ACT_NOTIFY listener fd to husk */
  STEP_SYSCTL,             /* detail: index into the plan's sysctls */
  STEP_SCHEDULER,          /* sched_setattr */
  STEP_IO_PRIORITY,        /* ioprio_set */
  STEP_PERSONALITY,        /* personality */
  STEP_LSM_LABEL,          /* detail: 0 AppArmor profile, 1 SELinux label */
};

struct husk_sync_msg {
  int32_t type;
  int32_t value;
  int32_t error;
  int32_t detail;
};

/* Child side: async-signal-safe. Return 0 or -errno. */
int husk_sync_send(int fd, int type, int value, int error, int detail);
/* Receive a message; payload (if any) is copied NUL-terminated into buf (capacity cap). */
int husk_sync_recv(int fd, struct husk_sync_msg *msg, char *buf, size_t cap);
/* Child side: a message with `passed_fd` attached (SCM_RIGHTS). 0 or -errno. */
int husk_sync_send_fd(int fd, int type, int value, int passed_fd);
/* Parent side: husk_sync_recv without payload that also takes an fd passed with the message
 * (*passed_fd = -1 when none came; a received fd is close-on-exec). */
int husk_sync_recv_fd(int fd, struct husk_sync_msg *msg, int *passed_fd);
/* Report a failed step and exit the child. Never returns. */
void husk_child_fail(int sync_fd, int step, int error, int detail) __attribute__((noreturn));

#endif

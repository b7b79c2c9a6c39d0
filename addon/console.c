/* The container's terminal. runc's order, followed here: new session, pty from the container's
 * own /dev/ptmx (after pivot_root, so the pty lives in the container's devpts instance and its
 * slave is visible there as /dev/pts/N), window size, /dev/console, send the master, slave onto
 * stdio, controlling terminal. */
#include "console.h"
#include "mount-api.h"
#include "resolve.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define FAIL_AT(plan, stage, err) husk_child_fail((plan)->sync_fd, STEP_CONSOLE, (err), (stage))

/* What the master is sent with. runc sends the master's file name, which is "/dev/ptmx"; the
 * receivers (containerd, conmon) only use it to name the fd. */
static const char kMasterName[] = "/dev/ptmx";

/* The slave without a path lookup (TIOCGPTPEER opens the dentry devpts holds for the master),
 * so nothing in the container's /dev/pts can substitute another file. Kernels before 4.13
 * lack the ioctl: open /dev/pts/N by path, as runc does. */
static int open_slave(int master, unsigned pts_number) {
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave >= 0 || (errno != EINVAL && errno != ENOTTY)) return slave;
  char path[40] = "/dev/pts/", number[24];
  husk_format_i64(number, pts_number);
  husk_append(path, sizeof path, number);
  return open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* Bind the slave onto /dev/console, as runc does, so programs that open /dev/console reach the
 * container's terminal and never the host's. The target is resolved inside the container's root
 * (openat2 RESOLVE_IN_ROOT), created as an empty file when missing, and the bind is made from
 * the slave's fd onto the target's fd (open_tree + move_mount): no path is followed twice. */
static void mount_dev_console(struct husk_plan *plan, int slave) {
  int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) FAIL_AT(plan, CONSOLE_DEV_CONSOLE, errno);
  int target = husk_create_in_root(root_fd, "/dev/console", 1, plan->scratch);
  close(root_fd);
  if (target < 0) FAIL_AT(plan, CONSOLE_DEV_CONSOLE, target);
  int tree = husk_open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) FAIL_AT(plan, CONSOLE_MOUNT_DEV_CONSOLE, errno);
  if (husk_move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    FAIL_AT(plan, CONSOLE_MOUNT_DEV_CONSOLE, errno);
  close(tree);
  close(target);
}

void husk_setup_console(struct husk_plan *plan) {
  /* TIOCSCTTY needs a session leader without a controlling terminal. */
  if (setsid() < 0) FAIL_AT(plan, CONSOLE_SETSID, errno);
  plan->new_session = 0;

  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) FAIL_AT(plan, CONSOLE_OPEN_PTMX, errno);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) FAIL_AT(plan, CONSOLE_UNLOCK, errno);
  unsigned pts_number = 0;
  if (ioctl(master, TIOCGPTN, &pts_number) < 0) FAIL_AT(plan, CONSOLE_PTS_NUMBER, errno);
  if (plan->console_rows && plan->console_cols) {
    struct winsize size;
    memset(&size, 0, sizeof size);
    size.ws_row = plan->console_rows;
    size.ws_col = plan->console_cols;
    if (ioctl(master, TIOCSWINSZ, &size) < 0) FAIL_AT(plan, CONSOLE_WINDOW_SIZE, errno);
  }
  int slave = open_slave(master, pts_number);
  if (slave < 0) FAIL_AT(plan, CONSOLE_OPEN_SLAVE, errno);

  /* The process must own its terminal to use it after dropping root (runc: fixStdioPermissions
   * chowns the stdio it hands over; the group stays devpts' gid=5 "tty"). */
  struct stat st;
  if (fstat(slave, &st) < 0) FAIL_AT(plan, CONSOLE_CHOWN_SLAVE, errno);
  if (st.st_uid != plan->uid && fchown(slave, plan->uid, (gid_t)-1) < 0) FAIL_AT(plan, CONSOLE_CHOWN_SLAVE, errno);

  if (plan->mount_console) mount_dev_console(plan, slave);

  if (plan->console_socket_fd >= 0) {
    long sent = husk_send_with_fd(plan->console_socket_fd, kMasterName, sizeof kMasterName - 1, master);
    int rc = sent < 0 ? (int)sent : 0;
    if (rc < 0) FAIL_AT(plan, CONSOLE_SEND_MASTER, rc);
    close(plan->console_socket_fd);
    plan->console_socket_fd = -1;
  }
  /* Whoever received the master holds it now; the container must not. */
  close(master);

  for (int fd = 0; fd < 3; fd++)
    if (dup3(slave, fd, 0) < 0) FAIL_AT(plan, CONSOLE_STDIO, errno);
  if (slave > 2) close(slave);
  if (ioctl(0, TIOCSCTTY, 0) < 0) FAIL_AT(plan, CONSOLE_CONTROLLING_TERMINAL, errno);
}

int husk_recv_fd(int socket_fd, char *name, size_t name_cap) {
  int fd;
  long n = husk_recv_with_fd(socket_fd, name, name_cap > 0 ? name_cap - 1 : 0, &fd);
  if (n < 0) return (int)n;
  if (name_cap > 0) name[n] = '\0';
  return fd >= 0 ? fd : -ENOMSG;
}

#include "devices.h"
#include "resolve.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int bind_host_device(struct husk_plan *plan, int root_fd, const struct husk_device *dev) {
  char target[32];
  int fd = husk_create_in_root(root_fd, dev->path, 1, plan->scratch);
  if (fd < 0) return fd;
  husk_fd_path(target, fd);
  int rc = mount(dev->bind_from, target, NULL, MS_BIND, NULL) < 0 ? husk_neg_errno() : 0;
  close(fd);
  return rc;
}

static int make_device_node(struct husk_plan *plan, int root_fd, const struct husk_device *dev) {
  const char *name;
  int parent = husk_open_parent_in_root(root_fd, dev->path, plan->scratch, &name);
  if (parent < 0) return parent;
  dev_t number = makedev(dev->major, dev->minor);
  int rc = mknodat(parent, name, dev->mode, number);
  if (rc < 0 && errno == EEXIST) {
    /* Whatever the image shipped at that path gives way to the configured node (as in runc). */
    if (unlinkat(parent, name, 0) == 0) rc = mknodat(parent, name, dev->mode, number);
  }
  if (rc == 0 && fchownat(parent, name, dev->uid, dev->gid, AT_SYMLINK_NOFOLLOW) < 0) rc = -1;
  /* mknod applies the umask; the configured mode is what the container must see. */
  if (rc == 0 && fchmodat(parent, name, dev->mode & 07777, 0) < 0) rc = -1;
  rc = rc < 0 ? husk_neg_errno() : 0;
  close(parent);
  return rc;
}

static int make_symlink(struct husk_plan *plan, int root_fd, const struct husk_symlink *link) {
  const char *name;
  int parent = husk_open_parent_in_root(root_fd, link->path, plan->scratch, &name);
  if (parent < 0) return parent;
  int rc = symlinkat(link->target, parent, name);
  int saved = errno;
  close(parent);
  /* An image that already has the link (or a file there) keeps it, as with runc. */
  return rc < 0 && saved != EEXIST ? -saved : 0;
}

void husk_create_devices(struct husk_plan *plan, int root_fd) {
  for (int i = 0; i < plan->n_devices; i++) {
    const struct husk_device *dev = &plan->devices[i];
    int rc = dev->bind_from ? bind_host_device(plan, root_fd, dev) : make_device_node(plan, root_fd, dev);
    if (rc < 0) husk_child_fail(plan->sync_fd, STEP_DEVICE, rc, i);
  }
  for (int i = 0; i < plan->n_symlinks; i++) {
    int rc = make_symlink(plan, root_fd, &plan->symlinks[i]);
    if (rc < 0) husk_child_fail(plan->sync_fd, STEP_SYMLINK, rc, i);
  }
}

#ifndef HUSK_MOUNTS_H
#define HUSK_MOUNTS_H

#include "plan.h"

/* Set "/" propagation, bind the rootfs onto itself and return an O_PATH fd of it. */
int husk_prepare_rootfs(struct husk_plan *plan);
/* The config's mounts, in order, each resolved inside the rootfs. */
void husk_mount_all(struct husk_plan *plan, int root_fd);
/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot) and detach the old root. */
void husk_enter_rootfs(struct husk_plan *plan, int root_fd);
/* No mount namespace of the container's own: chroot into the rootfs, nothing mounted. */
void husk_chroot_rootfs(struct husk_plan *plan);
/* After entering: read-only root, masked paths, read-only paths. */
void husk_finish_rootfs(struct husk_plan *plan);

#endif

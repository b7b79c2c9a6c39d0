#ifndef HUSK_DEVICES_H
#define HUSK_DEVICES_H

#include "plan.h"

/* Device nodes (mknod, or a bind of the host node inside a user namespace) and /dev symlinks. */
void husk_create_devices(struct husk_plan *plan, int root_fd);

#endif

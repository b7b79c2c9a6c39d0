/* Kernel attributes of the container process that are neither identity nor capabilities:
 * linux.sysctl, process.scheduler, process.ioPriority, linux.personality. Child side only,
 * async-signal-safe. Each reports a failure over the sync socket and exits. */
#ifndef HUSK_ATTRIBUTES_H
#define HUSK_ATTRIBUTES_H

#include "plan.h"

/* Write linux.sysctl under /proc/sys. After pivot_root (so /proc is the container's procfs, whose
 * net and ipc entries belong to the container's namespaces) and before readonly/masked paths
 * make /proc/sys read-only. */
void husk_write_sysctls(struct husk_plan *plan);
/* process.scheduler and process.ioPriority. Before the user switch: real-time policies, negative
 * nice values and the real-time I/O class need CAP_SYS_NICE / CAP_SYS_ADMIN. */
void husk_set_scheduling(struct husk_plan *plan);
/* process.apparmorProfile / process.selinuxLabel as the exec context (they apply at execve).
 * TypeScript has refused them already on hosts without that LSM. */
void husk_set_lsm_labels(struct husk_plan *plan);
/* linux.personality. */
void husk_set_personality(struct husk_plan *plan);

#endif

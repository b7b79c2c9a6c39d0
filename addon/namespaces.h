#ifndef HUSK_NAMESPACES_H
#define HUSK_NAMESPACES_H

#include "plan.h"

/* Join every namespace the plan names by path, user namespace first. Fails the child on error. */
void husk_join_namespaces(struct husk_plan *plan);
/* Create the new user namespace and wait until the parent has written its maps. */
void husk_enter_new_user_namespace(struct husk_plan *plan);
/* unshare(2) the remaining new namespaces and write time namespace offsets. */
void husk_unshare_namespaces(struct husk_plan *plan);

#endif

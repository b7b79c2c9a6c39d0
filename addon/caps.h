/* Capabilities and no_new_privs of the container process (init or exec'd). */
#ifndef HUSK_CAPS_H
#define HUSK_CAPS_H

#include "plan.h"

/* Before the user switch: drop what is not in the bounding set, keep the permitted set across
 * setuid. No-op when the plan sets no capabilities. */
void husk_caps_before_user_switch(struct husk_plan *plan);
/* After the user switch: set effective/permitted/inheritable, raise ambient, set no_new_privs. */
void husk_caps_after_user_switch(struct husk_plan *plan);

#endif

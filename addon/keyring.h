#ifndef HUSK_KEYRING_H
#define HUSK_KEYRING_H

#include "plan.h"

/* Join a new session keyring named plan->session_keyring (unless NULL: --no-new-keyring), so the
 * container does not share the caller's keys. */
void husk_join_session_keyring(struct husk_plan *plan);

#endif

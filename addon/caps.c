#include "caps.h"
#include "sync.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(plan, step, err, detail) husk_child_fail((plan)->sync_fd, (step), (err), (detail))

static int has_bit(uint64_t set, int cap) { return (int)((set >> cap) & 1); }

void husk_caps_before_user_switch(struct husk_plan *plan) {
  if (!plan->set_capabilities) return;
  for (int cap = 0; cap <= plan->cap_last_cap; cap++) {
    if (has_bit(plan->cap_bounding, cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) FAIL(plan, STEP_CAPABILITIES, errno, cap);
  }
  /* setresuid to a non-root uid would clear the permitted set; keep it for capset below. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) FAIL(plan, STEP_CAPABILITIES, errno, -1);
}

void husk_caps_after_user_switch(struct husk_plan *plan) {
  if (plan->set_capabilities) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) FAIL(plan, STEP_CAPABILITIES, errno, -1);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int word = 0; word < 2; word++) {
      data[word].effective = (uint32_t)(plan->cap_effective >> (32 * word));
      data[word].permitted = (uint32_t)(plan->cap_permitted >> (32 * word));
      data[word].inheritable = (uint32_t)(plan->cap_inheritable >> (32 * word));
    }
    if (syscall(SYS_capset, &header, data) < 0) FAIL(plan, STEP_CAPABILITIES, errno, -1);
    for (int cap = 0; cap <= plan->cap_last_cap; cap++) {
      if (!has_bit(plan->cap_ambient, cap)) continue;
      /* The kernel only raises an ambient capability that is also permitted and inheritable.
       * runc ignores the refusal (its default config lists ambient caps with an empty
       * inheritable set, and ends with none); so do we, to see the same process. */
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }
  if (plan->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    FAIL(plan, STEP_NO_NEW_PRIVILEGES, errno, -1);
}

/* The plan's memory, and the release of husk's memory on the container side (memory.c). */
#ifndef HUSK_MEMORY_H
#define HUSK_MEMORY_H

#include <stddef.h>

/* Parent side (binding.cc). Start a plan: returns its first allocation (the struct husk_plan),
 * zeroed; every later husk_plan_alloc/husk_plan_strdup belongs to the same plan, until
 * husk_plan_memory_free(plan) unmaps it all. Everything the container side reads must be
 * allocated this way: memory.c releases husk's malloc heaps in the child. */
void *husk_plan_memory_begin(size_t first_size);
void *husk_plan_alloc(size_t size); /* zeroed, 16-byte aligned */
char *husk_plan_strdup(const char *text);
void husk_plan_memory_free(void *plan);

/* Child side, first thing in stage 1: release (MADV_DONTNEED) husk's malloc heaps, which the
 * container side never reads, so that the init does not keep a copy of them while it waits for
 * `start`. `plan` must come from husk_plan_memory_begin. Does nothing when that cannot be done
 * safely. Async-signal-safe. */
void husk_release_parent_memory(const void *plan);

#endif

/* The plan's own memory, and giving back the copy of husk's memory that the container side
 * never reads.
 *
 * Stage 1 is a clone of husk's Node process, and the init a clone of stage 1: both start with
 * every private page Node had dirtied, copy-on-write. When husk exits those pages belong to the
 * init alone, which holds them for as long as it waits for `start`: ~3.8 MiB private dirty,
 * measured, most of it glibc's malloc heap, where Node keeps its C++ objects, and the malloc
 * arenas of Node's other threads. The container side reads none of it: it reads only the plan.
 *
 * So binding.cc builds the plan in memory of its own (husk_plan_alloc: blocks mmap'd for it,
 * zero-filled, never reused), and stage 1, before anything else (the init inherits what stage 1
 * keeps), releases with madvise(MADV_DONTNEED) the main heap ([heap]), the heaps of the other
 * threads' arenas (64 MiB-aligned, followed by their reserve) and malloc's mmapped chunks (an
 * anonymous mapping that starts with a chunk header: prev_size 0, the mapping's own size with
 * IS_MMAPPED; Node's large Buffers, such as the 0.6 MB code cache bin/husk read). Stacks (the
 * other threads' stacks hold glibc's thread descriptors: nothing should walk them in the child,
 * credentials.h says why, but they are small), libraries' data, the TLS block and the [stack] we
 * run on stay.
 *
 * Only when it is safe:
 *   - the addon is linked with -z now: a lazy PLT resolution in the child would read the
 *     addon's link_map, which ld.so malloc'ed in the main heap;
 *   - no word of the plan points into a heap about to be released (a field someone allocated
 *     with plain malloc): such a heap stays. The plan blocks start zeroed and are filled only by
 *     binding.cc, so a stale pointer cannot turn up there;
 *   - our stack and TLS are not in one of those heaps.
 * Otherwise that memory stays, as before. The rule this relies on is DESIGN.md's: after clone3
 * the container side calls no malloc and reads nothing of husk's but the plan.
 *
 * The child side is raw syscalls and plain memory reads: async-signal-safe. */
#include "memory.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Weak: a static program (the daemon-mode front end, addon/frontend.c) has none, and binds nothing lazily. */
extern ElfW(Dyn) _DYNAMIC[] __attribute__((weak));

#define PAGE 4096UL
#define BLOCK_MAGIC 0x68736b706c616e31ULL /* "hskplan1" */
#define BLOCK_SIZE (64UL << 10)
#define ALIGN 16UL
#define ARENA_HEAP_SIZE (64UL << 20) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define MAX_BLOCKS 64
#define MAX_HEAPS 256
#define MAX_ANONYMOUS 1024
#define MAPS_BUFFER (512UL << 10)

/* ---- the plan's memory (parent side) ---- */

struct block {
  uint64_t magic;
  size_t size; /* of the mapping */
  size_t used; /* bytes from the start of the mapping */
  struct block *next;
  uint64_t padding[4]; /* the header is 64 bytes: the first allocation is aligned like any */
};

/* The plan being built (binding.cc builds one at a time, on the JavaScript thread). */
static struct block *current;

static struct block *new_block(size_t at_least) {
  size_t size = at_least + sizeof(struct block) > BLOCK_SIZE ? at_least + sizeof(struct block) : BLOCK_SIZE;
  size = (size + PAGE - 1) & ~(PAGE - 1);
  struct block *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b == MAP_FAILED) return NULL;
  b->magic = BLOCK_MAGIC;
  b->size = size;
  b->used = sizeof(struct block);
  return b;
}

void *husk_plan_memory_begin(size_t first_size) {
  current = new_block(first_size);
  if (!current) abort(); /* as calloc's callers here would crash on NULL anyway, but clearly */
  return husk_plan_alloc(first_size);
}

void *husk_plan_alloc(size_t size) {
  if (size == 0) size = 1;
  if (!current) {
    /* Not building a plan: plain memory, which the child-side release then notices and keeps. */
    void *p = calloc(1, size);
    if (!p) abort();
    return p;
  }
  size = (size + ALIGN - 1) & ~(ALIGN - 1);
  struct block *b = current;
  while (b->next) b = b->next;
  if (b->size - b->used < size) {
    struct block *more = new_block(size);
    if (!more) abort();
    b->next = more;
    b = more;
  }
  void *p = (char *)b + b->used;
  b->used += size;
  return p;
}

char *husk_plan_strdup(const char *text) {
  size_t n = strlen(text) + 1;
  char *copy = husk_plan_alloc(n);
  memcpy(copy, text, n);
  return copy;
}

static struct block *block_of(const void *plan) {
  struct block *b = (struct block *)((const char *)plan - sizeof(struct block));
  return b->magic == BLOCK_MAGIC ? b : NULL;
}

void husk_plan_memory_free(void *plan) {
  struct block *b = block_of(plan);
  if (b == current) current = NULL;
  while (b) {
    struct block *next = b->next;
    munmap(b, b->size);
    b = next;
  }
}

/* ---- the release (child side) ---- */

struct heap {
  uintptr_t start, end;
  int keep;
};

struct scan {
  struct heap heaps[MAX_HEAPS]; /* the main heap, the arena heaps, mmapped chunks */
  int n_heaps;
  struct heap anonymous[MAX_ANONYMOUS]; /* private anonymous rw mappings: maybe mmapped chunks */
  int n_anonymous;
  uintptr_t prev_start, prev_end; /* the previous line, if it was private anonymous rw memory */
  int overflow;
};

static int bound_now(void) {
  if (!_DYNAMIC) return 1;
  for (ElfW(Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
    if (d->d_tag == DT_BIND_NOW) return 1;
    if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_BIND_NOW)) return 1;
    if (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_NOW)) return 1;
  }
  return 0;
}

static const char *parse_hex(const char *p, uintptr_t *out) {
  uintptr_t v = 0;
  for (;; p++) {
    unsigned d;
    if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
    else if (*p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
    else break;
    v = (v << 4) | d;
  }
  *out = v;
  return p;
}

static const char *next_field(const char *p, const char *end) {
  while (p < end && *p != ' ') p++;
  while (p < end && *p == ' ') p++;
  return p;
}

static void add_heap(struct scan *s, uintptr_t start, uintptr_t end) {
  if (s->n_heaps == MAX_HEAPS) {
    s->overflow = 1;
    return;
  }
  s->heaps[s->n_heaps++] = (struct heap){start, end, 0};
}

/* One line of /proc/self/maps: "start-end perms offset dev inode   [path]". */
static void parse_line(struct scan *s, const char *line, const char *end) {
  uintptr_t start, stop;
  const char *p = parse_hex(line, &start);
  if (*p != '-') return;
  p = parse_hex(p + 1, &stop);
  const char *perms = next_field(p, end);
  const char *inode = next_field(next_field(next_field(perms, end), end), end);
  const char *path = next_field(inode, end);
  int anonymous = inode[0] == '0' && (inode + 1 == end || inode[1] == ' ') && path == end;
  int rw_private = perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p';
  uintptr_t prev_start = s->prev_start, prev_end = s->prev_end;
  s->prev_start = s->prev_end = 0;

  if ((size_t)(end - path) == 6 && memcmp(path, "[heap]", 6) == 0) {
    add_heap(s, start, stop);
    return;
  }
  if (anonymous && rw_private) {
    s->prev_start = start;
    s->prev_end = stop;
    if (s->n_anonymous < MAX_ANONYMOUS) s->anonymous[s->n_anonymous++] = (struct heap){start, stop, 0};
    return;
  }
  /* An arena heap: rw-p at a 64 MiB boundary, then its ---p reserve up to the next boundary. */
  if (anonymous && perms[0] == '-' && perms[1] == '-' && prev_end == start && prev_start % ARENA_HEAP_SIZE == 0 &&
      stop - prev_start == ARENA_HEAP_SIZE) {
    add_heap(s, prev_start, prev_end);
  }
}

static int read_maps(struct scan *s, char *buffer, size_t capacity) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, buffer + got, capacity - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == capacity) break;
  }
  close(fd);
  if (got == capacity) return -1; /* more mappings than we can be sure about */
  const char *line = buffer;
  const char *end = buffer + got;
  while (line < end) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) break;
    parse_line(s, line, eol);
    line = eol + 1;
  }
  if (s->overflow) return -1;
  /* malloc's mmapped chunks: a header (prev_size 0, size | IS_MMAPPED) at the start of their own
   * mapping. The kernel merges adjacent anonymous mappings, so a mapping may hold several in a
   * row: follow them while the headers say so. */
  for (int i = 0; i < s->n_anonymous; i++) {
    const struct heap *a = &s->anonymous[i];
    if ((void *)a->start == (void *)s) continue;
    for (uintptr_t at = a->start; at + 2 * sizeof(size_t) <= a->end && s->n_heaps < MAX_HEAPS;) {
      const size_t *header = (const size_t *)at;
      size_t size = header[1] & ~(size_t)7;
      if (header[0] != 0 || !(header[1] & 2) || size < PAGE || size % PAGE != 0 || size > a->end - at) break;
      add_heap(s, at, at + size); /* more of them than fit: those stay */
      at += size;
    }
  }
  return s->overflow ? -1 : 0;
}

/* Keep the heap holding `address`, if any. */
static void keep_heap_of(struct scan *s, uintptr_t address) {
  if (address < PAGE) return; /* most words of the plan: zeros (its buffers), small numbers */
  for (int i = 0; i < s->n_heaps; i++)
    if (address >= s->heaps[i].start && address < s->heaps[i].end) s->heaps[i].keep = 1;
}

void husk_release_parent_memory(const void *plan) {
  struct block *first = block_of(plan);
  if (!first || !bound_now()) return;
  struct scan *s = mmap(NULL, sizeof *s + MAPS_BUFFER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return;
  if (read_maps(s, (char *)(s + 1), MAPS_BUFFER) < 0) goto out;

  /* What the child needs that is not the plan: our stack and the TLS block (errno). */
  keep_heap_of(s, (uintptr_t)&s);
  keep_heap_of(s, (uintptr_t)pthread_self());
  keep_heap_of(s, (uintptr_t)&errno);
  /* Every word of the plan: a pointer into a heap keeps it. */
  int n_blocks = 0;
  for (struct block *b = first; b; b = b->next) {
    if (++n_blocks > MAX_BLOCKS || b->magic != BLOCK_MAGIC) goto out;
    keep_heap_of(s, (uintptr_t)b);
    for (const uintptr_t *w = (const uintptr_t *)(b + 1); (const char *)(w + 1) <= (const char *)b + b->used; w++) keep_heap_of(s, *w);
  }
  for (int i = 0; i < s->n_heaps; i++) {
    struct heap *h = &s->heaps[i];
    uintptr_t start = (h->start + PAGE - 1) & ~(PAGE - 1);
    uintptr_t end = h->end & ~(PAGE - 1);
    if (!h->keep && end > start) madvise((void *)start, end - start, MADV_DONTNEED);
  }
out:
  munmap(s, sizeof *s + MAPS_BUFFER);
}

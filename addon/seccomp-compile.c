/* Seccomp, the compiling half (seccomp-compile.h). Runs in husk (Node's main thread) before clone3:
 * may allocate and use libseccomp. */
#include "seccomp-compile.h"
#include "util.h"

#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_rule(scmp_filter_ctx ctx, struct husk_seccomp_rule *rule) {
  int number = seccomp_syscall_resolve_name(rule->syscall);
  if (number == __NR_SCMP_ERROR) {
    /* Newer than this libseccomp, or another architecture's: runc skips such names so that one
     * profile serves many kernels and libseccomp versions. TypeScript logs the list. */
    rule->unknown = 1;
    return 0;
  }
  struct scmp_arg_cmp conditions[6];
  if (rule->n_conditions > 6) return -E2BIG;
  for (int i = 0; i < rule->n_conditions; i++) {
    conditions[i].arg = rule->conditions[i].index;
    conditions[i].op = (enum scmp_compare)rule->conditions[i].op;
    conditions[i].datum_a = rule->conditions[i].value;
    conditions[i].datum_b = rule->conditions[i].value_two;
  }
  /* Not the _exact variant: libseccomp may rewrite a rule for an architecture that multiplexes the
   * syscall (socket() through socketcall() on x86), which is what a profile means. */
  return seccomp_rule_add_array(ctx, rule->action, number, (unsigned)rule->n_conditions, conditions);
}

/* Export the program into a memfd and read it back: libseccomp 2.5 has no export-to-memory. */
static int export_program(scmp_filter_ctx ctx, struct husk_seccomp_program *program) {
  int fd = memfd_create("husk-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return husk_neg_errno();
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  if (rc == 0 && fstat(fd, &st) < 0) rc = husk_neg_errno();
  if (rc == 0 && (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0)) rc = -EPROTO;
  void *buffer = NULL;
  if (rc == 0 && !(buffer = malloc((size_t)st.st_size))) rc = -ENOMEM;
  for (size_t done = 0; rc == 0 && done < (size_t)st.st_size;) {
    ssize_t n = pread(fd, (char *)buffer + done, (size_t)st.st_size - done, (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) rc = n < 0 ? husk_neg_errno() : -EIO;
    else done += (size_t)n;
  }
  close(fd);
  if (rc < 0) {
    free(buffer);
    return rc;
  }
  program->instructions = buffer;
  program->length = (size_t)st.st_size / sizeof(struct sock_filter);
  return 0;
}

int husk_seccomp_compile(struct husk_seccomp_filter *filter, struct husk_seccomp_program *program) {
  program->instructions = NULL;
  program->length = 0;
  program->failed_rule = -1;
  program->failed_architecture = -1;
  scmp_filter_ctx ctx = seccomp_init(filter->default_action);
  if (!ctx) return -EINVAL; /* the only reason left after TypeScript's checks: a bad default action */
  int rc = 0;
  /* Report libseccomp's errors as the kernel's errno values rather than its own mapping. */
  seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  /* The filter is loaded with our own seccomp(2) call, so libseccomp's load-time attributes (NNP,
   * TSYNC, LOG, SSB) would be ignored anyway; the flags travel in the plan instead. */
  for (int i = 0; rc == 0 && i < filter->n_architectures; i++) {
    uint32_t arch = seccomp_arch_resolve_name(filter->architectures[i]);
    if (arch == 0) rc = -EINVAL;
    else if ((rc = seccomp_arch_add(ctx, arch)) == -EEXIST) rc = 0; /* the native one: there already */
    if (rc < 0) program->failed_architecture = i;
  }
  /* A binary tree of syscalls instead of a linear list keeps long profiles (Podman's: ~400
   * syscalls) fast to evaluate. Only asked for with many rules: libseccomp <= 2.5.4 builds a
   * broken tree for a filter without any (runc avoids the same bug the same way). */
  if (rc == 0 && filter->optimize_binary_tree) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (int i = 0; rc == 0 && i < filter->n_rules; i++) {
    rc = add_rule(ctx, &filter->rules[i]);
    if (rc < 0) program->failed_rule = i;
  }
  if (rc == 0) rc = export_program(ctx, program);
  seccomp_release(ctx);
  return rc;
}

int husk_seccomp_arch_known(const char *name) { return seccomp_arch_resolve_name(name) != 0; }

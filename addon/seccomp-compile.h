/* Seccomp, the compiling half: libseccomp builds a filter from the rules the TypeScript plan
 * resolved and exports its BPF program into memory husk owns. It runs in husk's own process (the
 * addon) before clone3; the container side installs the program (seccomp.h). */
#ifndef HUSK_SECCOMP_COMPILE_H
#define HUSK_SECCOMP_COMPILE_H

#include <stddef.h>
#include <stdint.h>

struct husk_seccomp_condition {
  unsigned int index;   /* syscall argument 0..5 */
  int op;               /* enum scmp_compare (SCMP_CMP_NE = 1 .. SCMP_CMP_MASKED_EQ = 7) */
  uint64_t value;
  uint64_t value_two;
};

struct husk_seccomp_rule {
  const char *syscall;  /* name; libseccomp resolves it (per architecture) */
  uint32_t action;      /* SCMP_ACT_* value, errno/trace data included */
  struct husk_seccomp_condition *conditions;
  int n_conditions;
  int unknown;          /* out: 1 when libseccomp does not know the name (the rule was skipped) */
};

struct husk_seccomp_filter {
  uint32_t default_action;
  const char **architectures;  /* libseccomp names ("x86", "x32"); the native one is always there */
  int n_architectures;
  struct husk_seccomp_rule *rules;
  int n_rules;
  int optimize_binary_tree;    /* SCMP_FLTATR_CTL_OPTIMIZE = 2 */
};

struct husk_seccomp_program {
  void *instructions;          /* struct sock_filter[], malloc'd; the caller frees */
  size_t length;               /* number of instructions */
  /* On failure: what failed, for the message. -1 when not that kind of item. */
  int failed_rule;
  int failed_architecture;
};

/* 0, or -errno with program->failed_* saying which rule or architecture libseccomp refused. */
int husk_seccomp_compile(struct husk_seccomp_filter *filter, struct husk_seccomp_program *program);

/* Whether this build's libseccomp knows an architecture ("x86_64", "loongarch64"). */
int husk_seccomp_arch_known(const char *name);

#endif

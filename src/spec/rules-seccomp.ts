// Rules for linux.seccomp that the JSON schema cannot express. Whether syscall names exist is
// decided by the seccomp plan builder (it needs libseccomp's tables), not here.

import { PathSegment } from './json-path';
import { SECCOMP_ACTIONS_WITH_ERRNO, SECCOMP_MAX_ARG_INDEX } from './known-values';
import { ProblemList } from './rules-common';
import { Seccomp } from './types';

const NOTIFY = 'SCMP_ACT_NOTIFY';

export function checkSeccomp(seccomp: Seccomp, at: PathSegment[], problems: ProblemList): void {
  checkListener(seccomp, at, problems);
  checkErrnoFits(seccomp.defaultAction, seccomp.defaultErrnoRet, [...at, 'defaultErrnoRet'], problems);
  (seccomp.syscalls ?? []).forEach((rule, index) => {
    const ruleAt = [...at, 'syscalls', index];
    checkErrnoFits(rule.action, rule.errnoRet, [...ruleAt, 'errnoRet'], problems);
    checkNotifyRule(rule, seccomp, ruleAt, problems);
    rule.names.forEach((name, nameIndex) => problems.check(name !== '', [...ruleAt, 'names', nameIndex], 'must not be empty'));
    (rule.args ?? []).forEach((arg, argIndex) => {
      problems.check(arg.index <= SECCOMP_MAX_ARG_INDEX, [...ruleAt, 'args', argIndex, 'index'], `expected at most ${SECCOMP_MAX_ARG_INDEX}, got ${arg.index}`);
    });
  });
}

// config-linux.md: listenerMetadata "MUST NOT be set if listenerPath is not set".
// SCMP_ACT_NOTIFY as the default would trap the container's own execve before any agent could
// answer; runc refuses it for the same reason.
function checkListener(seccomp: Seccomp, at: PathSegment[], problems: ProblemList): void {
  if (seccomp.listenerMetadata) {
    problems.check(Boolean(seccomp.listenerPath), [...at, 'listenerMetadata'], 'needs linux.seccomp.listenerPath');
  }
  problems.check(seccomp.defaultAction !== NOTIFY, [...at, 'defaultAction'], `${NOTIFY} cannot be the default action; list the syscalls to notify in linux.seccomp.syscalls`);
}

// config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error
// and fail."
function checkErrnoFits(action: string, errno: number | undefined, at: PathSegment[], problems: ProblemList): void {
  if (errno === undefined) return;
  const takesErrno = (SECCOMP_ACTIONS_WITH_ERRNO as readonly string[]).includes(action);
  problems.check(takesErrno, at, `only ${SECCOMP_ACTIONS_WITH_ERRNO.join(' and ')} take an errno, not ${action}`);
}

// Without listenerPath the notification fd has no agent to go to and the notified syscall blocks
// forever. `write` cannot be notified: the container's setup reports its progress with write(2)
// after the filter is loaded (runc has the same restriction).
function checkNotifyRule(rule: NonNullable<Seccomp['syscalls']>[number], seccomp: Seccomp, at: PathSegment[], problems: ProblemList): void {
  if (rule.action !== NOTIFY) return;
  problems.check(Boolean(seccomp.listenerPath), [...at, 'action'], `${NOTIFY} needs linux.seccomp.listenerPath`);
  problems.check(!rule.names.includes('write'), [...at, 'names'], `${NOTIFY} cannot be used for 'write'`);
}

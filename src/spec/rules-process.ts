// Rules for a process object (config.json "process", or the file given to `exec --process`)
// that the JSON schema cannot express.

import { PathSegment } from './json-path';
import { RLIMIT_TYPES, listValues } from './known-values';
import { ProblemList, isAbsolutePath, isIdList, notAbsolute, notAnIdList, outOfRange } from './rules-common';
import { Process, Rlimit, Scheduler } from './types';

/** Check `process`, found at `at` in its document. */
export function checkProcess(process: Process, at: readonly PathSegment[], problems: ProblemList): void {
  checkCwd(process, at, problems);
  checkArgs(process, at, problems);
  checkEnv(process.env ?? [], [...at, 'env'], problems);
  checkRlimits(process.rlimits ?? [], [...at, 'rlimits'], problems);
  checkOomScoreAdj(process, at, problems);
  if (process.scheduler) checkScheduler(process.scheduler, [...at, 'scheduler'], problems);
  if (process.ioPriority) checkIoPriority(process.ioPriority, [...at, 'ioPriority'], problems);
  if (process.execCPUAffinity) checkExecCpuAffinity(process.execCPUAffinity, [...at, 'execCPUAffinity'], problems);
}

// config.md: "cwd ... This value MUST be an absolute path."
function checkCwd(process: Process, at: readonly PathSegment[], problems: ProblemList): void {
  if (process.cwd === '') problems.add([...at, 'cwd'], 'must not be empty');
  else problems.check(isAbsolutePath(process.cwd), [...at, 'cwd'], notAbsolute(process.cwd));
}

// config.md: args is optional in the schema, but "at least one entry is REQUIRED" on POSIX
// platforms; runc refuses an empty args list too.
function checkArgs(process: Process, at: readonly PathSegment[], problems: ProblemList): void {
  if (process.args === undefined) problems.add(at, "missing required field 'args'");
  else problems.check(process.args.length > 0, [...at, 'args'], 'must name the program to run');
}

// Entries are NAME=value (config.md, after POSIX); runc rejects the same three cases when it
// builds the environment.
function checkEnv(env: readonly string[], at: readonly PathSegment[], problems: ProblemList): void {
  env.forEach((entry, index) => {
    const where = [...at, index];
    if (entry.includes('\0')) problems.add(where, 'contains a NUL byte');
    else if (!entry.includes('=')) problems.add(where, `'${entry}' is not of the form NAME=value`);
    else problems.check(!entry.startsWith('='), where, `'${entry}' has an empty variable name`);
  });
}

// config.md: unknown types and duplicated types MUST be errors. setrlimit(2) fails with EINVAL
// when soft > hard, so that is reported here rather than after the container is half built.
function checkRlimits(rlimits: readonly Rlimit[], at: readonly PathSegment[], problems: ProblemList): void {
  const firstIndexByType = new Map<string, number>();
  rlimits.forEach((rlimit, index) => {
    const where = [...at, index];
    if (!(RLIMIT_TYPES as readonly string[]).includes(rlimit.type)) {
      problems.add([...where, 'type'], `'${rlimit.type}' is not an rlimit type; expected one of ${listValues(RLIMIT_TYPES)}`);
    } else if (firstIndexByType.has(rlimit.type)) {
      const first = firstIndexByType.get(rlimit.type);
      problems.add([...where, 'type'], `'${rlimit.type}' is already set by process.rlimits[${first}]`);
    } else {
      firstIndexByType.set(rlimit.type, index);
    }
    problems.check(rlimit.soft <= rlimit.hard, where, `soft limit ${rlimit.soft} is above hard limit ${rlimit.hard}`);
  });
}

// /proc/<pid>/oom_score_adj accepts -1000..1000 (proc(5)).
function checkOomScoreAdj(process: Process, at: readonly PathSegment[], problems: ProblemList): void {
  const value = process.oomScoreAdj;
  if (value === undefined) return;
  problems.check(value >= -1000 && value <= 1000, [...at, 'oomScoreAdj'], outOfRange(-1000, 1000, value));
}

const REALTIME_POLICIES = ['SCHED_FIFO', 'SCHED_RR'];
const DEADLINE_FIELDS = ['runtime', 'deadline', 'period'] as const;
/** sched_setattr(2): a deadline task's runtime must be at least 1024 ns (2^DL_SCALE). */
const MIN_DEADLINE_RUNTIME_NS = 1024;

// What sched_setattr(2) rejects, said before the container exists. runc checks the same
// policy/field pairings (nice range, priority only for FIFO/RR, runtime/deadline/period only for
// DEADLINE).
function checkScheduler(scheduler: Scheduler, at: readonly PathSegment[], problems: ProblemList): void {
  const { policy } = scheduler;
  if (scheduler.nice !== undefined) {
    problems.check(scheduler.nice >= -20 && scheduler.nice <= 19, [...at, 'nice'], outOfRange(-20, 19, scheduler.nice));
  }
  const priority = scheduler.priority ?? 0;
  if (REALTIME_POLICIES.includes(policy)) {
    problems.check(priority >= 1 && priority <= 99, [...at, 'priority'], `${policy} needs a priority from 1 to 99, got ${priority}`);
  } else {
    problems.check(priority === 0, [...at, 'priority'], `only SCHED_FIFO and SCHED_RR take a priority, not ${policy}`);
  }
  if (policy === 'SCHED_DEADLINE') {
    checkDeadlineParameters(scheduler, at, problems);
  } else {
    for (const field of DEADLINE_FIELDS) {
      problems.check(!scheduler[field], [...at, field], `only SCHED_DEADLINE takes runtime, deadline and period, not ${policy}`);
    }
  }
}

function checkDeadlineParameters(scheduler: Scheduler, at: readonly PathSegment[], problems: ProblemList): void {
  const runtime = scheduler.runtime ?? 0;
  const deadline = scheduler.deadline ?? 0;
  const period = scheduler.period ?? 0;
  if (!problems.check(runtime >= MIN_DEADLINE_RUNTIME_NS, [...at, 'runtime'], `SCHED_DEADLINE needs a runtime of at least ${MIN_DEADLINE_RUNTIME_NS} ns, got ${runtime}`)) return;
  if (!problems.check(deadline >= runtime, [...at, 'deadline'], `must be at least the runtime (${runtime} ns), got ${deadline}`)) return;
  // A period of 0 means "same as deadline".
  problems.check(period === 0 || period >= deadline, [...at, 'period'], `must be 0 or at least the deadline (${deadline} ns), got ${period}`);
}

// config.md: priority "ranging from 0 (highest) to 7 (lowest)"; ioprio_set(2) rejects the rest.
function checkIoPriority(ioPriority: NonNullable<Process['ioPriority']>, at: readonly PathSegment[], problems: ProblemList): void {
  const { priority } = ioPriority;
  problems.check(priority >= 0 && priority <= 7, [...at, 'priority'], outOfRange(0, 7, priority));
}

function checkExecCpuAffinity(affinity: NonNullable<Process['execCPUAffinity']>, at: readonly PathSegment[], problems: ProblemList): void {
  for (const field of ['initial', 'final'] as const) {
    const list = affinity[field];
    if (list !== undefined) problems.check(isIdList(list), [...at, field], notAnIdList(list, 'CPU'));
  }
}

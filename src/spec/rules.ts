// Semantic rules: what a config must satisfy beyond its JSON schema (MUSTs of the spec text,
// cross-field constraints, and what the kernel would reject later with a bare EINVAL).
// They run only after schema validation passed, so they can trust field types.

import { formatPath } from './json-path';
import { SpecProblem, sortByDocumentOrder } from './problems';
import { checkTopLevel } from './rules-config';
import { ProblemList, isAbsolutePath } from './rules-common';
import { checkLinux } from './rules-linux';
import { checkProcess } from './rules-process';
import { Process, Spec } from './types';

/** Rule problems in a schema-valid config, in document order. */
export function findConfigRuleProblems(spec: Spec): SpecProblem[] {
  const problems = new ProblemList();
  checkTopLevel(spec, problems);
  if (spec.process) checkProcess(spec.process, ['process'], problems);
  checkLinux(spec, problems);
  return sortByDocumentOrder(problems.problems, spec);
}

/** Rule problems in a schema-valid `exec --process` document (paths relative to it). */
export function findProcessRuleProblems(process: Process): SpecProblem[] {
  const problems = new ProblemList();
  checkProcess(process, [], problems);
  return sortByDocumentOrder(problems.problems, process);
}

/**
 * Things that work but deserve a warning. A relative mount destination is deprecated
 * (config.md: "interpreted as relative to /"); runc 1.1 warns and continues, and husk does too.
 */
export function findConfigWarnings(spec: Spec): string[] {
  const warnings: string[] = [];
  (spec.mounts ?? []).forEach((mount, index) => {
    if (mount.destination !== '' && !isAbsolutePath(mount.destination)) {
      warnings.push(
        `${formatPath(['mounts', index, 'destination'])}: '${mount.destination}' is relative; ` +
          `using '/${mount.destination}' (relative mount destinations are deprecated)`,
      );
    }
  });
  return warnings;
}

// Rules for the platform-neutral parts of config.json: root, process presence, hostname,
// mounts, hooks, annotations.

import { PathSegment } from './json-path';
import { ProblemList, addNamespaceHint, isAbsolutePath, notAbsolute } from './rules-common';
import { HookName, IdMapping, Mount, Spec } from './types';

export const HOOK_NAMES: readonly HookName[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export function checkTopLevel(spec: Spec, problems: ProblemList): void {
  checkRequiredSections(spec, problems);
  checkNeedsUtsNamespace(spec, 'hostname', problems);
  checkNeedsUtsNamespace(spec, 'domainname', problems);
  (spec.mounts ?? []).forEach((mount, index) => checkMount(mount, ['mounts', index], problems));
  checkHooks(spec, problems);
  checkAnnotations(spec, problems);
}

// On Linux, config.md makes root REQUIRED, and `create` needs a process; runc refuses a config
// without either.
function checkRequiredSections(spec: Spec, problems: ProblemList): void {
  if (spec.root === undefined) problems.add([], "missing required field 'root'");
  else problems.check(spec.root.path !== '', ['root', 'path'], 'must not be empty');
  if (spec.process === undefined) problems.add([], "missing required field 'process'");
}

// config.md: the hostname can only be set with a UTS namespace of the container's own; runc
// refuses it otherwise. Joining one by path counts, as in runc.
function checkNeedsUtsNamespace(spec: Spec, field: 'hostname' | 'domainname', problems: ProblemList): void {
  if (!spec[field]) return;
  const hasUts = (spec.linux?.namespaces ?? []).some((namespace) => namespace.type === 'uts');
  problems.check(hasUts, [field], `cannot be set without a UTS namespace; ${addNamespaceHint('uts')}`);
}

function checkMount(mount: Mount, at: PathSegment[], problems: ProblemList): void {
  // A relative destination is deprecated but allowed (config.md: interpreted relative to "/");
  // runc 1.1 warns and carries on, and so does husk (see mountWarnings in load.ts).
  problems.check(mount.destination !== '', [...at, 'destination'], 'must not be empty');
  if (isBindMount(mount)) {
    problems.check(Boolean(mount.source), at, "missing required field 'source'; a bind mount needs one");
  }
  checkMountIdMappings(mount, at, problems);
}

export function isBindMount(mount: Mount): boolean {
  return mount.type === 'bind' || (mount.options ?? []).some((option) => option === 'bind' || option === 'rbind');
}

// An id-mapped mount maps both uids and gids (mount_setattr(2) takes one user namespace for
// both), so one list without the other is a mistake, not a request.
function checkMountIdMappings(mount: Mount, at: PathSegment[], problems: ProblemList): void {
  const hasUid = (mount.uidMappings ?? []).length > 0;
  const hasGid = (mount.gidMappings ?? []).length > 0;
  problems.check(hasUid === hasGid, at, 'uidMappings and gidMappings must be given together');
  checkIdMappingSizes(mount.uidMappings ?? [], [...at, 'uidMappings'], problems);
  checkIdMappingSizes(mount.gidMappings ?? [], [...at, 'gidMappings'], problems);
}

/** /proc/<pid>/uid_map rejects empty ranges (user_namespaces(7)). */
export function checkIdMappingSizes(mappings: readonly IdMapping[], at: PathSegment[], problems: ProblemList): void {
  mappings.forEach((mapping, index) => {
    problems.check(mapping.size >= 1, [...at, index, 'size'], `expected at least 1, got ${mapping.size}`);
  });
}

// config.md: a hook's path "MUST be absolute".
function checkHooks(spec: Spec, problems: ProblemList): void {
  for (const name of HOOK_NAMES) {
    (spec.hooks?.[name] ?? []).forEach((hook, index) => {
      problems.check(isAbsolutePath(hook.path), ['hooks', name, index, 'path'], notAbsolute(hook.path));
    });
  }
}

// config.md: annotation keys "MUST NOT be an empty string".
function checkAnnotations(spec: Spec, problems: ProblemList): void {
  if (spec.annotations && '' in spec.annotations) problems.add(['annotations'], 'keys must not be empty');
}

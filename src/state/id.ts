// Container id validation. The runtime-spec only says an id must be unique; the rules below are
// runc's (libcontainer validateID), because the id becomes a directory name under --root and a
// cgroup name, and callers such as containerd already respect them.
import { HuskError } from '../errors';

/** Longest id accepted: the id is a single file name (NAME_MAX is 255 bytes on Linux). */
export const MAX_CONTAINER_ID_LENGTH = 255;

// runc allows exactly these characters: letters, digits, '_', '+', '-', '.'.
// (Older runc wrote this as the regexp ^[\w+-\.]+$, whose "+-\." range also let ',' through;
// newer runc lists the characters explicitly, and so do we.)
const ID_CHARACTERS = /^[A-Za-z0-9_+\-.]+$/;

/** Throws HuskError unless `id` is a valid container id. */
export function validateContainerId(id: string): void {
  if (id === '') throw new HuskError('container id cannot be empty');
  if (id.length > MAX_CONTAINER_ID_LENGTH) {
    throw new HuskError(`container id '${id.slice(0, 32)}...' is longer than ${MAX_CONTAINER_ID_LENGTH} characters`);
  }
  if (!ID_CHARACTERS.test(id)) {
    throw new HuskError(`invalid container id '${id}': use only letters, digits, '_', '+', '-' and '.'`);
  }
  // runc also requires that "/"+id is already a clean path, which among ids made of the
  // characters above rejects only "." and "..": they would name the root itself or its parent.
  if (id === '.' || id === '..') throw new HuskError(`invalid container id '${id}'`);
}

export function isValidContainerId(id: string): boolean {
  try {
    validateContainerId(id);
    return true;
  } catch {
    return false;
  }
}

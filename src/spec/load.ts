// Reading a bundle's config.json and an `exec --process` file into validated, typed objects.
// Cheap to import: the compiled schema validator is required on first validation only.

import * as fs from 'fs';
import * as path from 'path';
import { HuskError, describeSystemError } from '../errors';
import { UnreadableFileError, readRegularFile } from '../regular-file';
import { parseJsonDocument } from './json-parse';
import { type PathSegment, formatPath } from './json-path';
import { findConfigWarnings } from './rules';
import { Process, Spec } from './types';
import { validateProcess, validateSpec } from './validate';

export { validateSpec, validateProcess, findSpecProblems, findProcessProblems } from './validate';

export const CONFIG_FILE_NAME = 'config.json';

export interface LoadSpecOptions {
  /** Called with each warning (e.g. a deprecated relative mount destination). Default: ignore. */
  onWarning?: (message: string) => void;
}

/**
 * Read, parse and validate `<bundleDir>/config.json`. Throws a HuskError with one line for a
 * missing bundle or file, malformed JSON (with line:column), an unsupported ociVersion, or the
 * first validation problem.
 *
 * Relative mount destinations (deprecated, runtime-spec: "relative to /") are made absolute in
 * the returned Spec, so the rest of husk only ever sees absolute destinations.
 */
export function loadSpec(bundleDir: string, options: LoadSpecOptions = {}): Spec {
  const configPath = path.join(bundleDir, CONFIG_FILE_NAME);
  const text = readConfigText(bundleDir, configPath);
  const spec = parseJsonDocument(text, configPath);
  refuseNulCharacters(spec, '');
  validateSpec(spec);
  for (const warning of findConfigWarnings(spec)) options.onWarning?.(warning);
  return withAbsoluteMountDestinations(spec);
}

/** Parse and validate a config held in a string (`source` names it in messages). */
export function parseSpecJson(text: string, source: string): Spec {
  const spec = parseJsonDocument(text, source);
  refuseNulCharacters(spec, '');
  validateSpec(spec);
  return spec;
}

/**
 * Parse and validate the process JSON given to `exec --process <file>` (runtime-spec's process
 * object). `source` names the file in messages. Problems are reported with paths such as
 * "process.args".
 */
export function parseProcessJson(text: string, source: string): Process {
  const processDocument = parseJsonDocument(text, source);
  refuseNulCharacters(processDocument, 'process');
  validateProcess(processDocument);
  return processDocument;
}

/**
 * Strings of the config end up as C strings (paths, argv, env, names): a NUL character would cut
 * them short, or reach Node's fs as an internal error ("must be a string ... without null
 * bytes"). Refuse it first, naming the field. Annotations are only passed along as JSON, so they
 * may hold anything (as with runc).
 */
function refuseNulCharacters(document: unknown, root: string): void {
  // An explicit stack with parent links: JSON.parse accepts nesting millions deep, and neither
  // recursion nor a path copied per level would survive that.
  interface Step {
    value: unknown;
    parent?: Step;
    segment?: PathSegment;
  }
  const pathOf = (step: Step): string => {
    const segments: PathSegment[] = [];
    for (let at: Step | undefined = step; at?.parent; at = at.parent) segments.push(at.segment!);
    return formatPath(segments.reverse(), root) || 'the document';
  };
  const pending: Step[] = [{ value: document }];
  while (pending.length > 0) {
    const step = pending.pop()!;
    const { value } = step;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw new HuskError(`${pathOf(step)}: contains a NUL character`);
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) pending.push({ value: value[index], parent: step, segment: index });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value).reverse()) {
        if (!step.parent && key === 'annotations' && root === '') continue;
        if (key.includes('\u0000')) throw new HuskError(`${pathOf(step)}: a key contains a NUL character`);
        pending.push({ value: item, parent: step, segment: key });
      }
    }
  }
}

/**
 * config.json and exec's process.json are read only if they are regular files of at most this
 * size: a fifo or a device there would hang husk, a huge file stall it. (Kubernetes caps all of a
 * pod's annotations at 256 KiB; the largest real configs are far below this.)
 */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;

function readConfigText(bundleDir: string, configPath: string): string {
  try {
    return readRegularFile(configPath, MAX_CONFIG_BYTES);
  } catch (err) {
    throw describeReadFailure(bundleDir, err as NodeJS.ErrnoException);
  }
}

function describeReadFailure(bundleDir: string, err: NodeJS.ErrnoException): HuskError {
  if (err instanceof UnreadableFileError) return new HuskError(`bundle ${bundleDir}: ${CONFIG_FILE_NAME} ${err.message}`);
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
    const bundleState = statKind(bundleDir);
    if (bundleState === 'missing') return new HuskError(`bundle ${bundleDir}: no such directory`);
    if (bundleState === 'not a directory') return new HuskError(`bundle ${bundleDir}: not a directory`);
    return new HuskError(`bundle ${bundleDir}: ${CONFIG_FILE_NAME} not found`);
  }
  if (err.code === 'EISDIR') return new HuskError(`bundle ${bundleDir}: ${CONFIG_FILE_NAME} is a directory, not a file`);
  return new HuskError(`bundle ${bundleDir}: cannot read ${CONFIG_FILE_NAME}: ${describeSystemError(err)}`);
}

function statKind(file: string): 'missing' | 'not a directory' | 'directory' {
  try {
    return fs.statSync(file).isDirectory() ? 'directory' : 'not a directory';
  } catch {
    return 'missing';
  }
}

function withAbsoluteMountDestinations(spec: Spec): Spec {
  if (!spec.mounts?.some((mount) => !mount.destination.startsWith('/'))) return spec;
  const mounts = spec.mounts.map((mount) =>
    mount.destination.startsWith('/') ? mount : { ...mount, destination: `/${mount.destination}` },
  );
  return { ...spec, mounts };
}

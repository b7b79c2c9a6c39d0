// Which runtime-spec versions husk accepts in config.json's "ociVersion", and which it implements.

import { HuskError } from '../errors';

/** The runtime-spec version husk implements; written by `husk spec` and reported by `husk features`. */
export const SPEC_VERSION = '1.3.0';

/**
 * Oldest and newest accepted versions, as `husk features` reports them (ociVersionMin/Max).
 * The range is a major/minor range: any 1.0.x to 1.3.x, pre-releases included.
 */
export const SUPPORTED_SPEC_RANGE = { min: '1.0.0', max: '1.3.x' } as const;

const SUPPORTED_MAJOR = 1;
const NEWEST_SUPPORTED_MINOR = 3;

const SUPPORTED_RANGE_TEXT = `husk supports runtime-spec ${SUPPORTED_SPEC_RANGE.min} to ${SUPPORTED_SPEC_RANGE.max}`;

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** "dev" in "1.0.2-dev", "rc.1" in "1.1.0-rc.1"; empty for a release. */
  preRelease: string;
}

// SemVer 2.0.0 (semver.org), which config.md requires for ociVersion; build metadata is allowed
// and ignored.
const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parse a SemVer string; undefined when it is not one. */
export function parseSemVer(text: string): SemVer | undefined {
  const match = SEMVER_PATTERN.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), preRelease: match[4] ?? '' };
}

/**
 * Whether husk can run a config declaring this ociVersion. Pre-releases count as their release
 * line ("1.0.0-rc5" is accepted although SemVer orders it before 1.0.0): old tools wrote such
 * versions into configs that are 1.0 in every way that matters, and runc accepts them.
 */
export function isSupportedOciVersion(ociVersion: string): boolean {
  const version = parseSemVer(ociVersion);
  return version !== undefined && version.major === SUPPORTED_MAJOR && version.minor <= NEWEST_SUPPORTED_MINOR;
}

/** Throw a HuskError unless husk supports this ociVersion. */
export function checkOciVersion(ociVersion: string): void {
  if (isSupportedOciVersion(ociVersion)) return;
  if (parseSemVer(ociVersion) === undefined) {
    throw new HuskError(`ociVersion '${ociVersion}' is not a SemVer version such as ${SPEC_VERSION}; ${SUPPORTED_RANGE_TEXT}`);
  }
  throw new HuskError(`ociVersion '${ociVersion}' is not supported; ${SUPPORTED_RANGE_TEXT}`);
}

// ociVersion support: 1.0.0 to 1.3.x, pre-releases included.

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { defaultSpec } from '../../src/spec/default-spec';
import { validateSpec } from '../../src/spec/validate';
import { SPEC_VERSION, SUPPORTED_SPEC_RANGE, checkOciVersion, isSupportedOciVersion, parseSemVer } from '../../src/spec/versions';

describe('ociVersion', () => {
  it('implements runtime-spec 1.3.0 and supports 1.0.0 to 1.3.x', () => {
    assert.equal(SPEC_VERSION, '1.3.0');
    assert.deepEqual(SUPPORTED_SPEC_RANGE, { min: '1.0.0', max: '1.3.x' });
  });

  it('accepts releases and pre-releases from 1.0 to 1.3', () => {
    for (const version of ['1.0.0', '1.0.2', '1.0.2-dev', '1.0.0-rc5', '1.1.0', '1.1.0-rc.1', '1.2.1', '1.3.0', '1.3.7', '1.2.0+build.5']) {
      assert.ok(isSupportedOciVersion(version), version);
      assert.doesNotThrow(() => checkOciVersion(version), version);
    }
  });

  it('rejects other versions with the supported range', () => {
    for (const version of ['2.0.0', '1.4.0', '1.4.0-rc.1', '0.9.0', '0.6.0-dev']) {
      assert.ok(!isSupportedOciVersion(version), version);
      assert.throws(
        () => checkOciVersion(version),
        (err: unknown) => err instanceof HuskError && err.message === `ociVersion '${version}' is not supported; husk supports runtime-spec 1.0.0 to 1.3.x`,
      );
    }
  });

  it('rejects text that is not SemVer', () => {
    for (const version of ['1.0', 'v1.0.0', '1.0.0.0', '', '01.0.0', 'latest']) {
      assert.equal(parseSemVer(version), undefined, version);
      assert.throws(
        () => checkOciVersion(version),
        (err: unknown) =>
          err instanceof HuskError &&
          err.message === `ociVersion '${version}' is not a SemVer version such as 1.3.0; husk supports runtime-spec 1.0.0 to 1.3.x`,
      );
    }
  });

  it('parses the parts of a version', () => {
    assert.deepEqual(parseSemVer('1.1.0-rc.1'), { major: 1, minor: 1, patch: 0, preRelease: 'rc.1' });
    assert.deepEqual(parseSemVer('1.0.2'), { major: 1, minor: 0, patch: 2, preRelease: '' });
  });

  it('is checked by validateSpec before the schema', () => {
    const config = { ...defaultSpec({ rootless: false }), ociVersion: '2.0.0', process: 'not even an object' };
    assert.throws(() => validateSpec(config), { message: "ociVersion '2.0.0' is not supported; husk supports runtime-spec 1.0.0 to 1.3.x" });
  });

  it('leaves a non-string ociVersion to the schema', () => {
    const config = { ...defaultSpec({ rootless: false }), ociVersion: 1.3 };
    assert.throws(() => validateSpec(config), { message: 'ociVersion: expected a string, got number 1.3' });
  });
});

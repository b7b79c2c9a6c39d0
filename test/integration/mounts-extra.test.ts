// Mount details where husk follows runc beyond the spec text. Proven against runc 1.1.5 too.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { linesOf, outputInside } from '../helpers/inside';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

describe('mounts: tmpfs modes', suiteOptions(), () => {
  const context = useTestContext();

  // runc: a tmpfs without mode= takes the mode of the directory it covers (the kernel's default
  // would be 1777); an explicit mode= wins; a directory the runtime had to create keeps 1777.
  it('a tmpfs without mode= keeps the mode of the directory it covers', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    for (const [dir, mode] of [['covered-0750', 0o750], ['covered-0711', 0o711]] as const) {
      fs.mkdirSync(path.join(bundle.dir, 'rootfs', dir), { recursive: true });
      fs.chmodSync(path.join(bundle.dir, 'rootfs', dir), mode);
      bundle.addMount({ destination: `/${dir}`, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
    }
    bundle.addMount({ destination: '/explicit', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] });
    bundle.addMount({ destination: '/created', type: 'tmpfs', source: 'tmpfs', options: [] });
    bundle.save();
    const modes = linesOf(await outputInside(ctx, bundle, 'stat -c %a /covered-0750 /covered-0711 /explicit /created'));
    // /created did not exist: like runc, the tmpfs then has the kernel's default, 1777.
    assert.deepEqual(modes, ['750', '711', '700', '1777']);
  });
});

// Mount details where husk follows runc beyond the spec text. Proven against runc 1.1.5 too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

// runc's tmpcopyup extension, which Podman adds to --tmpfs and --read-only's tmpfs mounts: the new
// tmpfs starts with a copy of what the image had there. A read-only tmpfs is made read-only only
// after every mount (runc's finalizeRootfs), so the binds Podman puts inside it find their targets.
describe('mounts: tmpcopyup', suiteOptions(), () => {
  const context = useTestContext();

  it('fills the tmpfs with files, directories, symlinks and fifos, with owners, modes and times', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    const image = path.join(bundle.dir, 'rootfs', 'seeded');
    fs.mkdirSync(path.join(image, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(image, 'file'), 'from the image\n');
    fs.writeFileSync(path.join(image, 'sub', 'deeper', 'big'), Buffer.alloc(300_000, 'x'));
    fs.chmodSync(path.join(image, 'sub', 'deeper', 'big'), 0o640);
    fs.chownSync(path.join(image, 'sub', 'deeper', 'big'), 1000, 1000);
    fs.chmodSync(path.join(image, 'sub'), 0o750);
    fs.symlinkSync('../file', path.join(image, 'sub', 'link'));
    // runc 1.1.5 fails on a fifo (it skips the file, then lchowns it: ENOENT); husk copies it.
    const fifo = ctx.runtime.name !== 'runc';
    if (fifo) execFileSync('mkfifo', ['-m', '0620', path.join(image, 'fifo')]);
    fs.utimesSync(path.join(image, 'file'), 1_000_000_000, 1_000_000_000);
    bundle.addMount({ destination: '/seeded', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'tmpcopyup', 'size=4m'] });
    bundle.addMount({ destination: '/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] });
    fs.mkdirSync(path.join(bundle.dir, 'rootfs', 'ro', 'inner'), { recursive: true });
    fs.writeFileSync(path.join(bundle.dir, 'rootfs', 'ro', 'kept'), 'kept\n');
    // A bind into the read-only tmpfs, made after it: its target is created in the tmpfs.
    fs.writeFileSync(path.join(bundle.dir, 'bound'), 'bound file\n');
    bundle.addMount({ destination: '/ro/bound', type: 'bind', source: path.join(bundle.dir, 'bound'), options: ['bind'] });
    bundle.save();
    const out = linesOf(
      await outputInside(
        ctx,
        bundle,
        `grep " /seeded " /proc/mounts | cut -d" " -f3; cat /seeded/file; stat -c "%n %a %u:%g %s %F" /seeded/sub /seeded/sub/deeper/big ${fifo ? '/seeded/fifo' : ''}; ` +
          'readlink /seeded/sub/link; cat /seeded/sub/link; ' +
          'echo new > /seeded/new && cat /seeded/new; cat /ro/kept /ro/bound; ls -d /ro/inner; ' +
          'touch /ro/x 2>/dev/null && echo ro-writable || echo ro-readonly; grep " /ro " /proc/mounts | cut -d" " -f4 | cut -d, -f1; ' +
          'stat -c %Y /seeded/file',
      ),
    );
    assert.deepEqual(out, [
      'tmpfs',
      'from the image',
      '/seeded/sub 750 0:0 ' + out[2].split(' ')[3] + ' directory',
      '/seeded/sub/deeper/big 640 1000:1000 300000 regular file',
      ...(fifo ? ['/seeded/fifo 620 0:0 0 fifo'] : []),
      '../file',
      'from the image',
      'new',
      'kept',
      'bound file',
      '/ro/inner',
      'ro-readonly',
      'ro',
      // husk keeps the times too; runc 1.1.5 gives the copies the time of the copy.
      ctx.runtime.name === 'runc' ? out[out.length - 1] : '1000000000',
    ]);
    // The image's directory is untouched: the copy went into the tmpfs.
    assert.equal(fs.existsSync(path.join(image, 'new')), false);
  });
});

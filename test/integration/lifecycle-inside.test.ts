// What a process sees inside the container: identity, environment, limits,
// mounts, devices, namespaces, fds. Proven against runc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, makeBundle } from '../helpers/bundle';
import { linesOf, outputInside } from '../helpers/inside';
import { hostNamespaceLink, MountInfoEntry, mountOptionList, parseMountInfo } from '../helpers/procfs';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

/** linux.namespaces[].type -> the name of its link in /proc/self/ns. */
const PROC_NS_NAME: Record<string, string> = {
  pid: 'pid',
  network: 'net',
  ipc: 'ipc',
  uts: 'uts',
  mount: 'mnt',
  user: 'user',
  cgroup: 'cgroup',
};

/** Major:minor in hex as `stat -c %t:%T` prints them, for the devices every container gets. */
const DEFAULT_DEVICES: Record<string, string> = {
  '/dev/null': '1:3',
  '/dev/zero': '1:5',
  '/dev/full': '1:7',
  '/dev/random': '1:8',
  '/dev/urandom': '1:9',
  '/dev/tty': '5:0',
};

const DEFAULT_DEV_SYMLINKS: Record<string, string> = {
  '/dev/fd': '/proc/self/fd',
  '/dev/stdin': '/proc/self/fd/0',
  '/dev/stdout': '/proc/self/fd/1',
  '/dev/stderr': '/proc/self/fd/2',
  '/dev/ptmx': 'pts/ptmx',
};

describe('lifecycle: inside the container', suiteOptions(), () => {
  const context = useTestContext();

  /** Run `script` in a default bundle (after `edit`) and return its trimmed stdout. */
  async function seenInside(
    script: string,
    edit: (bundle: Bundle) => void = () => {},
  ): Promise<string> {
    const ctx = context();
    const bundle = makeBundle(ctx);
    edit(bundle);
    return (await outputInside(ctx, bundle, script)).trim();
  }

  async function mountsInside(): Promise<MountInfoEntry[]> {
    return parseMountInfo(await seenInside('cat /proc/self/mountinfo'));
  }

  function mountAt(mounts: MountInfoEntry[], mountPoint: string): MountInfoEntry {
    const found = mounts.filter((mount) => mount.mountPoint === mountPoint);
    assert.ok(found.length > 0, `nothing mounted on ${mountPoint}: ${mounts.map((m) => m.mountPoint).join(' ')}`);
    return found[found.length - 1]; // the one on top
  }

  describe('process identity', () => {
    it('the process is pid 1', testOptions, async () => {
      assert.equal(await seenInside('echo $$'), '1');
    });

    it('hostname comes from the config', testOptions, async () => {
      assert.equal(await seenInside('hostname', (b) => b.setHostname('husk-inside')), 'husk-inside');
    });

    it('uid, gid and exactly the additional gids as supplementary groups', testOptions, async () => {
      const out = await seenInside('id -u; id -g; id -un; grep ^Groups: /proc/self/status', (b) =>
        b.setUser({ uid: 1000, gid: 1000, additionalGids: [5, 65534] }),
      );
      assert.deepEqual(linesOf(out), ['1000', '1000', 'user', 'Groups:\t5 65534']);
    });

    it('runs as root (uid 0, no supplementary groups) by default', testOptions, async () => {
      const out = await seenInside('id -u; id -g; grep ^Groups: /proc/self/status');
      assert.deepEqual(linesOf(out), ['0', '0', 'Groups:']);
    });

    it('cwd comes from the config', testOptions, async () => {
      assert.equal(await seenInside('pwd', (b) => b.setCwd('/tmp')), '/tmp');
    });

    it('umask defaults to 0022 and follows process.user.umask', testOptions, async () => {
      assert.equal(await seenInside('umask'), '0022');
      assert.equal(await seenInside('umask', (b) => b.setUser({ uid: 0, gid: 0, umask: 0o077 })), '0077');
    });
  });

  describe('environment and limits', () => {
    it('env is exactly the config env (plus what sh itself adds)', testOptions, async () => {
      const env = ['PATH=/bin', 'FOO=bar baz', 'HOME=/custom'];
      const out = await seenInside('env', (b) => b.setEnv(env));
      const shellAdded = /^(PWD|SHLVL|OLDPWD)=/;
      const seen = linesOf(out).filter((line) => !shellAdded.test(line));
      assert.deepEqual(seen.sort(), [...env].sort());
    });

    // runc behaviour the spec does not mention: HOME is filled in from the
    // container's /etc/passwd when the config does not set it.
    it('HOME defaults to the home of the uid in the rootfs /etc/passwd', testOptions, async () => {
      const out = await seenInside('echo $HOME', (b) =>
        b.setEnv(['PATH=/bin']).setUser({ uid: 1000, gid: 1000 }),
      );
      assert.equal(out, '/tmp');
    });

    it('rlimits: soft and hard RLIMIT_NOFILE from the config', testOptions, async () => {
      const out = await seenInside('ulimit -n; ulimit -Hn', (b) => b.setRlimit('RLIMIT_NOFILE', 512, 800));
      assert.deepEqual(linesOf(out), ['512', '800']);
    });

    it('stdin is passed through to the process', testOptions, async () => {
      const ctx = context();
      const out = await outputInside(ctx, makeBundle(ctx), 'cat', { input: 'hello from stdin\n' });
      assert.equal(out, 'hello from stdin\n');
    });
  });

  describe('mounts', () => {
    it('proc, sysfs ro, tmpfs /dev, devpts, shm and mqueue are mounted', testOptions, async () => {
      const mounts = await mountsInside();
      const typeAt = (mountPoint: string) => mountAt(mounts, mountPoint).fsType;
      assert.equal(typeAt('/proc'), 'proc');
      assert.equal(typeAt('/sys'), 'sysfs');
      assert.ok(mountOptionList(mountAt(mounts, '/sys')).includes('ro'), 'sysfs is not read-only');
      assert.equal(typeAt('/dev'), 'tmpfs');
      assert.equal(typeAt('/dev/pts'), 'devpts');
      assert.equal(typeAt('/dev/shm'), 'tmpfs');
      assert.equal(typeAt('/dev/mqueue'), 'mqueue');
    });

    it('mount options from the config apply (nosuid/noexec/nodev on /dev/shm)', testOptions, async () => {
      const options = mountOptionList(mountAt(await mountsInside(), '/dev/shm'));
      for (const option of ['nosuid', 'noexec', 'nodev']) assert.ok(options.includes(option), `${option} missing`);
    });

    it('readonlyPaths are read-only mounts and maskedPaths are hidden', testOptions, async () => {
      const mounts = await mountsInside();
      assert.ok(mountOptionList(mountAt(mounts, '/proc/sys')).includes('ro'), '/proc/sys is writable');
      const masked = await seenInside("stat -c '%F %t:%T' /proc/keys; ls -A /sys/firmware | wc -l");
      assert.deepEqual(linesOf(masked), ['character special file 1:3', '0']);
    });

    it('a bind mount from the config shows host files', testOptions, async () => {
      const ctx = context();
      const hostDir = ctx.newDir('bind');
      fs.writeFileSync(path.join(hostDir, 'file'), 'from the host');
      const out = await seenInside('cat /mnt/file', (b) => b.addBindMount(hostDir, '/mnt', { readonly: true }));
      assert.equal(out, 'from the host');
    });

    it('the rootfs is read-only when root.readonly, writable otherwise', testOptions, async () => {
      const probe = 'touch /probe 2>/dev/null && echo writable || echo readonly';
      assert.equal(await seenInside(probe, (b) => b.setReadonlyRoot(true)), 'readonly');
      assert.equal(await seenInside(probe, (b) => b.setReadonlyRoot(false)), 'writable');
    });
  });

  describe('devices', () => {
    it('default devices exist as character devices with the right major:minor', testOptions, async () => {
      const paths = Object.keys(DEFAULT_DEVICES);
      const out = await seenInside(`stat -c '%n %F %a %t:%T' ${paths.join(' ')}`);
      const expected = paths.map((device) => `${device} character special file 666 ${DEFAULT_DEVICES[device]}`);
      assert.deepEqual(linesOf(out), expected);
    });

    it('/dev has the standard symlinks', testOptions, async () => {
      const links = Object.keys(DEFAULT_DEV_SYMLINKS);
      const out = await seenInside(links.map((link) => `readlink ${link}`).join('; '));
      assert.deepEqual(linesOf(out), links.map((link) => DEFAULT_DEV_SYMLINKS[link]));
    });
  });

  describe('namespaces', () => {
    const namespaceScript = (types: string[]) => types.map((type) => `readlink /proc/self/ns/${type}`).join('; ');

    it('configured namespaces are new, the others are the host ones', testOptions, async () => {
      const ctx = context();
      const bundle = makeBundle(ctx).removeNamespace('user'); // a new user ns is tested below
      const configured = bundle.namespaceTypes().map((type) => PROC_NS_NAME[type]);
      assert.ok(configured.length >= 5, `the default config has only ${configured.join(',')}`);
      const all = Object.values(PROC_NS_NAME);
      const inside = linesOf(await outputInside(ctx, bundle, namespaceScript(all)));
      all.forEach((name, index) => {
        const host = hostNamespaceLink(name);
        if (configured.includes(name)) assert.notEqual(inside[index], host, `${name} is the host's`);
        else assert.equal(inside[index], host, `${name} is not the host's`);
      });
    });

    it('joins a namespace given by path', testOptions, async () => {
      const ctx = context();
      const netns = ctx.newName('netns');
      createNetns(netns);
      try {
        const inode = fs.statSync(`/run/netns/${netns}`).ino;
        const inside = await seenInside(namespaceScript(['net']), (b) =>
          b.setNamespace({ type: 'network', path: `/run/netns/${netns}` }),
        );
        assert.equal(inside, `net:[${inode}]`);
        assert.notEqual(inside, hostNamespaceLink('net'));
      } finally {
        deleteNetns(netns);
      }
    });

    it('a user namespace gets the configured uid and gid mappings', testOptions, async () => {
      const out = await seenInside('cat /proc/self/uid_map /proc/self/gid_map; id -u', (b) =>
        b.setUserNamespace(100000, 65536),
      );
      const mapping = ['0', '100000', '65536'];
      const [uidMap, gidMap, uid] = linesOf(out);
      assert.deepEqual(uidMap.split(/\s+/), mapping);
      assert.deepEqual(gidMap.split(/\s+/), mapping);
      assert.equal(uid, '0');
    });
  });

  describe('cgroups', () => {
    it('the process is in the cgroup named by linux.cgroupsPath, in every hierarchy', testOptions, async () => {
      const ctx = context();
      const cgroupName = ctx.newName('cgroup');
      const out = await seenInside('cat /proc/self/cgroup', (b) => b.setCgroupsPath(`/${cgroupName}`).removeNamespace('cgroup'));
      const paths = linesOf(out).map((line) => line.split(':').slice(2).join(':'));
      assert.ok(paths.length > 0, out);
      assert.deepEqual(paths.filter((cgroupPath) => cgroupPath !== `/${cgroupName}`), [], out);
    });
  });

  describe('file descriptors', () => {
    // `; true` keeps ash from exec'ing ls in place of the shell, whose own fds are listed.
    const listShellFds = 'ls /proc/$$/fd; true';

    it('only 0, 1 and 2 are open', testOptions, async () => {
      assert.deepEqual(linesOf(await seenInside(listShellFds)), ['0', '1', '2']);
    });

    it('--preserve-fds passes fd 3 on', testOptions, async () => {
      const ctx = context();
      const file = path.join(ctx.newDir('fds'), 'preserved');
      fs.writeFileSync(file, 'preserved content');
      const fd = fs.openSync(file, 'r');
      try {
        const out = await outputInside(ctx, makeBundle(ctx), `${listShellFds}; cat <&3`, { preservedFds: [fd] });
        assert.deepEqual(linesOf(out), ['0', '1', '2', '3', 'preserved content']);
      } finally {
        fs.closeSync(fd);
      }
    });
  });
});

function createNetns(name: string): void {
  const result = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  assert.equal(result.status, 0, `ip netns add ${name}: ${result.stderr}`);
}

function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'delete', name]);
}

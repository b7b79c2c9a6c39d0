// Schema validation of config.json: valid configs pass, and schema violations come back as one
// sentence naming the JSON path. Needs build/schemas (node scripts/build-schemas.js build/schemas).

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuskError } from '../../src/errors';
import { defaultSpec } from '../../src/spec/default-spec';
import { findSpecProblems, schemaDirectory, validateSpec, validateState } from '../../src/spec/validate';

// Tests mutate configs freely, so they are plain JSON values here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function baseConfig(): Json {
  return JSON.parse(JSON.stringify(defaultSpec({ rootless: false })));
}

/** The message validateSpec throws for the base config after `mutate`. */
function messageFor(mutate: (config: Json) => void): string {
  const config = baseConfig();
  mutate(config);
  return messageForDocument(config);
}

function messageForDocument(document: unknown): string {
  try {
    validateSpec(document);
  } catch (err) {
    assert.ok(err instanceof HuskError, `expected a HuskError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    return err.message;
  }
  return assert.fail('the config was accepted');
}

/** `runc spec [--rootless]` output, or undefined when runc is not installed. */
function runcSpec(rootless: boolean): Json | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-spec-test-'));
  try {
    execFileSync('runc', rootless ? ['spec', '--rootless'] : ['spec'], { cwd: dir, stdio: 'ignore' });
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const runcMissing = runcSpec(false) === undefined ? 'runc is not installed' : false;

describe('valid configs', () => {
  it('accepts `runc spec` output', { skip: runcMissing }, () => {
    validateSpec(runcSpec(false));
  });

  it('accepts `runc spec --rootless` output', { skip: runcMissing }, () => {
    validateSpec(runcSpec(true));
  });

  it('accepts husk defaultSpec, rootful and rootless', () => {
    validateSpec(defaultSpec({ rootless: false }));
    validateSpec(defaultSpec({ rootless: true }));
    assert.deepEqual(findSpecProblems(defaultSpec({ rootless: true, args: ['/bin/true'] })), []);
  });

  it('accepts a config that uses every section runc and podman write', () => {
    const config = baseConfig();
    config.annotations = { 'io.podman.annotations.autoremove': 'TRUE' };
    config.hooks = { createRuntime: [{ path: '/usr/bin/hook', args: ['hook', 'x'], env: ['A=1'], timeout: 5 }] };
    config.linux.resources = {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
      memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 60, disableOOMKiller: false },
      cpu: { shares: 1024, quota: 100000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 2048 },
      blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
      unified: { 'memory.high': '1000000' },
    };
    config.linux.cgroupsPath = 'machine.slice:libpod:abc';
    config.linux.sysctl = { 'net.ipv4.ping_group_range': '0 0', 'kernel.shmmax': '68719476736' };
    config.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }];
    config.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }],
    };
    config.linux.rootfsPropagation = 'private';
    validateSpec(config);
  });

  it('accepts a device fileMode with the file type bits, as Podman writes it (S_IFCHR|0666)', () => {
    // Podman copies st_mode of the host's node (--device, --privileged); runc keeps the permission
    // bits. The 1.0.2 schema's "maximum": 512 is dropped by schema-additions.json.
    const device = { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o20666, uid: 0, gid: 0 };
    const config = baseConfig();
    config.linux.devices = [device];
    validateSpec(config);
    assert.match(
      messageFor((c) => (c.linux.devices = [{ ...device, fileMode: -1 }])),
      /^linux\.devices\[0\]\.fileMode: /,
    );
  });
});

describe('schema problems', () => {
  it('names an unknown namespace type and lists the allowed ones in the spec order', () => {
    assert.equal(
      messageFor((c) => (c.linux.namespaces[2].type = 'pidd')),
      "linux.namespaces[2].type: 'pidd' is not a namespace type; expected one of pid, network, mount, ipc, uts, user, cgroup, time",
    );
  });

  it('reports a wrong type with what was found', () => {
    assert.equal(messageFor((c) => (c.process.user.uid = '0')), 'process.user.uid: expected an integer, got string');
    assert.equal(messageFor((c) => (c.process.user.uid = 1.5)), 'process.user.uid: expected an integer, got number 1.5');
    assert.equal(messageFor((c) => (c.mounts = {})), 'mounts: expected an array, got object');
    assert.equal(messageFor((c) => (c.root.readonly = 'yes')), 'root.readonly: expected a boolean, got string');
    // One problem, not also "5 is not a namespace type".
    assert.equal(messageFor((c) => (c.linux.namespaces[0].type = 5)), 'linux.namespaces[0].type: expected a string, got number 5');
  });

  it('reports a missing required field on its parent', () => {
    assert.equal(messageFor((c) => delete c.process.cwd), "process: missing required field 'cwd'");
    assert.equal(messageFor((c) => delete c.root.path), "root: missing required field 'path'");
    assert.equal(messageFor((c) => delete c.ociVersion), "config.json: missing required field 'ociVersion'");
    assert.equal(messageFor((c) => delete c.process.user.gid), "process.user: missing required field 'gid'");
    assert.equal(messageFor((c) => (c.mounts[0] = { type: 'proc' })), "mounts[0]: missing required field 'destination'");
  });

  it('rejects a document that is not an object', () => {
    assert.equal(messageForDocument([]), 'config.json: expected an object, got array');
    assert.equal(messageForDocument(null), 'config.json: expected an object, got null');
  });

  it('reports numeric limits, writing 64-bit limits exactly', () => {
    assert.equal(messageFor((c) => (c.process.user.uid = -1)), 'process.user.uid: expected at least 0, got -1');
    assert.equal(messageFor((c) => (c.process.user.gid = 2 ** 32)), 'process.user.gid: expected at most 4294967295, got 4294967296');
    assert.equal(
      messageFor((c) => (c.process.rlimits[0].hard = 2 ** 65)),
      'process.rlimits[0].hard: expected at most 18446744073709551615, got 36893488147419103232',
    );
    assert.equal(messageFor((c) => (c.hooks = { poststart: [{ path: '/bin/true', timeout: 0 }] })), 'hooks.poststart[0].timeout: expected at least 1, got 0');
  });

  it('explains the patterns in the schema', () => {
    assert.equal(
      messageFor((c) => (c.process.rlimits[0].type = 'nofile')),
      "process.rlimits[0].type: 'nofile' is not an rlimit type; expected one of RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK",
    );
    assert.equal(
      messageFor((c) => (c.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }])),
      "linux.devices[0].type: 'x' is not a device type; expected one of c, b, u, p",
    );
    assert.equal(
      messageFor((c) => (c.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 1 }])),
      "linux.resources.hugepageLimits[0].pageSize: '2M' is not a huge page size; expected a size such as 64KB, 2MB or 1GB",
    );
    assert.equal(
      messageFor((c) => (c.linux.intelRdt = { memBwSchema: 'L3:0=ff' })),
      "linux.intelRdt.memBwSchema: 'L3:0=ff' is not a memory bandwidth schema; expected one line starting with 'MB:'",
    );
  });

  it('names the kind of enumeration value that was expected', () => {
    assert.equal(
      messageFor((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_DENY' })),
      "linux.seccomp.defaultAction: 'SCMP_ACT_DENY' is not a seccomp action; expected one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY",
    );
    assert.equal(
      messageFor((c) => (c.linux.rootfsPropagation = 'rprivate')),
      "linux.rootfsPropagation: 'rprivate' is not a rootfs propagation mode; expected one of private, shared, slave, unbindable",
    );
    assert.match(
      messageFor((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] })),
      /^linux\.seccomp\.architectures\[0\]: 'x86_64' is not a seccomp architecture; expected one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, .*SCMP_ARCH_LOONGARCH64/,
    );
  });

  it('quotes keys that are not identifiers', () => {
    assert.equal(messageFor((c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': 1 })), 'linux.sysctl["net.ipv4.ip_forward"]: expected a string, got number 1');
    assert.equal(messageFor((c) => (c.annotations = { 'org.example/key': true })), 'annotations["org.example/key"]: expected a string, got boolean');
  });

  it('reports the first problem in document order and counts the rest', () => {
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces[2].type = 'pidd';
        c.process.user.uid = 'x';
        delete c.process.cwd;
      }),
      "process: missing required field 'cwd' (and 2 more problems)",
    );
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces[0].type = 'pidd';
        c.linux.namespaces[1].type = 'nett';
      }),
      "linux.namespaces[0].type: 'pidd' is not a namespace type; expected one of pid, network, mount, ipc, uts, user, cgroup, time (and 1 more problem)",
    );
  });

  it('returns every problem from findSpecProblems', () => {
    const config = baseConfig();
    config.process.user.uid = 'x';
    config.linux.namespaces[0].type = 'bogus';
    const problems = findSpecProblems(config);
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        ['process', 'user', 'uid'],
        ['linux', 'namespaces', 0, 'type'],
      ],
    );
  });
});

describe('generated validators', () => {
  it('validates state documents', () => {
    validateState({ ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 42, bundle: '/b' });
    assert.throws(
      () => validateState({ ociVersion: '1.3.0', id: 'c1', status: 'exited', bundle: '/b' }),
      { message: "status: 'exited' is not a container status; expected one of creating, created, running, stopped" },
    );
    assert.throws(() => validateState({ ociVersion: '1.3.0', status: 'created', bundle: '/b' }), { message: "state: missing required field 'id'" });
  });

  it('says how to build a missing validator', () => {
    const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'husk-no-schemas-'));
    const saved = process.env.HUSK_SCHEMA_DIR;
    process.env.HUSK_SCHEMA_DIR = emptyDir;
    try {
      assert.equal(schemaDirectory(), emptyDir);
      assert.equal(
        messageForDocument(defaultSpec({ rootless: false })),
        `schema validator ${path.join(emptyDir, 'config-validator.js')} not found; build it with: node scripts/build-schemas.js build/schemas`,
      );
    } finally {
      if (saved === undefined) delete process.env.HUSK_SCHEMA_DIR;
      else process.env.HUSK_SCHEMA_DIR = saved;
      fs.rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

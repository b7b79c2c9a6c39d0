// Semantic rules: spec MUSTs and cross-field constraints the JSON schema cannot express.

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { defaultSpec } from '../../src/spec/default-spec';
import { validateSpec } from '../../src/spec/validate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function messageFor(mutate: (config: Json) => void, rootless = false): string {
  const config = JSON.parse(JSON.stringify(defaultSpec({ rootless })));
  mutate(config);
  try {
    validateSpec(config);
  } catch (err) {
    assert.ok(err instanceof HuskError);
    return err.message;
  }
  return assert.fail('the config was accepted');
}

function withoutNamespace(config: Json, type: string): void {
  config.linux.namespaces = config.linux.namespaces.filter((namespace: Json) => namespace.type !== type);
}

describe('process rules', () => {
  it('requires an absolute cwd', () => {
    assert.equal(messageFor((c) => (c.process.cwd = 'home')), "process.cwd: 'home' is not an absolute path");
    assert.equal(messageFor((c) => (c.process.cwd = '')), 'process.cwd: must not be empty');
  });

  it('requires a program to run', () => {
    assert.equal(messageFor((c) => (c.process.args = [])), 'process.args: must name the program to run');
    assert.equal(messageFor((c) => delete c.process.args), "process: missing required field 'args'");
  });

  it('requires NAME=value environment entries', () => {
    assert.equal(messageFor((c) => c.process.env.push('JUSTANAME')), "process.env[2]: 'JUSTANAME' is not of the form NAME=value");
    assert.equal(messageFor((c) => c.process.env.push('=value')), "process.env[2]: '=value' has an empty variable name");
    assert.equal(messageFor((c) => c.process.env.push('A=\0')), 'process.env[2]: contains a NUL byte');
  });

  it('rejects unknown, duplicated and inverted rlimits', () => {
    assert.match(messageFor((c) => c.process.rlimits.push({ type: 'RLIMIT_FILES', soft: 1, hard: 1 })), /^process\.rlimits\[1\]\.type: 'RLIMIT_FILES' is not an rlimit type; expected one of RLIMIT_AS, /);
    assert.equal(
      messageFor((c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 })),
      "process.rlimits[1].type: 'RLIMIT_NOFILE' is already set by process.rlimits[0]",
    );
    assert.equal(messageFor((c) => (c.process.rlimits[0].soft = 4096)), 'process.rlimits[0]: soft limit 4096 is above hard limit 1024');
  });

  it('bounds oomScoreAdj', () => {
    assert.equal(messageFor((c) => (c.process.oomScoreAdj = -1001)), 'process.oomScoreAdj: expected -1000 to 1000, got -1001');
  });
});

describe('config rules', () => {
  it('requires root and process', () => {
    assert.equal(messageFor((c) => delete c.root), "config.json: missing required field 'root'");
    assert.equal(messageFor((c) => delete c.process), "config.json: missing required field 'process'");
    assert.equal(messageFor((c) => (c.root.path = '')), 'root.path: must not be empty');
  });

  it('needs a UTS namespace for hostname and domainname', () => {
    assert.equal(
      messageFor((c) => withoutNamespace(c, 'uts')),
      'hostname: cannot be set without a UTS namespace; add {"type": "uts"} to linux.namespaces',
    );
    assert.equal(
      messageFor((c) => {
        withoutNamespace(c, 'uts');
        delete c.hostname;
        c.domainname = 'example.org';
      }),
      'domainname: cannot be set without a UTS namespace; add {"type": "uts"} to linux.namespaces',
    );
  });

  it('checks mounts', () => {
    assert.equal(messageFor((c) => (c.mounts[1].destination = '')), 'mounts[1].destination: must not be empty');
    assert.equal(
      messageFor((c) => c.mounts.push({ destination: '/data', type: 'none', options: ['rbind'] })),
      "mounts[7]: missing required field 'source'; a bind mount needs one",
    );
  });

  it('requires absolute hook paths and non-empty annotation keys', () => {
    assert.equal(messageFor((c) => (c.hooks = { poststop: [{ path: 'cleanup.sh' }] })), "hooks.poststop[0].path: 'cleanup.sh' is not an absolute path");
    assert.equal(messageFor((c) => (c.annotations = { '': 'x' })), 'annotations: keys must not be empty');
  });
});

describe('linux rules', () => {
  it('rejects duplicated namespaces and relative namespace paths', () => {
    assert.equal(messageFor((c) => c.linux.namespaces.push({ type: 'pid' })), "linux.namespaces[5].type: 'pid' is already listed in linux.namespaces[0]");
    assert.equal(messageFor((c) => (c.linux.namespaces[1].path = 'netns/a')), "linux.namespaces[1].path: 'netns/a' is not an absolute path");
  });

  it('matches user namespaces and id mappings', () => {
    assert.equal(
      messageFor((c) => c.linux.namespaces.push({ type: 'user' })),
      "linux: missing required field 'uidMappings'; a new user namespace needs it (and 1 more problem)",
    );
    assert.equal(
      messageFor((c) => withoutNamespace(c, 'user'), true),
      'linux.uidMappings: needs a user namespace; add {"type": "user"} to linux.namespaces (and 1 more problem)',
    );
    assert.equal(messageFor((c) => (c.linux.uidMappings[0].size = 0), true), 'linux.uidMappings[0].size: expected at least 1, got 0');
  });

  it('allows joining a user namespace without mappings', () => {
    const config = defaultSpec({ rootless: false });
    config.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' });
    validateSpec(config);
  });

  it('requires major and minor for device nodes, and absolute paths', () => {
    assert.equal(
      messageFor((c) => (c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10 }])),
      "linux.devices[0]: missing required field 'minor'; device type 'c' needs major and minor",
    );
    assert.equal(messageFor((c) => (c.linux.devices = [{ path: 'dev/fifo', type: 'p' }])), "linux.devices[0].path: 'dev/fifo' is not an absolute path");
    assert.equal(messageFor((c) => c.linux.maskedPaths.push('proc/kcore')), "linux.maskedPaths[11]: 'proc/kcore' is not an absolute path");
  });

  it('only allows namespaced sysctls', () => {
    assert.equal(
      messageFor((c) => (c.linux.sysctl = { 'vm.swappiness': '10' })),
      'linux.sysctl["vm.swappiness"]: not isolated by any namespace, so setting it would change the host',
    );
    assert.equal(
      messageFor((c) => {
        withoutNamespace(c, 'network');
        c.linux.sysctl = { 'net/ipv4/ip_forward': '1' };
      }),
      'linux.sysctl["net/ipv4/ip_forward"]: needs a network namespace; add {"type": "network"} to linux.namespaces',
    );
    assert.equal(
      messageFor((c) => {
        withoutNamespace(c, 'ipc');
        c.linux.sysctl = { 'fs.mqueue.queues_max': '256' };
      }),
      'linux.sysctl["fs.mqueue.queues_max"]: needs an IPC namespace; add {"type": "ipc"} to linux.namespaces',
    );
    assert.equal(messageFor((c) => (c.linux.sysctl = { 'kernel.hostname': 'x' })), 'linux.sysctl["kernel.hostname"]: set the \'hostname\' field instead');
  });

  it('checks seccomp rules', () => {
    const seccomp = (extra: Json) => (c: Json) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', ...extra });
    assert.equal(
      messageFor(seccomp({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 })),
      'linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_KILL',
    );
    assert.equal(
      messageFor(seccomp({ syscalls: [{ names: ['open'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] })),
      'linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_ALLOW',
    );
    assert.equal(messageFor(seccomp({ listenerMetadata: 'x' })), 'linux.seccomp.listenerMetadata: needs linux.seccomp.listenerPath');
    assert.equal(
      messageFor(seccomp({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/a.sock' })),
      'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action; list the syscalls to notify in linux.seccomp.syscalls',
    );
    assert.equal(
      messageFor(seccomp({ listenerPath: '/run/a.sock', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] })),
      "linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for 'write'",
    );
    assert.equal(
      messageFor(seccomp({ syscalls: [{ names: ['open'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })),
      'linux.seccomp.syscalls[0].args[0].index: expected at most 5, got 6',
    );
    assert.equal(messageFor(seccomp({ syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] })), 'linux.seccomp.syscalls[0].names: must contain at least 1 entry');
  });

  it('checks cgroup resources', () => {
    const resources = (value: Json) => (c: Json) => (c.linux.resources = value);
    assert.equal(messageFor(resources({ cpu: { cpus: '0-' } })), "linux.resources.cpu.cpus: '0-' is not a CPU list; expected numbers and ranges such as 0-3,7");
    assert.equal(messageFor(resources({ memory: { swappiness: 101 } })), 'linux.resources.memory.swappiness: expected 0 to 100, got 101');
    assert.equal(
      messageFor(resources({ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } })),
      "linux.resources.blockIO.weightDevice[0]: missing required field 'weight' or 'leafWeight'",
    );
    assert.equal(messageFor(resources({ rdma: { mlx5_1: {} } })), "linux.resources.rdma.mlx5_1: missing required field 'hcaHandles' or 'hcaObjects'");
    assert.equal(
      messageFor(resources({ devices: [{ allow: true, type: 'x' }] })),
      "linux.resources.devices[0].type: 'x' is not a device rule type; expected one of a, c, b",
    );
    assert.equal(
      messageFor(resources({ devices: [{ allow: true, access: 'rwx' }] })),
      "linux.resources.devices[0].access: 'rwx' is not a device access; expected a combination of r, w and m",
    );
    assert.equal(
      messageFor(resources({ unified: { '../memory.max': '1' } })),
      'linux.resources.unified["../memory.max"]: \'../memory.max\' is not a cgroup interface file name; expected CONTROLLER.PARAMETER such as memory.high',
    );
    assert.equal(messageFor(resources({ pids: { limit: '10' } })), 'linux.resources.pids.limit: expected an integer, got string');
  });

  it('accepts swappiness -1 written as a uint64, as runc does', () => {
    const config = JSON.parse(JSON.stringify(defaultSpec({ rootless: false })).replace('"resources":{', '"resources":{"memory":{"swappiness":18446744073709551615},'));
    validateSpec(config);
  });

  it('reports rule problems in document order, counting the rest', () => {
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces.push({ type: 'pid' });
        c.process.cwd = 'relative';
        c.hooks = { prestart: [{ path: 'x' }] };
      }),
      "process.cwd: 'relative' is not an absolute path (and 2 more problems)",
    );
  });
});

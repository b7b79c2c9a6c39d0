// Fields runtime-spec 1.1-1.3 added, which Debian's 1.0.2-dev schemas do not know: valid uses
// pass, and mistakes get the same kind of one-line message as schema violations.

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { defaultSpec } from '../../src/spec/default-spec';
import { validateSpec } from '../../src/spec/validate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function baseConfig(): Json {
  return JSON.parse(JSON.stringify(defaultSpec({ rootless: false })));
}

function messageFor(mutate: (config: Json) => void): string {
  const config = baseConfig();
  mutate(config);
  try {
    validateSpec(config);
  } catch (err) {
    assert.ok(err instanceof HuskError);
    return err.message;
  }
  return assert.fail('the config was accepted');
}

function accepts(mutate: (config: Json) => void): void {
  const config = baseConfig();
  mutate(config);
  validateSpec(config);
}

describe('newer fields, valid', () => {
  it('accepts a config using every 1.1-1.3 field', () => {
    accepts((c) => {
      c.ociVersion = '1.3.0';
      c.domainname = 'example.org';
      c.process.user.umask = 0o022;
      c.process.scheduler = { policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
      c.process.execCPUAffinity = { initial: '0', final: '0-3, 7' };
      c.linux.namespaces.push({ type: 'time' }, { type: 'cgroup' });
      c.linux.timeOffsets = { monotonic: { secs: 3600, nanosecs: 0 }, boottime: { secs: -5 } };
      c.linux.netDevices = { eth1: { name: 'ctr0' }, dummy0: {} };
      c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] };
      c.linux.intelRdt = { closID: 'guaranteed', schemata: ['L3:0=7f0;1=1f', 'MB:0=20;1=70'], enableMonitoring: true };
      c.linux.personality = { domain: 'LINUX32' };
      c.linux.resources.cpu = { quota: 100000, burst: 50000, period: 100000, idle: 1 };
      c.linux.resources.memory = { limit: 1 << 30, checkBeforeUpdate: true };
      c.linux.resources.pids = {};
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_KILL_PROCESS',
        flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_LOG'],
        listenerPath: '/run/agent.sock',
        listenerMetadata: 'x',
        syscalls: [
          { names: ['mount'], action: 'SCMP_ACT_NOTIFY' },
          { names: ['kexec_load'], action: 'SCMP_ACT_KILL_THREAD' },
          { names: ['ptrace'], action: 'SCMP_ACT_LOG' },
          { names: ['read', 'write', 'execve', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        ],
      };
      c.hooks = {
        createRuntime: [{ path: '/bin/true' }],
        createContainer: [{ path: '/bin/true' }],
        startContainer: [{ path: '/bin/true' }],
      };
      c.mounts.push({
        destination: '/data',
        type: 'bind',
        source: '/srv/data',
        options: ['rbind', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      });
    });
  });

  it('accepts enableCMT/enableMBM from configs older than 1.3', () => {
    accepts((c) => (c.linux.intelRdt = { enableCMT: true, enableMBM: false }));
  });

  it('accepts SCHED_DEADLINE with consistent parameters', () => {
    accepts((c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10000, deadline: 20000, period: 40000 }));
  });
});

describe('newer fields, invalid', () => {
  it('checks the time namespace and its offsets', () => {
    assert.equal(
      messageFor((c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } })),
      'linux.timeOffsets: needs a time namespace; add {"type": "time"} to linux.namespaces',
    );
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
        c.linux.timeOffsets = { monotonic: { secs: 1 } };
      }),
      'linux.timeOffsets: can only be set for a new time namespace, not one joined by path',
    );
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces.push({ type: 'time' });
        c.linux.timeOffsets = { realtime: { secs: 1 } };
      }),
      "linux.timeOffsets.realtime: 'realtime' is not a clock a time namespace can offset; expected one of boottime, monotonic",
    );
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces.push({ type: 'time' });
        c.linux.timeOffsets = { boottime: { nanosecs: 1e9 } };
      }),
      'linux.timeOffsets.boottime.nanosecs: expected less than 1000000000, got 1000000000',
    );
    assert.equal(
      messageFor((c) => (c.linux.timeOffsets = { boottime: { secs: '1' } })),
      'linux.timeOffsets.boottime.secs: expected an integer, got string',
    );
  });

  it('checks process.scheduler', () => {
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_FAIR' })),
      "process.scheduler.policy: 'SCHED_FAIR' is not a scheduler policy; expected one of SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE",
    );
    assert.equal(messageFor((c) => (c.process.scheduler = { nice: 1 })), "process.scheduler: missing required field 'policy'");
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_FAST'] })),
      "process.scheduler.flags[0]: 'SCHED_FLAG_FAST' is not a scheduler flag; expected one of SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM, SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX",
    );
    assert.equal(messageFor((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 })), 'process.scheduler.nice: expected -20 to 19, got 20');
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_RR' })),
      'process.scheduler.priority: SCHED_RR needs a priority from 1 to 99, got 0',
    );
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_BATCH', priority: 5 })),
      'process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not SCHED_BATCH',
    );
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', runtime: 5000 })),
      'process.scheduler.runtime: only SCHED_DEADLINE takes runtime, deadline and period, not SCHED_OTHER',
    );
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 20000, deadline: 10000 })),
      'process.scheduler.deadline: must be at least the runtime (20000 ns), got 10000',
    );
    assert.equal(
      messageFor((c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 5, deadline: 10000 })),
      'process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns, got 5',
    );
  });

  it('checks process.ioPriority', () => {
    assert.equal(
      messageFor((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_NONE', priority: 0 })),
      "process.ioPriority.class: 'IOPRIO_CLASS_NONE' is not an I/O priority class; expected one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE",
    );
    assert.equal(messageFor((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 8 })), 'process.ioPriority.priority: expected 0 to 7, got 8');
    assert.equal(messageFor((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT' })), "process.ioPriority: missing required field 'priority'");
  });

  it('checks process.execCPUAffinity lists', () => {
    assert.equal(
      messageFor((c) => (c.process.execCPUAffinity = { final: '3-1' })),
      "process.execCPUAffinity.final: '3-1' is not a CPU list; expected numbers and ranges such as 0-3,7",
    );
    assert.equal(messageFor((c) => (c.process.execCPUAffinity = { initial: 3 })), 'process.execCPUAffinity.initial: expected a string, got number 3');
  });

  it('checks linux.netDevices', () => {
    assert.equal(
      messageFor((c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== 'network');
        c.linux.netDevices = { eth1: {} };
      }),
      'linux.netDevices: needs a network namespace; add {"type": "network"} to linux.namespaces',
    );
    assert.equal(
      messageFor((c) => (c.linux.netDevices = { eth1: { name: 'a-name-that-is-too-long' } })),
      "linux.netDevices.eth1.name: 'a-name-that-is-too-long' is not a valid interface name; interface names have 1 to 15 characters, no '/', ':' or whitespace, and are not '.' or '..'",
    );
    assert.equal(
      messageFor((c) => (c.linux.netDevices = { 'eth 1': {} })),
      "linux.netDevices[\"eth 1\"]: 'eth 1' is not a valid interface name; interface names have 1 to 15 characters, no '/', ':' or whitespace, and are not '.' or '..'",
    );
    assert.equal(
      messageFor((c) => (c.linux.netDevices = { eth1: { name: 'eth0' }, eth0: {} })),
      "linux.netDevices.eth0: would be named 'eth0' in the container, like linux.netDevices[\"eth1\"]",
    );
    assert.equal(messageFor((c) => (c.linux.netDevices = { eth1: { name: 5 } })), 'linux.netDevices.eth1.name: expected a string, got number 5');
  });

  it('checks linux.memoryPolicy', () => {
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_SPREAD', nodes: '0' })),
      "linux.memoryPolicy.mode: 'MPOL_SPREAD' is not a memory policy mode; expected one of MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, MPOL_WEIGHTED_INTERLEAVE, MPOL_PREFERRED, MPOL_PREFERRED_MANY, MPOL_LOCAL",
    );
    assert.equal(messageFor((c) => (c.linux.memoryPolicy = { nodes: '0' })), "linux.memoryPolicy: missing required field 'mode'");
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND' })),
      "linux.memoryPolicy: missing required field 'nodes'; MPOL_BIND needs at least one node",
    );
    assert.equal(messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' })), 'linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes');
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0,a' })),
      "linux.memoryPolicy.nodes: '0,a' is not a memory node list; expected numbers and ranges such as 0-3,7",
    );
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] })),
      'linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined',
    );
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_NUMA_BALANCING'] })),
      'linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING only works with MPOL_BIND or MPOL_PREFERRED_MANY, not MPOL_INTERLEAVE',
    );
    assert.equal(
      messageFor((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_LAZY'] })),
      "linux.memoryPolicy.flags[0]: 'MPOL_F_LAZY' is not a memory policy flag; expected one of MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES",
    );
  });

  it('checks linux.intelRdt', () => {
    assert.equal(messageFor((c) => (c.linux.intelRdt = { schemata: ['L3:0=f\nMB:0=1'] })), 'linux.intelRdt.schemata[0]: must not contain a newline');
    assert.equal(messageFor((c) => (c.linux.intelRdt = { schemata: 'L3:0=f' })), 'linux.intelRdt.schemata: expected an array, got string');
    assert.equal(messageFor((c) => (c.linux.intelRdt = { enableMonitoring: 'yes' })), 'linux.intelRdt.enableMonitoring: expected a boolean, got string');
    assert.equal(
      messageFor((c) => (c.linux.intelRdt = { closID: '../other' })),
      "linux.intelRdt.closID: '../other' is not a resctrl group name; it must not be empty, '.', '..' or contain '/'",
    );
  });

  it('checks cpu burst and idle', () => {
    assert.equal(
      messageFor((c) => (c.linux.resources.cpu = { quota: 10000, burst: 20000 })),
      'linux.resources.cpu.burst: 20000 is more than the quota (10000)',
    );
    assert.equal(messageFor((c) => (c.linux.resources.cpu = { idle: 2 })), 'linux.resources.cpu.idle: expected 0 or 1, got 2');
    assert.equal(messageFor((c) => (c.linux.resources.memory = { checkBeforeUpdate: 1 })), 'linux.resources.memory.checkBeforeUpdate: expected a boolean, got number 1');
  });

  it('checks id-mapped mounts', () => {
    assert.equal(
      messageFor((c) => c.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] })),
      'mounts[7]: uidMappings and gidMappings must be given together',
    );
    assert.equal(
      messageFor((c) =>
        c.mounts.push({
          destination: '/data',
          type: 'bind',
          source: '/srv',
          uidMappings: [{ containerID: 0, hostID: 1000, size: 0 }],
          gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
        }),
      ),
      'mounts[7].uidMappings[0].size: expected at least 1, got 0',
    );
  });

  it('checks newer seccomp values', () => {
    assert.equal(
      messageFor((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] })),
      "linux.seccomp.flags[0]: 'SECCOMP_FILTER_FLAG_NEW_LISTENER' is not a seccomp flag; expected one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    );
    assert.equal(
      messageFor((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] })),
      'linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath',
    );
  });

  it('lets unknown keys through, as runtime-spec allows extensions', () => {
    // A misspelt hook name is therefore not an error (runc ignores it too).
    accepts((c) => (c.hooks = { prestartt: [{ path: 'relative' }] }));
  });
});

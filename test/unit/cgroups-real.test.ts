// The tests that touch the host's real cgroups (root only). Each creates a cgroup under a unique
// relative name (one puts a `sleep` in it) and takes it all down again — also when an assertion
// fails half-way. They never touch a cgroup they did not create.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cgroup, planCgroup } from '../../src/cgroups';

const notRoot = process.getuid?.() !== 0 ? 'needs root to create cgroups' : false;

function waitForExit(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}

function cgroupFileOf(cgroup: Cgroup, controller: string, file: string): string {
  const key = Object.keys(cgroup.paths).find((k) => k.split(',').includes(controller)) ?? '';
  return fs.readFileSync(path.join(cgroup.paths[key], file), 'utf8').trim();
}

test('real cgroup: create, limit, join, freeze, kill all, destroy', { skip: notRoot }, async () => {
  const id = `husk-unit-${process.pid}-${randomBytes(4).toString('hex')}`;
  const cgroup = planCgroup({ id });
  let child: ChildProcess | undefined;
  try {
    cgroup.create();
    for (const dir of Object.values(cgroup.paths)) {
      assert.equal(path.basename(dir), id);
      assert.ok(fs.statSync(dir).isDirectory(), dir);
    }

    cgroup.applyResources({ pids: { limit: 32 }, memory: { limit: 64 * 1024 * 1024 } });
    assert.equal(cgroupFileOf(cgroup, 'pids', 'pids.max'), '32');

    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((resolve, reject) => child?.once('spawn', resolve).once('error', reject));
    const pid = child.pid as number;
    // A new v1 cpuset cgroup is empty until create() copies cpus/mems from its parent; without
    // that copy this write fails with ENOSPC.
    cgroup.addProcess(pid);
    assert.deepEqual(cgroup.pids(), [pid]);
    const membership = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    for (const line of membership.trim().split('\n')) assert.ok(line.endsWith(`/${id}`), `joined every hierarchy: ${line}`);

    cgroup.freeze();
    assert.equal(cgroup.isFrozen(), true);
    cgroup.thaw();
    assert.equal(cgroup.isFrozen(), false);

    const exited = waitForExit(child);
    cgroup.killAll();
    assert.equal(await exited, 'SIGKILL');
    assert.deepEqual(cgroup.pids(), []);

    cgroup.destroy();
    for (const dir of Object.values(cgroup.paths)) assert.equal(fs.existsSync(dir), false, dir);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child);
    }
    // Only what create() recorded is removed; a failed create already removed its own.
    try {
      cgroup.destroy();
    } catch (err) {
      process.stderr.write(`cleanup of test cgroup ${id} failed: ${String(err)}\n`);
    }
  }
});

// destroy() first tries one rmdir per hierarchy; a cgroup with a child cgroup (a container that
// made its own, or an exec --cgroup target) refuses that (EBUSY), and destroy then walks it.
test('real cgroup: destroy removes child cgroups the container made inside its own', { skip: notRoot }, () => {
  const id = `husk-unit-${process.pid}-${randomBytes(4).toString('hex')}`;
  const cgroup = planCgroup({ id });
  try {
    cgroup.create();
    for (const dir of Object.values(cgroup.paths)) fs.mkdirSync(path.join(dir, 'inner', 'deeper'), { recursive: true });
    cgroup.destroy();
    for (const dir of Object.values(cgroup.paths)) assert.equal(fs.existsSync(dir), false, dir);
  } finally {
    for (const dir of Object.values(cgroup.paths)) {
      for (const leftover of [path.join(dir, 'inner', 'deeper'), path.join(dir, 'inner'), dir]) {
        try {
          fs.rmdirSync(leftover); // cgroupfs: rmdir, never a recursive removal of control files
        } catch {
          // gone already
        }
      }
    }
  }
});

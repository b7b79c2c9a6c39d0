// src/daemon/mode.ts: what a command asks to know whether it runs in a worker of `husk daemon`.
// Outside a worker nothing changes (callerPid is this process, needsOwnProcess is a no-op); in a
// worker callerPid names the front end and needsOwnProcess hands the command back (FallbackToNode),
// which cli/main.ts rethrows and daemon/worker.ts turns into FALLBACK. The module keeps its state
// for the process, so the tests run in order: outside a worker first, then as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HuskError } from '../../src/errors';
import { callerPid, FallbackToNode, inDaemonWorker, needsOwnProcess, setCallerPid } from '../../src/daemon/mode';

test('outside a worker: not in a daemon worker, callerPid is this process, needsOwnProcess does nothing', () => {
  assert.equal(inDaemonWorker(), false);
  assert.equal(callerPid(), process.pid);
  assert.doesNotThrow(() => needsOwnProcess('run attached to a terminal'));
});

test('FallbackToNode is a HuskError that says why the daemon does not serve the command', () => {
  const fallback = new FallbackToNode('exec attached to a terminal');
  assert.ok(fallback instanceof HuskError);
  assert.ok(fallback instanceof FallbackToNode);
  assert.equal(fallback.message, 'not served by husk daemon: exec attached to a terminal');
  assert.equal(fallback.exitCode, 1);
});

test('in a worker: callerPid is the front end, needsOwnProcess throws FallbackToNode with the reason', () => {
  const frontEnd = process.pid + 100_000; // not this process: the worker's pid differs from its caller's
  setCallerPid(frontEnd);
  assert.equal(inDaemonWorker(), true);
  assert.equal(callerPid(), frontEnd);
  assert.throws(
    () => needsOwnProcess('husk daemon'),
    (err: unknown) => err instanceof FallbackToNode && (err as Error).message === 'not served by husk daemon: husk daemon',
  );
});

test('in a worker, callerPid follows what the worker was told (one worker serves one caller)', () => {
  setCallerPid(1);
  assert.equal(callerPid(), 1);
  assert.equal(inDaemonWorker(), true);
});

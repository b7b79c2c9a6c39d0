// HUSK_FAULT=<point>: a TEST-ONLY switch. husk SIGKILLs itself when it reaches the named point,
// so the reliability tests (test/reliability/crashes.test.ts) can check that whatever a runtime
// killed at that moment leaves behind — processes, mounts, cgroups, state — is found and removed
// by a later `husk delete --force` (and shown by `husk list`). Never set it in production.
//
// With the variable unset every call is one comparison: no module is loaded, nothing recorded.
// The points, in the order a command reaches them:
//
//   create:claim        the staging directory <root>/@creating-* exists, not yet renamed to <id>
//   create:claimed      <root>/<id> exists with its lock, nothing else yet
//   create:provisional  the provisional state.json (cgroup planned, no pid) is written
//   create:cgroup       the cgroup exists with its limits and device rules
//   create:before-clone everything is planned; spawnInit is next
//   create:after-clone  stage 1 exists (not yet in the cgroup on v1, waiting for GO)
//   create:init-pid     the init exists and its pid is recorded; it is mounting the rootfs
//   create:mounts       the init's mounts and devices are done; the runtime hooks are next
//   create:hooks        between the prestart and createRuntime hooks
//   create:ready        the init waits on the exec fifo; the final state.json is next
//   delete:locked       delete holds the lock and has read the state
//   delete:killed       the init is dead; the cgroup still exists
//   delete:cgroup       the cgroup is gone; the state directory is next
//   delete:renamed      the state directory was renamed to <root>/@deleting-*, not yet removed
//   delete:hooks        the state is gone; poststop hooks are next

/** SIGKILL this process if HUSK_FAULT names `point` (read each time: a daemon worker gets its environment late). */
export function faultPoint(point: string): void {
  const wanted = process.env.HUSK_FAULT;
  if (wanted === undefined || wanted !== point) return;
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill(2) returns to user space; never go on regardless.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}

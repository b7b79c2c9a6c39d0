// systemd socket activation (sd_listen_fds(3)) through husk, as runc does it for `create` and
// `run` (utils_linux.go startContainer + runner.run, with go-systemd's activation.Files):
//
//   * husk was started with LISTEN_PID = husk's own pid and LISTEN_FDS = N: fds 3 .. 3+N-1 are
//     listening sockets meant for the container.
//   * They pass to the container at the same numbers, ahead of --preserve-fds (which then counts
//     from 3+N: "stdio + $LISTEN_FDS + N in total", runc --help), and the container's process
//     gets LISTEN_FDS=N and LISTEN_PID=1 appended to its env (it is pid 1 of its pid namespace;
//     runc writes 1 whether or not the container has one).
//   * A LISTEN_PID naming another process means the variables were inherited, not meant for
//     husk: nothing is passed (sd_listen_fds does the same).
//
// `exec` does not do this (runc neither).

export interface SocketActivation {
  /** Number of listening fds (from fd 3) to hand over; 0 when none. */
  listenFds: number;
}

/** What LISTEN_PID / LISTEN_FDS in `env` hand to process `ownPid`. */
export function socketActivationOf(env: NodeJS.ProcessEnv, ownPid: number): SocketActivation {
  const pidText = env.LISTEN_PID ?? '';
  const fdsText = env.LISTEN_FDS ?? '';
  if (!/^\d+$/.test(pidText) || Number(pidText) !== ownPid) return { listenFds: 0 };
  if (!/^\d+$/.test(fdsText)) return { listenFds: 0 };
  return { listenFds: Number(fdsText) };
}

/** The container's env with the activation variables appended (later entries win: see planEnv). */
export function withActivationEnv(env: string[] | undefined, activation: SocketActivation): string[] | undefined {
  if (activation.listenFds === 0) return env;
  return [...(env ?? []), `LISTEN_FDS=${activation.listenFds}`, 'LISTEN_PID=1'];
}

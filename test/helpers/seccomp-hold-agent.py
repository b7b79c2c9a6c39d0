#!/usr/bin/env python3
"""A seccomp agent that holds one process in a syscall, for the escape tests: the process is
stopped at a known point before its execve (while still a copy of husk) so that the test can look
at it from inside the container.

    seccomp-hold-agent.py <socket path> <dir>

Listens on <socket path> (AF_UNIX, SOCK_STREAM) and takes one connection per process that loads
the container's filter (the state JSON and the listener fd, runtime-spec config-linux.md
"listenerPath"). The first connection is the container's init: every notification on its
listener is let through at once (SECCOMP_USER_NOTIF_FLAG_CONTINUE). On any later connection (an
exec'd process) the first notification is held: the agent writes {"pid": <pid in the agent's pid
namespace>, "nr": <syscall number>} to <dir>/held.json and answers only once <dir>/release
exists; later notifications are let through. Exits 60 s after the last connection, or when told
(<dir>/release and every listener hung up).
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seccomp_agent_lib as agent  # noqa: E402


def serve(listener, hold, directory):
    for notification in agent.notifications(listener, 60000):
        if hold:
            agent.write_json(os.path.join(directory, "held.json"), {"pid": notification.pid, "nr": notification.nr})
            while not os.path.exists(os.path.join(directory, "release")):
                time.sleep(0.02)
            hold = False
        agent.respond(listener, notification.id, flags=agent.SECCOMP_USER_NOTIF_FLAG_CONTINUE)


def main():
    socket_path, directory = sys.argv[1], sys.argv[2]
    server = agent.listen(socket_path, 4)
    connections = 0
    while True:
        try:
            connection, _ = server.accept()
        except socket.timeout:
            return
        _, fds = agent.receive_state(connection)
        if not fds:
            continue
        threading.Thread(target=serve, args=(fds[0], connections > 0, directory), daemon=True).start()
        connections += 1


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A minimal seccomp agent for the SCMP_ACT_NOTIFY tests (runtime-spec config-linux.md,
"listenerPath" and "The Container Process State").

    seccomp-agent.py <socket path> <record file> <errno>

Listens on <socket path> (AF_UNIX, SOCK_STREAM), takes one connection, reads the container
process state JSON and the fds sent with it (SCM_RIGHTS), and writes to <record file>:

    {"state": <the JSON received>, "fdCount": <fds received>, "notified": [<syscall numbers>]}

It then answers every notification on the listener fd with -<errno>, rewriting the record after
each, until the container is gone. Python because Node cannot receive fds over a unix socket.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seccomp_agent_lib as agent  # noqa: E402


def main():
    socket_path, record_path, answer_errno = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = agent.listen(socket_path, 1)
    connection, _ = server.accept()
    state, fds = agent.receive_state(connection)
    record = {"state": state, "fdCount": len(fds), "notified": []}
    agent.write_json(record_path, record)
    if not fds:
        return
    for notification in agent.notifications(fds[0], 30000):
        record["notified"].append(notification.nr)
        agent.write_json(record_path, record)
        agent.respond(fds[0], notification.id, error=-answer_errno)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The conformance suite's seccomp agent (config-linux.md "Seccomp": listenerPath, "The Container
Process State").

    seccomp-agent.py <socket path> <record file> <errno>

Listens on <socket path> (AF_UNIX, SOCK_STREAM) and takes one connection. Reads until the
payload is one complete JSON document (so a runtime that keeps the connection open is still
understood), collecting the fds sent with SCM_RIGHTS, then waits up to 2 s for the runtime to
close the connection, noting any bytes after the document. Writes <record file>:

    {"state": <the JSON>, "fdCount": N, "fdMessages": <sendmsg calls that carried fds>,
     "closed": true|false, "trailing": <bytes after the JSON>, "notified": [<syscall numbers>]}

then answers every notification on the listener fd with -<errno> (rewriting the record after
each) until the container is gone. Python because Node cannot receive fds on a unix socket.
"""
import array
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "helpers"))
import seccomp_agent_lib as agent  # noqa: E402


def receive_state(connection):
    fds = array.array("i")
    fd_messages = 0
    payload = b""
    state = None
    deadline = time.time() + 10
    while state is None and time.time() < deadline:
        data, carried = agent.recv_with_fds(connection, fds)
        fd_messages += carried
        if not data:
            break
        payload += data
        try:
            state = json.loads(payload)
        except ValueError:
            continue
    closed = False
    trailing = 0
    connection.settimeout(2)
    try:
        while True:
            more = connection.recv(65536)
            if not more:
                closed = True
                break
            trailing += len(more)
    except socket.timeout:
        pass
    return state, list(fds), fd_messages, closed, trailing


def main():
    socket_path, record_path, answer_errno = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = agent.listen(socket_path, 1)
    connection, _ = server.accept()
    # The state first, so that the record exists while the container waits for answers.
    with connection:
        state, fds, fd_messages, closed, trailing = receive_state(connection)
        record = {"state": state, "fdCount": len(fds), "fdMessages": fd_messages, "closed": closed, "trailing": trailing, "notified": []}
        agent.write_json(record_path, record)
        if fds:
            for notification in agent.notifications(fds[0], 30000):
                record["notified"].append(notification.nr)
                agent.write_json(record_path, record)
                agent.respond(fds[0], notification.id, error=-answer_errno)


if __name__ == "__main__":
    main()

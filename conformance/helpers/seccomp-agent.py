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
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80


def write_record(path, record):
    temp = path + ".tmp"
    with open(temp, "w") as f:
        json.dump(record, f)
    os.rename(temp, path)


def receive_state(connection):
    fds = array.array("i")
    fd_messages = 0
    payload = b""
    state = None
    deadline = time.time() + 10
    while state is None and time.time() < deadline:
        data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
        for level, kind, cmsg in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cmsg[: len(cmsg) - (len(cmsg) % fds.itemsize)])
                fd_messages += 1
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


def serve_notifications(listener, answer_errno, record, record_path):
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    while True:
        events = poller.poll(30000)
        if not events:
            return
        _, mask = events[0]
        if mask & (select.POLLHUP | select.POLLERR) and not mask & select.POLLIN:
            return
        notification = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notification, True)
        except OSError:
            return
        notification_id = struct.unpack_from("Q", notification, 0)[0]
        record["notified"].append(struct.unpack_from("i", notification, 16)[0])
        write_record(record_path, record)
        response = bytearray(struct.pack("QqiI", notification_id, 0, -answer_errno, 0))
        try:
            fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response, True)
        except OSError:
            pass


def main():
    socket_path, record_path, answer_errno = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(1)
    server.settimeout(60)
    connection, _ = server.accept()
    # The state first, so that the record exists while the container waits for answers.
    listener = None
    with connection:
        state, fds, fd_messages, closed, trailing = receive_state(connection)
        record = {"state": state, "fdCount": len(fds), "fdMessages": fd_messages, "closed": closed, "trailing": trailing, "notified": []}
        write_record(record_path, record)
        if fds:
            listener = fds[0]
            serve_notifications(listener, answer_errno, record, record_path)


if __name__ == "__main__":
    main()

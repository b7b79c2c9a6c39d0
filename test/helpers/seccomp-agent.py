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
import array
import fcntl
import json
import os
import select
import socket
import struct
import sys

# linux/seccomp.h: SECCOMP_IOWR(0, struct seccomp_notif) and SECCOMP_IOWR(1, struct seccomp_notif_resp)
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, data: nr i32, arch u32, ip u64, args u64[6]


def write_record(path, record):
    temp = path + ".tmp"
    with open(temp, "w") as f:
        json.dump(record, f)
    os.rename(temp, path)


def receive_state(server):
    connection, _ = server.accept()
    with connection:
        fds = array.array("i")
        chunks = []
        first = True
        while True:
            if first:
                data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
                first = False
            else:
                data = connection.recv(65536)
            if not data:
                break
            chunks.append(data)
    return json.loads(b"".join(chunks)), list(fds)


def serve_notifications(listener, answer_errno, record, record_path):
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    while True:
        events = poller.poll(30000)
        if not events:
            return
        _, mask = events[0]
        if mask & (select.POLLHUP | select.POLLERR) and not mask & select.POLLIN:
            return  # every process using the filter has exited
        notification = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notification, True)
        except OSError:
            return
        notification_id = struct.unpack_from("Q", notification, 0)[0]
        syscall_number = struct.unpack_from("i", notification, 16)[0]
        record["notified"].append(syscall_number)
        write_record(record_path, record)
        response = bytearray(struct.pack("QqiI", notification_id, 0, -answer_errno, 0))
        try:
            fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response, True)
        except OSError:
            pass  # the caller went away meanwhile


def main():
    socket_path, record_path, answer_errno = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(1)
    server.settimeout(60)
    state, fds = receive_state(server)
    record = {"state": state, "fdCount": len(fds), "notified": []}
    write_record(record_path, record)
    if fds:
        serve_notifications(fds[0], answer_errno, record, record_path)


if __name__ == "__main__":
    main()

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
import array
import fcntl
import json
import os
import select
import socket
import struct
import sys
import threading
import time

# linux/seccomp.h: SECCOMP_IOWR(0, struct seccomp_notif) and SECCOMP_IOWR(1, struct seccomp_notif_resp)
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, data: nr i32, arch u32, ip u64, args u64[6]


def write_json(path, value):
    temp = path + ".tmp"
    with open(temp, "w") as f:
        json.dump(value, f)
    os.rename(temp, path)


def receive_listener(connection):
    """The state JSON and the first fd sent with it."""
    fds = array.array("i")
    chunks = []
    first = True
    with connection:
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
    return json.loads(b"".join(chunks)), (fds[0] if fds else -1)


def let_through(listener, notification_id):
    response = bytearray(struct.pack("QqiI", notification_id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE))
    try:
        fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response, True)
    except OSError:
        pass  # the caller went away meanwhile


def serve(listener, hold, directory):
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    while True:
        events = poller.poll(60000)
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
        if hold:
            pid = struct.unpack_from("I", notification, 8)[0]
            number = struct.unpack_from("i", notification, 16)[0]
            write_json(os.path.join(directory, "held.json"), {"pid": pid, "nr": number})
            while not os.path.exists(os.path.join(directory, "release")):
                time.sleep(0.02)
            hold = False
        let_through(listener, notification_id)


def main():
    socket_path, directory = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(4)
    server.settimeout(60)
    connections = 0
    while True:
        try:
            connection, _ = server.accept()
        except socket.timeout:
            return
        _, listener = receive_listener(connection)
        if listener < 0:
            continue
        threading.Thread(target=serve, args=(listener, connections > 0, directory), daemon=True).start()
        connections += 1


if __name__ == "__main__":
    main()

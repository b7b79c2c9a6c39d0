"""What the seccomp agents (test/helpers/seccomp-agent.py, test/helpers/seccomp-hold-agent.py,
conformance/helpers/seccomp-agent.py) share: the unix socket the runtime connects to, the state
JSON and listener fd it sends (runtime-spec config-linux.md "listenerPath" and "The Container
Process State"), and the SECCOMP_IOCTL_NOTIF_RECV / _SEND loop on that listener. Python because
Node cannot receive fds over a unix socket.

The entry points set sys.dont_write_bytecode before importing this, so that running them leaves
no __pycache__ in the source tree.
"""
import array
import collections
import fcntl
import json
import os
import select
import socket
import struct

# linux/seccomp.h: SECCOMP_IOWR(0, struct seccomp_notif) and SECCOMP_IOWR(1, struct seccomp_notif_resp)
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, data: nr i32, arch u32, ip u64, args u64[6]

Notification = collections.namedtuple("Notification", "id pid nr")


def listen(socket_path, backlog):
    """The agent's AF_UNIX SOCK_STREAM socket; accept() gives up after 60 s."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(backlog)
    server.settimeout(60)
    return server


def write_json(path, value):
    """Replace path atomically, so that a reader never sees half a document."""
    temp = path + ".tmp"
    with open(temp, "w") as f:
        json.dump(value, f)
    os.rename(temp, path)


def recv_with_fds(connection, fds):
    """One recvmsg: appends the fds sent with it (SCM_RIGHTS) to the array fds and returns the
    data and how many SCM_RIGHTS messages carried them."""
    data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
    fd_messages = 0
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            fd_messages += 1
    return data, fd_messages


def receive_state(connection):
    """Reads the connection to its end (and closes it): the state JSON and the list of fds sent
    with its first message."""
    fds = array.array("i")
    chunks = []
    first = True
    with connection:
        while True:
            if first:
                data, _ = recv_with_fds(connection, fds)
                first = False
            else:
                data = connection.recv(65536)
            if not data:
                break
            chunks.append(data)
    return json.loads(b"".join(chunks)), list(fds)


def notifications(listener, timeout_ms):
    """Yields a Notification for each syscall the listener reports, until none comes for
    timeout_ms, every process using the filter has exited, or the receive fails. Answer each with
    respond() before asking for the next."""
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    while True:
        events = poller.poll(timeout_ms)
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
        yield Notification(
            struct.unpack_from("Q", notification, 0)[0],
            struct.unpack_from("I", notification, 8)[0],
            struct.unpack_from("i", notification, 16)[0],
        )


def respond(listener, notification_id, error=0, flags=0):
    """struct seccomp_notif_resp: val 0, error (a negative errno, or 0), flags."""
    response = bytearray(struct.pack("QqiI", notification_id, 0, error, flags))
    try:
        fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response, True)
    except OSError:
        pass  # the caller went away meanwhile

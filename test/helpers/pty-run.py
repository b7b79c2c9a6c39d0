#!/usr/bin/env python3
"""Run a command on a terminal of its own, like a user at a terminal emulator would, for tests of
`run`/`exec` with a terminal: the pty starts at --rows x --cols; once --resize-after text has
appeared in the output, the window becomes --resize-to ROWSxCOLS (the kernel then sends SIGWINCH
to the command, as for a real window resize); --input text is typed once --input-after text
has appeared. Everything the command writes is copied to stdout; the exit status is the
command's (128+N for signal N).

    pty-run.py --rows 24 --cols 80 [--resize-after TEXT --resize-to 50x132]
               [--input-after TEXT --input TEXT] -- command args...
"""
import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--rows', type=int, default=24)
    parser.add_argument('--cols', type=int, default=80)
    parser.add_argument('--resize-after')
    parser.add_argument('--resize-to')
    parser.add_argument('--input-after')
    parser.add_argument('--input')
    parser.add_argument('--timeout', type=float, default=20)
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ['--'] else args.command

    master, slave = os.openpty()
    set_size(slave, args.rows, args.cols)

    def become_terminal_owner():
        # A session of its own with this pty as controlling terminal (stdin is the slave).
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                             preexec_fn=become_terminal_owner)
    os.close(slave)
    seen = b''
    resized = typed = False
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b''
            if not data:
                break
            seen += data
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        if args.resize_after and not resized and args.resize_after.encode() in seen:
            rows, cols = (int(n) for n in args.resize_to.split('x'))
            set_size(master, rows, cols)
            resized = True
        if args.input_after is not None and not typed and args.input_after.encode() in seen:
            os.write(master, args.input.encode().decode('unicode_escape').encode())
            typed = True
        if not ready and child.poll() is not None:
            # The command is gone; keep reading until the terminal has nothing more.
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
    else:
        child.kill()
        sys.stderr.write('pty-run: timed out\n')
    status = child.wait()
    sys.exit(128 - status if status < 0 else status)


main()

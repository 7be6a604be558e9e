#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal, as sshd runs a login shell for `ssh -t`.

    on_pty.py INPUT COMMAND [ARG...]

INPUT is typed into the terminal at once; everything the terminal shows (carriage returns
removed) goes to stdout. Exits with the command's status (128 + signal), or 124 when it has
not ended within 15 s (then it is killed).
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    typed, argv = sys.argv[1].encode(), sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.write(fd, typed)
    shown, deadline = b"", time.monotonic() + 15
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the command and everything it started closed the terminal
            break
        if not data:
            break
        shown += data
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(shown.replace(b"\r", b""))
        return 124
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(shown.replace(b"\r", b""))
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


sys.exit(main())

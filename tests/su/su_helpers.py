#!/usr/bin/python3
"""Helpers for run-su.sh (Python standard library only).

  su_helpers.py serve DIR [FIFO...]
      Runs until killed (or 600 s): in DIR it writes
        trap.port    a listener the hostile proxy variables point at: every connection is
                     logged to trap.log (it must stay empty);
        proxy.port   an HTTP CONNECT proxy the admin may configure: every request line and
                     its header names go to proxy.log, then the tunnel is made;
        ready        once both listen.
      Each FIFO is a tripwire: a reader opening it (the module reading a file the user
      named) is logged to tripwire.log and gets end-of-file at once, so nothing hangs.

  su_helpers.py su PASSWORD|- SU-ARGUMENTS...
      Runs /bin/su SU-ARGUMENTS on a new pseudo-terminal, as the calling user with the
      calling environment. With a password, waits for su's "Password:" prompt and types it.
      Prints everything su wrote to the terminal after the prompt, exits with su's status
      (125 when the prompt never came).
"""
import os
import pty
import select
import signal
import socket
import sys
import threading
import time


def log_line(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def listen():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(32)
    return s


def trap_loop(sock, log):
    while True:
        conn, peer = sock.accept()
        conn.settimeout(0.5)
        try:
            first = conn.recv(200)
        except OSError:
            first = b""
        log_line(log, "connection from %s:%d first bytes %r" % (peer[0], peer[1], first))
        conn.close()


def pump(a, b):
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 30)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def proxy_client(conn, log):
    conn.settimeout(5)
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 16384:
            data = conn.recv(4096)
            if not data:
                break
            head += data
    except OSError:
        pass
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    names = [line.split(":", 1)[0].strip().lower() for line in lines[1:] if ":" in line]
    log_line(log, "%s | headers: %s" % (lines[0], ",".join(names)))
    parts = lines[0].split()
    if len(parts) != 3 or parts[0] != "CONNECT" or ":" not in parts[1]:
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    host, port = parts[1].rsplit(":", 1)
    try:
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
    except (OSError, ValueError):
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    conn.settimeout(None)
    upstream.settimeout(None)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    pump(conn, upstream)


def proxy_loop(sock, log):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=proxy_client, args=(conn, log), daemon=True).start()


def tripwire(path, log):
    while True:
        fd = os.open(path, os.O_WRONLY)  # blocks until a reader opens the FIFO
        log_line(log, "opened for reading: %s" % path)
        os.close(fd)
        time.sleep(0.05)


def serve(directory, fifos):
    trap, proxy = listen(), listen()
    for name in ("trap.log", "proxy.log", "tripwire.log"):
        open(os.path.join(directory, name), "a").close()
    threading.Thread(target=trap_loop, args=(trap, os.path.join(directory, "trap.log")),
                     daemon=True).start()
    threading.Thread(target=proxy_loop, args=(proxy, os.path.join(directory, "proxy.log")),
                     daemon=True).start()
    for path in fifos:
        threading.Thread(target=tripwire, args=(path, os.path.join(directory, "tripwire.log")),
                         daemon=True).start()
    for name, sock in (("trap.port", trap), ("proxy.port", proxy)):
        with open(os.path.join(directory, name), "w") as f:
            f.write("%d\n" % sock.getsockname()[1])
    open(os.path.join(directory, "ready"), "w").close()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    time.sleep(600)


def read_some(fd, timeout):
    readable, _, _ = select.select([fd], [], [], timeout)
    if not readable:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the terminal's other side is closed
        return b""


def run_su(password, args):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/su", ["su"] + args)
        os._exit(127)
    out = b""
    deadline = time.time() + 30
    if password != "-":
        while b"Password:" not in out and time.time() < deadline:
            data = read_some(fd, 0.5)
            if data == b"":
                break
            out += data or b""
        if b"Password:" not in out:
            sys.stdout.write("no password prompt; su wrote: %r\n" % out)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return 125
        out = out.split(b"Password:", 1)[1]
        time.sleep(0.1)  # su turns echo off before reading
        os.write(fd, password.encode() + b"\n")
    while time.time() < deadline:
        data = read_some(fd, 0.5)
        if data == b"":
            break
        out += data or b""
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
    return os.waitstatus_to_exitcode(status)


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        serve(argv[2], argv[3:])
        return 0
    if len(argv) >= 4 and argv[1] == "su":
        return run_su(argv[2], argv[3:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

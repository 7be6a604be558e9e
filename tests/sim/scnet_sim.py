#!/usr/bin/env python3
"""SCNet API simulator for the pam_scnet_quota tests, benchmark and demo.

Python standard library only.  Serves the quota endpoint
(GET /hpc/openapi/v2/parastor/quota/usernames/{username}), the token
endpoints (v3 AK/SK, v2 password, renewal, state) and a few /_sim/*
control endpoints, over HTTP and/or HTTPS.  See README.md beside this file.
"""

import argparse
import base64
import email.utils
import fcntl
import hashlib
import hmac
import http
import json
import os
import re
import secrets
import select
import selectors
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

TCP_INFO = getattr(socket, "TCP_INFO", 11)
QUOTA_PREFIX = "/hpc/openapi/v2/parastor/quota/usernames/"
JSON_CT = "application/json;charset=UTF-8"
HTML_CT = "text/html;charset=UTF-8"
MAX_REQUEST_BODY = 1 << 20

# Documented meanings of the API error codes (000_*.txt, "错误码").
API_ERRORS = {
    "10001": "内部错误",
    "10003": "参数不全",
    "10004": "参数无效",
    "10007": "用户已被冻结",
    "10008": "权限不足",
    "10009": "没有权限访问接口",
    "10010": "文件校验失败",
    "10011": "文件过大",
    "10012": "连接中断",
    "10013": "操作超时",
    "815005": "作业提交失败(调度系统没返回)",
    "815007": "作业提交失败(调度系统sbatch失败)",
}

CLUSTERS = (("0", "ac"), ("11250", "hefei"), ("11251", "kunshan"))
RENEW_GRACE_MS = 24 * 3600 * 1000

SLOW_SECONDS = 30.0
SLOW1_SECONDS = 1.0
TRICKLE_LENGTH = 4000  # under the client's 64 KiB cap, so only the clock stops it
TRICKLE_INTERVAL = 0.5
TRICKLE_MAX_SECONDS = 60.0
ENDLESS_MAX_BYTES = 10 * 1024 * 1024

HOSTILE_BODY = (
    '{"code":"0",'
    '"msg":"success\\u001b[2J\\u001b]0;pwned\\u0007\\r\\nFAKE: msg\\u009b31m\\u007f",'
    '"data":[{"username":%s,'
    '"path":"/public/home/hostile\\u001b[2J\\u001b]0;pwned\\u0007\\r\\nFAKE: root login ok\\u009b31m\\u007f",'
    '"threshold":100,"usage":95}]}'
)


# --------------------------------------------------------------------------
# helpers

def jdump(obj):
    """Compact JSON, UTF-8, non-ASCII kept as is (like the real Java service)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def jstr(s):
    return json.dumps(s, ensure_ascii=False)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def now_ms():
    return int(time.time() * 1000)


def header_text(value):
    """http.server decodes header bytes as latin-1; give back the UTF-8 text."""
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def du_gb(folder, gb_per_mb):
    """The apparent size of the files under folder (links not followed), in MB times
    gb_per_mb, rounded to 0.1: the usage of a "du" override."""
    total = 0
    for top, dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return round(total / 1e6 * gb_per_mb, 1)


def entry(user, path, threshold, usage):
    return {"username": user, "path": path, "threshold": threshold, "usage": usage}


def ok_reply(data):
    return jdump({"code": "0", "msg": "success", "data": data})


def one_entry(user, threshold, usage):
    return ok_reply([entry(user, "/public/home/" + user, threshold, usage)])


# --------------------------------------------------------------------------
# certificates

def _run_openssl(args, cwd):
    res = subprocess.run(["openssl"] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], res.stderr.decode(errors="replace")))


def make_certs(cert_dir):
    """Create cert_dir/{ca.pem,ca.key,server.pem,server.key} with the openssl CLI
    unless ca.pem, server.pem and server.key already exist.  Safe against
    concurrent callers (flock).  Returns the absolute path of ca.pem."""
    cert_dir = os.path.abspath(cert_dir)
    os.makedirs(cert_dir, exist_ok=True)
    names = ("ca.pem", "server.pem", "server.key")
    with open(os.path.join(cert_dir, ".lock"), "a") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        if all(os.path.exists(os.path.join(cert_dir, n)) for n in names):
            return os.path.join(cert_dir, "ca.pem")
        tmp = tempfile.mkdtemp(prefix=".gen-", dir=cert_dir)
        old_umask = os.umask(0o077)
        try:
            # Our own config, not the system's: OpenSSL 1.1.1's openssl.cnf adds its
            # v3_ca section to `req -x509`, and -addext on top of it gives the CA two Basic
            # Constraints, which verification rejects. This one works on 1.1.1 and 3.x.
            with open(os.path.join(tmp, "req.cnf"), "w") as f:
                f.write("[req]\n"
                        "distinguished_name = dn\n"
                        "x509_extensions = ca_ext\n"
                        "prompt = no\n"
                        "[dn]\n"
                        "CN = scnet-sim\n"
                        "[ca_ext]\n"
                        "basicConstraints = critical,CA:TRUE\n"
                        "keyUsage = critical,keyCertSign,cRLSign\n"
                        "subjectKeyIdentifier = hash\n")
            ec = ["-config", "req.cnf", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes"]
            _run_openssl(["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-sha256",
                "-subj", "/CN=scnet-sim throwaway CA"], tmp)
            _run_openssl(["req", "-new"] + ec + [
                "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost"], tmp)
            with open(os.path.join(tmp, "server.ext"), "w") as f:
                f.write("basicConstraints=critical,CA:FALSE\n"
                        "keyUsage=critical,digitalSignature,keyEncipherment\n"
                        "extendedKeyUsage=serverAuth\n"
                        "subjectKeyIdentifier=hash\n"
                        "authorityKeyIdentifier=keyid,issuer\n"
                        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
            _run_openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
                          "-CAkey", "ca.key", "-set_serial",
                          str(secrets.randbits(63) + 1), "-days", "2", "-sha256",
                          "-extfile", "server.ext", "-out", "server.pem"], tmp)
            for n, mode in (("ca.key", 0o600), ("server.key", 0o600),
                            ("ca.pem", 0o644), ("server.pem", 0o644)):
                os.chmod(os.path.join(tmp, n), mode)
            # ca.pem last: its presence marks a complete set.
            for n in ("ca.key", "server.key", "server.pem", "ca.pem"):
                os.replace(os.path.join(tmp, n), os.path.join(cert_dir, n))
        finally:
            os.umask(old_umask)
            shutil.rmtree(tmp, ignore_errors=True)
        return os.path.join(cert_dir, "ca.pem")


# --------------------------------------------------------------------------
# shared state

class SimState:
    def __init__(self, static_token, aksk, passwords, token_life, verbose, latency_ms=0.0):
        self.lock = threading.Lock()
        self.default_latency_ms = latency_ms
        self.static_token = static_token
        self.aksk = aksk              # user -> (ak, sk)
        self.passwords = passwords    # user -> (password, orgId)
        self.default_token_life = token_life
        self.token_life = token_life
        self.verbose = verbose
        self.stopping = threading.Event()
        self.jwt_secret = secrets.token_bytes(32)
        self.tokens = {}              # token -> [user, clusterId, expire_ms]
        self._reset_locked()

    def _reset_locked(self):
        self.quota_requests = 0
        self.quota_denied = 0
        self.quota_by_user = {}
        self.token_by_kind = {"aksk": 0, "password": 0, "next": 0}
        self.token_state_requests = 0
        self.last_headers = {}
        self.last_quota_path = None
        self.overrides = {}
        self.token_service_down = False
        self.token_service_delay = 0.0
        self.token_life = self.default_token_life
        self.latency_ms = self.default_latency_ms
        self.tcp_connections = {"http": 0, "https": 0}
        self.tls_handshakes = 0

    def reset(self):
        with self.lock:
            self._reset_locked()

    # counting ---------------------------------------------------------
    def count_quota(self, user, headers, raw_path):
        hdrs = {}
        for k, v in headers.items():
            k = k.lower()
            v = header_text(v)
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        with self.lock:
            self.quota_requests += 1
            self.quota_by_user[user] = self.quota_by_user.get(user, 0) + 1
            self.last_headers = hdrs
            self.last_quota_path = raw_path
            ov = self.overrides.get(user)
            return dict(ov) if ov else None

    def count_connection(self, tls, handshake_done):
        with self.lock:
            self.tcp_connections["https" if tls else "http"] += 1
            if handshake_done:
                self.tls_handshakes += 1

    def set_latency(self, ms):
        ms = float(ms)
        if not 0 <= ms <= 60000:
            raise ValueError("'ms' must be from 0 to 60000")
        with self.lock:
            self.latency_ms = ms

    def latency_s(self):
        with self.lock:
            return self.latency_ms / 1000.0

    def count_denied(self):
        with self.lock:
            self.quota_denied += 1

    def count_token(self, kind):
        with self.lock:
            if kind == "state":
                self.token_state_requests += 1
            else:
                self.token_by_kind[kind] += 1
            return self.token_service_down, self.token_service_delay

    def stats(self):
        with self.lock:
            return {
                "quota_requests": self.quota_requests,
                "quota_by_user": dict(self.quota_by_user),
                "token_requests": sum(self.token_by_kind.values()),
                "token_by_kind": dict(self.token_by_kind),
                "last_headers": dict(self.last_headers),
                "last_quota_path": self.last_quota_path,
                "quota_denied": self.quota_denied,
                "token_state_requests": self.token_state_requests,
                "tokens_issued": len(self.tokens),
                "tcp_connections": dict(self.tcp_connections),
                "tls_handshakes": self.tls_handshakes,
                "latency_ms": self.latency_ms,
            }

    # overrides --------------------------------------------------------
    def set_override(self, spec):
        user = spec.get("user")
        if not isinstance(user, str) or not user:
            raise ValueError("'user' (a non-empty string) is required")
        with self.lock:
            ov = self.overrides.setdefault(user, {})
            if "down" in spec:
                ov["down"] = bool(spec["down"])
            if "usage" in spec or "threshold" in spec:
                ov.pop("scenario", None)
                ov["usage"] = spec.get("usage", ov.get("usage", 0))
                ov["threshold"] = spec.get("threshold", ov.get("threshold", 700))
            if "scenario" in spec:
                ov.pop("usage", None)
                ov.pop("threshold", None)
                ov.pop("du", None)
                ov["scenario"] = str(spec["scenario"])
            if "du" in spec:
                # Usage measured from a real folder at each request (du of its files), so a
                # test that deletes files there sees the figure fall: gb_per_mb scales the
                # few megabytes a test writes to quota-sized figures.
                if not isinstance(spec["du"], str) or not os.path.isabs(spec["du"]):
                    raise ValueError("'du' must be an absolute path")
                scale = float(spec.get("gb_per_mb", 1.0))
                if not 0 < scale <= 1e6:
                    raise ValueError("'gb_per_mb' must be above 0, at most 1e6")
                ov.pop("scenario", None)
                ov["du"] = spec["du"]
                ov["gb_per_mb"] = scale
                ov["usage"] = 0
                ov["threshold"] = spec.get("threshold", ov.get("threshold", 700))

    def set_token_service(self, spec):
        delay = float(spec.get("delay", 0))
        if not 0 <= delay <= 60:
            raise ValueError("'delay' must be 0 to 60 seconds")
        with self.lock:
            self.token_service_down = bool(spec.get("down", False))
            self.token_service_delay = delay

    def set_token_life(self, seconds):
        with self.lock:
            self.token_life = float(seconds)

    # tokens -----------------------------------------------------------
    def _make_token_locked(self, user, cluster_id):
        exp = now_ms() + int(self.token_life * 1000)
        header = b64url(b'{"alg":"HS256","typ":"JWT"}')
        payload = b64url(jdump({"user": user, "clusterId": cluster_id, "expireTime": exp,
                                "jti": secrets.token_hex(8)}))
        signing_input = (header + "." + payload).encode("ascii")
        sig = b64url(hmac.new(self.jwt_secret, signing_input, hashlib.sha256).digest())
        tok = header + "." + payload + "." + sig
        self.tokens[tok] = [user, cluster_id, exp]
        return tok

    def issue_tokens(self, user):
        data = []
        with self.lock:
            for cid, cname in CLUSTERS:
                if user == "suspended" and cid != "0":
                    tok = None
                else:
                    tok = self._make_token_locked(user, cid)
                data.append({"clusterId": cid, "clusterName": cname, "token": tok})
        return data

    def renew_token(self, tok):
        with self.lock:
            rec = self.tokens.get(tok) if tok else None
            if rec is None or now_ms() - rec[2] >= RENEW_GRACE_MS:
                return None
            return self._make_token_locked(rec[0], rec[1])

    def token_valid(self, tok, regional_only):
        if not tok:
            return False
        if self.static_token and hmac.compare_digest(tok.encode("latin-1", "replace"),
                                                     self.static_token.encode("latin-1", "replace")):
            return True
        with self.lock:
            rec = self.tokens.get(tok)
            if rec is None:
                return False
            if regional_only and rec[1] == "0":
                return False
            return now_ms() < rec[2]

    def expire_tokens(self):
        n = now_ms()
        with self.lock:
            for rec in self.tokens.values():
                if rec[2] > n:
                    rec[2] = n
            return len(self.tokens)


# --------------------------------------------------------------------------
# scenarios

def scenario_reply(scn, user):
    """Return (status, body, content_type, extra_headers) or a str naming a
    streaming scenario handled by the request handler."""
    home = "/public/home/" + user
    if scn == "low":
        return 200, one_entry(user, 700, 100.0), JSON_CT, None
    if scn == "near":
        return 200, one_entry(user, 700, 651.0), JSON_CT, None
    if scn == "over":
        return 200, one_entry(user, 700, 735.0), JSON_CT, None
    if scn == "full":
        return 200, one_entry(user, 700, 700), JSON_CT, None
    if scn == "multi":
        return 200, ok_reply([
            entry(user, home, 700, 120.5),
            entry(user, "/work/" + user, 1000, 950),
            entry(user, "/scratch/" + user, 0, 12),
            entry("someoneelse", "/public/home/someoneelse", 100, 999),
        ]), JSON_CT, None
    if scn == "nolimit":
        return 200, ok_reply([{"username": user, "path": home, "usage": 5000}]), JSON_CT, None
    if scn == "strings":
        return 200, jdump({"code": 0, "msg": "success", "data": [
            entry(user, home, "700", "665.0")]}), JSON_CT, None
    m = re.fullmatch(r"apierr-(\d+)", scn)
    if m:
        code = m.group(1)
        return 200, jdump({"code": code, "msg": API_ERRORS.get(code, "error"),
                           "data": None}), JSON_CT, None
    if scn == "http500":
        return 500, (b"<html><head><title>500 Internal Server Error</title></head>"
                     b"<body><h1>500 Internal Server Error</h1></body></html>"), HTML_CT, None
    if scn == "http404":
        return 404, jdump({"code": "10004", "msg": "not found"}), JSON_CT, None
    if scn == "malformed":
        return 200, b'{"code":"0","msg":"success","data":[{"username":', JSON_CT, None
    if scn == "trailing":
        return 200, one_entry(user, 700, 100.0) + b" garbage", JSON_CT, None
    if scn == "notjson":
        return 200, b"<html>hello</html>", HTML_CT, None
    if scn == "negative":
        return 200, one_entry(user, 700, -5), JSON_CT, None
    if scn == "nan":
        body = ('{"code":"0","msg":"success","data":[{"username":%s,"path":%s,'
                '"threshold":700,"usage": NaN}]}' % (jstr(user), jstr(home)))
        return 200, body.encode("utf-8"), JSON_CT, None
    if scn == "huge":
        body = ('{"code":"0","msg":"success","data":[{"username":%s,"path":%s,'
                '"threshold":700,"usage":1e400}]}' % (jstr(user), jstr(home)))
        return 200, body.encode("utf-8"), JSON_CT, None
    if scn == "toomany":
        return 200, ok_reply([entry(user, "%s/p%02d" % (home, i), 700, float(i))
                              for i in range(65)]), JSON_CT, None
    if scn == "longstring":
        prefix = home + "/"
        path = prefix + "x" * max(0, 5000 - len(prefix))
        return 200, ok_reply([entry(user, path, 700, 100.0)]), JSON_CT, None
    if scn == "redirect":
        return 302, b"", None, [("Location", "http://127.0.0.1:1/elsewhere")]
    if scn == "hostile":
        return 200, (HOSTILE_BODY % jstr(user)).encode("utf-8"), JSON_CT, None
    if scn == "hostilecode":
        # An error code that tries to reach the admin's terminal and fake a log line.
        return 200, jdump({"code": "10008\u001b]0;pwned\u0007\u009b31m\nFAKE: ok",
                           "msg": "x", "data": None}), JSON_CT, None
    if scn == "badutf8":
        body = (b'{"code":"0","msg":"success","data":[{"username":' + jstr(user).encode("utf-8")
                + b',"path":"/public/home/badutf8/\xff\xfe\xc0\xaf","threshold":700,"usage":100.0}]}')
        return 200, body, JSON_CT, None
    if scn in ("slow", "slow1", "trickle", "endless"):
        return scn
    return 200, one_entry(user, 700, 42.0), JSON_CT, None


SCENARIOS = ["low", "near", "over", "full", "multi", "nolimit", "strings", "apierr-NNNNN",
             "http500", "http404", "malformed", "trailing", "notjson", "negative", "nan",
             "huge", "toomany", "longstring", "slow", "slow1", "trickle", "endless",
             "redirect", "hostile", "hostilecode", "badutf8"]


# --------------------------------------------------------------------------
# HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scnet-sim"
    sys_version = ""
    timeout = 120  # idle keep-alive connections / stalled clients

    @property
    def sim(self):
        return self.server.sim

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.sim.verbose:
            sys.stderr.write("scnet_sim: %s %s\n" % (self.address_string(), fmt % args))

    # -- low level output ---------------------------------------------
    def _head(self, status, ctype, length, extra=None, close=False):
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        lines = ["HTTP/1.1 %d %s" % (status, reason),
                 "Server: scnet-sim",
                 "Date: " + email.utils.formatdate(usegmt=True)]
        if ctype:
            lines.append("Content-Type: " + ctype)
        if length is not None:
            lines.append("Content-Length: %d" % length)
        for k, v in extra or ():
            lines.append("%s: %s" % (k, v))
        if close or self.close_connection:
            self.close_connection = True
            lines.append("Connection: close")
        self.log_request(status, length if length is not None else "-")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, status, body=b"", ctype=JSON_CT, extra=None, close=False):
        self.wfile.write(self._head(status, ctype, len(body), extra, close) + body)

    def _send_json(self, status, obj, close=False):
        self._send(status, jdump(obj), JSON_CT, close=close)

    def _read_body(self):
        """Read the request body; None if an error reply was sent."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            data = b""
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self._send_json(400, {"ok": False, "error": "bad chunk"}, close=True)
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                if len(data) + size > MAX_REQUEST_BODY:
                    self._send_json(413, {"ok": False, "error": "body too large"}, close=True)
                    return None
                data += self.rfile.read(size)
                self.rfile.readline(1024)
        cl = self.headers.get("Content-Length")
        if not cl:
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self._send_json(400, {"ok": False, "error": "bad Content-Length"}, close=True)
            return None
        if n > MAX_REQUEST_BODY:
            self._send_json(413, {"ok": False, "error": "body too large"}, close=True)
            return None
        return self.rfile.read(n) if n else b""

    # -- waiting -------------------------------------------------------
    def _client_gone(self):
        """Cheap check whether the client has closed its end."""
        sock = self.connection
        try:
            # Linux: a FIN from the peer moves the socket to CLOSE_WAIT (8),
            # a reset to CLOSE (7).  Works under TLS too, where a pending
            # (encrypted) close_notify hides the FIN from a peek.
            state = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 1)[0]
            if state in (7, 8):
                return True
        except (OSError, ValueError, IndexError):
            pass
        if self.server.ssl_ctx is not None:
            return False
        try:
            r, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not r:
            return False
        try:
            return socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def _wait(self, seconds):
        """Sleep; False if the server stops or the client goes away first."""
        deadline = time.monotonic() + seconds
        while True:
            rem = deadline - time.monotonic()
            if rem <= 0:
                return True
            if self.sim.stopping.wait(min(0.2, rem)):
                return False
            if self._client_gone():
                return False

    # -- dispatch ------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def _dispatch(self, method):
        body = self._read_body()
        if body is None:
            return
        raw = self.path
        path = raw.split("?", 1)[0]
        if path.startswith("/_sim/"):
            return self._control(method, raw, path, body)
        if method == "GET" and path.startswith(QUOTA_PREFIX):
            seg = path[len(QUOTA_PREFIX):]
            if seg and "/" not in seg:
                return self._quota(raw, unquote(seg, errors="replace"))
        if not self._latency():
            return
        if method == "POST" and path == "/api/user/v3/tokens":
            return self._token_aksk()
        elif method == "POST" and path == "/ac/openapi/v2/tokens":
            return self._token_password()
        elif method == "POST" and path == "/ac/openapi/v2/tokens/next":
            return self._token_next()
        elif method == "GET" and path == "/ac/openapi/v2/tokens/state":
            return self._token_state()
        self._send_json(404, {"code": "10004", "msg": "not found"})

    # -- quota ---------------------------------------------------------
    def _latency(self):
        """Stand in for the network between a node and the real API: wait before answering.
        False when the client left meanwhile (the connection is then closed)."""
        latency = self.sim.latency_s()
        if latency > 0 and not self._wait(latency):
            self.close_connection = True
            return False
        return True

    def _quota(self, raw, user):
        # Counted on arrival: a client that gives up during the latency was still a request.
        ov = self.sim.count_quota(user, self.headers, raw)
        if not self._latency():
            return
        if ov and ov.get("down"):
            return self._send(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                              HTML_CT)
        if not self.sim.token_valid(header_text(self.headers.get("token")), True):
            self.sim.count_denied()
            return self._send_json(200, {"code": "10008", "msg": "权限不足", "data": None})
        if ov and "usage" in ov:
            thr = ov.get("threshold")
            e = {"username": user, "path": "/public/home/" + user}
            if thr is not None:
                e["threshold"] = thr
            e["usage"] = du_gb(ov["du"], ov["gb_per_mb"]) if "du" in ov else ov["usage"]
            return self._send(200, ok_reply([e]))
        scn = ov["scenario"] if ov and "scenario" in ov else user
        r = scenario_reply(scn, user)
        if isinstance(r, str):
            return getattr(self, "_stream_" + r)(user)
        status, body, ctype, extra = r
        self._send(status, body, ctype, extra)

    def _stream_slow(self, user):
        if self._wait(SLOW_SECONDS):
            self._send(200, one_entry(user, 700, 100.0))
        else:
            self.close_connection = True

    def _stream_slow1(self, user):
        if self._wait(SLOW1_SECONDS):
            self._send(200, one_entry(user, 700, 651.0))
        else:
            self.close_connection = True

    def _stream_trickle(self, user):
        body = one_entry(user, 700, 100.0)
        self.wfile.write(self._head(200, JSON_CT, TRICKLE_LENGTH, close=True))
        steps = int(TRICKLE_MAX_SECONDS / TRICKLE_INTERVAL)
        for i in range(steps):
            if not self._wait(TRICKLE_INTERVAL):
                return
            try:
                self.wfile.write(body[i:i + 1] or b" ")
            except OSError:
                return

    def _stream_endless(self, user):
        self.wfile.write(self._head(200, JSON_CT, None, close=True))
        item = b'{"username":"endless","path":"/p","threshold":1,"usage":1},'
        block = item * (65536 // len(item))
        sent = 0
        try:
            self.wfile.write(b'{"code":"0","msg":"success","data":[')
            while sent < ENDLESS_MAX_BYTES and not self.sim.stopping.is_set():
                self.wfile.write(block)
                sent += len(block)
        except OSError:
            return

    # -- tokens --------------------------------------------------------
    def _token_fail(self, code, msg):
        self._send_json(200, {"code": code, "msg": msg, "data": None})

    def _token_down(self):
        self._send(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>", HTML_CT)

    def _token_unavailable(self, kind):
        """Counts the request; True when it has been answered already (service down) or
        the client left while the service was slow."""
        down, delay = self.sim.count_token(kind)
        if delay > 0 and not self._wait(delay):
            self.close_connection = True
            return True
        if down:
            self._token_down()
            return True
        return False

    def _token_aksk(self):
        if self._token_unavailable("aksk"):
            return
        h = self.headers
        user, ak = header_text(h.get("user")), header_text(h.get("accessKey"))
        ts, sig = header_text(h.get("timestamp")), header_text(h.get("signature"))
        try:
            tsv = float(ts)
            if tsv != tsv:
                raise ValueError
        except (TypeError, ValueError):
            return self._token_fail("10004", "invalid timestamp")
        if abs(time.time() - tsv) > 300:
            return self._token_fail("10004", "timestamp expired")
        acct = self.sim.aksk.get(user) if user is not None else None
        if acct is None or ak is None or not hmac.compare_digest(
                acct[0].encode("utf-8"), ak.encode("utf-8")) or sig is None:
            return self._token_fail("10008", "signature mismatch")
        msg = ('{"accessKey":%s,"timestamp":%s,"user":%s}' % (jstr(ak), jstr(ts), jstr(user)))
        expected = hmac.new(acct[1].encode("utf-8"), msg.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), sig.encode("utf-8", "replace")):
            return self._token_fail("10008", "signature mismatch")
        self._send_json(200, {"code": "0", "msg": "success", "data": self.sim.issue_tokens(user)})

    def _token_password(self):
        if self._token_unavailable("password"):
            return
        h = self.headers
        user, pw, org = (header_text(h.get("user")), header_text(h.get("password")),
                         header_text(h.get("orgId")))
        acct = self.sim.passwords.get(user) if user is not None else None
        if acct is None or pw is None or org is None or (pw, org) != acct:
            return self._token_fail("10008", "权限不足")
        self._send_json(200, {"code": "0", "msg": "success", "data": self.sim.issue_tokens(user)})

    def _token_next(self):
        if self._token_unavailable("next"):
            return
        tok = self.sim.renew_token(header_text(self.headers.get("token")))
        if tok is None:
            return self._token_fail("10008", "权限不足")
        self._send_json(200, {"code": "0", "msg": "success", "data": tok})

    def _token_state(self):
        if self._token_unavailable("state"):
            return
        ok = self.sim.token_valid(header_text(self.headers.get("token")), False)
        self._send_json(200, {"code": "0", "msg": "success", "data": ok})

    # -- control -------------------------------------------------------
    def _control(self, method, raw, path, body):
        sim = self.sim
        if path == "/_sim/stats" and method in ("GET", "POST"):
            return self._send_json(200, sim.stats())
        if path == "/_sim/ping" and method in ("GET", "POST"):
            return self._send_json(200, {"ok": True, "pid": os.getpid()})
        if method != "POST":
            return self._send_json(404, {"code": "10004", "msg": "not found"})
        if path == "/_sim/reset":
            sim.reset()
            return self._send_json(200, {"ok": True})
        if path == "/_sim/expire-tokens":
            n = sim.expire_tokens()
            return self._send_json(200, {"ok": True, "tokens": n})
        if path in ("/_sim/set", "/_sim/token-service", "/_sim/token-life", "/_sim/latency"):
            try:
                spec = json.loads(body.decode("utf-8") or "{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                if path == "/_sim/latency":
                    query = parse_qs(raw.split("?", 1)[1]) if "?" in raw else {}
                    sim.set_latency(query["ms"][0] if "ms" in query else spec["ms"])
                elif path == "/_sim/set":
                    sim.set_override(spec)
                elif path == "/_sim/token-service":
                    sim.set_token_service(spec)
                else:
                    sim.set_token_life(spec["seconds"])
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                return self._send_json(400, {"ok": False, "error": str(e)})
            return self._send_json(200, {"ok": True})
        self._send_json(404, {"code": "10004", "msg": "not found"})


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False        # never join handler threads on close
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, addr, sim, ssl_ctx, family, handshake_timeout=10.0):
        self.address_family = family
        self.sim = sim
        self.ssl_ctx = ssl_ctx
        self.handshake_timeout = handshake_timeout
        super().__init__(addr, Handler)

    def server_bind(self):
        # Skip HTTPServer.server_bind: its getfqdn() may wait on DNS.
        if self.address_family == socket.AF_INET6:
            try:
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            except OSError:
                pass
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            self.sim.count_connection(False, False)
            return super().finish_request(request, client_address)
        # TLS handshake here, in the connection's own thread, not in accept(). A client that
        # says nothing for handshake_timeout seconds is dropped: a connection reset for it.
        request.settimeout(self.handshake_timeout)
        try:
            conn = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            self.sim.count_connection(True, False)
            return
        # Every completed handshake counts, a resumed one too: each is a round trip or two.
        self.sim.count_connection(True, True)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def serve_until(self, wake_fd):
        """Accept loop without periodic wake-ups: it sleeps in select() until a
        client connects or wake_fd (a pipe) becomes readable at shutdown."""
        with selectors.DefaultSelector() as sel:
            sel.register(self.socket, selectors.EVENT_READ)
            sel.register(wake_fd, selectors.EVENT_READ)
            while not self.sim.stopping.is_set():
                for key, _ in sel.select():
                    if key.fd == wake_fd or self.sim.stopping.is_set():
                        return
                    self._handle_request_noblock()

    def handle_error(self, request, client_address):
        if self.sim.verbose:
            super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# main

def parse_account(spec, what):
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise argparse.ArgumentTypeError("%s must be USER:%s" % (what, what.split(":", 1)[1]))
    return parts


def write_ready(path, info):
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".ready-", dir=d)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="SCNet API simulator (tests/benchmark/demo).")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--http-port", type=int)
    ap.add_argument("--https-port", type=int)
    ap.add_argument("--cert-dir")
    ap.add_argument("--token", default="sim-static-token")
    ap.add_argument("--ready-file")
    ap.add_argument("--aksk", action="append", default=[], metavar="USER:AK:SK")
    ap.add_argument("--password", action="append", default=[], metavar="USER:PW:ORGID")
    ap.add_argument("--token-life", type=float, default=3600.0, metavar="SECONDS")
    ap.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                    help="wait this long before answering each API request")
    ap.add_argument("--handshake-timeout", type=float, default=10.0, metavar="SECONDS",
                    help="drop a TLS client silent this long during its handshake")
    ap.add_argument("--make-certs", metavar="DIR", help="create the CA and server cert in DIR, then exit")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    if args.make_certs:
        try:
            ca = make_certs(args.make_certs)
        except (OSError, RuntimeError) as e:
            print("scnet_sim: %s" % e, file=sys.stderr)
            return 1
        if args.verbose:
            print(ca)
        return 0

    if args.http_port is None and args.https_port is None:
        ap.error("give --http-port and/or --https-port")
    if args.handshake_timeout <= 0:
        ap.error("--handshake-timeout must be more than 0")

    aksk, passwords = {}, {}
    try:
        for s in args.aksk:
            u, ak, sk = parse_account(s, "--aksk USER:AK:SK")
            aksk[u] = (ak, sk)
        for s in args.password:
            if s.count(":") < 2 or s.startswith(":"):
                raise argparse.ArgumentTypeError("--password must be USER:PW:ORGID")
            # a password may contain ':'; the orgId is the last field
            u, rest = s.split(":", 1)
            pw, org = rest.rsplit(":", 1)
            passwords[u] = (pw, org)
    except argparse.ArgumentTypeError as e:
        ap.error(str(e))

    stop = threading.Event()

    def on_signal(signum, frame):
        if stop.is_set():
            os._exit(1)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ready = os.path.abspath(args.ready_file) if args.ready_file else None
    if ready:
        try:
            os.unlink(ready)
        except FileNotFoundError:
            pass

    sim = SimState(args.token, aksk, passwords, args.token_life, args.verbose, args.latency_ms)
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    servers = []
    ca_path = None
    tmp_cert_dir = None
    try:
        if args.http_port is not None:
            servers.append(SimServer((args.bind, args.http_port), sim, None, family))
        if args.https_port is not None:
            cert_dir = args.cert_dir
            if not cert_dir:
                tmp_cert_dir = cert_dir = tempfile.mkdtemp(prefix="scnet-sim-certs-")
            ca_path = make_certs(cert_dir)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(os.path.dirname(ca_path), "server.pem"),
                                os.path.join(os.path.dirname(ca_path), "server.key"))
            ctx.set_alpn_protocols(["http/1.1"])
            servers.append(SimServer((args.bind, args.https_port), sim, ctx, family,
                                      args.handshake_timeout))
    except (OSError, RuntimeError, ssl.SSLError) as e:
        print("scnet_sim: cannot start: %s" % e, file=sys.stderr)
        for s in servers:
            s.server_close()
        if tmp_cert_dir:
            shutil.rmtree(tmp_cert_dir, ignore_errors=True)
        return 1

    wake_r, wake_w = os.pipe()
    threads = []
    for s in servers:
        t = threading.Thread(target=s.serve_until, args=(wake_r,),
                             name="serve-%d" % s.server_port, daemon=True)
        t.start()
        threads.append(t)

    http_port = servers[0].server_port if args.http_port is not None else None
    https_port = servers[-1].server_port if args.https_port is not None else None
    info = {"pid": os.getpid(), "http_port": http_port, "https_port": https_port,
            "ca": os.path.abspath(ca_path) if ca_path else None, "bind": args.bind}
    if ready:
        write_ready(ready, info)
    if args.verbose:
        print("scnet_sim: ready %s" % json.dumps(info), file=sys.stderr, flush=True)

    while not stop.wait(3600):
        pass

    sim.stopping.set()
    os.write(wake_w, b"x")
    for t in threads:
        t.join(2.0)
    for s in servers:
        try:
            s.server_close()
        except OSError:
            pass
    if ready:
        try:
            os.unlink(ready)
        except OSError:
            pass
    if tmp_cert_dir:
        shutil.rmtree(tmp_cert_dir, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # do not wait for handler threads stuck in I/O


if __name__ == "__main__":
    sys.exit(main())

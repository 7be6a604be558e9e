#!/usr/bin/env python3
"""Benchmark of pam_scnet_quota: what a session open costs, as whole processes.

Every login is one process (session_child: pam_start_confdir + pam_open_session + pam_end
through the real libpam, as sshd's session stage does), started with fork/exec and reaped
with wait4 by bench/runner (C), which times it with CLOCK_MONOTONIC and reports ru_maxrss.
The "client floor" is one process too (bench/client_floor): the module's request alone.
The cases run side by side, interleaved round-robin in a shuffled order, so that machine
noise hits them alike. The SCNet API simulator runs on loopback. Nothing is asserted about
timings; a login that fails where it should succeed, or a request count that cannot be
read, stops the run with an error.

Normally started by bench/run-bench.sh, which builds what this needs.
"""
import argparse
import ctypes
import datetime
import glob
import json
import os
import random
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QUOTA_PATH = "/hpc/openapi/v2/parastor/quota/usernames/"
# Debian/Ubuntu multiarch folders (x86_64, aarch64, ...), then RHEL's lib64 and plain lib.
LIB_DIRS = sorted(glob.glob("/usr/lib/*-linux-gnu*")) + sorted(glob.glob("/lib/*-linux-gnu*")) + [
    "/usr/lib64", "/lib64", "/usr/lib", "/lib"]
PAM_DIRS = [os.path.join(d, "security") for d in LIB_DIRS]
# The heading of bench/hit_pamtester.py's section of RESULTS.md, kept when this rewrites it.
HIT_SECTION = "## A cache hit as a whole `pamtester` process (issue 18)"
WARN_USAGE, THRESHOLD = 651.0, 700.0  # 93.0%: every login with an answer shows a warning


class BenchError(Exception):
    pass


def find_file(names, dirs):
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if os.path.exists(p):
                return p
    raise BenchError("cannot find %s in %s" % (" or ".join(names), ", ".join(dirs)))


def write_private(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# --------------------------------------------------------------------------- simulator

class Simulator:
    """tests/support/sim-start.sh in a run dir of our own: ports, CA and token file."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        out = subprocess.run([os.path.join(ROOT, "tests/support/sim-start.sh"), run_dir],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise BenchError("simulator did not start:\n" + out.stdout + out.stderr)
        with open(os.path.join(run_dir, "ready.json")) as f:
            ready = json.load(f)
        self.http_port = ready["http_port"]
        self.https_port = ready["https_port"]
        self.ca = os.path.join(run_dir, "certs", "ca.pem")
        self.token_file = os.path.join(run_dir, "token")
        with open(self.token_file) as f:
            self.token = f.read().strip()
        # No proxy from the environment for the control requests.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path),
                                     data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with self.opener.open(req, timeout=10) as resp:
            return json.loads(resp.read().decode())

    def stats(self):
        try:
            return self.control("GET", "/_sim/stats")
        except Exception as e:  # noqa: BLE001 - any failure here must stop the run
            raise BenchError("cannot read /_sim/stats: %s" % e)

    def quota_by_user(self):
        counts = self.stats().get("quota_by_user")
        if not isinstance(counts, dict):
            raise BenchError("/_sim/stats: quota_by_user is not an object")
        return counts

    def stop(self):
        subprocess.run([os.path.join(ROOT, "tests/support/sim-stop.sh"), self.run_dir])


class Blackhole:
    """A dead API: accepts TCP connections and never answers (counts them)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns = []
        self.lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
                # The clients are gone after their timeout: do not hoard descriptors.
                if len(self.conns) > 64:
                    for c in self.conns[:-64]:
                        c.close()
                    del self.conns[:-64]

    def count(self):
        with self.lock:
            return self.accepted

    def close(self):
        self.closing = True
        self.sock.close()
        with self.lock:
            for c in self.conns:
                c.close()


# --------------------------------------------------------------------------- process runner

class Runner:
    """bench/runner: fork/exec + wait4 of login processes, from a process that is small."""

    def __init__(self, path, child_env):
        args = [path]
        for k, v in child_env.items():
            args += ["-e", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, start_new_session=True,
                                     env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        self.pending = b""

    def batch(self, mode, jobs, limit_s):
        """jobs: [(outfile, argv)]; returns [(status, ms, maxrss_kib, cpu_ms)]."""
        lines = ["BATCH %s %d\n" % (mode, len(jobs))]
        for out, argv in jobs:
            lines.append("\t".join([out] + list(argv)) + "\n")
        self.proc.stdin.write("".join(lines))
        self.proc.stdin.flush()
        results = [None] * len(jobs)
        deadline = time.monotonic() + limit_s
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" not in self.pending:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    self.kill()
                    raise BenchError("a batch of %d login(s) did not end within %.0f s: "
                                     "a login hangs (first: %s)" % (len(jobs), limit_s, jobs[0][1]))
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError("bench/runner exited unexpectedly")
                self.pending += chunk
            line, self.pending = self.pending.split(b"\n", 1)
            if line.strip() == b"END":
                break
            i, _pid, status, ns, rss, ut, st = (int(x) for x in line.split())
            results[i] = (status, ns / 1e6, rss, (ut + st) / 1e3)
        return results

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# --------------------------------------------------------------------------- cases

class Case:
    def __init__(self, key, label, service, users, count, check, burst=False, reqs=None):
        self.key = key
        self.label = label
        self.service = service
        self.users = users          # one user, or the users of a burst
        self.count = count          # logins (single) or bursts (burst)
        self.check = check          # fn(output) -> None or the reason it is wrong
        self.burst = burst
        self.reqs = reqs            # "sim", "sim200", "none", or a Blackhole
        self.samples = []           # (ms, rss, cpu_ms)
        self.requests = []          # per burst, or one total for single cases


def expect(*needles, forbid=()):
    def check(out):
        for n in needles:
            if n not in out:
                return "expected %r in the output" % n
        for n in forbid:
            if n in out:
                return "did not expect %r in the output" % n
        return None
    return check


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(1, -(-len(sorted_values) * p // 100))  # ceil
    return sorted_values[int(k) - 1]


def median(values):
    v = sorted(values)
    n = len(v)
    return float("nan") if n == 0 else (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="scnet-bench.")
        os.chmod(self.tmp, 0o700)
        self.sim = None
        self.runner = None
        self.holes = []
        self.seq = 0

    # ---- setup
    def setup(self):
        a = self.args
        t = self.tmp
        for d in ("pam.d", "conf", "cache", "cache_refreshed", "cache_offline", "out", "exec"):
            os.mkdir(os.path.join(t, d), 0o700)
        self.sim = Simulator(os.path.join(t, "sim"))
        # The same API 200 ms away (a real network to the SCNet API: tens of ms per round
        # trip, 3 to 4 of them per request), for the rows about latency.
        self.sim200 = Simulator(os.path.join(t, "sim200"))
        self.sim200.control("POST", "/_sim/latency?ms=%d" % a.latency_ms)
        self.dead_stale = Blackhole()
        self.dead_none = Blackhole()
        self.dead_offline = Blackhole()
        self.holes = [self.dead_stale, self.dead_none, self.dead_offline]
        self.cache_dir = os.path.join(t, "cache")
        self.cache_refreshed = os.path.join(t, "cache_refreshed")
        self.cache_offline = os.path.join(t, "cache_offline")

        permit = find_file(["pam_permit.so"], PAM_DIRS)
        pam_exec = find_file(["pam_exec.so"], PAM_DIRS)
        nss = find_file(["libnss_wrapper.so"], LIB_DIRS)
        self.module = os.path.abspath(a.module)
        self.login = os.path.abspath(a.login)

        burst_users = ["benchb%d" % i for i in range(1, a.burst_users + 1)]
        users = ["benchbare", "benchhit", "benchhitold", "benchhttp", "benchhttps", "benchfloor", "benchexechttp",
                 "benchexechttps", "benchstale", "benchdead", "benchburst", "benchref",
                 "benchcold200", "benchoffline"] + burst_users
        passwd = ["root:x:0:0:root:/root:/bin/sh"]
        for i, u in enumerate(users):
            passwd.append("%s:x:%d:5000::/home/%s:/bin/sh" % (u, 5001 + i, u))
        write_private(os.path.join(t, "passwd"), "\n".join(passwd) + "\n", 0o644)
        write_private(os.path.join(t, "group"), "root:x:0:\nbench:x:5000:\n", 0o644)
        for u in users:
            if u not in ("benchbare", "benchdead"):
                for api in (self.sim, self.sim200):
                    api.control("POST", "/_sim/set",
                                {"user": u, "usage": WARN_USAGE, "threshold": THRESHOLD})

        sim = self.sim
        http = "http://127.0.0.1:%d" % sim.http_port
        https = "https://127.0.0.1:%d" % sim.https_port

        def conf(name, url, cache_ttl, stale_ttl, timeout, api=None, cache_dir=None,
                 extra=("offline_retry = 0",), helper=None):
            # offline_retry = 0 unless a case is about offline mode: the dead-API cases
            # measure what a login costs when it does try the API.
            api = api or sim
            lines = ["# pam_scnet_quota benchmark: %s" % name,
                     "url = %s" % url,
                     "token_file = %s" % api.token_file]
            if url.startswith("https:"):
                lines.append("cafile = %s" % api.ca)
            lines += ["timeout = %s" % timeout, "warn = 90", "fail = open", "lang = en",
                      "cache_dir = %s" % (cache_dir or self.cache_dir),
                      "helper = %s" % os.path.abspath(helper or self.args.helper),
                      "cache_ttl = %d" % cache_ttl, "stale_ttl = %d" % stale_ttl] + list(extra)
            path = os.path.join(t, "conf", name + ".conf")
            write_private(path, "\n".join(lines) + "\n")
            return path

        def service(name, first_line):
            write_private(os.path.join(t, "pam.d", name),
                          (first_line + "\n" if first_line else "")
                          + "session required %s\n" % permit, 0o644)
            return name

        def module_service(name, *conf_args, **conf_kw):
            return service(name, "session required %s conf=%s"
                           % (self.module, conf(name, *conf_args, **conf_kw)))
        self.conf = conf

        def exec_script(name, url, cafile):
            cacert = " --cacert %s" % shlex.quote(cafile) if cafile else ""
            script = os.path.join(t, "exec", name + ".sh")
            # As an administrator would write it: curl + jq, warn above 90 %, never block
            # the login when the API fails (pam_exec refuses the session on exit != 0).
            write_private(script, """#!/bin/sh
# Warn users at login when a ParaStor quota is above 90%% (run by pam_exec).
[ "$PAM_TYPE" = open_session ] || exit 0
API=%s
read -r TOKEN < %s
curl -s --max-time 3 -H "token: $TOKEN" -H 'Content-Type: application/json'%s \\
    "$API/hpc/openapi/v2/parastor/quota/usernames/$PAM_USER" |
jq -r --arg u "$PAM_USER" '.data[]? | select(.username == $u and (.threshold // 0) > 0)
    | (100 * .usage / .threshold) as $p | select($p > 90)
    | "WARNING: \\(.path) is \\($p | floor)%% full (\\(.usage) of \\(.threshold) GB)."'
exit 0
""" % (url, shlex.quote(sim.token_file), cacert), 0o700)
            return service(name, "session required %s stdout %s" % (pam_exec, script))

        dead_stale_url = "https://127.0.0.1:%d" % self.dead_stale.port
        dead_none_url = "https://127.0.0.1:%d" % self.dead_none.port
        dead_offline_url = "https://127.0.0.1:%d" % self.dead_offline.port
        https200 = "https://127.0.0.1:%d" % self.sim200.https_port
        big = 30 * 86400
        banner = "/public/home/%s  651.0 GB of 700.0 GB  93.0%%"
        svc = {
            "bare": service("bare", None),
            "hit": module_service("hit", https, big, big, 3),
            "cold_http": module_service("cold_http", http, 0, 0, 3),
            "cold_https": module_service("cold_https", https, 0, 0, 3),
            "exec_http": exec_script("exec_http", http, None),
            "exec_https": exec_script("exec_https", https, sim.ca),
            # stale: a good answer is planted with the live API and cache_ttl = 1, then
            # the API is dead (and the answer older than cache_ttl).
            "stale_plant": module_service("stale_plant", https, 1, 86400, 3),
            "stale": module_service("stale", dead_stale_url, 1, 86400, 1),
            "dead": module_service("dead", dead_none_url, 300, 86400, 1),
            # 10 s, as in the pam tests' bursts: fifty cold logins start fifty helpers on two
            # cores and took up to 2 s in a quiet run; the row measures, it must not abort.
            "burst": module_service("burst", https, 300, 86400, 10),
            # Issue 10: the API 200 ms away. A returning user whose answer --refresh renewed;
            # a cold user; a dead API within the offline window (the first failure is made
            # before the measured logins; offline_retry outlasts the run).
            "refreshed": module_service("refreshed", https200, 300, 86400, 3, api=self.sim200,
                                        cache_dir=self.cache_refreshed),
            "cold200": module_service("cold200", https200, 0, 0, 3, api=self.sim200),
            "offline_plant": module_service("offline_plant", https, 1, 86400, 3,
                                            cache_dir=self.cache_offline),
            "offline": module_service("offline", dead_offline_url, 1, 86400, 1,
                                      cache_dir=self.cache_offline,
                                      extra=("offline_retry = 86400",)),
        }
        self.svc = svc
        self.burst_timeout_ms = 10000
        n, slow = a.logins, a.slow_logins
        self.cases = [
            Case("bare", "bare stack (pam_permit only)", svc["bare"], ["benchbare"], n,
                 expect("rc=0", forbid=("info:", "error:")), reqs="none"),
            Case("hit", "module, cache hit", svc["hit"], ["benchhit"], n,
                 expect("rc=0", banner % "benchhit", forbid=("error:", "ago")), reqs="sim"),
            Case("cold_http", "module, cold, HTTP", svc["cold_http"], ["benchhttp"], n,
                 expect("rc=0", banner % "benchhttp", forbid=("error:",)), reqs="sim"),
            Case("cold_https", "module, cold, HTTPS", svc["cold_https"], ["benchhttps"], n,
                 expect("rc=0", banner % "benchhttps", forbid=("error:",)), reqs="sim"),
            Case("exec_http", "pam_exec + sh + curl + jq, HTTP", svc["exec_http"],
                 ["benchexechttp"], a.exec_logins,
                 expect("rc=0", "WARNING: /public/home/benchexechttp is 93% full"), reqs="sim"),
            Case("exec_https", "pam_exec + sh + curl + jq, HTTPS", svc["exec_https"],
                 ["benchexechttps"], a.exec_logins,
                 expect("rc=0", "WARNING: /public/home/benchexechttps is 93% full"), reqs="sim"),
            Case("stale", "API dead, stale cache, timeout 1 s", svc["stale"], ["benchstale"],
                 slow, expect("rc=0", banner % "benchstale",
                              "ago: the quota service could not be reached"),
                 reqs=self.dead_stale),
            Case("dead", "API dead, no cache, timeout 1 s", svc["dead"], ["benchdead"], slow,
                 expect("rc=0", forbid=("info:", "error:")), reqs=self.dead_none),
            Case("refreshed", "returning user after --refresh, API %d ms away" % a.latency_ms,
                 svc["refreshed"], ["benchref"], n,
                 expect("rc=0", banner % "benchref", forbid=("error:", "ago")), reqs="sim200"),
            Case("cold200", "module, cold, HTTPS, API %d ms away" % a.latency_ms,
                 svc["cold200"], ["benchcold200"], n,
                 expect("rc=0", banner % "benchcold200", forbid=("error:",)), reqs="sim200"),
            Case("offline", "API dead, within the offline window", svc["offline"],
                 ["benchoffline"], n,
                 expect("rc=0", banner % "benchoffline",
                        "ago: the quota service could not be reached"),
                 reqs=self.dead_offline),
            Case("burst1", "burst: %d logins, 1 user, cold" % a.burst_size, svc["burst"],
                 ["benchburst"] * a.burst_size, a.bursts,
                 expect("rc=0", banner % "benchburst", forbid=("error:",)), burst=True,
                 reqs="sim"),
            Case("burstN", "burst: %d logins, %d users, cold" % (a.burst_users, a.burst_users),
                 svc["burst"], burst_users, a.bursts,
                 expect("rc=0", "651.0 GB of 700.0 GB  93.0%", forbid=("error:",)),
                 burst=True, reqs="sim"),
        ]
        if a.before_module:
            # The same hit through an earlier build of the module (its own user and cache
            # entry, filled like the hit's, through that build's own network helper: the
            # pipe format changes between versions): before and after in one run.
            before_helper = os.path.join(os.path.dirname(os.path.dirname(
                os.path.abspath(a.before_module))), "fetch_helper", "scnet-quota-fetch")
            svc["hit_before"] = service("hit_before", "session required %s conf=%s" % (
                os.path.abspath(a.before_module),
                conf("hit_before", https, big, big, 3, helper=before_helper)))
            at = next(i for i, c in enumerate(self.cases) if c.key == "hit") + 1
            self.cases.insert(at, Case("hit_before", "module before, cache hit",
                                       svc["hit_before"], ["benchhitold"], n,
                                       expect("rc=0", banner % "benchhitold",
                                              forbid=("error:", "ago")), reqs="sim"))
        # The floors, in this order just before the hit: an empty module, the same module
        # looking the user up, and the least a hit does (the hit's user, config and entry).
        silent = expect("rc=0", forbid=("info:", "error:"))
        for key, label, module, args, user, check in (
                ("loaded", "loading floor: an empty module", a.empty_module, "", "benchbare",
                 silent),
                ("lookup", "loading floor + the user looked up", a.lookup_module, "",
                 "benchbare", silent),
                ("least", "the least a cache hit does", a.least_hit_module,
                 " conf=" + os.path.join(t, "conf", "hit.conf"), "benchhit",
                 expect("rc=0", banner % "benchhit", forbid=("error:",)))):
            if module:
                at = next(i for i, c in enumerate(self.cases) if c.key == "hit")
                self.cases.insert(at, Case(key, label, service(key, "session required %s%s"
                                                               % (os.path.abspath(module), args)),
                                           [user], n, check, reqs="none"))
        # sshd looks the account up before authentication, in the process that later opens
        # the session: these two rows' login process does the same (session_child
        # --lookup-first), so the module's lookup is not the process's first.
        first = [self.login, "--lookup-first", os.path.join(t, "pam.d")]
        at = next(i for i, c in enumerate(self.cases) if c.key == "hit") + 1
        self.cases[at:at] = [
            Case("bare_sshd", "bare stack, user looked up first (as sshd)",
                 first + [svc["bare"]], ["benchbare"], n,
                 expect("rc=0", forbid=("info:", "error:")), reqs="none"),
            Case("hit_sshd", "module, cache hit, user looked up first (as sshd)",
                 first + [svc["hit"]], ["benchhit"], n,
                 expect("rc=0", banner % "benchhit", forbid=("error:", "ago")), reqs="sim"),
        ]
        if a.floor:
            at = next(i for i, c in enumerate(self.cases) if c.key == "cold_https") + 1
            self.cases.insert(at, Case("floor", "client floor: the request alone, HTTPS",
                                       self.floor_argv(https), ["benchfloor"], n,
                                       expect("status=200"), reqs="sim"))
        child_env = {"LD_PRELOAD": nss,
                     "NSS_WRAPPER_PASSWD": os.path.join(t, "passwd"),
                     "NSS_WRAPPER_GROUP": os.path.join(t, "group")}
        self.runner = Runner(os.path.abspath(a.runner), child_env)

    def teardown(self):
        if self.runner:
            self.runner.close()
        for h in self.holes:
            h.close()
        if self.sim:
            self.sim.stop()
        if getattr(self, "sim200", None):
            self.sim200.stop()
        if self.args.keep:
            print("kept %s" % self.tmp, file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def floor_argv(self, https):
        """The client floor's command without its last argument, the user."""
        return [os.path.abspath(self.args.floor), os.path.abspath(self.args.helper), https,
                self.sim.ca, self.sim.token_file]

    # ---- running logins
    def job(self, service, user):
        """service: a PAM service name (a login), or a command whose last argument is user."""
        self.seq += 1
        out = os.path.join(self.tmp, "out", "%d.txt" % self.seq)
        if isinstance(service, list):
            return out, service + [user]
        return out, [self.login, os.path.join(self.tmp, "pam.d"), service, user]

    def run(self, mode, pairs, limit_s, what):
        """pairs: [(service, user, check)]; returns [(ms, rss, cpu_ms)], failing loudly."""
        jobs = [self.job(s, u) for s, u, _ in pairs]
        results = self.runner.batch(mode, jobs, limit_s)
        samples = []
        for (out, argv), (status, ms, rss, cpu), (_s, user, check) in zip(jobs, results, pairs):
            with open(out, errors="replace") as f:
                text = f.read()
            os.unlink(out)
            why = None
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                why = "process ended with wait status %d" % status
            elif check:
                why = check(text)
            if why:
                raise BenchError("%s: %s for %s failed unexpectedly: %s\n--- its output:\n%s---"
                                 % (what, " ".join(argv[:-1]), user, why, text))
            samples.append((ms, rss, cpu))
        return samples

    def single(self, case):
        return self.run("seq", [(case.service, case.users[0], case.check)], 60, case.label)

    def burst(self, case):
        for u in set(case.users):
            try:
                os.unlink(os.path.join(self.cache_dir, u + ".cache"))
            except FileNotFoundError:
                pass
        before = self.sim.quota_by_user()
        samples = self.run("par", [(case.service, u, case.check) for u in case.users], 120,
                           case.label)
        after = self.sim.quota_by_user()
        case.requests.append(sum(after.get(u, 0) - before.get(u, 0) for u in set(case.users)))
        case.samples += samples

    # ---- the run
    def measure(self):
        a = self.args
        singles = [c for c in self.cases if not c.burst]
        bursts = [c for c in self.cases if c.burst]
        hit = self.case("hit")

        # Fill the caches the hit and stale cases need, then warm the page cache for all.
        self.run("seq", [(hit.service, "benchhit", hit.check)], 60, "warming the cache")
        if "hit_before" in self.svc:
            self.run("seq", [(self.svc["hit_before"], "benchhitold", expect("rc=0"))], 60,
                     "warming the cache of the earlier module")
        planted = time.monotonic()
        self.run("seq", [(self.svc["stale_plant"], "benchstale",
                          expect("rc=0", "93.0%"))], 60, "planting the stale answer")
        # Offline window: an answer, then one login that finds the API dead and records it.
        self.run("seq", [(self.svc["offline_plant"], "benchoffline",
                          expect("rc=0", "93.0%"))], 60, "planting the offline answer")
        # Returning user: one login (cold, marks the user seen), then --refresh renews the
        # answer (run with cache_ttl = 2, so that it is due a second later).
        self.run("seq", [(self.svc["refreshed"], "benchref", expect("rc=0", "93.0%"))], 60,
                 "first login of the returning user")
        refresh_conf = self.conf("refresh_prep", "https://127.0.0.1:%d" % self.sim200.https_port,
                                 2, 86400, 3, api=self.sim200, cache_dir=self.cache_refreshed,
                                 extra=("refresh_rate = 0",))
        # Not the dead-API cases: stale and dead wait on the API, and offline must not run
        # before its planted answer is older than cache_ttl and the API is recorded offline.
        for _ in range(a.warmup):
            self.run("seq", [(c.service, c.users[0], c.check) for c in singles
                             if c.key not in ("stale", "dead", "offline")], 60, "warm-up")
        # The planted answer must be older than its cache_ttl (1 s, whole seconds).
        time.sleep(max(0.0, planted + 2.1 - time.monotonic()))
        before_ref = self.sim200.quota_by_user().get("benchref", 0)
        out = self.tool(["--refresh"], refresh_conf)[0]
        if "refreshed 1, failed 0" not in out or \
                self.sim200.quota_by_user().get("benchref", 0) != before_ref + 1:
            raise BenchError("--refresh did not renew the returning user's answer: %s" % out)
        self.run("seq", [(self.svc["offline"], "benchoffline",
                          expect("rc=0", "ago: the quota service could not be reached"))], 60,
                 "the first login that finds the API dead")
        if not os.path.exists(os.path.join(self.cache_offline, "offline%3Aapi.cache")):
            raise BenchError("the dead API was not recorded as offline")
        if os.path.exists(os.path.join(self.cache_dir, "benchdead.cache")):
            raise BenchError("benchdead has a cache entry before the no-cache case")

        rounds = max(c.count for c in singles)
        rng = random.Random(a.seed)
        before = self.sim.quota_by_user()
        before200 = self.sim200.quota_by_user()
        holes_before = {id(h): h.count() for h in self.holes}
        burst_at = {}
        for c in bursts:
            for k in range(c.count):
                burst_at.setdefault(int((k + 0.5) * rounds / c.count), []).append(c)
        started = time.monotonic()
        for r in range(rounds):
            todo = []
            for c in singles:
                # Spread a case with fewer logins evenly over the rounds.
                if (r + 1) * c.count // rounds > r * c.count // rounds:
                    todo.append(c)
            rng.shuffle(todo)
            for c in todo:
                c.samples += self.single(c)
            for c in burst_at.get(r, []):
                self.burst(c)
            if a.progress and (r + 1) % 20 == 0:
                print("  round %d/%d, %.0f s" % (r + 1, rounds, time.monotonic() - started),
                      file=sys.stderr, flush=True)
        after = self.sim.quota_by_user()
        after200 = self.sim200.quota_by_user()
        for c in singles:
            if c.reqs == "sim":
                c.requests = [after.get(c.users[0], 0) - before.get(c.users[0], 0)]
            elif c.reqs == "sim200":
                c.requests = [after200.get(c.users[0], 0) - before200.get(c.users[0], 0)]
            elif isinstance(c.reqs, Blackhole):
                c.requests = [c.reqs.count() - holes_before[id(c.reqs)]]
            else:
                c.requests = [0]
        if os.path.exists(os.path.join(self.cache_dir, "benchdead.cache")):
            raise BenchError("a failed request left a cache entry for benchdead")

    def case(self, key):
        return next(c for c in self.cases if c.key == key)

    # ---- scnet-quota --refresh
    def tool(self, args, conf_path):
        """Runs scnet-quota; returns (output, wall ms, CPU ms of it and its children)."""
        start = time.monotonic()
        proc = subprocess.Popen([os.path.abspath(self.args.tool), "--conf", conf_path] + args,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        out = proc.stdout.read()
        _pid, status, ru = os.wait4(proc.pid, 0)
        wall = (time.monotonic() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise BenchError("scnet-quota %s: wait status %d: %s" % (" ".join(args), status, out))
        return out, wall, (ru.ru_utime + ru.ru_stime) * 1000

    def measure_refresh(self):
        """--refresh of N planted users over HTTPS, refresh_rate lifted, at 0 and 200 ms."""
        a = self.args
        self.refresh_runs = []
        for api, latency in ((self.sim, 0), (self.sim200, a.latency_ms)):
            cache = os.path.join(self.tmp, "cache_refresh_%d" % latency)
            prefix = "benchr"
            p = subprocess.run([os.path.abspath(a.plant), cache, prefix, str(a.refresh_users),
                                "400"], capture_output=True, text=True)
            if p.returncode != 0:
                raise BenchError("plant: %s" % p.stderr)
            conf = self.conf("refresh_%d" % latency, "https://127.0.0.1:%d" % api.https_port,
                             300, 86400, 3, api=api, cache_dir=cache,
                             extra=("refresh_rate = 0",))
            before = api.stats()
            out, wall, cpu = self.tool(["--refresh"], conf)
            after = api.stats()
            want = "refreshed %d, failed 0, skipped 0" % a.refresh_users
            if want not in out:
                raise BenchError("--refresh of %d users: %s" % (a.refresh_users, out))
            self.refresh_runs.append({
                "latency": latency, "users": a.refresh_users, "wall_s": wall / 1000,
                "cpu_ms": cpu, "cpu_per_user": cpu / a.refresh_users,
                "requests": after["quota_requests"] - before["quota_requests"],
                "handshakes": after["tls_handshakes"] - before["tls_handshakes"],
                "connections": after["tcp_connections"]["https"] - before["tcp_connections"]["https"],
                "ideal_s": a.refresh_users * latency / 1000.0 / 4,
                "summary": out.strip(),
            })


# --------------------------------------------------------------------------- report

def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        lib = ctypes.CDLL("libcurl.so.4")
        lib.curl_version.restype = ctypes.c_char_p
        curl = lib.curl_version().decode()
    except OSError as e:
        curl = "libcurl not loadable: %s" % e
    return cpu, curl


def build_flags(module):
    """The compiler flags the module was built with (its CMake flags.make), e.g. -O2 -g."""
    build = os.path.dirname(os.path.dirname(module))
    flags = os.path.join(build, "pam_module", "CMakeFiles", "pam_scnet_quota.dir", "flags.make")
    try:
        with open(flags) as f:
            for line in f:
                if line.startswith("C_FLAGS"):
                    opt = [w for w in line.split("=", 1)[1].split()
                           if w.startswith(("-O", "-g", "-DNDEBUG", "-fsanitize"))]
                    return " ".join(opt) or "no -O"
    except OSError:
        pass
    return "flags unknown"


def rows(b):
    bare = median([s[0] for s in b.case("bare").samples])
    out = []
    for c in b.cases:
        ms = sorted(s[0] for s in c.samples)
        med = median(ms)
        if c.burst:
            per = sorted(set(c.requests))
            expected = len(set(c.users))
            reqs = ("%d per burst" % per[0] if len(per) == 1 else
                    "%s per burst" % ",".join(str(x) for x in c.requests))
            reqs += " (%d bursts; expected %d)" % (len(c.requests), expected)
        elif isinstance(c.reqs, Blackhole):
            reqs = "%d tried (API dead)" % c.requests[0]
        else:
            reqs = "%d" % c.requests[0]
        out.append({
            "case": c.label, "key": c.key,
            "logins": len(ms), "median": med, "p95": percentile(ms, 95), "max": ms[-1],
            "ratio": med / bare if bare > 0 else float("nan"),
            "reqs": reqs, "rss": max(s[1] for s in c.samples),
            "cpu": median([s[2] for s in c.samples]),
        })
    return out


COLUMNS = [("case", "case", "%s"), ("logins", "logins", "%d"), ("median ms", "median", "%.2f"),
           ("p95 ms", "p95", "%.2f"), ("max ms", "max", "%.1f"), ("× bare", "ratio", "%.2f"),
           ("API requests", "reqs", "%s"), ("peak RSS KiB", "rss", "%d"),
           ("CPU ms", "cpu", "%.2f")]


def text_table(data):
    cells = [[h for h, _, _ in COLUMNS]] + [[f % r[k] for _, k, f in COLUMNS] for r in data]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(v.ljust(w) if i == 0 or i == 6 else v.rjust(w)
                               for i, (v, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(data):
    lines = ["| " + " | ".join(h for h, _, _ in COLUMNS) + " |",
             "|" + "|".join("---" if i in (0, 6) else "---:" for i in range(len(COLUMNS))) + "|"]
    for r in data:
        lines.append("| " + " | ".join(f % r[k] for _, k, f in COLUMNS) + " |")
    return "\n".join(lines)


def readings(b, data):
    """The issue's targets, read off this run (informational; nothing is asserted)."""
    r = {d["key"]: d for d in data}
    out = []

    def line(ok, text):
        out.append("%s %s" % ("met:   " if ok else "MISSED:", text))

    line(r["hit"]["ratio"] <= 1.2, "cache hit %.2f× bare (target ≤ 1.2×; it starts no process)"
         % r["hit"]["ratio"])
    line(r["hit"]["ratio"] <= 1.12, "cache hit %.2f× bare (issue 18: ≤ 1.12×)" % r["hit"]["ratio"])
    if "hit_before" in r:
        out.append("info:   cache hit of the earlier module %.2f× bare, this one %.2f×"
                   % (r["hit_before"]["ratio"], r["hit"]["ratio"]))
    if "lookup" in r:
        out.append("info:   an empty module that looks the user up %.2f× bare (the process's "
                   "first NSS lookup, through nss_wrapper); the cache hit %.2f× that"
                   % (r["lookup"]["ratio"], r["hit"]["median"] / r["lookup"]["median"]))
    out.append("info:   the user looked up before the session, as sshd does: cache hit %.2f× "
               "that bare stack" % (r["hit_sshd"]["median"] / r["bare_sshd"]["median"]))
    if "loaded" in r:
        out.append("info:   loading floor (an empty module, same libraries) %.2f× bare; the "
                   "cache hit %.2f× that floor" % (r["loaded"]["ratio"], r["hit"]["median"]
                                                   / r["loaded"]["median"]))
    if "least" in r:
        out.append("info:   the least a cache hit does (look up, read the config and the entry, "
                   "show the warning, log a line) %.2f× bare; the cache hit %.2f× that"
                   % (r["least"]["ratio"], r["hit"]["median"] / r["least"]["median"]))
    if "floor" in r:
        f = r["cold_https"]["median"] / r["floor"]["median"]
        line(f <= 1.1, "cold HTTPS login %.2f× the client floor (target ≤ 1.1×)" % f)
    f = r["exec_https"]["median"] / r["cold_https"]["median"]
    line(f >= 2.5, "cold HTTPS %.1f× faster than pam_exec+curl+jq over HTTPS (target ≥ 2.5×)" % f)
    f = r["exec_http"]["median"] / r["cold_http"]["median"]
    out.append("info:   cold HTTP %.1f× faster than pam_exec+curl+jq over HTTP (no target)" % f)
    c1 = b.case("burst1")
    line(all(x == 1 for x in c1.requests), "burst of %d for 1 user: requests per burst %s "
         "(target 1)" % (len(c1.users), ",".join(map(str, c1.requests))))
    cn = b.case("burstN")
    line(all(x == len(cn.users) for x in cn.requests), "burst of %d users: requests per "
         "burst %s (target %d)" % (len(cn.users), ",".join(map(str, cn.requests)), len(cn.users)))
    worst = max(r["burst1"]["max"], r["burstN"]["max"])
    line(worst <= b.burst_timeout_ms, "longest burst session %.0f ms (timeout %d ms)"
         % (worst, b.burst_timeout_ms))
    for k in ("stale", "dead"):
        line(r[k]["max"] <= 1000 + 200, "%s: longest session %.0f ms (timeout 1000 ms; "
             "whole process, so a few ms above it is expected)" % (r[k]["case"], r[k]["max"]))
    return out


def readings10(b, data):
    """Issue 10's targets, read off this run (informational; nothing is asserted)."""
    r = {d["key"]: d for d in data}
    out = []

    def line(ok, text):
        out.append("%s %s" % ("met:   " if ok else "MISSED:", text))

    lat = b.args.latency_ms
    line(r["refreshed"]["ratio"] <= 1.2, "returning user after --refresh, API %d ms away: "
         "%.2f× bare, %s API requests (target ≤ 1.2×)"
         % (lat, r["refreshed"]["ratio"], r["refreshed"]["reqs"]))
    base = r["floor"] if "floor" in r else r["cold_https"]
    out.append("info:   cold user, API %d ms away: %.1f ms = %s %.1f ms + %.1f ms (target ≈ "
               "floor + latency)" % (lat, r["cold200"]["median"], base["case"], base["median"],
                                     r["cold200"]["median"] - base["median"]))
    line(r["offline"]["ratio"] <= 1.2, "API dead within the offline window: %.2f× bare, "
         "%s (target ≤ 1.2×, no connection)" % (r["offline"]["ratio"], r["offline"]["reqs"]))
    if "loaded" in r:
        out.append("info:   the offline window %.2f× and the returning user %.2f× the loading "
                   "floor" % (r["offline"]["median"] / r["loaded"]["median"],
                              r["refreshed"]["median"] / r["loaded"]["median"]))
    cold_cpu = r["cold_https"]["cpu"]
    for run in b.refresh_runs:
        f = cold_cpu / run["cpu_per_user"] if run["cpu_per_user"] > 0 else float("inf")
        line(f >= 10, "--refresh of %d users at %d ms: %.2f ms CPU per user, %.1f× less than a "
             "cold HTTPS login's %.2f ms (target ≥ 10×)"
             % (run["users"], run["latency"], run["cpu_per_user"], f, cold_cpu))
        line(run["handshakes"] <= 4, "--refresh at %d ms: %d TLS handshakes, %d connections "
             "(target ≤ 4)" % (run["latency"], run["handshakes"], run["connections"]))
        out.append("info:   --refresh at %d ms: %.1f s wall for %d users; users × latency ÷ 4 "
                   "connections = %.1f s" % (run["latency"], run["wall_s"], run["users"],
                                             run["ideal_s"]))
    return out


REFRESH_COLUMNS = [("API latency ms", "latency", "%d"), ("users", "users", "%d"),
                   ("wall s", "wall_s", "%.1f"), ("users × latency ÷ 4 s", "ideal_s", "%.1f"),
                   ("CPU ms", "cpu_ms", "%.0f"), ("CPU ms per user", "cpu_per_user", "%.3f"),
                   ("requests", "requests", "%d"), ("TCP connections", "connections", "%d"),
                   ("TLS handshakes", "handshakes", "%d")]


def refresh_table(runs, markdown):
    head = [h for h, _, _ in REFRESH_COLUMNS]
    body = [[f % run[k] for _, k, f in REFRESH_COLUMNS] for run in runs]
    if markdown:
        return "\n".join(["| " + " | ".join(head) + " |",
                          "|" + "|".join("---:" for _ in head) + "|"]
                         + ["| " + " | ".join(row) + " |" for row in body])
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(v.rjust(w) for v, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


EXPLAIN = """\
## The cases

Every login is a whole process (`tests/pam/session_child`: `pam_start_confdir`, `pam_open_session`,
`pam_end`, like sshd's session stage) started with fork/exec and reaped with `wait4` by
`bench/runner`; time is fork to reap on `CLOCK_MONOTONIC`; peak RSS is `ru_maxrss` from
`wait4` (the login process and the children it waited for: for pam_exec, the shell, curl and
jq). CPU ms is user + system time, the same way. Users come from nss_wrapper (`LD_PRELOAD` of
the login processes only). The API is the simulator (`tests/sim/scnet_sim.py`) on loopback;
every user with an answer is at 93 %, so every login that got an answer shows a warning (the
full path: request, parse, policy, banner, conversation). The single-login cases run
interleaved, one of each per round in a shuffled order; the bursts are spread over the rounds.

- **bare stack**: `session required pam_permit.so` only. The reference for the ratios.
- **loading floor**: `bench/empty_module.c`, a session module that returns `PAM_SUCCESS`,
  linked like the module (`-z now`, `-z relro`, libpam: no libcjson since the helper parses), in front of
  `pam_permit.so`: what loading any such module costs. The cache-served rows (hit,
  returning user, offline window) cost this plus the module's own work: config, user
  lookup, cache read, policy, banner, log line.
- **loading floor + the user looked up**: the same empty module built with
  `-DLOOK_UP_USER`: it also looks the user up (`getpwnam_r`), as the module does for its skip
  rules. In these login processes that is the first NSS lookup, and nss_wrapper sets itself up
  on it: what any module that reads the account pays here.
- **the least a cache hit does**: `bench/least_hit_module.c`, a module that looks the user
  up, reads the hit's config file for `cache_dir`, reads the hit user's cache entry, shows the
  warning with its figures (`pam_info`) and logs one line (`pam_syslog`): none of the module's
  checks (owners and modes, skip rules, the other settings, the seen stamp, the trend), one
  fixed text. The hit over this row is what the module's own design costs.
- **module, cache hit**: the module in front of `pam_permit.so`, with an answer in the cache
  (`cache_ttl` 30 days). No request and no process started (compare the peak RSS with the
  cold cases).
- **bare stack / module, cache hit, user looked up first (as sshd)**: the same two logins,
  the login process looking the user up (`getpwnam`) before `pam_start`, as sshd's monitor
  does before authentication (`session_child --lookup-first`): the module's lookup is then
  not the process's first, as in sshd. Their ratio is the hit's cost in that setting.
- **module before, cache hit** (with `OLD_BUILD=DIR`): the same hit through the module of an
  earlier build, for its own user, in the same run.
- **module, cold, HTTP / HTTPS**: `cache_ttl = 0`, `stale_ttl = 0`: every login starts the
  network helper `scnet-quota-fetch` (every module config has `helper =` the build's),
  which loads libcurl and asks the API (HTTPS: TLS handshake and certificate check against
  the test CA); the module waits on its pipe, reads the reply and reaps it. Peak RSS
  includes the helper's.
- **client floor**: `bench/client_floor`, a bare process (no libpam, no config, cache,
  policy or text) that builds the module's quota URL and headers and calls the module's own
  `http_perform` (`common/http.c`): spawn the helper, write the request frame, read the
  reply, reap. What a cold HTTPS login costs above this row is the module's own work.
- **pam_exec + sh + curl + jq**: what an administrator would otherwise write:
  `session required pam_exec.so stdout script.sh`, a POSIX shell script that runs `curl` and
  pipes the reply into `jq`, printing a warning above 90 %. Same simulator, same protocol.
- **burst, 1 user**: 50 logins of one user started at once with a cold cache (its cache file
  deleted first). Single flight: one process asks, the others wait on the lock and read its
  answer. API requests are counted by the simulator (`/_sim/stats`, `quota_by_user`).
- **burst, 50 users**: 50 logins of 50 different users at once, all cold: 50 requests; each
  session should stay under `timeout` (3 s).
- **API dead, stale cache**: the URL points at a port that accepts connections and never
  answers; the user's answer in the cache is older than `cache_ttl` (1 s) but within
  `stale_ttl`; `timeout = 1`. The API is tried first (the connections the dead port
  accepted are counted), and after the timeout the stale answer is shown with its age.
- **API dead, no cache**: the same dead API, no answer in the cache, `timeout = 1`,
  `fail = open`: the login goes on after the timeout, with nothing shown.
  These two cases run with `offline_retry = 0`: they measure a login that tries the API.
- **returning user after --refresh, API 200 ms away**: a second simulator answers every
  request 200 ms late (`/_sim/latency`). The user logged in once (cold); then
  `scnet-quota --refresh` renewed the answer; every measured login finds it fresh.
- **module, cold, HTTPS, API 200 ms away**: `cache_ttl = 0` against that simulator: the
  client floor plus the latency.
- **API dead, within the offline window**: a dead API as above, an older answer cached,
  `offline_retry = 86400`; one login before the measured ones found the API dead and
  recorded it. The measured logins do not connect (the dead port's accepted connections
  are counted) and show the older answer at once.

## Reading the numbers

- `session_child` is a minimal host process: libpam, libaudit, libcap-ng. libcurl and its
  libraries are loaded only by the helper, a fresh process: what a cold request costs is
  the same whichever host (sshd, su, a display manager) runs the module.
- The HTTPS cases trust a one-certificate CA file (`cafile`). Without `cafile` the module
  (and curl) use the system bundle, which OpenSSL 3 parses in full at every cold request:
  much slower, for the module and for the baseline alike.
- Whole-process times include exec, the dynamic loader and exit (atexit handlers, unmapping).
  On a virtual machine with 2 CPUs even `/bin/true` takes over a millisecond; the simulator
  (Python) shares those CPUs with the logins.
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--module", required=True, help="pam_scnet_quota.so")
    p.add_argument("--helper", required=True, help="scnet-quota-fetch, built")
    p.add_argument("--login", required=True, help="tests/pam/session_child, built")
    p.add_argument("--runner", required=True, help="runner")
    p.add_argument("--empty-module", default=None,
                   help="bench/empty_module.so, built: adds the loading floor case")
    p.add_argument("--lookup-module", default=None,
                   help="bench/empty_module.c built with -DLOOK_UP_USER: adds the row of an "
                        "empty module that looks the user up")
    p.add_argument("--least-hit-module", default=None,
                   help="bench/least_hit_module.c, built: adds the row of the least a cache hit "
                        "does")
    p.add_argument("--floor", default=None,
                   help="bench/client_floor, built: adds the client floor case")
    p.add_argument("--before-module", default=None,
                   help="pam_scnet_quota.so of an earlier build (BUILD/pam_module/; its helper "
                        "BUILD/fetch_helper/scnet-quota-fetch fills its cache): adds its cache "
                        "hit as a case")
    p.add_argument("--tool", required=True, help="scnet-quota, built")
    p.add_argument("--plant", required=True, help="bench/plant, built")
    p.add_argument("--latency-ms", type=int, default=200,
                   help="the API's latency for the issue 10 rows (200)")
    p.add_argument("--refresh-users", type=int, default=1000,
                   help="users planted for the --refresh rows (1000)")
    p.add_argument("--logins", type=int, default=200, help="logins per fast case (200)")
    p.add_argument("--exec-logins", type=int, default=200, help="logins per pam_exec case (200)")
    p.add_argument("--slow-logins", type=int, default=15,
                   help="logins per dead-API case (15; each takes the 1 s timeout)")
    p.add_argument("--bursts", type=int, default=5, help="repetitions of each burst (5)")
    p.add_argument("--burst-size", type=int, default=50)
    p.add_argument("--burst-users", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--command", default=None, help="the command line to print in the header")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args()
    if a.burst_size > 250 or a.burst_users > 250:
        p.error("at most 250 logins per burst")

    command = a.command or " ".join(shlex.quote(x) for x in sys.argv)
    cpu, curl = machine_info()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    b = Bench(a)
    try:
        b.setup()
        b.measure()
        b.measure_refresh()
    except BenchError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.teardown()
    runtime = time.monotonic() - started
    data = rows(b)
    header = [
        "pam_scnet_quota benchmark, %s" % date,
        "machine: %d CPUs (nproc), %s, Linux %s" % (os.cpu_count() or 0, cpu, os.uname().release),
        "libcurl: %s" % curl,
        "module: %s (%s)" % (a.module, build_flags(os.path.abspath(a.module))),
    ] + ([
        "module before (its cache hit row): %s (%s)"
        % (a.before_module, build_flags(os.path.abspath(a.before_module))),
    ] if a.before_module else []) + [
        "command: %s" % command,
        "runtime: %.0f s; load average (1 min) %.2f at the start, %.2f at the end"
        % (runtime, load_before, os.getloadavg()[0]),
    ]
    notes = readings(b, data)
    notes10 = readings10(b, data)
    print("\n".join(header))
    print()
    print(text_table(data))
    print()
    print("scnet-quota --refresh, HTTPS, refresh_rate = 0 (lifted):")
    print(refresh_table(b.refresh_runs, False))
    print()
    print("Targets (issues 3 and 8), read off this run (not asserted):")
    for n in notes:
        print("  " + n)
    print("Targets of issue 10, read off this run (not asserted):")
    for n in notes10:
        print("  " + n)

    md = ["# pam_scnet_quota benchmark results", "",
          "Written by `bench/run-bench.sh` (overwritten at each run, but for the section "
          "`bench/run-hit.sh` writes, kept at the end).", ""]
    md += ["- " + h.replace("command: ", "command: `", 1) + ("`" if h.startswith("command") else "")
           for h in header]
    md += ["", md_table(data), "",
           "Times are per session open, whole process, in ms; `× bare` is the median over the "
           "bare stack's median; `max ms` is the longest single login.", "",
           "## Targets (issues 3 and 8), read off this run (not asserted)", ""]
    md += ["- " + n for n in notes]
    md += ["", "## scnet-quota --refresh (issue 10)", "",
           "%d users planted with the project's cache writer (`bench/plant`), all due; one "
           "run of `scnet-quota --refresh` over HTTPS with `refresh_rate = 0`; wall and CPU "
           "time of the command and the processes it waited for; connections and handshakes "
           "counted by the simulator." % b.args.refresh_users, "",
           refresh_table(b.refresh_runs, True), "",
           "## Targets of issue 10, read off this run (not asserted)", ""]
    md += ["- " + n for n in notes10]
    md += ["", EXPLAIN]
    # The section bench/run-hit.sh writes stays (it measures another way, see there).
    try:
        with open(a.results) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    at = old.find(HIT_SECTION)
    if at >= 0:
        end = old.find("\n## ", at + len(HIT_SECTION))
        md += ["", old[at:end if end >= 0 else len(old)].rstrip("\n"), ""]
    with open(a.results, "w") as f:
        f.write("\n".join(md))
    print("\nwrote %s" % a.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

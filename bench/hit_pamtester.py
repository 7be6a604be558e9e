#!/usr/bin/env python3
"""What a cache hit costs as a whole `pamtester` process, against a pam_permit.so stack.

Usage (root; normally started by bench/run-hit.sh, which builds what this needs):
    hit_pamtester.py --runner RUNNER --empty-cjson SO --empty-plain SO
                     --module LABEL=BUILD_DIR [--module LABEL=BUILD_DIR ...] [--rounds N]

Unlike bench.py (nss_wrapper, a minimal libpam driver), this runs the real `pamtester`
through /etc/pam.d with the user in /etc/passwd, as issue 18 measures it. Nothing on the
host changes: everything runs in a private mount namespace (unshare -m) in which a folder
of our own is bind-mounted over /etc/pam.d, a copy of /etc/passwd with one more user over
/etc/passwd, and a tmpfs over /srv holds the module's configuration and cache (trusted
files need root-owned folders all the way from /, which /tmp is not). The folder holds only
the test services (the issue's "before" figures match that setup; libpam then logs "no
default config other" in every case alike); --host-services copies the host's /etc/pam.d in
too, whose "other" libpam parses at every pam_start, loading its modules: a dearer bare stack.

Cases, one of each per round in a shuffled order (machine noise hits them alike):
    bare            session required pam_permit.so
    empty+cjson     bench/empty_module.c linked like the module, with libcjson, then pam_permit
    empty           the same module without libcjson
    LABEL           each --module's pam_scnet_quota.so, cache hit (93 %: the warning banner),
                    then pam_permit; its cache is filled by one real login against the
                    simulator (tests/sim) through that build's own network helper.
Reported: median ms per case, × bare (medians of the same run), and the × bare of each fifth
of the rounds (how noisy the run was). Nothing is asserted about timings.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
USER, UID = "hitbench", 59000
BANNER = "651.0 GB of 700.0 GB  93.0%"
# The section this writes into bench/RESULTS.md (bench.py keeps it when it rewrites the file).
SECTION = "## A cache hit as a whole `pamtester` process (issue 18)"
TARGET = 1.15


def find_permit():
    for d in ("/usr/lib/x86_64-linux-gnu/security", "/usr/lib/aarch64-linux-gnu/security",
              "/lib/x86_64-linux-gnu/security", "/usr/lib64/security", "/lib64/security",
              "/usr/lib/security", "/lib/security"):
        p = os.path.join(d, "pam_permit.so")
        if os.path.exists(p):
            return p
    sys.exit("hit_pamtester: cannot find pam_permit.so")


def median(v):
    v = sorted(v)
    n = len(v)
    return (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2) if n else float("nan")


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def report(a, cases, samples, load_start):
    """Prints the table; with --results, writes it as SECTION of that file."""
    bare = median(samples["bare"])
    parts = 5
    lines = ["Written by `%s` on %s (replaced at each run of it; `bench/run-bench.sh` keeps it)."
             % (a.command, time.strftime("%Y-%m-%d %H:%M:%S %z")), "",
             "- %d rounds, one login of each case per round in a shuffled order; %s; "
             "load average (1 min) %s at the start, %s at the end"
             % (a.rounds, "the host's /etc/pam.d copied in (its `other`)" if a.host_services
                else "only the test services in /etc/pam.d", load_start, loadavg()),
             "- modules: " + ", ".join("`%s` = %s" % tuple(m.split("=", 1)) for m in a.module),
             "", "| case | median ms | × bare | × bare in each fifth of the run |",
             "|---|---:|---:|---|"]
    for name, _ in cases:
        s = samples[name]
        per = []
        for k in range(parts):
            lo, hi = k * len(s) // parts, (k + 1) * len(s) // parts
            per.append("%.2f" % (median(s[lo:hi]) / median(samples["bare"][lo:hi])))
        lines.append("| %s | %.2f | %.2f | %s |" % (name, median(s), median(s) / bare,
                                                  " ".join(per)))
    lines += ["", "Whole `pamtester SERVICE hitbench open_session` processes (fork to reap), "
              "medians in ms; `× bare` is a median over the bare stack's median of the same "
              "run, and the last column the same ratio in each fifth of the rounds (how noisy "
              "the machine was). bare: `pam_permit.so` alone; empty+cjson: "
              "`bench/empty_module.c` linked with libcjson, in front of it; empty: the same "
              "without libcjson; the modules: a cache hit (the warning banner, 93 %) in front "
              "of it.", ""]
    for m in a.module:
        label = m.split("=", 1)[0]
        r = median(samples[label]) / bare
        lines.append("- %s cache hit `%s` %.2f× bare (target ≤ %.2f×)"
                     % ("met:" if r <= TARGET else "MISSED:", label, r, TARGET))
    print("\n".join([SECTION, ""] + lines))
    if a.results:
        try:
            with open(a.results) as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        with open(a.results, "w") as f:
            f.write(without_section(old).rstrip("\n") + "\n\n" + "\n".join([SECTION, ""] + lines)
                    + "\n")
        print("\nwrote %s" % a.results)


def without_section(text):
    """text without SECTION (from its heading to the next "## " heading or the end)."""
    at = text.find(SECTION)
    if at < 0:
        return text
    end = text.find("\n## ", at + len(SECTION))
    return text[:at] + (text[end + 1:] if end >= 0 else "")


def inside(a):
    """Runs in the private mount namespace."""
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    tmp = tempfile.mkdtemp(prefix="scnet-hit.")
    pamd = os.path.join(tmp, "pam.d")
    if a.host_services:
        # libpam then also reads "other" at every pam_start and loads its modules (Debian:
        # common-*, pam_unix...): a dearer bare stack, so every ratio is smaller.
        shutil.copytree("/etc/pam.d", pamd, symlinks=True)
    else:
        os.mkdir(pamd)
    with open("/etc/passwd") as f:
        passwd = f.read()
    write(os.path.join(tmp, "passwd"),
          passwd + "%s:x:%d:%d::/nonexistent:/bin/sh\n" % (USER, UID, UID))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/srv"], check=True)
    subprocess.run(["mount", "--bind", pamd, "/etc/pam.d"], check=True)
    subprocess.run(["mount", "--bind", os.path.join(tmp, "passwd"), "/etc/passwd"], check=True)
    run_dir = os.path.join(tmp, "sim")
    out = subprocess.run([os.path.join(ROOT, "tests/support/sim-start.sh"), run_dir],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("simulator did not start:\n" + out.stdout + out.stderr)
    runner = None
    try:
        with open(os.path.join(run_dir, "ready.json")) as f:
            ready = json.load(f)
        port = ready["https_port"]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(
            "http://127.0.0.1:%d/_sim/set" % ready["http_port"],
            data=json.dumps({"user": USER, "usage": 651.0, "threshold": 700.0}).encode(),
            method="POST", headers={"Content-Type": "application/json"})
        opener.open(req, timeout=10).read()
        shutil.copy(os.path.join(run_dir, "certs", "ca.pem"), "/srv/ca.pem")
        shutil.copy(os.path.join(run_dir, "token"), "/srv/token")
        os.chmod("/srv/token", 0o600)
        permit = find_permit()
        cases = [("bare", None), ("empty+cjson", a.empty_cjson), ("empty", a.empty_plain)]
        for spec in a.module:
            label, build = spec.split("=", 1)
            build = os.path.abspath(build)
            cache = "/srv/cache-" + label
            conf = "/srv/%s.conf" % label
            write(conf, "\n".join([
                "url = https://127.0.0.1:%d" % port, "token_file = /srv/token",
                "cafile = /srv/ca.pem", "timeout = 10", "warn = 90", "fail = open", "lang = en",
                "cache_dir = %s" % cache,
                "helper = %s" % os.path.join(build, "fetch_helper", "scnet-quota-fetch"),
                "cache_ttl = %d" % (30 * 86400), "stale_ttl = %d" % (30 * 86400)]) + "\n", 0o600)
            cases.append((label, "%s conf=%s" % (
                os.path.join(build, "pam_module", "pam_scnet_quota.so"), conf)))
        for name, first in cases:
            write(os.path.join(pamd, "hit-" + name),
                  ("session required %s\n" % first if first else "")
                  + "session required %s\n" % permit)
        outdir = os.path.join(tmp, "out")
        os.mkdir(outdir)
        pamtester = shutil.which("pamtester")
        runner = subprocess.Popen([a.runner], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

        def login(name, filling=False):
            out = os.path.join(outdir, name)
            runner.stdin.write("BATCH seq 1\n%s\t%s\thit-%s\t%s\topen_session\n"
                               % (out, pamtester, name, USER))
            runner.stdin.flush()
            fields = runner.stdout.readline().split()
            if runner.stdout.readline().strip() != "END" or len(fields) != 7:
                sys.exit("hit_pamtester: runner: unexpected output")
            with open(out) as f:
                text = f.read()
            status, ns = int(fields[2]), int(fields[3])
            module = name not in ("bare", "empty+cjson", "empty")
            # The login that fills a cache may miss its banner (fail = open on a slow API);
            # every later one is a hit and must show it.
            shown = BANNER in text if module and not filling else True
            if status != 0 or not shown:
                sys.exit("hit_pamtester: login through hit-%s failed (status %d):\n%s"
                         % (name, status, text))
            return ns / 1e6

        load_start = loadavg()
        # The first login of each module fills its cache from the simulator (a miss).
        for name, _ in cases:
            login(name, filling=True)
        for _ in range(a.warmup):
            for name, _ in cases:
                login(name)
        samples = {name: [] for name, _ in cases}
        rng = random.Random(a.seed)
        order = [name for name, _ in cases]
        for _ in range(a.rounds):
            rng.shuffle(order)
            for name in order:
                samples[name].append(login(name))
        report(a, cases, samples, load_start)
    finally:
        if runner:
            runner.stdin.close()
            runner.wait()
        subprocess.run([os.path.join(ROOT, "tests/support/sim-stop.sh"), run_dir])
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runner", required=True)
    p.add_argument("--empty-cjson", required=True)
    p.add_argument("--empty-plain", required=True)
    p.add_argument("--module", action="append", required=True, help="LABEL=BUILD_DIR")
    p.add_argument("--rounds", type=int, default=400)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--host-services", action="store_true",
                   help="copy the host's /etc/pam.d (with its 'other') next to the test services")
    p.add_argument("--results", default=None, help="write the table into this file's section")
    p.add_argument("--command", default="bench/hit_pamtester.py", help="how this was started")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    a.runner = os.path.abspath(a.runner)
    a.empty_cjson = os.path.abspath(a.empty_cjson)
    a.empty_plain = os.path.abspath(a.empty_plain)
    if a.results:
        a.results = os.path.abspath(a.results)
    if a.inside:
        inside(a)
        return
    if os.geteuid() != 0:
        sys.exit("hit_pamtester: needs root (a private mount namespace over /etc/pam.d)")
    if not shutil.which("pamtester"):
        sys.exit("hit_pamtester: pamtester is not installed (scripts/install-deps.sh)")
    argv = [sys.executable, os.path.abspath(__file__), "--inside"] + sys.argv[1:]
    sys.exit(subprocess.run(["unshare", "-m"] + argv).returncode)


if __name__ == "__main__":
    main()

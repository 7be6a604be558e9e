#!/usr/bin/python3
"""The SELinux policy coverage test: every access of a traced login, asked of the policy.

Reads the strace files that trace-logins.sh wrote, turns each system call into what the
kernel checks (source domain, target type, class, permissions), and asks the kernel policy
(setools) whether it allows it and whether it audits it. Fails listing every access that
is denied (dontaudit or not: a silent denial still breaks the login) or allowed but audited
(auditallow).

Domains: the login process runs in each login domain under test (sshd_t, local_login_t, the
su domains); what it forks stays there; an exec takes the domain the policy's
type_transition gives (the helper: pam_scnet_quota_fetch_t, asserted). `scnet-quota
--refresh` runs in the domain systemd gives /usr/bin/scnet-quota (init_t's type_transition
for bin_t) and in unconfined_t (a root shell).

Types: a test path stands for the path the package installs (TABLE below); every path is
then labelled with the policy's own file contexts (matchpathcon -f) or, under /proc, its
genfscon; the simulator's port stands for 443; ports are labelled with the policy's
portcon. Objects of the test harness (pamtester's own output, pam_wrapper's copies) are
left out and counted.

usage: policy_coverage.py POLICY FILE_CONTEXTS TRACE_DIR
       (COVERAGE_DUMP=FILE: also write every access, mapped, to FILE)
"""
import os
import re
import subprocess
import sys

import setools

POLICY, FILE_CONTEXTS, TRACES = sys.argv[1:4]
HELPER_DOMAIN = "pam_scnet_quota_fetch_t"
API_PORT = 443  # the simulator's port stands for the API's
LOGINS = ["token-cold", "token-warm", "aksk-cold", "aksk-warm", "deadline"]

paths = dict(line.split(None, 1) for line in open(os.path.join(TRACES, "paths")).read().splitlines())
build, run, ns, module_dir = (paths[k] for k in ("build", "run", "ns", "module_dir"))
# Test path -> the installed path it stands for. A prefix entry (ending in /) maps a tree.
TABLE = {
    build + "/pam_module/pam_scnet_quota.so": module_dir + "/pam_scnet_quota.so",
    build + "/fetch_helper/scnet-quota-fetch": "/usr/libexec/pam_scnet_quota/scnet-quota-fetch",
    build + "/tools/scnet-quota": "/usr/bin/scnet-quota",
    build + "/tools/scnet-quota-now": "/usr/libexec/pam_scnet_quota/scnet-quota-now",
    ns + "/now.conf": "/etc/security/pam_scnet_quota.conf",
    ns + "/scnet.conf": "/etc/security/pam_scnet_quota.conf",
    ns + "/refresh.conf": "/etc/security/pam_scnet_quota.conf",
    ns + "/passwd": "/etc/passwd",
    ns + "/services": "/etc/pam.d",  # pam_wrapper's service folder: libpam reads the login's file
    ns + "/services/scnet": "/etc/pam.d/sshd",
    ns + "/group": "/etc/group",
    run + "/token": "/etc/security/pam_scnet_quota.token",
    run + "/credentials": "/etc/security/pam_scnet_quota.credentials",
    run + "/certs/ca.pem": "/etc/ssl/certs/ca-certificates.crt",  # the system CA bundle
    run + "/cache": "/var/cache/pam_scnet_quota",
    run + "/cache/": "/var/cache/pam_scnet_quota/",
    run + "/cache-users": "/var/cache/pam_scnet_quota-users",  # the users' own records
    run + "/cache-users/": "/var/cache/pam_scnet_quota-users/",
}
# Harness objects: not checked (counted).
HARNESS = [TRACES + "/", "/tmp/pam.", build + "/", ns + "/"]

policy = setools.SELinuxPolicy(POLICY)
bools = {b.name: b.state for b in policy.bools()}
types = {str(t) for t in policy.types()}


def installed(path):
    """The installed path a traced path stands for; None for the harness's own objects."""
    if not path.startswith("/proc/") and os.path.isdir(os.path.dirname(path)):
        path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))  # /lib -> /usr/lib
    if path in TABLE:
        return TABLE[path]
    for test, real in TABLE.items():
        if test.endswith("/") and path.startswith(test):
            return real + path[len(test):]
    if any(path.startswith(h) or path + "/" == h for h in HARNESS):
        return None
    if path != "/" and any(test.startswith(path.rstrip("/") + "/") for test in TABLE):
        return None  # a folder on the way to a test path: the walk to the installed one is added
    return path


def ancestors(path):
    while path not in ("/", ""):
        path = os.path.dirname(path)
        yield path


_label_cache = {}


def label_paths(paths_):
    """Type of each installed path: file contexts, or genfscon under /proc."""
    todo = sorted({p for p in paths_ if p not in _label_cache})
    fc = [p for p in todo if not p.startswith("/proc")]
    if fc:
        out = subprocess.run(["matchpathcon", "-f", FILE_CONTEXTS] + fc, capture_output=True, text=True).stdout
        for line in out.splitlines():
            p, ctx = line.rsplit(None, 1)
            _label_cache[p] = ctx.split(":")[2] if ctx.count(":") >= 3 else None
    genfs = [(str(g.path), g.context.type_) for g in policy.genfscons() if g.fs == "proc"]
    for p in todo:
        if p.startswith("/proc"):
            rest = p[len("/proc"):] or "/"
            best = max((g for g in genfs if rest.startswith(g[0])), key=lambda g: len(g[0]))
            _label_cache[p] = str(best[1])


def port_type(proto, port):
    for pc in policy.portcons():
        if pc.protocol.name.lower() == proto and pc.ports.low <= port <= pc.ports.high:
            return str(pc.context.type_)
    return "port_t"


def in_force(rule):
    """A rule under a boolean counts when the booleans' defaults select its branch."""
    try:
        cond = rule.conditional
    except setools.exception.RuleNotConditional:
        return True
    return cond.evaluate(**{str(b): bools[str(b)] for b in cond.booleans}) == rule.conditional_block


def load_rules(sources):
    """{source: {(target type, class): (allowed, audited, dontaudited perms)}}, one pass."""
    table = {s: {} for s in sources}
    which = {"allow": 0, "auditallow": 1, "dontaudit": 2}
    for r in policy.terules():
        kind = str(r.ruletype)
        if kind not in which:
            continue
        srcs = [s for s in (str(t) for t in r.source.expand()) if s in table] \
            if isinstance(r.source, setools.policyrep.TypeAttribute) else \
            ([str(r.source)] if str(r.source) in table else [])
        if not srcs:
            continue
        if not in_force(r):
            continue
        targets = [str(t) for t in r.target.expand()] \
            if isinstance(r.target, setools.policyrep.TypeAttribute) else [str(r.target)]
        perms = {str(p) for p in r.perms}
        for s in srcs:
            for t in targets:
                entry = table[s].setdefault((t, str(r.tclass)), (set(), set(), set()))
                entry[which[kind]].update(perms)
    return table


def load_transitions():
    """{(source, exec type): new domain} from the type_transition rules for processes."""
    table = {}
    for r in setools.TERuleQuery(policy, ruletype=["type_transition"], tclass=["process"]).results():
        expand = lambda x: [str(t) for t in x.expand()] if isinstance(x, setools.policyrep.TypeAttribute) else [str(x)]
        if not in_force(r):
            continue
        for s in expand(r.source):
            for t in expand(r.target):
                table[(s, t)] = str(r.default)
    return table


TRANSITIONS = load_transitions()


# ---- the trace: one access = (source, target, class, perm, why)

SOCK_CLASS = {"TCP": "tcp_socket", "TCPv6": "tcp_socket", "UDP": "udp_socket", "UDPv6": "udp_socket",
              "UNIX-STREAM": "unix_stream_socket", "UNIX-DGRAM": "unix_dgram_socket", "NETLINK": "netlink_route_socket",
              "UNIX": "unix_stream_socket"}
LINE = re.compile(r"^(\d+) +(.*)$")
CALL = re.compile(r"^([a-z0-9_]+)\((.*)\) += (-?\d+|\?|0x[0-9a-f]+)(.*)$")


class Fd:
    """An open descriptor: the object, the domain that opened it, its open flags, and
    whether it was opened for reading and/or writing (mode: a set of "r", "w")."""

    def __init__(self, obj, opener, flags, mode):
        self.obj, self.opener, self.flags, self.mode = obj, opener, flags, mode


def parse_obj(annot):
    """An -y/-yy annotation: ('path', p) | ('pipe', ino) | ('sock', class, text)."""
    m = re.match(r"pipe:\[(\d+)\]$", annot)
    if m:
        return ("pipe", m.group(1))
    m = re.match(r"(TCP|TCPv6|UDP|UDPv6|UNIX-STREAM|UNIX-DGRAM|UNIX|NETLINK)(?::\[(.*)\])?$", annot)
    if m:
        return ("sock", SOCK_CLASS[m.group(1)], m.group(2) or "")
    m = re.match(r"socket:\[(\d+)\]$", annot)
    if m:
        return ("sock", "socket", m.group(1))
    annot = re.sub(r"<char [0-9:]+>$", "", annot)
    return ("path", annot)


def fd_annots(args):
    return [(int(n), a) for n, a in re.findall(r"(?<![\w])(\d+)<((?:->|[^<>]|<[^<>]*>)*)>", args)]


class Run:
    def __init__(self, name, root_domain, transitions):
        self.name, self.root = name, root_domain
        self.transitions = transitions  # (domain, exec type) -> new domain
        self.domain = {}  # pid -> domain
        self.fds = {}  # pid -> {fd: Fd}
        self.pipe_owner = {}  # pipe inode -> creator domain
        self.access = []  # (src, tgt_kind, tgt, cls, perms, why)
        self.harness = 0
        self.started = False  # after the exec of the program under test

    def add(self, src, target, cls, perms, why):
        self.access.append((src, target, cls, tuple(sorted(perms)), why))

    def obj_target(self, obj, entry):
        """(target, class) of an object; target is ('path', installed) or ('type', t)."""
        kind = obj[0]
        if kind == "pipe":  # a pipe has the type of the domain that made it
            return ("type", self.pipe_owner.get(obj[1], self.root)), "fifo_file"
        if kind == "sock":  # so has a socket
            return ("type", entry.opener), obj[1]
        p = installed(obj[1])
        if p is None:
            return None, None
        return ("path", p), file_class(obj[1])

    def fd_access(self, pid, fd, annot, perms, why):
        d = self.domain[pid]
        entry = self.fds[pid].get(fd)
        obj = parse_obj(annot)
        if entry is None:  # inherited from outside the trace: the login program had it
            entry = self.fds[pid][fd] = Fd(obj, self.root, "", set())
        target, cls = self.obj_target(obj, entry)
        if target is None:
            self.harness += 1
            return
        if entry.opener != d:
            self.add(d, ("type", entry.opener), "fd", {"use"}, why)
        if perms:
            if "write" in perms and "O_APPEND" in entry.flags and cls not in ("fifo_file",) and "sock" != obj[0]:
                perms = (set(perms) - {"write"}) | {"append"}
            self.add(d, target, cls, perms, why)

    def path_access(self, pid, path, cls, perms, why, parent=None):
        p = installed(path)
        if p is None:
            self.harness += 1
            return
        d = self.domain[pid]
        self.add(d, ("path", p), cls or file_class(path), perms, why)
        if p != path:  # the module walks to it, component by component (O_PATH, fstat)
            for a in ancestors(p):
                self.add(d, ("path", a), "dir", {"search", "getattr"}, why + " (the walk to " + p + ")")
        if parent:
            self.add(d, ("path", os.path.dirname(p.rstrip("/")) or "/"), "dir", parent, why)


def file_class(path):
    try:
        st = os.lstat(path)
    except OSError:
        return "file"
    import stat
    for test, cls in ((stat.S_ISDIR, "dir"), (stat.S_ISCHR, "chr_file"), (stat.S_ISLNK, "lnk_file"),
                      (stat.S_ISSOCK, "sock_file"), (stat.S_ISFIFO, "fifo_file")):
        if test(st.st_mode):
            return cls
    return "file"


def open_perms(flags):
    perms = {"open"}
    if "O_WRONLY" in flags:
        perms.add("append" if "O_APPEND" in flags else "write")
    elif "O_RDWR" in flags:
        perms |= {"read", "append" if "O_APPEND" in flags else "write"}
    else:
        perms.add("read")
    return perms


SIGPERM = {"SIGKILL": "sigkill", "SIGSTOP": "sigstop", "SIGCHLD": "sigchld", "0": "signull"}


def trace_file(run, path):
    pending = {}
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        pid, text = int(m.group(1)), m.group(2)
        if text.endswith("<unfinished ...>"):
            pending[pid] = text[: -len("<unfinished ...>")].rstrip()
            continue
        rm = re.match(r"<\.\.\. [a-z0-9_]+ resumed>(.*)$", text)
        if rm:
            text = pending.pop(pid, "") + rm.group(1)
        step(run, pid, text)


def step(run, pid, text):
    if not run.started:
        if re.match(r'execve\("[^"]*/(pamtester|scnet-quota|scnet-quota-now)", .* = 0$', text):
            run.started = True
            run.domain[pid] = run.root
            run.fds[pid] = {}
        return
    if pid not in run.domain:
        return  # a process of the harness
    d = run.domain[pid]
    sig = re.match(r"--- (SIG[A-Z]+) \{.*si_pid=(\d+)", text)
    if sig:
        sender = run.domain.get(int(sig.group(2)))
        if sig.group(1) == "SIGCHLD" and sender:
            run.add(sender, ("type", d), "process", {"sigchld"}, "a child's exit signals its parent")
        return
    m = CALL.match(text)
    if not m:
        return
    name, args, ret, rest = m.groups()
    ok = not ret.startswith("-") and ret != "?"
    if not ok and name not in ("connect",):
        return
    if name == "connect" and ret == "-1" and "EINPROGRESS" not in rest:
        return
    fds = run.fds[pid]
    annots = fd_annots(args)
    ret_annot = re.match(r"<(.*)>$", rest.strip())

    if name in ("clone", "clone3", "fork", "vfork"):
        child = int(ret)
        run.domain[child] = d
        run.fds[child] = dict(fds)
        if "CLONE_THREAD" not in args:
            run.add(d, ("type", d), "process", {"fork"}, "fork")
    elif name in ("execve", "execveat"):
        exe = annots[0][1] if name == "execveat" and annots else re.match(r'"([^"]*)"', args).group(1)
        exe_real = installed(exe)
        label_paths([exe_real])
        etype = _label_cache[exe_real]
        new = run.transitions.get((d, etype), d)
        why = "exec " + exe_real
        run.add(d, ("path", exe_real), "file", {"execute", "read", "open", "getattr"}, why)
        if new != d:
            run.add(d, ("type", new), "process", {"transition"}, why)
            run.add(new, ("path", exe_real), "file", {"entrypoint", "map", "read", "execute"}, why)
        else:
            run.add(d, ("path", exe_real), "file", {"execute_no_trans", "map"}, why)
        run.add(new, ("path", "/usr/lib64/ld-linux-x86-64.so.2"), "file", {"read", "open", "map", "execute"},
                "the kernel maps the program's ELF interpreter")
        run.domain[pid] = new
        kept = {}
        for fd, e in fds.items():
            if "CLOEXEC" in e.flags:
                continue
            kept[fd] = e
            if new != d:
                # The kernel checks every descriptor that crosses the exec (flush_unauthorized_files).
                target, cls = run.obj_target(e.obj, e)
                if target is None:
                    run.harness += 1
                    continue
                if e.opener != new:
                    run.add(new, ("type", e.opener), "fd", {"use"}, "inherited across the exec")
                perms = set()
                if "r" in e.mode:
                    perms.add("read")
                if "w" in e.mode:
                    perms.add("append" if "O_APPEND" in e.flags else "write")
                if perms:
                    run.add(new, target, cls, perms, "inherited across the exec")
        run.fds[pid] = kept
    elif name in ("openat", "open"):
        flags = args.split(", ")[2 if name == "openat" else 1] if args.count(",") >= (2 if name == "openat" else 1) else ""
        if not ret_annot:
            return
        real = ret_annot.group(1)
        obj = parse_obj(real)
        requested = re.search(r'"([^"]*)"', args).group(1)
        mode = set() if "O_PATH" in flags else \
            ({"w"} if "O_WRONLY" in flags else {"r", "w"} if "O_RDWR" in flags else {"r"})
        fds[int(ret)] = Fd(obj, d, flags, mode)
        if obj[0] != "path":
            return
        cls = "dir" if "O_DIRECTORY" in flags else file_class(obj[1])
        perms = open_perms(flags) if cls != "dir" else {"open", "read", "search"}
        if "O_PATH" in flags:
            perms = set()  # an O_PATH descriptor is only a lookup: no open, no read
        if "O_CREAT" in flags:
            perms.add("create")
        if os.path.isabs(requested) and requested != obj[1] and os.path.islink(requested):
            run.path_access(pid, requested, "lnk_file", {"read"}, "follows a symbolic link")
        run.path_access(pid, obj[1], cls, perms | {"getattr"}, "open " + flags,
                        parent={"add_name", "write", "search"} if "O_CREAT" in flags else None)
    elif name in ("newfstatat", "statx", "stat", "lstat", "fstat", "fstatfs", "statfs"):
        if annots and ('""' in args or name in ("fstat", "fstatfs")):
            run.fd_access(pid, annots[0][0], annots[0][1], {"getattr"}, name)
        else:
            q = re.search(r'"([^"]*)"', args)
            base = annots[0][1] if annots else ""
            if q:
                p = q.group(1) if q.group(1).startswith("/") else os.path.join(base, q.group(1))
                cls = file_class(p)
                if name not in ("fstatfs", "statfs"):
                    run.path_access(pid, p, cls, {"getattr"}, name)
    elif name in ("readlink", "readlinkat"):
        q = re.search(r'"([^"]*)"', args)
        run.path_access(pid, q.group(1), "lnk_file", {"read"}, name)
    elif name in ("unlink", "unlinkat", "rmdir"):
        base = annots[0][1] if annots else ""
        q = re.search(r'"([^"]*)"', args).group(1)
        p = q if q.startswith("/") else os.path.join(base, q)
        isdir = name == "rmdir" or "AT_REMOVEDIR" in args
        run.path_access(pid, p, "dir" if isdir else "file", {"rmdir"} if isdir else {"unlink"}, name,
                        parent={"remove_name", "write", "search"})
    elif name in ("rename", "renameat", "renameat2"):
        names = re.findall(r'"([^"]*)"', args)
        bases = [a for _, a in annots] + ["", ""]
        old = names[0] if names[0].startswith("/") else os.path.join(bases[0], names[0])
        new = names[1] if names[1].startswith("/") else os.path.join(bases[1], names[1])
        run.path_access(pid, old, "file", {"rename"}, name, parent={"remove_name", "write", "search"})
        run.path_access(pid, new, "file", {"unlink"}, name + " (over an older entry)",
                        parent={"add_name", "write", "search"})
    elif name in ("mkdir", "mkdirat"):
        base = annots[0][1] if annots else ""
        q = re.search(r'"([^"]*)"', args).group(1)
        p = q if q.startswith("/") else os.path.join(base, q)
        run.path_access(pid, p, "dir", {"create", "getattr"}, name, parent={"add_name", "write", "search"})
    elif name in ("fchmod", "fchown", "futimens", "ftruncate"):
        run.fd_access(pid, annots[0][0], annots[0][1], {"write"} if name == "ftruncate" else {"setattr"}, name)
    elif name in ("chmod", "chown", "fchmodat", "fchownat", "utimensat", "lchown"):
        q = re.search(r'"([^"]*)"', args)
        if q and q.group(1):
            base = annots[0][1] if annots else ""
            p = q.group(1) if q.group(1).startswith("/") else os.path.join(base, q.group(1))
            run.path_access(pid, p, None, {"setattr"}, name)
        elif annots:
            run.fd_access(pid, annots[0][0], annots[0][1], {"setattr"}, name)
    elif name == "flock" or (name == "fcntl" and re.search(r"F_(OFD_)?SETLKW?", args)):
        run.fd_access(pid, annots[0][0], annots[0][1], {"lock"}, name)
    elif name in ("read", "pread64", "readv", "recvfrom", "recvmsg", "recvmmsg", "getdents64"):
        run.fd_access(pid, annots[0][0], annots[0][1], {"read"} if name != "getdents64" else {"read", "search"}, name)
    elif name in ("write", "pwrite64", "writev", "sendto", "sendmsg", "sendmmsg"):
        perms = {"write"}
        if annots[0][1].startswith("NETLINK") and "RTM_GET" in args:
            perms.add("nlmsg_read")
        run.fd_access(pid, annots[0][0], annots[0][1], perms, name)
    elif name == "ioctl":
        run.fd_access(pid, annots[0][0], annots[0][1], {"ioctl"}, name)
    elif name == "mmap" and annots:
        perms = {"map"}
        if "PROT_EXEC" in args:
            perms.add("execute")
        if "PROT_WRITE" in args and "MAP_SHARED" in args:
            perms.add("write")
        run.fd_access(pid, annots[0][0], annots[0][1], perms, "mmap")
    elif name in ("pipe", "pipe2"):
        for fd, a in annots:
            obj = parse_obj(a)
            run.pipe_owner[obj[1]] = d
        (r, _), (w, a) = annots[0], annots[1]
        cloexec = "CLOEXEC" if "O_CLOEXEC" in args else ""
        fds[r] = Fd(parse_obj(annots[0][1]), d, cloexec, {"r"})
        fds[w] = Fd(parse_obj(a), d, cloexec, {"w"})
    elif name in ("socket", "socketpair"):
        cloexec = "CLOEXEC" if "SOCK_CLOEXEC" in args else ""
        new_fds = annots if name == "socketpair" else ([(int(ret), ret_annot.group(1))] if ret_annot else [])
        for fd, a in new_fds:
            obj = parse_obj(a)
            if obj[0] != "sock":
                raise SystemExit("policy_coverage: cannot read the socket in: " + text)
            fds[fd] = Fd(obj, d, cloexec, {"r", "w"})
            run.add(d, ("type", d), obj[1], {"create"}, name)
    elif name == "connect":
        fd, a = annots[0]
        obj = parse_obj(a)
        run.fd_access(pid, fd, a, {"connect"}, "connect")
        port = re.search(r"sin6?_port=htons\((\d+)\)", args)
        if obj[1] == "tcp_socket" and port:
            n = int(port.group(1))
            mapped = API_PORT if n not in (53,) else n
            run.add(d, ("type", port_type("tcp", mapped)), "tcp_socket", {"name_connect"},
                    "connect to tcp port %d (stands for %d)" % (n, mapped))
        unix = re.search(r'sun_path="([^"]*)"', args)
        if unix:
            run.path_access(pid, unix.group(1), "sock_file", {"write"}, "connect to a unix socket")
    elif name in ("bind",):
        run.fd_access(pid, annots[0][0], annots[0][1], {"bind"}, name)
    elif name in ("getsockname", "getpeername"):
        run.fd_access(pid, annots[0][0], annots[0][1], {"getattr"}, name)
    elif name in ("setsockopt", "getsockopt"):
        run.fd_access(pid, annots[0][0], annots[0][1], {"setopt" if name[0] == "s" else "getopt"}, name)
    elif name in ("dup", "dup2", "dup3") or (name == "fcntl" and "F_DUPFD" in args):
        src = annots[0][0]
        if src in fds:
            e = fds[src]
            flags = e.flags.replace("CLOEXEC", "")
            if name == "dup3" and "O_CLOEXEC" in args or "F_DUPFD_CLOEXEC" in args:
                flags += " CLOEXEC"
            fds[int(ret)] = Fd(e.obj, e.opener, flags, e.mode)
    elif name == "fcntl" and "F_SETFD" in args and annots:
        e = fds.get(annots[0][0])
        if e:
            e.flags = e.flags.replace("CLOEXEC", "") + (" CLOEXEC" if "FD_CLOEXEC" in args else "")
    elif name == "close":
        fds.pop(annots[0][0] if annots else -1, None)
    elif name in ("kill", "tkill", "tgkill"):
        parts = [x.strip() for x in args.split(",")]
        target_pid, signame = int(parts[-2] if name == "tgkill" else parts[0]), parts[-1]
        if signame == "0" and target_pid not in run.domain:
            # A liveness probe of a process outside the trace: pam_wrapper's, of the owner of a
            # stale /tmp/pam.X folder (the module sends no signal 0). Harness, not checked.
            run.harness += 1
            return
        target = run.domain.get(target_pid, d)
        run.add(d, ("type", target), "process", {SIGPERM.get(signame, "signal")}, "%s(%s)" % (name, signame))


# ---- the runs, the domains, the verdicts


def type_transition(source, exec_type):
    return TRANSITIONS.get((source, exec_type))


failures = []
helper_exec = "pam_scnet_quota_fetch_exec_t"
su_domains = sorted(t for t in types if t.endswith("_su_t"))
login_domains = ["sshd_t", "local_login_t"] + su_domains
label_paths(["/usr/bin/scnet-quota", "/usr/libexec/pam_scnet_quota/scnet-quota-fetch",
             "/usr/libexec/pam_scnet_quota/scnet-quota-now"])
assert _label_cache["/usr/libexec/pam_scnet_quota/scnet-quota-fetch"] == helper_exec, _label_cache
refresh_unit = type_transition("init_t", _label_cache["/usr/bin/scnet-quota"]) or "init_t"
# scnet-quota --now's service: the domain systemd (init_t) starts scnet-quota-now in.
NOW_DOMAIN = "pam_scnet_quota_now_t"
if type_transition("init_t", _label_cache["/usr/libexec/pam_scnet_quota/scnet-quota-now"]) != NOW_DOMAIN:
    failures.append("init_t: no type_transition to %s for scnet-quota-now" % NOW_DOMAIN)
for d in login_domains:
    if type_transition(d, helper_exec) != HELPER_DOMAIN:
        failures.append("%s: no type_transition %s %s:process %s" % (d, d, helper_exec, HELPER_DOMAIN))

runs = []
for root in login_domains:
    for name in LOGINS:
        runs.append((name, root))
runs += [("refresh", refresh_unit), ("refresh", "unconfined_t"), ("now", NOW_DOMAIN)]
all_access = {}
harness = 0
for name, root in runs:
    transitions = {}
    for d in {root, HELPER_DOMAIN}:
        t = type_transition(d, helper_exec)
        if t:
            transitions[(d, helper_exec)] = t
    run = Run(name, root, transitions)
    trace_file(run, os.path.join(TRACES, name + ".trace"))
    if not run.started:
        failures.append("%s: the trace never started the program under test" % name)
    if name in ("token-cold", "aksk-cold", "deadline", "now") and (root in login_domains or name == "now") and \
            not any(src == HELPER_DOMAIN for src, *_ in run.access):
        failures.append("%s (%s): the helper never ran in %s" % (name, root, HELPER_DOMAIN))
    harness += run.harness
    for src, target, cls, perms, why in run.access:
        for p in perms:
            all_access.setdefault((src, target, cls, p), set()).add("%s: %s" % (name, why))

label_paths([t[1] for (_, t, _, _) in all_access if t[0] == "path"])
if os.environ.get("COVERAGE_DUMP"):
    with open(os.environ["COVERAGE_DUMP"], "w") as f:
        for (src, target, cls, perm), whys in sorted(all_access.items()):
            ttype = target[1] if target[0] == "type" else _label_cache.get(target[1])
            f.write("%s %s:%s %s %s [%s]\n" % (src, ttype, cls, perm, target[1] if target[0] == "path" else "",
                                                "; ".join(sorted(whys)[:3])))
# What the traces must hold, or the test has lost what it is for (by type, from any run).
seen = set()
for (src, target, cls, perm) in all_access:
    seen.add((src, target[1] if target[0] == "type" else _label_cache.get(target[1]), cls, perm))
H = HELPER_DOMAIN
for login in login_domains:
    for want in [(login, H, "process", "transition"), (H, helper_exec, "file", "entrypoint"),
                 (login, H, "process", "sigkill"), (H, login, "process", "sigchld"),
                 (H, login, "fd", "use"), (H, login, "fifo_file", "read"), (H, login, "fifo_file", "write"),
                 (H, "null_device_t", "chr_file", "write"), (H, "http_port_t", "tcp_socket", "name_connect"),
                 (H, H, "udp_socket", "write"), (H, "net_conf_t", "file", "read"), (H, "cert_t", "file", "read"),
                 (login, "pam_scnet_quota_cache_t", "file", "create"),
                 (login, "pam_scnet_quota_cache_t", "file", "rename"),
                 (login, "pam_scnet_quota_secret_t", "file", "read"),
                 (login, "pam_scnet_quota_record_t", "file", "create"),
                 (login, "pam_scnet_quota_record_t", "file", "rename")]:
        if want not in seen:
            failures.append("not in the traces (the test lost its coverage): %s %s:%s %s" % want)
N = NOW_DOMAIN
for want in [(N, H, "process", "transition"), (N, "pam_scnet_quota_secret_t", "file", "read"),
             (N, "pam_scnet_quota_cache_t", "file", "create"), (N, "pam_scnet_quota_record_t", "file", "create"),
             (N, "pam_scnet_quota_record_t", "file", "lock"), (N, "pam_scnet_quota_record_t", "file", "rename")]:
    if want not in seen:
        failures.append("not in the traces (the test lost its coverage): %s %s:%s %s" % want)

rules = load_rules({src for (src, _, _, _) in all_access})
checked = 0
for (src, target, cls, perm), whys in sorted(all_access.items()):
    ttype = target[1] if target[0] == "type" else _label_cache.get(target[1])
    if ttype is None:
        failures.append("%s: no file context for %s" % (src, target[1]))
        continue
    allowed, audited, dontaudit = rules[src].get((ttype, cls), (set(), set(), set()))
    checked += 1
    where = target[1] if target[0] == "path" else ""
    what = "%s %s:%s %s%s   [%s]" % (src, ttype, cls, perm, " (" + where + ")" if where else "", sorted(whys)[0])
    if perm not in allowed:
        failures.append(("denied%s: " % (", silently (dontaudit)" if perm in dontaudit else "")) + what)
    elif perm in audited:
        failures.append("allowed but audited (auditallow): " + what)

print("policy coverage: %d runs (%s) in %d domains, %d distinct accesses checked, %d harness accesses left out"
      % (len(runs), ", ".join(LOGINS + ["refresh", "now"]), len(login_domains) + 4, checked, harness))
print("  login domains: %s; helper: %s; refresh: %s and unconfined_t; --now service: %s"
      % (" ".join(login_domains), HELPER_DOMAIN, refresh_unit, NOW_DOMAIN))
if failures:
    print("policy coverage: %d accesses the policy would deny or audit:" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("policy coverage: every access allowed, none audited")

#!/usr/bin/env python3
"""Check an strace log against a unit's SystemCallFilter= and RestrictAddressFamilies=.

usage: syscalls_allowed.py STRACE_LOG UNIT_FILE

The groups come from `systemd-analyze syscall-filter` (this systemd's own lists), expanded
the way systemd expands them: the unit's allow lines (SystemCallFilter=@a b) are unioned,
then its deny lines (SystemCallFilter=~@c d) taken away. Prints one line per system call
or socket family the log shows that the unit would refuse, and exits 1 if there is one.
Also refuses a mapping both writable and executable (MemoryDenyWriteExecute=yes).
"""
import re
import subprocess
import sys


def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    table, name = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            name = line.strip()
            table[name] = []
        elif name and line.strip() and not line.strip().startswith("#"):
            table[name].append(line.strip())
    return table


def expand(items, table, seen=None):
    seen = set() if seen is None else seen
    calls = set()
    for item in items:
        if item.startswith("@"):
            if item not in seen:
                seen.add(item)
                calls |= expand(table.get(item, []), table, seen)
        else:
            calls.add(item)
    return calls


def unit_settings(path):
    allow, deny, families, mdwe = [], [], None, False
    for line in open(path):
        line = line.strip()
        if line.startswith("SystemCallFilter="):
            value = line.split("=", 1)[1]
            (deny if value.startswith("~") else allow).extend(value.lstrip("~").split())
        elif line.startswith("RestrictAddressFamilies="):
            families = set(line.split("=", 1)[1].split())
        elif line == "MemoryDenyWriteExecute=yes":
            mdwe = True
    return allow, deny, families, mdwe


def main():
    log, unit = sys.argv[1], sys.argv[2]
    table = groups()
    allow, deny, families, mdwe = unit_settings(unit)
    # systemd always allows @default, whatever the list says.
    allowed = (expand(allow + ["@default"], table)) - expand(deny, table)
    used, bad = set(), []
    # strace -f -o LOG: "PID name(args) = result"; resumed and signal lines name no call.
    call = re.compile(r"^\d+\s+([a-z0-9_]+)\((.*)$")
    for line in open(log):
        m = call.match(line)
        if not m:
            continue
        name, args = m.group(1), m.group(2)
        used.add(name)
        if name == "socket" and families is not None:
            family = args.split(",", 1)[0]
            if family not in families:
                bad.append("socket family %s (not in RestrictAddressFamilies=)" % family)
        if mdwe and name in ("mmap", "mprotect", "pkey_mprotect") and \
                "PROT_WRITE" in args and "PROT_EXEC" in args:
            bad.append("%s writable and executable: %s" % (name, line.strip()))
    if allow:
        bad += ["system call %s (not allowed by SystemCallFilter=)" % n
                for n in sorted(used - allowed)]
    for line in sorted(set(bad)):
        print(line)
    print("%d system calls used: %s" % (len(used), " ".join(sorted(used))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/bash
# The refresh unit's hardening, measured and lived with:
#   test-refresh-unit.sh SOURCE_DIR TOOL HELPER RUN_DIR score|limits
# Two ctest tests, so that a host that can do one part and not the other reports a skip:
# 1. (score) `systemd-analyze security --offline=true` rates packaging/systemd/pam-scnet-quota-
#    refresh.service at or below 2.0 (read from its own output);
# 2. (limits) `scnet-quota --refresh` (TOOL, with HELPER) renews a due answer from the simulator of
#    RUN_DIR (tests/pam's pam_sim fixture) under the unit's limits. There is no systemd as
#    PID 1 here, so they are emulated, each the way the kernel would enforce it:
#    - CapabilityBoundingSet= AmbientCapabilities= NoNewPrivileges=yes: setpriv
#      --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs (checked:
#      CapEff and CapBnd are 0 in the refresh's own /proc/self/status);
#    - ProtectSystem=strict + ReadWritePaths=: a mount namespace where every mount is
#      remounted read-only but the cache folder (checked: a write beside it fails);
#    - PrivateTmp= ProtectHome=: empty tmpfs on /tmp, /var/tmp, /home, /root, /run/user;
#    - PrivateDevices=: a tmpfs /dev with null, zero, full, random, urandom only;
#    - ProtectProc=invisible ProcSubset=pid: a pid namespace whose /proc has
#      hidepid=invisible,subset=pid;
#    - SystemCallFilter= RestrictAddressFamilies= MemoryDenyWriteExecute=: not enforced
#      (seccomp needs systemd); the run is traced with strace -f and every call, socket
#      family and mapping is checked against the unit's lists as this systemd expands them
#      (tests/tools/syscalls_allowed.py).
#    Not emulated: ProtectKernel*, ProtectControlGroups, ProtectClock, ProtectHostname,
#    RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID, LockPersonality (the refresh
#    makes none of the calls they refuse: the strace check covers their system calls).
# Needs root (setpriv, unshare, mount) and systemd-analyze: exits 77, a skip, otherwise; the
# score also a systemd-analyze with `security --offline` (systemd 250; without it, security
# rates only units a running systemd has loaded).
set -u
src=$1
tool=$2
helper=$3
run=$4
part=$5
unit=$src/packaging/systemd/pam-scnet-quota-refresh.service
pass=0
fail=0
check() { # name, command...
    local name=$1
    shift
    if "$@"; then
        pass=$((pass + 1)); echo "PASS: $name"
    else
        fail=$((fail + 1)); echo "FAIL: $name"
        return 1
    fi
}
show() { sed 's/^/    | /' "$1"; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (setpriv --bounding-set, unshare, mount)"; exit 77; }
for t in systemd-analyze setpriv unshare strace findmnt python3; do
    command -v "$t" >/dev/null || { echo "SKIP: no $t (apt-get install systemd util-linux strace)"; exit 77; }
done

work=$(mktemp -d "$run/refresh-unit.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"

# ---- 1. the exposure score ------------------------------------------------------------
if [ "$part" = score ]; then
    if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
        echo "SKIP: this systemd-analyze ($(systemd-analyze --version | head -n 1)) has no security --offline (systemd 250)"
        exit 77
    fi
    # The --now service (a template: rated as an instance) has the same confinement.
    cp "$unit" "$work/"
    cp "$src/packaging/systemd/pam-scnet-quota-now@.service" "$work/pam-scnet-quota-now@1.service"
    for name in pam-scnet-quota-refresh.service pam-scnet-quota-now@1.service; do
        (cd "$work" && systemd-analyze security --offline=true "./$name") >"$work/security.out" 2>&1
        score=$(sed -n "s/.*Overall exposure level for $name: \([0-9.]*\).*/\1/p" "$work/security.out")
        check "systemd-analyze security --offline=true $name: exposure ${score:-?} <= 2.0" \
            python3 -c 'import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) <= 2.0 else 1)' "$score" ||
            show "$work/security.out"
        for line in CapabilityBoundingSet= AmbientCapabilities=; do
            check "$name has '$line' (no capability at all)" grep -qxF "$line" "$work/$name"
        done
    done

    echo "$pass passed, $fail failed"
    exit "$((fail != 0))"
fi

# ---- 2. --refresh under the emulated limits ---------------------------------------------
[ "$part" = limits ] || { echo "part '$part': score or limits" >&2; exit 2; }
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
cache=$work/cache
mkdir -m 0700 "$cache"
# Root-only, as the admin's config is; cache_ttl = 2: the answer is due after 1 s.
(umask 077 && printf '%s\n' "url = https://127.0.0.1:$https_port" "token_file = $run/token" \
    "cafile = $run/certs/ca.pem" "cache_dir = $cache" "cache_ttl = 2" "stale_ttl = 600" \
    "refresh_rate = 0" "timeout = 5" "offline_retry = 0" "lang = en" "helper = $helper" \
    >"$work/conf")
"$tool" --conf "$work/conf" near >"$work/seed.out" 2>&1
check "a login-like run caches near's answer (and marks near seen)" grep -q "^near: allowed" "$work/seed.out" ||
    show "$work/seed.out"
sleep 1.5 # older than cache_ttl / 2: due
near_uid=$(id -u near)
record_before=$(stat -c %Y.%i "$cache-users/$near_uid" 2>/dev/null)

# In the new namespaces, as root with nothing but what the unit leaves.
# A folder that holds the test's own files (the build, as in a checkout under /root or /home)
# stays visible: the unit's cache is never there, the test's is.
cat >"$work/confine.sh" <<'EOF'
set -e
cache=$1 work=$2 keep=$3
shift 3
mount -t proc -o hidepid=invisible,subset=pid proc /proc
for d in /tmp /var/tmp /home /root /run/user; do
    covered=yes
    for k in $keep; do
        case $k/ in "$d"/*) covered=no ;; esac
    done
    if [ "$covered" = no ]; then
        echo "not covered: $d (holds the test's build)"
    elif [ -d "$d" ]; then
        mount -t tmpfs -o mode=0755 tmpfs "$d"
    fi
done
# The host's device nodes, kept aside before /dev is covered.
for n in null zero full random urandom; do
    touch "$work/devices/$n" && mount --bind "/dev/$n" "$work/devices/$n"
done
mount -t tmpfs -o mode=0755,nosuid tmpfs /dev
for n in null zero full random urandom; do
    touch "/dev/$n" && mount --bind "$work/devices/$n" "/dev/$n"
done
mount --bind "$cache" "$cache"
mount --bind "$cache-users" "$cache-users" # ReadWritePaths=-/var/cache/pam_scnet_quota-users
findmnt -rno TARGET | while read -r m; do
    m=$(printf '%b' "$m")
    case $m in "$cache" | "$cache-users" | /proc | /proc/* | /dev/*) continue ;; esac
    mount -o remount,bind,ro "$m" 2>/dev/null || true
done
exec "$@"
EOF
mkdir "$work/devices"
# What the run needs to see (folders without blanks: a build folder's own).
keep="$(dirname "$tool") $(dirname "$helper") $run"
confined() { # command...: run under the emulated unit (see the header)
    unshare --mount --pid --fork --propagation private sh "$work/confine.sh" "$cache" "$work" "$keep" \
        setpriv --no-new-privs --bounding-set=-all --inh-caps=-all --ambient-caps=-all "$@"
}
confined sh -c 'grep -E "^(CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status;
    touch '"$work"'/outside 2>&1; touch '"$cache"'/inside && echo cache-writable;
    ls /proc | grep -c "^[0-9]"; ls /dev' >"$work/confined.out" 2>&1
show "$work/confined.out"
check "emulation: no capability in the bounding, effective or ambient set" \
    [ "$(grep -cE '^Cap(Eff|Bnd|Amb):[[:space:]]+0+$' "$work/confined.out")" = 3 ]
check "emulation: no new privileges" grep -qE '^NoNewPrivs:[[:space:]]+1$' "$work/confined.out"
check "emulation: a write beside the cache fails (read-only file system)" \
    grep -q "outside.*Read-only file system" "$work/confined.out"
check "emulation: the cache folder is writable" grep -qx cache-writable "$work/confined.out"
rm -f "$cache/inside"

# The trace goes out through a descriptor opened here: its folder is read-only in there.
confined strace -f -qq -o /proc/self/fd/9 "$tool" --conf "$work/conf" --refresh \
    >"$work/refresh.out" 2>&1 9>"$work/strace.log"
rc=$?
show "$work/refresh.out"
check "--refresh under the unit's limits exits 0 (got $rc)" [ "$rc" = 0 ]
check "--refresh renewed near's answer: 'refreshed 1, failed 0'" \
    grep -q "refreshed 1, failed 0" "$work/refresh.out"
check "--refresh wrote near's record anew (a new file), without a word of failure" \
    sh -c '[ -n "$1" ] && [ "$(stat -c %Y.%i "$2")" != "$1" ] && grep -q "^next warning$" "$2" &&
        ! grep -q "record" "$3"' - "$record_before" "$cache-users/$near_uid" "$work/refresh.out"
python3 "$src/tests/tools/syscalls_allowed.py" "$work/strace.log" "$unit" >"$work/syscalls.out" 2>&1
rc=$?
show "$work/syscalls.out"
check "every system call, socket family and mapping of --refresh (and its helper) passes the unit's filters" \
    [ "$rc" = 0 ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# Demo: the real module in a real libpam stack (pam_wrapper, no root needed) against the
# bundled SCNet API simulator on loopback. Shows what four users see at login, and a fifth
# case: the API down while an older answer is in the cache. Checks itself: it exits 1, naming
# the case, when what a user sees differs from the README's capture ("What users see").
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh --demo
# Its own build folder, without the tests: the demo needs only the module and the network
# helper, and no test package (./run-tests.sh configures build/ with the tests).
cmake -S . -B build-demo -DBUILD_TESTING=OFF >/dev/null
cmake --build build-demo -j"$(nproc)" --target pam_scnet_quota scnet-quota-fetch >/dev/null

# Not under /tmp: the module refuses a cafile or token in a folder others can write.
demo=$(mktemp -d "$PWD/build-demo/run.XXXXXX")
trap 'tests/support/sim-stop.sh "$demo"; rm -rf "$demo"' EXIT
tests/support/sim-start.sh "$demo" >/dev/null
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$demo/ready.json")
# An API that accepts connections and never answers: the worst case for a login.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    held.append(s.accept()[0])
' "$demo/hang.port" </dev/null >/dev/null 2>&1 &
hang_pid=$!
trap 'kill $hang_pid 2>/dev/null; tests/support/sim-stop.sh "$demo"; rm -rf "$demo"' EXIT
for _ in $(seq 50); do [ -s "$demo/hang.port" ] && break; sleep 0.1; done
dead_port=$(cat "$demo/hang.port")

module=$PWD/build-demo/pam_module/pam_scnet_quota.so
# Debian/Ubuntu multiarch (x86_64, aarch64, ...), then RHEL's lib64 and plain lib.
permit=$(find /usr/lib/*-linux-gnu*/security /lib/*-linux-gnu*/security /usr/lib64/security \
         /lib64/security /usr/lib/security /lib/security -name pam_permit.so 2>/dev/null | head -n 1)
mkdir -p "$demo/services"
for svc in demo demo-down demo-down-cached; do
    printf 'session required %s conf=%s/%s.conf\nsession required %s\n' \
        "$module" "$demo" "$svc" "$permit" > "$demo/services/$svc"
done
write_conf() { # name url [extra line]
    (umask 077 && cat > "$demo/$1.conf" <<CONF
url = $2
cache_dir = $demo/cache
helper = $PWD/build-demo/fetch_helper/scnet-quota-fetch
${3:-}
token_file = $demo/token
cafile = $demo/certs/ca.pem
timeout = 2
warn = 90
deny = 100
lang = en
contact = HPC support: hpc-help@example.org
CONF
)
}
write_conf demo "https://127.0.0.1:$https_port"
write_conf demo-down "https://127.0.0.1:$dead_port" $'cache_ttl = 0\nstale_ttl = 0'
write_conf demo-down-cached "https://127.0.0.1:$dead_port" "cache_ttl = 1"
cat > "$demo/passwd" <<'PW'
low:x:2001:2000::/home/low:/bin/sh
near:x:2002:2000::/home/near:/bin/sh
over:x:2003:2000::/home/over:/bin/sh
PW
echo 'users:x:2000:' > "$demo/group"

wrapped() { # run a command with pam_wrapper (our services, no root) and nss_wrapper (users)
    LD_PRELOAD="libnss_wrapper.so:libpam_wrapper.so" PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$demo/services" PAM_WRAPPER_DEBUGLEVEL=2 \
        NSS_WRAPPER_PASSWD="$demo/passwd" NSS_WRAPPER_GROUP="$demo/group" "$@"
}

failed=()
show() { # title service user: runs the login, prints what the user sees; sets rc, seen, ms
    echo "=== $1"
    echo "\$ pamtester $2 $3 open_session"
    local start=$EPOCHREALTIME
    set +e
    # Bounded, so that a login that hangs is a failed case, not a demo that never ends.
    wrapped timeout 60 pamtester "$2" "$3" open_session >"$demo/stdout" 2>"$demo/stderr"
    rc=$?
    set -e
    ms=$(python3 -c 'import sys; print(int((float(sys.argv[1]) - float(sys.argv[2])) * 1000))' \
        "$EPOCHREALTIME" "$start")
    # What the user sees: the conversation (stdout) and pamtester's own lines, not the
    # module's log lines that pam_wrapper copies to stderr.
    seen=$(cat "$demo/stdout"; grep -v 'PWRAP\|^$' "$demo/stderr" | grep -v pam_syslog || true)
    [ -z "$seen" ] || printf '%s\n' "$seen"
    echo "[syslog] $(grep -o 'user=.*' "$demo/stderr" | head -n 1)"
    echo "[pamtester exit status $rc, ${ms} ms]"
}
expect() { # case what command...: a check on the login just shown
    local case=$1 what=$2
    shift 2
    "$@" && return 0
    echo "DIFFERS from the README: $case: $what"
    failed+=("$case: $what")
}
sees() { grep -qF -- "$1" <<<"$seen"; }
below() { [ -n "$1" ] && [ "$1" -lt "$2" ]; } # a number, less than the limit
sees_only_success() { [ "$seen" = "pamtester: successfully opened a session" ]; }

show "below warn: logs in, sees nothing" demo low
expect low "logs in (exit 0)" [ "$rc" = 0 ]
expect low "sees nothing but pamtester's success line" sees_only_success
echo
show "near full (93%): logs in, sees the warning" demo near
expect near "logs in (exit 0)" [ "$rc" = 0 ]
expect near "sees the warning banner" sees "WARNING: your storage quota is nearly full."
expect near "with the path and figures" sees "/public/home/near  651.0 GB of 700.0 GB  93.0%"
expect near "ending with where to look again" sees "Contact: HPC support: hpc-help@example.org
See your quota any time: scnet-quota"
echo
show "over the deny line (105%): login refused" demo over
expect over "is refused (pamtester exit 1)" [ "$rc" = 1 ]
expect over "sees the refusal" sees "Login refused: your storage quota is exceeded."
expect over "with the path and figures" sees "/public/home/over  735.0 GB of 700.0 GB  105.0%"
expect over "ending with where to look again" sees "Contact: HPC support: hpc-help@example.org
See your quota any time: scnet-quota"
expect over "PAM says Permission denied" sees "pamtester: Permission denied"
echo
show "API down (fail = open): logs in, after at most the 2 s timeout" demo-down low
expect api-down "logs in (exit 0)" [ "$rc" = 0 ]
expect api-down "sees nothing but pamtester's success line" sees_only_success
# The wait the module reports on its decision line (ms=, the time it really took), not the
# wall time, which on a busy machine is mostly starting pamtester: timeout = 2 s, plus 1 s
# for starting and reaping the helper. A wait without a bound hangs until the 60 s above.
module_ms=$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$demo/stderr" | head -n 1)
expect api-down "the module waited at most its 2 s timeout (ms=${module_ms:-none}; 3000 allowed)" \
    below "$module_ms" 3000
expect api-down "the login ended (${ms} ms in all; the 60 s limit not reached)" [ "$rc" != 124 ]
echo
sleep 1.1 # the answer cached for near above is now older than cache_ttl = 1 s
show "API down, an older answer in the cache: the warning is shown from it" demo-down-cached near
expect cached "logs in (exit 0)" [ "$rc" = 0 ]
expect cached "sees the warning banner" sees "WARNING: your storage quota is nearly full."
expect cached "says how old the figures are" sees "the quota service could not be reached"
echo

if [ ${#failed[@]} -gt 0 ]; then
    echo "demo: ${#failed[@]} check(s) differ from the README's capture:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "demo: every case shows what the README says"

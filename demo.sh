#!/bin/bash
# Demo: the real module in a real libpam stack (pam_wrapper, no root needed) against the
# bundled SCNet API simulator on loopback. Shows what four users see at login, and a fifth
# case: the API down while an older answer is in the cache.
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target pam_scnet_quota >/dev/null

demo=$(mktemp -d /tmp/scnet-demo.XXXXXX)
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

module=$PWD/build/pam_module/pam_scnet_quota.so
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
helper = $PWD/build/fetch_helper/scnet-quota-fetch
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

show() { # title service user
    echo "=== $1"
    echo "\$ pamtester $2 $3 open_session"
    set +e
    wrapped pamtester "$2" "$3" open_session 2>"$demo/stderr"
    rc=$?
    set -e
    grep -v 'PWRAP\|^$' "$demo/stderr" | grep -v pam_syslog || true
    echo "[syslog] $(grep -o 'user=.*' "$demo/stderr" | head -n 1)"
    echo "[pamtester exit status $rc]"
    echo
}
show "below warn: logs in, sees nothing" demo low
show "near full (93%): logs in, sees the warning" demo near
show "over the deny line (105%): login refused" demo over
show "API down (fail = open): logs in, after at most the 2 s timeout" demo-down low
sleep 1.1 # the answer cached for near above is now older than cache_ttl = 1 s
show "API down, an older answer in the cache: the warning is shown from it" demo-down-cached near

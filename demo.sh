#!/bin/bash
# Demo: the real module in a real libpam stack (pam_wrapper, no root needed) against the
# bundled SCNet API simulator on loopback. Shows what four users see at login.
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target pam_scnet_quota >/dev/null

demo=$(mktemp -d /tmp/scnet-demo.XXXXXX)
trap 'tests/support/sim-stop.sh "$demo"; rm -rf "$demo"' EXIT
tests/support/sim-start.sh "$demo" >/dev/null
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$demo/ready.json")
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

module=$PWD/build/pam_module/pam_scnet_quota.so
permit=$(find /usr/lib/x86_64-linux-gnu/security /lib/x86_64-linux-gnu/security /usr/lib64/security \
         -name pam_permit.so 2>/dev/null | head -n 1)
mkdir -p "$demo/services"
for svc in demo demo-down; do
    printf 'session required %s conf=%s/%s.conf\nsession required %s\n' \
        "$module" "$demo" "$svc" "$permit" > "$demo/services/$svc"
done
write_conf() { # name url
    (umask 077 && cat > "$demo/$1.conf" <<CONF
url = $2
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
write_conf demo-down "https://127.0.0.1:$dead_port"
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

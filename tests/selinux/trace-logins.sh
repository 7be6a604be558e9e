#!/bin/bash
# Traces of real logins through the module, for the policy coverage test (README.md here).
# Each run is `strace -f` of pamtester opening a session (real libpam through pam_wrapper,
# users from nss_wrapper) or of `scnet-quota --refresh`, against the API simulator over
# HTTPS, with the API's host name resolved by DNS: everything runs in a private mount and
# network namespace (`unshare -mn`) where /etc/resolv.conf is a bind mount naming a small
# name server on 127.0.0.99:53 that knows one name, scnet-api.test (127.0.0.1): the
# simulator serves a certificate for that name, made here.
#   token-cold  token-warm   auth = token (token_file), the helper runs / a cache hit
#   aksk-cold   aksk-warm    auth = aksk (credentials_file, the token endpoint, token cache)
#   deadline                 the API answers after 30 s, timeout = 1: the helper is killed
#   refresh                  scnet-quota --refresh renews the answers left by the logins
#   now                      scnet-quota --now's service (scnet-quota-now) answers near, whose
#                            connection is its standard input and output, as systemd hands it
# Writes OUT_DIR/NAME.trace and OUT_DIR/paths (the test paths, for the mapping table).
# Root (namespaces); exits 77 otherwise.
#   usage: tests/selinux/trace-logins.sh BUILD_DIR OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

if [ "${1:-}" = --in-namespace ]; then
    shift
    build=$1 out=$2
    ns=$out/ns
    mount --make-rprivate /
    mount --bind "$ns/resolv.conf" /etc/resolv.conf
    ip link set lo up
    # The name server: A 127.0.0.1 for scnet-api.test, no other address of it, no other name.
    /usr/bin/python3 - <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.99", 53))
while True:
    q, peer = s.recvfrom(512)
    qid, _, _, _, _, _ = struct.unpack("!6H", q[:12])
    end = q.index(b"\0", 12) + 5
    question = q[12:end]
    labels, i = [], 0
    while question[i]:
        labels.append(question[i + 1:i + 1 + question[i]].decode().lower())
        i += 1 + question[i]
    qtype = struct.unpack("!H", question[i + 1:i + 3])[0]
    answers = b""
    if labels == ["scnet-api", "test"] and qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    rcode = 0 if labels == ["scnet-api", "test"] else 3
    head = struct.pack("!6H", qid, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
    s.sendto(head + question + answers, peer)
PY
    dns_pid=$!
    run=$out/run
    "$src/tests/support/sim-start.sh" "$run" --aksk tokop:AKtokop01:SKtokop01secret >/dev/null
    trap '"$src/tests/support/sim-stop.sh" "$run"; kill $dns_pid' EXIT
    port=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
    preload=$(sed -n 's/^preload=//p' "$ns/env")
    helper=$build/fetch_helper/scnet-quota-fetch
    conf() { # file, auth, timeout, extra lines
        {
            echo "url = https://scnet-api.test:$port"
            echo "cafile = $run/certs/ca.pem"
            echo "cache_dir = $run/cache"
            echo "helper = $helper"
            echo "lang = en"
            echo "timeout = $3"
            echo "offline_retry = 0"
            if [ "$2" = token ]; then
                echo "token_file = $run/token"
            else
                echo "auth = aksk"
                echo "credentials_file = $run/credentials"
            fi
            printf '%s' "${4:-}"
        } >"$1"
        chmod 0600 "$1"
    }
    (umask 077 && printf 'user = tokop\naccess_key = AKtokop01\nsecret_key = SKtokop01secret\n' >"$run/credentials")
    trace() { # name, command...
        local name=$1 rc
        shift
        rc=0
        env -u LD_PRELOAD strace -f -qq -y -yy -s 64 -o "$out/$name.trace" \
            -e trace=%file,%network,%process,%signal,%desc,%ipc,mmap "$@" >"$out/$name.out" 2>&1 || rc=$?
        echo "$name $rc" >>"$out/status"
    }
    login() { # name, user
        trace "$1" env LD_PRELOAD="$preload" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$ns/services" \
            NSS_WRAPPER_PASSWD="$ns/passwd" NSS_WRAPPER_GROUP="$ns/group" pamtester scnet "$2" open_session
    }
    : >"$out/status"
    rm -rf "$run/cache"
    conf "$ns/scnet.conf" token 10
    login token-cold near
    login token-warm near
    rm -rf "$run/cache"
    conf "$ns/scnet.conf" aksk 10
    login aksk-cold near
    login aksk-warm near
    conf "$ns/scnet.conf" token 1
    login deadline slow
    # Due: older than half of cache_ttl.
    conf "$ns/refresh.conf" aksk 10 $'cache_ttl = 1\nrefresh_rate = 0\n'
    sleep 0.6
    trace refresh env LD_PRELOAD="$(sed -n 's/^nss=//p' "$ns/env")" NSS_WRAPPER_PASSWD="$ns/passwd" \
        NSS_WRAPPER_GROUP="$ns/group" "$build/tools/scnet-quota" --refresh --conf "$ns/refresh.conf"
    # The --now service: the harness (Python) listens, a child of it connects as near
    # (uid 4201) and reads the reply, and the parent execs the service with the accepted
    # connection as standard input and output, as systemd does for an Accept=yes socket.
    # self_check_interval = 0: the service asks the API whatever the logins left.
    conf "$ns/now.conf" token 10 $'self_check_interval = 0\n'
    # The socket in a folder near can reach (the trace folder is root's alone).
    sockdir=$(mktemp -d /tmp/scnet-now-trace.XXXXXX)
    chmod 0711 "$sockdir"
    trace now env LD_PRELOAD="$(sed -n 's/^nss=//p' "$ns/env")" NSS_WRAPPER_PASSWD="$ns/passwd" \
        NSS_WRAPPER_GROUP="$ns/group" /usr/bin/python3 -c '
import os, socket, sys
path = sys.argv[1] + "/now.sock"
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
os.chmod(path, 0o666)
listener.listen(1)
listener.settimeout(30)  # a client that failed must not leave the harness waiting
if os.fork() == 0:
    listener.close()
    os.setgid(4201)
    os.setuid(4201)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.sendall(b"text\n")
    reply = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        reply += b
    os.write(1, reply)
    os._exit(0 if reply.endswith(b"scnet-quota-now status 0\n") else 1)
conn, _ = listener.accept()
conn.setblocking(True)
os.dup2(conn.fileno(), 0)
os.dup2(conn.fileno(), 1)
os.execv(sys.argv[2], [sys.argv[2], "--conf", sys.argv[3]])
' "$sockdir" "$build/tools/scnet-quota-now" "$ns/now.conf"
    rm -rf "$sockdir"
    exit 0
fi

[ "$(id -u)" = 0 ] || { echo "SKIP: the traces need root (unshare -mn, bind mounts)"; exit 77; }
build=$(cd "$1" && pwd)
out=$2
for t in strace pamtester unshare ip; do
    command -v "$t" >/dev/null || { echo "$t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
lib_dir() { # file name: the first folder that holds it
    local d
    for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib "$@"; do
        [ -f "$d/$f" ] && { echo "$d/$f"; return; }
    done
    return 1
}
f=libnss_wrapper.so nss=$(lib_dir) || { echo "libnss_wrapper.so missing" >&2; exit 1; }
f=libpam_wrapper.so pamw=$(lib_dir) || { echo "libpam_wrapper.so missing" >&2; exit 1; }
f=pam_permit.so permit=$(lib_dir /usr/lib/x86_64-linux-gnu/security /lib/x86_64-linux-gnu/security \
    /usr/lib/aarch64-linux-gnu/security /usr/lib64/security /lib/security) ||
    { echo "pam_permit.so missing" >&2; exit 1; }
module=$build/pam_module/pam_scnet_quota.so
mkdir -p "$out/ns/services"
printf 'session required %s conf=%s\nsession required %s\n' "$module" "$out/ns/scnet.conf" "$permit" \
    >"$out/ns/services/scnet"
printf 'root:x:0:0:root:/root:/bin/sh\nnear:x:4201:4201::/nonexistent:/bin/sh\nslow:x:4202:4202::/nonexistent:/bin/sh\n' \
    >"$out/ns/passwd"
printf 'root:x:0:\nnear:x:4201:\nslow:x:4202:\n' >"$out/ns/group"
printf 'nameserver 127.0.0.99\noptions timeout:2 attempts:1\n' >"$out/ns/resolv.conf"
# A CA and a certificate for scnet-api.test, where the simulator looks for them.
certs=$out/run/certs
mkdir -p "$certs"
(
    cd "$certs"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=scnet-coverage-ca \
        -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=scnet-api.test \
        -keyout server.key -out server.csr
    printf 'subjectAltName = DNS:scnet-api.test\nbasicConstraints = CA:FALSE\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.pem
    chmod 0644 ca.pem
) >"$out/openssl.log" 2>&1 || { cat "$out/openssl.log" >&2; exit 1; }
printf 'preload=%s:%s\nnss=%s\n' "$nss" "$pamw" "$nss" >"$out/ns/env"
# What the mapping table needs to know (policy_coverage.py).
{
    echo "build $build"
    echo "run $out/run"
    echo "ns $out/ns"
    echo "module_dir $(dirname "$permit")"
} >"$out/paths"
unshare -mn "$0" --in-namespace "$build" "$out"

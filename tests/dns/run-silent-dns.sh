#!/bin/bash
# A login whose API name never resolves: the name server answers nothing at all.
# Checks that `timeout` bounds DNS too, for the module (pamtester, real /etc/pam.d) and for
# the admin command, and that the decision log line's ms= is the time the login really took.
# Needs root (private mount namespace, a file in /etc/pam.d); exits 77 otherwise.
#
#   usage: tests/dns/run-silent-dns.sh BUILD_DIR
#
# Inside `unshare -m`, /etc/resolv.conf is a bind mount naming 127.0.0.99 (a UDP sink that
# reads and drops every query), and /dev is a folder of our own that holds the real device
# nodes plus a /dev/log datagram socket, so the module's syslog lines land in a file. Users
# come from nss_wrapper. Nothing outside the namespace changes except the temporary
# /etc/pam.d/scnet-dns-test, removed by the EXIT trap. See README.md beside this file.
set -u
set -o pipefail

SERVICE=scnet-dns-test
PAM_FILE=/etc/pam.d/$SERVICE
SINK_ADDR=127.0.0.99
TIMEOUT_MS=1000 # the configured timeout
SLACK_MS=300    # allowed on top of it, beyond the fixed cost of any login (measured)
TRUTH_MS=100    # how far the logged ms= may be from the wall time, beyond a login's fixed cost
TEST_USER=dnsuser

test_name=run-silent-dns
# shellcheck source=../support/root-test.sh
. "$(dirname "${BASH_SOURCE[0]}")/../support/root-test.sh"

# Re-entered inside the namespace: mounts, then the command. Not for direct use.
if [ "${1:-}" = --in-namespace ]; then
    tmp=$2
    shift 2
    mount --make-rprivate / &&
        mount --bind "$tmp/resolv.conf" /etc/resolv.conf &&
        for node in null zero full random urandom tty; do
            mount --bind "/dev/$node" "$tmp/dev/$node" || exit 1
        done &&
        mount --rbind "$tmp/dev" /dev || exit 1
    # Timed here, after the mounts: the login process alone, from exec to exit.
    start=$(date +%s%N)
    "$@"
    status=$?
    echo $((($(date +%s%N) - start) / 1000000)) >"$tmp/wall.ms"
    exit "$status"
fi

root_test_start "$#" "" "the silent-DNS test needs root (mount namespace, /etc/pam.d)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../support/assert.sh
. "$here/../support/assert.sh"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build folder $1"
module=$build/pam_module/pam_scnet_quota.so
tool=$build/tools/scnet-quota
# The network helper: ctest sets SCNET_TEST_HELPER; by hand, the build's.
helper=${SCNET_TEST_HELPER:-$build/fetch_helper/scnet-quota-fetch}
[ -f "$module" ] || die "module not found: $module (build first)"
[ -x "$tool" ] || die "admin command not found: $tool (build first)"
for t in pamtester unshare mount python3 timeout; do
    command -v "$t" >/dev/null || die "missing $t (Debian: apt-get install pamtester util-linux python3)"
done
nss=
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu; do
    [ -f "$d/libnss_wrapper.so" ] && nss=$d/libnss_wrapper.so && break
done
[ -n "$nss" ] || die "libnss_wrapper.so not found (Debian: apt-get install libnss-wrapper)"
permit=
for d in /usr/lib/x86_64-linux-gnu/security /lib/x86_64-linux-gnu/security /usr/lib64/security \
    /lib64/security /usr/lib/aarch64-linux-gnu/security /lib/security; do
    [ -f "$d/pam_permit.so" ] && permit=$d/pam_permit.so && break
done
[ -n "$permit" ] || die "pam_permit.so not found"
[ -e "$PAM_FILE" ] && die "$PAM_FILE already exists; is another run active? Not touching it."

tmp=
pam_file_written=0
sink_pid=
log_pid=
cleanup() {
    local pid
    for pid in $sink_pid $log_pid; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ "$pam_file_written" = 1 ] && rm -f "$PAM_FILE"
    [ -n "$tmp" ] && [ -z "${DNS_KEEP_TMP:-}" ] && rm -rf "$tmp"
    [ -n "$tmp" ] && [ -n "${DNS_KEEP_TMP:-}" ] && say "# kept $tmp"
    return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tmp=$(mktemp -d /tmp/scnet-dns.XXXXXXXX) || die "mktemp failed"
chmod 0755 "$tmp"
mkdir -p "$tmp/cache" "$tmp/dev" "$tmp/out"
chmod 0700 "$tmp/cache"
for node in null zero full random urandom tty; do : >"$tmp/dev/$node"; done
ln -s /proc/self/fd "$tmp/dev/fd"
ln -s /proc/self/fd/0 "$tmp/dev/stdin"
ln -s /proc/self/fd/1 "$tmp/dev/stdout"
ln -s /proc/self/fd/2 "$tmp/dev/stderr"

printf 'nameserver %s\n' "$SINK_ADDR" >"$tmp/resolv.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:4242:4242::/nonexistent:/bin/sh\n' "$TEST_USER" >"$tmp/passwd"
printf 'root:x:0:\n%s:x:4242:\n' "$TEST_USER" >"$tmp/group"
(umask 077 && printf 'never-sent-anywhere\n' >"$tmp/token")
{
    say "# silent DNS: the name below never resolves"
    say "url = https://quota.example:8443"
    say "token_file = $tmp/token"
    say "timeout = $((TIMEOUT_MS / 1000))"
    say "fail = open"
    say "lang = en"
    say "cache_dir = $tmp/cache"
    # Each run must try the API: the first timeout must not make the next one offline.
    say "offline_retry = 0"
    # The network helper (issue 8), when this build has one.
    [ -x "$helper" ] && say "helper = $helper"
} >"$tmp/scnet.conf"
chmod 0600 "$tmp/scnet.conf"
# The same with an API whose port refuses at once: a login's fixed cost (process start-up,
# PAM, config, exit) that the logged ms= does not cover, measured in the same run.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s|^url = .*|url = http://127.0.0.1:$closed_port|" "$tmp/scnet.conf" >"$tmp/refused.conf"
chmod 0600 "$tmp/refused.conf"
[ -x "$helper" ] || say "# no $helper in this build: the module does its own network requests"

# The UDP sink: reads and drops, counts what it dropped.
python3 - "$SINK_ADDR" "$tmp/sink.count" "$tmp/sink.ready" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[3], "w").close()
n = 0
while True:
    s.recv(4096)
    n += 1
    with open(sys.argv[2], "w") as f:
        f.write("%d\n" % n)
PY
sink_pid=$!
# The syslog listener on what becomes /dev/log in the namespace: one line per datagram.
python3 - "$tmp/dev/log" "$tmp/syslog.txt" "$tmp/log.ready" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
open(sys.argv[3], "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(65536).decode("utf-8", "replace").rstrip("\n") + "\n")
PY
log_pid=$!
for _ in $(seq 100); do
    [ -e "$tmp/sink.ready" ] && [ -e "$tmp/log.ready" ] && break
    if ! kill -0 "$sink_pid" 2>/dev/null || ! kill -0 "$log_pid" 2>/dev/null; then
        die "the UDP sink on $SINK_ADDR:53 or the /dev/log listener did not start"
    fi
    sleep 0.05
done
if [ ! -e "$tmp/sink.ready" ] || [ ! -e "$tmp/log.ready" ]; then
    die "listeners not ready after 5 s"
fi
: >"$tmp/syslog.txt"

write_pam_file() { # config file for the module
    cat >"$PAM_FILE" <<EOF2
# temporary, written by $0 (removed at its exit)
session required $module conf=$1
session required $permit
EOF2
    pam_file_written=1
}

sink_count() { cat "$tmp/sink.count" 2>/dev/null || echo 0; }
in_namespace() { # out-prefix, command...: runs it, sets $wall_ms and $status
    local out=$1
    shift
    rm -f "$tmp/wall.ms"
    timeout 60 unshare -m "$0" --in-namespace "$tmp" "$@" >"$out.stdout" 2>"$out.stderr"
    status=$?
    wall_ms=$(cat "$tmp/wall.ms" 2>/dev/null || echo 999999)
}
logged_ms() { # file: the ms= of the last decision line in it
    sed -n 's/.*result=.* ms=\([0-9][0-9]*\).*/\1/p' "$1" | tail -1
}

run_pamtester() { # out-prefix
    in_namespace "$1" env LD_PRELOAD="$nss" NSS_WRAPPER_PASSWD="$tmp/passwd" \
        NSS_WRAPPER_GROUP="$tmp/group" pamtester "$SERVICE" "$TEST_USER" open_session
    sleep 0.2 # the listener writes asynchronously
}
run_tool() { # out-prefix, config
    in_namespace "$1" env LD_PRELOAD="$nss" NSS_WRAPPER_PASSWD="$tmp/passwd" \
        NSS_WRAPPER_GROUP="$tmp/group" "$tool" --conf "$2" --no-cache "$TEST_USER"
}
truthful() { # logged ms, wall ms, fixed cost ms: ms <= wall, wall - ms - fixed <= TRUTH_MS
    [ "$1" -le "$2" ] && [ $(($2 - $1 - $3)) -le "$TRUTH_MS" ]
}

# 0. The fixed cost of a login, API refused at once (only measured, nothing asserted).
write_pam_file "$tmp/refused.conf"
run_pamtester "$tmp/out/pam-refused"
ms=$(logged_ms "$tmp/syslog.txt")
fixed_pam=$((wall_ms - ${ms:-0}))
[ -n "$ms" ] && [ "$fixed_pam" -ge 0 ] || fixed_pam=0
say "# fixed cost, pamtester: wall ${wall_ms} ms, logged ms=${ms:-?}: ${fixed_pam} ms unlogged"
run_tool "$tmp/out/tool-refused" "$tmp/refused.conf"
ms=$(logged_ms "$tmp/out/tool-refused.stderr")
fixed_tool=$((wall_ms - ${ms:-0}))
[ -n "$ms" ] && [ "$fixed_tool" -ge 0 ] || fixed_tool=0
say "# fixed cost, scnet-quota: wall ${wall_ms} ms, logged ms=${ms:-?}: ${fixed_tool} ms unlogged"

# 1. The module, through pamtester and the real libpam.
say "# 1. module: pamtester $SERVICE $TEST_USER open_session"
write_pam_file "$tmp/scnet.conf"
before=$(sink_count)
run_pamtester "$tmp/out/pam"
say "# wall time ${wall_ms} ms, exit $status, DNS queries dropped: $(($(sink_count) - before))"
line=$(grep 'result=' "$tmp/syslog.txt" | tail -1)
say "# log: ${line:-<no decision line>}"
ms=$(logged_ms "$tmp/syslog.txt")
check "pamtester: the session opens (fail = open)" [ "$status" -eq 0 ] ||
    { show_file stdout "$tmp/out/pam.stdout"; show_file stderr "$tmp/out/pam.stderr"; }
check "pamtester: the resolver really asked the silent name server" [ "$(($(sink_count) - before))" -ge 1 ]
check "pamtester: wall time ${wall_ms} ms less the fixed ${fixed_pam} ms <= timeout ${TIMEOUT_MS} + ${SLACK_MS} ms" \
    [ $((wall_ms - fixed_pam)) -le $((TIMEOUT_MS + SLACK_MS)) ]
check "pamtester: a decision line reached /dev/log" [ -n "$ms" ]
if [ -n "$ms" ]; then
    check "pamtester: logged ms=$ms is within ${TRUTH_MS} ms of the wall time ${wall_ms} ms less the fixed ${fixed_pam} ms" \
        truthful "$ms" "$wall_ms" "$fixed_pam"
    check "pamtester: logged ms=$ms <= timeout ${TIMEOUT_MS} + ${SLACK_MS} ms (what the reason claims)" \
        [ "$ms" -le $((TIMEOUT_MS + SLACK_MS)) ]
    check "pamtester: the line is the fail-open error decision" \
        grep -q 'result=error fail=open' <<<"$line"
fi

# 2. The admin command, same configuration; it prints the same line on stderr.
say "# 2. admin command: scnet-quota --conf ... --no-cache $TEST_USER"
before=$(sink_count)
run_tool "$tmp/out/tool" "$tmp/scnet.conf"
say "# wall time ${wall_ms} ms, exit $status, DNS queries dropped: $(($(sink_count) - before))"
line=$(grep 'result=' "$tmp/out/tool.stderr" | tail -1)
say "# stderr: ${line:-<no decision line>}"
ms=$(logged_ms "$tmp/out/tool.stderr")
check "scnet-quota: exit 2 (API error)" [ "$status" -eq 2 ] ||
    { show_file stdout "$tmp/out/tool.stdout"; show_file stderr "$tmp/out/tool.stderr"; }
check "scnet-quota: the resolver really asked the silent name server" [ "$(($(sink_count) - before))" -ge 1 ]
check "scnet-quota: wall time ${wall_ms} ms less the fixed ${fixed_tool} ms <= timeout ${TIMEOUT_MS} + ${SLACK_MS} ms" \
    [ $((wall_ms - fixed_tool)) -le $((TIMEOUT_MS + SLACK_MS)) ]
check "scnet-quota: a decision line on stderr" [ -n "$ms" ]
if [ -n "$ms" ]; then
    check "scnet-quota: logged ms=$ms is within ${TRUTH_MS} ms of the wall time ${wall_ms} ms less the fixed ${fixed_tool} ms" \
        truthful "$ms" "$wall_ms" "$fixed_tool"
    check "scnet-quota: logged ms=$ms <= timeout ${TIMEOUT_MS} + ${SLACK_MS} ms (what the reason claims)" \
        [ "$ms" -le $((TIMEOUT_MS + SLACK_MS)) ]
fi

# shellcheck disable=SC2154 # counted by assert.sh
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

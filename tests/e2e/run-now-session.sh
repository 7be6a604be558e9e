#!/bin/bash
# A user's session, captured end to end with a real sshd and the real ssh and sftp clients
# on loopback: the warning at an interactive login, files removed with sftp, then
# `ssh host scnet-quota --now` showing the fresh, lower figure. The simulator measures the
# user's usage from their real home folder (its "du" override: megabytes x 100 = GB), so
# removing a file really lowers the next answer. The --now service runs as the socket unit
# runs it (systemd-socket-activate --accept --inetd, the packaged scnet-quota-now as root).
# Prints the transcript at the end (what the user typed and saw).
#
#   usage: tests/e2e/run-now-session.sh BUILD_DIR
#
# Needs root (it adds a user and /etc/pam.d/sshd-scnet-now); exits 77 otherwise. Everything
# lives in a fresh folder under /var/lib and is removed by the EXIT trap, with the user, the
# PAM file, sshd, the service and the simulator (each by pid). E2E_KEEP_TMP=1 keeps it.
set -u
set -o pipefail

SERVICE=sshd-scnet-now
PAM_FILE=/etc/pam.d/$SERVICE
USER_NAME=scnetnow

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
support=$here/../support
test_name=run-now-session
# shellcheck source=../support/root-test.sh
. "$support/root-test.sh"
root_test_start "$#" "the build folder" "the session test needs root (it runs sshd and adds a user)"

build=$(cd "$1" && pwd)
module=$build/pam_module/pam_scnet_quota.so
helper=${SCNET_TEST_HELPER:-$build/fetch_helper/scnet-quota-fetch}
tool=$build/tools/scnet-quota
service=$build/tools/scnet-quota-now
for f in "$module" "$helper" "$tool" "$service"; do [ -e "$f" ] || die "$f missing (build first)"; done
for t in /usr/sbin/sshd ssh sftp ssh-keygen useradd userdel systemd-socket-activate python3 timeout; do
    command -v "$t" >/dev/null || { say "SKIP: no $t (openssh-server, openssh-client, passwd, systemd)"; exit 77; }
done
[ -x /usr/lib/openssh/sftp-server ] || { say "SKIP: no /usr/lib/openssh/sftp-server"; exit 77; }
[ -e "$PAM_FILE" ] && die "$PAM_FILE already exists; another run? Not touching it."
getent passwd "$USER_NAME" >/dev/null && die "user $USER_NAME exists; not touching it"
getent group "$USER_NAME" >/dev/null && die "group $USER_NAME exists; not touching it"

tmp=
sshd_pid=
now_pid=
user_made=0
pam_written=0
stop_pid() {
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$sshd_pid" ]; then
        local kids
        kids=$(ps -o pid= --ppid "$sshd_pid" 2>/dev/null)
        stop_pid "$sshd_pid"
        for p in $kids; do kill -9 "$p" 2>/dev/null; done
    fi
    stop_pid "$now_pid"
    [ -n "$tmp" ] && [ -d "$tmp/sim" ] && "$support/sim-stop.sh" "$tmp/sim" >/dev/null 2>&1
    [ "$pam_written" = 1 ] && rm -f "$PAM_FILE"
    if [ "$user_made" = 1 ]; then
        for _ in $(seq 20); do userdel -r "$USER_NAME" >/dev/null 2>&1 && break; sleep 0.1; done
        getent passwd "$USER_NAME" >/dev/null && userdel -r -f "$USER_NAME" >/dev/null 2>&1
        getent group "$USER_NAME" >/dev/null && groupdel "$USER_NAME" >/dev/null 2>&1
        getent passwd "$USER_NAME" >/dev/null && { say "cleanup could not remove $USER_NAME" >&2; rc=1; }
    fi
    if [ -n "$tmp" ]; then
        if [ "${E2E_KEEP_TMP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
. "$support/assert.sh"

tmp=$(mktemp -d "$ROOT_TEST_TMP/scnet-now-session.XXXXXXXX") || die "mktemp failed"
chmod 0711 "$tmp"
mkdir -p "$tmp/keys" "$tmp/bin" /run/sshd
chmod 0755 "$tmp/keys" "$tmp/bin"
"$support/sim-start.sh" "$tmp/sim" >"$tmp/sim-start.out" 2>&1 || { cat "$tmp/sim-start.out" >&2; die "simulator"; }
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$tmp/sim/ready.json")
http_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_port"])' "$tmp/sim/ready.json")
sim_post() { # path, JSON body
    python3 - "$http_port" "$1" "$2" <<'PY'
import sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), data=sys.argv[3].encode(), method="POST")
print(urllib.request.urlopen(r, timeout=10).read().decode())
PY
}
asked() {
    python3 - "$http_port" "$USER_NAME" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_sim/stats" % sys.argv[1], timeout=10))
print(s["quota_by_user"].get(sys.argv[2], 0))
PY
}

# The user, with about 6.6 MB of data: 660 GB of a 700 GB quota at the simulator's scale.
useradd -m -s /bin/bash "$USER_NAME" >"$tmp/useradd.log" 2>&1 || { cat "$tmp/useradd.log" >&2; die "useradd"; }
user_made=1
home=$(getent passwd "$USER_NAME" | cut -d: -f6)
rm -f "$home/.hushlogin"
head -c 4000000 /dev/urandom >"$home/results-old.dat"
head -c 2600000 /dev/urandom >"$home/results.dat"
# `scnet-quota` on the user's PATH: the built command, told where this test's socket and
# records are (on a node: /run/pam_scnet_quota/now.sock and /var/cache/pam_scnet_quota-users).
cat >"$tmp/bin/scnet-quota" <<EOF
#!/bin/sh
exec $tool --now-socket $tmp/now.sock --records $tmp/cache-users "\$@"
EOF
chmod 0755 "$tmp/bin/scnet-quota"
mkdir -p "$home/.ssh"
printf 'PATH=%s:/usr/local/bin:/usr/bin:/bin\n' "$tmp/bin" >"$home/.ssh/environment"
chown -R "$USER_NAME:" "$home"
sim_post /_sim/set "{\"user\":\"$USER_NAME\",\"du\":\"$home\",\"gb_per_mb\":100,\"threshold\":700}" >/dev/null ||
    die "the simulator refused the du override"

# The module's configuration: warn at 90 %, refuse at 100 %; --now at most every 2 s (so the
# capture needs no minute's wait after the login's own answer).
cat >"$tmp/scnet.conf" <<EOF
url = https://127.0.0.1:$https_port
token_file = $tmp/sim/token
cafile = $tmp/sim/certs/ca.pem
cache_dir = $tmp/cache
helper = $helper
lang = en
timeout = 5
warn = 90
deny = 100
offline_retry = 0
self_check_interval = 2
EOF
chmod 0600 "$tmp/scnet.conf"
{
    say "# Written by tests/e2e/run-now-session.sh; removed when it ends."
    sed "/^session.*pam_loginuid.so/a session  required  $module conf=$tmp/scnet.conf" /etc/pam.d/sshd
} >"$tmp/pam-service"
grep -q "pam_scnet_quota.so" "$tmp/pam-service" || die "/etc/pam.d/sshd has no pam_loginuid line"
pam_written=1
install -o root -g root -m 0644 "$tmp/pam-service" "$PAM_FILE"

# The --now service, as pam-scnet-quota-now.socket runs it (SocketMode=0666).
systemd-socket-activate --accept --inetd -l "$tmp/now.sock" "$service" --conf "$tmp/scnet.conf" \
    >"$tmp/now-service.log" 2>&1 &
now_pid=$!
for _ in $(seq 50); do [ -S "$tmp/now.sock" ] && break; sleep 0.1; done
chmod 0666 "$tmp/now.sock" || die "the --now service did not listen"

ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key" && ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key" ||
    die "ssh-keygen"
install -m 0644 "$tmp/client_key.pub" "$tmp/keys/$USER_NAME"
sshd_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ln -s /usr/sbin/sshd "$tmp/$SERVICE"
cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $tmp/keys/%u
AllowUsers $USER_NAME
PermitUserEnvironment PATH
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
"$tmp/$SERVICE" -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" </dev/null >/dev/null 2>&1 &
sshd_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && break; sleep 0.1; done
ssh_opts=(-F /dev/null -i "$tmp/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5)
transcript=$tmp/transcript
: >"$transcript"
step() { # name, shown command, command...: run it, its output (CR removed) in $tmp/NAME and the transcript
    local name=$1 shown=$2
    shift 2
    # Terminal controls of the interactive shell (title, bracketed paste) left out.
    timeout -k 5 60 "$@" 2>&1 | tr -d '\r' |
        sed -e 's/\x1b\][^\x07]*\x07//g' -e 's/\x1b\[[?0-9;]*[a-zA-Z]//g' >"$tmp/$name"
    say "$ $shown" >>"$transcript"
    cat "$tmp/$name" >>"$transcript"
}

# 1. An interactive login: the warning.
printf 'exit\n' >"$tmp/exit.in"
step login "ssh $USER_NAME@node" ssh -tt "${ssh_opts[@]}" -p "$sshd_port" "$USER_NAME@127.0.0.1" <"$tmp/exit.in"
check "the login shows the warning with the measured usage (660 GB of 700 GB)" \
    grep -q "^WARNING: your storage quota is nearly full.$" "$tmp/login"
check "... for the real home folder's figure" grep -qE "^  /public/home/$USER_NAME  66[0-9]\.[0-9] GB of 700\.0 GB  9[45]\.[0-9]%" "$tmp/login"
check "... and points to scnet-quota" grep -q "scnet-quota" "$tmp/login"
asked_after_login=$(asked)

# 2. Cleaning up with sftp.
printf 'rm results-old.dat\nls -l\n' >"$tmp/sftp.batch"
step sftp "sftp $USER_NAME@node   (batch: rm results-old.dat; ls -l)" \
    sftp -b "$tmp/sftp.batch" "${ssh_opts[@]}" -P "$sshd_port" "$USER_NAME@127.0.0.1"
check "sftp removed the file" [ ! -e "$home/results-old.dat" ]
check "sftp's session was not disturbed by the module (its listing is there)" grep -q "results.dat" "$tmp/sftp"

# 3. The record alone still says what the login saw; --now asks again.
step record "ssh $USER_NAME@node scnet-quota" ssh "${ssh_opts[@]}" -p "$sshd_port" "$USER_NAME@127.0.0.1" scnet-quota
check "scnet-quota (the record) still shows the login's figure" grep -qE "GB of 700\.0 GB  9[45]\.[0-9]%" "$tmp/record"
sleep 2.2 # self_check_interval = 2: the login's answer is no longer the answer
step now "ssh $USER_NAME@node scnet-quota --now" ssh "${ssh_opts[@]}" -p "$sshd_port" "$USER_NAME@127.0.0.1" scnet-quota --now
check "scnet-quota --now shows the fresh, lower figure (26x GB, 37 %)" \
    grep -qE "^  /public/home/$USER_NAME  26[0-9]\.[0-9] GB of 700\.0 GB  3[78]\.[0-9]%" "$tmp/now"
check "... fetched just now" grep -qE "^Storage quota of $USER_NAME \(figures from [0-2] seconds? ago\):$" "$tmp/now"
check "... and the next login is let in without a word" grep -q "^Your next login: nothing shown" "$tmp/now"
check "--now made one API request for the user" [ "$(asked)" = $((asked_after_login + 1)) ]
step login2 "ssh $USER_NAME@node" ssh -tt "${ssh_opts[@]}" -p "$sshd_port" "$USER_NAME@127.0.0.1" <"$tmp/exit.in"
check "the next login uses the fresh answer from the cache (no warning, no request)" \
    eval '! grep -q "WARNING" "$tmp/login2" && [ "$(asked)" = $((asked_after_login + 1)) ]'
check "the token is in no output" eval '! grep -qF "$(cat "$tmp/sim/token")" "$transcript" "$tmp/now-service.log"'

say "---- transcript ----"
cat "$transcript"
say "---- end of transcript ----"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/bash
# End-to-end test of pam_scnet_quota.so with a real OpenSSH server and the real ssh client,
# on loopback only. Needs root (it adds users and a file in /etc/pam.d); exits 77 otherwise.
#
#   usage: tests/e2e/run-e2e.sh BUILD_DIR      (BUILD_DIR/pam_module/pam_scnet_quota.so)
#
# Everything lives in a fresh mktemp -d and is removed by the EXIT trap, whatever fails:
# the sshd and helper processes (killed by pid), the simulator, /etc/pam.d/sshd-scnet-test,
# the login-shell gate /etc/profile.d/scnet-quota.sh (installed for section 3c), the users
# near/over/low. E2E_KEEP_TMP=1 keeps the temporary folder (logs) for debugging.
# See README.md beside this file for what each case asserts and why.
set -u
set -o pipefail

SERVICE=sshd-scnet-test
PAM_FILE=/etc/pam.d/$SERVICE
# The login-shell gate of deny_scope = tty, where bash's /etc/profile reads it.
GATE_FILE=/etc/profile.d/scnet-quota.sh
TEST_USERS=(near over low)
TIMEOUT_S=2 # the module's timeout in the "API dead" configurations
CLOSED_TIMEOUT_S=10 # ... but for a closed port, where no wait is allowed at all

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
support=$here/../support
gate_source=$(cd "$here/../.." && pwd)/packaging/profile.d/scnet-quota.sh

test_name=run-e2e
# shellcheck source=../support/root-test.sh
. "$support/root-test.sh"

root_test_start "$#" "the build folder holding pam_module/pam_scnet_quota.so" \
    "the end-to-end test needs root (it runs sshd and adds test users)"

module=$(cd "$1" 2>/dev/null && pwd)/pam_module/pam_scnet_quota.so
[ -f "$module" ] || die "module not found: $1/pam_module/pam_scnet_quota.so (build first)"
# The network helper built with the module (CMake sets SCNET_TEST_HELPER; the same file).
helper=${SCNET_TEST_HELPER:-$(cd "$1" && pwd)/fetch_helper/scnet-quota-fetch}
[ -x "$helper" ] || die "network helper not found: $helper (build first)"
for tool in /usr/sbin/sshd ssh ssh-keygen useradd userdel python3 timeout getent; do
    command -v "$tool" >/dev/null ||
        die "missing $tool (Debian: apt-get install openssh-server openssh-client passwd python3)"
done
[ -e "$PAM_FILE" ] && die "$PAM_FILE already exists; is another run active? Not touching it."
[ -e "$GATE_FILE" ] &&
    die "$GATE_FILE already exists (the package installed, or another run); not touching it."
for u in "${TEST_USERS[@]}"; do
    if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
        die "user or group '$u' already exists on this machine; refusing to touch it"
    fi
done

# ---------------------------------------------------------------------------------------
# cleanup: registered before anything is created, undoes only what this run created

tmp=
ssh_pid=
sshd_pid=
hang_pid=
created_users=()
pam_file_written=0
gate_installed=0

stop_pid() { # pid: TERM, wait up to 3 s, then KILL
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

descendants() { # pid: the pids of its children, grandchildren, ...
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        say "$child"
        descendants "$child"
    done
}

cleanup() {
    local rc=$? u pid
    trap - EXIT INT TERM HUP
    stop_pid "$ssh_pid" # the `timeout 30` of a client still running; it passes TERM on
    if [ -n "$sshd_pid" ]; then
        # Per-connection sshd processes (one could be stuck in a session module) and the
        # test users' shells: collected before the listener goes, then ended by pid.
        local session_pids
        session_pids=$(descendants "$sshd_pid")
        stop_pid "$sshd_pid"
        for pid in $session_pids; do kill -9 "$pid" 2>/dev/null; done
    fi
    stop_pid "$hang_pid"
    [ -n "$tmp" ] && [ -d "$tmp/sim" ] && "$support/sim-stop.sh" "$tmp/sim" >/dev/null 2>&1
    [ "$pam_file_written" = 1 ] && rm -f "$PAM_FILE"
    [ "$gate_installed" = 1 ] && rm -f "$GATE_FILE"
    for u in "${created_users[@]}"; do
        # Session processes end with their connection; give a late one a moment.
        for _ in $(seq 20); do
            userdel -r "$u" >/dev/null 2>&1 && break
            sleep 0.1
        done
        getent passwd "$u" >/dev/null && userdel -r -f "$u" >/dev/null 2>&1
        getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
        if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
            say "run-e2e: cleanup could not remove user/group '$u'" >&2
            rc=1
        fi
    done
    if [ -e "$PAM_FILE" ] && [ "$pam_file_written" = 1 ]; then
        say "run-e2e: cleanup could not remove $PAM_FILE" >&2
        rc=1
    fi
    if [ -e "$GATE_FILE" ] && [ "$gate_installed" = 1 ]; then
        say "run-e2e: cleanup could not remove $GATE_FILE" >&2
        rc=1
    fi
    if [ -n "$tmp" ]; then
        if [ "${E2E_KEEP_TMP:-0}" = 1 ]; then
            say "run-e2e: kept $tmp"
        else
            rm -rf "$tmp"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------------------------------
# assertions: pass, fail, check, show_file, contains, not_contains
. "$here/../support/assert.sh"
lt() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
add() { python3 -c 'import sys; print("%.3f" % sum(float(a) for a in sys.argv[1:]))' "$@"; }

free_port() {
    python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

free_uid() { # lowest uid >= 1000 that is neither a user's nor a group's id yet
    local uid=1000
    while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
        uid=$((uid + 1))
    done
    say "$uid"
}

# ---------------------------------------------------------------------------------------
# setup

t_start=$EPOCHREALTIME
tmp=$(mktemp -d "$ROOT_TEST_TMP/scnet-e2e.XXXXXXXX") || die "mktemp failed"
# sshd reads AuthorizedKeysFile as the user being logged in: they must be able to traverse.
chmod 0711 "$tmp"
mkdir -p "$tmp/keys" "$tmp/out" /run/sshd
chmod 0755 "$tmp/keys"

say "# module: $module"
say "# work folder: $tmp"

# The SCNet API simulator (HTTPS with a throwaway CA, and HTTP) on loopback.
"$support/sim-start.sh" "$tmp/sim" >"$tmp/sim-start.out" 2>&1 ||
    { cat "$tmp/sim-start.out" >&2; die "the simulator did not start"; }
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' \
    "$tmp/sim/ready.json") || die "no https_port in $tmp/sim/ready.json"

# A listener that accepts connections and never answers: the hard "API dead" case. It ends
# by itself after 120 s in case everything else fails to stop it.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
s.settimeout(1.0)
held, end = [], time.time() + 120
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$tmp/hang.port" </dev/null >"$tmp/hang.log" 2>&1 &
hang_pid=$!
closed_port=$(free_port) # nothing listens there: connections are refused at once

write_conf() { # file url
    cat >"$1" <<EOF
# pam_scnet_quota configuration written by tests/e2e/run-e2e.sh
url = $2
token_file = $tmp/sim/token
cafile = $tmp/sim/certs/ca.pem
timeout = $TIMEOUT_S
warn = 90
deny = 100
lang = en
cache_dir = $tmp/cache
helper = $helper
# Every case here is about what one login does with the API: the dead-API cases run first
# and must not put the later ones into the offline window (offline mode has its own tests).
offline_retry = 0
EOF
    chmod 0644 "$1"
}
for _ in $(seq 50); do
    [ -s "$tmp/hang.port" ] && break
    sleep 0.1
done
[ -s "$tmp/hang.port" ] || die "the never-answering listener did not start"
hang_port=$(cat "$tmp/hang.port")
write_conf "$tmp/scnet.conf" "https://127.0.0.1:$https_port"
write_conf "$tmp/scnet-hang.conf" "https://127.0.0.1:$hang_port"
write_conf "$tmp/scnet-closed.conf" "https://127.0.0.1:$closed_port"
# A refused connection must not be waited out: with a long timeout, a module that did would
# take 10 s more than the baseline, far beyond a loaded machine's noise.
echo "timeout = $CLOSED_TIMEOUT_S" >>"$tmp/scnet-closed.conf"
write_conf "$tmp/scnet-tty.conf" "https://127.0.0.1:$https_port"
echo "deny_scope = tty" >>"$tmp/scnet-tty.conf"

# The PAM service sshd-scnet-test reads: a copy of this host's own /etc/pam.d/sshd (on Debian
# 12: pam_selinux close/open, pam_loginuid, common-session, pam_motd...), with the module's
# line placed as the README says (directly after pam_loginuid). Password and
# keyboard-interactive logins are off in sshd_config, so its auth stack is never asked to
# authenticate (sshd only calls setcred).
STOCK_PAM=/etc/pam.d/sshd
[ -f "$STOCK_PAM" ] || die "$STOCK_PAM missing (openssh-server): the e2e runs on the host's own sshd stack"
grep -q "^session.*pam_loginuid.so" "$STOCK_PAM" || die "$STOCK_PAM has no pam_loginuid line to place the module after"
write_pam() { # "with CONF" | "without"
    {
        say "# Written by pam_scnet_quota tests/e2e/run-e2e.sh from $STOCK_PAM; removed when the test ends."
        if [ "$1" = with ]; then
            sed "/^session.*pam_loginuid.so/a session  required  $module conf=$2" "$STOCK_PAM"
        else
            cat "$STOCK_PAM"
        fi
    } >"$tmp/pam-service" || die "cannot write $tmp/pam-service"
    # Only between connections: sshd reads the PAM service again for every connection.
    pam_file_written=1
    install -o root -g root -m 0644 "$tmp/pam-service" "$PAM_FILE" || die "cannot write $PAM_FILE"
}
write_pam without

# Users, one client key for all of them.
ssh-keygen -q -t ed25519 -N '' -C scnet-e2e-client -f "$tmp/client_key" || die "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C scnet-e2e-host -f "$tmp/host_key" || die "ssh-keygen failed"
for u in "${TEST_USERS[@]}"; do
    uid=$(free_uid)
    useradd -m -u "$uid" -s /bin/bash "$u" >"$tmp/useradd.log" 2>&1 ||
        { cat "$tmp/useradd.log" >&2; die "useradd $u failed"; }
    created_users+=("$u")
    home=$(getent passwd "$u" | cut -d: -f6)
    rm -f "$home/.hushlogin" # the banner must be shown to an interactive login
    install -o root -g root -m 0644 "$tmp/client_key.pub" "$tmp/keys/$u"
done

# sshd under the name sshd-scnet-test, so that PAM uses /etc/pam.d/sshd-scnet-test.
sshd_port=$(free_port)
ln -s /usr/sbin/sshd "$tmp/$SERVICE"
cat >"$tmp/sshd_config" <<EOF
# Written by pam_scnet_quota tests/e2e/run-e2e.sh
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $tmp/keys/%u
AuthorizedKeysCommand none
PermitRootLogin no
AllowUsers ${TEST_USERS[*]}
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
LoginGraceTime 20
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
"$tmp/$SERVICE" -t -f "$tmp/sshd_config" >"$tmp/sshd-t.log" 2>&1 ||
    { cat "$tmp/sshd-t.log" >&2; die "sshd -t rejected the test configuration"; }
"$tmp/$SERVICE" -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" </dev/null >/dev/null 2>&1 &
sshd_pid=$!
up=0
for _ in $(seq 100); do
    kill -0 "$sshd_pid" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.1
done
[ "$up" = 1 ] || { cat "$tmp/sshd.log" >&2; die "sshd did not start listening on $sshd_port"; }
say "# sshd pid $sshd_pid on 127.0.0.1:$sshd_port, simulator https port $https_port"
say "# API dead: never-answering listener on $hang_port, closed port $closed_port"
say "# setup took $(add "$EPOCHREALTIME" "-$t_start") s"

# run_ssh NAME USER [remote command...]: extra ssh options from the array SSH_OPTS, stdin
# from $SSH_STDIN (default /dev/null); leaves $tmp/out/NAME.{out,err} and sets ssh_rc and
# ssh_time (seconds of wall time of the whole ssh command).
SSH_STDIN=/dev/null
SSH_OPTS=()
run_ssh() {
    local name=$1 user=$2 t0
    shift 2
    t0=$EPOCHREALTIME
    # In the background and waited for, so that Ctrl-C or TERM reaches the trap at once
    # instead of after the ssh command (up to 30 s when a module blocks).
    timeout -k 5 30 ssh -F /dev/null -i "$tmp/client_key" -p "$sshd_port" \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
        -o LogLevel=ERROR -o ConnectTimeout=5 ${SSH_OPTS[@]+"${SSH_OPTS[@]}"} \
        "$user@127.0.0.1" "$@" <"$SSH_STDIN" >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" &
    ssh_pid=$!
    wait "$ssh_pid"
    ssh_rc=$?
    ssh_pid=
    ssh_time=$(add "$EPOCHREALTIME" "-$t0")
    say "# ssh $name: exit $ssh_rc in $ssh_time s"
}
# run_interactive NAME USER: an interactive login shell (pty, no command) that types a command
# and "exit". The terminal echoes what is typed; the quotes the shell removes tell the
# command's output ("INSIDESHELL") from the echo.
run_interactive() {
    printf 'echo INSIDE""SHELL; exit\n' >"$tmp/exit.in"
    SSH_STDIN=$tmp/exit.in
    SSH_OPTS=(-tt)
    run_ssh "$1" "$2"
    SSH_STDIN=/dev/null
    SSH_OPTS=()
    tr -d '\r' <"$tmp/out/$1.out" >"$tmp/out/$1.txt"
}
# run_client NAME PROGRAM ARGS...: scp or sftp with the same client options as run_ssh;
# leaves $tmp/out/NAME.{out,err}, sets ssh_rc.
run_client() {
    local name=$1 program=$2
    shift 2
    timeout -k 5 30 "$program" -F /dev/null -i "$tmp/client_key" -P "$sshd_port" \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
        -o LogLevel=ERROR -o ConnectTimeout=5 "$@" \
        </dev/null >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" &
    ssh_pid=$!
    wait "$ssh_pid"
    ssh_rc=$?
    ssh_pid=
    say "# $program $name: exit $ssh_rc"
}
show_run() {
    show_file "$1 stdout" "$tmp/out/$1.out"
    show_file "$1 stderr" "$tmp/out/$1.err"
}

# ---------------------------------------------------------------------------------------
# 4. API dead. First, so that nothing about `low` can have been learnt (and cached) from the
# live simulator before. Baseline: the same command with the module not in the stack.

say "== API dead (timeout = $TIMEOUT_S s)"
write_pam without
run_ssh baseline low true
baseline_rc=$ssh_rc baseline_time=$ssh_time
check "baseline 'ssh low true' without the module exits 0 (got $baseline_rc)" [ "$baseline_rc" = 0 ]

write_pam with "$tmp/scnet-hang.conf"
run_ssh dead-hang low true
limit=$(add "$baseline_time" "$TIMEOUT_S" 1)
say "# API never answers: ${ssh_time} s; baseline ${baseline_time} s; limit ${limit} s"
check "API never answers: 'ssh low true' still succeeds (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run dead-hang
check "API never answers: took $ssh_time s < baseline $baseline_time + timeout $TIMEOUT_S + 1 s" \
    lt "$ssh_time" "$limit"
check "API never answers: nothing shown on stderr" [ ! -s "$tmp/out/dead-hang.err" ]

write_pam with "$tmp/scnet-closed.conf"
run_ssh dead-closed low true
limit=$(add "$baseline_time" $((CLOSED_TIMEOUT_S / 2)))
say "# API port closed: ${ssh_time} s; baseline ${baseline_time} s; limit ${limit} s"
check "API port closed: 'ssh low true' still succeeds (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run dead-closed
check "API port closed (timeout = $CLOSED_TIMEOUT_S): took $ssh_time s < baseline $baseline_time + $((CLOSED_TIMEOUT_S / 2)) s" \
    lt "$ssh_time" "$limit"

# ---------------------------------------------------------------------------------------
# 1. Interactive login near quota shows the banner.

say "== interactive login, 93% full"
write_pam with "$tmp/scnet.conf"
run_interactive interactive-near near
near_rc=$ssh_rc
say "# what the terminal showed (CR removed):"
cat -v "$tmp/out/interactive-near.txt" | sed 's/^/    | /' # ESC shown as ^[
check "interactive near: exit status 0 (got $near_rc)" [ "$near_rc" = 0 ]
for fragment in "WARNING" "/public/home/near" "651.0" "700.0" "93.0%"; do
    check "interactive near: banner contains '$fragment'" \
        contains "$tmp/out/interactive-near.txt" "$fragment"
done

run_interactive interactive-low low
check "interactive low (14%): exit status 0 (got $ssh_rc)" [ "$ssh_rc" = 0 ]
check "interactive low (14%): no banner" not_contains "$tmp/out/interactive-low.txt" "quota" ||
    show_file "interactive-low" "$tmp/out/interactive-low.txt"

# ---------------------------------------------------------------------------------------
# 2. `ssh host cmd`: sshd does not show session-stage text to commands, so the bytes must be
# the same with and without the module.

say "== ssh near 'echo hello; id -un', with and without the module"
write_pam with "$tmp/scnet.conf"
run_ssh cmd-with near 'echo hello; id -un'
with_rc=$ssh_rc
write_pam without
run_ssh cmd-without near 'echo hello; id -un'
without_rc=$ssh_rc
check "command with the module exits 0 (got $with_rc)" [ "$with_rc" = 0 ]
check "command without the module exits 0 (got $without_rc)" [ "$without_rc" = 0 ]
check "stdout byte-identical with and without the module" \
    cmp "$tmp/out/cmd-with.out" "$tmp/out/cmd-without.out" || {
    show_run cmd-with
    show_run cmd-without
}
check "stderr byte-identical with and without the module" \
    cmp "$tmp/out/cmd-with.err" "$tmp/out/cmd-without.err"
check "stdout is exactly 'hello\\nnear\\n'" cmp -s "$tmp/out/cmd-with.out" <(printf 'hello\nnear\n')

# ---------------------------------------------------------------------------------------
# 3. Over quota with deny = 100: refused with the reason, status 254, command not run.
# Where the reason goes is sshd's choice, not the module's: when pam_open_session fails, the
# session child prints the collected PAM messages to its stdout and exits 254 (do_child in
# OpenSSH's session.c), so for `ssh host cmd` the text arrives on the client's STDOUT, and
# stderr stays empty. Measured here with pam_echo + pam_deny as well (OpenSSH 9.2p1 Debian).

say "== ssh over (105%), deny = 100"
write_pam with "$tmp/scnet.conf"
over_home=$(getent passwd over | cut -d: -f6)
rm -f "$over_home/e2e-command-ran"
run_ssh refused over 'touch ~/e2e-command-ran; echo command-ran'
show_run refused
check "over: client exit status 254 (got $ssh_rc)" [ "$ssh_rc" = 254 ]
for fragment in "Login refused" "105.0%" "/public/home/over" "735.0" "700.0"; do
    check "over: the refusal on the client's stdout contains '$fragment'" \
        contains "$tmp/out/refused.out" "$fragment"
done
check "over: the refusal comes first on stdout, before the stock stack's login message (pam_motd runs after the module)" \
    grep -q "^Login refused" <(head -n 1 "$tmp/out/refused.out")
check "over: the command did not run (no file it would create)" \
    [ ! -e "$over_home/e2e-command-ran" ]
check "over: the command did not run (no output of it)" \
    not_contains "$tmp/out/refused.out" "command-ran"

# ---------------------------------------------------------------------------------------
# 3b. How scp and sftp fail under deny_scope = all (the default): measured and printed (the
# README and pam_scnet_quota(8) quote it), and asserted only as "refused". sshd writes the
# refusal text into the channel, where the client expects its own protocol.

say "== scp and sftp of an over-quota user, deny_scope = all"
write_pam with "$tmp/scnet.conf"
printf 'freed-space-test\n' >"$tmp/upload.txt"
printf 'put %s e2e-upload.txt\nls\n' "$tmp/upload.txt" >"$tmp/sftp.batch"
# scp -O (the legacy protocol) exists from OpenSSH 8.7, where 9.0 made SFTP the default; an
# older scp (8.4 on Debian 11, 8.0 on RHEL 8) has no -O and speaks only the legacy protocol.
if [[ "$(scp -O 2>&1)" == *"unknown option"* ]]; then
    scp_legacy=(scp)
    say "# this scp has no -O: it speaks the legacy protocol by default, run without -O"
else
    scp_legacy=(scp -O)
fi
run_client scp-all scp "$tmp/upload.txt" over@127.0.0.1:e2e-upload.txt
say "# measured: scp (its default protocol) exit $ssh_rc, stderr: $(head -c 300 "$tmp/out/scp-all.err" | tr '\n' ' ')"
check "deny_scope = all: scp of an over-quota user fails (exit $ssh_rc)" [ "$ssh_rc" != 0 ]
# scp over SFTP (OpenSSH 9.0+) reads the refusal's first bytes as a length ('Logi' =
# 1282369385, not the motd's 'Linu'); an scp that speaks the legacy protocol prints it.
check "deny_scope = all: scp shows the refusal, or reads its first bytes ('Logi' = 1282369385) and not the motd's" \
    grep -qE "Received message too long 1282369385|Login refused: your storage quota is exceeded" "$tmp/out/scp-all.err"
run_client scp-legacy-all "${scp_legacy[@]}" "$tmp/upload.txt" over@127.0.0.1:e2e-upload.txt
say "# measured: ${scp_legacy[*]} (legacy protocol) exit $ssh_rc, stderr: $(head -c 300 "$tmp/out/scp-legacy-all.err" | tr '\n' ' ')"
check "deny_scope = all: ${scp_legacy[*]} (legacy protocol) of an over-quota user fails (exit $ssh_rc)" [ "$ssh_rc" != 0 ]
check "deny_scope = all: ${scp_legacy[*]} (legacy protocol) shows the refusal on stderr" \
    contains "$tmp/out/scp-legacy-all.err" "Login refused: your storage quota is exceeded"
run_client sftp-all sftp -b "$tmp/sftp.batch" over@127.0.0.1
say "# measured: sftp exit $ssh_rc, stderr: $(head -c 300 "$tmp/out/sftp-all.err" | tr '\n' ' ')"
check "deny_scope = all: sftp of an over-quota user fails (exit $ssh_rc)" [ "$ssh_rc" != 0 ]
check "deny_scope = all: sftp reads the refusal's first bytes as a length ('Logi' = 1282369385), not the motd's" \
    contains "$tmp/out/sftp-all.err" "Received message too long 1282369385"
check "deny_scope = all: nothing was uploaded" [ ! -e "$over_home/e2e-upload.txt" ]

# ---------------------------------------------------------------------------------------
# 3c. deny_scope = tty: a session whose PAM_TTY is a terminal device is refused at once;
# sshd opens the PAM session once per connection, right after authentication and before the
# client asks for a pty, with PAM_TTY "ssh" (sshd.c: do_pam_session before
# do_authenticated), so for sshd the module lets the session in without a word and hands the
# refusal to the login-shell gate in SCNET_QUOTA_REFUSAL, which sshd copies from the PAM
# environment into the session. The gate (packaging/profile.d/scnet-quota.sh, installed here
# where bash's /etc/profile reads it) ends an interactive login shell; `ssh host cmd`, scp
# and sftp start none and get in with nothing added to their streams, so the user can free
# space.

say "== over (105%), deny = 100: interactive under deny_scope = all, then deny_scope = tty"
write_pam with "$tmp/scnet.conf"
run_interactive all-interactive over
check "deny_scope = all: an interactive login (ssh -tt) is refused (exit $ssh_rc)" \
    [ "$ssh_rc" = 254 ] || show_run all-interactive
check "deny_scope = all: the interactive login shows the refusal" \
    contains "$tmp/out/all-interactive.txt" "Login refused"
write_pam with "$tmp/scnet-tty.conf"
gate_installed=1
install -o root -g root -m 0644 "$gate_source" "$GATE_FILE" || die "cannot install $GATE_FILE"
run_interactive tty-interactive over
say "# measured: deny_scope = tty, ssh -tt over: exit $ssh_rc in $ssh_time s (sshd's PAM_TTY is 'ssh' when the session opens; the login-shell gate ends the shell)"
say "# what the terminal showed (CR removed):"
cat -v "$tmp/out/tty-interactive.txt" | sed 's/^/    | /'
check "deny_scope = tty: an interactive ssh login (ssh -tt) ends with an error (exit $ssh_rc)" \
    [ "$ssh_rc" != 0 ] || show_run tty-interactive
for fragment in "Login refused" "105.0%" "/public/home/over"; do
    check "deny_scope = tty: the interactive login shows the refusal: '$fragment'" \
        contains "$tmp/out/tty-interactive.txt" "$fragment"
done
check "deny_scope = tty: nothing typed into the refused shell ran" \
    not_contains "$tmp/out/tty-interactive.txt" "INSIDESHELL"
# near: below deny, so no refusal in the session's environment, and the banner as usual
# (a configuration error would show nothing, with fail = open).
run_interactive tty-near near
check "deny_scope = tty: near logs in interactively (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run tty-near
check "deny_scope = tty: near's shell ran what was typed" contains "$tmp/out/tty-near.txt" "INSIDESHELL"
check "deny_scope = tty: near still sees the banner" contains "$tmp/out/tty-near.txt" "WARNING"
run_ssh tty-near-env near env
check "deny_scope = tty: near's session has no SCNET_QUOTA_REFUSAL" \
    not_contains "$tmp/out/tty-near-env.out" "SCNET_QUOTA_REFUSAL" || show_run tty-near-env
check "deny_scope = tty: ... (and env ran: exit $ssh_rc)" contains "$tmp/out/tty-near-env.out" "USER=near"
run_ssh tty-env over env
check "deny_scope = tty: over's command session carries the refusal for the gate" \
    grep -q "^SCNET_QUOTA_REFUSAL=Login refused: your storage quota is exceeded.$" \
    "$tmp/out/tty-env.out" || show_run tty-env
rm -f "$over_home/e2e-command-ran"
run_ssh tty-cmd over 'touch ~/e2e-command-ran; echo command-ran'
check "deny_scope = tty: 'ssh over cmd' runs (exit $ssh_rc)" [ "$ssh_rc" = 0 ] || show_run tty-cmd
check "deny_scope = tty: its stdout is exactly the command's" \
    cmp -s "$tmp/out/tty-cmd.out" <(printf 'command-ran\n')
check "deny_scope = tty: nothing on its stderr" [ ! -s "$tmp/out/tty-cmd.err" ]
check "deny_scope = tty: the command ran" [ -e "$over_home/e2e-command-ran" ]
# The same command with the module out of the stack: byte for byte the same.
write_pam without
run_ssh tty-cmd-without over 'echo command-ran; id -un'
write_pam with "$tmp/scnet-tty.conf"
run_ssh tty-cmd-with over 'echo command-ran; id -un'
check "deny_scope = tty: 'ssh over cmd' output byte-identical with and without the module" \
    cmp "$tmp/out/tty-cmd-with.out" "$tmp/out/tty-cmd-without.out"
check "deny_scope = tty: ... stderr too" cmp "$tmp/out/tty-cmd-with.err" "$tmp/out/tty-cmd-without.err"
run_client tty-scp scp "$tmp/upload.txt" over@127.0.0.1:e2e-upload.txt
check "deny_scope = tty: scp to the over-quota user works (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run tty-scp
check "deny_scope = tty: the file arrived intact" cmp -s "$tmp/upload.txt" "$over_home/e2e-upload.txt"
run_client tty-scp-legacy "${scp_legacy[@]}" over@127.0.0.1:e2e-upload.txt "$tmp/download.txt"
check "deny_scope = tty: ${scp_legacy[*]} (legacy protocol) from the over-quota user works (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run tty-scp-legacy
check "deny_scope = tty: the file came back intact" cmp -s "$tmp/upload.txt" "$tmp/download.txt"
printf 'put %s e2e-sftp.txt\nls\nrm e2e-upload.txt\n' "$tmp/upload.txt" >"$tmp/sftp-tty.batch"
run_client tty-sftp sftp -b "$tmp/sftp-tty.batch" over@127.0.0.1
check "deny_scope = tty: sftp of the over-quota user works (exit $ssh_rc)" [ "$ssh_rc" = 0 ] ||
    show_run tty-sftp
check "deny_scope = tty: sftp put arrived intact" cmp -s "$tmp/upload.txt" "$over_home/e2e-sftp.txt"
check "deny_scope = tty: sftp ls listed it" contains "$tmp/out/tty-sftp.out" "e2e-sftp.txt"
check "deny_scope = tty: sftp removed a file (space freed)" [ ! -e "$over_home/e2e-upload.txt" ]

# ---------------------------------------------------------------------------------------
# 5. sshd itself stayed healthy.

say "== sshd log"
check "sshd log has no 'fatal'" not_contains "$tmp/sshd.log" "fatal" ||
    grep -F fatal "$tmp/sshd.log" | sed 's/^/    | /'
check "sshd (pid $sshd_pid) is still running" kill -0 "$sshd_pid"

say "# total $(add "$EPOCHREALTIME" "-$t_start") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]

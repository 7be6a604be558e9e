#!/bin/bash
# A real `su` with pam_scnet_quota.so in /etc/pam.d/su, run with an environment that points
# at things an unprivileged user controls. The module runs as root inside su; nothing in
# that environment may change where its request goes, what it trusts, what it writes, or
# what it decides (DESIGN.md, "Rules that are not up for trade").
#
#   usage: tests/su/run-su.sh BUILD_DIR     (BUILD_DIR/pam_module/pam_scnet_quota.so)
#
# Needs root (exits 77, a skip, otherwise): it adds two users and one line to /etc/pam.d/su.
#
# su runs as `su - TARGET`, a login without a command, because util-linux su drops PAM
# info messages otherwise (suppress_pam_info when !simulate_login || command); it clears
# the environment only after pam_open_session, so the module sees the caller's. TARGET's
# login shell is a script that prints "su-ran-as-$(id -un)" and exits.
# Two ways su is started, each with a clean and a hostile environment:
#   root   root runs `env -i <vars> su - TARGET`: su is not setuid here, so glibc and
#          OpenSSL honour everything (LOCPATH, OPENSSL_CONF, ...): the harshest case for the
#          module's own defences.
#   user   an unprivileged user runs the setuid su on a pseudo-terminal and types TARGET's
#          password: the real attack path, the environment is the user's own.
# Three configurations (cases):
#   cafile   cafile = the simulator's CA. Hostile: proxy variables at a listener that logs
#            every connection, CURL_CA_BUNDLE/SSL_CERT_FILE/SSL_CERT_DIR at a CA the user
#            made, SSLKEYLOGFILE and OPENSSL_CONF (a tripwire FIFO) in the user's folder,
#            HOME/.netrc (a tripwire FIFO), odd LANG, LC_ALL=de_DE.UTF-8 (decimal comma)
#            from a locale the user compiled (LOCPATH).
#   system   no cafile (the system store, which does not hold the simulator's CA). Hostile:
#            the same, with SSL_CERT_FILE/CURL_CA_BUNDLE/SSL_CERT_DIR at a copy of the
#            simulator's CA: the user must not be able to add trust.
#   proxy    proxy = a CONNECT proxy the test runs (the admin's). Hostile: the same, plus
#            NO_PROXY=* / no_proxy=*: the request must still go through the admin's proxy.
# Asserted for every run: su succeeds as TARGET; what su showed is byte-identical between
# the clean and the hostile environment (the banner, or none); the simulator counted the
# request (cafile, proxy: one each, with our User-Agent and the configured token; system:
# none, the TLS handshake fails either way); the hostile proxy listener saw no connection;
# no tripwire was opened; nothing appeared in the user's folder (no SSLKEYLOGFILE).
#
# Safety: /etc/pam.d/su is copied first, changed by an atomic rename, and put back by the
# EXIT trap (byte-compared with the copy, mode and owner too); the two lines added both
# contain "scnet-su-test", and a run that finds them (a previous run was killed) removes
# them first. By hand: sed -i '/scnet-su-test/d' /etc/pam.d/su
# SU_KEEP_TMP=1 keeps the temporary folder (logs, outputs) for debugging.
set -u
set -o pipefail

PAM_FILE=/etc/pam.d/su
TAG=scnet-su-test
PYTHON=/usr/bin/python3 # not a per-user shim: the unprivileged user runs it too

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
support=$here/../support

test_name=run-su
# shellcheck source=../support/root-test.sh
. "$support/root-test.sh"

root_test_start "$#" "the build folder holding pam_module/pam_scnet_quota.so" \
    "the su test needs root (it adds users and a line to $PAM_FILE)"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build folder $1"
module=$build/pam_module/pam_scnet_quota.so
# The network helper built with the module (CMake sets SCNET_TEST_HELPER; the same file).
helper=${SCNET_TEST_HELPER:-$build/fetch_helper/scnet-quota-fetch}
[ -f "$module" ] || die "module not found: $module (build first)"
user_agent=$(sed -n 's/^#define SCNET_USER_AGENT "\(.*\)"$/\1/p' "$build/generated/version.h")
[ -n "$user_agent" ] || die "no SCNET_USER_AGENT in $build/generated/version.h"
for tool in /bin/su useradd userdel chpasswd setpriv openssl flock getent mkfifo "$PYTHON"; do
    command -v "$tool" >/dev/null || die "missing $tool (Debian: util-linux passwd openssl python3)"
done
[ -f "$PAM_FILE" ] || die "no $PAM_FILE: is this a Debian/Ubuntu/RHEL machine with su?"

# One run at a time on this machine: two would fight over /etc/pam.d/su.
lock_file=/run/lock/$TAG.lock
[ -d /run/lock ] || lock_file=/tmp/$TAG.lock
exec 9>"$lock_file" || die "cannot open $lock_file"
flock -w 300 9 || die "another run holds the lock for 5 minutes"
GECOS="pam_scnet_quota su test, removed when it ends"
if grep -q "$TAG" "$PAM_FILE"; then
    say "run-su: $PAM_FILE still holds lines of a killed run; removing them" >&2
    sed -i "/$TAG/d" "$PAM_FILE" || die "cannot clean $PAM_FILE"
fi
# Users a killed run left behind: our name pattern and comment, and their run is gone.
getent passwd | while IFS=: read -r name _ _ _ gecos _; do
    pid=${name#scnsu-[it]}
    if [ "$gecos" = "$GECOS" ] && [[ $name =~ ^scnsu-[it][0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
        say "run-su: removing user $name left by a killed run" >&2
        userdel "$name" >/dev/null 2>&1
    fi
done
# Holding the lock, no other run is active: folders named like ours are left-overs.
# Their simulator and helper are ended first (by pid, if that process still names the folder).
for old in "$ROOT_TEST_TMP/$TAG".????????; do
    [ -d "$old" ] && [ ! -L "$old" ] && [ "$(stat -c %u "$old")" = 0 ] || continue
    for pid_file in "$old/sim/sim.pid" "$old/helper.pid"; do
        pid=$(cat "$pid_file" 2>/dev/null) || continue
        grep -qF "$old" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid"
    done
    rm -rf "$old"
done

# ---------------------------------------------------------------------------------------
# cleanup: registered before anything is created, undoes only what this run created

tmp=
helper_pid=
pam_changed=0
pam_stat=
created_users=()

restore_pam() { # put the copy back by an atomic rename; true when the bytes and mode match
    cp -p "$tmp/su.orig" "$PAM_FILE.$TAG" && mv -f "$PAM_FILE.$TAG" "$PAM_FILE" &&
        cmp -s "$tmp/su.orig" "$PAM_FILE" && [ "$(stat -c '%a %u %g' "$PAM_FILE")" = "$pam_stat" ]
}

cleanup() {
    local rc=$? u keep=0
    trap - EXIT INT TERM HUP
    if [ -n "$helper_pid" ]; then
        kill "$helper_pid" 2>/dev/null
        wait "$helper_pid" 2>/dev/null
    fi
    [ -n "$tmp" ] && [ -d "$tmp/sim" ] && "$support/sim-stop.sh" "$tmp/sim" >/dev/null 2>&1
    if [ "$pam_changed" = 1 ]; then
        if restore_pam; then
            say "# $PAM_FILE restored (byte-identical, mode and owner as before)"
        else
            say "run-su: COULD NOT RESTORE $PAM_FILE; the original is $tmp/su.orig" >&2
            say "run-su: or remove the added lines: sed -i '/$TAG/d' $PAM_FILE" >&2
            keep=1
            rc=1
        fi
    fi
    rm -f "$PAM_FILE.$TAG"
    for u in "${created_users[@]}"; do
        userdel "$u" >/dev/null 2>&1
        getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
        if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
            say "run-su: cleanup could not remove user/group '$u'" >&2
            rc=1
        fi
    done
    if [ -n "$tmp" ]; then
        if [ "$keep" = 1 ] || [ "${SU_KEEP_TMP:-0}" = 1 ]; then
            say "run-su: kept $tmp"
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
both_equal() { [ "$1" = "$2" ] && [ "$3" = "$4" ]; }

sim() { # GET|POST PATH [JSON]: the simulator's control API, over its plain-HTTP port
    "$PYTHON" - "$http_port" "$@" <<'PY'
import json, sys, urllib.request
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=5).read().decode())
PY
}
stat_field() { # JSON FIELD...: a value from /_sim/stats output
    "$PYTHON" -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = (v or {}).get(k)
print(0 if v is None else v)' "$@"
}
lines() { # file: its line count (0 when missing)
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# ---------------------------------------------------------------------------------------
# setup

t_start=$EPOCHREALTIME
# The node's default cache folder: a test must leave it as it found it (package.deb refuses
# to start when it exists).
DEFAULT_CACHE=/var/cache/pam_scnet_quota
default_cache_before=absent
[ -e "$DEFAULT_CACHE" ] && default_cache_before=present
tmp=$(mktemp -d "$ROOT_TEST_TMP/$TAG.XXXXXXXX") || die "mktemp failed"
chmod 0711 "$tmp" # the unprivileged user reaches $tmp/bin and their own folder only
mkdir "$tmp/bin" "$tmp/out" "$tmp/helper"
install -m 0755 "$here/su_helpers.py" "$tmp/bin/su_helpers.py"
printf '#!/bin/sh\necho "su-ran-as-$(id -un)"\n' >"$tmp/bin/su-shell"
chmod 0755 "$tmp/bin/su-shell"
say "# module: $module"
say "# work folder: $tmp"

# The users: INVOKER (unprivileged, runs su) and TARGET (su's target, whose quota is read).
suffix=$$
invoker=scnsu-i$suffix
target=scnsu-t$suffix
for u in "$invoker" "$target"; do
    if getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; then
        die "user or group '$u' already exists; refusing to touch it"
    fi
    created_users+=("$u")
    useradd -M -U -d "$tmp/home-$u" -s "$tmp/bin/su-shell" \
        -c "$GECOS" "$u" \
        >"$tmp/useradd.log" 2>&1 || { cat "$tmp/useradd.log" >&2; die "useradd $u failed"; }
    install -d -o "$u" -g "$u" -m 0700 "$tmp/home-$u"
done
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s:%s\n' "$target" "$password" | chpasswd || die "chpasswd failed"
say "# users: $invoker (uid $(id -u "$invoker")) runs su to $target (uid $(id -u "$target"))"

# The simulator (HTTPS with a throwaway CA, plus HTTP for its control API).
# 9>&-: the lock must not outlive this script in a long-running child.
"$support/sim-start.sh" "$tmp/sim" >"$tmp/sim-start.out" 2>&1 9>&- ||
    { cat "$tmp/sim-start.out" >&2; die "the simulator did not start"; }
read -r https_port http_port < <("$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1])); print(r["https_port"], r["http_port"])' "$tmp/sim/ready.json") ||
    die "no ports in $tmp/sim/ready.json"
sim POST /_sim/set "{\"user\":\"$target\",\"usage\":651,\"threshold\":700}" >/dev/null ||
    die "cannot set the simulator's answer for $target"

# The user's folder, with what a hostile user would plant there.
udir=$tmp/user
mkdir -m 0700 "$udir" "$udir/evil-certs" "$udir/sim-certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=evil-ca \
    -keyout "$udir/evil-ca.key" -out "$udir/evil-ca.pem" >/dev/null 2>&1 || die "openssl req failed"
cp "$udir/evil-ca.pem" "$udir/evil-certs/$(openssl x509 -hash -noout -in "$udir/evil-ca.pem").0"
cp "$tmp/sim/certs/ca.pem" "$udir/sim-ca.pem"
cp "$tmp/sim/certs/ca.pem" "$udir/sim-certs/$(openssl x509 -hash -noout -in "$udir/sim-ca.pem").0"
mkfifo "$udir/openssl.cnf" "$udir/.netrc"
# Without the decimal-comma locale the numbers check proves nothing: a failure in CI
# (scripts/install-deps.sh installs localedef's sources), else the run ends as a skip.
locpath=
locale_missing=
if mkdir "$udir/locale" && localedef -i de_DE -f UTF-8 "$udir/locale/de_DE.UTF-8" >/dev/null 2>&1; then
    locpath=$udir/locale
else
    locale_missing="localedef de_DE.UTF-8 failed: LC_ALL=de_DE.UTF-8 falls back to C, so the decimal-comma check proves nothing"
    [ -n "${CI:-}" ] && die "$locale_missing (CI is set: the locales package must be installed)"
    say "# $locale_missing"
fi
chown -R "$invoker:$invoker" "$udir"

# The hostile proxy listener, the admin's CONNECT proxy and the tripwires.
setsid "$PYTHON" "$tmp/bin/su_helpers.py" serve "$tmp/helper" "$udir/openssl.cnf" "$udir/.netrc" \
    </dev/null >"$tmp/helper.log" 2>&1 9>&- &
helper_pid=$!
echo "$helper_pid" >"$tmp/helper.pid"
for _ in $(seq 50); do
    [ -e "$tmp/helper/ready" ] && break
    sleep 0.1
done
[ -e "$tmp/helper/ready" ] || { cat "$tmp/helper.log" >&2; die "the helper listeners did not start"; }
trap_port=$(cat "$tmp/helper/trap.port")
proxy_port=$(cat "$tmp/helper/proxy.port")

# The configurations; /etc/pam.d/su names $tmp/scnet.conf, which each case replaces.
write_conf() { # case
    {
        say "# written by tests/su/run-su.sh"
        say "url = https://127.0.0.1:$https_port"
        say "token_file = $tmp/sim/token"
        [ "$1" = system ] || say "cafile = $tmp/sim/certs/ca.pem"
        [ "$1" = proxy ] && say "proxy = http://127.0.0.1:$proxy_port"
        say "timeout = 5"
        say "warn = 90"
        say "lang = auto"
        say "cache_ttl = 0" # every su asks the API: each request is counted
        say "stale_ttl = 0"
        # Offline state is kept even with no cached answers: in our folder, not the node's.
        say "cache_dir = $tmp/cache"
        say "helper = $helper"
    } >"$tmp/conf.new"
    install -o root -g root -m 0644 "$tmp/conf.new" "$tmp/scnet.conf" || die "cannot write the config"
}
write_conf cafile

# /etc/pam.d/su: a copy first, then the original plus our session line, by atomic rename.
pam_stat=$(stat -c '%a %u %g' "$PAM_FILE")
cp -p "$PAM_FILE" "$tmp/su.orig" || die "cannot copy $PAM_FILE"
{
    cat "$tmp/su.orig"
    say "# $TAG: added by pam_scnet_quota's tests/su/run-su.sh, removed when it ends"
    say "session required $module conf=$tmp/scnet.conf"
} >"$tmp/su.new"
pam_changed=1
cp -p "$tmp/su.orig" "$PAM_FILE.$TAG" && cat "$tmp/su.new" >"$PAM_FILE.$TAG" &&
    mv -f "$PAM_FILE.$TAG" "$PAM_FILE" || die "cannot write $PAM_FILE"
say "# setup took $(
    "$PYTHON" -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' \
        "$EPOCHREALTIME" "$t_start"
) s"

# ---------------------------------------------------------------------------------------
# the runs

base_env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb HOME="$udir" USER="$invoker")
hostile_env() { # case: the variables a hostile user sets
    local p=http://127.0.0.1:$trap_port
    local ca=$udir/evil-ca.pem cadir=$udir/evil-certs
    if [ "$1" = system ]; then
        ca=$udir/sim-ca.pem
        cadir=$udir/sim-certs
    fi
    hostile=(
        https_proxy="$p" HTTPS_PROXY="$p" http_proxy="$p" HTTP_PROXY="$p"
        ALL_PROXY="socks5h://127.0.0.1:$trap_port" all_proxy="socks5h://127.0.0.1:$trap_port"
        CURL_CA_BUNDLE="$ca" SSL_CERT_FILE="$ca" SSL_CERT_DIR="$cadir"
        SSLKEYLOGFILE="$udir/keys.log" OPENSSL_CONF="$udir/openssl.cnf"
        OPENSSL_MODULES="$udir" OPENSSL_ENGINES="$udir" CURL_HOME="$udir"
        LANG="xx_YY.UTF-8@../../../etc/passwd" LC_ALL=de_DE.UTF-8 LANGUAGE=de
    )
    [ -n "$locpath" ] && hostile+=(LOCPATH="$locpath")
    if [ "$1" = proxy ]; then
        hostile+=(NO_PROXY='*' no_proxy='*')
    else
        hostile+=(NO_PROXY=example.invalid no_proxy=example.invalid)
    fi
}

# run_su NAME MODE(root|user) CASE ENV(clean|hostile): leaves $tmp/out/NAME.{out,rc,stats}
run_su() {
    local name=$1 mode=$2 case=$3 envkind=$4 t0 rc
    local env=("${base_env[@]}")
    if [ "$envkind" = hostile ]; then
        hostile_env "$case"
        env+=("${hostile[@]}")
    fi
    find "$udir" -printf '%P %y %s\n' | sort >"$tmp/out/$name.before"
    t0=$EPOCHREALTIME
    if [ "$mode" = root ]; then
        env -i "${env[@]}" "$PYTHON" "$tmp/bin/su_helpers.py" su - - "$target" \
            >"$tmp/out/$name.out" 2>&1
    else
        # setpriv: no PAM stack and no environment change of its own, unlike runuser.
        setpriv --reuid="$invoker" --regid="$invoker" --init-groups -- \
            env -i "${env[@]}" "$PYTHON" "$tmp/bin/su_helpers.py" su "$password" - "$target" \
            >"$tmp/out/$name.out" 2>&1
    fi
    rc=$?
    echo "$rc" >"$tmp/out/$name.rc"
    find "$udir" -printf '%P %y %s\n' | sort >"$tmp/out/$name.after"
    sim GET /_sim/stats >"$tmp/out/$name.stats"
    say "# su $name: exit $rc in $("$PYTHON" -c 'import sys; print("%.2f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$EPOCHREALTIME" "$t0") s"
}

requests_for_target() { stat_field "$(cat "$1")" quota_by_user "$target"; }

for case in cafile system proxy; do
    write_conf "$case"
    for mode in root user; do
        say "== case $case, su started by $mode"
        before=$(requests_for_target <(sim GET /_sim/stats))
        trap_before=$(lines "$tmp/helper/trap.log")
        wire_before=$(lines "$tmp/helper/tripwire.log")
        proxy_before=$(lines "$tmp/helper/proxy.log")
        run_su "$case-$mode-clean" "$mode" "$case" clean
        clean_count=$(requests_for_target "$tmp/out/$case-$mode-clean.stats")
        run_su "$case-$mode-hostile" "$mode" "$case" hostile
        hostile_count=$(requests_for_target "$tmp/out/$case-$mode-hostile.stats")
        c=$tmp/out/$case-$mode-clean
        h=$tmp/out/$case-$mode-hostile

        check "$case/$mode: su succeeds, clean environment (exit $(cat "$c.rc"))" \
            [ "$(cat "$c.rc")" = 0 ] || show_file "clean output" "$c.out"
        check "$case/$mode: su succeeds, hostile environment (exit $(cat "$h.rc"))" \
            [ "$(cat "$h.rc")" = 0 ] || show_file "hostile output" "$h.out"
        check "$case/$mode: su ran the command as $target" contains "$h.out" "su-ran-as-$target"
        check "$case/$mode: what su showed is identical in both environments" cmp -s "$c.out" "$h.out" || {
            show_file "clean" "$c.out"
            show_file "hostile" "$h.out"
        }
        if [ "$case" = system ]; then
            check "$case/$mode: no banner (the API cannot be verified), either way" \
                not_contains "$h.out" "quota"
            check "$case/$mode: the user's CA did not make the API trusted (no request reached it)" \
                [ "$hostile_count" = "$before" ]
        else
            check "$case/$mode: the banner is shown" contains "$h.out" \
                "WARNING: your storage quota is nearly full."
            check "$case/$mode: numbers with a decimal point whatever LC_ALL says" contains "$h.out" \
                "651.0 GB of 700.0 GB  93.0%"
            check "$case/$mode: the API got one request per su ($before -> $clean_count -> $hostile_count)" \
                both_equal "$clean_count" $((before + 1)) "$hostile_count" $((before + 2))
            ua=$(stat_field "$(cat "$h.stats")" last_headers user-agent)
            check "$case/$mode: the request carried our User-Agent ('$ua')" [ "$ua" = "$user_agent" ]
            tok=$(stat_field "$(cat "$h.stats")" last_headers token)
            check "$case/$mode: the request carried the configured token" [ "$tok" = sim-static-token ]
        fi
        if [ "$case" = proxy ]; then
            check "$case/$mode: both requests went through the admin's proxy, NO_PROXY=* or not" \
                [ "$(lines "$tmp/helper/proxy.log")" = $((proxy_before + 2)) ] ||
                show_file "proxy log" "$tmp/helper/proxy.log"
            check "$case/$mode: the proxy saw CONNECT to the API only" \
                [ "$(tail -n 2 "$tmp/helper/proxy.log" | grep -c "^CONNECT 127.0.0.1:$https_port ")" = 2 ]
            check "$case/$mode: the token was not sent to the proxy" \
                not_contains "$tmp/helper/proxy.log" "token"
        else
            check "$case/$mode: the admin's proxy was not used" \
                [ "$(lines "$tmp/helper/proxy.log")" = "$proxy_before" ]
        fi
        check "$case/$mode: the hostile proxy listener saw no connection" \
            [ "$(lines "$tmp/helper/trap.log")" = "$trap_before" ] ||
            show_file "hostile proxy log" "$tmp/helper/trap.log"
        check "$case/$mode: no file the user named was opened (OPENSSL_CONF, ~/.netrc)" \
            [ "$(lines "$tmp/helper/tripwire.log")" = "$wire_before" ] ||
            show_file "tripwire log" "$tmp/helper/tripwire.log"
        check "$case/$mode: no SSLKEYLOGFILE written" [ ! -e "$udir/keys.log" ]
        check "$case/$mode: nothing created or changed in the user's folder" \
            cmp -s "$h.before" "$h.after" || diff "$h.before" "$h.after" | sed 's/^/    | /'
    done
done

# Inside the setuid su the real uid is the invoker's, who may stop it: the module there
# reads the node's state but writes none of it, no answer, no lock (SECURITY.md, "State
# that logins share"); what it creates (the cache directory) belongs to root:root, not to
# the invoker's group. su run by root writes its entry as sshd does.
say "== files the module creates inside su"
write_conf cafile
{ cat "$tmp/scnet.conf"; say "cache_dir = $tmp/cache-su"; say "cache_ttl = 300"; } >"$tmp/conf.new"
install -o root -g root -m 0644 "$tmp/conf.new" "$tmp/scnet.conf" || die "cannot write the config"
run_su cache-user user cafile clean
check "cache/user: su succeeds (exit $(cat "$tmp/out/cache-user.rc"))" [ "$(cat "$tmp/out/cache-user.rc")" = 0 ]
owners=$(find "$tmp/cache-su" -printf '%u:%g %p\n' 2>/dev/null)
check "cache/user: su from a user wrote no answer and no lock" \
    test -z "$(grep -E '\.(cache|lock)$' <<<"$owners")" || sed 's/^/    | /' <<<"$owners"
check "cache/user: everything it created is root:root, not the invoker's group" \
    test -z "$(grep -v '^root:root ' <<<"$owners")" || sed 's/^/    | /' <<<"$owners"
run_su cache-root root cafile clean
check "cache/root: su succeeds (exit $(cat "$tmp/out/cache-root.rc"))" [ "$(cat "$tmp/out/cache-root.rc")" = 0 ]
owners=$(find "$tmp/cache-su" -printf '%u:%g %p\n' 2>/dev/null)
check "cache/root: su from root wrote its cache entry" grep -q '\.cache$' <<<"$owners"
check "cache/root: everything in the cache is root:root" \
    test -z "$(grep -v '^root:root ' <<<"$owners")" || sed 's/^/    | /' <<<"$owners"

if [ "$default_cache_before" = absent ]; then
    check "the node's default cache folder $DEFAULT_CACHE was not created" [ ! -e "$DEFAULT_CACHE" ]
fi

say "# total $("$PYTHON" -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$EPOCHREALTIME" "$t_start") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1
if [ -n "$locale_missing" ]; then
    say "SKIP: $locale_missing; skipped." >&2
    exit 77
fi

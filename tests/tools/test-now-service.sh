#!/bin/bash
# scnet-quota --now and its service, run per connection as pam-scnet-quota-now.socket runs
# it (Accept=yes, the connection on standard input and output): here by
# `systemd-socket-activate --accept --inetd` on a test socket, without systemd as PID 1.
#   test-now-service.sh TOOL SERVICE RUN_DIR   (SERVICE: scnet-quota-now, the unit's program)
# RUN_DIR: the pam_sim fixture's simulator. The callers are real processes of other uids
# (setpriv --reuid: the nss_wrapper users near, over, low, multi), the service is root, as
# the unit runs it. Root only, and systemd-socket-activate: 77 (a skip) otherwise.
set -u
tool=$1
service=$2
run=$3
pass=0
fail=0
check() { # name, condition (evaluated); shows the last output when it fails
    if eval "$2"; then
        pass=$((pass + 1)); echo "PASS: $1"
    else
        fail=$((fail + 1)); echo "FAIL: $1"
        sed 's/^/    | /' "$work/out" "$work/err" 2>/dev/null
    fi
}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the service is root's, its callers other uids)"; exit 77; }
# The users' Python: the system's (root's PATH may lead to a shim under /root).
py=$(PATH=/usr/bin:/bin command -v python3)
for t in systemd-socket-activate setpriv python3 "$py"; do
    command -v "$t" >/dev/null || { echo "SKIP: no $t (apt-get install systemd util-linux python3)"; exit 77; }
done

# The users reach their records and the socket through the run folder (0700 otherwise).
work=$(mktemp -d "$run/now.XXXXXX") || exit 1
chmod 0711 "$work"
run_mode=$(stat -c %a "$run")
chmod 0711 "$run"
service_pid=
cleanup() {
    [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
    chmod "$run_mode" "$run"
    rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
http_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_port"])' "$run/ready.json")
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
token=$(cat "$run/token")
records=$work/cache-users
sock=$work/now.sock
# bigentry: a passwd entry of about 20 KiB (tests/pam/CMakeLists.txt).
declare -A uid=([low]=2001 [near]=2002 [over]=2003 [multi]=2005 [bigentry]=2034)

lang_setting="lang = en"
# 5 s, times the test time factor (4 under qemu: scripts/ci-aarch64.sh). With 5 s there, the
# one check per user of the 100 parallel --now below ran out of time (the API asked, no
# answer within 5 s among 200 emulated processes starting at once: "timeout after 5000 ms"),
# and every other --now of that user was then paced, not answered.
check_timeout=$((5 * ${SCNET_TEST_TIME_FACTOR:-1}))
[ "$check_timeout" -le 60 ] || check_timeout=60
conf() { # self_check_interval, extra lines (the node's lang: $lang_setting)
    (umask 077 && printf '%s\n' "url = https://127.0.0.1:$https_port" "token_file = $run/token" \
        "cafile = $run/certs/ca.pem" "cache_dir = $work/cache" "$lang_setting" "timeout = $check_timeout" \
        "deny = 100" "offline_retry = 0" "helper = ${SCNET_TEST_HELPER:?set by CMake}" \
        "self_check_interval = $1" "${2:-}" >"$work/conf")
}
start_service() {
    rm -f "$sock"
    # Then 0666, as SocketMode=0666 makes it: for everyone.
    # The sanitizer runs' options too (scripts/ci-sanitizers.sh): without them an ASan build
    # of the service refuses the test's LD_PRELOAD (nss_wrapper before its runtime).
    local pass=(-E LD_PRELOAD -E NSS_WRAPPER_PASSWD -E NSS_WRAPPER_GROUP) v
    for v in ASAN_OPTIONS UBSAN_OPTIONS; do [ -z "${!v:-}" ] || pass+=(-E "$v"); done
    (exec systemd-socket-activate --accept --inetd -l "$sock" "${pass[@]}" "$service" \
        --conf "$work/conf") \
        >>"$work/service.log" 2>&1 &
    service_pid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && chmod 0666 "$sock" && return 0; sleep 0.1; done
    echo "the service did not listen:"; cat "$work/service.log"
    exit 1
}
as() { # user, command...: run as that user's uid (the nss_wrapper environment kept)
    local u=$1
    shift
    setpriv --reuid="${uid[$u]}" --regid=2000 --clear-groups "$@"
}
now() { # user, options...: scnet-quota --now as user; out, err, rc in $work
    local u=$1
    shift
    as "$u" "$tool" --now --now-socket "$sock" --records "$records" "$@" >"$work/out" 2>"$work/err"
    echo $? >"$work/rc"
}
rc() { cat "$work/rc"; }
asked() { # user: the simulator's count of quota requests for user so far
    python3 - "$http_port" "$1" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_sim/stats" % sys.argv[1], timeout=10))
print(s["quota_by_user"].get(sys.argv[2], 0))
PY
}
forget() { # users...: no record, no pace file, no cached answer
    for u in "$@"; do rm -f "$records/${uid[$u]}" "$records/${uid[$u]}.now" "$work/cache/$u."*; done
}

conf 60
start_service

# ---- a fresh answer, then the paced one ------------------------------------------------
before=$(asked near)
now near
check "near --now: exit 0, near's fresh figures (93%), what the next login gets" \
    '[ "$(rc)" = 0 ] && grep -q "^Storage quota of near (figures from [0-9] seconds\? ago):$" "$work/out" &&
     grep -q "^  /public/home/near  651.0 GB of 700.0 GB  93.0%" "$work/out" &&
     grep -q "^Your next login: a warning" "$work/out" && [ ! -s "$work/err" ]'
check "near --now asked the API once for near" '[ "$(asked near)" = $((before + 1)) ]'
check "the fresh answer went through the login pipeline: near's cached answer and record are there" \
    '[ -f "$work/cache/near.cache" ] && [ -f "$records/${uid[near]}" ]'
now bigentry
check "bigentry --now (an entry larger than the first lookup buffer): its own fresh figures" \
    '[ "$(rc)" = 0 ] && grep -q "^Storage quota of bigentry (figures from " "$work/out" &&
     grep -q "^  /public/home/bigentry  42.0 GB of 700.0 GB  6.0%" "$work/out"'
now near
check "a second --now within self_check_interval asks nothing and says why, with the age" \
    '[ "$(rc)" = 0 ] && [ "$(asked near)" = $((before + 1)) ] &&
     grep -q "^Storage quota of near (figures from [0-9]* seconds\? ago):$" "$work/out" &&
     grep -q "^(One fresh check per 60 seconds: this answer was not asked again; ask again in [0-9]* seconds.)$" "$work/out"'
now near --json
check "--now --json: near's object, not due, no other user" \
    'python3 - "$work/out" <<PY
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["user"] == "near" and o["next_login"] == "warning", o
assert [{k: e[k] for k in ("path", "usage", "threshold", "percent")} for e in o["entries"]] == \
    [{"path": "/public/home/near", "usage": 651.0, "threshold": 700.0, "percent": 93.0}], o
assert o["error"].startswith("not due"), o
PY'

# ---- in Chinese: --lang zh, or the client's locale below the node's lang --------------------
now near --lang zh
check "--now --lang zh: near's answer in Chinese, the pace line too (the request carries zh)" \
    '[ "$(rc)" = 0 ] && [ ! -s "$work/err" ] && grep -q "^near 的存储配额（[0-9]* 秒前的数据）：$" "$work/out" &&
     grep -q "^  /public/home/near  已用 651.0 GB，配额 700.0 GB  93.0%" "$work/out" &&
     grep -q "^下次登录：显示警告（警告线为 90%）。$" "$work/out" &&
     grep -q "^（每 60 秒最多即时查询一次：本次没有重新查询，请 [0-9]* 秒后再试。）$" "$work/out"'
LC_ALL='' LC_MESSAGES='' LANG=zh_CN.UTF-8 now near
check "--now, a Chinese locale on a node with lang = en: English, as the node's banners" \
    '[ "$(rc)" = 0 ] && grep -q "^Storage quota of near (figures from " "$work/out" && grep -q "^(One fresh check per 60 seconds" "$work/out"'
lang_setting="lang = auto"
conf 60
LC_ALL='' LC_MESSAGES='' LANG=zh_CN.UTF-8 now near
check "--now, a Chinese locale (not installed here) on a node with lang = auto: Chinese" \
    '[ "$(rc)" = 0 ] && grep -q "^near 的存储配额（" "$work/out" && grep -q "^（每 60 秒最多即时查询一次" "$work/out"'
LC_ALL='' LC_MESSAGES='' LANG=zh_CN.UTF-8 now near --json
check "--now --json under a Chinese locale: English values (not due), as any --json" \
    'python3 - "$work/out" <<PY
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["user"] == "near" and o["next_login"] == "warning" and o["error"].startswith("not due: "), o
PY'
lang_setting="lang = en"
conf 60

# ---- the caller is the socket's peer, whatever it sends ---------------------------------
cat >"$work/client.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().replace(b"\\n", b"\n"))
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.write(data.decode())
PY
chmod 0644 "$work/client.py"
as near "$py" "$work/client.py" "$sock" 'over json\n' >"$work/out" 2>"$work/err"
check "near sending 'over json' gets near's answer only" \
    'grep -q "\"user\":\"near\"" "$work/out" && ! grep -q "over\|735" "$work/out" && grep -q "^scnet-quota-now status 0$" "$work/out"'
as over "$py" "$work/client.py" "$sock" 'near\n' >"$work/out" 2>"$work/err"
check "over sending 'near' gets over's answer (refusal next, status 1)" \
    'grep -q "^Storage quota of over " "$work/out" && grep -q "735.0 GB of 700.0 GB" "$work/out" &&
     ! grep -q "651\|of near" "$work/out" && grep -q "^scnet-quota-now status 1$" "$work/out"'
head -c 1000000 /dev/zero | tr '\0' x >"$work/junk"
as low "$py" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
try:
    s.sendall(open(sys.argv[2], "rb").read())
except OSError:
    pass
d = b""
while True:
    b = s.recv(65536)
    if not b: break
    d += b
sys.stdout.write(d.decode())' "$sock" "$work/junk" >"$work/out" 2>"$work/err"
check "a megabyte without a newline: the service reads its bounded line and answers low" \
    'grep -q "^Storage quota of low " "$work/out" && grep -q "^scnet-quota-now status 0$" "$work/out"'
now over
check "over --now: exit 1 (the next login is refused), the refusal said" \
    '[ "$(rc)" = 1 ] && grep -q "^Your next login: refused (over the line of 100%)" "$work/out"'

# ---- records stay their users' ------------------------------------------------------------
as over cat "$records/${uid[near]}" >"$work/out" 2>"$work/err"
check "over cannot read near's record (written by the service)" \
    'grep -q "Permission denied" "$work/err" && [ ! -s "$work/out" ]'
as near cat "$records/${uid[near]}.now" >"$work/out" 2>"$work/err"
check "nor a user their own pace file (root's, 0600)" 'grep -q "Permission denied" "$work/err"'

# ---- 100 connections at once: each answered or refused cleanly, one request per user ----
forget low near over multi
declare -A base
for u in low near over multi; do base[$u]=$(asked "$u"); done
mkdir "$work/burst"
chmod 0777 "$work/burst"
pids=()
wait_start=$(date +%s)
for i in $(seq 1 100); do
    case $((i % 4)) in 0) u=low ;; 1) u=near ;; 2) u=over ;; 3) u=multi ;; esac
    (as "$u" timeout 120 "$tool" --now --now-socket "$sock" --records "$records" \
        >"$work/burst/$i.$u.out" 2>"$work/burst/$i.$u.err"
     echo $? >"$work/burst/$i.$u.rc") &
    pids+=($!)
done
wait "${pids[@]}"
took=$(($(date +%s) - wait_start))
answered=0 refused=0 bad=0
for f in "$work"/burst/*.rc; do
    b=${f%.rc} u=${b##*.} r=$(cat "$f")
    if grep -q "^Storage quota of $u (figures from " "$b.out" && [ ! -s "$b.err" ] &&
        { [ "$r" = 0 ] || { [ "$u" = over ] && [ "$r" = 1 ]; }; } &&
        [ "$(grep -c "^Storage quota of " "$b.out")" = 1 ]; then
        answered=$((answered + 1))
    elif grep -q "showing the last record$" "$b.err" && [ "$(wc -l <"$b.err")" = 1 ]; then
        refused=$((refused + 1))
    else
        bad=$((bad + 1))
        [ "$bad" -le 3 ] && { echo "    | $b (rc $r):"; sed 's/^/    | /' "$b.out" "$b.err"; }
    fi
done
echo "    100 parallel --now in ${took}s: $answered answered, $refused refused, $bad neither"
check "100 parallel --now: every one answered or refused in one line (none hung, none cut)" \
    '[ $((answered + refused)) = 100 ] && [ "$bad" = 0 ] && [ "$answered" -ge 1 ]'
counts=""
for u in low near over multi; do counts="$counts $u:$(($(asked "$u") - base[$u]))"; done
echo "    API requests per user during the burst:$counts"
check "the simulator counted exactly one request per user (self_check_interval = 60)" \
    '[ "$counts" = " low:1 near:1 over:1 multi:1" ]'
check "the service wrote no error line during the burst" '! grep -qi "error\|cannot\|still locked" "$work/service.log"'

# ---- self_check_interval is honoured ---------------------------------------------------
kill "$service_pid"; wait "$service_pid" 2>/dev/null
conf 2
start_service
forget near
before=$(asked near)
now near
now near
check "interval 2: a second --now at once asks nothing" '[ "$(asked near)" = $((before + 1)) ] && grep -q "^(One fresh check per 2 seconds" "$work/out"'
sleep 2.5
now near
check "interval 2: after 2.5 s --now asks again, and the figures are new" \
    '[ "$(asked near)" = $((before + 2)) ] && grep -q "^Storage quota of near (figures from [01] seconds\? ago):$" "$work/out" &&
     ! grep -q "^(One fresh check" "$work/out"'

# ---- skipped users and failures say so in one line -----------------------------------------
conf 60 "skip_users = low"
now low
check "a user the module skips: one clear line, exit 0" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "scnet-quota: your logins are not checked on this node (skip_users): no quota to show" ]'
now low --lang zh
check "a user the module skips, --lang zh: the same line in Chinese" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "scnet-quota: 本节点不检查您的登录（skip_users）：没有可显示的配额" ]'
conf 60
sed -i "s|^url = .*|url = https://127.0.0.1:1|" "$work/conf"
forget low over
now low --lang zh
check "the API unreachable, --lang zh: the failure in Chinese, the last record (none yet), exit 2" \
    '[ "$(rc)" = 2 ] && grep -q "^scnet-quota: 即时查询失败：.*；以下是上次记录的数据$" "$work/out" &&
     grep -q "^暂无数据：将在您下次登录时记录。$" "$work/out"'
now over --lang zh --json
check "the API unreachable, --lang zh --json: the reason in English" \
    '[ "$(rc)" = 2 ] && python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert o[\"error\"].startswith(\"the fresh check failed: \"), o" "$work/out"'
forget multi
now multi
check "the API unreachable: the failure in one line, the last record, exit 2" \
    '[ "$(rc)" = 2 ] && grep -q "^scnet-quota: the fresh check failed: .*; showing the last record$" "$work/out" &&
     grep -q "^no figures yet" "$work/out"'
check "root running --now: root is not checked, said, exit 0" \
    '"$tool" --now >"$work/out" 2>&1; [ $? = 0 ] && grep -q "^root.s logins are not checked" "$work/out"'

# ---- no service ---------------------------------------------------------------------
kill "$service_pid"; wait "$service_pid" 2>/dev/null
service_pid=
rm -f "$sock"
now near
check "no socket: --now says the service is not enabled, in one line, and shows the record" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$work/err")" = "scnet-quota: the fresh check service is not enabled on this node; showing the last record" ] &&
     grep -q "^Storage quota of near (figures from " "$work/out"'

now near --lang zh
check "no socket, --lang zh: said in Chinese, in one line, and the record in Chinese" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$work/err")" = "scnet-quota: 本节点未启用即时查询服务；以下是上次记录的数据" ] &&
     grep -q "^near 的存储配额（" "$work/out"'

# systemd refuses a connection beyond MaxConnections= by closing it at once: so does this
# stand-in service.
systemd-socket-activate --accept --inetd -l "$work/refusing.sock" true >/dev/null 2>&1 &
refusing_pid=$!
for _ in $(seq 50); do [ -S "$work/refusing.sock" ] && chmod 0666 "$work/refusing.sock" && break; sleep 0.1; done
as near "$tool" --now --now-socket "$work/refusing.sock" --records "$records" >"$work/out" 2>"$work/err"
echo $? >"$work/rc"
kill "$refusing_pid"; wait "$refusing_pid" 2>/dev/null
check "a connection closed unanswered (systemd's MaxConnections=): one line, then the record" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$work/err")" = "scnet-quota: the fresh check service gave no answer (busy, or at its time limit); showing the last record" ] &&
     grep -q "^Storage quota of near (figures from " "$work/out"'

# ---- the admin's report says whether --now is available here ---------------------------
conf 60
"$tool" --conf "$work/conf" --check-config >"$work/out" 2>"$work/err"
if [ -e /etc/systemd/system/sockets.target.wants/pam-scnet-quota-now.socket ] || [ -S /run/pam_scnet_quota/now.sock ]; then
    check "--check-config: a line says whether --now is available" 'grep -q "^scnet-quota --now: " "$work/out"'
else
    check "--check-config: --now is not available on this host (no socket unit enabled, no socket), said in one line" \
        '[ "$(grep -c "^scnet-quota --now: not available: pam-scnet-quota-now.socket is " "$work/out")" = 1 ]'
fi

# ---- the token: in no output, no record, no log --------------------------------------------
check "the token is in no reply, record, pace file or service log" \
    '! grep -rqF "$token" "$work/burst" "$records" "$work/service.log" "$work/out" "$work/err"'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# Self-test of the SCNet API simulator (scnet_sim.py): needs bash, curl,
# openssl and python3.  Exits non-zero on any failure; VERBOSE=1 lists passes.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIM="$HERE/scnet_sim.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/scnet-sim-selftest.XXXXXX")
PIDS=()
FAILS=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { [ -n "${VERBOSE:-}" ] && echo "ok: $*"; return 0; }
check() { # check NAME CONDITION-COMMAND...  (py conditions are queued)
    local name=$1; shift
    CUR=$name
    if [ "$1" = py ]; then "$@"; return; fi
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# py FILE EXPR: queue a check, a Python expression over d (the JSON in FILE,
# or None), b (its raw bytes), h (FILE.h, the response headers, if any) and
# jwt(token) (the decoded JWT payload).  All queued checks run in one python3
# process at the end (python3 start-up is slow on small machines).
CHECKS="$TMP/checks.tsv"
CUR=""
py() { printf '%s\t%s\t%s\n' "$CUR" "$1" "$2" >>"$CHECKS"; }
run_py_checks() {
    python3 - "$CHECKS" <<'EOF2'
import base64, json, re, sys
def jwt(t):
    p = t.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
fails = 0
for line in open(sys.argv[1], encoding="utf-8"):
    name, f, expr = line.rstrip("\n").split("\t", 2)
    try:
        b = open(f, "rb").read()
    except OSError:
        b = b""
    try:
        h = open(f + ".h", encoding="latin-1").read()
    except OSError:
        h = ""
    try:
        d = json.loads(b)
    except ValueError:
        d = None
    try:
        ok = eval(expr)
    except Exception as e:
        ok = False
        print("FAIL: %s: %s: %r" % (name, expr, e), file=sys.stderr)
    else:
        if not ok:
            print("FAIL: %s: %s" % (name, expr), file=sys.stderr)
    fails += not ok
sys.exit(min(fails, 100))
EOF2
}

# start_sim NAME ARGS...: start a simulator, wait for its ready file; sets
# SIM_PID, HP (http port), SP (https port), READY.
start_sim() {
    local name=$1; shift
    READY="$TMP/$name.ready"
    python3 "$SIM" --ready-file "$READY" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    local i
    for i in $(seq 100); do
        [ -s "$READY" ] && break
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$READY" ]; then
        fail "$name: simulator did not become ready"; cat "$TMP/$name.err" >&2; exit 1
    fi
    cp "$READY" "$READY.copy"
    HP=$(sed -n 's/.*"http_port": *\([0-9]*\).*/\1/p' "$READY")
    SP=$(sed -n 's/.*"https_port": *\([0-9]*\).*/\1/p' "$READY")
}

# exited PID SECONDS: true if PID exits (or is a zombie) within SECONDS.
usec() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
exited() {
    local pid=$1 deadline st
    deadline=$(( $(usec) + $2 * 1000000 ))
    while :; do
        st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 0
        { [ -z "$st" ] || [ "$st" = Z ]; } && return 0
        [ "$(usec)" -gt "$deadline" ] && return 1
        sleep 0.02
    done
}

T0=$(usec)
QP=/hpc/openapi/v2/parastor/quota/usernames
TOK='token: sim-static-token'

# q NAME USER [curl args...]: quota query over HTTP into $TMP/NAME (+ .h headers)
q() {
    local name=$1 user=$2; shift 2
    curl -s -D "$TMP/$name.h" -o "$TMP/$name" -H "$TOK" "$@" "http://127.0.0.1:$HP$QP/$user"
}
status() { head -1 "$TMP/$1.h" | awk '{print $2}'; }

# ---------------------------------------------------------------- certificates
CERTS="$TMP/certs"
check "make-certs" python3 "$SIM" --make-certs "$CERTS"
check "ca/server files" test -s "$CERTS/ca.pem" -a -s "$CERTS/server.pem" -a -s "$CERTS/server.key"
check "key modes 0600" test "$(stat -c %a "$CERTS/server.key")" = 600 -a "$(stat -c %a "$CERTS/ca.key")" = 600
check "chain verifies" bash -c "openssl verify -CAfile '$CERTS/ca.pem' '$CERTS/server.pem' >/dev/null"
check "SAN" bash -c "openssl x509 -in '$CERTS/server.pem' -noout -ext subjectAltName | grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'"

# ---------------------------------------------------------------- start
start_sim main --http-port 0 --https-port 0 --cert-dir "$CERTS" \
    --aksk alice:AKALICE:SKalice --aksk suspended:AKSUSP:SKsusp \
    --password bob:pw:bob:org42
MAIN_PID=$SIM_PID
check "ready file" py "$READY.copy" "d['pid'] == $MAIN_PID and d['http_port'] > 0 and d['https_port'] > 0 and d['ca'] == '$CERTS/ca.pem' and d['bind'] == '127.0.0.1'"

# Slow scenarios in the background while the rest runs.
{ curl -s -o /dev/null --max-time 1 -H "$TOK" "http://127.0.0.1:$HP$QP/slow"; echo $? >"$TMP/slow.rc"; } &
{ curl -s -o "$TMP/slow1" --max-time 3 -H "$TOK" "http://127.0.0.1:$HP$QP/slow1"; echo $? >"$TMP/slow1.rc"; } &
{ curl -s -D "$TMP/trickle.h" -o "$TMP/trickle" --max-time 1.3 -H "$TOK" --cacert "$CERTS/ca.pem" \
    "https://localhost:$SP$QP/trickle"; echo $? >"$TMP/trickle.rc"; } &

# ---------------------------------------------------------------- scenarios
E='d["data"][0]'
q low low;       check "low"      py "$TMP/low" "d['code'] == '0' and $E['usage'] == 100.0 and $E['threshold'] == 700 and $E['username'] == 'low' and $E['path'] == '/public/home/low'"
check "content-length" py "$TMP/low" "'Content-Length: %d' % len(b) in h and h.startswith('HTTP/1.1 200')"
q near near;     check "near"     py "$TMP/near" "$E['usage'] == 651.0"
q over over;     check "over"     py "$TMP/over" "$E['usage'] == 735.0"
q full full;     check "full"     py "$TMP/full" "$E['usage'] == 700 and $E['threshold'] == 700"
q multi multi;   check "multi"    py "$TMP/multi" "len(d['data']) == 4 and d['data'][1] == {'username':'multi','path':'/work/multi','threshold':1000,'usage':950} and d['data'][2]['threshold'] == 0 and d['data'][3]['username'] == 'someoneelse'"
q nolimit nolimit; check "nolimit" py "$TMP/nolimit" "'threshold' not in $E and $E['usage'] == 5000"
q strings strings; check "strings" py "$TMP/strings" "d['code'] == 0 and $E['threshold'] == '700' and $E['usage'] == '665.0'"
for c in 10001 10007 10008 10009; do
    q "apierr$c" "apierr-$c"
    check "apierr-$c" py "$TMP/apierr$c" "d['code'] == '$c' and d['data'] is None and d['msg'] not in ('', 'error') and h.startswith('HTTP/1.1 200')"
done
q apierr99 apierr-99999; check "apierr unknown" py "$TMP/apierr99" "d == {'code':'99999','msg':'error','data':None}"
q http500 http500; check "http500" test "$(status http500)" = 500
q http404 http404; check "http404" test "$(status http404)" = 404
q malformed malformed; check "malformed" py "$TMP/malformed" "d is None and b == b'{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":'"
q trailing trailing;   check "trailing" py "$TMP/trailing" "d is None and b.endswith(b'} garbage') and json.loads(b[:-8])['code'] == '0'"
q notjson notjson;     check "notjson" py "$TMP/notjson" "b == b'<html>hello</html>' and 'text/html' in h"
q negative negative;   check "negative" py "$TMP/negative" "$E['usage'] == -5"
q nan nan;             check "nan" py "$TMP/nan" "b'\"usage\": NaN' in b"
q huge huge;           check "huge" py "$TMP/huge" "b'\"usage\":1e400' in b"
q toomany toomany;     check "toomany" py "$TMP/toomany" "len(d['data']) == 65 and len({e['path'] for e in d['data']}) == 65 and all(e['username'] == 'toomany' for e in d['data'])"
q longstring longstring; check "longstring" py "$TMP/longstring" "len($E['path']) == 5000"
q redirect redirect;   check "redirect" py "$TMP/redirect" "h.startswith('HTTP/1.1 302') and 'Location: http://127.0.0.1:1/elsewhere' in h and b == b''"
q hostile hostile;     check "hostile" py "$TMP/hostile" "$E['username'] == 'hostile' and all(c in $E['path'] for c in '\x1b\x07\r\n\x9b\x7f') and '\x1b' in d['msg'] and $E['usage'] == 95 and $E['threshold'] == 100"
q badutf8 badutf8;     check "badutf8" py "$TMP/badutf8" "b'\xff\xfe\xc0\xaf' in b"
q bench17 bench17;     check "default user" py "$TMP/bench17" "$E == {'username':'bench17','path':'/public/home/bench17','threshold':700,'usage':42.0}"
q utf8 '%E5%BC%A0%E4%B8%89'; check "percent-decoded user" py "$TMP/utf8" "$E['username'] == '\u5f20\u4e09'"
curl -s -o "$TMP/notoken" "http://127.0.0.1:$HP$QP/low"
check "missing token" py "$TMP/notoken" "d == {'code':'10008','msg':'\u6743\u9650\u4e0d\u8db3','data':None}"
curl -s -o "$TMP/badtoken" -H 'token: nope' "http://127.0.0.1:$HP$QP/low"
check "bad token" py "$TMP/badtoken" "d['code'] == '10008'"
curl -s -D "$TMP/nf.h" -o "$TMP/nf" -H "$TOK" "http://127.0.0.1:$HP/hpc/hpc/openapi/v2/parastor/quota/usernames/low"
check "unknown path" py "$TMP/nf" "h.startswith('HTTP/1.1 404') and d == {'code':'10004','msg':'not found'}"
n=$(curl -s -H "$TOK" "http://127.0.0.1:$HP$QP/endless" | head -c 3000000 | wc -c)
check "endless streams" test "$n" = 3000000

# ---------------------------------------------------------------- HTTPS
curl -s -o "$TMP/tls" -H "$TOK" --cacert "$CERTS/ca.pem" "https://localhost:$SP$QP/near"
check "https localhost" py "$TMP/tls" "$E['usage'] == 651.0"
curl -s -o "$TMP/tls2" -H "$TOK" --cacert "$CERTS/ca.pem" "https://127.0.0.1:$SP$QP/low"
check "https 127.0.0.1" py "$TMP/tls2" "$E['usage'] == 100.0"
curl -s -o /dev/null "https://localhost:$SP$QP/low"
check "https untrusted CA rejected" test $? = 60

# ---------------------------------------------------------------- tokens
A="http://127.0.0.1:$HP"
aksk() { # aksk OUT USER AK SK TIMESTAMP
    local msg sig
    msg=$(printf '{"accessKey":"%s","timestamp":"%s","user":"%s"}' "$3" "$5" "$2")
    sig=$(printf '%s' "$msg" | openssl dgst -sha256 -hmac "$4" | sed 's/.*= //')
    curl -s -o "$TMP/$1" -X POST -H "user: $2" -H "accessKey: $3" -H "timestamp: $5" \
        -H "signature: $sig" "$A/api/user/v3/tokens"
}
tok() { grep -o '"token":"[^"]*"' "$TMP/$1" | sed -n "$(($2 + 1))s/\"token\":\"\(.*\)\"/\1/p"; }
NOW=$(date +%s)
aksk ak1 alice AKALICE SKalice "$NOW"
check "aksk ok" py "$TMP/ak1" "d['code'] == '0' and [e['clusterId'] for e in d['data']] == ['0','11250','11251'] and [e['clusterName'] for e in d['data']] == ['ac','hefei','kunshan'] and all(e['token'].count('.') == 2 for e in d['data'])"
check "jwt payload" py "$TMP/ak1" "jwt(d['data'][1]['token']) | {'expireTime': 0, 'jti': ''} == {'user':'alice','clusterId':'11250','expireTime':0,'jti':''} and abs(jwt(d['data'][1]['token'])['expireTime'] - (__import__('time').time() + 3600) * 1000) < 60000 and json.loads(base64.urlsafe_b64decode(d['data'][1]['token'].split('.')[0] + '==')) == {'alg':'HS256','typ':'JWT'} and '=' not in d['data'][1]['token']"
aksk ak2 alice AKALICE wrongsk "$NOW";       check "aksk bad signature" py "$TMP/ak2" "d == {'code':'10008','msg':'signature mismatch','data':None}"
aksk ak3 alice AKALICE SKalice "$((NOW - 400))"; check "aksk stale timestamp" py "$TMP/ak3" "d['code'] == '10004' and d['data'] is None"
aksk ak4 mallory AKALICE SKalice "$NOW";     check "aksk unknown user" py "$TMP/ak4" "d['code'] == '10008'"
aksk ak5 suspended AKSUSP SKsusp "$NOW";     check "suspended" py "$TMP/ak5" "[e['token'] is None for e in d['data']] == [False, True, True]"
curl -s -o "$TMP/pw1" -X POST -H 'user: bob' -H 'password: pw:bob' -H 'orgId: org42' "$A/ac/openapi/v2/tokens"
check "password ok" py "$TMP/pw1" "d['code'] == '0' and len(d['data']) == 3 and d['data'][2]['token']"
curl -s -o "$TMP/pw2" -X POST -H 'user: bob' -H 'password: pw' -H 'orgId: org42' "$A/ac/openapi/v2/tokens"
check "password wrong" py "$TMP/pw2" "d['code'] == '10008'"
TP=$(tok ak1 0); TR=$(tok ak1 1)
curl -s -o "$TMP/qp" -H "token: $TP" "$A$QP/low";  check "platform token refused" py "$TMP/qp" "d['code'] == '10008'"
curl -s -o "$TMP/qr" -H "token: $TR" "$A$QP/low";  check "regional token accepted" py "$TMP/qr" "d['code'] == '0'"
curl -s -o "$TMP/st1" -H "token: $TR" "$A/ac/openapi/v2/tokens/state"; check "state true" py "$TMP/st1" "d['data'] is True"
curl -s -o /dev/null -X POST "$A/_sim/expire-tokens"
curl -s -o "$TMP/qx" -H "token: $TR" "$A$QP/low";  check "expired token refused" py "$TMP/qx" "d['code'] == '10008'"
curl -s -o "$TMP/st2" -H "token: $TR" "$A/ac/openapi/v2/tokens/state"; check "state false" py "$TMP/st2" "d['data'] is False"
curl -s -o "$TMP/qs" -H "$TOK" "$A$QP/low";        check "static token survives expire" py "$TMP/qs" "d['code'] == '0'"
curl -s -o "$TMP/nx" -X POST -H "token: $TR" "$A/ac/openapi/v2/tokens/next"
check "renew" py "$TMP/nx" "d['code'] == '0' and isinstance(d['data'], str) and d['data'] != '$TR'"
TN=$(sed -n 's/.*"data":"\([^"]*\)".*/\1/p' "$TMP/nx")
curl -s -o "$TMP/qn" -H "token: $TN" "$A$QP/low";  check "renewed token accepted" py "$TMP/qn" "d['code'] == '0'"
curl -s -o "$TMP/nx2" -X POST -H "token: junk" "$A/ac/openapi/v2/tokens/next"; check "renew junk" py "$TMP/nx2" "d['code'] == '10008'"
curl -s -o /dev/null -X POST -d '{"seconds":0}' "$A/_sim/token-life"
aksk ak6 alice AKALICE SKalice "$NOW"
curl -s -o "$TMP/q0" -H "token: $(tok ak6 1)" "$A$QP/low"; check "token-life 0" py "$TMP/q0" "d['code'] == '10008'"
curl -s -o /dev/null -X POST -d '{"down":true}' "$A/_sim/token-service"
check "token service down" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'user: bob' -H 'password: pw:bob' -H 'orgId: org42' "$A/ac/openapi/v2/tokens")" = 503
curl -s -o /dev/null -X POST -d '{"delay":1}' "$A/_sim/token-service"
SLOW_T=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'user: bob' -H 'password: pw:bob' -H 'orgId: org42' "$A/ac/openapi/v2/tokens")
check "token service delay" python3 -c "import sys; sys.exit(not float('$SLOW_T') >= 1.0)"
curl -s -o /dev/null -X POST -d '{"delay":0}' "$A/_sim/token-service"

# ---------------------------------------------------------------- overrides, stats
curl -s -o /dev/null -X POST -d '{"user":"alice","usage":10,"threshold":700}' "$A/_sim/set"
q ov1 alice;  check "set usage" py "$TMP/ov1" "$E == {'username':'alice','path':'/public/home/alice','threshold':700,'usage':10}"
curl -s -o /dev/null -X POST -d '{"user":"carol","scenario":"over"}' "$A/_sim/set"
q ov2 carol;  check "set scenario" py "$TMP/ov2" "$E['username'] == 'carol' and $E['usage'] == 735.0"
curl -s -o /dev/null -X POST -d '{"user":"x","down":true}' "$A/_sim/set"
q ov3 x;      check "set down" test "$(status ov3)" = 503
curl -s -o "$TMP/stats1" "$A/_sim/stats"
check "stats" py "$TMP/stats1" "d['quota_by_user'].get('alice') == 1 and d['token_by_kind']['aksk'] == 6 and d['token_by_kind']['password'] == 4 and d['token_by_kind']['next'] == 2 and d['token_requests'] == 12 and d['last_headers']['token'] == 'sim-static-token' and d['last_quota_path'] == '$QP/x'"
curl -s -o "$TMP/rs" -X POST "$A/_sim/reset"
curl -s -o "$TMP/stats2" "https://localhost:$SP/_sim/stats" --cacert "$CERTS/ca.pem"
check "reset" py "$TMP/stats2" "d['quota_requests'] == 0 and d['quota_by_user'] == {} and d['token_requests'] == 0 and d['token_by_kind'] == {'aksk':0,'password':0,'next':0} and d['last_headers'] == {} and d['last_quota_path'] is None"
q ov4 alice;  check "override cleared" py "$TMP/ov4" "$E['usage'] == 42.0"
check "token service back" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'user: bob' -H 'password: pw:bob' -H 'orgId: org42' "$A/ac/openapi/v2/tokens")" = 200
curl -s -o /dev/null -H "$TOK" -H 'X-Probe: one' "$A$QP/a%20b?x=1"
curl -s -o "$TMP/stats3" "$A/_sim/stats"
check "last headers/path" py "$TMP/stats3" "d['last_headers'].get('x-probe') == 'one' and d['last_quota_path'] == '$QP/a%20b?x=1' and d['quota_by_user'] == {'alice':1, 'a b':1}"

# burst: 50 parallel requests over both listeners
curl -s -o /dev/null -X POST "$A/_sim/reset"
for i in $(seq 0 49); do
    if [ $((i % 2)) = 0 ]; then U="http://127.0.0.1:$HP"; else U="https://localhost:$SP"; fi
    curl -s -o /dev/null --cacert "$CERTS/ca.pem" -H "$TOK" "$U$QP/burst$((i % 5))" &
done
wait_bursts() { local j; for j in $(jobs -p); do case " ${PIDS[*]} " in *" $j "*) ;; *) wait "$j";; esac; done; }
wait_bursts
curl -s -o "$TMP/stats4" "$A/_sim/stats"
check "burst counters exact" py "$TMP/stats4" "d['quota_requests'] == 50 and d['quota_by_user'] == {'burst%d' % k: 10 for k in range(5)}"

# latency and connection counters: one curl, two requests over one kept-alive TLS connection
curl -s -o /dev/null -X POST "$A/_sim/reset"
curl -s -o /dev/null -X POST "$A/_sim/latency?ms=200"
curl -s -o /dev/null -o /dev/null -w '%{time_total} ' --cacert "$CERTS/ca.pem" -H "$TOK" \
    "https://localhost:$SP$QP/lat1" "https://localhost:$SP$QP/lat2" >"$TMP/lat.t"
curl -s -o /dev/null --cacert "$CERTS/ca.pem" -H "$TOK" "https://localhost:$SP$QP/lat3"
curl -s -o "$TMP/stats5" "$A/_sim/stats"
check "latency applies per request" py "$TMP/lat.t" "len(b.split()) == 2 and all(float(t) >= 0.19 for t in b.split())"
check "connections and handshakes counted" py "$TMP/stats5" "d['tls_handshakes'] == 2 and d['tcp_connections']['https'] == 2 and d['quota_requests'] == 3 and d['latency_ms'] == 200"
curl -s -o "$TMP/lat4" -X POST -d '{"ms":-1}' "$A/_sim/latency"
check "latency refused out of range" py "$TMP/lat4" "d['ok'] is False"
curl -s -o /dev/null -X POST "$A/_sim/reset"
curl -s -o "$TMP/stats6" "$A/_sim/stats"
check "reset restores latency and counters" py "$TMP/stats6" "d['latency_ms'] == 0 and d['tls_handshakes'] == 0"

# slow scenarios started at the beginning
check "slow times out (curl rc 28)" test "$(cat "$TMP/slow.rc")" = 28
check "slow1 answers near" py "$TMP/slow1" "$E['usage'] == 651.0"
check "trickle times out" test "$(cat "$TMP/trickle.rc")" = 28
check "trickle headers" py "$TMP/trickle" "int(re.search(r'Content-Length: (\d+)', h).group(1)) >= 1000 and 0 < len(b) < 10"

# idle CPU: no more than 2 clock ticks in 1 s
c1=$(awk '{print $14 + $15}' "/proc/$MAIN_PID/stat"); sleep 1
c2=$(awk '{print $14 + $15}' "/proc/$MAIN_PID/stat")
check "idle cpu ($((c2 - c1)) ticks)" test $((c2 - c1)) -le 2
# main + 2 accept threads: handlers of slow/trickle ended when their clients left
check "no leftover handler threads" test "$(ls "/proc/$MAIN_PID/task" | wc -l)" = 3

# prompt shutdown during slow + trickle
curl -s -o /dev/null --max-time 10 -H "$TOK" "http://127.0.0.1:$HP$QP/slow" & C1=$!
curl -s -o /dev/null --max-time 10 -H "$TOK" --cacert "$CERTS/ca.pem" "https://localhost:$SP$QP/trickle" & C2=$!
curl -s -o /dev/null --max-time 10 --limit-rate 20k -H "$TOK" "http://127.0.0.1:$HP$QP/endless" & C3=$!
sleep 0.5
kill -TERM "$MAIN_PID"
check "SIGTERM exits within 1 s" exited "$MAIN_PID" 1
wait "$MAIN_PID"; check "exit status 0" test $? = 0
check "ready file removed" test ! -e "$TMP/main.ready"
check "quiet stderr" test ! -s "$TMP/main.err"
kill "$C3" 2>/dev/null   # it still drains socket buffers at 20 kB/s
wait "$C1" "$C2" "$C3" 2>/dev/null

# ---------------------------------------------------------------- handshake timeout
# silent NAME PORT: seconds until the simulator drops a client that connects over TCP and
# never starts its TLS handshake (gives up after 3 s: prints 3.0; the default is 10 s).
silent() {
    python3 - "$2" >"$TMP/$1" <<'EOF3'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(3)
t = time.monotonic()
try:
    s.recv(1)
except socket.timeout:
    pass
except OSError:
    pass
print("%.1f" % (time.monotonic() - t))
EOF3
}
start_sim hs --https-port 0 --cert-dir "$CERTS" --handshake-timeout 1
silent silent-1s "$SP"
check "--handshake-timeout 1: a silent TLS client is dropped after about 1 s" \
    python3 -c "import sys; sys.exit(not 0.8 <= float(open('$TMP/silent-1s').read()) < 2.5)"
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
python3 "$SIM" --https-port 0 --handshake-timeout 0 >/dev/null 2>"$TMP/hs0.err"
check "--handshake-timeout 0 refused" grep -q "handshake-timeout must be more than 0" "$TMP/hs0.err"

# ---------------------------------------------------------------- IPv6
if grep -qs '^0\{31\}1 ' /proc/net/if_inet6; then
    start_sim v6 --bind ::1 --http-port 0 --https-port 0 --cert-dir "$CERTS"
    curl -s -o "$TMP/v6a" -H "$TOK" "http://[::1]:$HP$QP/low"
    check "ipv6 http" py "$TMP/v6a" "d['code'] == '0'"
    curl -s -o "$TMP/v6b" -H "$TOK" --cacert "$CERTS/ca.pem" "https://[::1]:$SP$QP/low"
    check "ipv6 https" py "$TMP/v6b" "d['code'] == '0'"
    kill -INT "$SIM_PID"
    check "SIGINT exits" exited "$SIM_PID" 1
    wait "$SIM_PID" 2>/dev/null
fi

run_py_checks; FAILS=$((FAILS + $?))
if [ "$FAILS" -ne 0 ]; then
    echo "selftest: $FAILS failure(s)" >&2
    exit 1
fi
echo "selftest: all passed in $(( ($(usec) - T0) / 1000 )) ms"

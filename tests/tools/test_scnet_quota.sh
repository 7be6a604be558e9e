#!/bin/bash
# scnet-quota against the simulator: test_scnet_quota.sh TOOL RUN_DIR
# (nss_wrapper users come from the environment ctest gives it).
set -u
tool=$1
run=$2
pass=0
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
token=$(cat "$run/token")

check() { # name, condition (evaluated), details
    if eval "$2"; then
        pass=$((pass + 1)); echo "PASS: $1"
    else
        fail=$((fail + 1)); echo "FAIL: $1"; echo "  stdout: $(cat "$work/out")"; echo "  stderr: $(cat "$work/err")"
    fi
}
conf() { # extra lines
    (umask 077 && printf 'url = https://127.0.0.1:%s\ntoken_file = %s/token\ncafile = %s/certs/ca.pem\ncache_dir = %s/cache\nlang = en\ntimeout = 2\ndeny = 100\n%s\n' \
        "$https_port" "$run" "$run" "$work" "$1" > "$work/conf")
}
runtool() { "$tool" "$@" >"$work/out" 2>"$work/err"; echo $? > "$work/rc"; }
rc() { cat "$work/rc"; }

conf ""
runtool --conf "$work/conf" low
check "below warn: exit 0, says allowed" '[ "$(rc)" = 0 ] && grep -q "^low: allowed (source api" "$work/out"'
runtool --conf "$work/conf" near
check "near: exit 0 and the same banner the module shows" \
    '[ "$(rc)" = 0 ] && grep -q "^near: allowed, with a warning" "$work/out" && grep -q "^  /public/home/near  651.0 GB of 700.0 GB  93.0%  \[##################--\]$" "$work/out"'
runtool --conf "$work/conf" near
check "second run answered from the cache" '[ "$(rc)" = 0 ] && grep -q "source cache" "$work/out"'
runtool --conf "$work/conf" --no-cache near
check "--no-cache asks the API" '[ "$(rc)" = 0 ] && grep -q "source api" "$work/out"'
runtool --conf "$work/conf" over
check "over deny: exit 1, refusal text" '[ "$(rc)" = 1 ] && grep -q "^over: refused" "$work/out" && grep -q "^Login refused: your storage quota is exceeded.$" "$work/out"'
runtool --conf "$work/conf" low near over
check "several users: the worst status wins" '[ "$(rc)" = 1 ] && [ "$(grep -c "^[a-z]*: " "$work/out")" = 3 ]'
runtool --conf "$work/conf" --lang zh near
check "--lang zh" '[ "$(rc)" = 0 ] && grep -q "警告：您的存储配额即将用满。" "$work/out"'
runtool --conf "$work/conf" --json near over
check "--json: one object per user with decision, percent, entries, source, error" \
    'python3 - "$work/out" <<PY
import json, sys
lines = open(sys.argv[1]).read().splitlines()
a, b = (json.loads(l) for l in lines)
assert len(lines) == 2
assert a["user"] == "near" and a["decision"] == "warn" and a["allowed"] is True and a["error"] is None
assert abs(a["percent"] - 93.0) < 1e-9 and a["source"] in ("api", "cache")
assert a["entries"] == [{"username": "near", "path": "/public/home/near", "usage": 651.0, "threshold": 700.0, "percent": 93.0}]
assert b["decision"] == "deny" and b["allowed"] is False and b["message"].startswith("Login refused")
PY'
runtool --conf "$work/conf" apierr-10008
check "API error: exit 2 with the documented meaning" '[ "$(rc)" = 2 ] && grep -q "API code 10008" "$work/out"'
runtool --conf "$work/conf" -v hostilecode
check "a hostile API code reaches neither the terminal nor the log line raw" \
    '[ "$(rc)" = 2 ] && grep -q "API code 10008" "$work/out" && ! LC_ALL=C grep -q "[[:cntrl:]]" "$work/out" "$work/err" && ! grep -q $'"'"'\xc2\x9b'"'"' "$work/out" "$work/err" && ! grep -q "^FAKE" "$work/out" "$work/err"'
runtool --conf "$work/conf" root
check "root is not checked: exit 0" '[ "$(rc)" = 0 ] && grep -q "^root: not checked (root)" "$work/out"'
runtool --conf "$work/conf" --check-config near
check "--check-config: ok" '[ "$(rc)" = 0 ] && grep -q "^configuration: ok" "$work/out" && grep -q "^API request for near: ok, 1 entry" "$work/out"'
conf "colour = blue"
runtool --conf "$work/conf" --check-config near
check "--check-config names the bad line" '[ "$(rc)" = 2 ] && grep -q "configuration: FAILED: $work/conf:8: unknown key '"'"'colour'"'"'" "$work/out"'
conf ""
sed -i "s|^token_file = .*|token_file = $work/token|" "$work/conf"
(umask 077 && echo wrong-token > "$work/token")
runtool --conf "$work/conf" --check-config near
check "--check-config: a refused token is reported" '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: API code 10008: " "$work/out"'
chmod 0644 "$work/token"
runtool --conf "$work/conf" --check-config near
check "--check-config: a readable token file is reported" '[ "$(rc)" = 2 ] && grep -q "mode 0644 is too open" "$work/out"'
conf ""
sed -i "s|^url = .*|url = https://127.0.0.1:1|" "$work/conf"
runtool --conf "$work/conf" --no-cache low
check "API dead: exit 2" '[ "$(rc)" = 2 ] && grep -q "^low: allowed (quota unknown, fail = open)" "$work/out"'
conf ""
for f in out err; do :; done
"$tool" --conf "$work/conf" -v near >"$work/out" 2>"$work/err"
check "the token is never printed, even with -v" '! grep -qF "$token" "$work/out" "$work/err"'
# Without cafile the system store is used (its hashed directory): with the simulator's CA
# added to it the request succeeds, without it verification fails. Root only: it changes
# the system store for a moment, and puts it back.
if [ "$(id -u)" = 0 ] && command -v update-ca-certificates >/dev/null; then
    store=/usr/local/share/ca-certificates/scnet-sim-test-$$.crt
    trap 'rm -f "$store"; update-ca-certificates --fresh >/dev/null 2>&1; rm -rf "$work"' EXIT
    conf ""
    sed -i "/^cafile = /d" "$work/conf"
    runtool --conf "$work/conf" --check-config near
    check "system store without our CA: the certificate is refused" '[ "$(rc)" = 2 ] && grep -q "TLS failure" "$work/out"'
    cp "$run/certs/ca.pem" "$store" && update-ca-certificates >/dev/null 2>&1
    runtool --conf "$work/conf" --check-config near
    check "system store with our CA: verified through the hashed directory" '[ "$(rc)" = 0 ] && grep -q "^API request for near: ok" "$work/out"'
    rm -f "$store"
    update-ca-certificates --fresh >/dev/null 2>&1
fi

runtool --bogus
check "unknown option: exit 2 with usage" '[ "$(rc)" = 2 ] && grep -q "^Usage:" "$work/err"'
runtool --version
check "--version" '[ "$(rc)" = 0 ] && grep -q "^scnet-quota [0-9]" "$work/out"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/bash
# scnet-quota against the simulator: test_scnet_quota.sh TOOL RUN_DIR
# (nss_wrapper users come from the environment ctest gives it).
set -u
tool=$1
run=$2
pass=0
fail=0
# Not under /tmp: a folder group or others may write is refused on the way to cafile.
work=$(mktemp -d "$run/tools.XXXXXX")
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
conf() { # extra lines (from line 8); the helper built with the tree comes last; offline
    # mode off unless they set offline_retry (one check's dead API must not answer the next
    # checks from the cache). timeout = 5: no check measures it, and a cold TLS request
    # through a libcurl stand-in can pass 2 s when the whole suite runs at -j2 on 2 cores.
    local extra=$1
    case $extra in *offline_retry*) ;; *) extra="$extra
offline_retry = 0" ;; esac
    (umask 077 && printf 'url = https://127.0.0.1:%s\ntoken_file = %s/token\ncafile = %s/certs/ca.pem\ncache_dir = %s/cache\nlang = en\ntimeout = 5\ndeny = 100\n%s\nhelper = %s\n' \
        "$https_port" "$run" "$run" "$work" "$extra" "${SCNET_TEST_HELPER:?set by CMake}" > "$work/conf")
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
assert a["entries"] == [{"username": "near", "path": "/public/home/near", "usage": 651.0, "threshold": 700.0, "percent": 93.0, "full_in_days": None}]
assert b["decision"] == "deny" and b["allowed"] is False and b["message"].startswith("Login refused")
PY'
# The trend in the admin's --json, as in the user's own: near's record (written by the checks
# above, root's as the module's) replaced by one with a week of growth, 10 GB a day up to the
# cached 651 of 700 GB: full in about 5 days. low's record has no history: null.
near_uid=$(id -u near)
now=$(date +%s)
printf 'scnet-user-record 1\nuser near\nfetched_at %s\nnext warning\nwarn 90000\ndeny 100000\nentry 651000 700000 /public/home/near\nhistory %s 591000\nhistory %s 621000\n' \
    "$((now - 60))" "$((now - 6 * 86400))" "$((now - 3 * 86400))" >"$work/cache-users/new"
chmod 600 "$work/cache-users/new" && mv "$work/cache-users/new" "$work/cache-users/$near_uid"
runtool --conf "$work/conf" --json near low
check "--json: each of the user's entries has full_in_days from their record's history (root's view)" \
    'python3 - "$work/out" <<PY
import json, sys
near, low = (json.loads(l) for l in open(sys.argv[1]).read().splitlines())
assert near["source"] == "cache" and near["entries"][0]["full_in_days"] == 5, near
assert low["entries"][0]["full_in_days"] is None, low
PY'
runtool --conf "$work/conf" apierr-10008
check "API error: exit 2 with the documented meaning" '[ "$(rc)" = 2 ] && grep -q "API code 10008" "$work/out"'
runtool --conf "$work/conf" -v hostilecode
check "a hostile API code reaches neither the terminal nor the log line raw" \
    '[ "$(rc)" = 2 ] && grep -q "API code 10008" "$work/out" && ! LC_ALL=C grep -q "[[:cntrl:]]" "$work/out" "$work/err" && ! grep -q $'"'"'\xc2\x9b'"'"' "$work/out" "$work/err" && ! grep -q "^FAKE" "$work/out" "$work/err"'
runtool --conf "$work/conf" root
check "root is not checked: exit 0" '[ "$(rc)" = 0 ] && grep -q "^root: skipped (root)" "$work/out"'
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
elif [ -n "${CI:-}" ]; then
    fail=$((fail + 1))
    echo "FAIL: the system-store checks need root and update-ca-certificates (CI has both)"
else
    skipped="the system-store checks (need root and update-ca-certificates)"
fi

# The host name is checked, not only the chain: the same certificate and CA served on
# 127.0.0.2 (pam.sim_misnamed_start), an address the certificate does not name.
misnamed_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/misnamed/ready.json")
misnamed_reason="TLS failure: .*subject name.* '127.0.0.2'"
conf ""
sed -i "s|^url = .*|url = https://127.0.0.2:$misnamed_port|" "$work/conf"
runtool --conf "$work/conf" --check-config near
check "--check-config: a certificate for another name is a TLS failure" \
    '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: $misnamed_reason" "$work/out"'
runtool --conf "$work/conf" --no-cache near
check "a certificate for another name: fail = open lets in and says why" \
    '[ "$(rc)" = 2 ] && grep -q "^near: allowed (quota unknown, fail = open) ($misnamed_reason)$" "$work/out"'
conf "fail = closed"
sed -i "s|^url = .*|url = https://127.0.0.2:$misnamed_port|" "$work/conf"
runtool --conf "$work/conf" --no-cache near
check "a certificate for another name: fail = closed refuses and says why" \
    '[ "$(rc)" = 2 ] && grep -q "^near: refused (quota unknown, fail = closed) ($misnamed_reason)$" "$work/out"'

# --check-config and plain output say what is true (issue 11): the URL of an HTTP error,
# a missing cafile, the clock hint, skip reasons, the usage of every path, --verbose.
conf ""
runtool --conf "$work/conf" --check-config http404
check "--check-config: an HTTP error names the full URL it came from" \
    '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: HTTP status 404 from https://127.0.0.1:$https_port/hpc/openapi/v2/parastor/quota/usernames/http404$" "$work/out"'
# The token service's HTTP error names its URL too (a wrong auth_url answers 404 here), in
# --check-config and in the decision line the module logs; the secrets stay in headers.
(umask 077 && printf 'user = tokop\naccess_key = AKtokop01\nsecret_key = SKtokop01secret\n' >"$work/aksk")
conf "auth = aksk
credentials_file = $work/aksk
auth_url = https://127.0.0.1:$https_port/wrong-base"
token_url="https://127.0.0.1:$https_port/wrong-base/api/user/v3/tokens"
runtool --conf "$work/conf" --check-config near
check "--check-config: a token service HTTP error names the full URL it came from" \
    '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: token service: HTTP status 404 from $token_url$" "$work/out" && ! grep -q "SKtokop01secret\|AKtokop01" "$work/out"'
runtool --conf "$work/conf" -v --no-cache near
check "log line: reason= names the token service URL" \
    'grep -q "^scnet-quota: user=near result=error fail=open reason=\"token service: HTTP status 404 from $token_url\"" "$work/err"'
conf ""
sed -i "s|^cafile = .*|cafile = $work/no-such-ca.pem|" "$work/conf"
runtool --conf "$work/conf" --check-config near
check "--check-config: a missing cafile says no such file" \
    '[ "$(rc)" = 2 ] && grep -q "^configuration: FAILED: cafile $work/no-such-ca.pem: no such file$" "$work/out"'
# The helper and cafile under a folder a user owns (root only: chown), though the files and
# their own folder are root's: the user could swap the folder below theirs between check
# and use. Refused, and the folder at fault is named.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$work/user/lib" && chmod 0755 "$work/user" "$work/user/lib"
    cp "$SCNET_TEST_HELPER" "$work/user/lib/scnet-quota-fetch"
    cp "$run/certs/ca.pem" "$work/user/lib/ca.pem"
    chmod 0644 "$work/user/lib/ca.pem"
    chown 4242:4242 "$work/user"
    conf ""
    sed -i "s|^helper = .*|helper = $work/user/lib/scnet-quota-fetch|" "$work/conf"
    runtool --conf "$work/conf" --check-config near
    check "--check-config: a helper under a user's folder is refused, the folder named" \
        '[ "$(rc)" = 2 ] && grep -q "^configuration: FAILED: helper $work/user/lib/scnet-quota-fetch: directory $work/user: owned by uid 4242, must be owned by root$" "$work/out"'
    conf ""
    sed -i "s|^cafile = .*|cafile = $work/user/lib/ca.pem|" "$work/conf"
    runtool --conf "$work/conf" --check-config near
    check "--check-config: a cafile under a user's folder is refused, the folder named" \
        '[ "$(rc)" = 2 ] && grep -q "^configuration: FAILED: cafile $work/user/lib/ca.pem: directory $work/user: owned by uid 4242, must be owned by root$" "$work/out"'
    chown 0:0 "$work/user"
    runtool --conf "$work/conf" --check-config near
    check "--check-config: the same cafile with the folder root's again is ok" '[ "$(rc)" = 0 ]'
fi
conf "skip_users = near, other"
runtool --conf "$work/conf" --check-config near
check "--check-config: a user in skip_users is reported skipped, not just ok" \
    '[ "$(rc)" = 0 ] && grep -q "^user near: skipped (skip_users): the module does not check this user" "$work/out"'
runtool --conf "$work/conf" near
check "plain: a user in skip_users is reported skipped (skip_users)" \
    '[ "$(rc)" = 0 ] && grep -q "^near: skipped (skip_users)$" "$work/out"'
conf ""
runtool --conf "$work/conf" --no-cache low
check "plain: a user below the line sees the usage of every path" \
    '[ "$(rc)" = 0 ] && grep -q "^low: allowed (source api" "$work/out" && grep -q "^  /public/home/low  [0-9.]* GB of 700.0 GB  14.3%$" "$work/out"'
runtool --conf "$work/conf" --check-config --verbose near
check "--verbose alone (debug not set) shows the steps" \
    '[ "$(rc)" = 0 ] && grep -q "step=request url=https://127.0.0.1:$https_port/" "$work/err"'
check "--check-config says the cache is not used" 'grep -q "the cache is not used" "$work/out"'
# An expired server certificate, signed by the simulator's CA: the clock hint.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/old.key" \
    -subj /CN=127.0.0.1 -out "$work/old.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/old.ext"
openssl x509 -req -in "$work/old.csr" -CA "$run/certs/ca.pem" -CAkey "$run/certs/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -days -1 -extfile "$work/old.ext" -out "$work/old.pem" 2>/dev/null
python3 -c '
import socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[3], "w").write("%d\n" % s.getsockname()[1])
s.settimeout(20)
try:
    c = s.accept()[0]
    try: ctx.wrap_socket(c, server_side=True)
    except Exception: pass
except Exception: pass
' "$work/old.pem" "$work/old.key" "$work/old.port" &
old_pid=$!
for _ in $(seq 50); do [ -s "$work/old.port" ] && break; sleep 0.1; done
conf ""
sed -i "s|^url = .*|url = https://127.0.0.1:$(cat "$work/old.port")|" "$work/conf"
runtool --conf "$work/conf" --check-config near
check "--check-config: an expired certificate adds the clock hint" \
    '[ "$(rc)" = 2 ] && grep -q "expired.*; check the node'"'"'s clock (date, chronyc tracking)$" "$work/out"'
kill "$old_pid" 2>/dev/null; wait "$old_pid" 2>/dev/null
# Without a user: the configuration and the token, no quota request (it is about one user),
# and it says so; never a request for root, never "user root: skipped" (looked for as a user,
# not as a word: the build may live under /root).
conf ""
quota_requests() { # how many quota requests the simulator has answered (python, not curl:
    # the curl program is not among the test dependencies)
    python3 -c 'import json, sys, urllib.request
port = json.load(open(sys.argv[1]))["http_port"]
with urllib.request.urlopen("http://127.0.0.1:%d/_sim/stats" % port, timeout=10) as r:
    print(json.load(r)["quota_requests"])' "$run/ready.json"
}
before=$(quota_requests)
runtool --conf "$work/conf" --check-config
after=$(quota_requests)
check "--check-config without a user: config and token ok, no request, says so" \
    '[ "$(rc)" = 0 ] && grep -q "^configuration: ok" "$work/out" && grep -q "^token: ok ($run/token)$" "$work/out" && grep -q "^API request: not made (no USER given)" "$work/out" && ! grep -qE "^root:|user root|for root" "$work/out" && [ -n "$before" ] && [ "$before" = "$after" ]'
conf "auth = password
credentials_file = $work/pw-ok"
(umask 077 && printf 'user = pwop\npassword = PWpwop01secret\norg_id = ORG42\n' >"$work/pw-ok")
runtool --conf "$work/conf" --check-config
check "--check-config without a user, auth = password: the token comes from the token service" \
    '[ "$(rc)" = 0 ] && grep -q "^token: ok (from the token service)$" "$work/out" && grep -q "^API request: not made" "$work/out"'
# A wrong static token and a wrong password do not depend on the clock: no clock hint.
printf 'not-the-token\n' >"$work/wrong.token" && chmod 600 "$work/wrong.token"
conf ""
sed -i "s|^token_file = .*|token_file = $work/wrong.token|" "$work/conf"
runtool --conf "$work/conf" --check-config near
check "--check-config: a wrong static token fails without the clock hint" \
    '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: API code 10008" "$work/out" && ! grep -q "clock" "$work/out"'
(umask 077 && printf 'user = pwop\npassword = not-the-password\norg_id = ORG42\n' >"$work/pw")
conf "auth = password
credentials_file = $work/pw"
runtool --conf "$work/conf" --check-config near
check "--check-config: a wrong password fails without the clock hint" \
    '[ "$(rc)" = 2 ] && grep -q "FAILED after .* ms: token service refused" "$work/out" && ! grep -q "clock" "$work/out"'

# The decision line says why the API was not used: a cached answer its age, a stale one
# the reason the API failed (what scnet-quota -v prints is what the module logs).
conf ""
runtool --conf "$work/conf" --no-cache near
runtool --conf "$work/conf" -v near
check "log line of a cached answer: source=cache age=N" \
    'grep -q "^scnet-quota: user=near result=warn .* source=cache age=[0-9][0-9]* ms=" "$work/err"'
conf "cache_ttl = 0"
sed -i "s|^url = .*|url = https://127.0.0.1:1|" "$work/conf"
runtool --conf "$work/conf" -v near
check "log line of a stale answer: source=stale age=N reason=\"why the API failed\"" \
    'grep -q "^scnet-quota: user=near result=warn .* source=stale age=[0-9][0-9]* reason=\".*127.0.0.1.*\" ms=" "$work/err"'

# --service: the module's arguments from a pam.d tree with @include, include, substack,
# a '-' type, a full module path and a continued line, applied over the file as at login.
conf ""
mkdir -p "$work/pam.d"
cat >"$work/pam.d/sshd" <<EOF
# sshd, as a distribution lays it out
@include common-account-test
-session optional pam_systemd.so
@include common-session-test
EOF
printf 'account required pam_unix.so\n' >"$work/pam.d/common-account-test"
cat >"$work/pam.d/common-session-test" <<EOF
session required pam_unix.so # the module's line comes next
session  required  /usr/lib/x86_64-linux-gnu/security/pam_scnet_quota.so conf=$work/conf \\
    warn=10
EOF
cat >"$work/pam.d/su-test" <<EOF
auth    sufficient pam_rootok.so
session substack   su-sessions
EOF
printf -- '-session optional pam_scnet_quota.so conf=%s\n' "$work/conf" >"$work/pam.d/su-sessions"
printf 'account include nomod-account\nsession required pam_unix.so\n' >"$work/pam.d/nomod"
printf 'account required pam_unix.so\n' >"$work/pam.d/nomod-account"
runtool --conf "$work/conf" low
check "without --service: low (14%) is below warn = 90" '[ "$(rc)" = 0 ] && grep -q "^low: allowed (source" "$work/out"'
runtool --service sshd --pam-dir "$work/pam.d" low
check "--service sshd: warn=10 from the included pam.d line applies (what that login shows)" \
    '[ "$(rc)" = 0 ] && grep -q "^low: allowed, with a warning" "$work/out" && grep -q "14.3%" "$work/out"'
check "--service sshd: names the line it used" \
    'grep -q "^scnet-quota: service sshd: $work/pam.d/common-session-test:2: session required pam_scnet_quota.so conf=$work/conf warn=10$" "$work/err"'
check "--service sshd: no control warning under required" '! grep -q "warning" "$work/err"'
check "--service sshd: the report says in one line whether users can ask for --now here" \
    '[ "$(grep -c "^scnet-quota --now: \(available\|not available: pam-scnet-quota-now.socket is \)" "$work/err")" = 1 ]'
runtool --service sshd --pam-dir "$work/pam.d" --json low
check "--service sshd --json: that line on stderr, stdout one JSON object" \
    'grep -q "^scnet-quota --now: " "$work/err" && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$work/out"'
runtool --service su-test --pam-dir "$work/pam.d" over
check "--service through substack with -session optional and deny: warns the refusal is not enforced" \
    '[ "$(rc)" = 1 ] && grep -q "^over: refused" "$work/out" && grep -q "warning: deny = 100.0 is set but $work/pam.d/su-sessions:1 uses '"'"'optional'"'"': the refusal is shown and the login continues" "$work/err"'
# The pam-auth-update profile's line (deny=off, read from the file the package ships) next
# to a hand-written required line: the required one decides, the profile's is warn-only.
profile_line=$(sed -n '/^Session:/{n;p;}' "$(dirname "$0")/../../packaging/debian/pam-configs/scnet-quota" |
    sed "s|pam_scnet_quota.so|pam_scnet_quota.so conf=$work/conf|")
printf 'session %s\n' "$profile_line" >"$work/pam.d/common-session-profile"
printf '@include common-session-profile\n' >"$work/pam.d/profile-only"
printf '@include common-session-profile\nsession required pam_scnet_quota.so conf=%s\n' \
    "$work/conf" >"$work/pam.d/sshd-both"
printf 'account required pam_scnet_quota.so conf=%s\nsession optional pam_scnet_quota.so conf=%s\nsession required pam_scnet_quota.so conf=%s\n' \
    "$work/conf" "$work/conf" "$work/conf" >"$work/pam.d/sshd-two"
runtool --service profile-only --pam-dir "$work/pam.d" over
check "--service with the profile's line alone: warn-only, over is allowed with the warning" \
    '[ "$(rc)" = 0 ] && grep -q "^over: allowed, with a warning" "$work/out" && grep -q "^WARNING: your storage quota is full.$" "$work/out" && ! grep -q "Login refused" "$work/out" && grep -q "note: $work/pam.d/common-session-profile:1 passes deny=off: warn-only" "$work/err" && ! grep -q "uses '"'"'optional'"'"'" "$work/err"'
runtool --service sshd-both --pam-dir "$work/pam.d" over
check "--service with the profile's optional line and a required line: the required one decides" \
    '[ "$(rc)" = 1 ] && grep -q "^over: refused" "$work/out" && grep -q "^scnet-quota: service sshd-both: $work/pam.d/sshd-both:2: session required pam_scnet_quota.so conf=$work/conf$" "$work/err" && grep -q "one above decides" "$work/err" && grep -q "note: $work/pam.d/common-session-profile:1 (session optional) also runs the module warn-only (deny=off)" "$work/err" && ! grep -q "warning" "$work/err"'
runtool --service sshd-two --pam-dir "$work/pam.d" over
check "--service with an account and a session required line: the session one decides, a warning names both" \
    '[ "$(rc)" = 1 ] && grep -q "^scnet-quota: service sshd-two: $work/pam.d/sshd-two:3: session required" "$work/err" && grep -q "warning: 2 lines of the service can refuse a login" "$work/err" && grep -q "^scnet-quota:   $work/pam.d/sshd-two:1: account required" "$work/err"'
runtool --service nomod --pam-dir "$work/pam.d" low
check "--service without a line for the module: says its logins are not checked" \
    'grep -q "warning: $work/pam.d/nomod has no session or account line for pam_scnet_quota.so" "$work/err"'
runtool --service missing --pam-dir "$work/pam.d" low
check "--service of a service that does not exist: exit 2, says so" \
    '[ "$(rc)" = 2 ] && grep -q "service missing: $work/pam.d/missing: No such file or directory" "$work/err"'
runtool --check-config --service sshd --pam-dir "$work/pam.d" near
check "--check-config --service: the service's arguments, then the request" \
    '[ "$(rc)" = 0 ] && grep -q "^configuration: ok" "$work/out" && grep -q "warn=10" "$work/err"'
# Linux-PAM looks a name up in /etc/pam.d, then /usr/lib/pam.d (then its vendordir): for the
# service and for every include. Two --pam-dir stand in for the two; the preview must read
# what the login reads, and say which files those were.
etc_d="$work/etc-pam.d" vendor_d="$work/usr-lib-pam.d"
mkdir -p "$etc_d" "$vendor_d"
printf 'session include vendor-session\n' >"$etc_d/login-v"
printf 'session required pam_scnet_quota.so conf=%s warn=10\n' "$work/conf" >"$vendor_d/vendor-session"
printf 'account required pam_unix.so\nsession include common-v\n' >"$vendor_d/sshd-v"
printf 'session required pam_scnet_quota.so conf=%s warn=10\n' "$work/conf" >"$etc_d/common-v"
printf 'session required pam_scnet_quota.so conf=%s warn=99\n' "$work/conf" >"$vendor_d/common-v"
runtool --service login-v --pam-dir "$etc_d" --pam-dir "$vendor_d" low
check "--service: an include found only in the vendor dir is followed (warn=10 applies)" \
    '[ "$(rc)" = 0 ] && grep -q "^low: allowed, with a warning" "$work/out" && grep -q "^scnet-quota: service login-v: read $etc_d/login-v, $vendor_d/vendor-session$" "$work/err"'
runtool --service sshd-v --pam-dir "$etc_d" --pam-dir "$vendor_d" low
check "--service: a service only in the vendor dir is read from there, its include from /etc first" \
    '[ "$(rc)" = 0 ] && grep -q "^low: allowed, with a warning" "$work/out" && grep -q "^scnet-quota: service sshd-v: read $vendor_d/sshd-v, $etc_d/common-v$" "$work/err" && grep -q "^scnet-quota: service sshd-v: $etc_d/common-v:1: session required pam_scnet_quota.so conf=$work/conf warn=10$" "$work/err"'
runtool --service nowhere-v --pam-dir "$etc_d" --pam-dir "$vendor_d" low
check "--service: a name in neither directory names both paths tried" \
    '[ "$(rc)" = 2 ] && grep -q "service nowhere-v: $etc_d/nowhere-v, $vendor_d/nowhere-v: No such file or directory" "$work/err"'
runtool --service scnet-no-such-service low
check "--service without --pam-dir searches /etc/pam.d, then /usr/lib/pam.d" \
    '[ "$(rc)" = 2 ] && grep -q "service scnet-no-such-service: /etc/pam.d/scnet-no-such-service, /usr/lib/pam.d/scnet-no-such-service\(, [^:]*\)\?: No such file or directory" "$work/err"'
printf 'session required pam_scnet_quota.so conf=%s colour=blue\n' "$work/conf" >"$work/pam.d/badarg"
runtool --check-config --service badarg --pam-dir "$work/pam.d" near
check "--check-config --service: a bad argument on the pam.d line is a configuration error" \
    '[ "$(rc)" = 2 ] && grep -q "configuration: FAILED: module argument '"'"'colour'"'"': unknown key" "$work/out"'

# Where the line goes (README): after pam_loginuid, before `pam_selinux.so open` and pam_motd,
# on a RHEL 9 family stack (tests/tools/pam.d-rhel9) and on this host's own Debian sshd.
# --service warns, naming both lines, when the module's session line comes after either.
rhel="$work/rhel" deb="$work/deb"
mkdir -p "$rhel" "$deb"
cp "$(dirname "$0")/pam.d-rhel9/"* "$rhel/"
line="session    required     pam_scnet_quota.so conf=$work/conf"
cp "$rhel/sshd" "$rhel/sshd-appended" && echo "$line" >>"$rhel/sshd-appended"
sed "/^session.*pam_loginuid.so/a $line" "$rhel/sshd" >"$rhel/sshd-placed"
selinux_open=$(grep -n "pam_selinux.so open" "$rhel/sshd" | cut -d: -f1)
motd=$(grep -n "pam_motd.so" "$rhel/sshd" | cut -d: -f1)
loginuid=$(grep -n "pam_loginuid.so" "$rhel/sshd" | cut -d: -f1)
appended=$(($(wc -l <"$rhel/sshd") + 1))
runtool --service sshd-appended --pam-dir "$rhel" low
check "--service, RHEL sshd, line after the other session lines: warns it runs after pam_selinux.so open" \
    'grep -q "^scnet-quota: warning: $rhel/sshd-appended:$appended runs after pam_selinux.so open ($rhel/sshd-appended:$selinux_open): put the line before it, after pam_loginuid.so" "$work/err"'
check "--service, RHEL sshd, line after the other session lines: warns it runs after pam_motd.so" \
    'grep -q "^scnet-quota: warning: $rhel/sshd-appended:[0-9]* runs after pam_motd.so ($rhel/sshd-appended:$motd): the login message comes before the banner" "$work/err"'
runtool --service sshd-placed --pam-dir "$rhel" low
check "--service, RHEL sshd, line right after pam_loginuid (README): used, no placement warning" \
    '[ "$(rc)" = 0 ] && grep -q "^scnet-quota: service sshd-placed: $rhel/sshd-placed:$((loginuid + 1)): session required pam_scnet_quota.so" "$work/err" && ! grep -q "runs after" "$work/err"'
if [ -f /etc/pam.d/sshd ] && grep -q "pam_loginuid.so" /etc/pam.d/sshd; then
    sed "/^session.*pam_loginuid.so/a $line" /etc/pam.d/sshd >"$deb/sshd-placed"
    cp /etc/pam.d/sshd "$deb/sshd-appended" && echo "$line" >>"$deb/sshd-appended"
    runtool --service sshd-placed --pam-dir "$deb" --pam-dir /etc/pam.d low
    check "--service, this host's sshd, line after pam_loginuid (README): no placement warning" \
        '[ "$(rc)" = 0 ] && grep -q "^scnet-quota: service sshd-placed: $deb/sshd-placed:[0-9]*: session required" "$work/err" && ! grep -q "runs after" "$work/err"'
    runtool --service sshd-appended --pam-dir "$deb" --pam-dir /etc/pam.d low
    if grep -q "pam_motd.so" /etc/pam.d/sshd; then
        check "--service, this host's sshd, line appended: warns it runs after pam_motd.so" \
            'grep -q "^scnet-quota: warning: $deb/sshd-appended:[0-9]* runs after pam_motd.so ($deb/sshd-appended:[0-9]*)" "$work/err"'
    fi
    if grep -q "pam_selinux.so open" /etc/pam.d/sshd; then
        check "--service, this host's sshd, line appended: warns it runs after pam_selinux.so open" \
            'grep -q "^scnet-quota: warning: $deb/sshd-appended:[0-9]* runs after pam_selinux.so open" "$work/err"'
    fi
    # The pam-auth-update profile's place: its line in common-session, which sshd includes
    # after pam_loginuid and before pam_motd and pam_selinux open.
    if grep -q "^@include common-session$" /etc/pam.d/sshd; then
        cp /etc/pam.d/sshd "$deb/sshd"
        { grep -v "^#" /etc/pam.d/common-session; printf 'session\toptional\tpam_scnet_quota.so conf=%s\n' "$work/conf"; } >"$deb/common-session"
        runtool --service sshd --pam-dir "$deb" --pam-dir /etc/pam.d low
        check "--service, this host's sshd with the profile's line in common-session: no placement warning" \
            'grep -q "^scnet-quota: service sshd: $deb/common-session:[0-9]*: session optional pam_scnet_quota.so" "$work/err" && ! grep -q "runs after" "$work/err"'
    fi
else
    echo "SKIP: no /etc/pam.d/sshd with pam_loginuid here (openssh-server): the Debian stock checks"
fi

# deny_scope: a valid key; the preview says what tty means, and --service sshd says that
# sshd's interactive logins are refused by the login-shell gate (a warning when it is missing).
conf "deny_scope = tty"
runtool --conf "$work/conf" over
check "deny_scope = tty: over is refused at a terminal login, and the preview says so" \
    '[ "$(rc)" = 1 ] && grep -q "^over: refused" "$work/out" && grep -q "^(deny_scope = tty: refused at a login with a terminal" "$work/out"'
conf "deny_scope = sometimes"
runtool --conf "$work/conf" --check-config near
check "deny_scope: a bad value is a configuration error" \
    '[ "$(rc)" = 2 ] && grep -q "deny_scope: '"'"'sometimes'"'"' is not all or tty" "$work/out"'
conf "deny_scope = tty"
printf 'session required pam_scnet_quota.so conf=%s\n' "$work/conf" >"$work/pam.d/sshd-tty"
runtool --service sshd-tty --pam-dir "$work/pam.d" over
check "--service sshd with deny_scope = tty: says the login-shell gate refuses interactive ssh logins" \
    'grep -q "deny_scope = tty under sshd: .* refused by the login-shell gate /.*/scnet-quota.sh when its login shell starts" "$work/err"'
# Login shells that read no gate are named: /etc/shells and the profile.d folder replaced in
# a private mount namespace (root only), with the sh gate present: bash reads it through
# /etc/profile, fish reads nothing, nologin refuses logins anyway.
gate_dir=$(sed -n 's|.* refused by the login-shell gate \(/.*\)/scnet-quota.sh when .*|\1|p' "$work/err")
if [ "$(id -u)" = 0 ] && [ -d "$gate_dir" ] && grep -q profile.d /etc/profile 2>/dev/null; then
    printf '# /etc/shells: valid login shells\n/bin/bash\n/usr/bin/fish\n/usr/sbin/nologin\n' >"$work/shells"
    mkdir -p "$work/profile.d" && : >"$work/profile.d/scnet-quota.sh"
    unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /etc/shells && mount --bind "$2" "$3" && shift 3 && exec "$@"' \
        sh "$work/shells" "$work/profile.d" "$gate_dir" "$tool" --service sshd-tty --pam-dir "$work/pam.d" over >"$work/out" 2>"$work/err"
    check "--service sshd with deny_scope = tty: names the login shells that read no gate (fish), not bash or nologin" \
        'grep -q "login shells in /etc/shells read no login-shell gate, so ssh logins with them are never refused: /usr/bin/fish$" "$work/err"'
else
    echo "SKIP: --service naming the shells no gate covers (needs root, $gate_dir and an /etc/profile that reads profile.d)"
    [ -z "${CI:-}" ] || { fail=$((fail + 1)); echo "FAIL: CI runs as root: the shells check must run"; }
fi

# Offline mode: a dead API is remembered in the cache dir; the decision line and the display
# say so, and --no-cache ignores it. offb gets an answer first (cache_ttl = 0 keeps it old).
conf "cache_ttl = 0
offline_retry = 60"
rm -f "$work/cache/offline%3Aapi.cache"
runtool --conf "$work/conf" offb
sed -i "s|^url = .*|url = https://127.0.0.1:1|" "$work/conf"
runtool --conf "$work/conf" -v offb
check "first failure: the old answer, source stale, state recorded" \
    '[ "$(rc)" = 0 ] && grep -q "^offb: allowed (source stale" "$work/out" && grep -q "source=stale" "$work/err" && grep -q "^API offline since 2[0-9-]*T[0-9:]*Z: cannot connect: .* (retry in [56][0-9]s)$" "$work/out"'
runtool --conf "$work/conf" -v offb
check "within the window: source=offline, no request" \
    '[ "$(rc)" = 0 ] && grep -q "^offb: allowed (source offline" "$work/out" && grep -q "user=offb result=ok .*source=offline age=[0-9]" "$work/err"'
runtool --conf "$work/conf" -v offc
check "within the window, nothing cached: the reason says since when" \
    '[ "$(rc)" = 2 ] && grep -q "user=offc result=error fail=open reason=\"API offline since 2[0-9-]*T[0-9:]*Z: cannot connect: .* (retry in [56][0-9]s)\"" "$work/err"'
runtool --conf "$work/conf" --json offc
check "--json shows the state" 'python3 - "$work/out" <<PY
import json, re, sys
d = json.loads(open(sys.argv[1]).read())
assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["offline"]["since"]), d
assert 50 <= d["offline"]["retry_in"] <= 60, d
assert d["offline"]["cause"].startswith("cannot connect: "), d
PY'
runtool --conf "$work/conf" -v --no-cache offc
check "--no-cache ignores the state" '[ "$(rc)" = 2 ] && ! grep -q "API offline" "$work/out" "$work/err" && grep -q "user=offc result=error" "$work/err"'
runtool --conf "$work/conf" --check-config offc
check "--check-config shows the state and its cause" \
    '[ "$(rc)" = 2 ] && grep -q "^offline mode: API offline since 2[0-9-]*T[0-9:]*Z: cannot connect: .* (retry in [0-9]*s)$" "$work/out"'
sed -i "s|^url = .*|url = https://127.0.0.1:$https_port|" "$work/conf"
runtool --conf "$work/conf" --check-config offc
check "--check-config with the url fixed: ok, and the old state is cleared" \
    '[ "$(rc)" = 0 ] && grep -q "^offline mode: on (offline_retry = 60s), the API is not known to be down$" "$work/out" && grep -q "^offline state: cleared (was: API offline since .*: cannot connect: " "$work/out" && [ ! -e "$work/cache/offline%3Aapi.cache" ]'
conf "cache_ttl = 0
offline_retry = 0"
runtool --conf "$work/conf" --check-config offc
check "--check-config says when offline mode is off" '[ "$(rc)" = 0 ] && grep -q "^offline mode: off (offline_retry = 0)" "$work/out"'

# An ordinary user and root's configuration: told that the checks are root's, and what they
# can do; never advice to chown the configuration. Root only (setpriv to another uid).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    shared=$(mktemp -d) && chmod 755 "$shared" && cp "$work/conf" "$shared/conf" && chmod 600 "$shared/conf"
    for args in "near" "--check-config"; do
        # shellcheck disable=SC2086 # args: zero or one word
        setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --conf "$shared/conf" $args \
            >"$work/out" 2>"$work/err"
        echo $? >"$work/rc"
        check "as uid 65534, scnet-quota ${args:-(no user)}: exit 2, one line saying the checks are root's" \
            '[ "$(rc)" = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q "^scnet-quota: only root can check users and the setup ($shared/conf, the token and the cache are root'"'"'s); run scnet-quota without a name to see your own quota$" "$work/err" && ! grep -q "owned by\|chown\|must be" "$work/err" && [ ! -s "$work/out" ]'
    done
    # Without a name: their own record (none in this empty folder), root's configuration unread.
    setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --conf "$shared/conf" \
        --records "$shared/no-records" >"$work/out" 2>"$work/err"
    echo $? >"$work/rc"
    check "as uid 65534, scnet-quota alone: their own figures, none yet: exit 0, one line" \
        '[ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "no figures yet: they are recorded at your next login" ] && [ ! -s "$work/err" ]'
    # In Chinese (issue 18): what an ordinary user reads follows --lang, else the node's lang
    # as their record carries it, else their locale, read from LANG when the node has no
    # such locale installed (this one has none). Near's uid, a record of near's readable by
    # them (planted: no lang line, as a node with lang = auto writes it).
    as_near() { # env settings, then options: scnet-quota as near, near's record folder
        env -u LANG -u LC_ALL -u LC_MESSAGES "$@" >"$work/out" 2>"$work/err"
        echo $? >"$work/rc"
    }
    near_tool=(setpriv --reuid="$near_uid" --regid=65534 --clear-groups "$tool" --conf "$shared/conf" --records "$shared/records")
    mkdir -m 0755 "$shared/records"
    as_near "${near_tool[@]}" --lang zh
    check "as near, --lang zh, no record: no figures yet, in Chinese" \
        '[ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "暂无数据：将在您下次登录时记录。" ] && [ ! -s "$work/err" ]'
    now=$(date +%s)
    record='scnet-user-record 1\nuser near\nfetched_at %s\nnext warning\nwarn 90000\ndeny 100000\n%bentry 651000 700000 /public/home/near\nhistory %s 591000\nhistory %s 621000\n'
    # shellcheck disable=SC2059 # the record's format, kept in one place
    printf "$record" "$((now - 60))" "" "$((now - 6 * 86400))" "$((now - 3 * 86400))" >"$shared/records/$near_uid"
    chmod 0444 "$shared/records/$near_uid"
    as_near LANG=zh_CN.UTF-8 "${near_tool[@]}"
    check "as near, LANG=zh_CN.UTF-8 (not installed here), lang = auto: the whole view in Chinese" \
        '[ "$(rc)" = 0 ] && [ ! -s "$work/err" ] && [ "$(cat "$work/out")" = "near 的存储配额（1 分钟前的数据）：
  /public/home/near  已用 651.0 GB，配额 700.0 GB  93.0%  [##################--]
按近期的增长速度，/public/home/near 约 5 天后用满。
下次登录：显示警告（警告线为 90%）。" ]'
    as_near LANG=zh_CN.UTF-8 LC_ALL=C "${near_tool[@]}"
    check "as near, LC_ALL=C over LANG=zh_CN.UTF-8: English, word for word as before" \
        '[ "$(rc)" = 0 ] && [ "$(cat "$work/out")" = "Storage quota of near (figures from 1 minute ago):
  /public/home/near  651.0 GB of 700.0 GB  93.0%  [##################--]
At the recent rate /public/home/near is full in about 5 days.
Your next login: a warning (the warning line is 90%)." ]'
    as_near LANG=zh_CN.UTF-8 "${near_tool[@]}" --json
    check "as near, --json under a Chinese locale: the same keys and English values" \
        '[ "$(rc)" = 0 ] && grep -q "\"next_login\":\"warning\"" "$work/out" && ! LC_ALL=C grep -q "[^ -~]" "$work/out"'
    # shellcheck disable=SC2059
    printf "$record" "$((now - 60))" "lang en\n" "$((now - 6 * 86400))" "$((now - 3 * 86400))" >"$shared/records/$near_uid.new"
    chmod 0444 "$shared/records/$near_uid.new" && mv -f "$shared/records/$near_uid.new" "$shared/records/$near_uid"
    as_near LANG=zh_CN.UTF-8 "${near_tool[@]}"
    check "as near, a node with lang = en (the record says so): English whatever the locale" \
        '[ "$(rc)" = 0 ] && grep -q "^Storage quota of near (figures from 1 minute ago):$" "$work/out" && grep -q "^Your next login: a warning" "$work/out"'
    as_near "${near_tool[@]}" --lang zh
    check "as near, --lang zh over the node's lang = en: Chinese" \
        '[ "$(rc)" = 0 ] && grep -q "^near 的存储配额（1 分钟前的数据）：$" "$work/out" && grep -q "^下次登录：显示警告（警告线为 90%）。$" "$work/out"'
    as_near LANG=zh_CN.UTF-8 "${near_tool[@]}" --lang zh over
    check "as near, asking for another user in Chinese: only root can, one line, exit 2" \
        '[ "$(rc)" = 2 ] && [ ! -s "$work/out" ] && [ "$(cat "$work/err")" = "scnet-quota: 只有 root 可以查询其他用户和检查配置（$shared/conf、令牌和缓存都属于 root）；不带用户名运行 scnet-quota 即可查看您自己的配额" ]'
    setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --version >"$work/out" 2>"$work/err"
    echo $? >"$work/rc"
    check "as uid 65534, --version still works" '[ "$(rc)" = 0 ] && grep -q "^scnet-quota [0-9]" "$work/out"'
    rm -rf "$shared"
else
    echo "SKIP: as an ordinary user (needs root and setpriv)"
fi

# --list: the users this node has answers for, fullest first, from the cache alone. Three
# answers are made by checking the users (the cache keeps them); a fourth is planted old.
conf ""
rm -rf "$work/cache"
runtool --conf "$work/conf" low over near
quota_before=$(quota_requests)
runtool --conf "$work/conf" --list
check "--list: fullest first (over, near, low), percent, path, age, next login; no request" \
    '[ "$(rc)" = 0 ] && [ "$(cut -d" " -f1 "$work/out" | tr "\n" " ")" = "over near low " ] && grep -q "^over  105.0%  /public/home/over  [0-9]*s ago  next login: refused if the API still says so" "$work/out" && grep -q "^near  93.0%  /public/home/near  [0-9]*s ago  next login: warning, from this answer$" "$work/out" && grep -q "^low  14.3%  /public/home/low  [0-9]*s ago  next login: nothing shown, from this answer$" "$work/out" && [ "$(quota_requests)" = "$quota_before" ]'
runtool --conf "$work/conf" --list --over 90 --json
check "--list --over 90 --json: over and near only, in that order, as JSON" 'python3 - "$work/out" <<PY
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert [u["user"] for u in d] == ["over", "near"], d
assert abs(d[0]["percent"] - 105.0) < 1e-9 and d[0]["path"] == "/public/home/over", d
assert isinstance(d[1]["age"], (int, float)) and 0 <= d[1]["age"] < 600, d
assert d[1]["next_login"] == "warning, from this answer", d
PY'
conf "cache_ttl = 1"
sleep 2
runtool --conf "$work/conf" --list --over 10
check "--list: an answer older than cache_ttl says the next login asks the API" \
    '[ "$(rc)" = 0 ] && grep -q "^low  14.3%  .*next login: asks the API" "$work/out"'
runtool --conf "$work/conf" --list --over lots
check "--list --over: a bad percent is an error" '[ "$(rc)" = 2 ] && grep -q "over takes a percent" "$work/err"'
runtool --conf "$work/conf" --over 5 near
check "--over without --list: usage, exit 2" '[ "$(rc)" = 2 ] && grep -q "^Usage:" "$work/err"'

runtool --bogus
check "unknown option: exit 2 with usage" '[ "$(rc)" = 2 ] && grep -q "^Usage:" "$work/err"'
runtool --version
check "--version" '[ "$(rc)" = 0 ] && grep -q "^scnet-quota [0-9]" "$work/out"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] || exit 1
if [ -n "${skipped:-}" ]; then
    echo "SKIP: $skipped were not run"
    exit 77
fi

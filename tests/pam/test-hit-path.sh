#!/bin/bash
# What a cache hit does, seen from outside (issue 18: the hit path gets cheaper): strace of
# pamtester opening real sessions (real libpam through pam_wrapper, the simulator over HTTPS):
#   - the first login (a miss) checks and opens the CA file, runs the helper, writes the
#     cache, the user's record and the seen stamp: the trace shows each of them, so the
#     checks below can see them when they happen;
#   - a hit within cache_ttl opens neither the CA file nor the helper (their checks belong to
#     the request, common/http.c), starts no process, and writes nothing: no seen stamp
#     (it is younger than cache_ttl), no record, no cache file;
#   - a hit whose seen stamp is older than cache_ttl renews it, and writes nothing else.
# usage: test-hit-path.sh PAM_RUN_DIR   (environment: ctest's PAM_TEST_ENV)
set -u
run=$1
say() { echo "$*"; }
. "$(dirname "$0")/../support/assert.sh"
command -v strace >/dev/null || { say "strace missing (scripts/install-deps.sh)"; exit 1; }
helper=${SCNET_TEST_HELPER:?set by CMake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
preload=$LD_PRELOAD
# Only pamtester gets the wrappers (login passes them): the script's own grep, awk and
# python3 would each start pam_wrapper too, and two of them at once (a pipeline) race for
# its /tmp/pam.X folder (pam_wrapper 1.1.3: "Failed to create pam_wrapper config dir ...
# File exists"), failing a check of the trace for no fault of the module.
unset LD_PRELOAD
(umask 077 && printf 'url = https://127.0.0.1:%s\ntoken_file = %s/token\ncafile = %s/certs/ca.pem\ncache_dir = %s/cache\nlang = en\ntimeout = 10\noffline_retry = 0\ncache_ttl = 300\nhelper = %s\n' \
    "$https_port" "$run" "$run" "$work" "$helper" >"$run/hitpath.conf")

login() { # a session open for "near" (93% full: a warning), traced with its children
    env -u LD_PRELOAD strace -f -qq -s 200 -o "$work/trace" \
        env LD_PRELOAD="$preload" pamtester scnet_hitpath near open_session >"$work/out" 2>"$work/err"
    echo $? >"$work/rc"
}
logged_in() { [ "$(cat "$work/rc")" = 0 ] && grep -q "651.0 GB of 700.0 GB" "$work/out"; }
in_trace() { grep -qE -- "$1" "$work/trace"; }
not_in_trace() { ! in_trace "$1"; }
explain() { show_file "pamtester stdout" "$work/out"; show_file "pamtester stderr" "$work/err"; show_file "strace, from the module's config on" <(sed -n '/hitpath\.conf/,$p' "$work/trace" | grep -vE 'mmap|mprotect|munmap|brk' | head -60); }
ca_opened="openat\\([^\"]*\"ca\\.pem\""
helper_opened="\"$(basename "$helper")\""
stamped="utimensat\\([0-9]+, NULL, NULL, 0\\)"
written="O_WRONLY|O_RDWR|rename|unlink"
mtime() { stat -c %Y "$1"; }

login
check "a miss: the login works and shows the warning" logged_in || explain
check "a miss opens the CA file it checks (what the hit checks below look for)" in_trace "$ca_opened" || explain
check "a miss opens the helper it checks and runs it" in_trace "$helper_opened" || explain
check "a miss stamps the seen time" in_trace "$stamped" || explain
stored() { [ -s "$work/cache/near.cache" ] && [ -n "$(ls -A "$work/cache-users" 2>/dev/null)" ]; }
check "a miss writes the cache and the user's record" stored || explain
# What the module does from its config on: any open for writing, rename or unlink there.
writes() { sed -n '/hitpath\.conf/,$p' "$work/trace" | grep -E "$written" | grep -E "near|cache"; }

lock_before=$(mtime "$work/cache/near.lock")
record_before=$(ls -l --time-style=+%s.%N "$work/cache-users")
sleep 1.1
login
check "a hit: the login works and shows the warning" logged_in || explain
check "a hit opens no CA file" not_in_trace "$ca_opened" || explain
check "a hit opens no helper" not_in_trace "$helper_opened" || explain
check "a hit starts no process" not_in_trace "^[0-9]+ +(clone|fork|vfork)" || explain
check "a hit within cache_ttl does not stamp the seen time again" not_in_trace "$stamped" || explain
check "the seen stamp is unchanged" [ "$(mtime "$work/cache/near.lock")" = "$lock_before" ] || explain
check "a hit writes nothing in the cache folder or the records" eval '[ -z "$(writes)" ]' || explain
check "the user's record is untouched" \
    [ "$(ls -l --time-style=+%s.%N "$work/cache-users")" = "$record_before" ] || explain

# The stamp older than cache_ttl: the next hit renews it, and that is all it writes.
touch -d '-1 hour' "$work/cache/near.lock"
old=$(mtime "$work/cache/near.lock")
login
check "a hit with a seen stamp older than cache_ttl: the login works" logged_in || explain
check "it renews the stamp" in_trace "$stamped" || explain
check "the stamp is now" [ "$(mtime "$work/cache/near.lock")" -gt "$old" ] || explain
check "it still opens no CA file and no helper" \
    eval 'not_in_trace "$ca_opened" && not_in_trace "$helper_opened"' || explain
check "and writes nothing but the stamp (its lock file)" eval '[ -z "$(writes | grep -v "\"near\.lock\"")" ]' || explain
say "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/bash
# Runs a test suite with the network helper linked against a libcurl stand-in, and proves the
# stand-in was in effect: it appends each option it refuses to LOG, and every EXPECTED name
# must be there afterwards (the suite passing then shows the fallback for it works).
#
#   run-standin.sh RUN_DIR LOG EXPECTED_OPTION... -- COMMAND [ARGS...]
#
# The simulator in RUN_DIR is reset first (POST /_sim/reset): the suites count requests from
# a fresh simulator, and the versions run one after the other against the same one.
set -u
run=$1
log=$2
shift 2
# Before (the suites count requests from a fresh simulator) and after (so do the next ones).
reset_sim() {
    python3 - "$run" <<'PY' || { echo "FAIL: cannot reset the simulator in $run" >&2; exit 1; }
import json, ssl, sys, urllib.request
run = sys.argv[1]
info = json.load(open(run + "/ready.json"))
ctx = ssl.create_default_context(cafile=run + "/certs/ca.pem")
req = urllib.request.Request("https://127.0.0.1:%d/_sim/reset" % info["https_port"], data=b"", method="POST")
urllib.request.urlopen(req, context=ctx, timeout=10).read()
PY
}
reset_sim
expected=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do expected+=("$1"); shift; done
shift
: >"$log"
"$@"
rc=$?
reset_sim
for name in ${expected[@]+"${expected[@]}"}; do
    if grep -qx "$name" "$log"; then
        echo "PASS: the libcurl stand-in refused $name ($(grep -cx "$name" "$log") times)"
    else
        echo "FAIL: the libcurl stand-in never refused $name: the helper did not run through it" >&2
        rc=1
    fi
done
exit "$rc"

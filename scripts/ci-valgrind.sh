#!/bin/bash
# The pam tests (real libpam through pam_wrapper, the module inside the test process) run
# once under valgrind memcheck, in build-valgrind/:
#   valgrind --leak-check=full --track-fds=yes --error-exitcode=1
# Any memory error, any leak (of any kind, "still reachable" included) not in
# scripts/ci-valgrind.supp, and any descriptor left open that the test did not inherit
# fail the test.
#
#   usage: scripts/ci-valgrind.sh
#
# ctest runs each test program through this script (CMAKE_CROSSCOMPILING_EMULATOR, which
# CMake 3.25 applies to add_test of built programs): `ci-valgrind.sh --run-one PROGRAM ARGS`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
supp=$here/ci-valgrind.supp

if [ "${1:-}" = --run-one ]; then
    shift
    log_dir=${SCNET_VALGRIND_LOGS:?run through scripts/ci-valgrind.sh}
    log=$log_dir/$(basename "$1").$$.log
    rc=0
    # Children (session_child, cp) run natively: only the test process, which holds the
    # module, is checked. --child-silent-after-fork keeps forked children's output apart.
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --track-fds=yes --error-exitcode=1 --child-silent-after-fork=yes --num-callers=30 \
        --suppressions="$supp" --gen-suppressions=all --log-file="$log" "$@" || rc=$?
    # --track-fds only reports: a descriptor opened by the test (not inherited) and still
    # open at exit is a leak. Valgrind lists each as "Open file descriptor N: ..." (or "Open
    # AF_INET socket N: ...") followed by where it was opened, or "<inherited from parent>".
    leaked=$(awk '/^==[0-9]+== Open .* [0-9]+:/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$log")
    if [ -n "$leaked" ]; then
        echo "ci-valgrind: descriptors left open by $(basename "$1"):" >&2
        echo "$leaked" >&2
        [ "$rc" = 0 ] && rc=1
    fi
    if [ "$rc" != 0 ]; then
        echo "ci-valgrind: $(basename "$1") exited $rc; valgrind log $log:" >&2
        grep -v '^==[0-9]*== *$' "$log" | tail -150 >&2
    fi
    exit "$rc"
fi

cd "$here/.."
command -v valgrind >/dev/null || { echo "ci-valgrind: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
build=build-valgrind
t0=$SECONDS
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCNET_WERROR=ON \
    -DCMAKE_CROSSCOMPILING_EMULATOR="$here/ci-valgrind.sh;--run-one" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "ci-valgrind: built in $((SECONDS - t0)) s"
export SCNET_VALGRIND_LOGS=$PWD/$build/valgrind-logs
rm -rf "$SCNET_VALGRIND_LOGS"
mkdir -p "$SCNET_VALGRIND_LOGS"
# One at a time: valgrind makes everything slow, and the pam tests measure time. Two run only
# in the main suite and under the sanitizers: pam.test_pam_offline (leases and offline windows
# of a few seconds, which valgrind's slowdown outlasts) and host.test_host_setuid (a stopped
# helper inside a setuid host, timed against the login's timeout).
(cd "$build" && ctest --output-on-failure -L '^pam$' \
    -E '^(pam[.]test_pam_offline|host[.]test_host_setuid)$' --timeout 900)
echo "ci-valgrind: total $((SECONDS - t0)) s (logs in $SCNET_VALGRIND_LOGS)"

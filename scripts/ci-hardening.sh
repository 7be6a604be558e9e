#!/bin/bash
# Every hardening check, one after the other; fails when any of them fails (all are run).
#   1. ci-lint.sh        cppcheck, clang-tidy (.clang-tidy), clang-format
#   2. ci-sanitizers.sh  unit + pam + tools tests built with ASan + UBSan + LSan (build-asan/)
#   3. ci-valgrind.sh    the pam tests under valgrind memcheck (build-valgrind/)
#   4. ci-fuzz.sh        each libFuzzer harness for SECONDS (build-fuzz/)
#   5. ci-selinux.sh     the SELinux policy module: devel Makefile, checkmodule, sesearch,
#                        the policy coverage test (tests/selinux: traced logins vs the whole policy)
#   6. ci-compat.sh      the build floor: no pam.pc/libcjson.pc, gnu99, glibc fallbacks forced
#                        (build-compat/), unit + pam + tools tests
#
#   usage: scripts/ci-hardening.sh [SECONDS]     (per fuzz harness; default 60)
#
# About 9 minutes on 2 cores (one fuzz harness per fuzz/fuzz_*.c, 7 today, x 60 s of it; the SELinux step about 90 s). Installs missing Debian packages
# first (scripts/install-deps.sh). The su test with a hostile environment is a ctest test
# (su.hostile_env, root), run with the others by run-tests.sh.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
t0=$SECONDS
scripts/install-deps.sh || { echo "ci-hardening: installing packages failed" >&2; exit 1; }

results=()
failed=0
step() { # name, command...
    local name=$1 start=$SECONDS rc
    shift
    echo
    echo "======== $name"
    "$@"
    rc=$?
    results+=("$(printf '%-12s %-6s %4d s' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAILED)" $((SECONDS - start)))")
    [ "$rc" = 0 ] || failed=1
}
step lint scripts/ci-lint.sh
step sanitizers scripts/ci-sanitizers.sh
step valgrind scripts/ci-valgrind.sh
step fuzz scripts/ci-fuzz.sh "$seconds"
step selinux scripts/ci-selinux.sh
step compat scripts/ci-compat.sh

echo
echo "======== ci-hardening summary"
printf '  %s\n' "${results[@]}"
echo "  total        $((SECONDS - t0)) s"
[ "$failed" = 0 ] || { echo "ci-hardening: FAILED" >&2; exit 1; }
echo "ci-hardening: all clean"

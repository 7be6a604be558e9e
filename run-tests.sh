#!/bin/bash
# Build and run every test: unit, pam (real libpam via pam_wrapper), e2e (real sshd; root only).
# Fails when a test fails, and when ctest ran fewer tests than the suite has (none at all, as
# when a ctest ignores an option and prints "No tests were found!!!" with exit status 0).
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build -DSCNET_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
# cd, not ctest --test-dir (CMake 3.20): the build floor is 3.16.
cd build
listed=$(ctest -N | sed -n 's/^Total Tests: \([0-9]*\)$/\1/p')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
ctest --output-on-failure | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# ctest counts a skip as neither pass nor failure: say which tests did not run, and why.
../tests/support/list-skips.sh "$log" Testing/Temporary/LastTest.log
# "N% tests passed, F tests failed out of R": R counts every test that ran, skipped ones too.
ran=$(sed -n 's/^[0-9]*% tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ -z "$listed" ] || [ "$listed" -eq 0 ] || [ "${ran:-0}" -lt "$listed" ]; then
    echo "run-tests: ctest ran ${ran:-no} tests of the ${listed:-0} the suite lists (ctest -N)" >&2
    exit 1
fi
exit "$rc"

#!/bin/bash
# After a ctest run, say what did not run and why: list-skips.sh CTEST_OUTPUT LAST_TEST_LOG
# (ctest's console output, and Testing/Temporary/LastTest.log). A test that exits with its
# SKIP_RETURN_CODE is listed by ctest as "(Skipped)"; the reason is the SKIP:/SKIPPED: lines
# it printed (tests/support/root-test.sh, unit_skip in tests/unit/unit_support.c).
set -u
console=$1
log=$2
mapfile -t names < <(sed -n 's/^[[:space:]]*[0-9][0-9]* - \(.*\) (Skipped)$/\1/p' "$console")
echo "skipped: ${#names[@]}"
for name in "${names[@]}"; do
    # This test's output in the log: from its "N/M Testing: name" line to the next test's.
    why=$(awk -v t="$name" '
        $0 ~ /^[0-9]+\/[0-9]+ Testing: / { inside = ($3 == t) }
        inside && /^(SKIP|SKIPPED): / { sub(/^(SKIP|SKIPPED): /, ""); print }' "$log" | sort -u)
    echo "  $name: ${why:-(no reason printed)}" | sed '2,$s/^/    /'
done

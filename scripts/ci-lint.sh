#!/bin/bash
# Static checks, all of which must be clean:
#   cppcheck      common/ pam_module/ fetch_helper/ tools/  (warning, portability, performance)
#   clang-tidy    common/ pam_module/ fetch_helper/ tools/ fuzz/, checks in .clang-tidy (warnings are errors)
#   clang-format  every .c/.h in common/ pam_module/ fetch_helper/ tools/ tests/ fuzz/ bench/ (.clang-format)
#
#   usage: scripts/ci-lint.sh [BUILD_DIR]     (default build; its compile_commands.json is
#                                              made by configuring it, nothing is compiled)
#
# clang-format checks whole files rather than a diff: CI runs on a fresh clone where no merge
# base may exist, and a clean tree stays clean only if every file is checked.
# Inline suppressions: `// cppcheck-suppress <id>` and `// NOLINT(<check>)`, each with a
# comment saying why.
set -uo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
for tool in cppcheck clang-tidy run-clang-tidy clang-format; do
    command -v "$tool" >/dev/null || {
        echo "ci-lint: $tool is missing (apt-get install cppcheck clang-tidy clang-tools clang-format)" >&2
        exit 1
    }
done
t0=$SECONDS
failed=()

# Refresh compile_commands.json (new files, new flags); keeps the folder's other settings.
if [ -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" >/dev/null
else
    cmake -S . -B "$build" -DSCNET_WERROR=ON >/dev/null
fi || { echo "ci-lint: cmake configure of $build failed" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "ci-lint: no $build/compile_commands.json" >&2; exit 1; }

mapfile -t prod < <(find common pam_module fetch_helper tools -name '*.c' | sort)
mapfile -t fuzz < <(find fuzz -maxdepth 1 -name '*.c' | sort)
mapfile -t formatted < <(find common pam_module fetch_helper tools tests fuzz bench -name '*.[ch]' 2>/dev/null | sort)

echo "== cppcheck (${#prod[@]} files)"
# One configuration, the one the build uses (_GNU_SOURCE); -I for our own headers only.
if ! cppcheck --enable=warning,portability,performance --error-exitcode=1 --inline-suppr \
    --std=c11 -D_GNU_SOURCE --library=posix -Icommon -I"$build/generated" --quiet \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' "${prod[@]}"; then
    failed+=(cppcheck)
fi

echo "== clang-tidy (${#prod[@]} files from $build/compile_commands.json, ${#fuzz[@]} in fuzz/)"
# -quiet still prints clang-tidy's "N warnings generated" (system headers, filtered out).
tidy_log=$(mktemp)
trap 'rm -f "$tidy_log"' EXIT
ok=1
run-clang-tidy -p "$build" -quiet -j "$(nproc)" "$PWD/(common|pam_module|fetch_helper|tools)/[^/]*\.c$" \
    >"$tidy_log" 2>&1 || ok=0
# The fuzz harnesses need clang and libFuzzer to build, so they are not in a gcc build's
# database: the same flags by hand.
for f in "${fuzz[@]}"; do
    clang-tidy --quiet "$f" -- -std=gnu11 -D_GNU_SOURCE -Icommon -I"$build/generated" \
        >>"$tidy_log" 2>&1 || ok=0
done
grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^clang-tidy-[0-9]+ .* -p=|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' \
    "$tidy_log" | sed 's/\x1b\[[0-9;]*m//g'
[ "$ok" = 1 ] || failed+=(clang-tidy)

echo "== clang-format (${#formatted[@]} files)"
bad=()
for f in "${formatted[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
    printf '  not formatted: %s\n' "${bad[@]}"
    echo "  fix with: clang-format -i ${bad[*]}"
    failed+=(clang-format)
fi

echo "ci-lint: $((SECONDS - t0)) s"
if [ ${#failed[@]} -ne 0 ]; then
    echo "ci-lint: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "ci-lint: clean"

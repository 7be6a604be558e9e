#!/bin/bash
# Build the libFuzzer harnesses (clang, ASan + UBSan) in build-fuzz/ and run each one for a
# bounded time; fail on any crash, leak, sanitizer report or broken invariant.
#
#   usage: scripts/ci-fuzz.sh [SECONDS]     (per harness; default 60)
#
# The seed corpus in fuzz/corpus/<name>/ is only read; what the fuzzer learns goes to
# build-fuzz/corpus/<name>/ (kept between runs), crashing inputs to build-fuzz/artifacts/.
# Reproduce one with: build-fuzz/fuzz/<harness> build-fuzz/artifacts/<name>-crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
build=build-fuzz
# harness name : corpus folder : dictionary
harnesses=(
    fuzz_quota_reply:quota_reply:json.dict
    fuzz_config:config:config.dict
    fuzz_token_reply:token_reply:json.dict
    fuzz_jwt:jwt:jwt.dict
    fuzz_credentials:credentials:config.dict
    fuzz_cache:cache:json.dict
    fuzz_fetch_wire:fetch_wire:fetch_wire.dict
    fuzz_user_record:user_record:user_record.dict
    fuzz_answer_text:answer_text:answer_text.dict
)
# Every harness in fuzz/ runs: the list above names each fuzz/fuzz_*.c exactly once.
listed=$(printf '%s\n' "${harnesses[@]%%:*}" | sort)
present=$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//' | sort)
if [ "$listed" != "$present" ]; then
    echo "ci-fuzz: the harness list differs from fuzz/fuzz_*.c:" >&2
    diff <(echo "$listed") <(echo "$present") >&2
    exit 1
fi

command -v clang >/dev/null || { echo "ci-fuzz: clang is missing (apt-get install clang)" >&2; exit 1; }
t0=$SECONDS
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DSCNET_FUZZ=ON -DBUILD_TESTING=OFF \
    -DSCNET_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz
echo "ci-fuzz: built in $((SECONDS - t0)) s"

mkdir -p "$build/artifacts"
# Leaks count (the module lives in long-running sshd); any sanitizer report ends the run.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for h in "${harnesses[@]}"; do
    IFS=: read -r name corpus dict <<<"$h"
    work="$build/corpus/$corpus"
    mkdir -p "$work"
    log="$build/$name.log"
    echo "ci-fuzz: $name for $seconds s (log $log)"
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: runaway memory.
    if "$build/fuzz/$name" "$work" "fuzz/corpus/$corpus" -dict="fuzz/dict/$dict" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" >"$log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|new_units_added)|^Done [0-9]+ runs' "$log" |
            sed 's/^/    /' || true
    else
        echo "ci-fuzz: $name FAILED:" >&2
        grep -E -A30 'ERROR: |fuzz invariant failed|runtime error|==[0-9]+==' "$log" | head -60 >&2 ||
            tail -40 "$log" >&2
        ls "$build/artifacts/$name-"* 2>/dev/null | sed 's/^/    artifact: /' >&2 || true
        failed+=("$name")
    fi
done
echo "ci-fuzz: total $((SECONDS - t0)) s"
if [ ${#failed[@]} -ne 0 ]; then
    echo "ci-fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "ci-fuzz: all harnesses ran clean"

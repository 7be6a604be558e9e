#!/bin/bash
# A cache hit as a whole `pamtester` process against a pam_permit.so stack (issue 18), root:
#     bench/run-hit.sh [hit_pamtester.py options, e.g. --rounds 600]
# Builds the module and its helper into build/ (or $BUILD_DIR), the benchmark's runner and
# the two empty modules (with and without libcjson), then runs bench/hit_pamtester.py. With
# OLD_BUILD=DIR (a build of an earlier commit, e.g. made with git worktree) that module is
# measured in the same run, as "before". Changes nothing on the host (see hit_pamtester.py).
# Prints the table and writes it into its section of bench/RESULTS.md (--results FILE
# after the options writes elsewhere: the last one given wins).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target pam_scnet_quota scnet-quota-fetch >/dev/null
mkdir -p "$build/bench"
cc -O2 -Wall -Wextra -o "$build/bench/runner" "$here/runner.c"
# The loading floor with libcjson (what the module linked before the helper parsed for it), and
# without, as run-bench.sh builds it now.
cc -O2 -Wall -Wextra -fPIC -shared -o "$build/bench/empty_module.so" "$here/empty_module.c" \
    -Wl,-z,now -Wl,-z,relro -Wl,--no-as-needed -lcjson -lpam
cc -O2 -Wall -Wextra -fPIC -shared -o "$build/bench/empty_module_plain.so" "$here/empty_module.c" \
    -Wl,-z,now -Wl,-z,relro -Wl,--no-as-needed -lpam
modules=(--module "now=$build")
[ -n "${OLD_BUILD:-}" ] && modules=(--module "before=$OLD_BUILD" "${modules[@]}")
command="bench/run-hit.sh${*:+ $*}"
[ -n "${OLD_BUILD:-}" ] && command="OLD_BUILD=$OLD_BUILD $command"
exec python3 "$here/hit_pamtester.py" --runner "$build/bench/runner" --command "$command" \
    --results "$here/RESULTS.md" \
    --empty-cjson "$build/bench/empty_module.so" --empty-plain "$build/bench/empty_module_plain.so" \
    "${modules[@]}" "$@"

#!/bin/bash
# Benchmark of pam_scnet_quota: bench/run-bench.sh [bench.py options, e.g. --logins 100]
# Installs what is missing (Debian 12; sudo when not root), builds the module into build/
# (or $BUILD_DIR) with the network helper, scnet-quota, the client floor and the planter,
# compiles the benchmark's two small C programs next to it, then runs bench/bench.py: prints
# the tables and writes bench/RESULTS.md (or --results FILE). Takes about 3-4 minutes.
# OLD_BUILD=DIR (a build of an earlier commit) adds that module's cache hit to the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
command="bench/run-bench.sh${*:+ $*}"
[ -n "${BUILD_DIR:-}" ] && command="BUILD_DIR=$BUILD_DIR $command"
[ -n "${OLD_BUILD:-}" ] && command="OLD_BUILD=$OLD_BUILD $command"
build=${BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac

# The project's own dependencies (build, simulator, nss_wrapper), then the baseline's tools.
"$root/scripts/install-deps.sh"
missing=()
for p in jq curl libnss-wrapper libpam-modules python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target pam_scnet_quota scnet-quota-fetch scnet-quota \
    bench_client_floor bench_plant >/dev/null
mkdir -p "$build/bench"
cc -O2 -Wall -Wextra -o "$build/bench/runner" "$here/runner.c"
# One login per process: the same real-libpam driver the burst tests use. The client floor
# (bench/client_floor.c) and the planter of the refresh rows (bench/plant.c) are CMake
# targets: they link the module's own request and cache code.
cc -O2 -Wall -Wextra -o "$build/bench/session_child" "$root/tests/pam/session_child.c" -lpam
# The loading floor: an empty module with the module's libraries and link flags (libpam: the
# module links no libcjson since the helper parses what servers send).
cc -O2 -Wall -Wextra -fPIC -shared -o "$build/bench/empty_module.so" "$here/empty_module.c" \
    -Wl,-z,now -Wl,-z,relro -Wl,--no-as-needed -lpam
# The same, looking the user up: what the process's first NSS lookup costs any module.
cc -O2 -Wall -Wextra -fPIC -shared -DLOOK_UP_USER -o "$build/bench/lookup_module.so" \
    "$here/empty_module.c" -Wl,-z,now -Wl,-z,relro -Wl,--no-as-needed -lpam
# The least a cache hit does: look up, read the config and the entry, warn, log.
cc -O2 -Wall -Wextra -fPIC -shared -o "$build/bench/least_hit_module.so" "$here/least_hit_module.c" \
    -Wl,-z,now -Wl,-z,relro -Wl,--no-as-needed -lpam

exec python3 "$here/bench.py" \
    --module "$build/pam_module/pam_scnet_quota.so" \
    --helper "$build/fetch_helper/scnet-quota-fetch" \
    --login "$build/bench/session_child" \
    --runner "$build/bench/runner" \
    --floor "$build/bench/bench_client_floor" \
    --tool "$build/tools/scnet-quota" \
    --plant "$build/bench/bench_plant" \
    --empty-module "$build/bench/empty_module.so" \
    --lookup-module "$build/bench/lookup_module.so" \
    --least-hit-module "$build/bench/least_hit_module.so" \
    ${OLD_BUILD:+--before-module "$OLD_BUILD/pam_module/pam_scnet_quota.so"} \
    --command "$command" "$@"

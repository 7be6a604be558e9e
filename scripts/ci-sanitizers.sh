#!/bin/bash
# The whole project and its test suite built with AddressSanitizer + UndefinedBehaviorSanitizer
# (and LeakSanitizer) in build-asan/, then the unit, pam and tools tests run through ctest.
# The e2e tests are left out: they need root and a real sshd.
#
#   usage: scripts/ci-sanitizers.sh          (CC=clang to build with clang instead of gcc)
#
# The module runs inside the test process under pam_wrapper, so its leaks count. pam_wrapper
# opens libpam with RTLD_DEEPBIND, which ASan refuses: the *_DISABLE_DEEPBIND variables turn
# that off, and the ASan runtime is preloaded before the wrappers (SCNET_TEST_PRELOAD_PREFIX).
set -euo pipefail
cd "$(dirname "$0")/.."

cc=${CC:-gcc}
build=build-asan
[ "$cc" = gcc ] || build=build-asan-$(basename "$cc")
flags="-fsanitize=address,undefined,float-cast-overflow,float-divide-by-zero -fno-sanitize-recover=all -fno-omit-frame-pointer -g"

# The ASan runtime the compiler links against, to preload first. clang links it statically
# into programs and not at all into the module (which is linked --no-undefined): use the
# shared one everywhere, as gcc does.
case $("$cc" --version | head -1) in
*clang*)
    asan_rt=$("$cc" -print-file-name=libclang_rt.asan-x86_64.so)
    flags="$flags -shared-libasan"
    ldflags="$flags -Wl,-rpath,$(dirname "$asan_rt")"
    ;;
*)
    asan_rt=$("$cc" -print-file-name=libasan.so)
    ldflags=$flags
    ;;
esac
asan_rt=$(readlink -f "$asan_rt")
[ -f "$asan_rt" ] || { echo "ci-sanitizers: no ASan runtime for $cc ($asan_rt)" >&2; exit 1; }

t0=$SECONDS
# RelWithDebInfo keeps -O2 (and so _FORTIFY_SOURCE) as in a real build. Every instrumented
# program starts and runs a few times slower: the tests' time limits are tripled
# (SCNET_TEST_TIME_FACTOR, tests/CMakeLists.txt). With 1, the 100 parallel --now of
# tools.now_service ran out of its 5 s check timeout in one CI run (25 of 100).
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSCNET_WERROR=ON -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" \
    -DSCNET_TEST_PRELOAD_PREFIX="$asan_rt:" -DSCNET_TEST_TIME_FACTOR=3 >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "ci-sanitizers: built with $cc in $((SECONDS - t0)) s (preloading $asan_rt)"

export UID_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1
# detect_leaks: LeakSanitizer at exit. verify_asan_link_order=0: a test that sets its own
# LD_PRELOAD for a child (nss_wrapper only) puts the wrapper before the runtime, which is
# harmless here (the wrapper defines no allocator) but would abort the child otherwise.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:verify_asan_link_order=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# By label (ctest adds the simulator fixture the pam and tools tests require). Three tests run
# only in the main suite: tools.refresh_unit traces --refresh with strace (LeakSanitizer
# cannot run under ptrace), pam.exec_context runs pamtester through pam_wrapper's
# RTLD_DEEPBIND (which the sanitizer runtime refuses), and pam.hit_path does both.
(cd "$build" && ctest --output-on-failure -j"$(nproc)" -L '^(unit|pam|tools)$' \
    -E '^(tools[.]refresh_unit|pam[.]exec_context|pam[.]hit_path)$' --timeout 600)
echo "ci-sanitizers: total $((SECONDS - t0)) s"

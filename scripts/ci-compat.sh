#!/bin/bash
# The build floor (README, "Build floor") checked on Debian 12, in build-compat/:
#   - configured with pam.pc and libcjson.pc hidden (PKG_CONFIG_LIBDIR: a folder with every
#     other .pc file of the system), so libpam and cJSON are found as on RHEL 8/9, Ubuntu
#     20.04 and CentOS 7, where pam.pc does not exist;
#   - C as gnu99 (-DCMAKE_C_STANDARD=99), -Werror;
#   - SCNET_FORCE_COMPAT=ON: the project's explicit_bzero and getrandom (common/compat.c)
#     instead of glibc 2.25's, as on glibc 2.17;
#   - a Debug build (-O0): the compiler inlines no libm builtin, so a floor() in what the module
#     links (it links no libm, with --no-undefined) fails here as in a packager's debug build;
# then the unit, pam and tools tests on that build, and a check of the configure log and the
# compile commands that each of these was in effect.
#
#   usage: scripts/ci-compat.sh
#
# About 2-3 minutes on 2 cores (the build, then the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-compat
t0=$SECONDS
fail() {
    echo "ci-compat: $*" >&2
    exit 1
}

# Every .pc file pkg-config would see, but pam.pc and libcjson.pc.
pcdir=$build/pkgconfig-without-pam-cjson
rm -rf "$pcdir"
mkdir -p "$pcdir"
for dir in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
    [ -d "$dir" ] || continue
    for pc in "$dir"/*.pc; do
        [ -e "$pc" ] || continue
        case $(basename "$pc") in
        pam.pc | libcjson.pc) ;;
        *) [ -e "$pcdir/$(basename "$pc")" ] || ln -s "$(readlink -f "$pc")" "$pcdir/$(basename "$pc")" ;;
        esac
    done
done
PKG_CONFIG_LIBDIR=$(readlink -f "$pcdir")
export PKG_CONFIG_LIBDIR
pkg-config --exists pam && fail "pam.pc is still visible"
pkg-config --exists libcjson && fail "libcjson.pc is still visible"

rm -f "$build/CMakeCache.txt"
cmake -S . -B "$build" -DSCNET_WERROR=ON -DCMAKE_C_STANDARD=99 -DSCNET_FORCE_COMPAT=ON \
    -DCMAKE_BUILD_TYPE=Debug >"$build/configure.log"
grep -q "^-- Linux-PAM: no pam.pc" "$build/configure.log" || fail "libpam was not found without pam.pc: $(cat "$build/configure.log")"
grep -q "^-- glibc fallbacks in use: explicit_bzero 0, getrandom 0" "$build/configure.log" ||
    fail "SCNET_FORCE_COMPAT did not select the fallbacks"
cmake --build "$build" -j"$(nproc)"
grep -q -- '-std=gnu99' "$build/compile_commands.json" || fail "not compiled as gnu99"
grep -q -- '-std=gnu11' "$build/compile_commands.json" && fail "some files compiled as gnu11"
grep -qE -- ' -O([1-3gsz]|fast)? ' "$build/compile_commands.json" && fail "some files compiled with optimisation, not as a Debug build"
echo "ci-compat: configured without pam.pc/libcjson.pc, built as gnu99, -O0, with the glibc fallbacks in $((SECONDS - t0)) s"

(cd "$build" && ctest --output-on-failure -j"$(nproc)" -L '^(unit|pam|tools)$')
echo "ci-compat: total $((SECONDS - t0)) s"

#!/bin/bash
# scripts/install-deps.sh --build names only the build dependencies; the default names the
# full set the tests and CI need. Uses --list: nothing is installed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
say() { echo "$*"; }
. "$root/tests/support/assert.sh"

"$root/scripts/install-deps.sh" --build --list | sort >"${TMPDIR:-/tmp}/deps-build.$$"
"$root/scripts/install-deps.sh" --list | sort >"${TMPDIR:-/tmp}/deps-full.$$"
build=$(tr '\n' ' ' <"${TMPDIR:-/tmp}/deps-build.$$")
full="${TMPDIR:-/tmp}/deps-full.$$"
expected="build-essential cmake libcjson-dev libcurl4-openssl-dev libpam0g-dev pkg-config "
check "--build lists exactly the build dependencies (got: $build)" [ "$build" = "$expected" ]
for p in build-essential libpam0g-dev libcmocka-dev libpam-wrapper openssh-server clang valgrind cppcheck lintian; do
    check "the default set holds $p" grep -qx -- "$p" "$full"
done
"$root/scripts/install-deps.sh" --bogus >/dev/null 2>&1
check "an unknown option is refused" [ $? = 2 ]
rm -f "${TMPDIR:-/tmp}/deps-build.$$" "$full"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]

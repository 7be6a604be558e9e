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
for p in build-essential libpam0g-dev libcmocka-dev libpam-wrapper openssh-server clang valgrind cppcheck lintian git; do
    check "the default set holds $p" grep -qx -- "$p" "$full"
done
# Every name in the default set is a package this host's apt knows (Debian 11 has no
# libclang-rt-14-dev: the set asks apt which sanitizer runtime package exists).
# One apt-cache call (each costs seconds on a busy machine): it names only the packages apt has.
known=$(xargs apt-cache policy <"$full" 2>/dev/null | sed -n 's/^\([^ ].*\):$/\1/p')
unknown=$(grep -vxF -f <(printf '%s\n' "$known") "$full" | tr '\n' ' ')
check "apt knows every package of the default set (unknown: ${unknown:-none})" [ -z "$unknown" ]
# --demo: the build set and what ./demo.sh runs (pam_wrapper, nss_wrapper, pamtester, the
# simulator), no test, packaging or hardening tool.
demo=$("$root/scripts/install-deps.sh" --demo --list | sort | tr '\n' ' ')
for p in build-essential libpam-wrapper libnss-wrapper pamtester python3 openssl; do
    check "--demo holds $p" grep -qw -- "$p" <<<"$demo"
done
for p in libcmocka-dev lintian clang selinux-policy-dev tcsh; do
    check "--demo leaves out $p" [ -z "$(grep -w -- "$p" <<<"$demo")" ]
done
"$root/scripts/install-deps.sh" --bogus >/dev/null 2>&1
check "an unknown option is refused" [ $? = 2 ]
rm -f "${TMPDIR:-/tmp}/deps-build.$$" "$full"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]

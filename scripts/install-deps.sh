#!/bin/bash
# Install the Debian packages the module needs (Debian 11 and 12). Installs only what is
# missing; uses sudo when not root.
#   scripts/install-deps.sh           everything: build, tests, demo, packaging, hardening (CI)
#   scripts/install-deps.sh --build   only what building and installing the module needs
#   scripts/install-deps.sh --demo    the build set plus what ./demo.sh runs
#   --list (after the above) prints the package names, one a line, and installs nothing
set -eu
# What `cmake` and `cmake --build` need: nothing else is installed with --build.
build_packages=(
    build-essential cmake pkg-config libpam0g-dev libcurl4-openssl-dev libcjson-dev
)
# What ./demo.sh needs on top: the simulator (python3, openssl), pam_wrapper, nss_wrapper.
demo_packages=(
    python3 openssl ca-certificates libpam-wrapper libnss-wrapper pamtester
)
# What the tests, packaging and the CI hardening runs need on top of both.
test_packages=(
    git # tests/package/test-rpm.sh: the source tarball from git archive
    libcmocka-dev libpamtest0-dev
    openssh-server openssh-client groff-base
    tcsh csh # tests/gate: the login-shell gate's csh file in both csh shells
    dpkg-dev rpm file man-db lintian # packages: cpack .deb/.rpm, tests/package
    # scripts/ci-hardening.sh: lint, sanitizers, valgrind, libFuzzer; tests/su (locales: de_DE)
    # (clang's sanitizer runtimes: clang_runtime below, the package that exists on this host)
    clang clang-tidy clang-format cppcheck valgrind locales util-linux passwd
    # scripts/ci-selinux.sh: refpolicy headers + devel Makefile, the compilers, setools, and
    # Debian's reference policy to link against (installing it does not enable SELinux)
    selinux-policy-dev selinux-policy-default checkpolicy semodule-utils policycoreutils selinux-utils
    setools m4 bzip2 iproute2 # iproute2: tests/unit/test_http (a prohibit route in a netns)
    debootstrap # scripts/ci-oldstack.sh: the Debian 11 chroot
    systemd strace # tests/tools/test-refresh-unit.sh: systemd-analyze security, the syscall trace
    # strace (above): also tests/pam/test-exec-context.sh and scripts/ci-selinux.sh
)
# The sanitizer and libFuzzer runtimes of the clang this host installs: Debian 12 ships them
# as libclang-rt-14-dev; older releases (Debian 11: clang 11) inside libclang-common-N-dev,
# which clang depends on, and have no such package. Asks apt, not the release name.
clang_runtime() {
    local version major
    version=$(apt-cache policy clang 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    major=${version#*:}
    major=${major%%[.-]*}
    case "$major" in '' | *[!0-9]*) return 0 ;; esac
    if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then
        echo "libclang-rt-$major-dev"
    fi
}
set_name=all
list=false
for arg in "$@"; do
    case "$arg" in
    --build) set_name=build ;;
    --demo) set_name=demo ;;
    --list) list=true ;;
    *)
        echo "usage: $0 [--build | --demo] [--list]" >&2
        exit 2
        ;;
    esac
done
packages=("${build_packages[@]}")
case "$set_name" in
demo) packages+=("${demo_packages[@]}") ;;
all)
    packages+=("${demo_packages[@]}" "${test_packages[@]}")
    runtime=$(clang_runtime)
    [ -z "$runtime" ] || packages+=("$runtime")
    ;;
esac
if $list; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing: ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

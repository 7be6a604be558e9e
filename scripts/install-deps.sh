#!/bin/bash
# Install the Debian packages the module needs (Debian 12). Installs only what is missing;
# uses sudo when not root.
#   scripts/install-deps.sh           everything: build, tests, demo, packaging, hardening (CI)
#   scripts/install-deps.sh --build   only what building and installing the module needs
#   --list (after the above) prints the package names, one a line, and installs nothing
set -eu
# What `cmake` and `cmake --build` need: nothing else is installed with --build.
build_packages=(
    build-essential cmake pkg-config libpam0g-dev libcurl4-openssl-dev libcjson-dev
)
# What the tests, the demo, packaging and the CI hardening runs need on top.
test_packages=(
    python3 openssl ca-certificates
    libcmocka-dev libpam-wrapper libpamtest0-dev libnss-wrapper pamtester
    openssh-server openssh-client groff-base
    tcsh csh # tests/gate: the login-shell gate's csh file in both csh shells
    dpkg-dev rpm file man-db lintian # packages: cpack .deb/.rpm, tests/package
    # scripts/ci-hardening.sh: lint, sanitizers, valgrind, libFuzzer; tests/su (locales: de_DE)
    clang libclang-rt-14-dev clang-tidy clang-format cppcheck valgrind locales util-linux passwd
    # scripts/ci-selinux.sh: refpolicy headers + devel Makefile, the compilers, setools, and
    # Debian's reference policy to link against (installing it does not enable SELinux)
    selinux-policy-dev selinux-policy-default checkpolicy semodule-utils policycoreutils selinux-utils
    setools m4 bzip2 iproute2 # iproute2: tests/unit/test_http (a prohibit route in a netns)
    systemd strace # tests/tools/test-refresh-unit.sh: systemd-analyze security, the syscall trace
    # strace (above): also tests/pam/test-exec-context.sh and scripts/ci-selinux.sh
)
build_only=false
list=false
for arg in "$@"; do
    case "$arg" in
    --build) build_only=true ;;
    --list) list=true ;;
    *)
        echo "usage: $0 [--build] [--list]" >&2
        exit 2
        ;;
    esac
done
packages=("${build_packages[@]}")
$build_only || packages+=("${test_packages[@]}")
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

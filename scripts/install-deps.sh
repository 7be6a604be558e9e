#!/bin/bash
# Install the Debian packages the build, the tests and the demo need (Debian 12).
# Installs only what is missing; uses sudo when not root.
set -eu
packages=(
    build-essential cmake pkg-config python3 openssl ca-certificates
    libpam0g-dev libcurl4-openssl-dev libcjson-dev
    libcmocka-dev libpam-wrapper libpamtest0-dev libnss-wrapper pamtester
    openssh-server openssh-client groff-base
    dpkg-dev rpm file man-db lintian # packages: cpack .deb/.rpm, tests/package
    # scripts/ci-hardening.sh: lint, sanitizers, valgrind, libFuzzer; tests/su (locales: de_DE)
    clang libclang-rt-14-dev clang-tidy clang-format cppcheck valgrind locales util-linux passwd
)
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

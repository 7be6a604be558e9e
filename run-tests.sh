#!/bin/bash
# Build and run every test: unit, pam (real libpam via pam_wrapper), e2e (real sshd; root only).
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build -DSCNET_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure

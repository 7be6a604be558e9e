#!/bin/bash
# Build de_DE.UTF-8 (a decimal comma) with localedef into DIR: make-comma-locale.sh DIR.
# Tests point LOCPATH at DIR, so they need no locale installed on the machine. Without
# localedef or the locale sources this is a failure when CI is set (scripts/install-deps.sh
# installs them), otherwise it says why and exits 0: the cases that need the locale then
# report themselves skipped.
set -u
dir=$1
locale=$dir/de_DE.UTF-8
[ -s "$locale/LC_NUMERIC" ] && { echo "$locale: already built"; exit 0; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if out=$(localedef -i de_DE -f UTF-8 "$tmp/de_DE.UTF-8" 2>&1) && [ -s "$tmp/de_DE.UTF-8/LC_NUMERIC" ]; then
    rm -rf "$locale"
    mv "$tmp/de_DE.UTF-8" "$locale"
    echo "$locale: built"
    exit 0
fi
echo "cannot build de_DE.UTF-8 with localedef: ${out:-no LC_NUMERIC written}"
if [ -n "${CI:-}" ]; then
    echo "CI is set: localedef and the locales sources are installed there (scripts/install-deps.sh)"
    exit 1
fi
exit 0

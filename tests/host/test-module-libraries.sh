#!/bin/bash
# The libraries the module makes every login process load (issue 18): each one costs every
# login its loading, whether the login uses it or not (bench/run-hit.sh measured libm at 3 %
# and libcjson at 5 % of a bare pam_permit login). Read from the module's dynamic section:
# no libcurl (the network runs in the helper), no libm, and no libcjson (the helper parses what
# servers send and hands the module fixed fields, common/answer_text.h).
# usage: test-module-libraries.sh MODULE
set -u
module=$1
command -v readelf >/dev/null || { echo "readelf missing (binutils)"; exit 1; }
needed=$(readelf -d "$module" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$module needs: $(echo $needed)"
[ -n "$needed" ] || { echo "FAIL: no NEEDED entries read (readelf output changed?)"; exit 1; }
failed=0
for lib in $needed; do
    case $lib in
    libcurl*) echo "FAIL: $lib: the login process must load no network library"; failed=1 ;;
    libm.so*) echo "FAIL: $lib: nothing in the module needs libm; it costs every login its loading"; failed=1 ;;
    libcjson*) echo "FAIL: $lib: the login process parses no network data (the helper does)"; failed=1 ;;
    esac
done
[ "$failed" = 0 ] && echo "ok: none of libcurl, libm, libcjson"
exit "$failed"

#!/bin/bash
# With a proxy, a libcurl older than 7.37 (no CURLOPT_HEADEROPT) would send the API token to
# the proxy in the CONNECT request: the helper must refuse, saying which libcurl and option,
# and the decision is the `fail` mode's. With 7.37 or later the request is attempted.
#
#   proxy-refusal.sh TOOL RUN_DIR HELPER VERSION      (nss_wrapper from ctest's environment)
set -u
tool=$1 run=$2 helper=$3 version=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
https_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https_port"])' "$run/ready.json")
# A proxy port nothing listens on: a libcurl that does send must fail to connect instead.
(umask 077 && printf 'url = https://127.0.0.1:%s\ntoken_file = %s/token\ncafile = %s/certs/ca.pem\ncache_dir = %s/cache\nlang = en\ntimeout = 2\nfail = closed\nproxy = http://127.0.0.1:9\nhelper = %s\n' \
    "$https_port" "$run" "$run" "$work" "$helper" >"$work/conf")
"$tool" --conf "$work/conf" --check-config near >"$work/out" 2>&1
rc=$?
refused="libcurl $version refused CURLOPT_HEADEROPT: the API token would be sent to the proxy too"
case $version in
7.29.0)
    if [ "$rc" = 2 ] && grep -qF "$refused" "$work/out"; then
        echo "PASS: libcurl $version with a proxy: refused, naming the version and the option"
        exit 0
    fi ;;
*)
    if [ "$rc" = 2 ] && ! grep -qF "refused CURLOPT_HEADEROPT" "$work/out" && grep -q "cannot connect" "$work/out"; then
        echo "PASS: libcurl $version with a proxy: CURLOPT_HEADEROPT taken, the proxy tried"
        exit 0
    fi ;;
esac
echo "FAIL: libcurl $version with a proxy: exit $rc" >&2
cat "$work/out" >&2
exit 1

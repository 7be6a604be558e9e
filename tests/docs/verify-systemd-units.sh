#!/bin/bash
# The refresh units pass `systemd-analyze verify` (offline: no running systemd needed) and
# keep their hardening: verify-systemd-units.sh SOURCE_DIR TOOL
# TOOL (the built scnet-quota) stands in for /usr/bin/scnet-quota, which verify checks.
# Exits 77 (a skip) without systemd-analyze.
set -u
src=$1
tool=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for unit in pam-scnet-quota-refresh.service pam-scnet-quota-refresh.timer \
    pam-scnet-quota-now.socket pam-scnet-quota-now@.service; do
    sed "s|/usr/bin/scnet-quota|$tool|; s|/usr/libexec/pam_scnet_quota/scnet-quota-now|$tool-now|" \
        "$src/packaging/systemd/$unit" >"$work/$unit"
done
if out=$(cd "$work" && systemd-analyze verify --man=no ./pam-scnet-quota-refresh.service \
        ./pam-scnet-quota-refresh.timer ./pam-scnet-quota-now.socket ./pam-scnet-quota-now@.service 2>&1) &&
    [ -z "$out" ]; then
    echo "PASS: systemd-analyze verify"
else
    echo "FAIL: systemd-analyze verify"; echo "$out"; status=1
fi
service="$src/packaging/systemd/pam-scnet-quota-refresh.service"
for line in 'ExecStart=/usr/bin/scnet-quota --refresh' 'Nice=10' 'ProtectSystem=strict' \
    'ReadWritePaths=/var/cache/pam_scnet_quota' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
    'ProtectHome=yes' 'Type=oneshot'; do
    if grep -qxF "$line" "$service"; then echo "PASS: $line"; else echo "FAIL: no '$line'"; status=1; fi
done
if grep -qxF 'OnUnitActiveSec=2min' "$src/packaging/systemd/pam-scnet-quota-refresh.timer" &&
    grep -qxF 'WantedBy=timers.target' "$src/packaging/systemd/pam-scnet-quota-refresh.timer"; then
    echo "PASS: timer every 2 minutes, wanted by timers.target"
else
    echo "FAIL: timer schedule"; status=1
fi
# The --now service: one short process per connection, bounded, on the path the client asks.
for pair in 'pam-scnet-quota-now.socket:ListenStream=/run/pam_scnet_quota/now.sock' \
    'pam-scnet-quota-now.socket:Accept=yes' 'pam-scnet-quota-now.socket:MaxConnections=16' \
    'pam-scnet-quota-now.socket:SocketMode=0666' 'pam-scnet-quota-now.socket:WantedBy=sockets.target' \
    'pam-scnet-quota-now@.service:ExecStart=/usr/libexec/pam_scnet_quota/scnet-quota-now' \
    'pam-scnet-quota-now@.service:StandardInput=socket' 'pam-scnet-quota-now@.service:RuntimeMaxSec=90s' \
    'pam-scnet-quota-now@.service:CapabilityBoundingSet=' 'pam-scnet-quota-now@.service:ProtectSystem=strict' \
    'pam-scnet-quota-now@.service:ReadWritePaths=-/var/cache/pam_scnet_quota-users'; do
    if grep -qxF "${pair#*:}" "$src/packaging/systemd/${pair%%:*}"; then
        echo "PASS: ${pair%%:*}: ${pair#*:}"
    else
        echo "FAIL: ${pair%%:*}: no '${pair#*:}'"; status=1
    fi
done
if grep -q '#define NOW_SOCKET_DEFAULT "/run/pam_scnet_quota/now.sock"' "$src/tools/scnet_quota.c"; then
    echo "PASS: the client asks the socket's path"
else
    echo "FAIL: tools/scnet_quota.c NOW_SOCKET_DEFAULT is not the socket unit's ListenStream"; status=1
fi
# The cron example runs the same command, every 2 minutes, as root.
if grep -qE '^\*/2 \* \* \* \* root nice -n 10 /usr/bin/scnet-quota --refresh' \
    "$src/packaging/cron/pam-scnet-quota-refresh"; then
    echo "PASS: cron line"
else
    echo "FAIL: cron line"; status=1
fi
exit $status

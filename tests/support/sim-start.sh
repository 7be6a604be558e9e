#!/bin/bash
# Start the SCNet API simulator for a test run: sim-start.sh RUN_DIR [extra simulator args]
# Leaves RUN_DIR/ready.json (ports, CA), RUN_DIR/token (0600) and RUN_DIR/sim.pid behind.
set -eu
run_dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
sim="$here/../sim/scnet_sim.py"
token=sim-static-token

mkdir -p "$run_dir"
chmod 0700 "$run_dir"
"$here/sim-stop.sh" "$run_dir"
rm -f "$run_dir/ready.json"
python3 "$sim" --make-certs "$run_dir/certs"
(umask 077 && printf '%s\n' "$token" > "$run_dir/token")
# setsid and no inherited stdout: ctest must not wait for the simulator to exit.
setsid python3 "$sim" --bind 127.0.0.1 --http-port 0 --https-port 0 \
    --cert-dir "$run_dir/certs" --token "$token" --ready-file "$run_dir/ready.json" "$@" \
    </dev/null >"$run_dir/sim.log" 2>&1 &
echo $! > "$run_dir/sim.pid"
for _ in $(seq 100); do
    [ -s "$run_dir/ready.json" ] && { cat "$run_dir/ready.json"; echo; exit 0; }
    kill -0 "$(cat "$run_dir/sim.pid")" 2>/dev/null || break
    sleep 0.1
done
echo "simulator did not start:" >&2
cat "$run_dir/sim.log" >&2
exit 1

#!/bin/bash
# Stop a simulator started by sim-start.sh: sim-stop.sh RUN_DIR
set -u
pid_file=$1/sim.pid
[ -f "$pid_file" ] || exit 0
pid=$(cat "$pid_file")
if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
fi
rm -f "$pid_file"
exit 0

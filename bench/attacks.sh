#!/usr/bin/env bash
# The attacks of issue 8 against `serve --demo` (release build) on a fresh database, then a
# SIGTERM with requests still in flight, timed. Writes bench/out/attacks-<backend>.jsonl.
#
#   bench/attacks.sh [sqlite|postgres]
#
# ATTACK_ONLY ("fragment_bomb,nul_bytes"), ATTACK_STALLED (2000 stalled connections),
# ATTACK_WRITERS (64), ATTACK_WRITER_SECONDS (30), BENCH_PG_URL as for bench/run.sh,
# NEWSDESK_BIN (a binary built elsewhere, to measure before and after).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
port=18282
out=bench/out
export RUST_LOG=${RUST_LOG:-warn}
# The client holds thousands of connections.
ulimit -n "$(ulimit -Hn)"
# shellcheck source=bench/demo_server.sh
. bench/demo_server.sh
demo_server "$backend" attacks "$port"

results="$out/attacks-$backend.jsonl"
python3 bench/attacks.py "$base" --pid "$server" --token "$token" \
    --only "${ATTACK_ONLY:-}" --stalled "${ATTACK_STALLED:-2000}" \
    --writers "${ATTACK_WRITERS:-64}" --writer-seconds "${ATTACK_WRITER_SECONDS:-30}" | tee "$results"

# SIGTERM while a slow-body request is in flight: the server must exit within its grace period.
python3 - "$port" <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
time.sleep(60)
EOF
holder=$!
sleep 1
start=$(date +%s.%N)
kill -TERM "$server"
wait "$server" && code=0 || code=$?
end=$(date +%s.%N)
kill "$holder" 2>/dev/null || true
trap - EXIT
python3 -c "import json; print(json.dumps({'sigterm': {'exit_code': $code, 'seconds': round($end - $start, 2)}}))" | tee -a "$results"

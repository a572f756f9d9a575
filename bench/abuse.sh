#!/usr/bin/env bash
# The attacks of issue 10 (password guessing, comment floods and spam, view floods) against
# `serve --demo` with default settings (release build) on a fresh database. Writes
# bench/out/abuse-<backend>.jsonl.
#
#   bench/abuse.sh [sqlite|postgres]
#
# ABUSE_ONLY ("login_guessing,view_flood"), BENCH_PG_URL as for bench/run.sh, NEWSDESK_BIN (a
# binary built elsewhere, to measure before and after).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
port=18383
out=bench/out
export RUST_LOG=${RUST_LOG:-error}
# shellcheck source=bench/demo_server.sh
. bench/demo_server.sh
demo_server "$backend" abuse "$port"
python3 bench/abuse.py "$base" --email admin@newsdesk.example --password "$password" \
    --only "${ABUSE_ONLY:-}" | tee "$out/abuse-$backend.jsonl"

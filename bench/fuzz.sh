#!/usr/bin/env bash
# Fuzzes the REST API from its OpenAPI document and GraphQL from introspection, with
# schemathesis (installed into bench/out/venv), against `serve --demo` (release build) on a
# fresh database, signed in as the demo admin, NUL bytes and any Unicode in its alphabet.
# Fails if any response is a 5xx or a GraphQL INTERNAL_SERVER_ERROR, read off the recorded
# traffic by bench/fuzz_report.py (schemathesis's own verdict counts every GraphQL error,
# NOT_FOUND included, as a failure; it is printed, not trusted). Not part of .ci/run
# (minutes per backend).
#
#   bench/fuzz.sh [sqlite|postgres]
#
# FUZZ_MAX_TIME (seconds per API, default 120), FUZZ_SEED, BENCH_PG_URL as for bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
port=18484
out=bench/out
mkdir -p "$out"
max_time=${FUZZ_MAX_TIME:-120}
seed=${FUZZ_SEED:-42}

if [ ! -x "$out/venv/bin/schemathesis" ]; then
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install -q 'schemathesis>=4,<5'
fi

export RUST_LOG=${RUST_LOG:-error}
# shellcheck source=bench/demo_server.sh
. bench/demo_server.sh
demo_server "$backend" fuzz "$port" 2>"$out/fuzz-serve.err"

st() {
    "$out/venv/bin/schemathesis" run "$@" \
        --checks not_a_server_error \
        --report har --report-dir "$out" \
        --header "Authorization: Bearer $token" \
        --generation-allow-x00 true --generation-codec utf-8 \
        --max-time "$max_time" --seed "$seed" --workers 2 \
        --request-timeout 20 --no-color --warnings off --generation-database :memory:
}

status=0
echo "== REST from $base/api/v1/openapi.json ($backend)"
st "$base/api/v1/openapi.json" --url "$base" --phases examples,coverage,fuzzing \
    --report-har-path "$out/fuzz-rest-$backend.har" || true
echo "== GraphQL from introspection ($backend)"
st "$base/graphql" --phases examples,coverage,fuzzing \
    --report-har-path "$out/fuzz-graphql-$backend.har" || true
echo "== what counts"
python3 bench/fuzz_report.py "$out/fuzz-rest-$backend.har" "$out/fuzz-graphql-$backend.har" |
    tee "$out/fuzz-$backend.jsonl" || status=1

if grep -q "internal error" "$out/fuzz-serve.err"; then
    echo "the server logged internal errors:" >&2
    grep "internal error" "$out/fuzz-serve.err" | head -20 >&2
    status=1
fi
kill -0 "$server" 2>/dev/null || { echo "the server died" >&2; status=1; }
exit $status

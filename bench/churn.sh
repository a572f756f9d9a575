#!/usr/bin/env bash
# Newsroom churn (issue 11): cached article reads while readers comment and an editor edits.
# On SQLite with a seeded corpus (release build), wrk reads a fixed list of 500 article URLs
# (warmed once) for BENCH_DURATION, quiet and then with 10 anonymous comments and 1 editor
# update a second (bench/churn.py), alternating, ROUNDS times; it reports each pair and the
# ratio churn/quiet (the goal: at least 0.7).
#
#   bench/churn.sh                     writes bench/out/churn.jsonl
#
# ARTICLES (20000), BENCH_DURATION (10s), BENCH_CONNECTIONS (32), ROUNDS (3), COMMENTS_PER_S (10),
# UPDATES_PER_S (1); NEWSDESK_BIN (the binary to measure); BEFORE_BIN (optional: an older build,
# measured the same way, labelled "before").
set -euo pipefail
cd "$(dirname "$0")/.."

articles=${ARTICLES:-20000}
duration=${BENCH_DURATION:-10s}
seconds=${duration%s}
connections=${BENCH_CONNECTIONS:-32}
rounds=${ROUNDS:-3}
comments=${COMMENTS_PER_S:-10}
updates=${UPDATES_PER_S:-1}
port=18485
out=bench/out
mkdir -p "$out"
bin=${NEWSDESK_BIN:-target/release/newsdesk}
[ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --locked --bin newsdesk
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# Rate limits off: 10 comments a second from one address is the load, not an attack here.
export RUST_LOG=error NEWSDESK_RATE_LIMIT=off NEWSDESK_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
results="$out/churn.jsonl"
: > "$results"

# One seeded corpus, copied fresh for every run.
corpus="$out/churn-corpus.db"
if [ ! -f "$corpus" ] || [ "$(cat "$corpus.articles" 2>/dev/null)" != "$articles" ]; then
    rm -f "$corpus"*
    DATABASE_URL="sqlite://$corpus" "$bin" seed --articles "$articles" --rng-seed 11 >/dev/null
    echo "churn-editor-password" | DATABASE_URL="sqlite://$corpus" "$bin" users create \
        --email editor@churn.example --name "Churn Editor" --role editor --password-stdin >/dev/null
    echo "$articles" >"$corpus.articles"
fi

run() { # run LABEL BINARY
    local label=$1 b=$2 base="http://127.0.0.1:$port"
    rm -f "$out/churn.db"*
    cp "$corpus" "$out/churn.db"
    env DATABASE_URL="sqlite://$out/churn.db" NEWSDESK_BIND="127.0.0.1:$port" \
        "$b" serve >"$out/churn-serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    local token
    token=$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"email":"editor@churn.example","password":"churn-editor-password"}' | jq -r .access_token)
    : >"$out/churn-slugs.txt"
    for page in 1 2 3 4 5; do
        curl -s "$base/api/v1/articles?per_page=100&page=$page&fields=slug" |
            jq -r '.data[].slug' >>"$out/churn-slugs.txt"
    done
    sed 's|^|/api/v1/articles/|' "$out/churn-slugs.txt" >"$out/churn-reads.txt"
    while read -r p; do curl -s -o /dev/null "$base$p"; done <"$out/churn-reads.txt"
    for phase in quiet churn; do
        local churner=""
        if [ "$phase" = churn ]; then
            python3 bench/churn.py "$base" "$token" "$out/churn-slugs.txt" "$((seconds + 1))" \
                "$comments" "$updates" >"$out/churn-writes.json" &
            churner=$!
        fi
        line=$(wrk -t2 -c"$connections" -d"$duration" -s bench/lua/get.lua "$base" -- "$out/churn-reads.txt" | tail -n 1)
        local writes="{}"
        if [ -n "$churner" ]; then
            wait "$churner"
            writes=$(cat "$out/churn-writes.json")
        fi
        echo "$line" | LABEL="$label" PHASE="$phase" WRITES="$writes" python3 -c \
            'import json,os,sys; r=json.load(sys.stdin); r.update(label=os.environ["LABEL"], phase=os.environ["PHASE"], writes=json.loads(os.environ["WRITES"])); print(json.dumps(r))' |
            tee -a "$results"
    done
    kill "$server"
    wait "$server" 2>/dev/null || true
}

# The first server of a session measures slower here whatever it runs: thrown away.
run "warm-up" "$bin"
for _ in $(seq 1 "$rounds"); do
    [ -z "${BEFORE_BIN:-}" ] || run "before" "$BEFORE_BIN"
    run "after" "$bin"
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for label in ("before", "after"):
    mine = [r for r in rows if r["label"] == label]
    if not mine:
        continue
    quiet = [r["rps"] for r in mine if r["phase"] == "quiet"]
    churn = [r["rps"] for r in mine if r["phase"] == "churn"]
    p99q = [r["p99_ms"] for r in mine if r["phase"] == "quiet"]
    p99c = [r["p99_ms"] for r in mine if r["phase"] == "churn"]
    ratio = statistics.median(churn) / statistics.median(quiet)
    print(f"{label}: quiet {statistics.median(quiet):,.0f} req/s (p99 {statistics.median(p99q):.1f} ms), "
          f"churn {statistics.median(churn):,.0f} req/s (p99 {statistics.median(p99c):.1f} ms), ratio {ratio:.2f}")
PY

#!/usr/bin/env bash
# What the abuse limits cost (issue 10): the cached read path (reads not limited, the
# default) and a limited write path (anonymous comments from many readers behind a trusted
# proxy, each spam-checked), with the limits on (the default) and with NEWSDESK_RATE_LIMIT=off,
# alternating, ROUNDS times each, on `serve --demo` (release build) over SQLite.
#
#   bench/limits.sh                    writes bench/out/limits.jsonl
#
# BENCH_DURATION (10s), BENCH_CONNECTIONS (32), ROUNDS (5); NEWSDESK_BIN (the binary to measure);
# BEFORE_BIN (optional: a build from before the limits, measured the same way as "before").
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-32}
rounds=${ROUNDS:-5}
port=18484
out=bench/out
mkdir -p "$out"
bin=${NEWSDESK_BIN:-target/release/newsdesk}
[ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --locked --bin newsdesk
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export RUST_LOG=error NEWSDESK_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
results="$out/limits.jsonl"
: > "$results"

serve() { # serve LABEL BINARY [VAR=VALUE...]: a fresh demo database, served until stopped
    local label=$1 b=$2
    shift 2
    rm -f "$out/limits.db"*
    env DATABASE_URL="sqlite://$out/limits.db" NEWSDESK_BIND="127.0.0.1:$port" \
        NEWSDESK_TRUSTED_PROXIES=127.0.0.1 "$@" "$b" serve --demo >"$out/limits-serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -s "http://127.0.0.1:$port/api/v1/articles?per_page=100&fields=slug" |
        python3 -c 'import json,sys; [print(a["slug"]) for a in json.load(sys.stdin)["data"]]' >"$out/limits-slugs.txt"
    sed 's|^|/api/v1/articles/|' "$out/limits-slugs.txt" >"$out/limits-reads.txt"
    echo "/api/v1/articles?per_page=20" >>"$out/limits-reads.txt"
    # Warm: every read URL once, so wrk measures the cached path.
    while read -r p; do curl -s -o /dev/null "http://127.0.0.1:$port$p"; done <"$out/limits-reads.txt"
    for scenario in reads comments; do
        local script=get.lua list="$out/limits-reads.txt"
        [ "$scenario" = comments ] && script=comment.lua list="$out/limits-slugs.txt"
        line=$(wrk -t2 -c"$connections" -d"$duration" -s "bench/lua/$script" "http://127.0.0.1:$port" -- "$list" | tail -n 1)
        echo "$line" | LABEL="$label" SCENARIO="$scenario" python3 -c \
            'import json,os,sys; r=json.load(sys.stdin); r.update(label=os.environ["LABEL"], scenario=os.environ["SCENARIO"]); print(json.dumps(r))' |
            tee -a "$results"
    done
    kill "$server"
    wait "$server" 2>/dev/null || true
}

# A first run that is thrown away: the first server of a session measures 10-20% slower here
# whatever it runs (caches, clocks).
serve "warm-up" "$bin"
for _ in $(seq 1 "$rounds"); do
    serve "limits on" "$bin"
    serve "limits off" "$bin" NEWSDESK_RATE_LIMIT=off
    if [ -n "${BEFORE_BIN:-}" ]; then serve "before" "$BEFORE_BIN"; fi
done
python3 - "$results" <<'PY'
import json, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["scenario"], r["label"])].append(r)
from statistics import median
# Against the build from before the limits when there is one, else against limits off.
ref = "before" if any(label == "before" for _, label in runs) else "limits off"
print(f"| scenario | build | median req/s | vs {ref} | each run | median p99 ms | non-2xx |")
print("| --- | --- | ---: | ---: | --- | ---: | ---: |")
for (scenario, label), rs in sorted(runs.items()):
    if label == "warm-up":
        continue
    m = median(r["rps"] for r in rs)
    off = median(r["rps"] for r in runs[(scenario, ref)])
    each = ", ".join(f'{r["rps"]:,.0f}' for r in rs)
    p99 = median(r["p99_ms"] for r in rs)
    print(f'| {scenario} | {label} | {m:,.0f} | {100 * (m / off - 1):+.1f}% | {each} | {p99:.1f} | {sum(r["non2xx"] for r in rs)} |')
PY

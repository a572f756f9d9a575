#!/usr/bin/env bash
# The benchmark: builds the release binary, seeds a corpus, serves it on 127.0.0.1 and drives
# it with wrk over fixed URL lists, one bounded run per scenario. Writes bench/RESULTS.md.
#
#   bench/run.sh [sqlite|postgres] [articles]      (default: sqlite 100000)
#
# BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_PG_URL (the local server's Unix socket when
# it has one, as a server on the database's machine would connect, else 127.0.0.1 over TCP),
# BENCH_ONLY ("article search ...": run only these scenarios, plus the baseline; no RESULTS.md),
# NEWSDESK_BIN (a binary to measure instead of building this checkout's).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
articles=${2:-100000}
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
export BENCH_DURATION=$duration BENCH_CONNECTIONS=$connections
port=18181
base="http://127.0.0.1:$port"
out=bench/out
mkdir -p "$out"

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

# NEWSDESK_BIN: a binary built elsewhere (an older build, to compare before and after).
bin=${NEWSDESK_BIN:-target/release/newsdesk}
[ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --locked --bin newsdesk

export NEWSDESK_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export RUST_LOG=${RUST_LOG:-warn}
# wrk is one client: its views would count once per article and the editor loop would meet
# the 300 writes a minute. Reads are not limited either way; bench/limits.sh measures what
# the limits cost.
export NEWSDESK_RATE_LIMIT=${NEWSDESK_RATE_LIMIT:-off}
case "$backend" in
    sqlite)
        export DATABASE_URL="sqlite://$out/bench-$articles.db"
        marker="$out/bench-$articles.db.seeded"
        ;;
    postgres)
        # Over TCP to a server with `ssl = on`, libpq speaks TLS even on the loopback: 20-28%
        # of the uncached throughput (README, "Running on PostgreSQL").
        socket=/var/run/postgresql
        if [ -S "$socket/.s.PGSQL.5432" ]; then
            admin=${BENCH_PG_URL:-postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres}
        else
            admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1/postgres}
        fi
        db="newsdesk_bench_$articles"
        export DATABASE_URL="${admin%/*}/$db"
        marker="$out/pg-$articles.seeded"
        if ! psql "$admin" -Atc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
            psql "$admin" -qc "create database $db"
            rm -f "$marker"
        fi
        ;;
    *) echo "usage: bench/run.sh [sqlite|postgres] [articles]" >&2; exit 2 ;;
esac

if [ ! -f "$marker" ]; then
    [ "$backend" = sqlite ] && rm -f "$out/bench-$articles.db"*
    "$bin" migrate
    time "$bin" seed --articles "$articles" --rng-seed 42
    printf 'bench-editor-password\n' | "$bin" users create --email bench-editor@newsdesk.example \
        --name "Bench Editor" --role editor --password-stdin
    touch "$marker"
fi

server=
start_server() { # [env assignments...]: a fresh server (an empty response cache)
    stop_server
    env "$@" NEWSDESK_BIND="127.0.0.1:$port" "$bin" serve &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "$base/readyz" >/dev/null
}
stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=
    fi
}
trap stop_server EXIT
start_server

python3 bench/lists.py "$base" "$out"
token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"bench-editor@newsdesk.example","password":"bench-editor-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

results="$out/results.jsonl"
: > "$results"
only=${BENCH_ONLY:-}
# Three passes, each on a freshly started server, each scenario measured in each:
#   warm       one cold pass over the scenario's URLs first (its mean and p99 are the "first
#              reader" columns), then wrk walks the list in turn: the response cache answers.
#   nowarm     no cold pass; wrk picks URLs of the list at random: what a crawler or an
#              audience meets after a restart or an invalidation.
#   cacheoff   NEWSDESK_CACHE_MB=0, wrk walks the list: every request reaches the database.
phase=warm
run() { # name label script [args...]
    local name=$1 label=$2 script=$3
    shift 3
    if [ -n "$only" ] && [ "$name" != baseline ] && [[ " $only " != *" $name "* ]]; then
        return 0
    fi
    # Start from an idle server: what the previous scenario queued has drained.
    curl -fs --max-time 60 "$base/readyz" >/dev/null || true
    sleep 1
    local cold='{}'
    if [ "$phase" = warm ]; then
        case "$script" in
            get.lua | get_encoded.lua | mixed.lua) cold=$(python3 bench/warm.py 127.0.0.1 "$port" "$1") ;;
            graphql.lua) cold=$(python3 bench/warm.py 127.0.0.1 "$port" "$1" graphql) ;;
        esac
    elif [ "$phase" = nowarm ]; then
        case "$script" in
            get.lua) script=shuffled.lua ;;
            graphql.lua) script=shuffled.lua; set -- "$1" post ;;
        esac
    fi
    local line
    line=$(wrk -t2 -c"$connections" -d"$duration" -s "bench/lua/$script" "$base" -- "$@" | tail -n 1)
    local rss
    rss=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$server/status")
    echo "$line" | NAME="$name" LABEL="$label" PHASE="$phase" RSS="$rss" COLD="$cold" python3 -c \
        'import json,os,sys; r=json.load(sys.stdin); r.update(json.loads(os.environ["COLD"])); r.update(name=os.environ["NAME"], label=os.environ["LABEL"], phase=os.environ["PHASE"], rss_mb=float(os.environ["RSS"])); print(json.dumps(r))' \
        >> "$results"
    echo "[$phase] $label: $line $cold (peak RSS ${rss} MB)"
}

reads() {
    run baseline "static baseline (/healthz)" get.lua "$out/baseline.txt"
    run article "article by slug" get.lua "$out/article.txt"
    run latest "latest page of 20" get.lua "$out/latest.txt"
    run latest_gzip "latest page of 20, gzip" get_encoded.lua "$out/latest.txt" gzip
    run latest_br "latest page of 20, br" get_encoded.lua "$out/latest.txt" br
    run article_br "article by slug, br" get_encoded.lua "$out/article.txt" br
    run tag "a tag's page" get.lua "$out/tag.txt"
    run author "an author's page" get.lua "$out/author.txt"
    run first_page "first page (per_page=20)" get.lua "$out/first_page.txt"
    run depth "keyset page at depth 5,000" get.lua "$out/depth.txt"
    run search "full-text search" get.lua "$out/search.txt"
    run related "related articles" get.lua "$out/related.txt"
    run graphql_home "GraphQL home page" graphql.lua "$out/graphql_home.txt"
    run graphql_article "GraphQL article page" graphql.lua "$out/graphql_article.txt"
}

# Related lists are kept ready once computed (NEWSDESK_RELATED_MAX_AGE_SECS): the first
# pass measures reading them while they are computed, from none kept.
phase=cacheoff
start_server NEWSDESK_CACHE_MB=0
if [ -z "$only" ] || [[ " $only " == *" related_unkept "* ]]; then
    stop_server
    case "$backend" in
        sqlite) python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM related_ready"); c.commit()' "$out/bench-$articles.db" ;;
        postgres) psql "$DATABASE_URL" -qc 'DELETE FROM related_ready' ;;
    esac
    start_server NEWSDESK_CACHE_MB=0
fi
run related_unkept "related articles, none kept yet" get.lua "$out/related.txt"
# Every list kept before the cache-off pass measures reading kept ones.
python3 bench/warm.py 127.0.0.1 "$port" "$out/related.txt" >/dev/null
# PostgreSQL keeps the heads of searched words' lists (NEWSDESK_SEARCH_HEAD_SIZE), built in
# the background after a word's first search: the same, from none.
if [ "$backend" = postgres ]; then
    if [ -z "$only" ] || [[ " $only " == *" search_unheld "* ]]; then
        psql "$DATABASE_URL" -qc 'TRUNCATE search_head_entries, search_heads'
    fi
    run search_unheld "full-text search, no heads yet" get.lua "$out/search.txt"
    python3 bench/warm.py 127.0.0.1 "$port" "$out/search.txt" >/dev/null
    # Until every searched word has its head (at most a minute).
    words=$(sed -n 's/.*[?&]q=\([^&]*\).*/\1/p' "$out/search.txt" | paste -sd, -)
    unheld="SELECT count(*) FROM unnest(string_to_array('$words', ',')) w WHERE NOT EXISTS
        (SELECT 1 FROM search_heads h WHERE h.lexeme = ANY (tsvector_to_array(to_tsvector('english', w))))"
    for _ in $(seq 1 300); do
        [ "$(psql "$DATABASE_URL" -Atc "$unheld")" = 0 ] && break
        sleep 0.2
    done
fi
reads
phase=nowarm
start_server
reads
phase=warm
start_server
reads
run mixed "mixed 90% reads / 10% views" mixed.lua "$out/mixed_reads.txt" "$out/view_slugs.txt"
# wrk stops counting responses at its deadline, so exactness is checked with a counted burst.
views=skipped
if [ -z "$only" ] || [[ " $only " == *" mixed "* ]]; then
    views=$(python3 bench/views_check.py 127.0.0.1 "$port" "$out/view_slugs.txt" 2000)
    echo "views: $views"
fi
run editor "editor create+publish loop" editor.lua "$token"

if [ -n "$only" ]; then
    exit 0
fi
python3 bench/report.py "$results" "$backend" "$articles" "$(nproc)" "$(date -u +%Y-%m-%d)" "$views"

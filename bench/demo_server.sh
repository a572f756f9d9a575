# Sourced by bench/attacks.sh and bench/fuzz.sh: serves `serve --demo` (release build, or
# NEWSDESK_BIN) on a fresh database and signs in as the demo admin.
#
#   demo_server BACKEND NAME PORT
#
# BACKEND is sqlite or postgres (BENCH_PG_URL, default postgres://postgres@127.0.0.1/postgres);
# NAME names the database (bench/out/NAME.db, or newsdesk_NAME). Sets bin, base, server (the
# PID; killed on exit), password (the demo admin's) and token; the server's output goes to
# bench/out/NAME-serve.log. Sourced by .ci/contract.sh too.
demo_server() {
    local backend=$1 name=$2 port=$3
    local out=bench/out
    mkdir -p "$out"
    bin=${NEWSDESK_BIN:-target/release/newsdesk}
    [ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --locked --bin newsdesk
    export NEWSDESK_JWT_SECRET=demo-secret-demo-secret-demo-secret-0123456
    case "$backend" in
        sqlite)
            rm -f "$out/$name".db*
            export DATABASE_URL="sqlite://$out/$name.db"
            ;;
        postgres)
            local admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1/postgres}
            psql "$admin" -qc "drop database if exists newsdesk_$name with (force)"
            psql "$admin" -qc "create database newsdesk_$name"
            export DATABASE_URL="${admin%/*}/newsdesk_$name"
            ;;
        *) echo "backend: sqlite or postgres, not $backend" >&2; return 2 ;;
    esac
    base="http://127.0.0.1:$port"
    NEWSDESK_BIND="127.0.0.1:$port" "$bin" serve --demo >"$out/$name-serve.log" &
    server=$!
    trap 'kill -9 $server 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        curl -fs "$base/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "$base/readyz" >/dev/null
    # The demo admin's credentials, printed once by `serve --demo`.
    local email
    email=$(awk '/email:/ {print $2; exit}' "$out/$name-serve.log")
    password=$(awk '/password:/ {print $2; exit}' "$out/$name-serve.log")
    token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

#!/usr/bin/env bash
# The contract as real clients meet it, against a fresh `newsdesk serve --demo` (the debug
# binary `cargo test` built): the served OpenAPI document through a strict validator and a
# client generator whose client is then used; the GraphQL-over-HTTP audit suite; the README's
# examples. Tools are pinned and installed under target/ (a virtualenv, an npm prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '\n== %s\n' "$*"; }

bin=target/debug/newsdesk
[ -x "$bin" ] || cargo build --locked --bin newsdesk

log "tools: openapi-spec-validator, openapi-python-client, graphql-http"
venv=target/ci-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
    openapi-spec-validator==0.9.0 openapi-python-client==0.29.1 ruff==0.17.6 \
    feedparser==6.0.14 standardwebhooks==1.1.0
node_dir=target/ci-node
if [ ! -d "$node_dir/node_modules/graphql-http" ]; then
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --prefix "$node_dir" graphql-http@1.23.1 graphql@16.15.0
fi

log "serve --demo on a fresh SQLite database"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RUST_LOG=${RUST_LOG:-warn}
# shellcheck source=bench/demo_server.sh
. bench/demo_server.sh
# The webhook check's receiver listens on 127.0.0.1.
export NEWSDESK_WEBHOOKS_ALLOW_PRIVATE=true
NEWSDESK_BIN=$bin demo_server sqlite contract "$port"
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

log "the served OpenAPI document passes openapi-spec-validator"
curl -fs "$base/api/v1/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

log "openapi-python-client generates a client, which logs in, creates and reads an article"
(cd "$work" && PATH="$root/$venv/bin:$PATH" "$root/$venv/bin/openapi-python-client" generate \
    --path openapi.json --output-path newsdesk_client --meta none --overwrite) >"$work/generate.log" 2>&1 \
    || { cat "$work/generate.log"; exit 1; }
if grep -qi "warning" "$work/generate.log"; then
    cat "$work/generate.log"
    echo "openapi-python-client warned: some of the document did not generate" >&2
    exit 1
fi
"$venv/bin/python" .ci/client_check.py "$work" "$base" admin@newsdesk.example "$password"

log "GraphQL-over-HTTP audit suite (graphql-http): every MUST and SHOULD"
# Run from the npm prefix, so that its import finds the package there.
cp .ci/graphql_audit.mjs "$node_dir/"
node "$node_dir/graphql_audit.mjs" "$base/graphql"

log "the README's examples (docs/examples.sh)"
bash docs/examples.sh "$base" "$password" >"$work/examples.log" 2>&1 || { cat "$work/examples.log"; exit 1; }
grep '^ok:\|^every' "$work/examples.log"

log "feeds (feedparser), sitemaps (XML namespaces) and webhooks (the Standard Webhooks library)"
"$venv/bin/python" .ci/feeds_webhooks_check.py "$base" admin@newsdesk.example "$password"

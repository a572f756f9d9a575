# Build: the release binary (libpq and SQLite are built in; OpenSSL is linked for TLS).
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
# The image carries no debug info (the local release profile keeps line tables for profiling).
ENV CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true
# Dependencies first, in their own layer: a change to the sources does not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src tests/api \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs tests/api/main.rs \
    && cargo build --release --locked --bin newsdesk \
    && rm -rf src tests
COPY src ./src
COPY migrations ./migrations
COPY schema.graphql ./
COPY tests ./tests
# Newer than the placeholder build, so cargo rebuilds the crate itself.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin newsdesk

# Run: a slim image with the binary and the libraries it links.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/newsdesk --create-home newsdesk
COPY --from=build /src/target/release/newsdesk /usr/local/bin/newsdesk
USER newsdesk
WORKDIR /var/lib/newsdesk
ENV NEWSDESK_BIND=0.0.0.0:8080 DATABASE_URL=sqlite:///var/lib/newsdesk/newsdesk.db NEWSDESK_LOG_FORMAT=json
EXPOSE 8080
# Ready when /readyz answers 200 (bash's /dev/tcp: the image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["newsdesk"]
CMD ["serve"]

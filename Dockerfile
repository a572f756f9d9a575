# Build: the release binary (libpq and SQLite are built in; OpenSSL is linked for TLS).
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY schema.graphql ./
COPY tests ./tests
RUN cargo build --release --locked --bin newsdesk

# Run: a slim image with the binary and the libraries it links.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/newsdesk --create-home newsdesk
COPY --from=build /src/target/release/newsdesk /usr/local/bin/newsdesk
USER newsdesk
WORKDIR /var/lib/newsdesk
ENV NEWSDESK_BIND=0.0.0.0:8080 DATABASE_URL=sqlite:///var/lib/newsdesk/newsdesk.db
EXPOSE 8080
ENTRYPOINT ["newsdesk"]
CMD ["serve"]

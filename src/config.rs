//! Configuration is a value built once from the environment and passed down, never a global,
//! so tests can start many servers side by side.

use std::collections::HashMap;
use std::time::Duration;

/// Enough for a page of 100 articles with their tags, author and 5 related articles.
pub const DEFAULT_GRAPHQL_COMPLEXITY: usize = 10_000;

/// Every variable newsdesk reads: name, default, meaning. `--help` prints it; tests hold
/// it to what `Settings::from_map` reads and to the README and docs/API.md.
pub const ENVIRONMENT: &[(&str, &str, &str)] = &[
    ("DATABASE_URL", "sqlite://newsdesk.db", "sqlite://PATH (relative, or absolute as sqlite:///var/lib/newsdesk.db) or postgres://user:pass@host/db"),
    ("NEWSDESK_BIND", "127.0.0.1:8080", "listen address"),
    ("NEWSDESK_JWT_SECRET", "generated once, kept in the database", "HS256 secret, at least 32 bytes"),
    ("NEWSDESK_TOKEN_TTL", "3600", "token lifetime in seconds (60 to 31536000)"),
    ("RUST_LOG", "info", "log filter (newsdesk=debug,info...)"),
    ("NEWSDESK_LOG_FORMAT", "text", "text (coloured only on a terminal) or json (one object per line, for log shippers)"),
    ("NEWSDESK_POOL_SIZE", "8", "database connections"),
    ("NEWSDESK_WORKERS", "one per core", "HTTP worker threads"),
    ("NEWSDESK_COUNTER_FLUSH_MS", "500", "how often counted views and shares are written (10 to 1000)"),
    ("NEWSDESK_GRAPHQL_MAX_DEPTH", "10", "deepest GraphQL query accepted"),
    ("NEWSDESK_GRAPHQL_MAX_COMPLEXITY", "10000", "costliest GraphQL query accepted (a list costs its page size times its fields; enough for 100 articles with tags, author and 5 related)"),
    ("NEWSDESK_GRAPHQL_INTROSPECTION", "true", "whether the schema can be introspected"),
    ("NEWSDESK_CACHE_MB", "24", "budget of the in-memory response cache (0 turns it off)"),
    ("DATABASE_REPLICA_URL", "none", "a PostgreSQL read replica: reads go there, except right after a write"),
    ("NEWSDESK_REPLICA_STICKY_MS", "2000", "how long after a write a node reads from the primary (0 to 60000)"),
    ("NEWSDESK_HEADER_TIMEOUT_SECS", "5", "time for a request's head to arrive (then 408)"),
    ("NEWSDESK_BODY_TIMEOUT_SECS", "10", "time for a request's body to arrive, counted from its head (then 408)"),
    ("NEWSDESK_REQUEST_TIMEOUT_SECS", "15", "time for a whole request (then 503, the work cancelled); a PostgreSQL statement gets one second more"),
    ("NEWSDESK_KEEP_ALIVE_SECS", "5", "how long an idle keep-alive connection stays open"),
    ("NEWSDESK_MAX_CONNECTIONS", "10000", "open connections at once, kept below the open files limit (raised to its hard maximum at start-up)"),
    ("NEWSDESK_MAX_CONNECTIONS_PER_CLIENT", "512", "open connections from one address (then 429); 0 turns it off, as behind a proxy whose address every request shares"),
    ("NEWSDESK_SHUTDOWN_GRACE_SECS", "10", "after SIGTERM, how long requests in flight may finish before they are cut off"),
    ("NEWSDESK_GRAPHQL_MAX_NODES", "2000", "fields in a GraphQL document once its fragments are expanded (all operations and fragments)"),
    ("NEWSDESK_GRAPHQL_MAX_ALIASES", "30", "names one field may have in one selection set"),
    ("NEWSDESK_GRAPHQL_MAX_MUTATIONS", "50", "mutation fields in one request (100 aliased addComments are refused whole)"),
    ("NEWSDESK_GRAPHQL_MAX_ERRORS", "20", "errors in one GraphQL response; a last one counts the rest"),
    ("NEWSDESK_RATE_LIMIT", "on", "off turns every rate limit, the comment spam check and the once-per-client counting of views and shares off (tests, benchmarks)"),
    ("NEWSDESK_TRUSTED_PROXIES", "none", "comma-separated addresses or CIDRs (IPv4, IPv6) whose Forwarded/X-Forwarded-For is believed"),
    ("NEWSDESK_READ_RATE_LIMIT", "off", "anonymous reads per client per minute (off: not limited)"),
    ("NEWSDESK_LOGIN_RATE_LIMIT", "5", "failed logins per account per 15 minutes, then a growing delay (a client gets 4 times as many)"),
    ("NEWSDESK_COMMENT_RATE_LIMIT", "5", "anonymous comments per client per minute (and one per article per 20 seconds)"),
    ("NEWSDESK_WRITE_RATE_LIMIT", "300", "authenticated writes per account per minute"),
    ("NEWSDESK_RELATED_MAX_AGE_SECS", "900", "how long an article's computed related list is kept before it is recomputed (0 to 86400; an article's own changes drop it at once)"),
    ("NEWSDESK_SEARCH_HEAD_SIZE", "400", "PostgreSQL: how many of a searched word's newest articles are kept in publication order for its first pages (0 to 10000; 0: off)"),
    ("NEWSDESK_WEBHOOKS_ALLOW_PRIVATE", "false", "true allows webhook URLs on private, loopback and link-local addresses (development, tests)"),
];

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    /// `None`: generated once and kept in the database.
    pub jwt_secret: Option<String>,
    pub token_ttl_secs: i64,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Connections in the pool.
    pub pool_size: u32,
    /// HTTP worker threads (`None`: one per core).
    pub workers: Option<usize>,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// GraphQL: deepest query accepted.
    pub graphql_max_depth: usize,
    /// GraphQL: costliest query accepted (lists cost their page size times their children).
    pub graphql_max_complexity: usize,
    /// GraphQL: whether the schema can be introspected.
    pub graphql_introspection: bool,
    /// How often counted views and shares are written, in milliseconds.
    pub counter_flush_ms: u64,
    /// A PostgreSQL read replica (`DATABASE_REPLICA_URL`).
    pub database_replica_url: Option<String>,
    /// How long after a write reads stay on the primary, in milliseconds.
    pub replica_sticky_ms: u64,
    /// The response cache's budget, in bytes.
    pub cache_bytes: u64,
    /// How a request is bounded: body and handler deadlines, connections, GraphQL cost.
    pub limits: Limits,
    /// Rate limits, who the client is, and the comment spam check.
    pub abuse: AbuseSettings,
    /// Webhooks may target private, loopback and link-local addresses.
    pub webhooks_allow_private: bool,
    /// The longest a computed related list is served before it is recomputed.
    pub related_max_age: Duration,
    /// PostgreSQL: how many of a searched word's newest articles its head keeps (0: no heads
    /// are built or read; see `db::search::heads`).
    pub search_head_size: i64,
}

/// So many events per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl Rate {
    pub const fn new(limit: u32, window_secs: u64) -> Self {
        Rate {
            limit,
            window: Duration::from_secs(window_secs),
        }
    }
}

/// What one client or one account may do, and who the client is (API.md "Abuse resistance").
#[derive(Debug, Clone)]
pub struct AbuseSettings {
    /// `false` (`NEWSDESK_RATE_LIMIT=off`): no limit, no spam check, every view counted.
    pub enabled: bool,
    pub trusted_proxies: crate::client::TrustedProxies,
    /// Anonymous reads per client (`None`: not limited).
    pub reads: Option<Rate>,
    /// Failed logins per account, then a growing delay.
    pub login_account: Rate,
    /// Failed logins per client, whatever the accounts.
    pub login_client: Rate,
    /// Anonymous comments per client.
    pub comments: Rate,
    /// Anonymous comments per client on one article.
    pub comments_per_article: Rate,
    /// Authenticated writes per account.
    pub writes: Rate,
    /// How long a client's view or share of an article is counted once.
    pub count_once: Duration,
}

impl Default for AbuseSettings {
    fn default() -> Self {
        AbuseSettings {
            enabled: true,
            trusted_proxies: Default::default(),
            reads: None,
            login_account: Rate::new(5, 15 * 60),
            login_client: Rate::new(20, 15 * 60),
            comments: Rate::new(5, 60),
            comments_per_article: Rate::new(1, 20),
            writes: Rate::new(300, 60),
            count_once: Duration::from_secs(10 * 60),
        }
    }
}

impl AbuseSettings {
    fn from_map(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut a = AbuseSettings::default();
        if let Some(v) = get("NEWSDESK_RATE_LIMIT") {
            a.enabled = on_off("NEWSDESK_RATE_LIMIT", &v)?;
        }
        if let Some(v) = get("NEWSDESK_TRUSTED_PROXIES") {
            a.trusted_proxies = crate::client::TrustedProxies::parse(&v)?;
        }
        if let Some(v) = get("NEWSDESK_READ_RATE_LIMIT") {
            a.reads = if v.eq_ignore_ascii_case("off") {
                None
            } else {
                Some(Rate::new(
                    in_range("NEWSDESK_READ_RATE_LIMIT", &v, 1..=1_000_000)?,
                    60,
                ))
            };
        }
        if let Some(v) = get("NEWSDESK_LOGIN_RATE_LIMIT") {
            let n: u32 = in_range("NEWSDESK_LOGIN_RATE_LIMIT", &v, 1..=10_000)?;
            a.login_account.limit = n;
            a.login_client.limit = n.saturating_mul(4);
        }
        if let Some(v) = get("NEWSDESK_COMMENT_RATE_LIMIT") {
            a.comments.limit = in_range("NEWSDESK_COMMENT_RATE_LIMIT", &v, 1..=100_000)?;
        }
        if let Some(v) = get("NEWSDESK_WRITE_RATE_LIMIT") {
            a.writes.limit = in_range("NEWSDESK_WRITE_RATE_LIMIT", &v, 1..=1_000_000)?;
        }
        Ok(a)
    }
}

/// `on`/`off` (also true/false, 1/0).
fn on_off(name: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Ok(true),
        "false" | "0" | "off" => Ok(false),
        _ => Err(format!("{name} must be on or off, not {v:?}")),
    }
}

/// Bounds on what one request or one client can make the server do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From accepting a connection to its request head being read (then 408).
    pub header_timeout: Duration,
    /// From the request head to the end of its body (then 408).
    pub body_timeout: Duration,
    /// From the request head to the response: past it the handler is cancelled (503).
    pub request_timeout: Duration,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive: Duration,
    /// Open connections, all clients together (split across the workers).
    pub max_connections: usize,
    /// Open connections from one address; `0` for no bound (behind a proxy).
    pub max_connections_per_client: usize,
    /// After SIGTERM: how long requests in flight may take before they are cut off.
    pub shutdown_grace: Duration,
    /// GraphQL: fields once fragments are expanded, over the whole document.
    pub graphql_max_nodes: u64,
    /// GraphQL: response keys one field may have in one selection set.
    pub graphql_max_aliases: usize,
    /// GraphQL: root fields of one mutation request.
    pub graphql_max_mutations: usize,
    /// GraphQL: errors in one response; the rest are summed up in one last error.
    pub graphql_max_errors: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            keep_alive: Duration::from_secs(5),
            max_connections: 10_000,
            max_connections_per_client: 512,
            shutdown_grace: Duration::from_secs(10),
            graphql_max_nodes: 2_000,
            graphql_max_aliases: 30,
            graphql_max_mutations: 50,
            graphql_max_errors: 20,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://newsdesk.db".into(),
            bind: "127.0.0.1:8080".into(),
            jwt_secret: None,
            token_ttl_secs: 3600,
            log_filter: "info".into(),
            log_format: LogFormat::Text,
            pool_size: 8,
            workers: None,
            max_body_bytes: 1024 * 1024,
            graphql_max_depth: 10,
            graphql_max_complexity: DEFAULT_GRAPHQL_COMPLEXITY,
            graphql_introspection: true,
            counter_flush_ms: 500,
            database_replica_url: None,
            replica_sticky_ms: 2000,
            cache_bytes: 24 * 1024 * 1024,
            limits: Limits::default(),
            abuse: AbuseSettings::default(),
            webhooks_allow_private: false,
            related_max_age: Duration::from_secs(900),
            search_head_size: crate::db::search::heads::KEPT,
        }
    }
}

impl Settings {
    /// Where the database is and how to use it.
    pub fn db_options(&self) -> crate::db::DbOptions {
        crate::db::DbOptions {
            url: self.database_url.clone(),
            pool_size: self.pool_size,
            replica_url: self.database_replica_url.clone(),
            replica_sticky: Duration::from_millis(self.replica_sticky_ms),
            // A statement may not outlive the request that runs it (by more than a second:
            // the request's own deadline answers first).
            statement_timeout: Some(self.limits.request_timeout + Duration::from_secs(1)),
        }
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Builds settings from variables as given (the environment, or a test's map).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, String> {
        let mut s = Settings::default();
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("DATABASE_URL") {
            s.database_url = v;
        }
        crate::db::DbTarget::parse(&s.database_url)?;
        if let Some(v) = get("DATABASE_REPLICA_URL") {
            // Whether both are PostgreSQL is checked when the pools open.
            crate::db::DbTarget::parse(&v)
                .map_err(|e| e.replacen("DATABASE_URL", "DATABASE_REPLICA_URL", 1))?;
            s.database_replica_url = Some(v);
        }
        if let Some(v) = get("NEWSDESK_REPLICA_STICKY_MS") {
            s.replica_sticky_ms = in_range("NEWSDESK_REPLICA_STICKY_MS", &v, 0..=60_000)?;
        }
        if let Some(v) = get("NEWSDESK_RELATED_MAX_AGE_SECS") {
            let secs: u64 = in_range("NEWSDESK_RELATED_MAX_AGE_SECS", &v, 0..=86_400)?;
            s.related_max_age = Duration::from_secs(secs);
        }
        if let Some(v) = get("NEWSDESK_SEARCH_HEAD_SIZE") {
            s.search_head_size = in_range("NEWSDESK_SEARCH_HEAD_SIZE", &v, 0..=10_000)?;
        }
        if let Some(v) = get("NEWSDESK_CACHE_MB") {
            let mb: u64 = in_range("NEWSDESK_CACHE_MB", &v, 0..=65_536)?;
            s.cache_bytes = mb * 1024 * 1024;
        }
        if let Some(v) = get("NEWSDESK_WEBHOOKS_ALLOW_PRIVATE") {
            s.webhooks_allow_private = match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => {
                    return Err(format!(
                        "NEWSDESK_WEBHOOKS_ALLOW_PRIVATE must be true or false, not {v:?}"
                    ))
                }
            };
        }
        if let Some(v) = get("NEWSDESK_BIND") {
            s.bind = v;
        }
        if let Some(v) = get("NEWSDESK_JWT_SECRET") {
            if v.len() < 32 {
                return Err(format!(
                    "NEWSDESK_JWT_SECRET must be at least 32 bytes (it has {})",
                    v.len()
                ));
            }
            s.jwt_secret = Some(v);
        }
        if let Some(v) = get("NEWSDESK_TOKEN_TTL") {
            s.token_ttl_secs = in_range("NEWSDESK_TOKEN_TTL", &v, 60..=31_536_000)?;
        }
        if let Some(v) = get("RUST_LOG") {
            s.log_filter = v;
        }
        if let Some(v) = get("NEWSDESK_LOG_FORMAT") {
            s.log_format = match v.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(format!(
                        "NEWSDESK_LOG_FORMAT must be text or json, not {v:?}"
                    ))
                }
            };
        }
        if let Some(v) = get("NEWSDESK_POOL_SIZE") {
            s.pool_size = in_range("NEWSDESK_POOL_SIZE", &v, 1..=256)?;
        }
        if let Some(v) = get("NEWSDESK_WORKERS") {
            s.workers = Some(in_range("NEWSDESK_WORKERS", &v, 1..=256)?);
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_DEPTH") {
            s.graphql_max_depth = in_range("NEWSDESK_GRAPHQL_MAX_DEPTH", &v, 1..=100)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_COMPLEXITY") {
            s.graphql_max_complexity =
                in_range("NEWSDESK_GRAPHQL_MAX_COMPLEXITY", &v, 1..=10_000_000)?;
        }
        if let Some(v) = get("NEWSDESK_COUNTER_FLUSH_MS") {
            s.counter_flush_ms = in_range("NEWSDESK_COUNTER_FLUSH_MS", &v, 10..=1000)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_INTROSPECTION") {
            s.graphql_introspection = on_off("NEWSDESK_GRAPHQL_INTROSPECTION", &v)?;
        }
        s.limits = Limits::from_map(&get)?;
        s.abuse = AbuseSettings::from_map(&get)?;
        Ok(s)
    }
}

impl Limits {
    fn from_map(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut l = Limits::default();
        let secs = |name: &str, max: u64, slot: &mut Duration| -> Result<(), String> {
            if let Some(v) = get(name) {
                *slot = Duration::from_secs(in_range(name, &v, 1..=max)?);
            }
            Ok(())
        };
        secs("NEWSDESK_HEADER_TIMEOUT_SECS", 300, &mut l.header_timeout)?;
        secs("NEWSDESK_BODY_TIMEOUT_SECS", 3600, &mut l.body_timeout)?;
        secs(
            "NEWSDESK_REQUEST_TIMEOUT_SECS",
            3600,
            &mut l.request_timeout,
        )?;
        secs("NEWSDESK_KEEP_ALIVE_SECS", 3600, &mut l.keep_alive)?;
        secs("NEWSDESK_SHUTDOWN_GRACE_SECS", 3600, &mut l.shutdown_grace)?;
        if let Some(v) = get("NEWSDESK_MAX_CONNECTIONS") {
            l.max_connections = in_range("NEWSDESK_MAX_CONNECTIONS", &v, 16..=1_000_000)?;
        }
        if let Some(v) = get("NEWSDESK_MAX_CONNECTIONS_PER_CLIENT") {
            l.max_connections_per_client =
                in_range("NEWSDESK_MAX_CONNECTIONS_PER_CLIENT", &v, 0..=1_000_000)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_NODES") {
            l.graphql_max_nodes = in_range("NEWSDESK_GRAPHQL_MAX_NODES", &v, 10..=1_000_000)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_ALIASES") {
            l.graphql_max_aliases = in_range("NEWSDESK_GRAPHQL_MAX_ALIASES", &v, 1..=10_000)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_MUTATIONS") {
            l.graphql_max_mutations = in_range("NEWSDESK_GRAPHQL_MAX_MUTATIONS", &v, 1..=10_000)?;
        }
        if let Some(v) = get("NEWSDESK_GRAPHQL_MAX_ERRORS") {
            l.graphql_max_errors = in_range("NEWSDESK_GRAPHQL_MAX_ERRORS", &v, 2..=10_000)?;
        }
        if l.body_timeout > l.request_timeout {
            return Err(format!(
                "NEWSDESK_BODY_TIMEOUT_SECS ({}) must not exceed NEWSDESK_REQUEST_TIMEOUT_SECS ({})",
                l.body_timeout.as_secs(),
                l.request_timeout.as_secs()
            ));
        }
        Ok(l)
    }
}

/// A whole number within `range`, or the line that says what `name` takes.
fn in_range<T>(name: &str, value: &str, range: std::ops::RangeInclusive<T>) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    value
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{name} must be a whole number from {} to {}, not {value:?}",
                range.start(),
                range.end()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_variable_read_is_documented() {
        let source = include_str!("config.rs");
        let from = source.find("fn from_map").unwrap();
        let to = source.find("#[cfg(test)]").unwrap();
        // Every quoted upper-case name in `from_map` and what follows it is a variable.
        let names: Vec<&str> = source[from..to]
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() > 3 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .collect();
        assert!(names.len() > 20, "{names:?}");
        for name in names {
            assert!(
                ENVIRONMENT.iter().any(|(n, _, _)| *n == name),
                "{name} is read but not in ENVIRONMENT"
            );
        }
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(s.database_url, "sqlite://newsdesk.db");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.token_ttl_secs, 3600);
        assert!(s.jwt_secret.is_none());
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let short = Settings::from_map(&vars(&[("NEWSDESK_JWT_SECRET", "short")]));
        assert!(short.unwrap_err().contains("at least 32 bytes"));
        let scheme = Settings::from_map(&vars(&[("DATABASE_URL", "mysql://x")]));
        assert!(scheme.unwrap_err().contains("unknown scheme"));
        let ttl = Settings::from_map(&vars(&[("NEWSDESK_TOKEN_TTL", "soon")]));
        assert!(ttl.unwrap_err().contains("NEWSDESK_TOKEN_TTL"));
        let replica = Settings::from_map(&vars(&[("DATABASE_REPLICA_URL", "replica")]));
        assert!(replica.unwrap_err().contains("DATABASE_REPLICA_URL"));
        let nodes = Settings::from_map(&vars(&[("NEWSDESK_GRAPHQL_MAX_NODES", "0")]));
        assert!(nodes.unwrap_err().contains("NEWSDESK_GRAPHQL_MAX_NODES"));
        let body = Settings::from_map(&vars(&[
            ("NEWSDESK_BODY_TIMEOUT_SECS", "60"),
            ("NEWSDESK_REQUEST_TIMEOUT_SECS", "30"),
        ]));
        assert!(body.unwrap_err().contains("must not exceed"));
    }

    #[test]
    fn limits_are_read_in_seconds_and_counts() {
        let s = Settings::from_map(&vars(&[
            ("NEWSDESK_REQUEST_TIMEOUT_SECS", "20"),
            ("NEWSDESK_MAX_CONNECTIONS_PER_CLIENT", "0"),
            ("NEWSDESK_GRAPHQL_MAX_MUTATIONS", "5"),
        ]))
        .unwrap();
        assert_eq!(s.limits.request_timeout, Duration::from_secs(20));
        assert_eq!(s.limits.max_connections_per_client, 0);
        assert_eq!(s.limits.graphql_max_mutations, 5);
        assert_eq!(s.limits.shutdown_grace, Duration::from_secs(10));
    }
}

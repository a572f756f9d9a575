//! Storage: the only layer that speaks diesel. One codebase for SQLite and PostgreSQL through
//! `#[derive(diesel::MultiConnection)]`; per-dialect branches only where SQL truly differs
//! (full-text search, bulk inserts, upserts).

pub mod articles;
pub mod changes;
pub mod comments;
pub mod ids;
pub mod models;
pub mod outbox;
pub mod pool;
pub mod revisions;
pub mod schema;
pub mod search;
pub mod settings;
pub mod sitemaps;
pub mod tags;
pub mod tokens;
pub mod types;
pub mod users;
pub mod webhooks;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use ids::in_ids;
pub use models::*;
pub use pool::{background, ConnectionManager, Kept, Plans, Pool, PooledConn};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

/// The backend type that queries over [`DbConn`] are built for.
pub type Backend = MultiBackend;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl DbConn {
    pub fn dialect(&self) -> Dialect {
        match self {
            DbConn::Sqlite(_) => Dialect::Sqlite,
            DbConn::Pg(_) => Dialect::Postgres,
        }
    }
}

/// Where a database lives, parsed from `DATABASE_URL` by its scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbTarget {
    Sqlite(String),
    Postgres(String),
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://newsdesk.db".into(),
                );
            }
            Ok(DbTarget::Sqlite(path.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DbTarget::Postgres(url.to_owned()))
        } else {
            let scheme = url.split("://").next().unwrap_or(url);
            Err(format!(
                "DATABASE_URL: unknown scheme {scheme:?}; use sqlite://PATH or postgres://..."
            ))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            DbTarget::Sqlite(_) => Dialect::Sqlite,
            DbTarget::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// The longest a request waits for a database connection.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(3);

/// Errors of the storage layer, mapped to API errors by `crate::error`.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A text the database cannot store (PostgreSQL and NUL); input checks should catch it
    /// first.
    #[error("text refused by the database: {0}")]
    InvalidText(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => DbError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(info.message().to_owned())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                info,
            ) => DbError::Unavailable(info.message().to_owned()),
            Error::DatabaseError(_, info) if is_busy(info.message()) => {
                DbError::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                DbError::InvalidText(info.message().to_owned())
            }
            // With its causes: a field that failed to decode names the value it found.
            other => {
                let mut text = other.to_string();
                let mut cause = std::error::Error::source(&other);
                while let Some(c) = cause {
                    text.push_str(": ");
                    text.push_str(&c.to_string());
                    cause = c.source();
                }
                DbError::Other(text)
            }
        }
    }
}

/// Messages of a database too busy to answer now (a lock held too long, a statement past its
/// timeout, a deadlock broken): a retry later may work, so they are 503s, not 500s.
fn is_busy(message: &str) -> bool {
    [
        "database is locked",
        "database table is locked",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "deadlock detected",
    ]
    .iter()
    .any(|m| message.contains(m))
}

impl From<r2d2::PoolError> for DbError {
    fn from(e: r2d2::PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// What a write transaction is, which decides where reads go after it and whether its
/// statements count with the requests'.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Content: reads stay on the primary a while after it (the replica lags).
    Content,
    /// Counters: they may lag on a replica, so reads stay there.
    Counters,
    /// Background upkeep (keeping computed lists): like counters, and not counted.
    Upkeep,
}

/// A handle on the pools. Every call runs on the blocking thread pool, never on an actix worker.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    dialect: Dialect,
    /// SQLite has one writer at a time; serializing our own write transactions here turns
    /// SQLITE_BUSY upgrades into a short wait.
    sqlite_writer: Arc<Mutex<()>>,
    statements: Arc<AtomicU64>,
    /// One permit per pooled connection: requests beyond the pool wait here, asynchronously,
    /// instead of each holding a blocking thread while it waits for a connection.
    permits: Arc<tokio::sync::Semaphore>,
    /// A read replica, when one is configured; see [`Db::read`].
    replica: Option<Replica>,
    /// PostgreSQL connections' statement timeout, if any.
    statement_timeout: Option<Duration>,
}

/// A read-only copy of the primary, and when reads may go to it.
#[derive(Clone)]
struct Replica {
    pool: Pool,
    permits: Arc<tokio::sync::Semaphore>,
    /// How long after a write reads stay on the primary (the replica's worst expected lag).
    sticky: Duration,
    started: Instant,
    /// Milliseconds after `started` until which reads go to the primary.
    primary_until: Arc<AtomicU64>,
}

impl Replica {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn usable(&self) -> bool {
        self.now_ms() >= self.primary_until.load(Ordering::Acquire)
    }

    fn stick_to_primary(&self) {
        let until = self.now_ms().saturating_add(self.sticky.as_millis() as u64);
        self.primary_until.fetch_max(until, Ordering::AcqRel);
    }
}

/// Where a database is and how to use it.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    pub pool_size: u32,
    /// A PostgreSQL replica for reads (`DATABASE_REPLICA_URL`).
    pub replica_url: Option<String>,
    /// How long after a write reads stay on the primary.
    pub replica_sticky: Duration,
    /// PostgreSQL: the longest one statement may run (a lock wait included); `None` for
    /// batch work (seeding, `VACUUM`).
    pub statement_timeout: Option<Duration>,
}

impl DbOptions {
    /// The primary alone, with `pool_size` connections (command-line tools, tests).
    pub fn primary(url: &str, pool_size: u32) -> Self {
        DbOptions {
            url: url.to_owned(),
            pool_size,
            replica_url: None,
            replica_sticky: Duration::from_secs(2),
            statement_timeout: None,
        }
    }
}

/// Opens a pool of `size` connections to `url` (checking first that one connection works).
fn open_pool(
    url: &str,
    size: u32,
    statement_timeout: Option<Duration>,
    statements: Arc<AtomicU64>,
) -> Result<Pool, String> {
    let target = DbTarget::parse(url)?;
    let dialect = target.dialect();
    let manager = ConnectionManager {
        target,
        statement_timeout,
        statements,
    };
    // One connection first: it creates the file and switches it to WAL, so the pool's
    // connections do not race each other for that.
    manager
        .connect()
        .map_err(|e| format!("cannot open the database at {}: {e}", redact(url)))?;
    r2d2::Pool::builder()
        .max_size(size.max(1))
        // A file cannot drop a connection; a server can, so PostgreSQL's are checked.
        .test_on_check_out(dialect == Dialect::Postgres)
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .map_err(|e| format!("cannot open the database at {}: {e}", redact(url)))
}

impl Db {
    /// Connects to the primary (and the replica, if any), checking that each answers.
    pub fn connect(options: &DbOptions) -> Result<Self, String> {
        let dialect = DbTarget::parse(&options.url)?.dialect();
        let statements = Arc::new(AtomicU64::new(0));
        let pool = open_pool(
            &options.url,
            options.pool_size,
            options.statement_timeout,
            statements.clone(),
        )?;
        let replica = match &options.replica_url {
            None => None,
            Some(url) => {
                if DbTarget::parse(url)?.dialect() != Dialect::Postgres
                    || dialect != Dialect::Postgres
                {
                    return Err(
                        "DATABASE_REPLICA_URL: a replica needs PostgreSQL for both the primary \
                         and the replica"
                            .into(),
                    );
                }
                Some(Replica {
                    pool: open_pool(
                        url,
                        options.pool_size,
                        options.statement_timeout,
                        statements.clone(),
                    )?,
                    permits: Arc::new(tokio::sync::Semaphore::new(
                        options.pool_size.max(1) as usize
                    )),
                    sticky: options.replica_sticky,
                    started: Instant::now(),
                    primary_until: Arc::new(AtomicU64::new(0)),
                })
            }
        };
        Ok(Db {
            pool,
            dialect,
            sqlite_writer: Arc::new(Mutex::new(())),
            statements,
            permits: Arc::new(tokio::sync::Semaphore::new(
                options.pool_size.max(1) as usize
            )),
            replica,
            statement_timeout: options.statement_timeout,
        })
    }

    /// Something was written (here or by another node): reads go to the primary until the
    /// replica has had time to catch up.
    pub fn saw_write(&self) {
        if let Some(r) = &self.replica {
            r.stick_to_primary();
        }
    }

    /// Whether reads go to the replica right now.
    pub fn reads_from_replica(&self) -> bool {
        self.replica.as_ref().is_some_and(Replica::usable)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// How many SQL statements the pool's connections have started so far (background work
    /// excepted, see [`background`]).
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn migrate(&self) -> Result<usize, String> {
        let mut conn = self.get().map_err(|e| e.to_string())?;
        self.without_statement_timeout(&mut conn, |conn| {
            let applied = match conn {
                DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
                DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
            };
            let applied = applied.map_err(|e| format!("migration failed: {e}"))?;
            if let DbConn::Sqlite(_) = conn {
                forget_stat4(conn)?;
            }
            search::heads::resume_if_off(conn).map_err(|e| e.to_string())?;
            Ok(applied)
        })
    }

    /// Runs `f` with no statement timeout on `conn` (migrations and `VACUUM` take as long as
    /// the data needs), then puts the pool's timeout back.
    fn without_statement_timeout<T>(
        &self,
        conn: &mut DbConn,
        f: impl FnOnce(&mut DbConn) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.statement_timeout.is_none() || self.dialect != Dialect::Postgres {
            return f(conn);
        }
        conn.batch_execute(&set_statement_timeout(None))
            .map_err(|e| e.to_string())?;
        let out = f(conn);
        conn.batch_execute(&set_statement_timeout(self.statement_timeout))
            .map_err(|e| e.to_string())?;
        out
    }

    /// Refreshes the query planner's statistics, after a bulk load. (Not at start-up: on an
    /// empty database they would describe empty tables and mislead the planner as it grows.)
    pub fn analyze(&self) -> DbResult<()> {
        // On PostgreSQL, VACUUM also marks the new pages all-visible, so counts and list pages
        // are answered from the indexes alone instead of visiting every row.
        let sql = match self.dialect {
            Dialect::Sqlite => "ANALYZE",
            Dialect::Postgres => "VACUUM ANALYZE",
        };
        let mut conn = self.get()?;
        self.without_statement_timeout(&mut conn, |c| {
            c.batch_execute(sql).map_err(|e| e.to_string())?;
            match c {
                DbConn::Sqlite(_) => forget_stat4(c),
                DbConn::Pg(_) => Ok(()),
            }
        })
        .map_err(DbError::Other)
    }

    /// Waits for a turn on the database, at most `QUEUE_TIMEOUT`: past that the server is
    /// overloaded and says so (503 with `Retry-After`) rather than queueing without end.
    async fn permit(
        permits: &Arc<tokio::sync::Semaphore>,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, DbError> {
        match tokio::time::timeout(QUEUE_TIMEOUT, permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(DbError::Unavailable("the database pool is closed".into())),
            Err(_) => Err(DbError::Unavailable("the database is busy".into())),
        }
    }

    /// Runs `f` with a pooled connection on the blocking pool: the replica's when there is
    /// one and nothing was written lately, else the primary's (a node reads its own writes).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.read_on(true, Plans::ForValues, f).await
    }

    /// Like [`Db::read`], its statements planned as `plans` says (see [`Plans`]).
    pub async fn read_planned<T, E, F>(&self, plans: Plans, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.read_on(true, plans, f).await
    }

    /// Runs `f` on the primary, whatever the replica: for reads that must never lag
    /// (a revoked token, a changed password).
    pub async fn read_primary<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.read_on(false, Plans::ForValues, f).await
    }

    async fn read_on<T, E, F>(&self, replica_ok: bool, plans: Plans, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (pool, permits) = match &self.replica {
            Some(r) if replica_ok && r.usable() => (r.pool.clone(), &r.permits),
            _ => (self.pool.clone(), &self.permits),
        };
        let permit = Self::permit(permits).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = checkout(&pool, plans)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Other(format!("blocking task failed: {e}"))))?
    }

    /// Runs `f` inside one transaction: all of it is written, or none of it (an error from
    /// `f` rolls back too).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.transaction(f, Write::Content).await
    }

    /// Like [`Db::write`], for counters: these may lag on a replica, so reads stay there.
    pub async fn write_counters<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.transaction(f, Write::Counters).await
    }

    /// Like [`Db::write_counters`], for background upkeep (keeping computed lists): its
    /// statements, the transaction's own included, are not counted with the requests'.
    pub async fn write_background<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.transaction(f, Write::Upkeep).await
    }

    async fn transaction<T, E, F>(&self, f: F, kind: Write) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let lock = (self.dialect == Dialect::Sqlite).then(|| self.sqlite_writer.clone());
        let permit = Self::permit(&self.permits).await?;
        // Reads stay on the primary from before the write to a while after its commit (the
        // replica's lag starts there), also when the request is cancelled meanwhile.
        let read_own_write = kind == Write::Content;
        let _sticky = read_own_write.then(|| StickToPrimary(self));
        if read_own_write {
            self.saw_write();
        }
        // A request cancelled at its deadline drops this future, but not the blocking task:
        // the task sees the flag and writes nothing, so a 503 never hides a later commit.
        let watch = Abandon::default();
        let abandoned = watch.flag.clone();
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _guard = lock
                .as_ref()
                .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
            let mut conn = checkout(&pool, Plans::ForValues)?;
            if kind == Write::Upkeep {
                background(|| run_transaction(&mut conn, f, Some(&abandoned)))
            } else {
                run_transaction(&mut conn, f, Some(&abandoned))
            }
        })
        .await
        .map_err(|e| E::from(DbError::Other(format!("blocking task failed: {e}"))));
        watch.finished();
        result?
    }

    /// A connection for synchronous callers (command line, seeding).
    pub fn get(&self) -> DbResult<PooledConn> {
        checkout(&self.pool, Plans::ForValues)
    }

    pub async fn ping(&self) -> DbResult<()> {
        self.read(|c: &mut DbConn| -> DbResult<()> {
            c.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

/// A connection of `pool`, planning as `plans` says.
fn checkout(pool: &Pool, plans: Plans) -> DbResult<PooledConn> {
    let mut conn = pool.get()?;
    conn.plan(plans)?;
    Ok(conn)
}

/// Empties SQLite's STAT4 samples, keeping the per-index figures of `sqlite_stat1` (what
/// chooses our indexes). Samples are compared with bound values, which the query planner
/// stability guarantee we build SQLite with (`.cargo/config.toml`) stops it from looking at;
/// in a build without it, they make a statement comparing a column with a bound value be
/// prepared again whenever that value changes (every list's "now", each second: 13% of a list
/// request). `ANALYZE sqlite_schema` makes connections reload the statistics.
fn forget_stat4(conn: &mut DbConn) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found: Vec<Found> = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
    )
    .load(conn)
    .map_err(|e| e.to_string())?;
    if found.first().is_some_and(|f| f.n > 0) {
        conn.batch_execute("DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;")
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The slugs among `slugs` that could name a row: a lookup by anything else can only miss
/// (see [`crate::domain::Slug::is_valid`]), and the database may refuse it.
fn valid_slugs(slugs: &[String]) -> Vec<String> {
    slugs
        .iter()
        .filter(|s| crate::domain::Slug::is_valid(s))
        .cloned()
        .collect()
}

/// The statement that bounds a PostgreSQL session's statements (`0`: no bound).
fn set_statement_timeout(t: Option<Duration>) -> String {
    format!("SET statement_timeout = {}", t.map_or(0, |t| t.as_millis()))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Runs `f` in one transaction on a connection the caller holds (command-line tools).
pub fn in_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DbError>,
{
    run_transaction(conn, f, None)
}

/// Runs `f` within a savepoint of the current transaction: an error undoes only what `f` did,
/// and the transaction goes on (PostgreSQL refuses every later statement of a transaction
/// that met an error outside one).
pub fn savepoint<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DbError>,
{
    use diesel::connection::TransactionManager;
    type Manager = <DbConn as Connection>::TransactionManager;
    Manager::begin_transaction(conn).map_err(|e| E::from(DbError::from(e)))?;
    let outcome = f(conn);
    end_transaction(conn, outcome)
}

/// Commits the current transaction (or savepoint) after `outcome`, or rolls it back after
/// its error.
fn end_transaction<T, E: From<DbError>>(conn: &mut DbConn, outcome: Result<T, E>) -> Result<T, E> {
    use diesel::connection::TransactionManager;
    type Manager = <DbConn as Connection>::TransactionManager;
    match outcome {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(|e| E::from(DbError::from(e)))?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Marks a write seen (see [`Db::saw_write`]) when dropped, after its commit.
struct StickToPrimary<'a>(&'a Db);

impl Drop for StickToPrimary<'_> {
    fn drop(&mut self) {
        self.0.saw_write();
    }
}

/// Set when the request a write belongs to was cancelled (dropped) before the write ended.
#[derive(Default)]
struct Abandon {
    flag: Arc<std::sync::atomic::AtomicBool>,
    /// Cleared once the write has ended: dropping this no longer means anything.
    ended: bool,
}

impl Abandon {
    fn finished(mut self) {
        self.ended = true;
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if !self.ended {
            self.flag.store(true, Ordering::Release);
        }
    }
}

/// Runs `f` in one write transaction: all of it is written, or none of it.
///
/// On SQLite it begins `IMMEDIATE`, taking the write lock up front: a deferred transaction
/// that reads first and writes later cannot wait for the lock (SQLite answers "database is
/// locked" at once when another connection wrote since the read), so a writer in another
/// process (the command line beside a server) would fail instead of waiting. `abandoned`,
/// when set by then, rolls the work back instead of committing it.
fn run_transaction<T, E, F>(
    conn: &mut DbConn,
    f: F,
    abandoned: Option<&std::sync::atomic::AtomicBool>,
) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DbError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConn as Connection>::TransactionManager;
    let is_abandoned = || abandoned.is_some_and(|a| a.load(Ordering::Acquire));
    let cancelled = || E::from(DbError::Unavailable("the request was cancelled".into()));
    if is_abandoned() {
        return Err(cancelled());
    }
    let begun = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConn::Pg(_) => Manager::begin_transaction(conn),
    };
    begun.map_err(|e| E::from(DbError::from(e)))?;
    let outcome = f(conn).and_then(|v| {
        if is_abandoned() {
            Err(cancelled())
        } else {
            Ok(v)
        }
    });
    end_transaction(conn, outcome)
}

/// Database names the test and benchmark helpers may create: lowercase, digits, underscores.
fn check_db_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(())
        .ok_or_else(|| format!("{name:?} is not a plain database name"))
}

/// Creates an empty PostgreSQL database `name` through the server at `admin_url`, and
/// returns the URL of the new database.
pub fn create_pg_database(admin_url: &str, name: &str) -> Result<String, String> {
    check_db_name(name)?;
    let mut conn = diesel::PgConnection::establish(admin_url).map_err(|e| e.to_string())?;
    // Two calls: several statements in one would run in one transaction, which these refuse.
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(|e| e.to_string())?;
    let mut url = url::Url::parse(admin_url).map_err(|e| e.to_string())?;
    url.set_path(name);
    Ok(url.to_string())
}

/// Drops a database made by [`create_pg_database`], closing its connections.
pub fn drop_pg_database(admin_url: &str, name: &str) -> Result<(), String> {
    check_db_name(name)?;
    let mut conn = diesel::PgConnection::establish(admin_url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_dropped_before_it_ended_is_marked_abandoned() {
        let cancelled = Abandon::default();
        let flag = cancelled.flag.clone();
        drop(cancelled);
        assert!(flag.load(Ordering::Acquire));

        let ended = Abandon::default();
        let flag = ended.flag.clone();
        ended.finished();
        assert!(!flag.load(Ordering::Acquire));
        assert_eq!(
            Arc::strong_count(&flag),
            1,
            "nothing is kept after the write"
        );
    }

    #[test]
    fn busy_and_timed_out_statements_are_unavailable_not_internal() {
        assert!(is_busy("database is locked"));
        assert!(is_busy("canceling statement due to statement timeout"));
        assert!(!is_busy("syntax error"));
    }
}

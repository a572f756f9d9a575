//! The connection pool's manager: opens connections with their settings, counts their
//! statements, and decides when a PostgreSQL connection must be checked before use.
//!
//! A PostgreSQL server can drop a connection (a restart, `pg_terminate_backend`, a proxy's
//! idle timeout), so the pool checks one with `SELECT 1` before lending it. Under load that
//! was one round trip in four on an uncached page, for a connection that had answered a few
//! milliseconds before. Like HikariCP's bypass window, a connection handed back less than
//! [`TRUSTED_FOR`] ago, whose statements all succeeded, is lent without the check. One dropped
//! in that window fails the statement that meets it (`503`, `Retry-After`); the failure marks
//! it, so its next checkout checks it and the pool replaces it.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use super::{DbConn, DbTarget};

/// How long after its return a connection that met no error is lent unchecked.
pub const TRUSTED_FOR: Duration = Duration::from_millis(500);

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How PostgreSQL plans the statements a connection runs (`plan_cache_mode`).
///
/// PostgreSQL plans a prepared statement again at each execution, for its values (a custom
/// plan), unless the plan it would make without them is estimated no dearer. For our lists
/// it never is: their `LIMIT` is a parameter, and without its value the planner reckons on
/// 10% of the table. So every execution of a list's statements paid ~0.19 ms of planning,
/// a third of PostgreSQL's time on an uncached latest page, for the same plan each time.
/// SQLite ignores this (it plans a statement once, when it is prepared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plans {
    /// Planned for the values at each execution (PostgreSQL's default, `auto`): for
    /// statements whose best plan depends on them. A search's words decide between the GIN
    /// index and the list's; a status a table barely holds (drafts) wants its index; and a
    /// partial index (`WHERE dispatched = FALSE`) serves only a plan that knows the value.
    ForValues,
    /// Planned once per connection and statement, without the values
    /// (`force_generic_plan`): for the public reads whose plan is the same whatever they are
    /// (by id, by slug, a public list or a tag's in its own index).
    Once,
}

impl Plans {
    fn setting(self) -> &'static str {
        match self {
            Plans::ForValues => "SET plan_cache_mode = auto",
            Plans::Once => "SET plan_cache_mode = force_generic_plan",
        }
    }
}

/// A pooled connection and what the pool knows of its health. It derefs to [`DbConn`].
pub struct Kept {
    conn: DbConn,
    /// How its statements are planned now (PostgreSQL; see [`Kept::plan`]).
    plans: Plans,
    /// When it last went back to the pool (or was opened).
    returned: Instant,
    /// Set by its instrumentation when a statement fails on it; cleared by a check.
    failed: Arc<AtomicBool>,
}

impl Deref for Kept {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for Kept {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Kept {
    /// Makes the connection plan its statements as `plans` says: one round trip on
    /// PostgreSQL when that changes, none otherwise (a connection keeps its setting across
    /// checkouts). Upkeep, so not counted with the requests' statements.
    pub fn plan(&mut self, plans: Plans) -> QueryResult<()> {
        if self.plans == plans || matches!(self.conn, DbConn::Sqlite(_)) {
            return Ok(());
        }
        background(|| self.conn.batch_execute(plans.setting()))?;
        self.plans = plans;
        Ok(())
    }

    /// Whether it may be lent without a round trip: back recently, and nothing failed on it
    /// since its last check. Answering, it forgets a failure (the check comes next).
    fn trusted(&mut self) -> bool {
        let failed = self.failed.swap(false, Ordering::AcqRel);
        !failed && self.returned.elapsed() < TRUSTED_FOR
    }
}

/// An r2d2 manager that picks the backend from the URL scheme (the derived `establish` would
/// try each backend in turn, and SQLite takes any string as a file name).
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    pub(super) target: DbTarget,
    pub(super) statement_timeout: Option<Duration>,
    /// Every statement any pooled connection starts, counted (tests prove batching with it).
    pub(super) statements: Arc<AtomicU64>,
}

thread_local! {
    /// Set while background work (the webhook worker's polling) runs on this thread.
    static BACKGROUND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` as background work: its statements are not counted with the requests'.
pub fn background<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            BACKGROUND.with(|b| b.set(self.0));
        }
    }
    let _reset = Reset(BACKGROUND.with(|b| b.replace(true)));
    f()
}

impl ConnectionManager {
    /// Counts the connection's statements, and marks it when one fails.
    fn instrument(&self, conn: &mut DbConn, failed: Arc<AtomicBool>) {
        let counter = self.statements.clone();
        let watch = move |event: diesel::connection::InstrumentationEvent<'_>| match event {
            diesel::connection::InstrumentationEvent::StartQuery { .. }
                if !BACKGROUND.with(std::cell::Cell::get) =>
            {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            diesel::connection::InstrumentationEvent::FinishQuery { error: Some(_), .. } => {
                failed.store(true, Ordering::Release);
            }
            _ => {}
        };
        match conn {
            DbConn::Sqlite(c) => c.set_instrumentation(watch),
            DbConn::Pg(c) => c.set_instrumentation(watch),
        }
    }

    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match &self.target {
            DbTarget::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(r2d2::Error::ConnectionError)?;
                // Every pooled connection gets the same settings: WAL lets readers run beside
                // the writer, busy_timeout makes writers wait instead of failing.
                // busy_timeout comes first so the rest waits for a lock instead of failing.
                // A page cache of 1 MB per connection: the operating system caches the file
                // anyway; at 2 MB the pool's caches held 16 MB of the 100 MB goal, and the
                // cache-off benchmark measured no difference in req/s between the two.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -1000;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
            DbTarget::Postgres(url) => {
                // libpq speaks TLS through OpenSSL, which by default frees its state from an
                // `atexit` handler: a pool's thread still closing a connection while the process
                // exits then meets freed memory ("double free or corruption" once, at the end of
                // the test binary). Initialised first without that handler, OpenSSL leaves its
                // state to the process's end (a no-op after the first call).
                openssl_sys::init();
                let mut conn = diesel::PgConnection::establish(url)
                    .map(DbConn::Pg)
                    .map_err(r2d2::Error::ConnectionError)?;
                if let Some(t) = self.statement_timeout {
                    // A statement stuck behind a lock gives up instead of holding a
                    // connection (and a blocking thread) past its request's deadline.
                    conn.batch_execute(&super::set_statement_timeout(Some(t)))
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(conn)
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = Kept;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Kept, r2d2::Error> {
        let mut conn = self.open()?;
        let failed = Arc::new(AtomicBool::new(false));
        self.instrument(&mut conn, failed.clone());
        Ok(Kept {
            conn,
            plans: Plans::ForValues,
            returned: Instant::now(),
            failed,
        })
    }

    /// The pool's check on checkout (PostgreSQL), skipped for a connection trusted still
    /// (see the module's comment). Upkeep, not the work of whoever checks the connection
    /// out, so not counted with the requests' statements.
    fn is_valid(&self, conn: &mut Kept) -> Result<(), r2d2::Error> {
        if conn.trusted() {
            return Ok(());
        }
        background(|| conn.conn.batch_execute("SELECT 1")).map_err(r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction (a rollback that failed) is not reused; any
    /// other is stamped with the time it came back.
    fn has_broken(&self, conn: &mut Kept) -> bool {
        conn.returned = Instant::now();
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

//! Use-cases: validation, authorization and the calls into `db`. REST and GraphQL both call
//! these functions and nothing below them.

pub mod abuse;
pub mod accounts;
pub mod articles;
pub mod auth;
pub mod cache;
pub mod caller;
pub mod changes;
pub mod comments;
pub mod counters;
pub mod events;
pub mod feeds;
pub mod memo;
pub mod paging;
pub mod prefetch;
pub mod schedule;
pub mod site;
pub mod tags;
pub mod text;
pub mod tokens;
pub mod webhooks;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::{self, ArticleStatus, Role};
use crate::error::{AppError, AppResult};

pub use auth::{Principal, TokenKeys};
pub use caller::{Caller, Client};

/// What every use-case needs: the database, the settings, the token keys and the counters
/// not yet written. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<TokenKeys>,
    pub counters: Arc<counters::Counters>,
    pub cache: Arc<cache::ResponseCache>,
    /// This process's name in the change feed between nodes.
    pub node: Arc<str>,
    /// When the next scheduled article goes live.
    pub schedule: Arc<schedule::Schedule>,
    /// Rate limits, counted-once views and the spam check (API.md "Abuse resistance").
    pub abuse: Arc<abuse::Abuse>,
    /// Wakes the webhook worker when an event it sends was recorded.
    pub webhooks: Arc<webhooks::Worker>,
    /// Computed related lists kept ready, and those computed but not stored yet.
    pub related: Arc<articles::ReadyRelated>,
    /// Searched words waiting for the heads of their lists (PostgreSQL).
    pub search_heads: Arc<articles::SearchHeads>,
    /// Summaries may be waiting to be rendered in the background: set at start (rows from
    /// before summaries were kept) and by a write that left some.
    pub summaries_waiting: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// Opens the database for serving (a statement may not outlive its request), applies
    /// migrations and loads (or creates) the signing secret.
    pub async fn open(settings: Settings) -> Result<Self, String> {
        let options = settings.db_options();
        Self::open_with(settings, options).await
    }

    /// Like [`AppState::open`], for batch work from the command line (seeding): statements
    /// run as long as they need.
    pub async fn open_for_batch(settings: Settings) -> Result<Self, String> {
        let options = crate::db::DbOptions {
            statement_timeout: None,
            ..settings.db_options()
        };
        Self::open_with(settings, options).await
    }

    async fn open_with(settings: Settings, options: crate::db::DbOptions) -> Result<Self, String> {
        let db = Db::connect(&options)?;
        db.migrate()?;
        let keys = TokenKeys::load(&db, &settings).await?;
        Ok(AppState {
            db,
            keys: Arc::new(keys),
            counters: Arc::new(counters::Counters::default()),
            cache: Arc::new(cache::ResponseCache::new(settings.cache_bytes)),
            node: changes::new_node_id().into(),
            schedule: Arc::default(),
            abuse: Arc::new(abuse::Abuse::new(&settings.abuse)),
            webhooks: Arc::default(),
            related: Arc::new(articles::ReadyRelated::new(settings.related_max_age)),
            search_heads: Arc::default(),
            summaries_waiting: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            settings: Arc::new(settings),
        })
    }

    /// A write: one transaction in which the use-case also pushes the events it caused.
    /// They are recorded in the outbox in that transaction (and the other nodes told where),
    /// and after the commit this node's cache drops what they make stale.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut crate::db::DbConn, &mut events::Events) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let node = self.node.clone();
        // A request cancelled at its deadline drops this future; its write may have
        // committed just before, with events this node never sees: then everything goes.
        let mut unsure = Unsure(Some(self));
        let written = self
            .db
            .write(move |c| {
                let mut caused = events::Events::default();
                let out = f(c, &mut caused)?;
                // What the write made outdated is rendered before it commits.
                let rendered = articles::render_pending(c, articles::RENDERED_BY_A_WRITE)?;
                let recorded = events::record(c, &node, caused.into_iter().map(|e| (e, None)))?;
                Ok::<_, AppError>((out, recorded, rendered))
            })
            .await;
        // An error rolled the transaction back: nothing changed.
        unsure.0 = None;
        let (out, recorded, rendered) = written?;
        articles::after_commit(self, rendered);
        // Any write may move the schedule on this node (the others hear of it by event).
        self.schedule.changed();
        self.applied(&recorded);
        Ok(out)
    }

    /// Applies events that committed (this node's, or another's read from the outbox).
    pub fn applied(&self, recorded: &[events::Event]) {
        if recorded.iter().any(events::Event::moves_schedule) {
            self.schedule.changed();
        }
        for event in recorded {
            self.cache.apply(event.stale());
        }
        if recorded.iter().any(events::Event::has_webhook) {
            self.webhooks.wake();
        }
    }
}

/// Drops every cached response (and re-reads the schedule) when dropped while set.
struct Unsure<'a>(Option<&'a AppState>);

impl Drop for Unsure<'_> {
    fn drop(&mut self) {
        if let Some(state) = self.0 {
            state.cache.invalidate();
            state.schedule.changed();
        }
    }
}

/// Who is reading: nobody in particular, a signed-in account, or the holder of one
/// article's preview link. What each may see is decided here and nowhere else
/// ([`Access::may_read_article`]).
#[derive(Debug, Clone, Default)]
pub enum Access {
    #[default]
    Anonymous,
    User(Principal),
    /// A verified preview link: that one article, whatever its status, and nothing else.
    Preview {
        article_id: i64,
    },
}

impl Access {
    /// The signed-in account, if any.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Access::User(p) => Some(p),
            Access::Anonymous | Access::Preview { .. } => None,
        }
    }

    pub fn is_signed_in(&self) -> bool {
        self.principal().is_some()
    }

    /// Whether this reader edits everything (and so sees unpublished work and emails).
    pub fn is_editor(&self) -> bool {
        self.principal().is_some_and(|p| p.role.is_editor())
    }

    /// Whether this reader may see the article `id`: everyone sees live ones; editors see
    /// all, an author those they sign, and a preview link its own article, whatever the
    /// status. `signs(user)` tells whether the account is on the article's byline; it is
    /// asked only when that decides.
    pub fn may_read_article(
        &self,
        id: i64,
        status: ArticleStatus,
        published_at: Option<chrono::NaiveDateTime>,
        now: chrono::NaiveDateTime,
        signs: impl FnOnce(i64) -> crate::error::AppResult<bool>,
    ) -> crate::error::AppResult<bool> {
        if status.is_live(published_at, now) {
            return Ok(true);
        }
        match self {
            Access::User(p) => p.edits(signs),
            Access::Preview { article_id } => Ok(*article_id == id),
            Access::Anonymous => Ok(false),
        }
    }
}

/// The signed-in account, or 401.
pub(crate) fn require_user(viewer: &Access) -> Result<&Principal, crate::error::AppError> {
    viewer.principal().ok_or_else(|| {
        crate::error::AppError::Unauthorized("this needs a bearer token; log in first".into())
    })
}

/// An account of at least `role`, else 401 (no token) or 403.
pub(crate) fn require_role(
    viewer: &Access,
    role: Role,
) -> Result<&Principal, crate::error::AppError> {
    let p = require_user(viewer)?;
    let allowed = match role {
        Role::Author => true,
        Role::Editor => p.role.is_editor(),
        Role::Admin => p.role.is_admin(),
    };
    if allowed {
        Ok(p)
    } else {
        Err(crate::error::AppError::Forbidden(format!(
            "this needs the {role} role or higher"
        )))
    }
}

/// How often an insert takes the next free slug after losing one to a concurrent writer.
const SLUG_RACE_RETRIES: u32 = 32;

/// Inserts a row named by `slug`. When the slug was derived (not the client's) and a
/// concurrent writer took it between our look and our insert (PostgreSQL reports that race as
/// a unique violation; SQLite's single writer never races), it takes the next free slug and
/// tries again, so concurrent creates behave alike on both backends. Any other failure, and
/// a clash on a slug the client chose, goes to `refused`.
pub(crate) fn insert_with_slug<T>(
    c: &mut crate::db::DbConn,
    mut slug: domain::Slug,
    derived: bool,
    slug_taken: fn(&mut crate::db::DbConn, &str) -> crate::db::DbResult<bool>,
    mut next_free: impl FnMut(&mut crate::db::DbConn) -> AppResult<domain::Slug>,
    mut insert: impl FnMut(&mut crate::db::DbConn, &domain::Slug) -> crate::db::DbResult<T>,
    refused: impl FnOnce(&domain::Slug, crate::db::DbError) -> AppError,
) -> AppResult<T> {
    let mut lost = 0;
    loop {
        match crate::db::savepoint(c, |c| insert(c, &slug)) {
            Ok(v) => return Ok(v),
            Err(crate::db::DbError::Conflict(_))
                if derived && lost < SLUG_RACE_RETRIES && slug_taken(c, slug.as_str())? =>
            {
                lost += 1;
                slug = next_free(c)?;
            }
            Err(e) => return Err(refused(&slug, e)),
        }
    }
}

/// The first of `base`, `base-2`, `base-3`... below `base-{limit}` that `taken` says is free.
pub(crate) fn first_free_slug(
    base: domain::Slug,
    limit: u32,
    mut taken: impl FnMut(&str) -> AppResult<bool>,
) -> AppResult<Option<domain::Slug>> {
    if !taken(base.as_str())? {
        return Ok(Some(base));
    }
    for n in 2..limit {
        let candidate = base.with_suffix(n);
        if !taken(candidate.as_str())? {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

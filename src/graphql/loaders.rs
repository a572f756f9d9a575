//! DataLoaders: per-request batching over the same service batch functions the REST lists use,
//! so a page of articles with nested fields costs a fixed number of statements.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::db::{ArticleBodyRow, Plans};
use crate::error::AppError;
use crate::model::{ArticleBrief, ArticleCard, Author, Comment, Tag};
use crate::service::paging::{Page, PageParams, PageRequest};
use crate::service::prefetch::{CommentPageArgs, Prefetched};
use crate::service::{accounts, articles, comments, tags, Access, AppState};

pub type LoadError = Arc<AppError>;

type Cached<T> = DataLoader<T, HashMapCache>;

/// Every loader of one request. Their caches live as long as the request; lists fill them
/// ahead (`feed`), and whatever was not fed is batched by the loaders themselves.
pub struct Loaders {
    pub bodies: Cached<BodyLoader>,
    pub tags: Cached<TagLoader>,
    pub authors: Cached<AuthorLoader>,
    pub related: Cached<RelatedLoader>,
    pub cards: Cached<CardLoader>,
    pub comment_pages: Cached<CommentPageLoader>,
    pub replies: Cached<ReplyLoader>,
}

impl Loaders {
    pub fn new(state: &AppState, viewer: &Access) -> Self {
        let show_email = viewer.is_editor();
        fn cached<T>(loader: T) -> Cached<T> {
            DataLoader::with_cache(
                loader,
                |f| {
                    tokio::spawn(f);
                },
                HashMapCache::default(),
            )
        }
        Loaders {
            bodies: cached(BodyLoader(state.clone())),
            tags: cached(TagLoader(state.clone())),
            authors: cached(AuthorLoader(state.clone())),
            related: cached(RelatedLoader(state.clone())),
            cards: cached(CardLoader(state.clone())),
            comment_pages: cached(CommentPageLoader {
                state: state.clone(),
                show_email,
            }),
            replies: cached(ReplyLoader {
                state: state.clone(),
                show_email,
            }),
        }
    }

    /// Puts what a list loaded ahead into the caches.
    pub async fn feed(&self, p: Prefetched) {
        self.bodies.feed_many(p.bodies).await;
        self.tags.feed_many(p.tags).await;
        self.authors.feed_many(p.authors).await;
        self.related.feed_many(p.related).await;
        self.cards.feed_many(p.cards).await;
        self.comment_pages.feed_many(p.comment_pages).await;
        self.replies.feed_many(p.replies).await;
    }
}

/// Article bodies by article id.
pub struct BodyLoader(AppState);

impl Loader<i64> for BodyLoader {
    type Value = ArticleBodyRow;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, ArticleBodyRow>, LoadError> {
        let keys = keys.to_vec();
        self.0
            .db
            .read_planned(Plans::Once, move |c| articles::bodies(c, &keys))
            .await
            .map_err(Arc::new)
    }
}

/// Tags (with their live article counts) by tag id.
pub struct TagLoader(AppState);

impl Loader<i64> for TagLoader {
    type Value = Tag;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Tag>, LoadError> {
        let keys = keys.to_vec();
        let found = self
            .0
            .db
            .read_planned(Plans::Once, move |c| tags::by_ids(c, &keys))
            .await
            .map_err(Arc::new)?;
        Ok(found.into_iter().map(|t| (t.id, t)).collect())
    }
}

/// Public author profiles by user id.
pub struct AuthorLoader(AppState);

impl Loader<i64> for AuthorLoader {
    type Value = Author;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Author>, LoadError> {
        let keys = keys.to_vec();
        let found = self
            .0
            .db
            .read_planned(Plans::Once, move |c| accounts::authors_by_ids(c, &keys))
            .await
            .map_err(Arc::new)?;
        Ok(found.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// The bylines, tags and share counts of articles found without them (related lists), by
/// article id.
pub struct CardLoader(AppState);

impl Loader<i64> for CardLoader {
    type Value = ArticleCard;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, ArticleCard>, LoadError> {
        let keys = keys.to_vec();
        self.0
            .db
            .read_planned(Plans::Once, move |c| articles::cards(c, &keys))
            .await
            .map_err(Arc::new)
    }
}

/// Related articles by (article id, limit), without their cards (`CardLoader` has them);
/// one batch per distinct limit.
pub struct RelatedLoader(AppState);

impl Loader<(i64, i64)> for RelatedLoader {
    type Value = Vec<ArticleBrief>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), Vec<ArticleBrief>>, LoadError> {
        let keys = keys.to_vec();
        let cache = self.0.cache.clone();
        let ready = self.0.related.clone();
        self.0
            .db
            .read_planned(Plans::Once, move |c| {
                let mut by_limit: HashMap<i64, Vec<i64>> = HashMap::new();
                for (id, limit) in &keys {
                    by_limit.entry(*limit).or_default().push(*id);
                }
                let mut out = HashMap::new();
                for (limit, ids) in by_limit {
                    let found = articles::related_briefs_for(c, &cache, &ready, &ids, limit)?;
                    for (id, list) in found.lists {
                        out.insert((id, limit), list);
                    }
                }
                Ok(out)
            })
            .await
            .map_err(Arc::new)
    }
}

/// A page of an article's approved top-level comments, by (article id, paging); one batch
/// per distinct paging.
pub struct CommentPageLoader {
    state: AppState,
    show_email: bool,
}

impl Loader<(i64, CommentPageArgs)> for CommentPageLoader {
    type Value = Page<Comment>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(i64, CommentPageArgs)],
    ) -> Result<HashMap<(i64, CommentPageArgs), Page<Comment>>, LoadError> {
        let keys = keys.to_vec();
        let show_email = self.show_email;
        self.state
            .db
            .read_planned(Plans::Once, move |c| {
                let mut by_args: HashMap<CommentPageArgs, Vec<i64>> = HashMap::new();
                for (id, args) in &keys {
                    by_args.entry(args.clone()).or_default().push(*id);
                }
                let mut out = HashMap::new();
                for (args, ids) in by_args {
                    let req = PageRequest::parse(&PageParams {
                        per_page: args.first,
                        cursor: args.after.clone(),
                        ..Default::default()
                    })?;
                    for (id, page) in comments::pages_for(c, &ids, &req, show_email)? {
                        out.insert((id, args.clone()), page);
                    }
                }
                Ok(out)
            })
            .await
            .map_err(Arc::new)
    }
}

/// Approved replies by parent comment id.
pub struct ReplyLoader {
    state: AppState,
    show_email: bool,
}

impl Loader<i64> for ReplyLoader {
    type Value = Vec<Comment>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Comment>>, LoadError> {
        let keys = keys.to_vec();
        let show_email = self.show_email;
        self.state
            .db
            .read_planned(Plans::Once, move |c| {
                comments::replies_for(c, &keys, show_email)
            })
            .await
            .map_err(Arc::new)
    }
}

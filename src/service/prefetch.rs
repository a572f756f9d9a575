//! Loading what a page of articles will show, for many articles at once, in one pass over the
//! database: GraphQL describes what a query selects, this loads it in a fixed number of
//! statements whatever the page size, and the GraphQL loaders serve it from their caches.

use std::collections::HashMap;

use super::cache::ResponseCache;
use super::paging::{Page, PageParams, PageRequest};
use super::{accounts, articles, comments, tags, AppState};
use crate::db::{ArticleBodyRow, DbConn};
use crate::error::{AppError, AppResult};
use crate::model::{ArticleSummary, Author, Comment, Tag};

/// The paging of a nested comments list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommentPageArgs {
    pub first: Option<i64>,
    pub after: Option<String>,
}

/// What a selection of articles needs beyond their summaries.
#[derive(Debug, Clone, Default)]
pub struct ArticleNeeds {
    pub body: bool,
    pub tag_details: bool,
    pub author_details: bool,
    /// Related lists by limit, and what their articles need in turn.
    pub related: Vec<(i64, ArticleNeeds)>,
    /// Comment pages by paging, and how many levels of replies below them.
    pub comments: Vec<(CommentPageArgs, usize)>,
}

impl ArticleNeeds {
    /// Both selections' needs (a field asked for twice, or under two names).
    pub fn merge(mut self, other: ArticleNeeds) -> ArticleNeeds {
        self.body |= other.body;
        self.tag_details |= other.tag_details;
        self.author_details |= other.author_details;
        for (limit, nested) in other.related {
            match self.related.iter_mut().find(|(l, _)| *l == limit) {
                Some((_, mine)) => *mine = std::mem::take(mine).merge(nested),
                None => self.related.push((limit, nested)),
            }
        }
        for (args, depth) in other.comments {
            match self.comments.iter_mut().find(|(a, _)| *a == args) {
                Some((_, mine)) => *mine = (*mine).max(depth),
                None => self.comments.push((args, depth)),
            }
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        !self.body
            && !self.tag_details
            && !self.author_details
            && self.related.is_empty()
            && self.comments.is_empty()
    }
}

/// Everything loaded for the needs, keyed as the GraphQL loaders key it.
#[derive(Default)]
pub struct Prefetched {
    pub bodies: HashMap<i64, ArticleBodyRow>,
    pub tags: HashMap<i64, Tag>,
    pub authors: HashMap<i64, Author>,
    pub related: HashMap<(i64, i64), Vec<ArticleSummary>>,
    pub comment_pages: HashMap<(i64, CommentPageArgs), Page<Comment>>,
    pub replies: HashMap<i64, Vec<Comment>>,
}

/// Loads what `needs` asks for the `articles`, on one connection.
pub async fn load(
    state: &AppState,
    needs: ArticleNeeds,
    articles: Vec<ArticleSummary>,
    show_email: bool,
) -> AppResult<Prefetched> {
    if needs.is_empty() || articles.is_empty() {
        return Ok(Prefetched::default());
    }
    let cache = state.cache.clone();
    let ready = state.related.clone();
    state
        .db
        .read(move |c| {
            let mut out = Prefetched::default();
            let related = (&*cache, &*ready);
            fill(c, related, &needs, &articles, show_email, &mut out)?;
            Ok(out)
        })
        .await
}

/// What related lists are made of: the tag sizes they weigh by, and the lists kept ready.
type RelatedSources<'a> = (&'a ResponseCache, &'a articles::ReadyRelated);

fn fill(
    c: &mut DbConn,
    related: RelatedSources<'_>,
    needs: &ArticleNeeds,
    items: &[ArticleSummary],
    show_email: bool,
    out: &mut Prefetched,
) -> AppResult<()> {
    let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if needs.body {
        out.bodies.extend(articles::bodies(c, &ids)?);
    }
    if needs.tag_details {
        let mut tag_ids: Vec<i64> = items
            .iter()
            .flat_map(|a| a.tags.iter().map(|t| t.id))
            .collect();
        tag_ids.sort_unstable();
        tag_ids.dedup();
        tag_ids.retain(|id| !out.tags.contains_key(id));
        out.tags
            .extend(tags::by_ids(c, &tag_ids)?.into_iter().map(|t| (t.id, t)));
    }
    if needs.author_details {
        let mut author_ids: Vec<i64> = items
            .iter()
            .flat_map(|a| a.authors.iter().map(|x| x.id))
            .collect();
        author_ids.sort_unstable();
        author_ids.dedup();
        author_ids.retain(|id| !out.authors.contains_key(id));
        out.authors.extend(
            accounts::authors_by_ids(c, &author_ids)?
                .into_iter()
                .map(|a| (a.id, a)),
        );
    }
    for (limit, nested) in &needs.related {
        let lists = match articles::related_for(c, related.0, related.1, &ids, *limit) {
            Ok(l) => l.lists,
            Err(AppError::Validation(_)) => continue,
            Err(e) => return Err(e),
        };
        let mut all: Vec<ArticleSummary> = Vec::new();
        for (id, list) in lists {
            for a in &list {
                if !all.iter().any(|x| x.id == a.id) {
                    all.push(a.clone());
                }
            }
            out.related.insert((id, *limit), list);
        }
        fill(c, related, nested, &all, show_email, out)?;
    }
    for (args, reply_depth) in &needs.comments {
        // Bad paging is left for the field itself to report.
        let Ok(req) = PageRequest::parse(&PageParams {
            per_page: args.first,
            cursor: args.after.clone(),
            ..Default::default()
        }) else {
            continue;
        };
        let pages = match comments::pages_for(c, &ids, &req, show_email) {
            Ok(p) => p,
            Err(AppError::Validation(_)) => continue,
            Err(e) => return Err(e),
        };
        let mut parents: Vec<i64> = pages
            .values()
            .flat_map(|p| p.items.iter().map(|c| c.id))
            .collect();
        for (id, page) in pages {
            out.comment_pages.insert((id, args.clone()), page);
        }
        // Each level of replies is one statement.
        for _ in 0..*reply_depth {
            parents.retain(|p| !out.replies.contains_key(p));
            if parents.is_empty() {
                break;
            }
            let replies = comments::replies_for(c, &parents, show_email)?;
            let next: Vec<i64> = replies.values().flatten().map(|r| r.id).collect();
            for p in &parents {
                out.replies.insert(*p, Vec::new());
            }
            out.replies.extend(replies);
            parents = next;
        }
    }
    Ok(())
}

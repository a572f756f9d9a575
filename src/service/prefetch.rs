//! Loading what a page of articles will show, for many articles at once, in one pass over the
//! database: GraphQL describes what a query selects, this loads it in a fixed number of
//! statements whatever the page size, and the GraphQL loaders serve it from their caches.

use std::collections::HashMap;

use super::cache::ResponseCache;
use super::paging::{Page, PageParams, PageRequest};
use super::{accounts, articles, comments, tags, Access, AppState};
use crate::db::{ArticleBodyRow, DbConn};
use crate::error::{AppError, AppResult};
use crate::model::{
    Article, ArticleBrief, ArticleCard, ArticleSummary, Author, AuthorRef, Comment, Tag, TagRef,
};

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
    /// The byline, tags or share counts (what a card holds): nested related lists read them
    /// only when shown.
    pub cards: bool,
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
        self.cards |= other.cards;
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
        // `cards` alone asks nothing of summaries (they carry theirs), and nested lists are
        // in `related`.
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
    pub related: HashMap<(i64, i64), Vec<ArticleBrief>>,
    /// The cards of the related lists' articles, when shown.
    pub cards: HashMap<i64, ArticleCard>,
    pub comment_pages: HashMap<(i64, CommentPageArgs), Page<Comment>>,
    pub replies: HashMap<i64, Vec<Comment>>,
}

/// Loads what `needs` asks for the `articles`, on one connection.
pub async fn load(
    state: &AppState,
    needs: ArticleNeeds,
    articles: &[ArticleSummary],
    show_email: bool,
) -> AppResult<Prefetched> {
    if needs.is_empty() || articles.is_empty() {
        return Ok(Prefetched::default());
    }
    let level = Level::of_summaries(articles);
    let cache = state.cache.clone();
    let ready = state.related.clone();
    state
        .db
        .read_planned(crate::db::Plans::Once, move |c| {
            let mut out = Prefetched::default();
            fill(c, (&cache, &ready), &needs, &level, show_email, &mut out)?;
            Ok(out)
        })
        .await
}

/// One article as `articles::get` reads it, and what `needs` asks beyond it, on one
/// connection in one trip to the blocking pool: a GraphQL article page's statements are
/// issued together.
pub async fn article_with(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    needs: ArticleNeeds,
) -> AppResult<(Article, Prefetched)> {
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    let show_email = viewer.is_editor();
    let cache = state.cache.clone();
    let ready = state.related.clone();
    state
        .db
        .read_planned(crate::db::Plans::Once, move |c| {
            let article = articles::read_article(c, &slug, &viewer)?;
            let mut out = Prefetched::default();
            if !needs.is_empty() {
                let level = Level::of_summaries(std::slice::from_ref(&article.summary));
                fill(c, (&cache, &ready), &needs, &level, show_email, &mut out)?;
            }
            Ok((article, out))
        })
        .await
}

/// What related lists are made of: the tag sizes they weigh by, and the lists kept ready.
type RelatedSources<'a> = (&'a ResponseCache, &'a articles::ReadyRelated);

/// The articles one level of a selection shows: their ids, and the tags and authors their
/// cards name.
struct Level {
    ids: Vec<i64>,
    tag_ids: Vec<i64>,
    author_ids: Vec<i64>,
}

impl Level {
    fn of_summaries(items: &[ArticleSummary]) -> Level {
        let ids = items.iter().map(|a| a.id).collect();
        Level::new(ids, items.iter().map(|a| (&a.tags[..], &a.authors[..])))
    }

    /// `ids` with what their cards (loaded in `cards`) name; those without a card name none.
    fn of_cards(ids: Vec<i64>, cards: &HashMap<i64, ArticleCard>) -> Level {
        let refs = ids
            .iter()
            .filter_map(|id| cards.get(id))
            .map(|c| (&c.tags[..], &c.authors[..]))
            .collect::<Vec<_>>();
        Level::new(ids, refs.into_iter())
    }

    fn new<'a>(
        ids: Vec<i64>,
        refs: impl Iterator<Item = (&'a [TagRef], &'a [AuthorRef])>,
    ) -> Level {
        let (mut tag_ids, mut author_ids) = (Vec::new(), Vec::new());
        for (tags, authors) in refs {
            tag_ids.extend(tags.iter().map(|t| t.id));
            author_ids.extend(authors.iter().map(|a| a.id));
        }
        for v in [&mut tag_ids, &mut author_ids] {
            v.sort_unstable();
            v.dedup();
        }
        Level {
            ids,
            tag_ids,
            author_ids,
        }
    }
}

fn fill(
    c: &mut DbConn,
    related: RelatedSources<'_>,
    needs: &ArticleNeeds,
    level: &Level,
    show_email: bool,
    out: &mut Prefetched,
) -> AppResult<()> {
    let ids = &level.ids;
    if ids.is_empty() {
        return Ok(());
    }
    if needs.body {
        out.bodies.extend(articles::bodies(c, ids)?);
    }
    if needs.tag_details {
        let mut tag_ids = level.tag_ids.clone();
        tag_ids.retain(|id| !out.tags.contains_key(id));
        out.tags
            .extend(tags::by_ids(c, &tag_ids)?.into_iter().map(|t| (t.id, t)));
    }
    if needs.author_details {
        let mut author_ids = level.author_ids.clone();
        author_ids.retain(|id| !out.authors.contains_key(id));
        out.authors.extend(
            accounts::authors_by_ids(c, &author_ids)?
                .into_iter()
                .map(|a| (a.id, a)),
        );
    }
    for (limit, nested) in &needs.related {
        let lists = match articles::related_briefs_for(c, related.0, related.1, ids, *limit) {
            Ok(l) => l.lists,
            Err(AppError::Validation(_)) => continue,
            Err(e) => return Err(e),
        };
        let mut all: Vec<i64> = lists.values().flatten().map(|a| a.id).collect();
        all.sort_unstable();
        all.dedup();
        out.related
            .extend(lists.into_iter().map(|(id, list)| ((id, *limit), list)));
        // The details of tags and authors are found through the cards.
        if nested.cards || nested.tag_details || nested.author_details {
            let missing: Vec<i64> = all
                .iter()
                .filter(|id| !out.cards.contains_key(id))
                .copied()
                .collect();
            out.cards.extend(articles::cards(c, &missing)?);
        }
        let level = Level::of_cards(all, &out.cards);
        fill(c, related, nested, &level, show_email, out)?;
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
        let pages = match comments::pages_for(c, ids, &req, show_email) {
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

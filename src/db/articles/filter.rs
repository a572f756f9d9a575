//! The parts of a list query: which articles (status, filters), in which order, from where (page or keyset).

use super::*;

/// Which articles a list may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// What the public sees: published, and the publish instant has passed.
    Public,
    /// Published and already live (same rows as `Public`, asked for explicitly).
    Published,
    Draft,
    Archived,
    /// Published with a publish instant still in the future.
    Scheduled,
    Any,
}

impl StatusFilter {
    /// Whether the list may hold articles that were never published (no `published_at`):
    /// drafts, and archived articles archived as drafts. Such lists sort on
    /// `coalesce(published_at, created_at)`, the key their cursors hold.
    pub(super) fn may_lack_publish_time(self) -> bool {
        matches!(
            self,
            StatusFilter::Draft | StatusFilter::Archived | StatusFilter::Any
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Latest,
    Oldest,
    Popular,
}

/// A keyset position: the sort key of the last row seen and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysetPos {
    Time(NaiveDateTime, i64),
    Count(i64, i64),
}

/// An index of one tag's or one author's live articles in publication order, kept by
/// triggers beside the links (`article_tags.live_at`, `article_authors.live_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timeline<'a> {
    Tag(&'a str),
    Author(&'a str),
}

#[derive(Debug, Clone)]
pub struct ArticleFilter {
    pub status: StatusFilter,
    pub now: NaiveDateTime,
    /// Only the articles this account signs (an author looking at non-public lists).
    pub only_author_id: Option<i64>,
    /// Articles with this author on their byline.
    pub author_slug: Option<String>,
    pub tag_slug: Option<String>,
    pub search: Option<SearchTerms>,
    /// Set when the query can match nothing (a search with no words in it).
    pub match_nothing: bool,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
}

impl ArticleFilter {
    /// How PostgreSQL should plan this list's statements: once, for a public list without
    /// a search or a date window (its indexes serve it whatever the values); for the values
    /// otherwise (see [`crate::db::Plans`]): a search's words, a status only a few rows have,
    /// and a window's width (the most read of a week or of a year are best found in
    /// different indexes).
    pub fn plans(&self) -> crate::db::Plans {
        let public = matches!(self.status, StatusFilter::Public | StatusFilter::Published);
        let window = self.published_after.is_some() || self.published_before.is_some();
        if public && self.search.is_none() && !window {
            crate::db::Plans::Once
        } else {
            crate::db::Plans::ForValues
        }
    }

    /// The timeline that alone answers this list: the public articles of one tag or of one
    /// author, with at most a date window (the common tag and author pages). Other
    /// combinations take the general plan.
    pub(super) fn timeline(&self) -> Option<Timeline<'_>> {
        let public = matches!(self.status, StatusFilter::Public | StatusFilter::Published);
        let plain =
            public && self.only_author_id.is_none() && self.search.is_none() && !self.match_nothing;
        match (&self.tag_slug, &self.author_slug) {
            (Some(tag), None) if plain => Some(Timeline::Tag(tag)),
            (None, Some(author)) if plain => Some(Timeline::Author(author)),
            _ => None,
        }
    }

    /// Whether this is the public list with no filter besides, perhaps, its search: the
    /// front page when unsearched, a plain search otherwise.
    pub(super) fn public_but_for_search(&self) -> bool {
        matches!(self.status, StatusFilter::Public | StatusFilter::Published)
            && self.only_author_id.is_none()
            && self.author_slug.is_none()
            && self.tag_slug.is_none()
            && !self.match_nothing
            && self.published_after.is_none()
            && self.published_before.is_none()
    }

    /// The same filter for a page read downwards from a keyset position: the live bound
    /// `published_at <= now` becomes the position's own time. SQLite takes one upper bound
    /// per index range and picks `now` over the position's row value, so it read the index
    /// from now down to the position (5,000 entries for a page at depth 5,000, 16 ms for a
    /// batch of the search walk) before the page's first row. A live row's time is never
    /// after now, so the rows are the same.
    pub(super) fn bounded_by(&self, sort: SortKey, paging: Paging) -> ArticleFilter {
        let mut f = self.clone();
        let public = matches!(self.status, StatusFilter::Public | StatusFilter::Published);
        let window = paging.window();
        let downwards = (sort == SortKey::Latest) != window.reverse;
        if let (true, true, Some(KeysetPos::Time(t, _))) = (public, downwards, window.pos) {
            f.now = f.now.min(t);
        }
        f
    }

    /// What identifies the list's rows, without the instant: the key of its cached total.
    pub fn count_key(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
            self.status,
            self.only_author_id,
            self.author_slug,
            self.tag_slug,
            self.search.as_ref().map(|s| s.words()),
            self.match_nothing,
            self.published_after,
            self.published_before
        )
    }

    pub fn public(now: NaiveDateTime) -> Self {
        ArticleFilter {
            status: StatusFilter::Public,
            now,
            only_author_id: None,
            author_slug: None,
            tag_slug: None,
            search: None,
            match_nothing: false,
            published_after: None,
            published_before: None,
        }
    }
}

/// A page request taken apart: rows to skip, rows to take, where a keyset page starts, and
/// whether it reads backwards (the same order reversed from the position).
pub(super) struct Window {
    pub(super) offset: Option<i64>,
    pub(super) limit: i64,
    pub(super) pos: Option<KeysetPos>,
    pub(super) reverse: bool,
}

impl Paging {
    pub(super) fn window(self) -> Window {
        let (offset, limit, pos, reverse) = match self {
            Paging::Offset { offset, limit } => (Some(offset), limit, None, false),
            Paging::After { pos, limit } => (None, limit, Some(pos), false),
            Paging::Before { pos, limit } => (None, limit, pos, true),
        };
        Window {
            offset,
            limit,
            pos,
            reverse,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Paging {
    Offset {
        offset: i64,
        limit: i64,
    },
    After {
        pos: KeysetPos,
        limit: i64,
    },
    /// Rows before `pos` (the last rows when `None`), returned in reverse list order.
    Before {
        pos: Option<KeysetPos>,
        limit: i64,
    },
}

impl Paging {
    /// How many rows of the list a walk passes before the page ends: a keyset page starts at
    /// its cursor, an offset page passes its offset first.
    pub fn reach(&self) -> i64 {
        match *self {
            Paging::Offset { offset, limit } => offset.saturating_add(limit),
            Paging::After { limit, .. } | Paging::Before { limit, .. } => limit,
        }
    }
}

pub(super) type Predicate = Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>>;
pub(super) type TimeKey = Box<dyn BoxableExpression<articles::table, Backend, SqlType = Timestamp>>;

/// Drafts may never have been published, so lists that can hold them sort by creation time
/// where the publish time is missing; lists of live articles use the indexed column as it is.
pub(super) fn time_key(status: StatusFilter) -> TimeKey {
    if status.may_lack_publish_time() {
        Box::new(coalesce(articles::published_at, articles::created_at))
    } else {
        Box::new(articles::published_at.assume_not_null())
    }
}

/// Rows past a keyset position `(key, id)` in the direction of `op` (`<` or `>`). A row
/// comparison is one range on the list's index for both engines; the expanded form
/// `key < k OR (key = k AND id < i)` makes PostgreSQL filter every row from the index's end
/// to the position (9 ms at depth 5,000 of a million, against 0.1 ms).
/// `columns` names the key column and the id column, as in `"articles.published_at,
/// articles.id"`; `pos` must hold the key's kind.
pub(super) fn past<T: 'static>(
    columns: &str,
    pos: KeysetPos,
    op: &'static str,
) -> Box<dyn BoxableExpression<T, Backend, SqlType = Bool>> {
    let head = sql::<Bool>(&format!("({columns}) {op} ("));
    match pos {
        KeysetPos::Time(t, id) => Box::new(
            head.bind::<Timestamp, _>(t)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
        KeysetPos::Count(views, id) => Box::new(
            head.bind::<BigInt, _>(views)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
    }
}

/// "Live at `now`", in SQL: the one predicate for every query (joined ones too) that shows
/// articles to the public; `ArticleStatus::is_live` is the same rule in Rust. (The tag
/// timeline's triggers keep `live_at` by it too, in each backend's migration.)
pub type Live = diesel::dsl::And<
    diesel::dsl::Eq<articles::status, ArticleStatus>,
    diesel::dsl::LtEq<diesel::dsl::AssumeNotNull<articles::published_at>, NaiveDateTime>,
>;

pub fn live(now: NaiveDateTime) -> Live {
    articles::status
        .eq(ArticleStatus::Published)
        .and(articles::published_at.assume_not_null().le(now))
}

pub type Scheduled = diesel::dsl::And<
    diesel::dsl::Eq<articles::status, ArticleStatus>,
    diesel::dsl::Gt<diesel::dsl::AssumeNotNull<articles::published_at>, NaiveDateTime>,
>;

/// Published, going live after `now` (`ArticleStatus::is_scheduled` in Rust).
pub fn scheduled(now: NaiveDateTime) -> Scheduled {
    articles::status
        .eq(ArticleStatus::Published)
        .and(articles::published_at.assume_not_null().gt(now))
}

/// [`live`] for hand-written SQL, on the articles table named `alias`.
pub(crate) fn live_sql(alias: &str, now: NaiveDateTime) -> String {
    format!(
        "{alias}.status = '{}' AND {alias}.published_at <= '{}'",
        ArticleStatus::Published.as_str(),
        now.format("%Y-%m-%d %H:%M:%S")
    )
}

pub(crate) fn is_public(now: NaiveDateTime) -> Predicate {
    Box::new(live(now))
}

/// Not live at `now`: drafts, archived articles, scheduled ones, and any published without a
/// publish time (never live by [`live`]), in the terms of the status index (each side of an
/// `OR` is one range of it).
pub(super) fn hidden(now: NaiveDateTime) -> Predicate {
    Box::new(
        articles::status
            .eq_any([ArticleStatus::Draft, ArticleStatus::Archived])
            .or(scheduled(now))
            .or(articles::status
                .eq(ArticleStatus::Published)
                .and(articles::published_at.is_null())),
    )
}

/// How a list filtered by tag or by search finds its rows (for search on SQLite, see
/// `search::matches` and `walk`; PostgreSQL's planner chooses for itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Gather the matching rows from the tag's rows or the search index, then sort them:
    /// work in proportion to the matches, best when few match (and for counting).
    Gather,
    /// Walk the list's own index in order, checking each row, and stop at the page's end:
    /// best when many match, as it never gathers or sorts them all.
    Walk,
    /// Walk, checking each batch of rows against the matches in its range of ids, read into
    /// memory (a search: `walk`). Elsewhere the same as `Walk`.
    WalkInMemory,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Plans;

    #[test]
    fn only_public_lists_without_a_search_or_a_window_are_planned_once() {
        let now = chrono::DateTime::from_timestamp(1_750_000_000, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let public = ArticleFilter::public(now);
        let tagged = ArticleFilter {
            tag_slug: Some("courts".into()),
            author_slug: Some("jane".into()),
            ..public.clone()
        };
        assert_eq!(public.plans(), Plans::Once);
        assert_eq!(tagged.plans(), Plans::Once);
        let searched = ArticleFilter {
            search: SearchTerms::parse("ceasefire"),
            ..public.clone()
        };
        let drafts = ArticleFilter {
            status: StatusFilter::Draft,
            ..public.clone()
        };
        let any = ArticleFilter {
            status: StatusFilter::Any,
            ..public.clone()
        };
        let windowed = ArticleFilter {
            published_after: Some(now),
            ..public.clone()
        };
        for f in [searched, drafts, any, windowed] {
            assert_eq!(f.plans(), Plans::ForValues, "{f:?}");
        }
    }
}

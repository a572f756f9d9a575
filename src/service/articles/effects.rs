//! What article answers show and what article writes cause: cache topics and domain events.

use super::*;

/// What changes reach a cached list of articles: those it shows, and any public article that
/// could enter it (of its tag or author when it has one of those filters, any otherwise);
/// popular lists reorder as counters move.
pub fn list_shows(params: &ListArticles, shown: impl IntoIterator<Item = i64>) -> Shows {
    let scope = match (&params.tag, &params.author, &params.q) {
        (Some(tag), _, _) => Topic::TagLists(tag.clone()),
        (None, Some(author), _) => Topic::AuthorLists(author.clone()),
        (None, None, _) => Topic::Lists,
    };
    let mut topics = vec![scope];
    if params.sort.as_deref() == Some("popular") {
        topics.push(Topic::Popular);
    }
    Shows::topics(topics).with_articles(shown)
}

/// What changes reach a cached related list: its source changing (any public change) and
/// any article going public (it may rank), and the counters of those it shows.
pub fn related_shows(source: i64, items: impl IntoIterator<Item = i64>) -> Shows {
    // The source too: its kept list, recomputed, reaches the answers built from it.
    Shows::topics([Topic::Content, Topic::Lists])
        .with_articles(std::iter::once(source).chain(items))
}

/// What the public could see of an article, for events.
pub(crate) fn facts(a: &ArticleSummary, at: NaiveDateTime) -> ArticleFacts {
    ArticleFacts {
        id: a.id,
        slug: a.slug.clone(),
        author: a.author.slug.clone(),
        authors: a.authors.iter().map(|x| x.slug.clone()).collect(),
        tags: a.tags.iter().map(|t| t.slug.clone()).collect(),
        live: a.status.is_live(a.published_at.map(|t| t.naive_utc()), at),
    }
}

pub(super) fn is_scheduled(a: &ArticleSummary, at: NaiveDateTime) -> bool {
    a.status
        .is_scheduled(a.published_at.map(|t| t.naive_utc()), at)
}

/// The summary form, as webhooks carry it.
pub(crate) fn summary_data(a: &ArticleSummary) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or(serde_json::Value::Null)
}

/// The events of an article write, from what it was (`None`: created) and what it is
/// (`None`: deleted). Only public articles make public events; a scheduled one makes every
/// node look at the schedule.
pub(super) fn article_events(
    before: Option<&ArticleSummary>,
    after: Option<&ArticleSummary>,
    events: &mut Events,
) {
    let at = now();
    let was = before.map(|b| facts(b, at));
    let is = after.map(|a| facts(a, at));
    let live = |f: &Option<ArticleFacts>| f.as_ref().is_some_and(|f| f.live);
    let data = after.or(before).map(summary_data).unwrap_or_default();
    match (was, is) {
        (Some(before), Some(article)) if before.live && article.live => {
            events.push(Event::ArticleUpdated {
                article,
                before,
                data,
            })
        }
        (Some(before), Some(article)) if before.live => events.push(Event::ArticleUnpublished {
            article,
            before,
            data,
        }),
        (was, Some(article)) if article.live && !live(&was) => {
            events.push(Event::ArticlePublished { article, data })
        }
        (Some(article), None) if article.live => {
            events.push(Event::ArticleDeleted { article, data })
        }
        _ => {}
    }
    if let Some(a) = after.or(before).filter(|_| {
        before.is_some_and(|b| is_scheduled(b, at)) || after.is_some_and(|a| is_scheduled(a, at))
    }) {
        events.push(Event::ScheduleChanged { article_id: a.id });
    }
}

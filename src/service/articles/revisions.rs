//! Revisions: every version of an article's content, status and byline, kept in the
//! transaction that wrote it; listed, read and restored (a restore is a new version, never a
//! rewrite of history).

use super::*;
use crate::model::{Revision, RevisionContent, RevisionSummary};

/// Each article keeps at least its last `KEEP_VERSIONS` versions and every version of the
/// last `KEEP_DAYS` days; older ones are pruned when the article is next written.
pub const KEEP_VERSIONS: i32 = 50;
pub const KEEP_DAYS: i64 = 30;

/// What a version of `a` holds (`excerpt_is_custom`: whether its excerpt is the editor's).
pub(super) fn content_of(a: &Article, excerpt_is_custom: bool) -> RevisionContent {
    let s = &a.summary;
    RevisionContent {
        slug: s.slug.clone(),
        title: s.title.clone(),
        subtitle: s.subtitle.clone(),
        body: a.body.clone(),
        excerpt: excerpt_is_custom.then(|| s.excerpt.clone()),
        dateline: s.dateline.clone(),
        image: s.image.clone(),
        tags: s.tags.clone(),
        authors: s.authors.clone(),
        status: s.status,
        published_at: s.published_at,
    }
}

/// The fields `after` changed from `before` (every field set, for a first version).
fn changed_fields(before: Option<&RevisionContent>, after: &RevisionContent) -> Vec<String> {
    let ids = |refs: &[TagRef]| refs.iter().map(|t| t.id).collect::<Vec<_>>();
    let people = |refs: &[AuthorRef]| refs.iter().map(|a| a.id).collect::<Vec<_>>();
    let differs: [(&str, bool); 11] = match before {
        Some(b) => [
            ("slug", b.slug != after.slug),
            ("title", b.title != after.title),
            ("subtitle", b.subtitle != after.subtitle),
            ("body", b.body != after.body),
            ("excerpt", b.excerpt != after.excerpt),
            ("dateline", b.dateline != after.dateline),
            ("image", b.image != after.image),
            ("tags", ids(&b.tags) != ids(&after.tags)),
            ("authors", people(&b.authors) != people(&after.authors)),
            ("status", b.status != after.status),
            ("published_at", b.published_at != after.published_at),
        ],
        None => [
            ("slug", true),
            ("title", true),
            ("subtitle", after.subtitle.is_some()),
            ("body", true),
            ("excerpt", after.excerpt.is_some()),
            ("dateline", after.dateline.is_some()),
            ("image", after.image.is_some()),
            ("tags", !after.tags.is_empty()),
            ("authors", true),
            ("status", true),
            ("published_at", after.published_at.is_some()),
        ],
    };
    differs
        .iter()
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// Keeps the version `after` just became, written by `editor`, in the caller's transaction.
/// `before` is what it was (`None`: just created); an article older than revisions gets its
/// previous version kept first, so a restore can reach it. A write that changed none of a
/// revision's fields keeps nothing.
pub(super) fn record(
    c: &mut DbConn,
    before: Option<(&Article, bool)>,
    (after, custom): (&Article, bool),
    editor: i64,
) -> AppResult<()> {
    let new = content_of(after, custom);
    let old = before.map(|(a, custom)| (a, content_of(a, custom)));
    let changed = changed_fields(old.as_ref().map(|(_, c)| c), &new);
    if old.is_some() && changed.is_empty() {
        return Ok(());
    }
    let id = after.summary.id;
    if let Some((was, content)) = &old {
        if !db::revisions::exists(c, id, was.summary.version)? {
            keep(
                c,
                id,
                was.summary.version,
                None,
                Vec::new(),
                content,
                was.summary.updated_at.naive_utc(),
            )?;
        }
    }
    let version = after.summary.version;
    keep(
        c,
        id,
        version,
        Some(editor),
        changed,
        &new,
        after.summary.updated_at.naive_utc(),
    )?;
    let horizon = now() - chrono::Duration::days(KEEP_DAYS);
    db::revisions::prune(c, id, version, KEEP_VERSIONS, horizon)?;
    Ok(())
}

fn keep(
    c: &mut DbConn,
    article_id: i64,
    version: i32,
    editor_id: Option<i64>,
    changed: Vec<String>,
    content: &RevisionContent,
    at: NaiveDateTime,
) -> AppResult<()> {
    db::revisions::insert(
        c,
        &db::NewRevision {
            article_id,
            version,
            editor_id,
            changed: to_json(&changed)?,
            content: to_json(content)?,
            created_at: at,
        },
    )?;
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v)
        .map_err(|e| AppError::Internal(format!("a revision does not serialize: {e}")))
}

fn summary_of(
    row: &db::RevisionRow,
    editor: Option<(i64, String, String)>,
) -> AppResult<RevisionSummary> {
    let changed: Vec<String> = serde_json::from_str(&row.changed).map_err(|e| {
        AppError::Internal(format!(
            "revision {}'s changed fields do not parse: {e}",
            row.version
        ))
    })?;
    Ok(RevisionSummary {
        version: row.version,
        created_at: utc(row.created_at),
        editor: editor.map(|(id, slug, name)| AuthorRef { id, slug, name }),
        changed,
    })
}

fn content_from(row: &db::RevisionRow) -> AppResult<RevisionContent> {
    serde_json::from_str(&row.content).map_err(|e| {
        AppError::Internal(format!(
            "revision {}'s content does not parse: {e}",
            row.version
        ))
    })
}

/// `GET /articles/{slug}/revisions`: newest first, paged by `page`.
pub async fn list_revisions(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    paging: &PageParams,
) -> AppResult<Page<RevisionSummary>> {
    let req = PageRequest::parse(paging)?;
    if !matches!(req, PageRequest::Offset { .. }) {
        return Err(FieldErrors::one("cursor", "revisions page by `page`"));
    }
    let (slug, viewer) = (slug.to_owned(), viewer.clone());
    state
        .db
        .read(move |c| {
            let article = find_editable(c, &slug, &viewer)?;
            let total = db::revisions::count(c, article.id)?;
            let rows = db::revisions::list(c, article.id, offset_of(&req), req.per_page() + 1)?;
            let rows = rows
                .into_iter()
                .map(|(row, editor)| summary_of(&row, editor))
                .collect::<AppResult<Vec<_>>>()?;
            let mut page = Page::build(&req, rows, total, |_| CursorKey::new("revision"), |r| r);
            page.meta.next_cursor = None;
            Ok(page)
        })
        .await
}

/// `GET /articles/{slug}/revisions/{version}`: that version in full.
pub async fn get_revision(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    version: i32,
) -> AppResult<Revision> {
    let (slug, viewer) = (slug.to_owned(), viewer.clone());
    state
        .db
        .read(move |c| {
            let article = find_editable(c, &slug, &viewer)?;
            let (row, editor) = db::revisions::find(c, article.id, version)?
                .ok_or_else(|| AppError::not_found("revision"))?;
            Ok(Revision {
                content: content_from(&row)?,
                summary: summary_of(&row, editor)?,
            })
        })
        .await
}

/// The history of an article for GraphQL: its newest `limit` revisions, for those who may
/// edit it.
pub async fn article_revisions(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    limit: i64,
) -> AppResult<Vec<Revision>> {
    let (slug, viewer) = (slug.to_owned(), viewer.clone());
    state
        .db
        .read(move |c| {
            let article = find_editable(c, &slug, &viewer)?;
            db::revisions::list(c, article.id, 0, limit)?
                .into_iter()
                .map(|(row, editor)| {
                    Ok(Revision {
                        content: content_from(&row)?,
                        summary: summary_of(&row, editor)?,
                    })
                })
                .collect()
        })
        .await
}

/// `POST /articles/{slug}/revisions/{version}/restore`: that version's content (title,
/// subtitle, body, excerpt, dateline, image, tags, byline) becomes current as a new version;
/// status, slug and publish time stay. Tags deleted since are left out; so are accounts
/// gone since (their heirs took their place on the current byline).
pub async fn restore_revision(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    version: i32,
    expected_version: Option<i32>,
) -> AppResult<Article> {
    let writer = require_role(viewer, Role::Author)?.clone();
    state.abuse.write(viewer)?;
    let slug = slug.to_owned();
    let ready = state.related.clone();
    state
        .write(move |c, events| {
            let current = find_for_write(c, &slug, &writer, expected_version)?;
            let (row, _) = db::revisions::find(c, current.id, version)?
                .ok_or_else(|| AppError::not_found("revision"))?;
            let was = content_from(&row)?;
            let patch = restoring(c, was)?;
            update_in(c, events, &ready, &writer, current, &patch)
        })
        .await
}

/// The patch that brings `was` back: tags and authors by id (renamed ones under their
/// current slugs), those gone since left out.
fn restoring(c: &mut DbConn, was: RevisionContent) -> AppResult<UpdateArticle> {
    let tag_ids: Vec<i64> = was.tags.iter().map(|t| t.id).collect();
    let tags: HashMap<i64, String> = db::tags::find_by_ids(c, &tag_ids)?
        .into_iter()
        .map(|t| (t.id, t.slug))
        .collect();
    let author_ids: Vec<i64> = was.authors.iter().map(|a| a.id).collect();
    let people: HashMap<i64, String> = db::users::find_by_ids(c, &author_ids)?
        .into_iter()
        .map(|u| (u.id, u.slug))
        .collect();
    let authors: Vec<String> = author_ids
        .iter()
        .filter_map(|id| people.get(id).cloned())
        .collect();
    Ok(UpdateArticle {
        title: Some(was.title),
        body: Some(was.body),
        subtitle: Some(was.subtitle),
        excerpt: Some(was.excerpt),
        dateline: Some(was.dateline),
        image: Some(was.image.map(|i| ImageInput {
            url: Some(i.url),
            alt: i.alt,
            caption: i.caption,
            credit: i.credit,
        })),
        tags: Some(
            tag_ids
                .iter()
                .filter_map(|id| tags.get(id).cloned())
                .collect(),
        ),
        // Nobody left of that byline: the current one stays.
        authors: (!authors.is_empty()).then_some(authors),
        ..Default::default()
    })
}

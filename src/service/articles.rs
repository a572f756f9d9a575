//! Articles: lists, reads, writes, related articles and counters.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::abuse::Counted;
use super::cache::{ResponseCache, Shows, Topic};
use super::events::{ArticleFacts, Event, Events};
use super::paging::{offset_of, CursorKey, Page, PageParams, PageRequest, Total};
use super::{require_role, text, AppState, Caller, Principal, Viewer};
use crate::db::articles::{ArticleFilter, KeysetPos, Paging, Plan, SortKey, StatusFilter};
use crate::db::search::SearchTerms;
use crate::db::{self, ArticleContent, ArticleSummaryRow, ArticleUpdate, DbConn, NewArticle};
use crate::domain::{
    check_chars, now, optional_text, parse_http_url, parse_instant, text_field, utc, ArticleStatus,
    Role, ShareNetwork, Slug,
};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{
    Article, ArticleSummary, AuthorRef, CreateArticle, Image, ImageInput, TagRef, UpdateArticle,
};

pub const MAX_TAGS: usize = 20;
pub const MAX_RELATED: usize = 20;
const MAX_BODY_CHARS: usize = 200_000;

/// The filters of `GET /articles`, as given.
#[derive(Debug, Clone, Default)]
pub struct ListArticles {
    pub tag: Option<String>,
    pub author: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub status: Option<String>,
    pub published_after: Option<String>,
    pub published_before: Option<String>,
    pub paging: PageParams,
}

fn sort_name(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Latest => "latest",
        SortKey::Oldest => "oldest",
        SortKey::Popular => "popular",
    }
}

fn cursor_of(row: &ArticleSummaryRow, sort: SortKey) -> CursorKey {
    let mut c = CursorKey::new(sort_name(sort));
    match db::articles::position_of(row, sort) {
        KeysetPos::Time(t, id) => {
            c.t = Some(t.and_utc().timestamp());
            c.i = Some(id);
        }
        KeysetPos::Count(n, id) => {
            c.n = Some(n);
            c.i = Some(id);
        }
    }
    c
}

fn keyset_of(c: &CursorKey, sort: SortKey) -> AppResult<KeysetPos> {
    if c.k != sort_name(sort) {
        return Err(CursorKey::mismatch());
    }
    let id = c.i.ok_or_else(CursorKey::mismatch)?;
    match sort {
        SortKey::Popular => Ok(KeysetPos::Count(c.n.ok_or_else(CursorKey::mismatch)?, id)),
        SortKey::Latest | SortKey::Oldest => {
            let t =
                c.t.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .ok_or_else(CursorKey::mismatch)?;
            Ok(KeysetPos::Time(t.naive_utc(), id))
        }
    }
}

/// Validates the list filters and works out what the viewer may see.
fn list_filter(viewer: &Viewer, p: &ListArticles) -> AppResult<(ArticleFilter, SortKey)> {
    let mut errors = FieldErrors::new();
    let mut f = ArticleFilter::public(now());
    let sort = match p.sort.as_deref() {
        None | Some("latest") => SortKey::Latest,
        Some("oldest") => SortKey::Oldest,
        Some("popular") => SortKey::Popular,
        Some(_) => {
            errors.add("sort", "must be one of: latest, oldest, popular");
            SortKey::Latest
        }
    };
    if let Some(status) = p.status.as_deref() {
        f.status = match status {
            "published" => StatusFilter::Published,
            "draft" => StatusFilter::Draft,
            "archived" => StatusFilter::Archived,
            "scheduled" => StatusFilter::Scheduled,
            "any" => StatusFilter::Any,
            _ => {
                errors.add(
                    "status",
                    "must be one of: published, draft, archived, scheduled, any",
                );
                StatusFilter::Public
            }
        };
    }
    for (field, value, slot) in [
        ("tag", &p.tag, &mut f.tag_slug),
        ("author", &p.author, &mut f.author_slug),
    ] {
        if let Some(v) = value {
            match Slug::parse(v) {
                Ok(s) => *slot = Some(s.into_string()),
                Err(e) => errors.add(field, e),
            }
        }
    }
    if let Some(q) = &p.q {
        if q.chars().count() > 200 {
            errors.add("q", "must be at most 200 characters");
        }
        if let Err(e) = check_chars(q) {
            errors.add("q", e);
        }
        // A query with no words in it matches nothing rather than everything.
        match SearchTerms::parse(q) {
            Some(terms) => f.search = Some(terms),
            None => f.match_nothing = true,
        }
    }
    for (field, value, slot) in [
        (
            "published_after",
            &p.published_after,
            &mut f.published_after,
        ),
        (
            "published_before",
            &p.published_before,
            &mut f.published_before,
        ),
    ] {
        if let Some(v) = value {
            match parse_instant(v) {
                Ok(t) => *slot = Some(t),
                Err(e) => errors.add(field, e),
            }
        }
    }
    errors.into_result()?;
    if !matches!(f.status, StatusFilter::Public | StatusFilter::Published) {
        let p = require_role(viewer, Role::Author)?;
        if !p.role.is_editor() {
            // Authors see their own unpublished work, nobody else's.
            f.only_author_id = Some(p.user_id);
        }
    }
    Ok((f, sort))
}

/// Lists by tag or search count their matches up to this many; past it `meta.total_exact`
/// is false.
pub const COUNT_CAP: i64 = 10_000;

/// `GET /articles`: one page of summaries, in a fixed number of statements.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    p: &ListArticles,
) -> AppResult<Page<ArticleSummary>> {
    let (filter, sort) = list_filter(viewer, p)?;
    let req = PageRequest::parse(&p.paging)?;
    let paging = match &req {
        PageRequest::Offset { per_page, .. } => Paging::Offset {
            offset: offset_of(&req),
            limit: per_page + 1,
        },
        PageRequest::After { cursor, per_page } => Paging::After {
            pos: keyset_of(cursor, sort)?,
            limit: per_page + 1,
        },
        PageRequest::Before { cursor, per_page } => Paging::Before {
            pos: cursor.as_ref().map(|c| keyset_of(c, sort)).transpose()?,
            limit: per_page + 1,
        },
    };
    let cache = state.cache.clone();
    state
        .db
        .read(move |c| {
            let total = cache.count(filter.count_key(), || {
                // A tag or a search can match most of the corpus, and counting every match
                // costs far more than the page: counting stops at a cap and says so.
                let capped = filter.search.is_some() || filter.tag_slug.is_some();
                let cap = capped.then_some(COUNT_CAP);
                let (n, exact) = db::articles::count(c, &filter, cap)?;
                Ok::<_, AppError>(Total::counted(n, exact))
            })?;
            // Few matches are gathered and sorted; many are met walking the list in order.
            let plan = if total.exact {
                Plan::Gather
            } else {
                Plan::Walk
            };
            let rows = if total.count == 0 {
                Vec::new()
            } else {
                db::articles::list(c, &filter, sort, paging, plan)?
            };
            let mut page = Page::build(&req, rows, total, |r| cursor_of(r, sort), |r| r);
            let items = assemble(c, std::mem::take(&mut page.items))?;
            Ok(page.with_items(items))
        })
        .await
}

/// Fills summaries with their authors, tags and share counts: three statements for any
/// number of rows. GraphQL's loaders call the same functions.
pub fn assemble(c: &mut DbConn, rows: Vec<ArticleSummaryRow>) -> AppResult<Vec<ArticleSummary>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut author_ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let authors: HashMap<i64, AuthorRef> = db::articles::authors_by_ids(c, &author_ids)?
        .into_iter()
        .map(|a| {
            (
                a.id,
                AuthorRef {
                    id: a.id,
                    slug: a.slug,
                    name: a.name,
                },
            )
        })
        .collect();
    let mut tags: HashMap<i64, Vec<TagRef>> = HashMap::new();
    for (article_id, t) in db::articles::tags_for(c, &ids)? {
        tags.entry(article_id).or_default().push(TagRef {
            id: t.id,
            slug: t.slug,
            name: t.name,
        });
    }
    let mut shares: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    for (article_id, network, count) in db::articles::shares_for(c, &ids)? {
        shares.entry(article_id).or_default().insert(network, count);
    }
    rows.into_iter()
        .map(|r| {
            let author = authors.get(&r.author_id).cloned().ok_or_else(|| {
                AppError::Internal(format!("article {} has no author {}", r.id, r.author_id))
            })?;
            let mut share_counts: BTreeMap<String, i64> = ShareNetwork::ALL
                .iter()
                .map(|n| (n.as_str().to_owned(), 0))
                .collect();
            if let Some(s) = shares.remove(&r.id) {
                share_counts.extend(s);
            }
            Ok(summary_view(
                r.clone(),
                author,
                tags.remove(&r.id).unwrap_or_default(),
                share_counts,
            ))
        })
        .collect()
}

fn summary_view(
    r: ArticleSummaryRow,
    author: AuthorRef,
    tags: Vec<TagRef>,
    share_counts: BTreeMap<String, i64>,
) -> ArticleSummary {
    let image = r.image_url.map(|url| Image {
        url,
        alt: r.image_alt,
        caption: r.image_caption,
        credit: r.image_credit,
    });
    ArticleSummary {
        id: r.id,
        slug: r.slug,
        title: r.title,
        subtitle: r.subtitle,
        excerpt: r.excerpt,
        dateline: r.dateline,
        image,
        author,
        tags,
        status: r.status.parse().unwrap_or(ArticleStatus::Draft),
        published_at: r.published_at.map(utc),
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        reading_time_minutes: r.reading_time_minutes,
        view_count: r.view_count,
        share_count: r.share_count,
        share_counts,
        comment_count: r.comment_count,
        version: r.version,
    }
}

fn is_live(r: &ArticleSummaryRow, now: NaiveDateTime) -> bool {
    r.status == "published" && r.published_at.is_some_and(|t| t <= now)
}

/// Whether the viewer may read this article: live ones are public; the rest are for editors
/// and their own author.
fn may_read(r: &ArticleSummaryRow, viewer: &Viewer, now: NaiveDateTime) -> bool {
    is_live(r, now)
        || viewer
            .as_ref()
            .is_some_and(|p| p.role.is_editor() || p.user_id == r.author_id)
}

fn may_edit(r: &ArticleSummaryRow, p: &Principal) -> bool {
    p.role.is_editor() || p.user_id == r.author_id
}

/// Finds an article the viewer may read; anything else is 404 (no hint that it exists).
pub(crate) fn find_readable(
    c: &mut DbConn,
    slug: &str,
    viewer: &Viewer,
) -> AppResult<ArticleSummaryRow> {
    match db::articles::find_by_slug(c, slug)? {
        Some(r) if may_read(&r, viewer, now()) => Ok(r),
        _ => Err(AppError::not_found("article")),
    }
}

fn full_article(c: &mut DbConn, row: ArticleSummaryRow) -> AppResult<Article> {
    let id = row.id;
    let mut body = bodies(c, &[id])?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("article"))?;
    let summary = assemble(c, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Internal("article vanished while reading".into()))?;
    Ok(Article {
        summary,
        body: std::mem::take(&mut body.body),
        body_html: std::mem::take(&mut body.body_html),
    })
}

/// The Markdown and HTML bodies of a set of articles (one statement).
pub fn bodies(c: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, db::ArticleBodyRow>> {
    Ok(db::articles::bodies_by_ids(c, ids)?.into_iter().collect())
}

/// `GET /articles/{slug}`.
pub async fn get(state: &AppState, viewer: &Viewer, slug: &str) -> AppResult<Article> {
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    state
        .db
        .read(move |c| {
            let row = find_readable(c, &slug, &viewer)?;
            full_article(c, row)
        })
        .await
}

/// The editable fields of an article after validation.
#[derive(Debug, Clone)]
struct Fields {
    title: String,
    body: String,
    slug: Option<Slug>,
    subtitle: Option<String>,
    /// `Some` when the editor wrote one.
    excerpt: Option<String>,
    dateline: Option<String>,
    image: Option<Image>,
    tags: Option<Vec<String>>,
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
}

fn check<T>(errors: &mut FieldErrors, field: &str, r: Result<T, String>) -> Option<T> {
    r.map_err(|e| errors.add(field, e)).ok()
}

fn validate_image(errors: &mut FieldErrors, input: &ImageInput) -> Option<Image> {
    let url = match input.url.as_deref() {
        None => {
            errors.add("image.url", "is required when an image is given");
            None
        }
        Some(u) => check(errors, "image.url", parse_http_url(u)),
    };
    let alt = check(
        errors,
        "image.alt",
        optional_text(input.alt.as_deref(), 500),
    );
    let caption = check(
        errors,
        "image.caption",
        optional_text(input.caption.as_deref(), 1000),
    );
    let credit = check(
        errors,
        "image.credit",
        optional_text(input.credit.as_deref(), 300),
    );
    Some(Image {
        url: url?,
        alt: alt?,
        caption: caption?,
        credit: credit?,
    })
}

fn validate_tags(errors: &mut FieldErrors, tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        match Slug::parse(t) {
            Ok(s) if !out.contains(&s.as_str().to_owned()) => out.push(s.into_string()),
            Ok(_) => {}
            Err(e) => errors.add("tags", format!("{t:?} {e}")),
        }
    }
    if out.len() > MAX_TAGS {
        errors.add("tags", format!("at most {MAX_TAGS} tags"));
    }
    out
}

fn validate_body(errors: &mut FieldErrors, body: &str) -> Option<String> {
    if let Err(e) = check_chars(body) {
        errors.add("body", e);
        None
    } else if body.chars().count() > MAX_BODY_CHARS {
        errors.add(
            "body",
            format!("must be at most {MAX_BODY_CHARS} characters"),
        );
        None
    } else {
        Some(body.to_owned())
    }
}

fn validate_create(input: &CreateArticle) -> AppResult<Fields> {
    let mut e = FieldErrors::new();
    let title = e.required("title", input.title.as_deref(), |v| text_field(v, 300));
    let body = match input.body.as_deref() {
        Some(b) => validate_body(&mut e, b),
        None => {
            e.add("body", "is required");
            None
        }
    };
    let slug = input
        .slug
        .as_deref()
        .and_then(|s| check(&mut e, "slug", Slug::parse(s)));
    let subtitle = check(
        &mut e,
        "subtitle",
        optional_text(input.subtitle.as_deref(), 300),
    );
    let excerpt = check(
        &mut e,
        "excerpt",
        optional_text(input.excerpt.as_deref(), 1000),
    );
    let dateline = check(
        &mut e,
        "dateline",
        optional_text(input.dateline.as_deref(), 100),
    );
    let image = input.image.as_ref().map(|i| validate_image(&mut e, i));
    let tags = input.tags.as_ref().map(|t| validate_tags(&mut e, t));
    let status = match input.status.as_deref() {
        None => Some(ArticleStatus::Draft),
        Some(s) => check(&mut e, "status", s.parse()),
    };
    let published_at = input
        .published_at
        .as_deref()
        .map(|t| check(&mut e, "published_at", parse_instant(t)));
    e.into_result()?;
    let missing = || AppError::Internal("validated field missing".into());
    Ok(Fields {
        title: title.ok_or_else(missing)?,
        body: body.ok_or_else(missing)?,
        slug,
        subtitle: subtitle.flatten(),
        excerpt: excerpt.flatten(),
        dateline: dateline.flatten(),
        image: image.flatten(),
        tags,
        status: status.ok_or_else(missing)?,
        published_at: published_at.flatten(),
    })
}

/// Applies a patch to the stored article; fields not in the patch keep their values.
fn validate_patch(
    current: &ArticleSummaryRow,
    body: &db::ArticleBodyRow,
    patch: &UpdateArticle,
) -> AppResult<Fields> {
    let mut e = FieldErrors::new();
    let title = match patch.title.as_deref() {
        Some(t) => check(&mut e, "title", text_field(t, 300)),
        None => Some(current.title.clone()),
    };
    let new_body = match patch.body.as_deref() {
        Some(b) => validate_body(&mut e, b),
        None => Some(body.body.clone()),
    };
    let slug = match patch.slug.as_deref() {
        Some(s) => check(&mut e, "slug", Slug::parse(s)),
        None => Slug::parse(&current.slug).ok(),
    };
    let subtitle = match &patch.subtitle {
        Some(v) => check(&mut e, "subtitle", optional_text(v.as_deref(), 300)).flatten(),
        None => current.subtitle.clone(),
    };
    let excerpt = match &patch.excerpt {
        Some(v) => check(&mut e, "excerpt", optional_text(v.as_deref(), 1000)).flatten(),
        None => body.excerpt_is_custom.then(|| current.excerpt.clone()),
    };
    let dateline = match &patch.dateline {
        Some(v) => check(&mut e, "dateline", optional_text(v.as_deref(), 100)).flatten(),
        None => current.dateline.clone(),
    };
    let image = match &patch.image {
        Some(Some(i)) => validate_image(&mut e, i),
        Some(None) => None,
        None => current.image_url.clone().map(|url| Image {
            url,
            alt: current.image_alt.clone(),
            caption: current.image_caption.clone(),
            credit: current.image_credit.clone(),
        }),
    };
    let tags = patch.tags.as_ref().map(|t| validate_tags(&mut e, t));
    let status = match patch.status.as_deref() {
        Some(s) => check(&mut e, "status", s.parse()),
        None => current.status.parse().ok(),
    };
    let published_at = match &patch.published_at {
        Some(Some(t)) => check(&mut e, "published_at", parse_instant(t)),
        Some(None) => None,
        None => current.published_at,
    };
    e.into_result()?;
    let missing = || AppError::Internal("validated field missing".into());
    Ok(Fields {
        title: title.ok_or_else(missing)?,
        body: new_body.ok_or_else(missing)?,
        slug,
        subtitle,
        excerpt,
        dateline,
        image,
        tags,
        status: status.ok_or_else(missing)?,
        published_at,
    })
}

/// What rendering adds to the fields: HTML, the excerpt, reading time, and the publish stamp.
struct Rendered {
    body_html: String,
    excerpt: String,
    excerpt_is_custom: bool,
    reading_time: i32,
    published_at: Option<NaiveDateTime>,
}

/// Publishing without a publish time stamps the current one.
fn publish_time(f: &Fields, stamp: NaiveDateTime) -> Option<NaiveDateTime> {
    match (f.status, f.published_at) {
        (ArticleStatus::Published, None) => Some(stamp),
        (_, t) => t,
    }
}

fn render(f: &Fields, stamp: NaiveDateTime) -> Rendered {
    Rendered {
        body_html: text::render_article(&f.body),
        excerpt: f.excerpt.clone().unwrap_or_else(|| text::excerpt(&f.body)),
        excerpt_is_custom: f.excerpt.is_some(),
        reading_time: text::reading_time_minutes(&f.body),
        published_at: publish_time(f, stamp),
    }
}

/// The stored columns of validated and rendered fields.
fn content(slug: String, f: Fields, r: Rendered) -> ArticleContent {
    let (image_url, image_alt, image_caption, image_credit) = match f.image {
        Some(i) => (Some(i.url), i.alt, i.caption, i.credit),
        None => (None, None, None, None),
    };
    ArticleContent {
        slug,
        title: f.title,
        subtitle: f.subtitle,
        excerpt: r.excerpt,
        excerpt_is_custom: r.excerpt_is_custom,
        body: f.body,
        body_html: r.body_html,
        dateline: f.dateline,
        image_url,
        image_alt,
        image_caption,
        image_credit,
        status: f.status.as_str().to_owned(),
        published_at: r.published_at,
        reading_time_minutes: r.reading_time,
    }
}

/// Resolves tag slugs to ids, in order; unknown slugs are a 422 on `tags`.
fn resolve_tags(c: &mut DbConn, slugs: &[String]) -> AppResult<Vec<i64>> {
    let found: HashMap<String, i64> = db::tags::find_by_slugs(c, slugs)?
        .into_iter()
        .map(|t| (t.slug, t.id))
        .collect();
    let mut e = FieldErrors::new();
    let ids = slugs
        .iter()
        .filter_map(|s| {
            let id = found.get(s).copied();
            if id.is_none() {
                e.add("tags", format!("unknown tag {s:?}; create it first"));
            }
            id
        })
        .collect();
    e.into_result()?;
    Ok(ids)
}

/// A free slug derived from the title: the plain form, or the first `-2`, `-3`… not taken.
fn free_slug(c: &mut DbConn, title: &str) -> AppResult<Slug> {
    let base = Slug::derive(title).ok_or_else(|| {
        FieldErrors::one(
            "slug",
            "cannot be derived from this title; give a slug of letters and digits",
        )
    })?;
    let name = base.as_str().to_owned();
    super::first_free_slug(base, 1000, |s| Ok(db::articles::slug_exists(c, s)?))?.ok_or_else(|| {
        AppError::Conflict(format!(
            "too many articles are called {name:?}; give a slug"
        ))
    })
}

fn slug_taken(slug: &str) -> AppError {
    AppError::Conflict(format!("an article with the slug {slug:?} already exists"))
}

/// `POST /articles`.
pub async fn create(state: &AppState, viewer: &Caller, input: CreateArticle) -> AppResult<Article> {
    let author = require_role(viewer, Role::Author)?.clone();
    state.abuse.write(viewer)?;
    let fields = validate_create(&input)?;
    let stamp = now();
    let rendered = render(&fields, stamp);
    state
        .write(move |c, events| {
            let tag_ids = match &fields.tags {
                Some(t) => resolve_tags(c, t)?,
                None => Vec::new(),
            };
            let title = fields.title.clone();
            let (slug, derived) = match &fields.slug {
                Some(s) if db::articles::slug_exists(c, s.as_str())? => {
                    return Err(slug_taken(s.as_str()))
                }
                Some(s) => (s.clone(), false),
                None => (free_slug(c, &title)?, true),
            };
            let mut row = NewArticle {
                content: content(slug.as_str().to_owned(), fields, rendered),
                author_id: author.user_id,
                created_at: stamp,
                updated_at: stamp,
                view_count: 0,
                share_count: 0,
                comment_count: 0,
                version: 1,
            };
            let id = super::insert_with_slug(
                c,
                slug,
                derived,
                db::articles::slug_exists,
                |c| free_slug(c, &title),
                |c, slug| {
                    row.content.slug = slug.as_str().to_owned();
                    db::articles::insert(c, &row)
                },
                |slug, e| match e {
                    db::DbError::Conflict(_) => slug_taken(slug.as_str()),
                    other => other.into(),
                },
            )?;
            db::articles::set_tags(c, id, &tag_ids)?;
            let stored = db::articles::find_by_id(c, id)?
                .ok_or_else(|| AppError::Internal("inserted article not found".into()))?;
            let article = full_article(c, stored)?;
            article_events(None, Some(&article.summary), events);
            Ok(article)
        })
        .await
}

/// Loads an article for a write and checks the writer may change it and holds its current
/// version (`If-Match` / `expectedVersion`).
fn find_for_write(
    c: &mut DbConn,
    slug: &str,
    writer: &Principal,
    expected_version: Option<i32>,
) -> AppResult<ArticleSummaryRow> {
    let row = db::articles::find_by_slug_for_write(c, slug)?
        .filter(|r| may_read(r, &Some(writer.clone()), now()))
        .ok_or_else(|| AppError::not_found("article"))?;
    if !may_edit(&row, writer) {
        return Err(AppError::Forbidden(
            "authors may change only their own articles".into(),
        ));
    }
    if let Some(v) = expected_version {
        if v != row.version {
            return Err(stale(row.version));
        }
    }
    Ok(row)
}

fn stale(current: i32) -> AppError {
    AppError::PreconditionFailed(format!(
        "the article has changed since you read it (now at version {current}); reload and retry"
    ))
}

/// `PATCH /articles/{slug}`: a partial update; `version` and `updated_at` advance.
pub async fn update(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    patch: UpdateArticle,
    expected_version: Option<i32>,
) -> AppResult<Article> {
    let writer = require_role(viewer, Role::Author)?.clone();
    state.abuse.write(viewer)?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let current = find_for_write(c, &slug, &writer, expected_version)?;
            let before = assemble(c, vec![current.clone()])?.pop();
            let body = bodies(c, &[current.id])?
                .remove(&current.id)
                .ok_or_else(|| AppError::not_found("article"))?;
            let fields = validate_patch(&current, &body, &patch)?;
            let stamp = now();
            // Rendering runs only when the body changed; the rest is cheap to recompute.
            let rendered = if patch.body.is_some() || patch.excerpt.is_some() {
                render(&fields, stamp)
            } else {
                Rendered {
                    body_html: body.body_html.clone(),
                    excerpt: fields.excerpt.clone().unwrap_or(current.excerpt.clone()),
                    excerpt_is_custom: fields.excerpt.is_some(),
                    reading_time: current.reading_time_minutes,
                    published_at: publish_time(&fields, stamp),
                }
            };
            let new_slug = fields
                .slug
                .clone()
                .map(Slug::into_string)
                .unwrap_or(current.slug.clone());
            if new_slug != current.slug && db::articles::slug_exists(c, &new_slug)? {
                return Err(slug_taken(&new_slug));
            }
            let tag_ids = match &fields.tags {
                Some(t) => Some(resolve_tags(c, t)?),
                None => None,
            };
            let changes = ArticleUpdate {
                content: content(new_slug, fields, rendered),
                updated_at: stamp,
                version: current.version + 1,
            };
            let written = db::articles::update(c, current.id, current.version, &changes).map_err(
                |e| match e {
                    db::DbError::Conflict(_) => slug_taken(&changes.content.slug),
                    other => other.into(),
                },
            )?;
            if !written {
                return Err(stale(current.version + 1));
            }
            if let Some(ids) = tag_ids {
                db::articles::set_tags(c, current.id, &ids)?;
            }
            let stored = db::articles::find_by_id(c, current.id)?
                .ok_or_else(|| AppError::not_found("article"))?;
            let article = full_article(c, stored)?;
            article_events(before.as_ref(), Some(&article.summary), events);
            Ok(article)
        })
        .await
}

/// `DELETE /articles/{slug}` (editors).
pub async fn delete(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    expected_version: Option<i32>,
) -> AppResult<()> {
    let writer = require_role(viewer, Role::Editor)?.clone();
    state.abuse.write(viewer)?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let row = find_for_write(c, &slug, &writer, expected_version)?;
            let before = assemble(c, vec![row.clone()])?.pop();
            db::articles::delete(c, row.id)?;
            article_events(before.as_ref(), None, events);
            Ok(())
        })
        .await
}

/// What changes reach a cached list of articles: those it shows, and any public article that
/// could enter it (of its tag or author when it has one of those filters, any otherwise);
/// popular lists reorder as counters move.
pub fn list_shows(params: &ListArticles, items: &[ArticleSummary]) -> Shows {
    let scope = match (&params.tag, &params.author, &params.q) {
        (Some(tag), _, _) => Topic::TagLists(tag.clone()),
        (None, Some(author), _) => Topic::AuthorLists(author.clone()),
        (None, None, _) => Topic::Lists,
    };
    let mut topics = vec![scope];
    if params.sort.as_deref() == Some("popular") {
        topics.push(Topic::Popular);
    }
    Shows::topics(topics).with_articles(items.iter().map(|a| a.id))
}

/// What changes reach a cached related list: its source changing (any public change) and
/// any article going public (it may rank), and the counters of those it shows.
pub fn related_shows(items: &[ArticleSummary]) -> Shows {
    Shows::topics([Topic::Content, Topic::Lists]).with_articles(items.iter().map(|a| a.id))
}

/// What the public could see of an article, for events.
pub(crate) fn facts(a: &ArticleSummary, at: NaiveDateTime) -> ArticleFacts {
    ArticleFacts {
        id: a.id,
        slug: a.slug.clone(),
        author: a.author.slug.clone(),
        tags: a.tags.iter().map(|t| t.slug.clone()).collect(),
        live: a.status == ArticleStatus::Published
            && a.published_at.is_some_and(|t| t.naive_utc() <= at),
    }
}

fn is_scheduled(a: &ArticleSummary, at: NaiveDateTime) -> bool {
    a.status == ArticleStatus::Published && a.published_at.is_some_and(|t| t.naive_utc() > at)
}

/// The summary form, as webhooks carry it.
pub(crate) fn summary_data(a: &ArticleSummary) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or(serde_json::Value::Null)
}

/// The events of an article write, from what it was (`None`: created) and what it is
/// (`None`: deleted). Only public articles make public events; a scheduled one makes every
/// node look at the schedule.
fn article_events(
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

/// Rarer tags say more about an article: weight ~ 1000 / ln(e + articles carrying the tag).
fn tag_weights(counts: &[(i64, i64)]) -> Vec<(i64, i64)> {
    counts
        .iter()
        .map(|(tag, n)| {
            let w = 1000.0 / (std::f64::consts::E + *n as f64).ln();
            (*tag, w.round().max(1.0) as i64)
        })
        .collect()
}

fn check_related_limit(limit: Option<i64>) -> AppResult<i64> {
    let limit = limit.unwrap_or(5);
    if (1..=MAX_RELATED as i64).contains(&limit) {
        Ok(limit)
    } else {
        Err(FieldErrors::one(
            "limit",
            format!("must be between 1 and {MAX_RELATED}"),
        ))
    }
}

/// `GET /articles/{slug}/related`: curated first, then by shared tags weighted by rarity,
/// then the most recent; never the article itself, never unpublished ones.
pub async fn related(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    limit: Option<i64>,
) -> AppResult<Page<ArticleSummary>> {
    let limit = check_related_limit(limit)?;
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    let cache = state.cache.clone();
    state
        .db
        .read(move |c| {
            let article = find_readable(c, &slug, &viewer)?;
            let items = related_for(c, &cache, &[article.id], limit)?
                .remove(&article.id)
                .unwrap_or_default();
            Ok(Page::whole(items, limit))
        })
        .await
}

/// Related articles of many articles at once, in a fixed number of statements whatever their
/// number (REST asks for one, GraphQL for a page). `cache` keeps the tag sizes the rarity
/// weights come from.
pub fn related_for(
    c: &mut DbConn,
    cache: &ResponseCache,
    sources: &[i64],
    limit: i64,
) -> AppResult<HashMap<i64, Vec<ArticleSummary>>> {
    let limit = check_related_limit(Some(limit))?;
    let ids = related_ids(c, cache, sources, limit)?;
    let mut wanted: Vec<i64> = ids.values().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let rows = db::articles::summaries_by_ids(c, &wanted)?;
    let summaries: HashMap<i64, ArticleSummary> =
        assemble(c, rows)?.into_iter().map(|a| (a.id, a)).collect();
    Ok(ids
        .into_iter()
        .map(|(source, list)| {
            let items = list
                .iter()
                .filter_map(|id| summaries.get(id).cloned())
                .collect();
            (source, items)
        })
        .collect())
}

/// The ids of each source's related articles, best first.
fn related_ids(
    c: &mut DbConn,
    cache: &ResponseCache,
    sources: &[i64],
    limit: i64,
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let now = now();
    let mut out: HashMap<i64, Vec<i64>> = sources.iter().map(|s| (*s, Vec::new())).collect();
    let push = |out: &mut HashMap<i64, Vec<i64>>, source: i64, id: i64| {
        if let Some(list) = out.get_mut(&source) {
            if id != source && !list.contains(&id) && (list.len() as i64) < limit {
                list.push(id);
            }
        }
    };
    let curated = db::articles::curated_related(c, sources, now)?;
    let most_curated = curated
        .iter()
        .fold(HashMap::<i64, i64>::new(), |mut m, (s, _)| {
            *m.entry(*s).or_default() += 1;
            m
        });
    for (source, id) in curated {
        push(&mut out, source, id);
    }
    let tags = db::articles::tags_for(c, sources)?;
    if !tags.is_empty() {
        let sizes = cache.tag_sizes(|| -> AppResult<HashMap<i64, i64>> {
            Ok(db::articles::public_counts_by_tag(c, None, now)?
                .into_iter()
                .collect())
        })?;
        let weights: HashMap<i64, i64> = tag_weights(
            &tags
                .iter()
                .map(|(_, t)| (t.id, sizes.get(&t.id).copied().unwrap_or(0)))
                .collect::<Vec<_>>(),
        )
        .into_iter()
        .collect();
        let source_tags: Vec<(i64, i64, i64)> = tags
            .iter()
            .map(|(s, t)| (*s, t.id, weights.get(&t.id).copied().unwrap_or(1)))
            .collect();
        // Enough per source to fill the list after dropping the curated ones it repeats.
        let extra = most_curated.values().copied().max().unwrap_or(0);
        for (source, id) in db::articles::related_by_tags(c, &source_tags, now, limit + extra)? {
            push(&mut out, source, id);
        }
    }
    if out.values().any(|l| (l.len() as i64) < limit) {
        // A source excludes itself and at most `limit` chosen ids: 2 * limit + 1 suffice.
        let latest = db::articles::latest_ids(c, &[], now, 2 * limit + 1)?;
        for source in sources {
            for id in &latest {
                push(&mut out, *source, *id);
            }
        }
    }
    Ok(out)
}

/// `PUT /articles/{slug}/related` (editors): sets the curated list, in order.
pub async fn set_related(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    slugs: Vec<String>,
) -> AppResult<Vec<String>> {
    let writer = require_role(viewer, Role::Editor)?.clone();
    state.abuse.write(viewer)?;
    let mut e = FieldErrors::new();
    let mut wanted: Vec<String> = Vec::new();
    for s in &slugs {
        match Slug::parse(s) {
            Ok(_) if wanted.contains(s) => e.add("slugs", format!("{s:?} is listed twice")),
            Ok(_) if s == slug => e.add("slugs", "an article cannot be related to itself"),
            Ok(_) => wanted.push(s.clone()),
            Err(msg) => e.add("slugs", format!("{s:?} {msg}")),
        }
    }
    if wanted.len() > MAX_RELATED {
        e.add("slugs", format!("at most {MAX_RELATED} articles"));
    }
    e.into_result()?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let article = find_for_write(c, &slug, &writer, None)?;
            let found: HashMap<String, i64> = db::articles::ids_by_slugs(c, &wanted)?
                .into_iter()
                .collect();
            let mut e = FieldErrors::new();
            let ids: Vec<i64> = wanted
                .iter()
                .filter_map(|s| {
                    let id = found.get(s).copied();
                    if id.is_none() {
                        e.add("slugs", format!("no article has the slug {s:?}"));
                    }
                    id
                })
                .collect();
            e.into_result()?;
            db::articles::set_related(c, article.id, &ids)?;
            events.push(Event::RelatedChanged {
                article_id: article.id,
            });
            Ok(db::articles::curated_slugs(c, article.id)?)
        })
        .await
}

/// The curated list as stored (editors).
pub async fn curated(state: &AppState, viewer: &Viewer, slug: &str) -> AppResult<Vec<String>> {
    let writer = require_role(viewer, Role::Editor)?.clone();
    let slug = slug.to_owned();
    state
        .db
        .read(move |c| {
            let article = find_for_write(c, &slug, &writer, None)?;
            Ok(db::articles::curated_slugs(c, article.id)?)
        })
        .await
}

/// The id of an article everyone may see, for counters; 404 otherwise.
fn live_id(c: &mut DbConn, slug: &str) -> AppResult<i64> {
    match db::articles::find_by_slug(c, slug)? {
        Some(r) if is_live(&r, now()) => Ok(r.id),
        _ => Err(AppError::not_found("article")),
    }
}

/// `POST /articles/{slug}/views`: counted in memory, written with the next batch.
/// A client's views of one article count once per `count_once` (10 minutes): the rest are
/// answered alike and not counted.
pub async fn record_view(state: &AppState, caller: &Caller, slug: &str) -> AppResult<()> {
    let slug = slug.to_owned();
    let id = state.db.read(move |c| live_id(c, &slug)).await?;
    if state.abuse.first_count(caller, id, Counted::View) {
        state.counters.add_view(id);
    }
    Ok(())
}

/// `POST /articles/{slug}/shares`: counted in memory, written with the next batch.
/// Like views, once per client, article and network per `count_once`.
pub async fn record_share(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    network: &str,
) -> AppResult<()> {
    let network: ShareNetwork = network
        .parse()
        .map_err(|e: String| FieldErrors::one("network", e))?;
    let slug = slug.to_owned();
    let id = state.db.read(move |c| live_id(c, &slug)).await?;
    if state.abuse.first_count(caller, id, Counted::Share(network)) {
        state.counters.add_share(id, network);
    }
    Ok(())
}

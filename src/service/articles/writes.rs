//! Writes: validation, create, update and delete, each with the events it causes.

use super::*;

/// The editable fields of an article after validation.
#[derive(Debug, Clone)]
pub(super) struct Fields {
    title: String,
    body: String,
    slug: Option<Slug>,
    subtitle: Option<String>,
    /// `Some` when the editor wrote one.
    excerpt: Option<String>,
    dateline: Option<String>,
    image: Option<Image>,
    tags: Option<Vec<String>>,
    /// Account slugs, in order; `None`: unchanged (or, creating, the writer alone).
    authors: Option<Vec<String>>,
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
}

pub(super) fn check<T>(errors: &mut FieldErrors, field: &str, r: Result<T, String>) -> Option<T> {
    r.map_err(|e| errors.add(field, e)).ok()
}

pub(super) fn validate_image(errors: &mut FieldErrors, input: &ImageInput) -> Option<Image> {
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

pub(super) fn validate_tags(errors: &mut FieldErrors, tags: &[String]) -> Vec<String> {
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

pub(super) fn validate_authors(errors: &mut FieldErrors, authors: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in authors {
        match Slug::parse(a) {
            Ok(s) if out.iter().any(|o| o == s.as_str()) => {
                errors.add("authors", format!("{a:?} is named twice"))
            }
            Ok(s) => out.push(s.into_string()),
            Err(e) => errors.add("authors", format!("{a:?} {e}")),
        }
    }
    if authors.is_empty() {
        errors.add("authors", "needs at least one author");
    }
    if out.len() > MAX_AUTHORS {
        errors.add("authors", format!("at most {MAX_AUTHORS} authors"));
    }
    out
}

pub(super) fn validate_body(errors: &mut FieldErrors, body: &str) -> Option<String> {
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

pub(super) fn validate_create(input: &CreateArticle) -> AppResult<Fields> {
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
    let authors = input.authors.as_ref().map(|a| validate_authors(&mut e, a));
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
        authors,
        status: status.ok_or_else(missing)?,
        published_at: published_at.flatten(),
    })
}

/// Applies a patch to the stored article; fields not in the patch keep their values.
pub(super) fn validate_patch(
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
    let authors = patch.authors.as_ref().map(|a| validate_authors(&mut e, a));
    let status = match patch.status.as_deref() {
        Some(s) => check(&mut e, "status", s.parse()),
        None => Some(current.status),
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
        authors,
        status: status.ok_or_else(missing)?,
        published_at,
    })
}

/// What rendering adds to the fields: HTML, the excerpt, reading time, and the publish stamp.
pub(super) struct Rendered {
    body_html: String,
    excerpt: String,
    excerpt_is_custom: bool,
    reading_time: i32,
    published_at: Option<NaiveDateTime>,
}

/// Publishing without a publish time stamps the current one.
pub(super) fn publish_time(f: &Fields, stamp: NaiveDateTime) -> Option<NaiveDateTime> {
    match (f.status, f.published_at) {
        (ArticleStatus::Published, None) => Some(stamp),
        (_, t) => t,
    }
}

pub(super) fn render(f: &Fields, stamp: NaiveDateTime) -> Rendered {
    Rendered {
        body_html: text::render_article(&f.body),
        excerpt: f.excerpt.clone().unwrap_or_else(|| text::excerpt(&f.body)),
        excerpt_is_custom: f.excerpt.is_some(),
        reading_time: text::reading_time_minutes(&f.body),
        published_at: publish_time(f, stamp),
    }
}

/// The stored columns of validated and rendered fields.
pub(super) fn content(slug: String, f: Fields, r: Rendered) -> ArticleContent {
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
        status: f.status,
        published_at: r.published_at,
        reading_time_minutes: r.reading_time,
    }
}

/// Resolves tag slugs to ids, in order; unknown slugs are a 422 on `tags`.
pub(super) fn resolve_tags(c: &mut DbConn, slugs: &[String]) -> AppResult<Vec<i64>> {
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

/// Resolves a byline's slugs to account ids, in order; unknown slugs are a 422 on `authors`.
/// A writer who is not an editor stays on the byline: only editors hand an article over.
pub(super) fn resolve_authors(
    c: &mut DbConn,
    slugs: &[String],
    writer: &Principal,
) -> AppResult<Vec<i64>> {
    let found: HashMap<String, i64> = db::users::ids_by_slugs(c, slugs)?.into_iter().collect();
    let mut e = FieldErrors::new();
    let ids: Vec<i64> = slugs
        .iter()
        .filter_map(|s| {
            let id = found.get(s).copied();
            if id.is_none() {
                e.add("authors", format!("no account has the slug {s:?}"));
            }
            id
        })
        .collect();
    e.into_result()?;
    if !writer.role.is_editor() && !ids.contains(&writer.user_id) {
        return Err(FieldErrors::one(
            "authors",
            "must include you: only editors hand an article over to others",
        ));
    }
    Ok(ids)
}

/// A free slug derived from the title: the plain form, or the first `-2`, `-3`… not taken.
pub(super) fn free_slug(c: &mut DbConn, title: &str) -> AppResult<Slug> {
    let base = Slug::derive(title).ok_or_else(|| {
        FieldErrors::one(
            "slug",
            "cannot be derived from this title; give a slug of letters and digits",
        )
    })?;
    let name = base.as_str().to_owned();
    crate::service::first_free_slug(base, 1000, |s| Ok(db::articles::slug_exists(c, s)?))?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "too many articles are called {name:?}; give a slug"
            ))
        })
}

pub(super) fn slug_taken(slug: &str) -> AppError {
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
            let byline = match &fields.authors {
                Some(a) => resolve_authors(c, a, &author)?,
                None => vec![author.user_id],
            };
            let primary = *byline
                .first()
                .ok_or_else(|| AppError::Internal("validated byline empty".into()))?;
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
                author_id: primary,
                created_at: stamp,
                updated_at: stamp,
                view_count: 0,
                share_count: 0,
                comment_count: 0,
                version: 1,
            };
            let id = crate::service::insert_with_slug(
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
            db::articles::set_bylines(c, id, &byline)?;
            // Taking a retired slug ends its redirect.
            db::articles::claim_slug(c, &row.content.slug)?;
            let stored = db::articles::find_by_id(c, id)?
                .ok_or_else(|| AppError::Internal("inserted article not found".into()))?;
            let excerpt_is_custom = row.content.excerpt_is_custom;
            let article = full_article(c, stored)?;
            revisions::record(c, None, (&article, excerpt_is_custom), author.user_id)?;
            article_events(None, Some(&article.summary), events);
            Ok(article)
        })
        .await
}

/// Loads an article for a write and checks the writer may change it and holds its current
/// version (`If-Match` / `expectedVersion`).
pub(super) fn find_for_write(
    c: &mut DbConn,
    slug: &str,
    writer: &Principal,
    expected_version: Option<i32>,
) -> AppResult<ArticleSummaryRow> {
    let row = match db::articles::find_by_slug_for_write(c, slug)? {
        Some(r) if may_read(c, &r, &Access::User(writer.clone()), now())? => r,
        _ => return Err(AppError::not_found("article")),
    };
    if !may_edit(c, &row, writer)? {
        return Err(AppError::Forbidden(
            "authors may change only the articles they sign".into(),
        ));
    }
    if let Some(v) = expected_version {
        if v != row.version {
            return Err(stale(row.version));
        }
    }
    Ok(row)
}

pub(super) fn stale(current: i32) -> AppError {
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
    let ready = state.related.clone();
    state
        .write(move |c, events| {
            let current = find_for_write(c, &slug, &writer, expected_version)?;
            update_in(c, events, &ready, &writer, current, &patch)
        })
        .await
}

/// Applies `patch` to `current` (found for this writer by `find_for_write`) in the caller's
/// transaction: the new version, its revision and its events. Restoring a revision is this
/// same write.
pub(super) fn update_in(
    c: &mut DbConn,
    events: &mut Events,
    ready: &ReadyRelated,
    writer: &Principal,
    current: ArticleSummaryRow,
    patch: &UpdateArticle,
) -> AppResult<Article> {
    let body = bodies(c, &[current.id])?
        .remove(&current.id)
        .ok_or_else(|| AppError::not_found("article"))?;
    let before = whole(c, current.clone(), body.clone())?;
    let fields = validate_patch(&current, &body, patch)?;
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
    let byline = match &fields.authors {
        Some(a) => Some(resolve_authors(c, a, writer)?),
        None => None,
    };
    let changes = ArticleUpdate {
        content: content(new_slug, fields, rendered),
        updated_at: stamp,
        version: current.version + 1,
    };
    let written =
        db::articles::update(c, current.id, current.version, &changes).map_err(|e| match e {
            db::DbError::Conflict(_) => slug_taken(&changes.content.slug),
            other => other.into(),
        })?;
    if !written {
        return Err(stale(current.version + 1));
    }
    if changes.content.slug != current.slug {
        // The old slug keeps reaching the article; the new one stops redirecting elsewhere.
        db::articles::claim_slug(c, &changes.content.slug)?;
        db::articles::retire_slug(c, current.id, &current.slug, stamp)?;
    }
    let retagged = tag_ids.is_some();
    if let Some(ids) = tag_ids {
        db::articles::set_tags(c, current.id, &ids)?;
    }
    if let Some(ids) = byline {
        db::articles::set_bylines(c, current.id, &ids)?;
    }
    let stored =
        db::articles::find_by_id(c, current.id)?.ok_or_else(|| AppError::not_found("article"))?;
    if retagged || stored.status != current.status {
        // Its related list was ranked by its old tags: recomputed on its next read.
        db::articles::forget_ready_related(c, current.id)?;
        ready.forget(current.id);
    }
    let article = full_article(c, stored)?;
    revisions::record(
        c,
        Some((&before, body.excerpt_is_custom)),
        (&article, changes.content.excerpt_is_custom),
        writer.user_id,
    )?;
    article_events(Some(&before.summary), Some(&article.summary), events);
    Ok(article)
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

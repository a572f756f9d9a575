//! Reads: lists (filters, sorting, page and keyset paging), one article, and who may see what.

use super::*;

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

pub(super) fn sort_name(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Latest => "latest",
        SortKey::Oldest => "oldest",
        SortKey::Popular => "popular",
    }
}

pub(super) fn cursor_of(row: &ArticleSummaryRow, sort: SortKey) -> CursorKey {
    cursor_at(db::articles::position_of(row, sort), sort)
}

fn cursor_at(pos: KeysetPos, sort: SortKey) -> CursorKey {
    let mut c = CursorKey::new(sort_name(sort));
    match pos {
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

pub(super) fn keyset_of(c: &CursorKey, sort: SortKey) -> AppResult<KeysetPos> {
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
pub(super) fn list_filter(
    viewer: &Access,
    p: &ListArticles,
) -> AppResult<(ArticleFilter, SortKey)> {
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
    viewer: &Access,
    p: &ListArticles,
) -> AppResult<Page<ArticleSummary>> {
    list_as(state, viewer, p, Form::Rows, built_page).await
}

/// A page of summaries built from the rows and cards listed.
fn built_page(
    c: &mut DbConn,
    req: &PageRequest,
    sort: SortKey,
    listed: db::articles::ListedRows,
    total: Total,
) -> AppResult<Page<ArticleSummary>> {
    let mut page = Page::build(req, listed.rows, total, |r| cursor_of(r, sort), |r| r);
    let items = assemble_with(c, std::mem::take(&mut page.items), listed.cards)?;
    Ok(page.with_items(items))
}

/// [`list`] with the summaries as kept ready where they are (REST writes them out as they
/// are; GraphQL, which picks fields, uses [`list`]).
pub async fn list_ready(
    state: &AppState,
    viewer: &Access,
    p: &ListArticles,
) -> AppResult<Page<ListedSummary>> {
    list_as(
        state,
        viewer,
        p,
        Form::Ready,
        |c, req, sort, mut listed, total| {
            let Some(ready) = listed.ready.take() else {
                let mut page = built_page(c, req, sort, listed, total)?;
                let items = std::mem::take(&mut page.items);
                return Ok(page.with_items(
                    items
                        .into_iter()
                        .map(|s| ListedSummary::Built(Box::new(s)))
                        .collect(),
                ));
            };
            let keys = |r: &db::articles::ReadyRow| {
                cursor_at(db::articles::position_of_keys(&r.keys, sort), sort)
            };
            let mut page = Page::build(req, ready, total, keys, |r| r);
            let items = summaries::listed(c, std::mem::take(&mut page.items))?;
            Ok(page.with_items(items))
        },
    )
    .await
}

/// A list's page: its filter, total, plan and rows, made into a page by `finish`.
async fn list_as<T, F>(
    state: &AppState,
    viewer: &Access,
    p: &ListArticles,
    form: Form,
    finish: F,
) -> AppResult<Page<T>>
where
    T: Send + 'static,
    F: FnOnce(
            &mut DbConn,
            &PageRequest,
            SortKey,
            db::articles::ListedRows,
            Total,
        ) -> AppResult<Page<T>>
        + Send
        + 'static,
{
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
    let heads = (state.settings.search_head_size > 0).then(|| state.search_heads.clone());
    state
        .db
        .read_planned(filter.plans(), move |c| {
            let total = cache.count(filter.count_key(), || {
                // A tag or a search can match most of the corpus, and counting every match
                // costs far more than the page: counting stops at a cap and says so.
                let capped = filter.search.is_some() || filter.tag_slug.is_some();
                let cap = capped.then_some(COUNT_CAP);
                let (n, exact) = db::articles::count(c, &filter, cap)?;
                Ok::<_, AppError>(Total::counted(n, exact))
            })?;
            if total.count == 0 {
                return finish(c, &req, sort, db::articles::ListedRows::default(), total);
            }
            // A search's newest pages, off its words' heads where they have them.
            if let Some(heads) = &heads {
                match db::articles::from_heads(c, &filter, sort, paging, form)? {
                    FromHeads::Listed(listed) => return finish(c, &req, sort, listed, total),
                    FromHeads::Unheld(words) => heads.want(words),
                    FromHeads::No => {}
                }
            }
            // Few matches are gathered and sorted; many are met walking the list in order.
            let plan =
                db::articles::plan_for(c, &filter, (total.count, total.exact), paging.reach())?;
            let listed = db::articles::list_in(c, &filter, sort, paging, plan, form)?;
            finish(c, &req, sort, listed, total)
        })
        .await
}

/// Fills summaries with their authors, tags and share counts: one statement, kept prepared,
/// for any number of rows. GraphQL's loaders call the same function.
pub fn assemble(c: &mut DbConn, rows: Vec<ArticleSummaryRow>) -> AppResult<Vec<ArticleSummary>> {
    assemble_with(c, rows, None)
}

/// [`assemble`], given the cards read with the rows (`known`): only those it lacks are read.
fn assemble_with(
    c: &mut DbConn,
    rows: Vec<ArticleSummaryRow>,
    known: Option<db::articles::SummaryExtras>,
) -> AppResult<Vec<ArticleSummary>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let extras = match known {
        // What the cards did not hold comes from the links, as in `summary_extras`: their
        // cards were just read, so they are not looked up again.
        Some(mut extras) => {
            db::articles::fill_from_links(c, &mut extras, &ids)?;
            extras
        }
        None => db::articles::summary_extras(c, &ids)?,
    };
    let mut cards = cards_of(extras, &ids);
    rows.into_iter()
        .map(|r| match cards.remove(&r.id) {
            Some(card) => Ok(ArticleSummary::from_parts(brief_view(r), card)),
            None => Err(AppError::Internal(format!(
                "article {} has no byline",
                r.id
            ))),
        })
        .collect()
}

/// The cards (bylines, tags, share counts) of these articles, in the statement `assemble`
/// uses; an article without a byline (gone since) has none.
pub fn cards(c: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, ArticleCard>> {
    Ok(cards_of(db::articles::summary_extras(c, ids)?, ids))
}

/// The cards of `ids` made of what was read for them.
fn cards_of(mut extras: db::articles::SummaryExtras, ids: &[i64]) -> HashMap<i64, ArticleCard> {
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        let authors: Vec<AuthorRef> = extras
            .authors
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .map(author_ref)
            .collect();
        let Some(author) = authors.first().cloned() else {
            continue;
        };
        let card = ArticleCard {
            author,
            authors,
            tags: tag_refs(extras.tags.remove(id).unwrap_or_default()),
            share_counts: share_counts(extras.shares.remove(id).unwrap_or_default()),
        };
        out.insert(*id, card);
    }
    out
}

fn tag_refs(tags: Vec<(i64, String, String)>) -> Vec<TagRef> {
    tags.into_iter()
        .map(|(id, slug, name)| TagRef { id, slug, name })
        .collect()
}

fn author_ref(a: db::AuthorRef) -> AuthorRef {
    AuthorRef {
        id: a.id,
        slug: a.slug,
        name: a.name,
    }
}

/// Every network's share count, zero where none was counted.
fn share_counts(counted: impl IntoIterator<Item = (String, i64)>) -> BTreeMap<String, i64> {
    let mut all: BTreeMap<String, i64> = ShareNetwork::ALL
        .iter()
        .map(|n| (n.as_str().to_owned(), 0))
        .collect();
    all.extend(counted);
    all
}

/// What a summary shows of its article's row.
pub(super) fn brief_view(r: ArticleSummaryRow) -> ArticleBrief {
    let image = r.image_url.map(|url| Image {
        url,
        alt: r.image_alt,
        caption: r.image_caption,
        credit: r.image_credit,
    });
    ArticleBrief {
        id: r.id,
        slug: r.slug,
        title: r.title,
        subtitle: r.subtitle,
        excerpt: r.excerpt,
        dateline: r.dateline,
        image,
        status: r.status,
        published_at: r.published_at.map(utc),
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        reading_time_minutes: r.reading_time_minutes,
        view_count: r.view_count,
        share_count: r.share_count,
        comment_count: r.comment_count,
        version: r.version,
    }
}

pub(super) fn is_live(r: &ArticleSummaryRow, now: NaiveDateTime) -> bool {
    r.status.is_live(r.published_at, now)
}

/// Whether the viewer may read this article: live ones are public; the rest are for editors
/// and the authors on its byline.
pub(super) fn may_read(
    c: &mut DbConn,
    r: &ArticleSummaryRow,
    viewer: &Access,
    now: NaiveDateTime,
) -> AppResult<bool> {
    viewer.may_read_article(r.id, r.status, r.published_at, now, |user| {
        Ok(db::articles::on_byline(c, r.id, user)?)
    })
}

pub(super) fn may_edit(c: &mut DbConn, r: &ArticleSummaryRow, p: &Principal) -> AppResult<bool> {
    p.edits(|user| Ok(db::articles::on_byline(c, r.id, user)?))
}

/// Finds an article the viewer may read; anything else is 404 (no hint that it exists).
pub(crate) fn find_readable(
    c: &mut DbConn,
    slug: &str,
    viewer: &Access,
) -> AppResult<ArticleSummaryRow> {
    match db::articles::find_by_slug(c, slug)? {
        Some(r) if may_read(c, &r, viewer, now())? => Ok(r),
        _ => Err(AppError::not_found("article")),
    }
}

/// An article the signed-in viewer may edit: readable by them (else 404) and theirs to edit
/// (else 403). Its history and preview links are for them alone.
pub(super) fn find_editable(
    c: &mut DbConn,
    slug: &str,
    viewer: &Access,
) -> AppResult<ArticleSummaryRow> {
    let p = super::super::require_user(viewer)?;
    let row = find_readable(c, slug, viewer)?;
    if !may_edit(c, &row, p)? {
        return Err(AppError::Forbidden(
            "only editors and the article's authors may do this".into(),
        ));
    }
    Ok(row)
}

pub(super) fn full_article(c: &mut DbConn, row: ArticleSummaryRow) -> AppResult<Article> {
    let id = row.id;
    let body = bodies(c, &[id])?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("article"))?;
    whole(c, row, body)
}

/// An article's row and body made whole: its author, tags and share counts (one statement).
pub(super) fn whole(
    c: &mut DbConn,
    row: ArticleSummaryRow,
    body: db::ArticleBodyRow,
) -> AppResult<Article> {
    let summary = assemble(c, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Internal("article vanished while reading".into()))?;
    Ok(Article {
        summary,
        body: body.body,
        body_html: body.body_html,
    })
}

/// The Markdown and HTML bodies of a set of articles (one statement).
pub fn bodies(c: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, db::ArticleBodyRow>> {
    Ok(db::articles::bodies_by_ids(c, ids)?.into_iter().collect())
}

/// `GET /articles/{slug}`: two statements, both kept prepared (the article with its body;
/// its author, tags and share counts).
pub async fn get(state: &AppState, viewer: &Access, slug: &str) -> AppResult<Article> {
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    state
        .db
        .read_planned(db::Plans::Once, move |c| read_article(c, &slug, &viewer))
        .await
}

/// An article the viewer may read, whole; anything else is 404 (no hint that it exists).
pub(crate) fn read_article(c: &mut DbConn, slug: &str, viewer: &Access) -> AppResult<Article> {
    let (row, body) = match db::articles::article_by_slug(c, slug)? {
        Some(found) if may_read(c, &found.0, viewer, now())? => found,
        _ => return Err(AppError::not_found("article")),
    };
    whole(c, row, body)
}

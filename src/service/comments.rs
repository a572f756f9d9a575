//! Threaded comments with moderation. Public comments wait as `pending`; an editor's are
//! approved at once. Emails are never shown publicly.

use std::collections::HashMap;

use super::paging::{offset_of, CursorKey, Page, PageParams, PageRequest};
use super::{is_editor, require_role, text, AppState, Viewer};
use crate::db::{self, CommentRow, DbConn, NewComment};
use crate::domain::{now, text_field, utc, CommentStatus, Email, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{AddComment, Comment};

const MAX_COMMENT_CHARS: usize = 5000;

fn view(r: CommentRow, show_email: bool, article_slug: Option<String>) -> Comment {
    Comment {
        id: r.id,
        parent_id: r.parent_id,
        author_name: r.author_name,
        author_email: show_email.then_some(r.author_email),
        article_slug,
        body: r.body,
        body_html: r.body_html,
        status: r.status.parse().unwrap_or(CommentStatus::Pending),
        created_at: utc(r.created_at),
        replies: Vec::new(),
    }
}

/// Builds the reply tree from comments in date order; a reply whose parent is not shown is
/// not shown either.
fn thread(rows: Vec<CommentRow>, show_email: bool) -> Vec<Comment> {
    let mut children: HashMap<i64, Vec<CommentRow>> = HashMap::new();
    let mut roots = Vec::new();
    for r in rows {
        match r.parent_id {
            Some(p) => children.entry(p).or_default().push(r),
            None => roots.push(r),
        }
    }
    fn attach(
        r: CommentRow,
        children: &mut HashMap<i64, Vec<CommentRow>>,
        show_email: bool,
    ) -> Comment {
        let kids = children.remove(&r.id).unwrap_or_default();
        let mut c = view(r, show_email, None);
        c.replies = kids
            .into_iter()
            .map(|k| attach(k, children, show_email))
            .collect();
        c
    }
    roots
        .into_iter()
        .map(|r| attach(r, &mut children, show_email))
        .collect()
}

/// An article's id if the viewer may read it (the rules of `articles`).
fn readable_article(c: &mut DbConn, slug: &str, viewer: &Viewer) -> AppResult<i64> {
    super::articles::find_readable(c, slug, viewer).map(|r| r.id)
}

/// `GET /articles/{slug}/comments`: approved comments, oldest first, threaded; pages count
/// top-level comments.
pub async fn list_for_article(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    paging: &PageParams,
) -> AppResult<Page<Comment>> {
    let req = PageRequest::parse(paging)?;
    if !matches!(req, PageRequest::Offset { .. }) {
        return Err(FieldErrors::one("cursor", "comments page by `page`"));
    }
    let show_email = is_editor(viewer);
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    state
        .db
        .read(move |c| {
            let article_id = readable_article(c, &slug, &viewer)?;
            let rows = db::comments::approved_for_article(c, article_id)?;
            let roots = thread(rows, show_email);
            let total = roots.len() as i64;
            let start = offset_of(&req).min(total) as usize;
            let page: Vec<Comment> = roots
                .into_iter()
                .skip(start)
                .take(req.per_page() as usize + 1)
                .collect();
            Ok(Page::build(
                &req,
                page,
                total,
                |_| CursorKey::new("comments"),
                |c| c,
            ))
        })
        .await
        .map(|mut p: Page<Comment>| {
            // Comment pages are numbered; there is no cursor to hand out.
            p.meta.next_cursor = None;
            p
        })
}

/// `POST /articles/{slug}/comments`.
pub async fn add(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    input: AddComment,
) -> AppResult<Comment> {
    let mut e = FieldErrors::new();
    let name = match input.author_name.as_deref() {
        Some(n) => text_field(n, 100).map_err(|m| e.add("author_name", m)).ok(),
        None => {
            e.add("author_name", "is required");
            None
        }
    };
    let email = match input.author_email.as_deref() {
        Some(m) => Email::parse(m).map_err(|m| e.add("author_email", m)).ok(),
        None => {
            e.add("author_email", "is required");
            None
        }
    };
    let body = match input.body.as_deref() {
        Some(b) => text_field(b, MAX_COMMENT_CHARS)
            .map_err(|m| e.add("body", m))
            .ok(),
        None => {
            e.add("body", "is required");
            None
        }
    };
    e.into_result()?;
    let (Some(name), Some(email), Some(body)) = (name, email, body) else {
        return Err(AppError::Internal("validated comment field missing".into()));
    };
    let status = if is_editor(viewer) {
        CommentStatus::Approved
    } else {
        CommentStatus::Pending
    };
    let show_email = is_editor(viewer);
    let body_html = text::render_comment(&body);
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    let parent_id = input.parent_id;
    state
        .db
        .write(move |c| {
            let article_id = readable_article(c, &slug, &viewer)?;
            if let Some(pid) = parent_id {
                match db::comments::find(c, pid)? {
                    Some(p) if p.article_id == article_id => {}
                    _ => {
                        return Err(FieldErrors::one(
                            "parent_id",
                            "must be a comment on the same article",
                        ))
                    }
                }
            }
            let stamp = now();
            let row = db::comments::insert(
                c,
                &NewComment {
                    article_id,
                    parent_id,
                    user_id: viewer.as_ref().map(|p| p.user_id),
                    author_name: name,
                    author_email: email.into_string(),
                    body,
                    body_html,
                    status: status.as_str().to_owned(),
                    created_at: stamp,
                    updated_at: stamp,
                },
            )?;
            if status == CommentStatus::Approved {
                recount(c, article_id)?;
            }
            Ok(view(row, show_email, None))
        })
        .await
}

fn recount(c: &mut DbConn, article_id: i64) -> AppResult<()> {
    let n = db::comments::count_approved(c, article_id)?;
    db::articles::set_comment_count(c, article_id, n)?;
    Ok(())
}

/// `GET /comments?status=pending` (editors): the moderation queue, oldest first.
pub async fn queue(
    state: &AppState,
    viewer: &Viewer,
    status: Option<&str>,
    paging: &PageParams,
) -> AppResult<Page<Comment>> {
    require_role(viewer, Role::Editor)?;
    let status: Option<CommentStatus> = match status {
        None => Some(CommentStatus::Pending),
        Some("any") => None,
        Some(s) => Some(
            s.parse()
                .map_err(|m: String| FieldErrors::one("status", format!("{m}, any")))?,
        ),
    };
    let req = PageRequest::parse(paging)?;
    let after = match &req {
        PageRequest::After { cursor, .. } if cursor.k == "comment" => {
            Some(cursor.i.ok_or_else(CursorKey::mismatch)?)
        }
        PageRequest::After { .. } => return Err(CursorKey::mismatch()),
        PageRequest::Before { .. } => {
            req.forward_only("comments")?;
            None
        }
        PageRequest::Offset { .. } => None,
    };
    state
        .db
        .read(move |c| {
            let s = status.map(|s| s.as_str());
            let total = db::comments::count_by_status(c, s)?;
            let rows = db::comments::by_status(c, s, offset_of(&req), after, req.per_page() + 1)?;
            Ok(Page::build(
                &req,
                rows,
                total,
                |(r, _)| {
                    let mut k = CursorKey::new("comment");
                    k.i = Some(r.id);
                    k
                },
                |(r, slug)| view(r, true, Some(slug)),
            ))
        })
        .await
}

/// `PATCH /comments/{id}` (editors).
pub async fn moderate(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    status: &str,
) -> AppResult<Comment> {
    require_role(viewer, Role::Editor)?;
    let status: CommentStatus = status
        .parse()
        .map_err(|m: String| FieldErrors::one("status", m))?;
    state
        .db
        .write(move |c| {
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            db::comments::set_status(c, id, status.as_str(), now())?;
            recount(c, row.article_id)?;
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            Ok(view(row, true, None))
        })
        .await
}

/// `DELETE /comments/{id}` (editors): the comment and its replies.
pub async fn delete(state: &AppState, viewer: &Viewer, id: i64) -> AppResult<()> {
    require_role(viewer, Role::Editor)?;
    state
        .db
        .write(move |c| {
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            db::comments::delete(c, id)?;
            recount(c, row.article_id)?;
            Ok(())
        })
        .await
}

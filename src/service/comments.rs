//! Threaded comments with moderation. Public comments wait as `pending`; an editor's are
//! approved at once. Emails are never shown publicly.

use std::collections::HashMap;

use super::abuse::spam;
use super::events::Event;
use super::paging::{offset_of, CursorKey, Page, PageParams, PageRequest};
use super::{require_role, text, Access, AppState, Caller};
use crate::db::comments::RootsFrom;
use crate::db::{self, CommentRow, DbConn, NewComment};
use crate::domain::{now, text_field, utc, CommentStatus, Email, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{AddComment, Comment};

const MAX_COMMENT_CHARS: usize = 5000;

/// A comment as `editor` or not sees it. Only editors see emails and the spam verdict: to
/// anyone else (the poster included) a comment held as spam is pending like any other.
fn view(r: CommentRow, editor: bool, article_slug: Option<String>) -> Comment {
    let mut status = r.status;
    if !editor && status == CommentStatus::Spam {
        status = CommentStatus::Pending;
    }
    Comment {
        id: r.id,
        parent_id: r.parent_id,
        author_name: r.author_name,
        author_email: editor.then_some(r.author_email),
        article_slug,
        body: r.body,
        body_html: r.body_html,
        status,
        spam_reason: r.spam_reason.filter(|_| editor),
        created_at: utc(r.created_at),
        replies: Vec::new(),
    }
}

/// An article's id if the viewer may read it (the rules of `articles`).
fn readable_article(c: &mut DbConn, slug: &str, viewer: &Access) -> AppResult<i64> {
    super::articles::find_readable(c, slug, viewer).map(|r| r.id)
}

fn cursor_of(r: &CommentRow) -> CursorKey {
    let mut k = CursorKey::new("comments");
    k.t = Some(r.created_at.and_utc().timestamp());
    k.i = Some(r.id);
    k
}

/// A page of each article's approved top-level comments (replies not filled), with totals:
/// two statements for any number of articles. REST asks for one article, GraphQL for a page.
pub fn pages_for(
    c: &mut DbConn,
    article_ids: &[i64],
    req: &PageRequest,
    show_email: bool,
) -> AppResult<HashMap<i64, Page<Comment>>> {
    let from = match req.forward_cursor("comments", "comments")? {
        None => RootsFrom::Offset(offset_of(req)),
        Some(cursor) => {
            let t = cursor
                .t
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .ok_or_else(CursorKey::mismatch)?;
            RootsFrom::After(t.naive_utc(), cursor.i.ok_or_else(CursorKey::mismatch)?)
        }
    };
    let totals: HashMap<i64, i64> = db::comments::count_approved_roots(c, article_ids)?
        .into_iter()
        .collect();
    let mut rows: HashMap<i64, Vec<CommentRow>> = HashMap::new();
    for r in db::comments::approved_roots(c, article_ids, from, req.per_page() + 1)? {
        rows.entry(r.article_id).or_default().push(r);
    }
    Ok(article_ids
        .iter()
        .map(|id| {
            let page = Page::build(
                req,
                rows.remove(id).unwrap_or_default(),
                totals.get(id).copied().unwrap_or(0),
                cursor_of,
                |r| view(r, show_email, None),
            );
            (*id, page)
        })
        .collect())
}

/// Approved replies to each of `parent_ids`, oldest first (one statement).
pub fn replies_for(
    c: &mut DbConn,
    parent_ids: &[i64],
    show_email: bool,
) -> AppResult<HashMap<i64, Vec<Comment>>> {
    let mut out: HashMap<i64, Vec<Comment>> = HashMap::new();
    for r in db::comments::approved_replies(c, parent_ids)? {
        if let Some(parent) = r.parent_id {
            out.entry(parent)
                .or_default()
                .push(view(r, show_email, None));
        }
    }
    Ok(out)
}

/// Fills every level of replies below `roots`: one statement per level.
fn fill_replies(c: &mut DbConn, roots: &mut [Comment], show_email: bool) -> AppResult<()> {
    let ids: Vec<i64> = roots.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut replies = replies_for(c, &ids, show_email)?;
    for root in roots.iter_mut() {
        root.replies = replies.remove(&root.id).unwrap_or_default();
    }
    let mut next: Vec<Comment> = roots
        .iter_mut()
        .flat_map(|r| std::mem::take(&mut r.replies))
        .collect();
    fill_replies(c, &mut next, show_email)?;
    // Hand each filled reply back to its parent, keeping their order.
    let mut by_parent: HashMap<i64, Vec<Comment>> = HashMap::new();
    for reply in next {
        if let Some(p) = reply.parent_id {
            by_parent.entry(p).or_default().push(reply);
        }
    }
    for root in roots.iter_mut() {
        root.replies = by_parent.remove(&root.id).unwrap_or_default();
    }
    Ok(())
}

/// `GET /articles/{slug}/comments`: approved comments, oldest first, threaded; pages count
/// top-level comments.
pub async fn list_for_article(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    paging: &PageParams,
) -> AppResult<Page<Comment>> {
    let req = PageRequest::parse(paging)?;
    let show_email = viewer.is_editor();
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    state
        .db
        .read_planned(db::Plans::Once, move |c| {
            let article_id = readable_article(c, &slug, &viewer)?;
            let mut page = pages_for(c, &[article_id], &req, show_email)?
                .remove(&article_id)
                .ok_or_else(|| AppError::not_found("article"))?;
            fill_replies(c, &mut page.items, show_email)?;
            Ok(page)
        })
        .await
}

/// `POST /articles/{slug}/comments`. An anonymous comment is rate limited per client and
/// passes the spam check: spam is kept as `spam` with its reason, and its poster is answered
/// as any other (no oracle for spammers). Signed-in accounts skip the check.
pub async fn add(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    input: AddComment,
) -> AppResult<Comment> {
    let mut e = FieldErrors::new();
    let name = e.required("author_name", input.author_name.as_deref(), |v| {
        text_field(v, 100)
    });
    let email = e.required("author_email", input.author_email.as_deref(), Email::parse);
    let body = e.required("body", input.body.as_deref(), |v| {
        text_field(v, MAX_COMMENT_CHARS)
    });
    e.into_result()?;
    let (Some(name), Some(email), Some(body)) = (name, email, body) else {
        return Err(AppError::Internal("validated comment field missing".into()));
    };
    state.abuse.comment(viewer, slug)?;
    let spam_reason = (!viewer.is_signed_in() && state.abuse.applies_to(viewer))
        .then(|| {
            state.abuse.spam.judge(&spam::Post {
                body: &body,
                website: input.website.as_deref(),
                client: crate::client::limit_key(viewer.client.addr),
                article: slug,
            })
        })
        .flatten();
    if let Some(reason) = &spam_reason {
        tracing::info!(
            client = %viewer.client.addr,
            request_id = %viewer.client.request_id,
            article = slug,
            reason = reason.as_str(),
            "comment held as spam"
        );
    }
    let status = if viewer.is_editor() {
        CommentStatus::Approved
    } else if spam_reason.is_some() {
        CommentStatus::Spam
    } else {
        CommentStatus::Pending
    };
    let show_email = viewer.is_editor();
    let body_html = text::render_comment(&body);
    let slug = slug.to_owned();
    let viewer = viewer.viewer.clone();
    let parent_id = input.parent_id;
    state
        .write(move |c, events| {
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
                    user_id: viewer.principal().map(|p| p.user_id),
                    author_name: name,
                    author_email: email.into_string(),
                    body,
                    body_html,
                    status,
                    created_at: stamp,
                    updated_at: stamp,
                    spam_reason,
                },
            )?;
            if status == CommentStatus::Approved {
                recount(c, article_id)?;
            }
            // Spam is for moderators to find, never news for anyone else.
            if status != CommentStatus::Spam {
                events.push(Event::CommentCreated {
                    article_id,
                    pending: status != CommentStatus::Approved,
                    data: public_data(&row, &slug),
                });
            }
            Ok(view(row, show_email, None))
        })
        .await
}

/// A comment as webhooks carry it: its public form (never the email) and its article.
fn public_data(row: &CommentRow, article_slug: &str) -> serde_json::Value {
    let comment = view(row.clone(), false, Some(article_slug.to_owned()));
    serde_json::to_value(comment).unwrap_or(serde_json::Value::Null)
}

fn recount(c: &mut DbConn, article_id: i64) -> AppResult<()> {
    let n = db::comments::count_approved(c, article_id)?;
    db::articles::set_comment_count(c, article_id, n)?;
    Ok(())
}

/// `GET /comments?status=pending` (editors): the moderation queue, oldest first.
pub async fn queue(
    state: &AppState,
    viewer: &Access,
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
    let after = req
        .forward_cursor("comment", "comments")?
        .map(|c| c.i.ok_or_else(CursorKey::mismatch))
        .transpose()?;
    state
        .db
        .read(move |c| {
            let total = db::comments::count_by_status(c, status)?;
            let rows =
                db::comments::by_status(c, status, offset_of(&req), after, req.per_page() + 1)?;
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
    viewer: &Caller,
    id: i64,
    status: &str,
) -> AppResult<Comment> {
    require_role(viewer, Role::Editor)?;
    state.abuse.write(viewer)?;
    let status: CommentStatus = status
        .parse()
        .map_err(|m: String| FieldErrors::one("status", m))?;
    state
        .write(move |c, events| {
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            let was_approved = row.status == CommentStatus::Approved;
            db::comments::set_status(c, id, status, now())?;
            recount(c, row.article_id)?;
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            let article_id = row.article_id;
            match (was_approved, status == CommentStatus::Approved) {
                (false, true) => {
                    let slug = db::articles::find_by_id(c, article_id)?
                        .map(|a| a.slug)
                        .unwrap_or_default();
                    events.push(Event::CommentApproved {
                        article_id,
                        data: public_data(&row, &slug),
                    })
                }
                (true, false) => events.push(Event::CommentWithdrawn {
                    article_id,
                    comment_id: id,
                }),
                _ => {}
            }
            Ok(view(row, true, None))
        })
        .await
}

/// `DELETE /comments/{id}` (editors): the comment and its replies.
pub async fn delete(state: &AppState, viewer: &Caller, id: i64) -> AppResult<()> {
    require_role(viewer, Role::Editor)?;
    state.abuse.write(viewer)?;
    state
        .write(move |c, events| {
            let row = db::comments::find(c, id)?.ok_or_else(|| AppError::not_found("comment"))?;
            let before = db::comments::count_approved(c, row.article_id)?;
            db::comments::delete(c, id)?;
            recount(c, row.article_id)?;
            // The comment, or a reply under it, was public.
            if db::comments::count_approved(c, row.article_id)? != before {
                events.push(Event::CommentWithdrawn {
                    article_id: row.article_id,
                    comment_id: id,
                });
            }
            Ok(())
        })
        .await
}

//! Tags: public lists with live article counts; editors manage them.

use std::collections::HashMap;

use super::events::Event;
use super::paging::{offset_of, CursorKey, Page, PageParams, PageRequest};
use super::{require_role, AppState, Caller};
use crate::db::{self, DbConn, NewTag, TagRow};
use crate::domain::{now, optional_text, text_field, Role, Slug};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{CreateTag, Tag, UpdateTag};

fn with_counts(c: &mut DbConn, rows: Vec<TagRow>) -> AppResult<Vec<Tag>> {
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let counts: HashMap<i64, i64> = db::articles::public_counts_by_tag(c, Some(&ids), now())?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|t| Tag {
            article_count: counts.get(&t.id).copied().unwrap_or(0),
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: t.description,
        })
        .collect())
}

/// Tags by id with their counts (one batch for GraphQL's loader).
pub fn by_ids(c: &mut DbConn, ids: &[i64]) -> AppResult<Vec<Tag>> {
    let rows = db::tags::find_by_ids(c, ids)?;
    with_counts(c, rows)
}

/// `GET /tags`: all tags by slug, each with its count of live articles.
pub async fn list(state: &AppState, paging: &PageParams) -> AppResult<Page<Tag>> {
    let req = PageRequest::parse(paging)?;
    let after = req
        .forward_cursor("tag", "tags")?
        .map(|c| c.s.clone().ok_or_else(CursorKey::mismatch))
        .transpose()?;
    state
        .db
        .read(move |c| {
            let total = db::tags::count(c)?;
            let rows = db::tags::list(c, offset_of(&req), after.as_deref(), req.per_page() + 1)?;
            let mut page = Page::build(
                &req,
                rows,
                total,
                |t: &TagRow| {
                    let mut k = CursorKey::new("tag");
                    k.s = Some(t.slug.clone());
                    k
                },
                |t| t,
            );
            let items = with_counts(c, std::mem::take(&mut page.items))?;
            Ok(page.with_items(items))
        })
        .await
}

fn find(c: &mut DbConn, slug: &str) -> AppResult<TagRow> {
    db::tags::find_by_slug(c, slug)?.ok_or_else(|| AppError::not_found("tag"))
}

/// `GET /tags/{slug}`.
pub async fn get(state: &AppState, slug: &str) -> AppResult<Tag> {
    let slug = slug.to_owned();
    state
        .db
        .read(move |c| {
            let row = find(c, &slug)?;
            with_counts(c, vec![row])?
                .pop()
                .ok_or_else(|| AppError::not_found("tag"))
        })
        .await
}

fn taken(slug: &str) -> AppError {
    AppError::Conflict(format!("a tag with the slug {slug:?} already exists"))
}

/// `POST /tags` (editors).
pub async fn create(state: &AppState, viewer: &Caller, input: CreateTag) -> AppResult<Tag> {
    require_role(viewer, Role::Editor)?;
    state.abuse.write(viewer)?;
    let mut e = FieldErrors::new();
    let name = e.required("name", input.name.as_deref(), |v| text_field(v, 100));
    let slug = match (input.slug.as_deref(), &name) {
        (Some(s), _) => Slug::parse(s).map_err(|m| e.add("slug", m)).ok(),
        (None, Some(n)) => {
            let derived = Slug::derive(n);
            if derived.is_none() {
                e.add("slug", "cannot be derived from this name; give one");
            }
            derived
        }
        (None, None) => None,
    };
    let description = optional_text(input.description.as_deref(), 1000)
        .map_err(|m| e.add("description", m))
        .ok()
        .flatten();
    e.into_result()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(AppError::Internal("validated tag field missing".into()));
    };
    state
        .write(move |c, events| {
            if db::tags::find_by_slug(c, slug.as_str())?.is_some() {
                return Err(taken(slug.as_str()));
            }
            let stamp = now();
            let row = db::tags::insert(
                c,
                &NewTag {
                    slug: slug.as_str().to_owned(),
                    name,
                    description,
                    created_at: stamp,
                    updated_at: stamp,
                },
            )
            .map_err(|e| match e {
                db::DbError::Conflict(_) => taken(slug.as_str()),
                other => other.into(),
            })?;
            let tag = with_counts(c, vec![row])?
                .pop()
                .ok_or_else(|| AppError::not_found("tag"))?;
            events.push(Event::TagCreated {
                tag: tag.slug.clone(),
                data: data(&tag),
            });
            Ok(tag)
        })
        .await
}

/// A tag as webhooks carry it.
fn data(tag: &Tag) -> serde_json::Value {
    serde_json::to_value(tag).unwrap_or(serde_json::Value::Null)
}

/// `PATCH /tags/{slug}` (editors).
pub async fn update(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    input: UpdateTag,
) -> AppResult<Tag> {
    require_role(viewer, Role::Editor)?;
    state.abuse.write(viewer)?;
    let mut e = FieldErrors::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| text_field(n, 100).map_err(|m| e.add("name", m)).ok());
    let new_slug = input
        .slug
        .as_deref()
        .and_then(|s| Slug::parse(s).map_err(|m| e.add("slug", m)).ok());
    let description = input.description.as_ref().map(|d| {
        optional_text(d.as_deref(), 1000)
            .map_err(|m| e.add("description", m))
            .ok()
            .flatten()
    });
    e.into_result()?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let current = find(c, &slug)?;
            let target = new_slug
                .map(Slug::into_string)
                .unwrap_or(current.slug.clone());
            if target != current.slug && db::tags::find_by_slug(c, &target)?.is_some() {
                return Err(taken(&target));
            }
            let description = match description {
                Some(d) => d,
                None => current.description.clone(),
            };
            let row = db::tags::update(
                c,
                current.id,
                &target,
                name.as_deref().unwrap_or(&current.name),
                description.as_deref(),
                now(),
            )?;
            let tag = with_counts(c, vec![row])?
                .pop()
                .ok_or_else(|| AppError::not_found("tag"))?;
            events.push(Event::TagUpdated {
                tag: tag.slug.clone(),
                previous_slug: (tag.slug != current.slug).then(|| current.slug.clone()),
                renamed: tag.slug != current.slug || tag.name != current.name,
                data: data(&tag),
            });
            Ok(tag)
        })
        .await
}

/// `DELETE /tags/{slug}` (editors): the tag leaves every article that carried it.
pub async fn delete(state: &AppState, viewer: &Caller, slug: &str) -> AppResult<()> {
    require_role(viewer, Role::Editor)?;
    state.abuse.write(viewer)?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let current = find(c, &slug)?;
            let tag = with_counts(c, vec![current.clone()])?.pop();
            db::tags::delete(c, current.id)?;
            if let Some(tag) = tag {
                events.push(Event::TagDeleted {
                    tag: tag.slug.clone(),
                    data: data(&tag),
                });
            }
            Ok(())
        })
        .await
}

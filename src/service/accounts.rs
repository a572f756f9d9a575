//! Accounts: profiles, the admin's user management, and one's own settings.

use super::auth::{hash_password_async, verify_password};
use super::events::Event;
use super::paging::{offset_of, Page, PageParams, PageRequest};
use super::{require_role, require_user, Access, AppState, Caller};
use crate::db::{self, DbConn, NewUser, UserChanges, UserRow};
use crate::domain::{now, optional_text, parse_http_url, text_field, utc, Email, Role, Slug};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{Author, CreateUser, UpdateUser, User};

const MIN_PASSWORD: usize = 10;
const MAX_PASSWORD: usize = 512;

pub fn user_view(u: UserRow) -> User {
    User {
        id: u.id,
        role: u.role,
        email: u.email,
        slug: u.slug,
        name: u.name,
        bio: u.bio,
        avatar_url: u.avatar_url,
        created_at: utc(u.created_at),
        updated_at: utc(u.updated_at),
    }
}

fn check_password(e: &mut FieldErrors, field: &str, p: &str) {
    let n = p.chars().count();
    if let Err(m) = crate::domain::check_chars(p) {
        e.add(field, m);
    } else if n < MIN_PASSWORD {
        e.add(field, format!("must be at least {MIN_PASSWORD} characters"));
    } else if n > MAX_PASSWORD {
        e.add(field, format!("must be at most {MAX_PASSWORD} characters"));
    }
}

fn check_avatar(e: &mut FieldErrors, v: Option<&str>) -> Option<String> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(u) => parse_http_url(u).map_err(|m| e.add("avatar_url", m)).ok(),
    }
}

fn author_view(u: UserRow) -> Author {
    Author {
        id: u.id,
        slug: u.slug,
        name: u.name,
        bio: u.bio,
        avatar_url: u.avatar_url,
    }
}

/// `GET /authors/{slug}`: anyone's public profile.
pub async fn author(state: &AppState, slug: &str) -> AppResult<Author> {
    let slug = slug.to_owned();
    state
        .db
        .read(move |c| db::users::find_by_slug(c, &slug))
        .await?
        .map(author_view)
        .ok_or_else(|| AppError::not_found("author"))
}

/// Public profiles by user id (one batch for GraphQL's loader).
pub fn authors_by_ids(c: &mut DbConn, ids: &[i64]) -> AppResult<Vec<Author>> {
    Ok(db::users::find_by_ids(c, ids)?
        .into_iter()
        .map(author_view)
        .collect())
}

/// `GET /me`.
pub async fn me(state: &AppState, viewer: &Access) -> AppResult<User> {
    let id = require_user(viewer)?.user_id;
    state
        .db
        .read(move |c| db::users::find_by_id(c, id))
        .await?
        .map(user_view)
        .ok_or_else(|| AppError::not_found("user"))
}

/// `GET /users` (admins).
pub async fn list(state: &AppState, viewer: &Access, paging: &PageParams) -> AppResult<Page<User>> {
    require_role(viewer, Role::Admin)?;
    let req = PageRequest::parse(paging)?;
    if !matches!(req, PageRequest::Offset { .. }) {
        return Err(FieldErrors::one("cursor", "users page by `page`"));
    }
    state
        .db
        .read(move |c| {
            let total = db::users::count(c)?;
            let rows = db::users::list(c, offset_of(&req), req.per_page() + 1)?;
            let mut page = Page::build(
                &req,
                rows,
                total,
                |_| super::paging::CursorKey::new("user"),
                user_view,
            );
            page.meta.next_cursor = None;
            Ok(page)
        })
        .await
}

/// Every account, oldest first (the operator's `users list`; no viewer: whoever runs the
/// command line holds the database already).
pub async fn all_users(state: &AppState) -> AppResult<Vec<User>> {
    let rows = state
        .db
        .read(|c| db::users::list(c, 0, i64::from(i32::MAX)).map_err(AppError::from))
        .await?;
    Ok(rows.into_iter().map(user_view).collect())
}

/// Sets the password of the account with this email (the operator's `users
/// set-password`, for a lost password). Every token of the account stops working.
pub async fn set_password(state: &AppState, email: &str, password: String) -> AppResult<User> {
    let email = Email::parse(email).map_err(|m| FieldErrors::one("email", m))?;
    let changes = validate_update(
        &UpdateUser {
            name: None,
            role: None,
            password: Some(password),
            current_password: None,
            bio: None,
            avatar_url: None,
        },
        false,
    )?;
    let id = state
        .db
        .read(move |c| db::users::find_by_email(c, email.as_str()).map_err(AppError::from))
        .await?
        .ok_or_else(|| AppError::not_found("user"))?
        .id;
    apply(state, id, changes, true).await
}

/// A slug for a person's name that no other account has.
fn free_user_slug(c: &mut DbConn, name: &str) -> AppResult<Slug> {
    // A name with no letters or digits in it still gets a profile: author, author-2, ...
    let base = Slug::derive(name)
        .or_else(|| Slug::derive("author"))
        .ok_or_else(|| AppError::Internal("cannot make a profile slug".into()))?;
    super::first_free_slug(base, 10_000, |s| Ok(db::users::slug_exists(c, s)?))?
        .ok_or_else(|| AppError::Conflict("no free profile slug for this name".into()))
}

/// Creates an account (the admin's `POST /users`, and the command line).
pub async fn create_user(state: &AppState, input: CreateUser) -> AppResult<User> {
    let mut e = FieldErrors::new();
    let email = e.required("email", input.email.as_deref(), Email::parse);
    let name = e.required("name", input.name.as_deref(), |v| text_field(v, 100));
    let role = e.required("role", input.role.as_deref(), str::parse::<Role>);
    match input.password.as_deref() {
        Some(p) => check_password(&mut e, "password", p),
        None => e.add("password", "is required"),
    }
    let bio = optional_text(input.bio.as_deref(), 2000)
        .map_err(|m| e.add("bio", m))
        .ok()
        .flatten();
    let avatar_url = check_avatar(&mut e, input.avatar_url.as_deref());
    e.into_result()?;
    let (Some(email), Some(name), Some(role), Some(password)) = (email, name, role, input.password)
    else {
        return Err(AppError::Internal("validated user field missing".into()));
    };
    let password_hash = hash_password_async(password).await?;
    state
        .write(move |c, _events| {
            if db::users::find_by_email(c, email.as_str())?.is_some() {
                return Err(AppError::Conflict(
                    "an account with this email already exists".into(),
                ));
            }
            let stamp = now();
            let mut row = NewUser {
                email: email.into_string(),
                slug: String::new(),
                name,
                role,
                password_hash,
                bio,
                avatar_url,
                token_version: 1,
                created_at: stamp,
                updated_at: stamp,
            };
            let slug = free_user_slug(c, &row.name)?;
            let name = row.name.clone();
            let row = super::insert_with_slug(
                c,
                slug,
                true,
                db::users::slug_exists,
                |c| free_user_slug(c, &name),
                |c, slug| {
                    row.slug = slug.as_str().to_owned();
                    db::users::insert(c, &row)
                },
                // The email, taken by a concurrent create, is the only other unique column.
                |_, e| match e {
                    db::DbError::Conflict(_) => {
                        AppError::Conflict("an account with this email already exists".into())
                    }
                    other => other.into(),
                },
            )?;
            Ok(user_view(row))
        })
        .await
}

/// `POST /users` (admins).
pub async fn create(state: &AppState, viewer: &Caller, input: CreateUser) -> AppResult<User> {
    require_role(viewer, Role::Admin)?;
    state.abuse.write(viewer)?;
    create_user(state, input).await
}

/// Validated changes, before the password is hashed.
struct Changes {
    name: Option<String>,
    role: Option<Role>,
    password: Option<String>,
    bio: Option<Option<String>>,
    avatar_url: Option<Option<String>>,
}

fn validate_update(input: &UpdateUser, own: bool) -> AppResult<Changes> {
    let mut e = FieldErrors::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| text_field(n, 100).map_err(|m| e.add("name", m)).ok());
    let role = match (input.role.as_deref(), own) {
        (Some(_), true) => {
            e.add("role", "cannot be changed on one's own account");
            None
        }
        (Some(r), false) => r.parse().map_err(|m: String| e.add("role", m)).ok(),
        (None, _) => None,
    };
    if let Some(p) = input.password.as_deref() {
        check_password(&mut e, "password", p);
        if own && input.current_password.is_none() {
            e.add("current_password", "is required to change the password");
        }
    }
    if !own && input.current_password.is_some() {
        e.add(
            "current_password",
            "is only for one's own account (PATCH /me)",
        );
    }
    let bio = input.bio.as_ref().map(|b| {
        optional_text(b.as_deref(), 2000)
            .map_err(|m| e.add("bio", m))
            .ok()
            .flatten()
    });
    let avatar_url = input
        .avatar_url
        .as_ref()
        .map(|a| check_avatar(&mut e, a.as_deref()));
    e.into_result()?;
    Ok(Changes {
        name,
        role,
        password: input.password.clone(),
        bio,
        avatar_url,
    })
}

/// Writes validated changes; a new password or role bumps the token version, so the
/// account's older tokens stop working at once.
async fn apply(state: &AppState, id: i64, ch: Changes, acting_admin: bool) -> AppResult<User> {
    let password_hash = match ch.password {
        Some(p) => Some(hash_password_async(p).await?),
        None => None,
    };
    state
        .write(move |c, events| {
            let current =
                db::users::find_by_id(c, id)?.ok_or_else(|| AppError::not_found("user"))?;
            let role_changes = ch.role.is_some_and(|r| r != current.role);
            if acting_admin
                && role_changes
                && current.role == Role::Admin
                && db::users::count_admins(c)? <= 1
            {
                return Err(AppError::Conflict(
                    "this is the last admin; make another admin first".into(),
                ));
            }
            let revoke = password_hash.is_some() || role_changes;
            // Name, bio and avatar are public (the author profile, bylines); the rest is not.
            let public = ch.name.as_ref().is_some_and(|n| *n != current.name)
                || ch.bio.as_ref().is_some_and(|b| *b != current.bio)
                || ch
                    .avatar_url
                    .as_ref()
                    .is_some_and(|a| *a != current.avatar_url);
            events.push(Event::AccountChanged {
                user_id: id,
                profile: public.then(|| current.slug.clone()),
                removed: false,
            });
            let changes = UserChanges {
                name: ch.name,
                role: ch.role,
                password_hash,
                bio: ch.bio,
                avatar_url: ch.avatar_url,
                token_version: revoke.then_some(current.token_version + 1),
                updated_at: Some(now()),
            };
            Ok(user_view(db::users::update(c, id, &changes)?))
        })
        .await
}

/// `PATCH /users/{id}` (admins).
pub async fn update(
    state: &AppState,
    viewer: &Caller,
    id: i64,
    input: UpdateUser,
) -> AppResult<User> {
    require_role(viewer, Role::Admin)?;
    state.abuse.write(viewer)?;
    let changes = validate_update(&input, false)?;
    apply(state, id, changes, true).await
}

/// `PATCH /me`: one's own profile; a new password needs the current one.
pub async fn update_me(state: &AppState, viewer: &Caller, input: UpdateUser) -> AppResult<User> {
    let id = require_user(viewer)?.user_id;
    state.abuse.write(viewer)?;
    let changes = validate_update(&input, true)?;
    if let Some(current) = input.current_password.clone() {
        let stored = state
            .db
            .read(move |c| db::users::find_by_id(c, id))
            .await?
            .ok_or_else(|| AppError::not_found("user"))?;
        if !verify_password(current, stored.password_hash).await? {
            return Err(FieldErrors::one("current_password", "is not right"));
        }
    }
    apply(state, id, changes, false).await
}

/// `DELETE /users/{id}` (admins). An account with articles needs `reassign_to`, the account
/// that takes them over; nobody deletes the last admin or themselves.
pub async fn delete(
    state: &AppState,
    viewer: &Caller,
    id: i64,
    reassign_to: Option<i64>,
) -> AppResult<()> {
    let admin = require_role(viewer, Role::Admin)?;
    state.abuse.write(viewer)?;
    if admin.user_id == id {
        return Err(AppError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    if reassign_to == Some(id) {
        return Err(FieldErrors::one("reassign_to", "must be another account"));
    }
    state
        .write(move |c, events| {
            let user = db::users::find_by_id(c, id)?.ok_or_else(|| AppError::not_found("user"))?;
            if user.role == Role::Admin && db::users::count_admins(c)? <= 1 {
                return Err(AppError::Conflict("this is the last admin".into()));
            }
            let articles = db::articles::count_by_author(c, id)?;
            if articles > 0 {
                let Some(to) = reassign_to else {
                    return Err(AppError::Conflict(format!(
                        "this account wrote {articles} articles; pass ?reassign_to=<user id> to hand them over"
                    )));
                };
                if db::users::find_by_id(c, to)?.is_none() {
                    return Err(FieldErrors::one("reassign_to", "no account has this id"));
                }
                db::articles::reassign_author(c, id, to)?;
            }
            db::tokens::delete_for_user(c, id)?;
            db::users::delete(c, id)?;
            events.push(Event::AccountChanged {
                user_id: id,
                profile: Some(user.slug.clone()),
                removed: true,
            });
            Ok(())
        })
        .await
}

//!  the REST write shapes in camelCase ----:Input types: the REST write shapes in camelCase, converted to the service's.

use super::*;

// ---- inputs: the REST write shapes in camelCase ----

#[derive(InputObject, Clone, Default)]
pub struct ImageInput {
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

impl From<ImageInput> for model::ImageInput {
    fn from(i: ImageInput) -> Self {
        model::ImageInput {
            url: Some(i.url),
            alt: i.alt,
            caption: i.caption,
            credit: i.credit,
        }
    }
}

#[derive(InputObject)]
pub struct CreateArticleInput {
    pub title: String,
    /// Markdown; raw HTML in it is sanitized.
    pub body: String,
    /// Derived from the title when absent.
    pub slug: Option<String>,
    pub subtitle: Option<String>,
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    pub image: Option<ImageInput>,
    /// Tag slugs, in order.
    pub tags: Option<Vec<String>>,
    /// The byline: account slugs in order, the first the primary author (default: you).
    pub authors: Option<Vec<String>>,
    /// `DRAFT` by default.
    pub status: Option<ArticleStatus>,
    /// RFC 3339; publishing without it stamps the current time.
    pub published_at: Option<String>,
}

impl From<CreateArticleInput> for model::CreateArticle {
    fn from(i: CreateArticleInput) -> Self {
        model::CreateArticle {
            title: Some(i.title),
            body: Some(i.body),
            slug: i.slug,
            subtitle: i.subtitle,
            excerpt: i.excerpt,
            dateline: i.dateline,
            image: i.image.map(Into::into),
            tags: i.tags,
            authors: i.authors,
            status: i
                .status
                .map(|s| domain::ArticleStatus::from(s).as_str().into()),
            published_at: i.published_at,
        }
    }
}

/// Any subset of the article's fields; `null` clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateArticleInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub slug: Option<String>,
    pub subtitle: async_graphql::MaybeUndefined<String>,
    pub excerpt: async_graphql::MaybeUndefined<String>,
    pub dateline: async_graphql::MaybeUndefined<String>,
    pub image: async_graphql::MaybeUndefined<ImageInput>,
    pub tags: Option<Vec<String>>,
    /// The byline: account slugs in order, the first the primary author.
    pub authors: Option<Vec<String>>,
    pub status: Option<ArticleStatus>,
    pub published_at: async_graphql::MaybeUndefined<String>,
}

/// Absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub(super) fn patch<T, U>(
    v: async_graphql::MaybeUndefined<T>,
    f: impl FnOnce(T) -> U,
) -> Option<Option<U>> {
    match v {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

impl From<UpdateArticleInput> for model::UpdateArticle {
    fn from(i: UpdateArticleInput) -> Self {
        model::UpdateArticle {
            title: i.title,
            body: i.body,
            slug: i.slug,
            subtitle: patch(i.subtitle, |v| v),
            excerpt: patch(i.excerpt, |v| v),
            dateline: patch(i.dateline, |v| v),
            image: patch(i.image, Into::into),
            tags: i.tags,
            authors: i.authors,
            status: i
                .status
                .map(|s| domain::ArticleStatus::from(s).as_str().into()),
            published_at: patch(i.published_at, |v| v),
        }
    }
}

#[derive(InputObject)]
pub struct CreateTagInput {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateTagInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct AddCommentInput {
    pub article_slug: String,
    pub author_name: String,
    pub author_email: String,
    pub body: String,
    /// The comment this one answers (on the same article).
    pub parent_id: Option<ID>,
    /// Leave empty: a field a form hides from people, so that robots fill it. Accepted and
    /// never stored or shown.
    pub website: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateMeInput {
    pub name: Option<String>,
    pub password: Option<String>,
    /// Required with `password`.
    pub current_password: Option<String>,
    pub bio: async_graphql::MaybeUndefined<String>,
    pub avatar_url: async_graphql::MaybeUndefined<String>,
}

impl From<UpdateMeInput> for model::UpdateUser {
    fn from(i: UpdateMeInput) -> Self {
        model::UpdateUser {
            name: i.name,
            role: None,
            password: i.password,
            current_password: i.current_password,
            bio: patch(i.bio, |v| v),
            avatar_url: patch(i.avatar_url, |v| v),
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<String>,
    pub bio: async_graphql::MaybeUndefined<String>,
    pub avatar_url: async_graphql::MaybeUndefined<String>,
}

impl From<UpdateUserInput> for model::UpdateUser {
    fn from(i: UpdateUserInput) -> Self {
        model::UpdateUser {
            name: i.name,
            role: i.role.map(|r| domain::Role::from(r).as_str().into()),
            password: i.password,
            current_password: None,
            bio: patch(i.bio, |v| v),
            avatar_url: patch(i.avatar_url, |v| v),
        }
    }
}

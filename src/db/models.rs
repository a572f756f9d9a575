//! Rows as stored. The API's shapes live in `crate::model`; these never leave `db` and `service`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use super::types::{MaybeStamp, Stamp};
use crate::domain::{ArticleStatus, CommentStatus, Role};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub email: String,
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub bio: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub token_version: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

/// An article without its body: what lists show.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
#[diesel(check_for_backend(crate::db::Backend))]
pub struct ArticleSummaryRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub dateline: Option<String>,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub image_caption: Option<String>,
    pub image_credit: Option<String>,
    pub author_id: i64,
    pub status: ArticleStatus,
    #[diesel(deserialize_as = MaybeStamp)]
    pub published_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
    pub reading_time_minutes: i32,
    pub view_count: i64,
    pub share_count: i64,
    pub comment_count: i64,
    pub version: i32,
}

/// The parts of an article that only the full form carries.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleBodyRow {
    pub body: String,
    pub body_html: String,
    pub excerpt_is_custom: bool,
}

/// The author as an article shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// The editable content of an article: written whole on insert and on update alike (the
/// service merges a patch into the stored row first), so nullable fields can be cleared.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleContent {
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub excerpt_is_custom: bool,
    pub body: String,
    pub body_html: String,
    pub dateline: Option<String>,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub image_caption: Option<String>,
    pub image_credit: Option<String>,
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub reading_time_minutes: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle {
    #[diesel(embed)]
    pub content: ArticleContent,
    pub author_id: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub view_count: i64,
    pub share_count: i64,
    pub comment_count: i64,
    pub version: i32,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = articles)]
pub struct ArticleUpdate {
    #[diesel(embed)]
    pub content: ArticleContent,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct TagRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tags)]
pub struct NewTag {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = article_tags)]
pub struct ArticleTagLink {
    pub article_id: i64,
    pub tag_id: i64,
    pub position: i32,
}

/// One line of an article's byline (`position` 0 is its primary author).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = article_authors)]
pub struct Byline {
    pub article_id: i64,
    pub user_id: i64,
    pub position: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = related_articles)]
pub struct RelatedLink {
    pub article_id: i64,
    pub related_id: i64,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub spam_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = comments)]
pub struct NewComment {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub spam_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = article_shares)]
pub struct ShareCount {
    pub article_id: i64,
    pub network: String,
    pub count: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct RevisionRow {
    pub version: i32,
    pub changed: String,
    pub content: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = article_revisions)]
pub struct NewRevision {
    pub article_id: i64,
    pub version: i32,
    pub editor_id: Option<i64>,
    pub changed: String,
    pub content: String,
    pub created_at: NaiveDateTime,
}

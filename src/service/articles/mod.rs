//! Articles: lists, reads, writes, related articles and counters.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::abuse::Counted;
use super::cache::{ResponseCache, Shows, Topic};
use super::events::{ArticleFacts, Event, Events};
use super::paging::{offset_of, CursorKey, Page, PageParams, PageRequest, Total};
use super::{require_role, text, Access, AppState, Caller, Principal};
use crate::db::articles::{
    ArticleFilter, Form, FromHeads, KeysetPos, Paging, SortKey, StatusFilter,
};
use crate::db::search::SearchTerms;
use crate::db::{self, ArticleContent, ArticleSummaryRow, ArticleUpdate, DbConn, NewArticle};
use crate::domain::{
    check_chars, now, optional_text, parse_http_url, parse_instant, text_field, utc, ArticleStatus,
    Role, ShareNetwork, Slug,
};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{
    Article, ArticleBrief, ArticleCard, ArticleSummary, AuthorRef, CreateArticle, Image,
    ImageInput, ListedSummary, TagRef, UpdateArticle,
};

pub const MAX_TAGS: usize = 20;
/// At most this many authors sign one article.
pub const MAX_AUTHORS: usize = 10;
pub const MAX_RELATED: usize = 20;
const MAX_BODY_CHARS: usize = 200_000;

mod counters;
mod effects;
mod heads;
mod previews;
mod queries;
mod ready;
mod related;
mod revisions;
mod summaries;
mod writes;

pub use counters::*;
pub use effects::*;
pub use heads::{keep_heads, SearchHeads};
pub use previews::{
    create_preview, preview, revoke_previews, PREVIEW_TTL_DEFAULT, PREVIEW_TTL_MAX,
};
pub use queries::*;
pub use ready::{store_ready, ReadyRelated};
pub use related::*;
pub use revisions::{
    article_revisions, get_revision, list_revisions, restore_revision, KEEP_DAYS, KEEP_VERSIONS,
};
pub use summaries::{after_commit, render, render_backlog, render_pending, RENDERED_BY_A_WRITE};
pub use writes::*;

//! Article queries. One builder serves every list (REST, GraphQL, feeds to come): optional
//! filters, one sort, offset or keyset paging, all in one boxed query.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::models::*;
use super::schema::{
    article_authors, article_shares, article_slugs, article_tags, articles, related_articles,
    related_ready, tags, users,
};
use super::search::{self, SearchTerms};
use super::{in_ids, Backend, DbConn, DbError, DbResult};
use crate::domain::{ArticleStatus, Slug};

diesel::define_sql_function!(fn coalesce(x: Nullable<Timestamp>, y: Timestamp) -> Timestamp);

mod bulk;
mod candidates;
mod cards;
mod filter;
mod front;
mod heads;
mod list;
mod related;
mod rows;
mod schedule;
mod summaries;
mod totals;
mod walk;

pub use bulk::*;
pub use candidates::*;
pub use cards::{bulk_insert_cards, card_text, rebuild_cards, Cards};
pub use filter::*;
pub use heads::{from_heads, FromHeads};
pub use list::*;
pub use related::*;
pub use rows::*;
pub use schedule::*;
pub use summaries::{
    claim_unrendered, ready_in_order, store_summaries, unrendered, ListedKeys, ReadyRow, Rendered,
};
pub use totals::*;

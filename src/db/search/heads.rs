//! PostgreSQL: the heads of the search index's lists, the newest published articles holding
//! each searched word in publication order (`migrations/postgres/…_search_heads`). GIN keeps a
//! word's matches by row address, so a search's newest 20 cost gathering and sorting all of
//! them, or walking the list and reading each row's search vector; a head is one range of an
//! index. The trigger of that migration keeps every head exact from its floor up at each
//! write; here heads are read, built for the words readers search, and trimmed.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::SearchTerms;
use crate::db::DbConn;
use crate::domain::ArticleStatus;

diesel::table! {
    search_heads (lexeme) {
        lexeme -> Text,
        floor_at -> Nullable<Timestamp>,
        floor_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    search_head_entries (lexeme, published_at, article_id) {
        lexeme -> Text,
        published_at -> Timestamp,
        article_id -> BigInt,
    }
}

/// The advisory lock that orders heads' upkeep after writes: every write that may change a
/// head takes it shared (the trigger), building or trimming a head takes it exclusively.
pub const HEADS_LOCK: i64 = 7_163_505_202;

/// Entries a head keeps when built or trimmed, by default: 20 pages of 20, newest first. A
/// head grows as articles are published and is trimmed back past twice as many.
pub const KEPT: i64 = 400;

/// Where a head's list is known from: every match at or above this (publish time, id) is in
/// it; `None`, every match is.
pub type Floor = Option<(NaiveDateTime, i64)>;

/// A head as kept: its floor and its entries (publish time, id), newest first.
pub type Head = (Floor, Vec<(NaiveDateTime, i64)>);

/// The heads a search's words have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heads {
    /// Every word has one; `floor` is the highest of theirs (where all are known).
    Held { lexemes: Vec<String>, floor: Floor },
    /// These words have none yet.
    Unheld(Vec<String>),
}

/// The search's words as the search index has them (PostgreSQL normalizes them as
/// `plainto_tsquery` does), with their heads; `None` when no word is searchable (all are
/// stop words: nothing matches).
pub fn heads_of(c: &mut PgConnection, terms: &SearchTerms) -> QueryResult<Option<Heads>> {
    let rows: Vec<(String, bool, Option<NaiveDateTime>, Option<i64>)> = HeadsOf {
        words: terms.plain(),
    }
    .load(c)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let unheld: Vec<String> = rows.iter().filter(|r| !r.1).map(|r| r.0.clone()).collect();
    if !unheld.is_empty() {
        return Ok(Some(Heads::Unheld(unheld)));
    }
    let floor = rows.iter().filter_map(|r| r.2.zip(r.3)).max();
    Ok(Some(Heads::Held {
        lexemes: rows.into_iter().map(|r| r.0).collect(),
        floor,
    }))
}

/// One page, newest first, of the articles published by `now` holding every one of
/// `lexemes`, read off their heads: from `offset`, below `below` when given. `None` when the
/// heads cannot tell it: the page runs past `floor`, where they stop knowing.
pub fn page(
    c: &mut PgConnection,
    lexemes: &[String],
    floor: Floor,
    now: NaiveDateTime,
    below: Option<(NaiveDateTime, i64)>,
    offset: i64,
    limit: i64,
) -> QueryResult<Option<Vec<i64>>> {
    let Some((first, others)) = lexemes.split_first() else {
        return Ok(Some(Vec::new()));
    };
    // "No floor": below any publish time (year 1, within both chrono's and PostgreSQL's
    // range); never `now` or another real time, which would cut the list short.
    let Some(lowest) =
        chrono::NaiveDate::from_ymd_opt(1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return Ok(None);
    };
    let ids: Vec<i64> = HeadPage {
        first: first.clone(),
        others: others.to_vec(),
        others_count: others.len() as i64,
        now,
        floor: floor.unwrap_or((lowest, i64::MIN)),
        below: below.unwrap_or((now, i64::MAX)),
        offset,
        limit,
    }
    .load(c)?;
    // A short page ends the list only where the heads know all of it.
    Ok((ids.len() as i64 == limit || floor.is_none()).then_some(ids))
}

/// `heads_of`'s statement. It and [`HeadPage`] are written whole, of static text, so that the
/// connection keeps them prepared: diesel prepares a statement holding raw SQL (`sql`,
/// `sql_query`) anew each time, and parsing and planning these cost more than running them.
struct HeadsOf {
    words: String,
}

impl QueryId for HeadsOf {
    type QueryId = HeadsOf;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for HeadsOf {
    type SqlType = (Text, Bool, Nullable<Timestamp>, Nullable<BigInt>);
}

impl QueryFragment<Pg> for HeadsOf {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The words' lexemes, each with whether it has a head and the head's floor.
        out.push_sql(
            "SELECT l.lexeme, h.lexeme IS NOT NULL, h.floor_at, h.floor_id \
             FROM unnest(tsvector_to_array(to_tsvector('english', ",
        );
        out.push_bind_param::<Text, _>(&self.words)?;
        out.push_sql("))) AS l (lexeme) LEFT JOIN search_heads h ON h.lexeme = l.lexeme");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for HeadsOf {}

/// `page`'s statement: the entries of the first word's head in the window, each found in
/// every other word's head too (none for one word); "no floor" and "from the top" are the
/// lowest key and `now`'s highest.
struct HeadPage {
    first: String,
    others: Vec<String>,
    others_count: i64,
    now: NaiveDateTime,
    floor: (NaiveDateTime, i64),
    below: (NaiveDateTime, i64),
    offset: i64,
    limit: i64,
}

impl QueryId for HeadPage {
    type QueryId = HeadPage;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for HeadPage {
    type SqlType = BigInt;
}

impl QueryFragment<Pg> for HeadPage {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT e.article_id FROM search_head_entries e WHERE e.lexeme = ");
        out.push_bind_param::<Text, _>(&self.first)?;
        out.push_sql(" AND e.published_at <= ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(" AND (e.published_at, e.article_id) >= (");
        out.push_bind_param::<Timestamp, _>(&self.floor.0)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.floor.1)?;
        out.push_sql(") AND (e.published_at, e.article_id) < (");
        out.push_bind_param::<Timestamp, _>(&self.below.0)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.below.1)?;
        out.push_sql(") AND (SELECT count(*) FROM search_head_entries o WHERE o.lexeme = ANY (");
        out.push_bind_param::<Array<Text>, _>(&self.others)?;
        out.push_sql(") AND o.published_at = e.published_at AND o.article_id = e.article_id) = ");
        out.push_bind_param::<BigInt, _>(&self.others_count)?;
        out.push_sql(" ORDER BY e.published_at DESC, e.article_id DESC LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.limit)?;
        out.push_sql(" OFFSET ");
        out.push_bind_param::<BigInt, _>(&self.offset)?;
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for HeadPage {}

/// What building a head came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Built {
    /// Built, holding this many entries.
    Holding(usize),
    /// It was there already, or the word cannot be a head's (see [`buildable`]).
    Skipped,
    /// Another build, a trim or a bulk load holds the lock: try again later.
    Busy,
}

/// Whether a head can be built for `lexeme`: letters and digits only, so that quoted it is
/// read back by `tsquery` as that one word.
pub fn buildable(lexeme: &str) -> bool {
    !lexeme.is_empty() && lexeme.chars().all(char::is_alphanumeric)
}

/// Builds `lexeme`'s head from the articles, inside the caller's transaction: its newest
/// `kept` published matches, floored at the last of them when there are more.
pub fn build(conn: &mut DbConn, lexeme: &str, kept: i64) -> QueryResult<Built> {
    let (DbConn::Pg(c), true) = (conn, buildable(lexeme)) else {
        return Ok(Built::Skipped);
    };
    if !try_lock(c)? {
        return Ok(Built::Busy);
    }
    let exists = search_heads::table
        .find(lexeme)
        .select(search_heads::lexeme)
        .first::<String>(c)
        .optional()?
        .is_some();
    if exists {
        return Ok(Built::Skipped);
    }
    use crate::db::schema::articles as a;
    let mut newest: Vec<(NaiveDateTime, i64)> = a::table
        .select((a::published_at.assume_not_null(), a::id))
        .filter(
            sql::<Bool>("articles.search_vector @@ CAST(quote_literal(")
                .bind::<Text, _>(lexeme)
                .sql(") AS tsquery)"),
        )
        .filter(a::status.eq(ArticleStatus::Published))
        .filter(a::published_at.is_not_null())
        .order_by((a::published_at.desc(), a::id.desc()))
        .limit(kept + 1)
        .load(c)?;
    let floor = if newest.len() as i64 > kept {
        newest.truncate(kept as usize);
        newest.last().copied()
    } else {
        None
    };
    diesel::insert_into(search_heads::table)
        .values((
            search_heads::lexeme.eq(lexeme),
            search_heads::floor_at.eq(floor.map(|f| f.0)),
            search_heads::floor_id.eq(floor.map(|f| f.1)),
        ))
        .execute(c)?;
    let rows: Vec<_> = newest
        .iter()
        .map(|&(t, id)| {
            (
                search_head_entries::lexeme.eq(lexeme),
                search_head_entries::published_at.eq(t),
                search_head_entries::article_id.eq(id),
            )
        })
        .collect();
    diesel::insert_into(search_head_entries::table)
        .values(&rows)
        .execute(c)?;
    Ok(Built::Holding(newest.len()))
}

/// `lexeme`'s head as kept; `None` when it has none (always on SQLite).
pub fn head(conn: &mut DbConn, lexeme: &str) -> QueryResult<Option<Head>> {
    use search_head_entries as e;
    let DbConn::Pg(c) = conn else {
        return Ok(None);
    };
    let floor: Option<(Option<NaiveDateTime>, Option<i64>)> = search_heads::table
        .find(lexeme)
        .select((search_heads::floor_at, search_heads::floor_id))
        .first(c)
        .optional()?;
    let Some((at, id)) = floor else {
        return Ok(None);
    };
    let entries = e::table
        .select((e::published_at, e::article_id))
        .filter(e::lexeme.eq(lexeme))
        .order_by((e::published_at.desc(), e::article_id.desc()))
        .load(c)?;
    Ok(Some((at.zip(id), entries)))
}

/// How many heads there are (none on SQLite).
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    match conn {
        DbConn::Pg(c) => search_heads::table.count().get_result(c),
        DbConn::Sqlite(_) => Ok(0),
    }
}

/// Of the next `n` heads after `after` (by word), those holding more than twice `kept`
/// entries, and the last word looked at (`None`: no heads after `after`, start again).
pub fn overgrown(
    conn: &mut DbConn,
    kept: i64,
    after: &str,
    n: i64,
) -> QueryResult<(Vec<String>, Option<String>)> {
    use search_head_entries as e;
    let DbConn::Pg(c) = conn else {
        return Ok((Vec::new(), None));
    };
    let next: Vec<String> = search_heads::table
        .select(search_heads::lexeme)
        .filter(search_heads::lexeme.gt(after))
        .order_by(search_heads::lexeme)
        .limit(n)
        .load(c)?;
    let Some(last) = next.last().cloned() else {
        return Ok((Vec::new(), None));
    };
    let long = e::table
        .filter(e::lexeme.eq_any(&next))
        .group_by(e::lexeme)
        .having(diesel::dsl::count_star().gt(kept.saturating_mul(2)))
        .select(e::lexeme)
        .load(c)?;
    Ok((long, Some(last)))
}

/// Trims `lexeme`'s head back to its newest `kept` entries, raising its floor to the last,
/// inside the caller's transaction; `false` when another holds the lock.
pub fn trim(conn: &mut DbConn, lexeme: &str, kept: i64) -> QueryResult<bool> {
    use search_head_entries as e;
    let DbConn::Pg(c) = conn else {
        return Ok(true);
    };
    if !try_lock(c)? {
        return Ok(false);
    }
    let last: Option<(NaiveDateTime, i64)> = e::table
        .select((e::published_at, e::article_id))
        .filter(e::lexeme.eq(lexeme))
        .order_by((e::published_at.desc(), e::article_id.desc()))
        .offset(kept.max(1) - 1)
        .first(c)
        .optional()?;
    let Some((t, id)) = last else {
        return Ok(true);
    };
    let below = e::published_at
        .lt(t)
        .or(e::published_at.eq(t).and(e::article_id.lt(id)));
    diesel::delete(e::table.filter(e::lexeme.eq(lexeme)).filter(below)).execute(c)?;
    diesel::update(search_heads::table.find(lexeme))
        .set((
            search_heads::floor_at.eq(Some(t)),
            search_heads::floor_id.eq(Some(id)),
        ))
        .execute(c)?;
    Ok(true)
}

/// After a bulk load that turned the heads' trigger off: heads built meanwhile may lack
/// articles of the load, so under the heads' lock (no build or trim runs) the trigger goes
/// back on and the heads go; readers' searches build them again.
pub fn resume(conn: &mut DbConn) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "SELECT pg_advisory_lock({HEADS_LOCK}); \
         ALTER TABLE articles ENABLE TRIGGER search_heads_keep; \
         TRUNCATE search_head_entries, search_heads; \
         SELECT pg_advisory_unlock({HEADS_LOCK})"
    ))
}

/// At start-up: [`resume`], when a bulk load left the heads' trigger off (it was stopped
/// before it ended).
pub fn resume_if_off(conn: &mut DbConn) -> QueryResult<()> {
    let DbConn::Pg(c) = conn else {
        return Ok(());
    };
    let off: bool = diesel::select(sql::<Bool>(
        "EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'search_heads_keep' \
         AND tgrelid = 'articles'::regclass AND tgenabled = 'D')",
    ))
    .get_result(c)?;
    if off {
        resume(conn)?;
    }
    Ok(())
}

/// Takes the heads' lock exclusively for the transaction, if no one holds it.
fn try_lock(c: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(
        sql::<Bool>("pg_try_advisory_xact_lock(")
            .bind::<BigInt, _>(HEADS_LOCK)
            .sql(")"),
    )
    .get_result(c)
}

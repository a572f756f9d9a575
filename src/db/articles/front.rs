//! The public list with no filter (a site's front page, its feed, its keyset pages), read by
//! static statements.
//!
//! The general list query is boxed: diesel cannot tell one boxed query from another by type,
//! so it writes its SQL again on every execution to find the prepared statement, which was
//! 6% of the server's CPU on an uncached latest page. The statements here are built of static
//! parts only, so the connection finds them by type. They return the same rows as the general
//! query for the same list: the same predicate (`live`), the same order and the same index.

use std::marker::PhantomData;

use diesel::query_builder::{AstPass, QueryFragment, QueryId};

use super::*;

/// The page's ids when the list is the public one with no filter in publication order;
/// `None` for any other list (the general query answers it).
pub(super) fn plain_page_ids(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
) -> DbResult<Option<Vec<i64>>> {
    let plain = f.public_but_for_search() && f.search.is_none();
    if !plain || sort == SortKey::Popular {
        return Ok(None);
    }
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    let desc = (sort == SortKey::Latest) != reverse;
    let key = articles::published_at.assume_not_null();
    let page = articles::table.select(articles::id).filter(live(f.now));
    let ids = match (desc, pos) {
        (_, Some(KeysetPos::Count(..))) => {
            return Err(DbError::Other("cursor does not fit the sort".into()))
        }
        (true, None) => page
            .order_by((key.desc(), articles::id.desc()))
            .limit(limit)
            .offset(offset.unwrap_or(0))
            .load(conn)?,
        (false, None) => page
            .order_by((key.asc(), articles::id.asc()))
            .limit(limit)
            .offset(offset.unwrap_or(0))
            .load(conn)?,
        (true, Some(KeysetPos::Time(t, id))) => page
            .filter(Past::<Below> {
                t,
                id,
                op: PhantomData,
            })
            .order_by((key.desc(), articles::id.desc()))
            .limit(limit)
            .load(conn)?,
        (false, Some(KeysetPos::Time(t, id))) => page
            .filter(Past::<Above> {
                t,
                id,
                op: PhantomData,
            })
            .order_by((key.asc(), articles::id.asc()))
            .limit(limit)
            .load(conn)?,
    };
    Ok(Some(ids))
}

/// `(published_at, id) < (t, id)` (or `>`): the keyset condition of [`past`], a row
/// comparison (one range on the index for both engines), with a static query id.
#[derive(Debug, Clone, Copy)]
struct Past<Op> {
    t: NaiveDateTime,
    id: i64,
    op: PhantomData<Op>,
}

/// Which side of the position a page reads.
trait Side: 'static {
    const OP: &'static str;
}

#[derive(Debug, Clone, Copy)]
struct Below;
#[derive(Debug, Clone, Copy)]
struct Above;

impl Side for Below {
    const OP: &'static str = "<";
}

impl Side for Above {
    const OP: &'static str = ">";
}

impl<Op> Expression for Past<Op> {
    type SqlType = Bool;
}

impl<Op> AppearsOnTable<articles::table> for Past<Op> {}

impl<Op> SelectableExpression<articles::table> for Past<Op> {}

impl<Op> diesel::expression::ValidGrouping<()> for Past<Op> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<Op: Side> QueryId for Past<Op> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Op: Side> QueryFragment<Backend> for Past<Op> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Backend>) -> QueryResult<()> {
        out.push_sql("(articles.published_at, articles.id) ");
        out.push_sql(Op::OP);
        out.push_sql(" (");
        out.push_bind_param::<Timestamp, _>(&self.t)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.id)?;
        out.push_sql(")");
        Ok(())
    }
}

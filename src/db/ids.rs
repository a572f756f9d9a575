//! `column IN (ids)` written so that the statement stays prepared.
//!
//! diesel's `eq_any` writes one placeholder per id on SQLite, so every statement that uses it
//! has a new text whenever the number of ids changes, and diesel prepares it again each time
//! (it does not cache statements whose placeholders vary). Profiling the latest page showed
//! 20-45% of each such statement's time in SQLite's parser. Here the ids travel as one bind on
//! both backends, and the text never changes: SQLite reads them from a JSON array
//! (`json_each`), PostgreSQL from an array (`= ANY`, what diesel writes there too).
//!
//! The text is the same for one id and for many, so the expression has a static query id:
//! a statement built of it and other static parts is found in the connection's cache by its
//! type, without writing its SQL again for every execution (building that text was 6-10% of
//! the server's CPU on the latest page and the GraphQL article page).

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use super::MultiBackend;

/// `column IN (ids)` over a bigint column (nullable or not), one bind whatever the number of ids.
#[derive(Debug, Clone)]
pub struct InIds<C> {
    column: C,
    ids: Vec<i64>,
    /// The ids as a JSON array, SQLite's bind.
    json: String,
}

/// `column IN (ids)`, kept prepared (see the module's note).
pub fn in_ids<C: Expression>(column: C, ids: &[i64]) -> InIds<C> {
    InIds {
        column,
        ids: ids.to_vec(),
        json: json_ids(ids),
    }
}

/// `ids` as a JSON array: how SQLite takes a list of ids as one bind (`json_each`).
pub fn json_ids(ids: &[i64]) -> String {
    let mut json = String::with_capacity(ids.len() * 8 + 2);
    json.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

impl<C> Expression for InIds<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for InIds<C> where C: AppearsOnTable<QS> {}

impl<C, QS> SelectableExpression<QS> for InIds<C> where C: SelectableExpression<QS> {}

impl<C, GB> ValidGrouping<GB> for InIds<C>
where
    C: ValidGrouping<GB>,
{
    type IsAggregate = C::IsAggregate;
}

/// [`InIds`]'s query id: its text depends on its column alone.
pub struct InIdsId<C>(std::marker::PhantomData<C>);

impl<C: QueryId> QueryId for InIds<C> {
    type QueryId = InIdsId<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        // One text for any number of ids, one id included: the query id says so.
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<BigInt>, _>(&self.ids)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<C> QueryFragment<MultiBackend> for InIds<C>
where
    C: QueryFragment<Sqlite> + QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

//! A search's page read off the heads of the search index's lists (PostgreSQL,
//! `search::heads`), when they can tell it: the public list newest first, with no filter but
//! the search.

use super::list::ListedRows;
use super::*;
use crate::db::search::heads::{self, Heads};

/// What the heads made of a list's page.
#[derive(Debug)]
pub enum FromHeads {
    /// The page, as [`list_in`] would have read it.
    Listed(ListedRows),
    /// These words have no head yet: the page is for the general query (and the words'
    /// heads, for the server to build).
    Unheld(Vec<String>),
    /// Not a page heads can tell (another backend, list, order or paging, or a page deeper
    /// than they reach): the general query reads it.
    No,
}

/// The page `paging` asks of `f`'s list in `sort`, read off the heads of its words.
pub fn from_heads(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    form: Form,
) -> DbResult<FromHeads> {
    let Some(terms) = &f.search else {
        return Ok(FromHeads::No);
    };
    // Heads hold the newest matches: a page read downwards, newest first.
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    if sort != SortKey::Latest || reverse || !f.public_but_for_search() {
        return Ok(FromHeads::No);
    }
    let below = match pos {
        None => None,
        Some(KeysetPos::Time(t, id)) => Some((t, id)),
        Some(KeysetPos::Count(..)) => return Ok(FromHeads::No),
    };
    let DbConn::Pg(c) = conn else {
        return Ok(FromHeads::No);
    };
    let (lexemes, floor) = match heads::heads_of(c, terms)? {
        None => return Ok(FromHeads::No),
        Some(Heads::Unheld(words)) => return Ok(FromHeads::Unheld(words)),
        Some(Heads::Held { lexemes, floor }) => (lexemes, floor),
    };
    let offset = offset.unwrap_or(0);
    let Some(ids) = heads::page(c, &lexemes, floor, f.now, below, offset, limit)? else {
        return Ok(FromHeads::No);
    };
    Ok(FromHeads::Listed(list::in_order(conn, &ids, form)?))
}

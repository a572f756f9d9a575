//! Heads of the search index's lists (PostgreSQL, `db::search::heads`): a search whose words
//! have heads reads its page off them; a word without one is queued here by its first
//! search, and the background builds its head (`keep_heads`) and trims heads grown long.
//! Reads never write: a replica's readers queue words as the primary's do, and heads are
//! built on the primary.

use std::collections::HashSet;
use std::sync::Mutex;

use super::*;
use crate::db::search::heads::{self, Built};
use crate::db::DbError;

/// Words waiting for a head, at most: past it new words wait for a later search.
const MAX_WANTED: usize = 1_000;
/// Heads built per round of the background (each is one transaction).
const BUILDS_PER_ROUND: usize = 16;
/// Heads there may be, at most: each holds up to twice the head size of entries (~140 bytes
/// each with their index, measured), so this bounds the table whatever words readers send:
/// 2.2 GB at the very worst with the default size, 1.1 GB with every head trimmed.
const MAX_HEADS: i64 = 20_000;
/// Heads looked at for trimming per look, and rounds between looks: all of `MAX_HEADS` in
/// under an hour (a head takes `kept` new articles with its word to need trimming), for a
/// few milliseconds of the database's time every 10 s.
const CHECKS_PER_LOOK: i64 = 64;
const ROUNDS_PER_LOOK: u64 = 40;

/// Words whose searches want a head, and where the look for long heads is.
#[derive(Default)]
pub struct SearchHeads {
    wanted: Mutex<HashSet<String>>,
    /// The last word whose head was looked at for trimming.
    checked: Mutex<String>,
    rounds: std::sync::atomic::AtomicU64,
}

impl SearchHeads {
    /// Queues `words` for their heads (without waiting for them).
    pub fn want(&self, words: Vec<String>) {
        let mut wanted = lock(&self.wanted);
        for word in words {
            if wanted.len() >= MAX_WANTED {
                break;
            }
            if heads::buildable(&word) {
                wanted.insert(word);
            }
        }
    }

    fn take(&self, n: usize) -> Vec<String> {
        let mut wanted = lock(&self.wanted);
        let taken: Vec<String> = wanted.iter().take(n).cloned().collect();
        for word in &taken {
            wanted.remove(word);
        }
        taken
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One round of the heads' upkeep: builds the heads searches asked for and, every
/// `ROUNDS_PER_LOOK` rounds, trims the heads grown past twice their size among the next
/// few (all of them in turn). Returns how many heads it built.
pub async fn keep_heads(state: &AppState) -> AppResult<usize> {
    let kept = state.settings.search_head_size;
    if kept == 0 || state.db.dialect() != db::Dialect::Postgres {
        return Ok(0);
    }
    let words = state.search_heads.take(BUILDS_PER_ROUND);
    let mut built = 0;
    let mut busy = Vec::new();
    if !words.is_empty()
        && state
            .db
            .read(|c| db::background(|| heads::count(c).map_err(DbError::from)))
            .await?
            < MAX_HEADS
    {
        for word in words {
            let lexeme = word.clone();
            match state
                .db
                .write_background(move |c| heads::build(c, &lexeme, kept).map_err(DbError::from))
                .await?
            {
                Built::Holding(_) => built += 1,
                Built::Skipped => {}
                Built::Busy => busy.push(word),
            }
        }
    }
    // Another build or a bulk load held the lock: the word waits for the next round.
    state.search_heads.want(busy);
    let round = state
        .search_heads
        .rounds
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if !round.is_multiple_of(ROUNDS_PER_LOOK) {
        return Ok(built);
    }
    let after = lock(&state.search_heads.checked).clone();
    let (long, last) = state
        .db
        .read(move |c| {
            db::background(|| {
                heads::overgrown(c, kept, &after, CHECKS_PER_LOOK).map_err(DbError::from)
            })
        })
        .await?;
    *lock(&state.search_heads.checked) = last.unwrap_or_default();
    for lexeme in long {
        state
            .db
            .write_background(move |c| heads::trim(c, &lexeme, kept).map_err(DbError::from))
            .await?;
    }
    Ok(built)
}

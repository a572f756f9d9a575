//! Summaries kept ready (`db::articles::summaries`): each article's summary rendered as JSON
//! text when it is written, so that a list writes out kept text where it built every summary
//! from its row and card and serialized it (over half of an uncached latest page).
//!
//! Every write that forgets summaries renders them before it commits: `AppState::write` and
//! the counters' flush call [`render_pending`]. What one write leaves (past
//! [`RENDERED_BY_A_WRITE`]: a rename reaching thousands of articles) and rows from before the
//! summaries were kept are rendered in the background ([`render_backlog`]). Until then a list
//! builds those summaries as before: a summary is never shown outdated, only built slower.

use serde_json::Value;

use super::*;

/// Summaries a write renders before it commits, at most; the background renders the rest.
pub const RENDERED_BY_A_WRITE: i64 = 500;
/// Summaries per background transaction: short enough to let writes in between.
const BACKGROUND_BATCH: i64 = 1_000;

/// The summary's text as kept: the summary as it serializes, without the counters that move
/// alone (a list adds them from the row).
fn kept_text(s: &ArticleSummary) -> AppResult<String> {
    let mut value = serde_json::to_value(s).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Value::Object(fields) = &mut value {
        fields.remove("view_count");
        fields.remove("comment_count");
    }
    Ok(value.to_string())
}

/// Renders and keeps the summaries of `ids`, in the caller's transaction. An article without
/// a byline has no summary to show: it keeps an empty text, which no list uses.
pub fn render(c: &mut DbConn, ids: &[i64]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = db::articles::summaries_by_ids(c, ids)?;
    let mut cards = cards(c, ids)?;
    let rendered = rows
        .into_iter()
        .map(|r| {
            let (id, version) = (r.id, r.version);
            let text = match cards.remove(&id) {
                Some(card) => kept_text(&ArticleSummary::from_parts(brief_view(r), card))?,
                None => String::new(),
            };
            Ok((id, version, text))
        })
        .collect::<AppResult<Vec<_>>>()?;
    db::articles::store_summaries(c, &rendered)?;
    Ok(())
}

/// Renders up to `limit` summaries waiting to be, in the caller's transaction; answers how
/// many. A summary that cannot be rendered (its row unreadable) never fails the write that
/// found it waiting, nor holds up the others: each is tried alone within a savepoint, and one
/// that fails is marked rendered from no version, so lists build it and nobody claims it
/// again.
pub fn render_pending(c: &mut DbConn, limit: i64) -> AppResult<usize> {
    let ids = db::articles::claim_unrendered(c, limit)?;
    if ids.is_empty() {
        return Ok(0);
    }
    if db::savepoint(c, |c| render(c, &ids)).is_err() {
        for id in &ids {
            if let Err(e) = db::savepoint(c, |c| render(c, &[*id])) {
                tracing::warn!(article = id, error = %e, "summary not rendered; lists build it");
                db::articles::store_summaries(c, &[(*id, NO_VERSION, String::new())])?;
            }
        }
    }
    Ok(ids.len())
}

/// After a write that rendered `rendered` summaries committed: as many as a write may render
/// means more may wait, for the background (told only now, so that it sees them).
pub fn after_commit(state: &AppState, rendered: usize) {
    if rendered as i64 == RENDERED_BY_A_WRITE {
        state
            .summaries_waiting
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The version a summary that could not be rendered is marked with: no row has it.
const NO_VERSION: i32 = 0;

/// Renders every summary waiting to be, a batch per transaction, when some may be
/// (`AppState::summaries_waiting`: at start, and after a write that left some); answers how
/// many. Nothing is asked of the database otherwise.
pub async fn render_backlog(state: &AppState) -> AppResult<usize> {
    use std::sync::atomic::Ordering;
    if !state.summaries_waiting.swap(false, Ordering::AcqRel) {
        return Ok(0);
    }
    let mut done = 0;
    loop {
        let batch = state
            .db
            .write_background(|c| render_pending(c, BACKGROUND_BATCH))
            .await;
        let n = match batch {
            Ok(n) => n,
            Err(e) => {
                // Tried again at the next tick.
                state.summaries_waiting.store(true, Ordering::Release);
                return Err(e);
            }
        };
        done += n;
        if n < BACKGROUND_BATCH as usize {
            return Ok(done);
        }
    }
}

/// The summaries of a page listed with [`db::articles::Form::Ready`]: kept ones as they are,
/// the others built from their rows and cards.
pub(super) fn listed(
    c: &mut DbConn,
    ready: Vec<db::articles::ReadyRow>,
) -> AppResult<Vec<ListedSummary>> {
    let missing: Vec<i64> = ready
        .iter()
        .filter(|r| r.summary.as_deref().is_none_or(str::is_empty))
        .map(|r| r.keys.id)
        .collect();
    let mut built: HashMap<i64, ArticleSummary> = if missing.is_empty() {
        HashMap::new()
    } else {
        let rows = db::articles::summaries_by_ids(c, &missing)?;
        assemble(c, rows)?.into_iter().map(|s| (s.id, s)).collect()
    };
    Ok(ready
        .into_iter()
        .filter_map(|r| match r.summary.filter(|t| !t.is_empty()) {
            Some(text) => Some(ListedSummary::Ready {
                id: r.keys.id,
                text,
                view_count: r.keys.view_count,
                comment_count: r.keys.comment_count,
            }),
            // Gone since its id was listed: as a list of rows would, it drops out.
            None => built
                .remove(&r.keys.id)
                .map(|s| ListedSummary::Built(Box::new(s))),
        })
        .collect())
}

//! Scheduled articles go live at their instant with no write to announce it. Each node keeps
//! the next go-live instant; when the clock passes it (checked every `startup::CHANGE_POLL`),
//! the article's `article.published` event is recorded, once across nodes, and applied.

use std::sync::Mutex;

use chrono::NaiveDateTime;

use super::events::{self, Event};
use super::AppState;
use crate::db;
use crate::error::AppResult;

/// What the node knows of the schedule.
#[derive(Debug, Default)]
pub struct Schedule {
    state: Mutex<Known>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Known {
    /// Articles due at or before this instant have been accounted for.
    checked_until: Option<NaiveDateTime>,
    /// The first go-live after `checked_until`, if any.
    next: Option<NaiveDateTime>,
    /// Content changed since the last look: the schedule may have too.
    stale: bool,
}

impl Schedule {
    fn with<R>(&self, f: impl FnOnce(&mut Known) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Content changed (here or on another node): look at the schedule again.
    pub fn changed(&self) {
        self.with(|k| k.stale = true);
    }

    /// Whether the database must be asked (never asked, content changed, or an article is
    /// due), and from when; taking the answer clears the change.
    fn take_due(&self, now: NaiveDateTime) -> Option<Option<NaiveDateTime>> {
        self.with(|k| {
            let ask = k.checked_until.is_none() || k.stale || k.next.is_some_and(|n| n <= now);
            if ask {
                k.stale = false;
            }
            ask.then_some(k.checked_until)
        })
    }
}

/// How far back a node that starts looks for articles that went live while no node ran.
const MISSED_GO_LIVE_WINDOW: chrono::Duration = chrono::Duration::days(7);
/// Go-lives recorded per look (the rest at the next look, a tick later).
const GO_LIVE_BATCH: i64 = 500;

/// Records each article that went live on its schedule since the last look as an
/// `article.published` event, once across every node (the outbox's unique key on article
/// and version), applies it to this node's cache, and learns when the next one is due.
/// Cheap when nothing is due: no database call.
pub async fn tick(state: &AppState) -> AppResult<()> {
    let now = chrono::Utc::now().naive_utc();
    let Some(checked_until) = state.schedule.take_due(now) else {
        return Ok(());
    };
    let since = checked_until.unwrap_or(now - MISSED_GO_LIVE_WINDOW);
    let looked = look(state, since, now).await;
    let (went_live, looked_until, next) = match looked {
        Ok(found) => found,
        Err(e) => {
            // Look again at the next tick: the change that asked for this look still stands.
            state.schedule.changed();
            return Err(e);
        }
    };
    state.applied(&went_live);
    state.schedule.with(|k| {
        k.checked_until = Some(looked_until);
        k.next = next;
        if looked_until < now {
            // More went live than one look records.
            k.stale = true;
        }
    });
    Ok(())
}

/// The go-lives in `(since, now]` (recorded in the outbox, unless already there), how far
/// the look reached, and the next go-live after that.
async fn look(
    state: &AppState,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<(Vec<Event>, NaiveDateTime, Option<NaiveDateTime>)> {
    let (summaries, looked_until, next) = state
        .db
        .read(move |c| {
            let due = db::articles::went_live(c, since, now, GO_LIVE_BATCH)?;
            let looked_until = match due.last() {
                Some(last) if due.len() as i64 == GO_LIVE_BATCH => last.published_at.unwrap_or(now),
                _ => now,
            };
            let summaries = super::articles::assemble(c, due)?;
            let next = db::articles::next_go_live(c, looked_until)?;
            Ok::<_, crate::error::AppError>((summaries, looked_until, next))
        })
        .await?;
    let went_live: Vec<Event> = summaries
        .iter()
        .map(|a| Event::ArticlePublished {
            article: super::articles::facts(a, now),
            data: super::articles::summary_data(a),
        })
        .collect();
    if !went_live.is_empty() {
        let node = state.node.clone();
        let keyed: Vec<(Event, Option<String>)> = summaries
            .iter()
            .zip(went_live.iter().cloned())
            .map(|(a, e)| (e, Some(format!("go-live:{}:{}", a.id, a.version))))
            .collect();
        // Recorded here, or by another node that looked first (then nothing is written):
        // either way this node applies them to its own cache.
        state
            .db
            .write(move |c| events::record(c, &node, keyed))
            .await?;
    }
    Ok((went_live, looked_until, next))
}

//! Scheduled articles go live at their instant with no write to announce it. Rather than let
//! every cached list expire each second, the node keeps the next go-live instant and drops its
//! cached responses when the clock passes it (checked every `startup::CHANGE_POLL`).

use std::sync::Mutex;

use chrono::NaiveDateTime;

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

/// Drops cached responses if an article went live since the last look, and learns when the
/// next one does. Cheap when nothing is due: no database call.
pub async fn tick(state: &AppState) -> AppResult<()> {
    let now = chrono::Utc::now().naive_utc();
    let Some(checked_until) = state.schedule.take_due(now) else {
        return Ok(());
    };
    let looked = state
        .db
        .read(move |c| {
            // Anything due between the last look and now went live unseen.
            let went_live = match checked_until {
                Some(since) => db::articles::next_go_live(c, since)?.is_some_and(|t| t <= now),
                None => false,
            };
            Ok::<_, db::DbError>((went_live, db::articles::next_go_live(c, now)?))
        })
        .await;
    let (went_live, next) = match looked {
        Ok(found) => found,
        Err(e) => {
            // Look again at the next tick: the change that asked for this look still stands.
            state.schedule.changed();
            return Err(e.into());
        }
    };
    if went_live {
        state.cache.invalidate();
    }
    state.schedule.with(|k| {
        k.checked_until = Some(now);
        k.next = next;
    });
    Ok(())
}

//! View and share counters, added up in memory and written in batches: a flood of views takes
//! no write lock per request. `flush` runs on a timer (see `startup`) and on shutdown; a batch
//! that fails to write is put back, so no count is lost.

use std::collections::HashMap;
use std::sync::Mutex;

use super::events::Event;
use super::AppState;
use crate::db;
use crate::domain::ShareNetwork;
use crate::error::AppResult;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Pending {
    views: i64,
    shares: HashMap<ShareNetwork, i64>,
}

/// Counts not yet written, by article id.
#[derive(Debug, Default)]
pub struct Counters {
    pending: Mutex<HashMap<i64, Pending>>,
    /// Held by a flush while it writes: a flush waits for the one before it, so a caller whose
    /// flush found nothing left knows every count taken before has been written.
    flushing: tokio::sync::Mutex<()>,
}

impl Counters {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Pending>) -> R) -> R {
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub fn add_view(&self, article_id: i64) {
        self.with(|p| p.entry(article_id).or_default().views += 1);
    }

    pub fn add_share(&self, article_id: i64, network: ShareNetwork) {
        self.with(|p| {
            *p.entry(article_id)
                .or_default()
                .shares
                .entry(network)
                .or_default() += 1
        });
    }

    fn take(&self) -> HashMap<i64, Pending> {
        self.with(std::mem::take)
    }

    fn put_back(&self, batch: HashMap<i64, Pending>) {
        self.with(|p| {
            for (id, b) in batch {
                let mine = p.entry(id).or_default();
                mine.views += b.views;
                for (n, c) in b.shares {
                    *mine.shares.entry(n).or_default() += c;
                }
            }
        });
    }

    pub fn is_empty(&self) -> bool {
        self.with(|p| p.is_empty())
    }
}

/// Writes every pending count in one transaction; returns how many articles it touched.
pub async fn flush(state: &AppState) -> AppResult<usize> {
    let _one_at_a_time = state.counters.flushing.lock().await;
    let batch = state.counters.take();
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len();
    let written = batch.clone();
    let node = state.node.clone();
    let result = state
        .db
        .write_counters(move |c| {
            // Counts for articles deleted since are dropped with them.
            let ids: Vec<i64> = written.keys().copied().collect();
            let live: std::collections::HashSet<i64> =
                db::articles::existing_ids(c, &ids)?.into_iter().collect();
            for (id, p) in written.iter().filter(|(id, _)| live.contains(id)) {
                if p.views > 0 {
                    db::articles::add_views(c, *id, p.views)?;
                }
                for (network, count) in &p.shares {
                    db::articles::add_shares(c, *id, network.as_str(), *count)?;
                }
            }
            // Shares are in the kept summaries (views are added as they are read).
            let rendered =
                super::articles::render_pending(c, super::articles::RENDERED_BY_A_WRITE)?;
            let mut ids: Vec<i64> = live.into_iter().collect();
            ids.sort_unstable();
            let written = Event::CountersWritten { articles: ids };
            let recorded = super::events::record(c, &node, [(written, None)])?;
            Ok::<_, crate::error::AppError>((recorded, rendered))
        })
        .await;
    match result {
        Ok((recorded, rendered)) => {
            super::articles::after_commit(state, rendered);
            state.applied(&recorded);
            Ok(n)
        }
        Err(e) => {
            state.counters.put_back(batch);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_a_failed_batch_is_put_back() {
        let c = Counters::default();
        c.add_view(1);
        c.add_view(1);
        c.add_share(1, ShareNetwork::X);
        let batch = c.take();
        assert!(c.is_empty());
        c.add_view(1);
        c.put_back(batch);
        let all = c.take();
        assert_eq!(all[&1].views, 3);
        assert_eq!(all[&1].shares[&ShareNetwork::X], 1);
    }
}

//! What one node tells the others sharing its database: every write records its events in
//! the outbox and announces their positions (`NOTIFY "<node> <id>,<id>"`); the other nodes read
//! those rows and apply the events to their own caches. Each node skips its own
//! announcements, which it has applied already.

use super::{events, AppState};
use crate::db;

/// This process among the nodes: random, so restarts and neighbours never collide.
pub fn new_node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// What an announcement asks of this node.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Mine,
    /// Events at these outbox positions.
    Recorded(Vec<i64>),
    /// Unreadable: treated as the widest change.
    Unknown,
}

fn parse(node: &str, payload: &str) -> Change {
    let mut parts = payload.splitn(2, ' ');
    if parts.next() == Some(node) {
        return Change::Mine;
    }
    let ids: Option<Vec<i64>> = parts
        .next()
        .map(|ids| {
            ids.split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()
        })
        .unwrap_or(None);
    ids.map_or(Change::Unknown, Change::Recorded)
}

/// Applies announcements from other nodes to this node's cache: reads their events from the
/// outbox (an event that cannot be read drops everything).
pub async fn apply(state: &AppState, payloads: &[String]) {
    let mut positions = Vec::new();
    for payload in payloads {
        match parse(&state.node, payload) {
            Change::Mine => {}
            Change::Recorded(ids) => positions.extend(ids),
            Change::Unknown => missed(state),
        }
    }
    if positions.is_empty() {
        return;
    }
    // Reads go to the primary too: a replica may not have the change yet.
    state.db.saw_write();
    let wanted = positions.len();
    let rows = state.db.read(move |c| db::outbox::at(c, &positions)).await;
    let events: Option<Vec<events::Event>> = match rows {
        // A row not found (pruned while this node was not listening) is the widest change.
        Ok(rows) if rows.len() == wanted => {
            rows.iter().map(|r| events::parse(&r.payload)).collect()
        }
        Ok(_) | Err(_) => None,
    };
    match events {
        Some(events) => state.applied(&events),
        None => missed(state),
    }
}

/// Announcements may have been missed (the listening connection broke): drop everything.
pub fn missed(state: &AppState) {
    state.db.saw_write();
    state.cache.invalidate();
    state.schedule.changed();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_are_read_back() {
        assert_eq!(parse("a", "a 1,2"), Change::Mine);
        assert_eq!(parse("a", "b 1,2"), Change::Recorded(vec![1, 2]));
        assert_eq!(parse("a", "b 1,x"), Change::Unknown);
        assert_eq!(parse("a", "b"), Change::Unknown);
        assert_eq!(parse("a", ""), Change::Unknown);
    }
}

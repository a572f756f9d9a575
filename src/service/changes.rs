//! What one node tells the others sharing its database: "content changed" (every cached
//! response is stale) or "these articles' counters changed". Each node skips its own
//! announcements, which it has applied already.

use super::AppState;
use crate::db::{self, DbConn, DbResult};

/// This process among the nodes: random, so restarts and neighbours never collide.
pub fn new_node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Announces, inside the writing transaction, that content changed.
pub fn announce_content(conn: &mut DbConn, node: &str) -> DbResult<()> {
    db::changes::announce(conn, &format!("{node} content"))
}

/// Announces, inside the writing transaction, whose counters changed.
pub fn announce_counted(conn: &mut DbConn, node: &str, articles: &[i64]) -> DbResult<()> {
    let head = format!("{node} counted");
    for payload in db::changes::payloads(&head, articles.iter().map(i64::to_string)) {
        db::changes::announce(conn, &payload)?;
    }
    Ok(())
}

/// What an announcement asks of this node.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Mine,
    Content,
    Counted(Vec<i64>),
}

fn parse(node: &str, payload: &str) -> Change {
    let mut parts = payload.splitn(3, ' ');
    if parts.next() == Some(node) {
        return Change::Mine;
    }
    match (parts.next(), parts.next()) {
        (Some("counted"), Some(ids)) => {
            let ids: Result<Vec<i64>, _> = ids.split(',').map(str::parse).collect();
            // Anything unreadable is treated as the widest change.
            ids.map(Change::Counted).unwrap_or(Change::Content)
        }
        _ => Change::Content,
    }
}

/// Applies announcements from other nodes to this node's cache.
pub fn apply(state: &AppState, payloads: &[String]) {
    for payload in payloads {
        match parse(&state.node, payload) {
            Change::Mine => {}
            Change::Content => {
                // Reads go to the primary too: a replica may not have the change yet.
                state.db.saw_write();
                state.cache.invalidate();
                state.schedule.changed();
            }
            Change::Counted(ids) => state.cache.counted(&ids),
        }
    }
}

/// Announcements may have been missed (the listening connection broke): drop everything.
pub fn missed(state: &AppState) {
    state.db.saw_write();
    state.cache.invalidate();
}

/// Listening again after a break: what was missed may include the schedule.
pub fn reconnected(state: &AppState) {
    missed(state);
    state.schedule.changed();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_are_read_back() {
        assert_eq!(parse("a", "a content"), Change::Mine);
        assert_eq!(parse("a", "b content"), Change::Content);
        assert_eq!(parse("a", "b counted 1,2"), Change::Counted(vec![1, 2]));
        assert_eq!(parse("a", "b counted 1,x"), Change::Content);
        assert_eq!(parse("a", ""), Change::Content);
    }
}

//! The change feed between nodes sharing one PostgreSQL database: every write transaction
//! announces what it changed with `NOTIFY` (delivered only if, and when, it commits), and each
//! node listens on its own connection. SQLite is one process's file, so there the feed is empty.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{DbConn, DbError, DbResult, DbTarget};

const CHANNEL: &str = "newsdesk_changes";
/// NOTIFY payloads must stay under 8,000 bytes; longer announcements go in several.
const MAX_PAYLOAD: usize = 7_000;

/// Announces `payload` to the other nodes when the current transaction commits.
pub fn announce(conn: &mut DbConn, payload: &str) -> DbResult<()> {
    if let DbConn::Pg(_) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(payload)
            .execute(conn)?;
    }
    Ok(())
}

/// Splits `items` after `head` into payloads that each fit one notification.
pub fn payloads(head: &str, items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = head.to_owned();
    let mut empty = true;
    for item in items {
        if !empty && current.len() + 1 + item.len() > MAX_PAYLOAD {
            out.push(std::mem::replace(&mut current, head.to_owned()));
            empty = true;
        }
        current.push(if empty { ' ' } else { ',' });
        current.push_str(&item);
        empty = false;
    }
    if !empty {
        out.push(current);
    }
    out
}

/// A connection that listens to the change feed.
pub struct Listener {
    conn: diesel::PgConnection,
}

impl Listener {
    /// Starts listening; `None` on SQLite, where there is no one else to hear.
    pub fn open(url: &str) -> DbResult<Option<Self>> {
        match DbTarget::parse(url).map_err(DbError::Other)? {
            DbTarget::Sqlite(_) => Ok(None),
            DbTarget::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(&url)
                    .map_err(|e| DbError::Unavailable(e.to_string()))?;
                conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                Ok(Some(Listener { conn }))
            }
        }
    }

    /// The announcements received since the last call, without waiting for more. An error
    /// means the connection is gone and announcements may have been missed.
    pub fn received(&mut self) -> DbResult<Vec<String>> {
        // A round trip also notices a connection the server has closed.
        self.conn.batch_execute("SELECT 1")?;
        self.conn
            .notifications_iter()
            .map(|n| n.map(|n| n.payload).map_err(DbError::from))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_announcements_are_split_to_fit() {
        let ids = (0..3_000).map(|i| (1_000_000 + i).to_string());
        let parts = payloads("n1 counted", ids);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let back: usize = parts
            .iter()
            .map(|p| p.trim_start_matches("n1 counted ").split(',').count())
            .sum();
        assert_eq!(back, 3_000);
        assert!(payloads("n1 counted", Vec::<String>::new()).is_empty());
    }
}

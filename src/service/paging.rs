//! Page and keyset-cursor paging, shared by every list.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::ListMeta;

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1_000_000;

/// A list request's paging, as the client gave it: REST's `page`/`per_page`/`cursor`, or
/// Relay's `first`/`after` (as `per_page`/`cursor`) and `last`/`before`.
#[derive(Debug, Clone, Default)]
pub struct PageParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub cursor: Option<String>,
    /// Page backwards: the `per_page` items before `before` (or the last ones).
    pub backward: bool,
    pub before: Option<String>,
}

/// Paging after validation.
#[derive(Debug, Clone)]
pub enum PageRequest {
    Offset {
        page: i64,
        per_page: i64,
    },
    /// The items after a keyset position.
    After {
        cursor: CursorKey,
        per_page: i64,
    },
    /// The items before a keyset position, or the last items when `None`.
    Before {
        cursor: Option<CursorKey>,
        per_page: i64,
    },
}

impl PageRequest {
    pub fn per_page(&self) -> i64 {
        match self {
            PageRequest::Offset { per_page, .. }
            | PageRequest::After { per_page, .. }
            | PageRequest::Before { per_page, .. } => *per_page,
        }
    }

    pub fn parse(p: &PageParams) -> Result<PageRequest, AppError> {
        let mut errors = FieldErrors::new();
        let per_page = p.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.add("per_page", format!("must be between 1 and {MAX_PER_PAGE}"));
        }
        if let Some(page) = p.page {
            if !(1..=MAX_PAGE).contains(&page) {
                errors.add("page", format!("must be between 1 and {MAX_PAGE}"));
            }
        }
        let mut decode = |field: &str, raw: &Option<String>| match raw.as_deref() {
            None => None,
            Some(_) if p.page.is_some() => {
                errors.add(field, "give either page or cursor, not both");
                None
            }
            Some(raw) => {
                let c = CursorKey::decode(raw);
                if c.is_none() {
                    errors.add(field, "is not a cursor this API issued");
                }
                c
            }
        };
        let after = decode("cursor", &p.cursor);
        let before = decode("before", &p.before);
        if p.backward && p.cursor.is_some() {
            errors.add("cursor", "page either forwards or backwards, not both");
        }
        errors.into_result()?;
        Ok(match (after, p.backward) {
            (_, true) => PageRequest::Before {
                cursor: before,
                per_page,
            },
            (Some(cursor), false) => PageRequest::After { cursor, per_page },
            (None, false) => PageRequest::Offset {
                page: p.page.unwrap_or(1),
                per_page,
            },
        })
    }

    /// For lists that page forwards only: the cursor to continue after (made for `kind`),
    /// `None` for a numbered page; a cursor of another list, or paging backwards, is a 422.
    pub fn forward_cursor(&self, kind: &str, list: &str) -> Result<Option<&CursorKey>, AppError> {
        match self {
            PageRequest::Offset { .. } => Ok(None),
            PageRequest::After { cursor, .. } if cursor.k == kind => Ok(Some(cursor)),
            PageRequest::After { .. } => Err(CursorKey::mismatch()),
            PageRequest::Before { .. } => Err(FieldErrors::one(
                "before",
                format!("{list} page forwards only"),
            )),
        }
    }
}

/// What a cursor holds: the list it belongs to and the sort key of the last row seen.
/// Encoded as base64url JSON; opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorKey {
    /// Which list and sort the cursor was made for.
    pub k: String,
    /// A time key (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<i64>,
    /// A numeric key (a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    /// A text key (a slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<String>,
    /// The row's id, the tie-breaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i: Option<i64>,
}

impl CursorKey {
    pub fn new(kind: &str) -> Self {
        CursorKey {
            k: kind.to_owned(),
            t: None,
            n: None,
            s: None,
            i: None,
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Option<CursorKey> {
        if raw.len() > 512 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The error for a cursor made for another list or sort.
    pub fn mismatch() -> AppError {
        FieldErrors::one("cursor", "belongs to another list or sort order")
    }
}

/// A list's total as counted: exactly (perhaps a little while ago), or up to a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    /// `false`: counting stopped at a cap and `count` is a lower bound.
    pub exact: bool,
    pub counted_at: chrono::DateTime<chrono::Utc>,
}

impl Total {
    /// A count made just now, `exact` or stopped at a cap.
    pub fn counted(count: i64, exact: bool) -> Self {
        Total {
            count,
            exact,
            counted_at: chrono::Utc::now(),
        }
    }
}

impl From<i64> for Total {
    fn from(count: i64) -> Self {
        Total::counted(count, true)
    }
}

/// A page of items, each item's cursor, and the `meta` that describes the page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursors: Vec<String>,
    pub meta: ListMeta,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// A list that is never paged (related articles): all of it on page 1 of 1.
    pub fn whole(items: Vec<T>, per_page: i64) -> Page<T> {
        let total = items.len() as i64;
        Page {
            items,
            cursors: Vec::new(),
            meta: ListMeta {
                page: Some(1),
                per_page,
                total,
                total_pages: 1,
                total_exact: true,
                total_counted_at: chrono::Utc::now(),
                next_cursor: None,
                prev_cursor: None,
            },
            has_previous: false,
            has_next: false,
        }
    }

    /// `rows` holds up to `per_page + 1` rows in query order (reversed for `Before`); the
    /// extra one only says that more rows lie that way.
    pub fn build<R>(
        req: &PageRequest,
        mut rows: Vec<R>,
        total: impl Into<Total>,
        cursor_of: impl Fn(&R) -> CursorKey,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let per_page = req.per_page();
        let total = total.into();
        let more = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        let (has_previous, has_next, page) = match req {
            PageRequest::Offset { page, .. } => (*page > 1, more, Some(*page)),
            PageRequest::After { .. } => (true, more, None),
            PageRequest::Before { cursor, .. } => {
                rows.reverse();
                (more, cursor.is_some(), None)
            }
        };
        let cursors: Vec<String> = rows.iter().map(|r| cursor_of(r).encode()).collect();
        let next_cursor = if has_next {
            cursors.last().cloned()
        } else {
            None
        };
        // Offset pages have numbers to go back by; keyset pages hand out a cursor.
        let prev_cursor = if has_previous && page.is_none() {
            cursors.first().cloned()
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            cursors,
            meta: ListMeta {
                page,
                per_page,
                total: total.count,
                total_pages: (total.count + per_page - 1) / per_page,
                total_exact: total.exact,
                total_counted_at: total.counted_at,
                next_cursor,
                prev_cursor,
            },
            has_previous,
            has_next,
        }
    }

    /// Replaces the items with `items` (same order and length), keeping the paging.
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            cursors: self.cursors,
            meta: self.meta,
            has_previous: self.has_previous,
            has_next: self.has_next,
        }
    }
}

/// The offset of an offset request (0 for keyset requests).
pub fn offset_of(req: &PageRequest) -> i64 {
    match req {
        PageRequest::Offset { page, per_page } => (page - 1) * per_page,
        PageRequest::After { .. } | PageRequest::Before { .. } => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let mut c = CursorKey::new("latest");
        c.t = Some(1_700_000_000);
        c.i = Some(42);
        assert_eq!(CursorKey::decode(&c.encode()), Some(c));
        assert!(CursorKey::decode("not-a-cursor!").is_none());
        assert!(CursorKey::decode(&"A".repeat(600)).is_none());
    }

    #[test]
    fn per_page_bounds_are_422_not_clipped() {
        let too_big = PageParams {
            per_page: Some(101),
            ..Default::default()
        };
        assert!(matches!(
            PageRequest::parse(&too_big),
            Err(AppError::Validation(_))
        ));
        let zero_page = PageParams {
            page: Some(0),
            ..Default::default()
        };
        assert!(PageRequest::parse(&zero_page).is_err());
    }
}

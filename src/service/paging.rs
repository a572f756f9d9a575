//! Page and keyset-cursor paging, shared by every list.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::ListMeta;

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1_000_000;

/// A list request's paging, as the client gave it.
#[derive(Debug, Clone, Default)]
pub struct PageParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub cursor: Option<String>,
}

/// Paging after validation.
#[derive(Debug, Clone)]
pub enum PageRequest {
    Offset { page: i64, per_page: i64 },
    Cursor { cursor: CursorKey, per_page: i64 },
}

impl PageRequest {
    pub fn per_page(&self) -> i64 {
        match self {
            PageRequest::Offset { per_page, .. } | PageRequest::Cursor { per_page, .. } => {
                *per_page
            }
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
        let cursor = match p.cursor.as_deref() {
            None => None,
            Some(_) if p.page.is_some() => {
                errors.add("cursor", "give either page or cursor, not both");
                None
            }
            Some(raw) => match CursorKey::decode(raw) {
                Some(c) => Some(c),
                None => {
                    errors.add("cursor", "is not a cursor this API issued");
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(match cursor {
            Some(cursor) => PageRequest::Cursor { cursor, per_page },
            None => PageRequest::Offset {
                page: p.page.unwrap_or(1),
                per_page,
            },
        })
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

/// A page of items and the `meta` that describes it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub meta: ListMeta,
}

impl<T> Page<T> {
    /// `rows` holds up to `per_page + 1` rows: the extra one only says a next page exists.
    pub fn build<R>(
        req: &PageRequest,
        mut rows: Vec<R>,
        total: i64,
        cursor_of: impl Fn(&R) -> CursorKey,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let per_page = req.per_page();
        let has_next = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        let next_cursor = if has_next {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        let page = match req {
            PageRequest::Offset { page, .. } => Some(*page),
            PageRequest::Cursor { .. } => None,
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            meta: ListMeta {
                page,
                per_page,
                total,
                total_pages: (total + per_page - 1) / per_page,
                next_cursor,
            },
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            meta: self.meta,
        }
    }
}

/// The offset of an offset request (0 for cursor requests).
pub fn offset_of(req: &PageRequest) -> i64 {
    match req {
        PageRequest::Offset { page, per_page } => (page - 1) * per_page,
        PageRequest::Cursor { .. } => 0,
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

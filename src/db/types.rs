//! How the domain's closed sets (statuses, roles) are stored: as their text, read back through
//! `FromStr`, so a value the type does not know is an error (never a silent default). And how
//! hot rows read their timestamps ([`Stamp`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text, Timestamp};
use diesel::sqlite::{Sqlite, SqliteType};

use super::MultiBackend;

use crate::domain::{ArticleStatus, CommentStatus, DeliveryStatus, Role};

macro_rules! stored_as_text {
    ($($ty:ty),+) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse().map_err(|e: String| {
                    format!("stored {} {text:?}: {e}", stringify!($ty)).into()
                })
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )+};
}

stored_as_text!(ArticleStatus, CommentStatus, DeliveryStatus, Role);

/// A timestamp as diesel reads it, without chrono's format parser on SQLite (see
/// [`parse_sqlite_stamp`]); `#[diesel(deserialize_as = Stamp)]` on a `NaiveDateTime` field.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct Stamp(pub NaiveDateTime);

/// [`Stamp`] for a nullable column.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct MaybeStamp(pub Option<NaiveDateTime>);

impl From<Stamp> for NaiveDateTime {
    fn from(s: Stamp) -> Self {
        s.0
    }
}

impl From<MaybeStamp> for Option<NaiveDateTime> {
    fn from(s: MaybeStamp) -> Self {
        s.0
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of up to nine digits: what diesel writes
/// (`%F %T%.f`) and what our hand-written SQL compares with. diesel's own reading tries up to
/// 18 chrono format strings, each parsed again for every value: 4% of the server's CPU on an
/// uncached latest page (three timestamps per summary). Anything else is `None`, and is read
/// by diesel's reading.
pub fn parse_sqlite_stamp(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b' ' && b[10] != b'T' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20, b.len())?;
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let time = NaiveTime::from_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text) {
            if let Some(t) = parse_sqlite_stamp(value.read_text()) {
                return Ok(Stamp(t));
            }
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Stamp, Timestamp>()
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for MaybeStamp {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <Stamp as FromSql<Timestamp, MultiBackend>>::from_sql(value).map(|s| MaybeStamp(Some(s.0)))
    }

    fn from_nullable_sql(
        value: Option<<MultiBackend as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match value {
            Some(value) => Self::from_sql(value),
            None => Ok(MaybeStamp(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_timestamp_reads_as_chrono_reads_it() {
        for text in [
            "2026-11-27 15:38:39",
            "2026-11-27 15:38:39.5",
            "2026-11-27 15:38:39.123456",
            "2026-11-27T15:38:39.123456789",
            "1970-01-01 00:00:00",
            "2024-02-29 23:59:59.000001",
        ] {
            let ours = parse_sqlite_stamp(text);
            let chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
                .ok();
            assert_eq!(ours, chrono, "{text}");
            assert!(ours.is_some(), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_diesels_reading() {
        for text in [
            "",
            "2026-11-27",
            "2026-02-30 10:00:00",
            "2026-11-27 25:00:00",
            "2026-11-27 15:38:39.",
            "2026-11-27 15:38:39.1234567890",
            "2026-11-27 15:38:39+02:00",
            "2026-11-27 15:38:39Z",
            "2026-1-27 15:38:39",
            "+2026-11-27 15:38:3",
            "2026-11-27 15:38:39.12a",
            "2459000.5",
            "２０２６-11-27 15:38:39",
        ] {
            assert_eq!(parse_sqlite_stamp(text), None, "{text:?}");
        }
    }
}

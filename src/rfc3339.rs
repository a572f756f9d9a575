//! Timestamps written the way chrono's `Serialize` writes them (RFC 3339, UTC as `Z`,
//! fractions of a second in 0, 3, 6 or 9 digits, whichever shows them whole), without its
//! formatting machinery. A list's summaries carry three each: through chrono's `collect_str`
//! they were 3% of an uncached latest page's server time.
//!
//! Use with `#[serde(serialize_with = "crate::rfc3339::write")]` (or `write_option`); a time
//! outside the years 0000-9999, or inside a leap second, is left to chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// The longest text written here: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const LONGEST: usize = 30;

/// Writes `t` as chrono would.
pub fn write<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; LONGEST];
    match format(t, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => serde::Serialize::serialize(t, s),
    }
}

/// [`write`] for an optional time (`null` when absent).
pub fn write_option<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => write(t, s),
        None => s.serialize_none(),
    }
}

/// `t` in `buf`, or `None` when chrono's own form differs from the common one.
fn format<'b>(t: &DateTime<Utc>, buf: &'b mut [u8; LONGEST]) -> Option<&'b str> {
    let year = t.year();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut at = put(buf, 0, year as u32, 4);
    for (sep, value) in [
        (b'-', t.month()),
        (b'-', t.day()),
        (b'T', t.hour()),
        (b':', t.minute()),
        (b':', t.second()),
    ] {
        buf[at] = sep;
        at = put(buf, at + 1, value, 2);
    }
    let digits = match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    if digits > 0 {
        buf[at] = b'.';
        at = put(buf, at + 1, nanos / 10u32.pow(9 - digits as u32), digits);
    }
    buf[at] = b'Z';
    let buf: &'b [u8] = buf;
    std::str::from_utf8(&buf[..=at]).ok()
}

/// Writes `n` in `width` decimal digits (zero-padded) at `at`; answers where they end.
fn put(buf: &mut [u8], at: usize, mut n: u32, width: usize) -> usize {
    for slot in buf[at..at + width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    at + width
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "super::write")] chrono::DateTime<Utc>);

    fn same_as_chrono(t: chrono::DateTime<Utc>) {
        let ours = serde_json::to_string(&Ours(t)).unwrap();
        let chrono = serde_json::to_string(&t).unwrap();
        assert_eq!(ours, chrono, "{t:?}");
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2026, 11, 27, 23, 5, 9).unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            7_000_000,
            100_000_000,
            123_456_789,
            999_999_999,
        ] {
            same_as_chrono(base + chrono::Duration::nanoseconds(nanos));
        }
        for (y, mo, d, h, mi, s) in [
            (0, 1, 1, 0, 0, 0),
            (1, 2, 3, 4, 5, 6),
            (999, 12, 31, 23, 59, 59),
            (1970, 1, 1, 0, 0, 0),
            (2000, 2, 29, 12, 30, 0),
            (9999, 12, 31, 23, 59, 59),
        ] {
            same_as_chrono(Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap());
        }
    }

    #[test]
    fn leaves_what_it_does_not_write_to_chrono() {
        same_as_chrono(Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap());
        same_as_chrono(Utc.with_ymd_and_hms(-1, 6, 1, 0, 0, 0).unwrap());
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        same_as_chrono(leap);
    }
}

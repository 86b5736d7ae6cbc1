//! Dates and times from SQLite: Unix seconds or milliseconds, REAL seconds,
//! ISO 8601 text, and the zone naive ones are read in (`--timezone`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rusqlite::types::ValueRef;

use super::convert::{Refused, text_of};

/// How naive date-times are read (`--timezone`; UTC by default).
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    Utc,
    Named(chrono_tz::Tz),
}

impl Zone {
    pub fn parse(name: &str) -> Option<Zone> {
        if name.eq_ignore_ascii_case("utc") || name == "Z" {
            return Some(Zone::Utc);
        }
        name.parse::<chrono_tz::Tz>().ok().map(Zone::Named)
    }

    pub(super) fn instant(self, naive: NaiveDateTime) -> Result<DateTime<Utc>, String> {
        match self {
            Zone::Utc => Ok(naive.and_utc()),
            Zone::Named(tz) => match tz.from_local_datetime(&naive) {
                chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                chrono::LocalResult::Ambiguous(..) => {
                    Err(format!("is ambiguous in time zone {tz} (a clock change)"))
                }
                chrono::LocalResult::None => {
                    Err(format!("does not exist in time zone {tz} (a clock change)"))
                }
            },
        }
    }

    pub(super) fn local(self, instant: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Utc => instant.naive_utc(),
            Zone::Named(tz) => instant.with_timezone(&tz).naive_local(),
        }
    }
}

pub(super) const PG_EPOCH_DAYS: i64 = 10_957; // 1970-01-01 to 2000-01-01
pub(super) const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400 * 1_000_000;

/// Unix seconds, or milliseconds when the magnitude says so (beyond year
/// 5138 in seconds), or fractional seconds from a REAL.
pub(super) fn unix_instant(value: ValueRef<'_>) -> Result<Option<DateTime<Utc>>, Refused> {
    let micros = match value {
        ValueRef::Integer(i) if i.abs() >= 100_000_000_000 => i.checked_mul(1000),
        ValueRef::Integer(i) => i.checked_mul(1_000_000),
        #[allow(clippy::cast_possible_truncation)]
        ValueRef::Real(r) if r.is_finite() && r.abs() < 1e11 => Some((r * 1e6).round() as i64),
        ValueRef::Real(_) => None,
        _ => return Ok(None),
    };
    let micros = micros.ok_or_else(|| "is out of range for a timestamp".to_owned())?;
    DateTime::from_timestamp_micros(micros)
        .map(Some)
        .ok_or_else(|| "is out of range for a timestamp".into())
}

/// ISO 8601 text: `YYYY-MM-DD`, then optionally `T` or a space and
/// `HH:MM[:SS[.f]]`, then optionally `Z` or `±HH[:MM]`. The naive time and
/// the offset when there is one.
pub(super) fn iso(t: &str) -> Result<(NaiveDateTime, Option<chrono::FixedOffset>), Refused> {
    let t = t.trim();
    let bad = || {
        "is not a date or time import understands (use ISO 8601, e.g. `2024-05-01 12:30:00`)"
            .to_owned()
    };
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok((d.and_time(NaiveTime::MIN), None));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok((dt.naive_utc(), Some(*dt.offset())));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M%#z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok((dt.naive_utc(), Some(*dt.offset())));
        }
    }
    let naive = t.strip_suffix('Z').or_else(|| t.strip_suffix('z'));
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive.unwrap_or(t), fmt) {
            return Ok((
                dt,
                naive.map(|_| chrono::FixedOffset::east_opt(0).expect("zero offset")),
            ));
        }
    }
    Err(bad())
}

pub(super) fn instant_of(value: ValueRef<'_>, zone: Zone) -> Result<DateTime<Utc>, Refused> {
    if let Some(t) = unix_instant(value)? {
        return Ok(t);
    }
    let (naive, offset) = iso(text_of(&value).map_err(|_| "is not a date or time".to_owned())?)?;
    match offset {
        // `naive` is already UTC when an offset was given.
        Some(_) => Ok(naive.and_utc()),
        None => zone.instant(naive),
    }
}

pub(super) fn micros_since_2000(naive: NaiveDateTime) -> Result<i64, Refused> {
    naive
        .and_utc()
        .timestamp_micros()
        .checked_sub(PG_EPOCH_MICROS)
        .ok_or_else(|| "is out of range for a timestamp".into())
}

//! One SQLite value to the binary COPY form of the target column's type.
//!
//! The conversion is decided by the *target* type (SQLite's declared types
//! are hints: a TEXT can sit in an INTEGER column). A value that does not fit
//! is an error, never a silent change: integers are range-checked, decimals
//! and doubles keep every digit, text lengths are checked, JSON is validated.

// Exactness checks compare doubles bit for bit on purpose.
#![allow(clippy::float_cmp)]

use chrono::{NaiveDate, NaiveTime};
use rusqlite::types::ValueRef;

use super::decimal::{Decimal, Numeric};
use super::json;
pub use super::time::Zone;
use super::time::{instant_of, iso, micros_since_2000, unix_instant};

/// The target column types import converts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric(precision, scale)` when a type modifier is set.
    Numeric(Option<(u32, u32)>),
    /// `text`, `varchar(n)` (`Some(n)` characters at most).
    Text(Option<usize>),
    /// `char(n)`: padded with spaces to `n`, as the server stores it.
    Bpchar(usize),
    Bytea,
    Json,
    Jsonb,
    Uuid,
    Date,
    Timestamp,
    Timestamptz,
    /// An enum and its labels.
    Enum(Vec<String>),
}

impl Kind {
    /// From a base type's name and `atttypmod` (`format_type` names).
    pub fn from_pg(type_name: &str, typmod: i32, enum_labels: Option<Vec<String>>) -> Option<Kind> {
        if let Some(labels) = enum_labels {
            return Some(Kind::Enum(labels));
        }
        let len = usize::try_from(typmod - 4).ok();
        Some(match type_name {
            "boolean" => Kind::Bool,
            "smallint" => Kind::Int2,
            "integer" => Kind::Int4,
            "bigint" => Kind::Int8,
            "real" => Kind::Float4,
            "double precision" => Kind::Float8,
            "numeric" => match u32::try_from(typmod - 4) {
                Err(_) => Kind::Numeric(None),
                Ok(m) => {
                    let scale = m & 0x7ff;
                    // A negative scale (PostgreSQL 15: 11-bit two's complement)
                    // rounds to tens, hundreds...: not converted.
                    if scale > 1000 {
                        return None;
                    }
                    Kind::Numeric(Some((m >> 16, scale)))
                }
            },
            "text" | "character varying" | "name" | "citext" => Kind::Text(len),
            "character" => Kind::Bpchar(len.unwrap_or(1)),
            "bytea" => Kind::Bytea,
            "json" => Kind::Json,
            "jsonb" => Kind::Jsonb,
            "uuid" => Kind::Uuid,
            "date" => Kind::Date,
            "timestamp without time zone" => Kind::Timestamp,
            "timestamp with time zone" => Kind::Timestamptz,
            _ => return None,
        })
    }

    /// The length of the binary form of fixed-width types.
    pub fn fixed_len(&self) -> Option<u32> {
        Some(match self {
            Kind::Bool => 1,
            Kind::Int2 => 2,
            Kind::Int4 | Kind::Float4 | Kind::Date => 4,
            Kind::Int8 | Kind::Float8 | Kind::Timestamp | Kind::Timestamptz => 8,
            Kind::Uuid => 16,
            _ => return None,
        })
    }

    /// The SQL that gives the stored value's binary form, for the checksum:
    /// the type's send function over `col` (a quoted name).
    pub fn send_sql(&self, col: &str) -> String {
        match self {
            Kind::Bool => format!("boolsend({col})"),
            Kind::Int2 => format!("int2send({col})"),
            Kind::Int4 => format!("int4send({col})"),
            Kind::Int8 => format!("int8send({col})"),
            Kind::Float4 => format!("float4send({col})"),
            Kind::Float8 => format!("float8send({col})"),
            Kind::Numeric(_) => format!("numeric_send({col})"),
            Kind::Text(_) | Kind::Enum(_) => format!("textsend({col}::text)"),
            Kind::Bpchar(_) => format!("bpcharsend({col})"),
            Kind::Bytea => format!("{col}::bytea"),
            Kind::Json => format!("json_send({col})"),
            Kind::Jsonb => format!("jsonb_send({col})"),
            Kind::Uuid => format!("uuid_send({col})"),
            Kind::Date => format!("date_send({col})"),
            Kind::Timestamp => format!("timestamp_send({col})"),
            Kind::Timestamptz => format!("timestamptz_send({col})"),
        }
    }
}

/// Why a value does not fit; the caller adds table, row and column.
pub type Refused = String;

/// Appends the value's binary COPY field (length, then bytes; `-1` for
/// NULL) to `out`.
pub fn encode(
    kind: &Kind,
    value: ValueRef<'_>,
    zone: Zone,
    out: &mut Vec<u8>,
) -> Result<(), Refused> {
    if let ValueRef::Null = value {
        out.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(kind, value, zone, out)?;
    let len = i32::try_from(out.len() - at - 4).map_err(|_| "is larger than 2 GB".to_owned())?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

pub(super) fn text_of<'a>(value: &ValueRef<'a>) -> Result<&'a str, Refused> {
    match value {
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(|_| "is not valid UTF-8".to_owned()),
        _ => Err("is not text".into()),
    }
}

fn int_of(value: ValueRef<'_>) -> Result<i64, Refused> {
    match value {
        ValueRef::Integer(i) => Ok(i),
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        ValueRef::Real(r)
            if r.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) =>
        {
            Ok(r as i64)
        }
        ValueRef::Real(_) => Err("is a fraction, not an integer".into()),
        ValueRef::Text(_) => {
            let t = text_of(&value)?;
            t.trim()
                .parse::<i64>()
                .map_err(|_| "is text, not an integer".to_owned())
        }
        ValueRef::Blob(_) => Err("is a BLOB, not an integer".into()),
        ValueRef::Null => unreachable!("NULL is handled by encode"),
    }
}

fn f64_of(value: ValueRef<'_>) -> Result<f64, Refused> {
    match value {
        ValueRef::Real(r) => Ok(r),
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        ValueRef::Integer(i) => {
            let f = i as f64;
            // Exact only if it converts back to the same integer.
            if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) && f as i64 == i {
                Ok(f)
            } else {
                Err("cannot be held exactly by a double".into())
            }
        }
        ValueRef::Text(_) => {
            let t = text_of(&value)?.trim();
            let f = match t.to_ascii_lowercase().as_str() {
                "nan" => f64::NAN,
                "inf" | "infinity" | "+inf" | "+infinity" => f64::INFINITY,
                "-inf" | "-infinity" => f64::NEG_INFINITY,
                _ => t
                    .parse::<f64>()
                    .map_err(|_| "is text, not a number".to_owned())?,
            };
            Ok(f)
        }
        ValueRef::Blob(_) => Err("is a BLOB, not a number".into()),
        ValueRef::Null => unreachable!(),
    }
}

fn check_text(t: &str, max: Option<usize>) -> Result<(), Refused> {
    if t.contains('\0') {
        return Err("holds a NUL character, which PostgreSQL text cannot store".into());
    }
    if let Some(max) = max {
        let n = t.chars().count();
        if n > max {
            return Err(format!(
                "is {n} characters long, more than the column's {max}"
            ));
        }
    }
    Ok(())
}

/// Text of a non-text SQLite value put in a text column: integers as
/// digits, REALs in their shortest round-trip form.
fn any_text(value: &ValueRef<'_>) -> Result<String, Refused> {
    match value {
        ValueRef::Integer(i) => Ok(i.to_string()),
        ValueRef::Real(r) => Ok(format!("{r:?}")),
        ValueRef::Text(_) => Ok(text_of(value)?.to_owned()),
        ValueRef::Blob(_) => Err("is a BLOB, not text".into()),
        ValueRef::Null => unreachable!(),
    }
}

fn body(kind: &Kind, value: ValueRef<'_>, zone: Zone, out: &mut Vec<u8>) -> Result<(), Refused> {
    match kind {
        Kind::Bool => out.push(u8::from(boolean(value)?)),
        Kind::Int2 => {
            let i = int_of(value)?;
            let v = i16::try_from(i).map_err(|_| "does not fit smallint".to_owned())?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        Kind::Int4 => {
            let i = int_of(value)?;
            let v = i32::try_from(i).map_err(|_| "does not fit integer (int4)".to_owned())?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        Kind::Int8 => out.extend_from_slice(&int_of(value)?.to_be_bytes()),
        Kind::Float4 => {
            let f = f64_of(value)?;
            #[allow(clippy::cast_possible_truncation)]
            let g = f as f32;
            if f64::from(g) != f && !f.is_nan() {
                return Err(
                    "would lose precision in real (float4); use double precision or numeric".into(),
                );
            }
            out.extend_from_slice(&g.to_bits().to_be_bytes());
        }
        Kind::Float8 => out.extend_from_slice(&f64_of(value)?.to_bits().to_be_bytes()),
        Kind::Numeric(typmod) => numeric(value, *typmod)?.encode(out),
        Kind::Text(max) => {
            if let ValueRef::Text(_) = value {
                let t = text_of(&value)?;
                check_text(t, *max)?;
                out.extend_from_slice(t.as_bytes());
            } else {
                let t = any_text(&value)?;
                check_text(&t, *max)?;
                out.extend_from_slice(t.as_bytes());
            }
        }
        Kind::Bpchar(n) => {
            let t = any_text(&value)?;
            let t = t.trim_end_matches(' ');
            check_text(t, Some(*n))?;
            out.extend_from_slice(t.as_bytes());
            out.extend(std::iter::repeat_n(b' ', n - t.chars().count()));
        }
        Kind::Enum(labels) => {
            let t = text_of(&value).map_err(|_| "is not one of the enum's labels".to_owned())?;
            if !labels.iter().any(|l| l == t) {
                return Err(format!(
                    "is not one of the enum's labels ({})",
                    labels.join(", ")
                ));
            }
            out.extend_from_slice(t.as_bytes());
        }
        Kind::Bytea => match value {
            ValueRef::Blob(b) | ValueRef::Text(b) => out.extend_from_slice(b),
            _ => return Err("is a number, not a BLOB".into()),
        },
        Kind::Json => {
            let t = any_text(&value)?;
            json::validate(&t).map_err(|e| format!("is not valid JSON ({e})"))?;
            check_text(&t, None)?;
            out.extend_from_slice(t.as_bytes());
        }
        Kind::Jsonb => {
            let t = any_text(&value)?;
            let canonical = json::jsonb_text(&t).map_err(|e| format!("is not valid JSON ({e})"))?;
            out.push(1);
            out.extend_from_slice(canonical.as_bytes());
        }
        Kind::Uuid => out.extend_from_slice(&uuid(value)?),
        Kind::Date => out.extend_from_slice(&days_since_2000(value, zone)?.to_be_bytes()),
        Kind::Timestamp => {
            out.extend_from_slice(&micros_since_2000(timestamp(value, zone)?)?.to_be_bytes());
        }
        Kind::Timestamptz => {
            let t = instant_of(value, zone)?;
            out.extend_from_slice(&micros_since_2000(t.naive_utc())?.to_be_bytes());
        }
    }
    Ok(())
}

/// A boolean from SQLite's 0/1 (as integer or real) or its text spellings.
fn boolean(value: ValueRef<'_>) -> Result<bool, Refused> {
    match value {
        ValueRef::Integer(0) | ValueRef::Real(0.0) => Ok(false),
        ValueRef::Integer(1) | ValueRef::Real(1.0) => Ok(true),
        ValueRef::Text(_) => match text_of(&value)?.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Ok(true),
            "false" | "f" | "0" => Ok(false),
            _ => Err("is not a boolean (0/1, true/false, t/f)".into()),
        },
        _ => Err("is not a boolean (0/1, true/false, t/f)".into()),
    }
}

/// A number exactly as stored, fitted to `numeric(p,s)` without rounding.
fn numeric(value: ValueRef<'_>, typmod: Option<(u32, u32)>) -> Result<Numeric, Refused> {
    let n = match value {
        ValueRef::Integer(i) => Numeric::Finite(Decimal::parse(&i.to_string()).expect("digits")),
        ValueRef::Real(r) => Numeric::from_f64(r),
        ValueRef::Text(_) => {
            Numeric::parse(text_of(&value)?).ok_or_else(|| "is text, not a number".to_owned())?
        }
        _ => return Err("is a BLOB, not a number".into()),
    };
    Ok(match (n, typmod) {
        (Numeric::Finite(d), Some((p, s))) => Numeric::Finite(
            d.fit(p, s)
                .ok_or_else(|| format!("does not fit numeric({p},{s}) without rounding"))?,
        ),
        (n, _) => n,
    })
}

/// A uuid's 16 bytes, from a 16-byte BLOB or its text (with or without dashes and
/// braces).
fn uuid(value: ValueRef<'_>) -> Result<[u8; 16], Refused> {
    match value {
        ValueRef::Blob(b) => b
            .try_into()
            .map_err(|_| "is a BLOB of the wrong length for a uuid (16 bytes)".to_owned()),
        ValueRef::Text(_) => {
            let t = text_of(&value)?.trim();
            let t = t
                .strip_prefix('{')
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or(t);
            let hex_digits: String = t.chars().filter(|c| *c != '-').collect();
            let v = hex::decode(&hex_digits).map_err(|_| "is not a uuid".to_owned())?;
            v.try_into().map_err(|_| "is not a uuid".to_owned())
        }
        _ => Err("is not a uuid".into()),
    }
}

/// A date as PostgreSQL's binary form counts it: days since 2000-01-01. A value with a
/// time of day is refused, not truncated.
fn days_since_2000(value: ValueRef<'_>, zone: Zone) -> Result<i32, Refused> {
    let date = if let Some(t) = unix_instant(value)? {
        let local = zone.local(t);
        if local.time() != NaiveTime::MIN {
            return Err("is a time of day, not a date".into());
        }
        local.date()
    } else {
        let (naive, offset) = iso(text_of(&value).map_err(|_| "is not a date".to_owned())?)?;
        if naive.time() != NaiveTime::MIN || offset.is_some_and(|o| o.local_minus_utc() != 0) {
            return Err("is a time of day, not a date".into());
        }
        naive.date()
    };
    let days = i64::from(date.num_days_from_ce())
        - i64::from(
            NaiveDate::from_ymd_opt(2000, 1, 1)
                .expect("date")
                .num_days_from_ce(),
        );
    i32::try_from(days).map_err(|_| "is out of range for a date".to_owned())
}

/// A `timestamp` (without time zone): naive values as written, instants and values with
/// an offset in `zone`.
fn timestamp(value: ValueRef<'_>, zone: Zone) -> Result<chrono::NaiveDateTime, Refused> {
    if let Some(t) = unix_instant(value)? {
        return Ok(zone.local(t));
    }
    let (naive, offset) = iso(text_of(&value).map_err(|_| "is not a timestamp".to_owned())?)?;
    Ok(match offset {
        Some(_) => zone.local(naive.and_utc()),
        None => naive,
    })
}

use chrono::Datelike as _;

/// A value as the error message shows it: text quoted and cut at 60
/// characters, BLOBs by size.
pub fn show(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:?}"),
        ValueRef::Text(t) => {
            let s = String::from_utf8_lossy(t);
            let cut: String = s.chars().take(60).collect();
            if cut.len() < s.len() {
                format!("'{cut}...'")
            } else {
                format!("'{cut}'")
            }
        }
        ValueRef::Blob(b) => format!("a BLOB of {} bytes", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(kind: &Kind, v: ValueRef<'_>) -> Result<Vec<u8>, Refused> {
        let mut out = Vec::new();
        encode(kind, v, Zone::Utc, &mut out)?;
        Ok(out[4..].to_vec())
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(
            enc(&Kind::Int4, ValueRef::Integer(7)).unwrap(),
            [0, 0, 0, 7]
        );
        assert!(
            enc(&Kind::Int4, ValueRef::Integer(3_000_000_000))
                .unwrap_err()
                .contains("int4")
        );
        assert!(enc(&Kind::Int2, ValueRef::Integer(40_000)).is_err());
        assert!(
            enc(&Kind::Int8, ValueRef::Text(b"abc"))
                .unwrap_err()
                .contains("is text")
        );
        assert!(enc(&Kind::Int8, ValueRef::Real(1.5)).is_err());
        assert_eq!(
            enc(&Kind::Int8, ValueRef::Real(2.0)).unwrap(),
            2i64.to_be_bytes()
        );
    }

    #[test]
    fn booleans() {
        for (v, b) in [
            (ValueRef::Integer(1), 1),
            (ValueRef::Text(b"f"), 0),
            (ValueRef::Text(b"TRUE"), 1),
        ] {
            assert_eq!(enc(&Kind::Bool, v).unwrap(), [b]);
        }
        assert!(enc(&Kind::Bool, ValueRef::Integer(2)).is_err());
    }

    #[test]
    fn doubles_and_reals() {
        let v = 51.491_366_014_676_43_f64;
        assert_eq!(
            enc(&Kind::Float8, ValueRef::Real(v)).unwrap(),
            v.to_bits().to_be_bytes()
        );
        assert!(
            enc(&Kind::Float4, ValueRef::Real(v))
                .unwrap_err()
                .contains("precision")
        );
        assert!(enc(&Kind::Float4, ValueRef::Real(0.5)).is_ok());
        assert!(enc(&Kind::Float8, ValueRef::Integer(i64::MAX)).is_err());
    }

    #[test]
    fn text_lengths_and_padding() {
        assert!(
            enc(&Kind::Text(Some(3)), ValueRef::Text("héllo".as_bytes()))
                .unwrap_err()
                .contains("5 characters")
        );
        assert_eq!(
            enc(&Kind::Text(Some(5)), ValueRef::Text("héllo".as_bytes())).unwrap(),
            "héllo".as_bytes()
        );
        assert_eq!(enc(&Kind::Bpchar(3), ValueRef::Text(b"a")).unwrap(), b"a  ");
        assert!(
            enc(&Kind::Text(None), ValueRef::Text(b"\xff"))
                .unwrap_err()
                .contains("UTF-8")
        );
        assert_eq!(enc(&Kind::Text(None), ValueRef::Real(0.1)).unwrap(), b"0.1");
    }

    #[test]
    fn times() {
        let ts = |v| enc(&Kind::Timestamptz, v).map(|b| i64::from_be_bytes(b.try_into().unwrap()));
        assert_eq!(
            ts(ValueRef::Text(b"2000-01-01 00:00:01")).unwrap(),
            1_000_000
        );
        assert_eq!(
            ts(ValueRef::Text(b"2000-01-01T02:00:01+02:00")).unwrap(),
            1_000_000
        );
        assert_eq!(ts(ValueRef::Integer(946_684_801)).unwrap(), 1_000_000);
        assert_eq!(ts(ValueRef::Integer(946_684_801_000)).unwrap(), 1_000_000);
        assert!(ts(ValueRef::Text(b"yesterday")).is_err());
        let paris = Zone::parse("Europe/Paris").unwrap();
        let mut out = Vec::new();
        encode(
            &Kind::Timestamptz,
            ValueRef::Text(b"2000-01-01 01:00:01"),
            paris,
            &mut out,
        )
        .unwrap();
        assert_eq!(i64::from_be_bytes(out[4..].try_into().unwrap()), 1_000_000);
        assert_eq!(
            enc(&Kind::Date, ValueRef::Text(b"2000-01-02")).unwrap(),
            [0, 0, 0, 1]
        );
        assert!(enc(&Kind::Date, ValueRef::Text(b"2000-01-02 10:00")).is_err());
    }

    #[test]
    fn uuids_enums_json() {
        let u = enc(
            &Kind::Uuid,
            ValueRef::Text(b"{00112233-4455-6677-8899-aabbccddeeff}"),
        )
        .unwrap();
        assert_eq!(hex::encode(u), "00112233445566778899aabbccddeeff");
        assert!(enc(&Kind::Uuid, ValueRef::Text(b"nope")).is_err());
        let e = Kind::Enum(vec!["a".into(), "b".into()]);
        assert!(
            enc(&e, ValueRef::Text(b"c"))
                .unwrap_err()
                .contains("(a, b)")
        );
        assert_eq!(
            enc(&Kind::Jsonb, ValueRef::Text(br#"{"b":1,"a":2}"#)).unwrap(),
            b"\x01{\"a\": 2, \"b\": 1}"
        );
        assert!(enc(&Kind::Json, ValueRef::Text(b"{oops")).is_err());
    }

    #[test]
    fn target_types_from_the_catalog() {
        let typmod = |p: i32, s: i32| ((p << 16) | (s & 0x7ff)) + 4;
        assert_eq!(
            Kind::from_pg("numeric", typmod(10, 2), None),
            Some(Kind::Numeric(Some((10, 2))))
        );
        assert_eq!(
            Kind::from_pg("numeric", -1, None),
            Some(Kind::Numeric(None))
        );
        assert_eq!(Kind::from_pg("numeric", typmod(2, -3), None), None);
        assert_eq!(
            Kind::from_pg("character varying", 14, None),
            Some(Kind::Text(Some(10)))
        );
        assert_eq!(Kind::from_pg("text", -1, None), Some(Kind::Text(None)));
        assert_eq!(Kind::from_pg("character", 7, None), Some(Kind::Bpchar(3)));
        assert_eq!(Kind::from_pg("inet", -1, None), None);
    }

    #[test]
    fn nulls_are_minus_one() {
        let mut out = Vec::new();
        encode(&Kind::Int4, ValueRef::Null, Zone::Utc, &mut out).unwrap();
        assert_eq!(out, (-1i32).to_be_bytes());
    }
}

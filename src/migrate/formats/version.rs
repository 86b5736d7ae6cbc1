//! Migration versions as written in file names, compared the way the peer tools compare
//! them: numerically part by part, never as text, so `9` < `10` and `V1_9` < `V1_10`.
//!
//! Parts are kept as digit strings (leading zeros stripped) rather than integers so a
//! version of any length compares correctly; nothing here can overflow.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A migration version: its text as written (normalised for Flyway) plus the key it sorts by.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    key: Key,
}

/// What a version sorts by. Versioned keys come before every repeatable one
/// (Flyway runs `R__` scripts after all versioned ones).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// Numeric parts without leading zeros and without trailing zero parts, so `001` equals
    /// `1` and Flyway's `1.0` equals `1` (Flyway reports both as the same version).
    Versioned(Vec<Part>),
    /// A place in a changelog (Liquibase): order comes from the changelog, not the text.
    Position(u64),
    /// The description of a repeatable migration.
    Repeatable(String),
    /// A name compared as text, byte by byte: what Prisma (the whole folder name) and
    /// Diesel (the folder's version with dashes removed) identify and order by.
    Named(String),
}

/// One numeric part; ordered by length first, then digits, which is numeric order for
/// digit strings without leading zeros.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Part(String);

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Part {
    fn new(digits: &str) -> Part {
        Part(digits.trim_start_matches('0').to_owned())
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Version {
    /// One integer, as native, prisma, dbmate, sqlx, golang-migrate and node-pg-migrate
    /// write them. The text keeps leading zeros (`0001`) so a new file can copy the padding.
    pub fn parse_integer(s: &str) -> Option<Version> {
        if !is_digits(s) {
            return None;
        }
        Some(Version {
            text: s.to_owned(),
            key: versioned(&[s]),
        })
    }

    /// Flyway's dotted version: digits separated by `.` or `_` (`1.2.10`, `1_2_10`).
    /// The text is the dotted form.
    pub fn parse_dotted(s: &str) -> Option<Version> {
        let parts: Vec<&str> = s.split(['.', '_']).collect();
        if !parts.iter().all(|p| is_digits(p)) {
            return None;
        }
        Some(Version {
            text: parts.join("."),
            key: versioned(&parts),
        })
    }

    /// A Flyway repeatable migration `R__<desc>`; sorts after every versioned one, by `desc`.
    pub fn repeatable(desc: &str) -> Version {
        Version {
            text: format!("R__{desc}"),
            key: Key::Repeatable(desc.to_owned()),
        }
    }

    /// A migration identified by `text` whose order is its `position` in a changelog
    /// (Liquibase changesets: `<file>::<id>::<author>`).
    pub fn positional(position: u64, text: String) -> Version {
        Version {
            text,
            key: Key::Position(position),
        }
    }

    /// A migration identified and ordered by `text` as text (Prisma's folder name,
    /// Diesel's version), so `20260630120000_add_x` < `20260630120000_drop_y`.
    pub fn named(text: String) -> Version {
        Version {
            key: Key::Named(text.clone()),
            text,
        }
    }

    /// The version as written (Flyway: dotted; repeatable: `R__<desc>`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_repeatable(&self) -> bool {
        matches!(self.key, Key::Repeatable(_))
    }

    /// The first numeric part as digits without leading zeros (`""` for zero), used to
    /// pick the next Flyway version.
    pub(crate) fn major(&self) -> Option<&str> {
        match &self.key {
            Key::Versioned(parts) => Some(parts.first().map_or("", |p| p.0.as_str())),
            Key::Position(_) | Key::Repeatable(_) | Key::Named(_) => None,
        }
    }
}

fn versioned(parts: &[&str]) -> Key {
    let mut parts: Vec<Part> = parts.iter().map(|p| Part::new(p)).collect();
    while parts.last().is_some_and(|p| p.0.is_empty()) {
        parts.pop();
    }
    Key::Versioned(parts)
}

/// Adds one to a digit string, keeping its width when it fits (`0009` -> `0010`,
/// `99` -> `100`).
pub(crate) fn increment_digits(digits: &str) -> String {
    let mut bytes: Vec<u8> = digits.bytes().collect();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    bytes.insert(0, b'1');
    String::from_utf8(bytes).unwrap_or_default()
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str) -> Version {
        Version::parse_integer(s).unwrap()
    }

    fn dot(s: &str) -> Version {
        Version::parse_dotted(s).unwrap()
    }

    #[test]
    fn parse_integer_accepts_only_digits() {
        let cases = [
            ("1", Some("1")),
            ("0001", Some("0001")),
            ("20240101120000", Some("20240101120000")),
            ("", None),
            ("1a", None),
            ("1.2", None),
            ("-1", None),
            (" 1", None),
        ];
        for (input, want) in cases {
            let got = Version::parse_integer(input);
            assert_eq!(got.as_ref().map(Version::as_str), want, "input {input:?}");
        }
    }

    #[test]
    fn parse_dotted_normalises_underscores() {
        let cases = [
            ("1", Some("1")),
            ("1.2.10", Some("1.2.10")),
            ("1_2_10", Some("1.2.10")),
            ("1.2_3", Some("1.2.3")),
            ("2024.01.01", Some("2024.01.01")),
            ("1..2", None),
            ("1.", None),
            ("_1", None),
            ("a", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = Version::parse_dotted(input);
            assert_eq!(got.as_ref().map(Version::as_str), want, "input {input:?}");
        }
    }

    #[test]
    fn ordering_is_numeric() {
        let ascending = [
            (int("9"), int("10")),
            (int("001"), int("2")),
            (int("99999999999999999999"), int("100000000000000000000")),
            (dot("1_9"), dot("1_10")),
            (dot("1"), dot("1.1")),
            (dot("1.1"), dot("2")),
            (dot("1.2.9"), dot("1.10")),
            (dot("999"), Version::repeatable("a")),
            (Version::repeatable("a"), Version::repeatable("b")),
        ];
        for (a, b) in ascending {
            assert!(a < b, "{a} < {b}");
            assert!(b > a, "{b} > {a}");
        }
    }

    #[test]
    fn equal_versions_written_differently() {
        let equal = [
            (int("1"), int("001")),
            (int("0"), int("000")),
            (dot("1"), dot("1.0")),
            (dot("1.0.0"), dot("1_0")),
            (dot("01.2"), dot("1.2")),
        ];
        for (a, b) in equal {
            assert_eq!(a, b, "{a} == {b}");
            assert_eq!(a.cmp(&b), Ordering::Equal);
        }
        // Equal versions keep their own text.
        assert_eq!(int("001").to_string(), "001");
    }

    #[test]
    fn named_versions_compare_as_text() {
        let named = |s: &str| Version::named(s.to_owned());
        let ascending = [
            ("20260630120000_add_x", "20260630120000_drop_y"),
            ("20260630120000_drop_y", "20260630120001_a"),
            ("00000000000000", "20170102030405"),
            ("20170831123456", "20170901000000"),
            // Text, not numbers: Diesel orders its versions this way.
            ("10", "9"),
        ];
        for (a, b) in ascending {
            assert!(named(a) < named(b), "{a} < {b}");
        }
        assert_eq!(named("0001"), named("0001"));
        assert_ne!(named("0001"), named("1"));
        assert_eq!(
            named("20260630120000_add_x").as_str(),
            "20260630120000_add_x"
        );
        assert_eq!(named("1").major(), None);
    }

    #[test]
    fn repeatable_text_and_flag() {
        let r = Version::repeatable("views");
        assert_eq!(r.as_str(), "R__views");
        assert!(r.is_repeatable());
        assert!(!int("1").is_repeatable());
        assert_eq!(r.major(), None);
        assert_eq!(dot("2.5").major(), Some("2"));
        assert_eq!(int("000").major(), Some(""));
    }

    #[test]
    fn increment_keeps_width() {
        let cases = [
            ("0", "1"),
            ("0009", "0010"),
            ("000001", "000002"),
            ("99", "100"),
            ("20240101000000", "20240101000001"),
        ];
        for (input, want) in cases {
            assert_eq!(increment_digits(input), want, "input {input}");
        }
    }
}

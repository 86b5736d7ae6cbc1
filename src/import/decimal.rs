//! Exact decimals for `numeric` targets (and the numbers inside `jsonb`):
//! parsing decimal text, PostgreSQL's text form of it, and its binary COPY
//! form.
//!
//! A SQLite REAL is an `f64`; Rust's `Display` for `f64` prints the shortest
//! decimal that reads back as the same double, with no exponent, so a REAL
//! reaches `numeric` with exactly the digits that identify it (never through
//! `f32`, never rounded to 15 digits as SQLite's own `%!.15g` would).

/// A finite decimal: sign, integer digits without leading zeros, and
/// fractional digits (their count is PostgreSQL's display scale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    pub negative: bool,
    pub int: String,
    pub frac: String,
}

/// What a `numeric` can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numeric {
    Finite(Decimal),
    NaN,
    Infinity,
    NegInfinity,
}

impl Decimal {
    /// Parses `[+-]digits[.digits][e[+-]digits]` (either side of the point
    /// may be empty, not both). `None` for anything else.
    pub fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first()
            && (c == b'+' || c == b'-')
        {
            negative = c == b'-';
            i = 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_digits = &text[start..i];
        let mut frac_digits = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let s = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_digits = &text[s..i];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let s = i;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                i += 1;
            }
            let d = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if d == i || i - d > 6 {
                return None;
            }
            exponent = text[s..i].parse().ok()?;
        }
        if i != bytes.len() {
            return None;
        }
        // Move the point by the exponent.
        let mut digits = format!("{int_digits}{frac_digits}");
        let mut point = i64::try_from(int_digits.len()).ok()? + exponent;
        if point < 0 {
            digits.insert_str(0, &"0".repeat(usize::try_from(-point).ok()?));
            point = 0;
        }
        let point = usize::try_from(point).ok()?;
        if point > digits.len() {
            digits.push_str(&"0".repeat(point - digits.len()));
        }
        let (int, frac) = digits.split_at(point);
        let int = int.trim_start_matches('0').to_owned();
        if int.len() + frac.len() > 200_000 {
            return None;
        }
        Some(Decimal {
            negative,
            int,
            frac: frac.to_owned(),
        })
    }

    fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.bytes().all(|b| b == b'0')
    }

    /// PostgreSQL's `numeric_out`: no `-` on zero, `0` before the point.
    pub fn to_pg_text(&self) -> String {
        let mut out = String::with_capacity(self.int.len() + self.frac.len() + 3);
        if self.negative && !self.is_zero() {
            out.push('-');
        }
        if self.int.is_empty() {
            out.push('0');
        } else {
            out.push_str(&self.int);
        }
        if !self.frac.is_empty() {
            out.push('.');
            out.push_str(&self.frac);
        }
        out
    }

    /// Fits `numeric(precision, scale)` without rounding: pads the fraction
    /// to `scale` digits, or `None` when a digit would be lost.
    pub fn fit(&self, precision: u32, scale: u32) -> Option<Decimal> {
        let scale = scale as usize;
        let significant_frac = self.frac.trim_end_matches('0');
        if significant_frac.len() > scale
            || self.int.len() > (precision as usize).saturating_sub(scale)
        {
            return None;
        }
        let mut frac = significant_frac.to_owned();
        frac.push_str(&"0".repeat(scale - frac.len()));
        Some(Decimal {
            negative: self.negative,
            int: self.int.clone(),
            frac,
        })
    }
}

impl Numeric {
    /// Decimal text, `NaN`, `Infinity`/`inf` (either sign), case-insensitive.
    pub fn parse(text: &str) -> Option<Numeric> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "nan" => return Some(Numeric::NaN),
            "infinity" | "+infinity" | "inf" | "+inf" => return Some(Numeric::Infinity),
            "-infinity" | "-inf" => return Some(Numeric::NegInfinity),
            _ => {}
        }
        Decimal::parse(t).map(Numeric::Finite)
    }

    /// The exact value of a double.
    pub fn from_f64(v: f64) -> Numeric {
        if v.is_nan() {
            Numeric::NaN
        } else if v.is_infinite() {
            if v > 0.0 {
                Numeric::Infinity
            } else {
                Numeric::NegInfinity
            }
        } else {
            // `Display` is the shortest round-trip form, never with an exponent.
            Numeric::Finite(Decimal::parse(&format!("{v}")).unwrap_or(Decimal {
                negative: false,
                int: String::new(),
                frac: String::new(),
            }))
        }
    }

    /// PostgreSQL's binary form (`numeric_recv`/`numeric_send`), already
    /// stripped of leading and trailing zero base-10000 digits, as the server
    /// stores it, so that `numeric_send` gives back the same bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        const POS: u16 = 0x0000;
        const NEG: u16 = 0x4000;
        const NAN: u16 = 0xC000;
        const PINF: u16 = 0xD000;
        const NINF: u16 = 0xF000;
        let special = |out: &mut Vec<u8>, sign: u16| {
            out.extend_from_slice(&0i16.to_be_bytes());
            out.extend_from_slice(&0i16.to_be_bytes());
            out.extend_from_slice(&sign.to_be_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
        };
        let d = match self {
            Numeric::NaN => return special(out, NAN),
            Numeric::Infinity => return special(out, PINF),
            Numeric::NegInfinity => return special(out, NINF),
            Numeric::Finite(d) => d,
        };
        // Pad the integer part on the left and the fraction on the right to
        // whole groups of four digits.
        let int_pad = (4 - d.int.len() % 4) % 4;
        let frac_pad = (4 - d.frac.len() % 4) % 4;
        let mut all = String::with_capacity(d.int.len() + d.frac.len() + 8);
        all.push_str(&"0".repeat(int_pad));
        all.push_str(&d.int);
        all.push_str(&d.frac);
        all.push_str(&"0".repeat(frac_pad));
        let groups: Vec<i16> = all
            .as_bytes()
            .chunks(4)
            .map(|c| {
                c.iter()
                    .fold(0i16, |acc, &b| acc * 10 + i16::from(b - b'0'))
            })
            .collect();
        let int_groups = (d.int.len() + int_pad) / 4;
        let mut weight = i64::try_from(int_groups).unwrap_or(0) - 1;
        let mut first = 0;
        while first < groups.len() && groups[first] == 0 {
            first += 1;
            weight -= 1;
        }
        let mut last = groups.len();
        while last > first && groups[last - 1] == 0 {
            last -= 1;
        }
        let digits = &groups[first..last];
        let (weight, sign) = if digits.is_empty() {
            (0, POS)
        } else {
            (weight, if d.negative { NEG } else { POS })
        };
        let ndigits = i16::try_from(digits.len()).unwrap_or(i16::MAX);
        out.extend_from_slice(&ndigits.to_be_bytes());
        out.extend_from_slice(&i16::try_from(weight).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&u16::try_from(d.frac.len()).unwrap_or(0).to_be_bytes());
        for g in digits {
            out.extend_from_slice(&g.to_be_bytes());
        }
    }

    pub fn to_pg_text(&self) -> String {
        match self {
            Numeric::NaN => "NaN".into(),
            Numeric::Infinity => "Infinity".into(),
            Numeric::NegInfinity => "-Infinity".into(),
            Numeric::Finite(d) => d.to_pg_text(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_match_numeric_out() {
        for (input, shown) in [
            ("0", "0"),
            ("-0.00", "0.00"),
            ("007.50", "7.50"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e2", "100"),
            ("1.5e1", "15"),
            ("1.50e1", "15.0"),
            ("-1.5e-3", "-0.0015"),
            ("51.49136601467643", "51.49136601467643"),
        ] {
            assert_eq!(
                Decimal::parse(input).unwrap().to_pg_text(),
                shown,
                "{input}"
            );
        }
        for bad in ["", "-", ".", "1e", "abc", "1.2.3", "1 ", "0x10"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn doubles_keep_every_digit() {
        assert_eq!(
            Numeric::from_f64(51.491_366_014_676_43).to_pg_text(),
            "51.49136601467643"
        );
        assert_eq!(Numeric::from_f64(0.1).to_pg_text(), "0.1");
        assert_eq!(
            Numeric::from_f64(1e20).to_pg_text(),
            "100000000000000000000"
        );
        assert_eq!(Numeric::from_f64(f64::NAN).to_pg_text(), "NaN");
    }

    #[test]
    fn binary_form() {
        let enc = |s: &str| {
            let mut v = Vec::new();
            Numeric::parse(s).unwrap().encode(&mut v);
            v
        };
        // 12345.678: groups 1 2345 . 6780; weight 1; dscale 3.
        assert_eq!(
            enc("12345.678"),
            [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        // 0.0001: one group `1` at weight -1, dscale 4.
        assert_eq!(enc("0.0001"), [0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 1]);
        // zero: no digits, positive, dscale kept.
        assert_eq!(enc("-0.00"), [0, 0, 0, 0, 0, 0, 0, 2]);
        // 10000: one group `1` at weight 1.
        assert_eq!(enc("-10000"), [0, 1, 0, 1, 0x40, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn typmod_fit_never_rounds() {
        let d = Decimal::parse("1.50").unwrap();
        assert_eq!(d.fit(5, 2).unwrap().to_pg_text(), "1.50");
        assert_eq!(d.fit(5, 1).unwrap().to_pg_text(), "1.5");
        assert!(Decimal::parse("1.25").unwrap().fit(5, 1).is_none());
        assert!(Decimal::parse("12345").unwrap().fit(5, 1).is_none());
    }
}

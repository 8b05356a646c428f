//! One value at a time: what each field accepts (docs/decisions.md S2.7), and
//! a lead's seven values as one validated outcome. Pure.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use la_schema::models::{NewOutcome, Outcome as OutcomeRow, OutcomeValues};

use super::read::RawOutcome;
use super::Problem;
use crate::layout::{FieldId, DATE_FORMAT, INPUT_FIELDS};

/// A validated outcome of the lead `code` (before its assignment id is known).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub code: String,
    pub values: OutcomeValues,
}

/// `Y`/`N`/`Yes`/`No` in any case.
pub(crate) fn parse_conv(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(true),
        "n" | "no" => Ok(false),
        _ => Err("expected Y, N, Yes or No".into()),
    }
}

/// `s` with every decimal digit of any script (Devanagari ०–९, Tamil ௦–௯,
/// Arabic-Indic ٠–٩ …) as its ASCII digit: typed in any Indian script, a
/// number is the same number.
pub(crate) fn ascii_digits(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return s.into();
    }
    s.chars()
        .map(|c| ascii_digit(c).unwrap_or(c))
        .collect::<String>()
        .into()
}

/// A decimal digit's ASCII digit: its place in its run of digits (Unicode
/// keeps each script's digits together, zero first).
fn ascii_digit(c: char) -> Option<char> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let decimal = |c: u32| {
        char::from_u32(c).is_some_and(|c| c.general_category() == GeneralCategory::DecimalNumber)
    };
    if c.is_ascii() || !decimal(c as u32) {
        return None;
    }
    let start = (0..=c as u32).rev().take_while(|&x| decimal(x)).last()?;
    char::from_digit((c as u32 - start) % 10, 10)
}

/// `DD-MM-YYYY`, `DD/MM/YYYY` or `YYYY-MM-DD` (digits of any script);
/// impossible dates rejected.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = ascii_digits(s);
    let s = s.trim();
    for fmt in ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            if (1900..=2999).contains(&chrono::Datelike::year(&d)) {
                return Ok(d);
            }
        }
    }
    Err("expected a real date as DD-MM-YYYY, DD/MM/YYYY or YYYY-MM-DD".into())
}

/// An amount: optional `₹`, `Rs`, `Rs.` or `INR`; thousands separators in
/// Western (`125,000`) or Indian (`1,25,000`) grouping; at most 2 decimals;
/// digits of any script; `0 <= x < 10^10` (fits numeric(12,2)).
pub(crate) fn parse_amount(s: &str) -> Result<BigDecimal, String> {
    let s = ascii_digits(s);
    let mut t = s.trim();
    for prefix in ["₹", "INR", "Rs.", "Rs"] {
        if t.len() >= prefix.len()
            && t.is_char_boundary(prefix.len())
            && t[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            t = t[prefix.len()..].trim_start();
            break;
        }
    }
    if t.is_empty() {
        return Err("no number".into());
    }
    if t.starts_with('-') {
        return Err("must not be negative".into());
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid decimals".into());
        }
        if f.len() > 2 {
            return Err("more than 2 decimals".into());
        }
    }
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err("not a number".into());
    }
    if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let (first, rest) = groups.split_first().ok_or("not a number")?;
        let (last, middle) = rest.split_last().ok_or("not a number")?;
        let western = (1..=3).contains(&first.len()) && rest.iter().all(|g| g.len() == 3);
        let indian = (1..=2).contains(&first.len())
            && last.len() == 3
            && middle.iter().all(|g| g.len() == 2);
        if !(western || indian) {
            return Err("misplaced thousands separator".into());
        }
    }
    let digits: String = int.chars().filter(|c| *c != ',').collect();
    let normalized = match frac {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let value = BigDecimal::from_str(&normalized).map_err(|e| e.to_string())?;
    if value >= 10_000_000_000i64 {
        return Err("too large (at most 9,999,999,999.99)".into());
    }
    Ok(value)
}

/// Puts one field's value into the outcome, parsed by what the field holds.
fn set_value(o: &mut OutcomeValues, id: FieldId, value: &str) -> Result<(), String> {
    match id {
        FieldId::Conv => o.converted_flag = Some(parse_conv(value)?),
        FieldId::OrderNo => o.order_number = Some(value.to_string()),
        FieldId::OrderDate => o.order_date = Some(parse_date(value)?),
        FieldId::OrderValue => o.order_value = Some(parse_amount(value)?),
        FieldId::PaymentMode => o.payment_mode = Some(value.to_string()),
        FieldId::PaymentAmount => o.payment_amount = Some(parse_amount(value)?),
        FieldId::Remarks => o.remarks = Some(value.to_string()),
    }
    Ok(())
}

/// Validates one lead's values (each by its field, every problem listed).
/// `Ok(None)` when all seven are blank.
pub fn validate(raw: &RawOutcome) -> Result<Option<Outcome>, Vec<Problem>> {
    if raw.values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut outcome = Outcome {
        code: raw.code.clone(),
        ..Outcome::default()
    };
    let mut problems = Vec::new();
    for (field, value) in INPUT_FIELDS.iter().zip(&raw.values) {
        let Some(v) = value.as_deref() else {
            continue;
        };
        if let Err(reason) = set_value(&mut outcome.values, field.id, v) {
            problems.push(Problem::of(raw, field.name, v, reason));
        }
    }
    if problems.is_empty() {
        Ok(Some(outcome))
    } else {
        Err(problems)
    }
}

impl Outcome {
    pub(super) fn into_row(self, lead_assignment_id: i64) -> NewOutcome {
        NewOutcome {
            lead_assignment_id,
            values: self.values,
        }
    }

    /// Fills each blank value from `stored`: a blank never erases (D25).
    pub(super) fn keep_stored(&mut self, stored: &Outcome) {
        let (v, s) = (&mut self.values, &stored.values);
        v.converted_flag = v.converted_flag.or(s.converted_flag);
        v.order_number = v.order_number.take().or_else(|| s.order_number.clone());
        v.order_date = v.order_date.or(s.order_date);
        v.order_value = v.order_value.take().or_else(|| s.order_value.clone());
        v.payment_mode = v.payment_mode.take().or_else(|| s.payment_mode.clone());
        v.payment_amount = v.payment_amount.take().or_else(|| s.payment_amount.clone());
        v.remarks = v.remarks.take().or_else(|| s.remarks.clone());
    }

    /// The seven values as the sheet shows them, in field order: what a
    /// change is judged and reported by.
    pub fn shown(&self) -> [Option<String>; 7] {
        INPUT_FIELDS.map(|f| self.shown_value(f.id))
    }

    fn shown_value(&self, id: FieldId) -> Option<String> {
        let v = &self.values;
        let amount = |a: &Option<BigDecimal>| a.as_ref().map(|a| format!("{a:.2}"));
        match id {
            FieldId::Conv => v
                .converted_flag
                .map(|c| if c { "Y" } else { "N" }.to_string()),
            FieldId::OrderNo => v.order_number.clone(),
            FieldId::OrderDate => v.order_date.map(|d| d.format(DATE_FORMAT).to_string()),
            FieldId::OrderValue => amount(&v.order_value),
            FieldId::PaymentMode => v.payment_mode.clone(),
            FieldId::PaymentAmount => amount(&v.payment_amount),
            FieldId::Remarks => v.remarks.clone(),
        }
    }
}

impl From<&OutcomeRow> for Outcome {
    fn from(o: &OutcomeRow) -> Outcome {
        Outcome {
            code: String::new(),
            values: o.values(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_values() {
        for (s, v) in [
            ("Y", true),
            ("y", true),
            ("Yes", true),
            ("YES", true),
            ("n", false),
            ("No", false),
            (" no ", false),
        ] {
            assert_eq!(parse_conv(s), Ok(v), "{s}");
        }
        for s in ["1", "true", "Yup", "N/A"] {
            assert!(parse_conv(s).is_err(), "{s}");
        }
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 29);
        assert_eq!(parse_date("29-01-2025").ok(), d);
        assert_eq!(parse_date("29/01/2025").ok(), d);
        assert_eq!(parse_date("2025-01-29").ok(), d);
        assert_eq!(parse_date("२९-०१-२०२५").ok(), d, "Devanagari digits");
        assert_eq!(parse_date("௨௯/௦௧/௨௦௨௫").ok(), d, "Tamil digits");
        assert_eq!(parse_date("۲۰۲۵-۰۱-۲۹").ok(), d, "Urdu digits");
        for s in [
            "31-02-2025",
            "29-13-2025",
            "2025/01/29",
            "yesterday",
            "29-01-25",
            "00-01-2025",
        ] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn amounts() {
        let ok = |s: &str, v: &str| {
            assert_eq!(
                parse_amount(s),
                Ok(BigDecimal::from_str(v).unwrap_or_default()),
                "{s}"
            )
        };
        ok("1250", "1250");
        ok("₹1,250.50", "1250.50");
        ok("Rs. 1,25,000.50", "125000.50");
        ok("rs 125,000", "125000");
        ok("INR 99.9", "99.9");
        ok("0", "0");
        ok("9,99,99,99,999.99", "9999999999.99");
        ok("₹१,२५०", "1250");
        ok("Rs. ১,২৫,০০০.৫০", "125000.50");
        ok("௧௨௫௦", "1250");
        ok("𝟙𝟚𝟝𝟘", "1250");
        for s in [
            "-5",
            "1.234",
            "12,34",
            "1,2,3",
            "abc",
            "₹",
            "1e5",
            "10000000000",
            "1,25,0000",
            "12.",
            ".5",
            "१२३४५६७८९०१",
            "१.२३४",
        ] {
            assert!(parse_amount(s).is_err(), "{s}");
        }
    }
}

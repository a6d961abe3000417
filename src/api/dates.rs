//! Validity days: role assignments are valid over whole UTC days, so dates travel
//! as `Day` (days since 1970-01-01) and appear on the wire as midnight UTC,
//! `2021-01-01T00:00:00+00:00`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Months, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whole UTC days since 1970-01-01 (`Day(0)` is 1970-01-01).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

/// 1970-01-01: what an absent or empty "valid from" means.
pub const DEFAULT_VALID_FROM: Day = Day(0);
/// 2200-01-01: what an absent or empty "valid to" means.
pub const DEFAULT_VALID_TO: Day = Day(84_006);
/// 9999-12-31: the last day input may name; RFC 3339 has only 4-digit years.
const LAST_ACCEPTED: Day = Day(2_932_896);
/// `num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;
/// Longest piece of rejected input echoed in an error message.
const ECHO_LIMIT: usize = 40;

impl Day {
    /// `None` for a date that does not exist (2021-02-30, month 13, …).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(year, month, day).map(Day::from_naive)
    }

    /// Saturates at the ends of `i32` rather than panicking; no real date is near them.
    pub fn next(self) -> Day {
        Day(self.0.saturating_add(1))
    }

    pub fn prev(self) -> Day {
        Day(self.0.saturating_sub(1))
    }

    /// Today in UTC.
    pub fn today() -> Day {
        Day::from_naive(Utc::now().date_naive())
    }

    /// Days beyond chrono's range (about ±262,000 years) clamp to its ends,
    /// so this is total; every `Day` the parsers produce is well inside it.
    pub fn to_naive(self) -> NaiveDate {
        self.0
            .checked_add(EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or(if self.0 < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            })
    }

    pub fn from_naive(date: NaiveDate) -> Day {
        // chrono's range is far inside i32 days, so this cannot overflow.
        Day(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
    }

    /// `2021-01-01`, for people (the wire form is `Display`).
    pub fn date_only(&self) -> String {
        self.to_naive().to_string()
    }
}

/// The wire form: `2021-01-01T00:00:00+00:00`.
impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T00:00:00+00:00", self.to_naive())
    }
}

impl FromStr for Day {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Day, DateError> {
        parse_validity(s)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_validity(&text).map_err(serde::de::Error::custom)
    }
}

/// On the wire a day is a date-time at midnight UTC (input may also be a plain date).
impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "A whole UTC day: midnight UTC, written 2021-01-01T00:00:00+00:00; input may \
                 also be 2021-01-01 or any RFC 3339 time that is midnight UTC.",
            ))
            .examples(["2021-01-01T00:00:00+00:00"])
            .into()
    }
}

impl utoipa::ToSchema for Day {}

/// What was wrong with a date; see [`DateError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateErrorKind {
    Empty,
    /// Not any of the accepted shapes.
    Malformed,
    /// The right shape but no such day (2021-13-01, 2021-02-30).
    InvalidDate,
    /// A timestamp with an impossible time or offset (25:00, +24:00).
    InvalidTimestamp,
    /// A real instant, but not midnight UTC.
    NotMidnight,
    /// Before 1970-01-01.
    BeforeEarliest,
    /// After 9999-12-31.
    AfterLatest,
    /// The terminal UI's input was none of its accepted forms.
    BadRelative,
}

/// A rejected date; its `Display` is one sentence fit to show a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    kind: DateErrorKind,
    /// The offending input, cut to `ECHO_LIMIT` characters.
    input: String,
}

impl DateError {
    fn new(kind: DateErrorKind, input: &str) -> DateError {
        let mut cut: String = input.chars().take(ECHO_LIMIT).collect();
        if cut.len() < input.len() {
            cut.push('…');
        }
        DateError { kind, input: cut }
    }

    pub fn kind(&self) -> DateErrorKind {
        self.kind
    }

    /// The offending input (cut short if it was long).
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Plain input reads best bare; anything with spaces or control
        // characters is quoted so the person can see what was sent.
        let plain = self.input.chars().all(|c| c.is_ascii_graphic() || c == '…');
        let shown = if plain {
            self.input.clone()
        } else {
            format!("{:?}", self.input)
        };
        const EXPECTED: &str =
            "expected YYYY-MM-DD or a timestamp such as 2021-01-01T00:00:00+00:00";
        match self.kind {
            DateErrorKind::Empty => write!(f, "the date is empty; {EXPECTED}"),
            DateErrorKind::Malformed => write!(f, "{shown} is not a date; {EXPECTED}"),
            DateErrorKind::InvalidDate => write!(f, "{shown} is not a valid date"),
            DateErrorKind::InvalidTimestamp => write!(f, "{shown} is not a valid timestamp"),
            DateErrorKind::NotMidnight => write!(
                f,
                "{shown} is not midnight UTC; validity dates are whole days"
            ),
            DateErrorKind::BeforeEarliest => write!(
                f,
                "{shown} is before 1970-01-01, the earliest validity date"
            ),
            DateErrorKind::AfterLatest => write!(
                f,
                "{shown} is after 9999-12-31, the latest validity date"
            ),
            DateErrorKind::BadRelative => write!(
                f,
                "{shown} is not a date; use today, an offset such as +30d, -1w, +2m or +1y, or YYYY-MM-DD"
            ),
        }
    }
}

impl std::error::Error for DateError {}

/// Parses a validity date from API input: the wire form, any RFC 3339
/// timestamp whose instant is exactly midnight UTC, or `YYYY-MM-DD`.
/// Days before 1970-01-01 or after 9999-12-31 are refused. Surrounding
/// whitespace is not trimmed (the API is strict; the UI parser trims).
pub fn parse_validity(input: &str) -> Result<Day, DateError> {
    parse_validity_echo(input, input)
}

/// `text` is what is parsed, `echo` what errors quote (the UI uppercases
/// `t`/`z` before parsing but should show the person what they typed).
fn parse_validity_echo(text: &str, echo: &str) -> Result<Day, DateError> {
    let fail = |kind| Err(DateError::new(kind, echo));
    if text.is_empty() {
        return fail(DateErrorKind::Empty);
    }
    // `get` rather than slicing: a multi-byte character at byte 10 must not panic.
    let date_part = text.get(..10).filter(|p| has_date_shape(p));
    let day = match date_part {
        Some(date) if text.len() == 10 => match ymd(date) {
            Some(day) => day,
            None => return fail(DateErrorKind::InvalidDate),
        },
        _ => match DateTime::parse_from_rfc3339(text) {
            Ok(instant) => {
                let utc = instant.with_timezone(&Utc);
                if utc.num_seconds_from_midnight() != 0 || utc.nanosecond() != 0 {
                    return fail(DateErrorKind::NotMidnight);
                }
                Day::from_naive(utc.date_naive())
            }
            Err(err) => {
                // Name the date as the problem when it is the date that is wrong.
                if date_part.is_some_and(|date| ymd(date).is_none()) {
                    return fail(DateErrorKind::InvalidDate);
                }
                return match err.kind() {
                    chrono::format::ParseErrorKind::OutOfRange
                    | chrono::format::ParseErrorKind::Impossible => {
                        fail(DateErrorKind::InvalidTimestamp)
                    }
                    _ => fail(DateErrorKind::Malformed),
                };
            }
        },
    };
    check_range(i64::from(day.0), echo)
}

/// `dddd-dd-dd`, all ASCII (so byte slicing inside it is safe).
fn has_date_shape(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// A `dddd-dd-dd` string as a day, if the day exists.
fn ymd(date: &str) -> Option<Day> {
    let year = date.get(0..4)?.parse().ok()?;
    let month = date.get(5..7)?.parse().ok()?;
    let day = date.get(8..10)?.parse().ok()?;
    Day::from_ymd(year, month, day)
}

fn check_range(day: i64, echo: &str) -> Result<Day, DateError> {
    if day < i64::from(DEFAULT_VALID_FROM.0) {
        Err(DateError::new(DateErrorKind::BeforeEarliest, echo))
    } else if day > i64::from(LAST_ACCEPTED.0) {
        Err(DateError::new(DateErrorKind::AfterLatest, echo))
    } else {
        // In range, so it fits in i32.
        Ok(Day(day as i32))
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// Parses the terminal UI's date input, relative to `today`:
/// empty → `Ok(None)` (the caller's default), `today`, `+30d`, `-1w`,
/// `+2m`, `+1y` (the sign may be left out for "+"), `2024-01-01`, or
/// anything [`parse_validity`] accepts. Case-insensitive, trimmed.
/// Month and year offsets are calendar-aware and clamp the day
/// (2024-01-31 +1m is 2024-02-29).
pub fn parse_relative(input: &str, today: Day) -> Result<Option<Day>, DateError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    if lower == "today" {
        return check_range(i64::from(today.0), text).map(Some);
    }
    if let Some((amount, unit)) = parse_offset(&lower) {
        return offset_day(today, amount, unit, text).map(Some);
    }
    // RFC 3339 has no letters but T and Z, so uppercasing only fixes their case.
    match parse_validity_echo(&text.to_ascii_uppercase(), text) {
        Ok(day) => Ok(Some(day)),
        Err(err) if err.kind == DateErrorKind::Malformed => {
            Err(DateError::new(DateErrorKind::BadRelative, text))
        }
        Err(err) => Err(err),
    }
}

/// `[+-]?digits[dwmy]` as a signed amount and a unit.
fn parse_offset(text: &str) -> Option<(i64, Unit)> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => (1, text),
    };
    let unit = match rest.as_bytes().last()? {
        b'd' => Unit::Days,
        b'w' => Unit::Weeks,
        b'm' => Unit::Months,
        b'y' => Unit::Years,
        _ => return None,
    };
    let digits = &rest[..rest.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Anything too big for u32 is thousands of years out: the range check refuses it.
    let amount = digits.parse::<u32>().unwrap_or(u32::MAX);
    Some((sign * i64::from(amount), unit))
}

fn offset_day(today: Day, amount: i64, unit: Unit, echo: &str) -> Result<Day, DateError> {
    let too_far = || {
        let kind = if amount < 0 {
            DateErrorKind::BeforeEarliest
        } else {
            DateErrorKind::AfterLatest
        };
        DateError::new(kind, echo)
    };
    let days = match unit {
        // i64 holds any u32 amount times 7 plus any i32 day.
        Unit::Days => i64::from(today.0) + amount,
        Unit::Weeks => i64::from(today.0) + amount * 7,
        Unit::Months | Unit::Years => {
            let months = if matches!(unit, Unit::Years) {
                amount.checked_mul(12)
            } else {
                Some(amount)
            };
            let months = months
                .and_then(|m| u32::try_from(m.unsigned_abs()).ok())
                .ok_or_else(too_far)?;
            let base = today.to_naive();
            let moved = if amount < 0 {
                base.checked_sub_months(Months::new(months))
            } else {
                base.checked_add_months(Months::new(months))
            };
            i64::from(moved.map(Day::from_naive).ok_or_else(too_far)?.0)
        }
    };
    check_range(days, echo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).expect("test date exists")
    }

    #[test]
    fn constants_are_the_documented_days() {
        assert_eq!(DEFAULT_VALID_FROM, day(1970, 1, 1));
        assert_eq!(DEFAULT_VALID_TO, day(2200, 1, 1));
        assert_eq!(DEFAULT_VALID_TO.to_string(), "2200-01-01T00:00:00+00:00");
        assert_eq!(LAST_ACCEPTED, day(9999, 12, 31));
    }

    #[test]
    fn day_basics() {
        assert_eq!(Day(0).date_only(), "1970-01-01");
        assert_eq!(Day(0).next(), day(1970, 1, 2));
        assert_eq!(day(2021, 1, 1).prev(), day(2020, 12, 31));
        assert_eq!(day(2021, 3, 1).prev(), day(2021, 2, 28));
        assert_eq!(Day::from_ymd(2021, 2, 29), None);
        assert_eq!(Day::from_ymd(2021, 13, 1), None);
        let naive = NaiveDate::from_ymd_opt(2024, 2, 29).expect("leap day");
        assert_eq!(Day::from_naive(naive).to_naive(), naive);
        assert!(Day::today() > day(2024, 1, 1));
        // Total at the extremes.
        let _ = Day(i32::MIN).to_string();
        let _ = Day(i32::MAX).date_only();
        assert_eq!(Day(i32::MAX).next(), Day(i32::MAX));
    }

    #[test]
    fn display_is_the_wire_form() {
        assert_eq!(day(2021, 1, 1).to_string(), "2021-01-01T00:00:00+00:00");
        assert_eq!(day(2021, 1, 1).date_only(), "2021-01-01");
    }

    #[test]
    fn parse_validity_accepts_midnight_utc_in_any_spelling() {
        let expected = day(2021, 1, 1);
        for text in [
            "2021-01-01T00:00:00+00:00",
            "2021-01-01T00:00:00Z",
            "2021-01-01T00:00:00.000Z",
            "2021-01-01T01:00:00+01:00",
            "2020-12-31T22:00:00-02:00",
            "2021-01-01",
        ] {
            assert_eq!(parse_validity(text), Ok(expected), "{text}");
        }
        assert_eq!(parse_validity("1970-01-01"), Ok(DEFAULT_VALID_FROM));
        // The instant is 1970-01-01T00:00Z even though the local date is 1969.
        assert_eq!(
            parse_validity("1969-12-31T23:00:00-01:00"),
            Ok(DEFAULT_VALID_FROM)
        );
        assert_eq!(parse_validity("9999-12-31"), Ok(LAST_ACCEPTED));
    }

    #[test]
    fn parse_validity_errors_are_sentences() {
        let message = |text: &str| parse_validity(text).expect_err(text).to_string();
        assert_eq!(
            message("2021-01-01T05:00:00+02:00"),
            "2021-01-01T05:00:00+02:00 is not midnight UTC; validity dates are whole days"
        );
        assert_eq!(message("2021-13-01"), "2021-13-01 is not a valid date");
        assert_eq!(message("2021-02-29"), "2021-02-29 is not a valid date");
        assert_eq!(
            message("2021-02-30T00:00:00Z"),
            "2021-02-30T00:00:00Z is not a valid date"
        );
        assert_eq!(
            message("2021-01-01T25:00:00Z"),
            "2021-01-01T25:00:00Z is not a valid timestamp"
        );
        assert_eq!(
            message("1969-12-31"),
            "1969-12-31 is before 1970-01-01, the earliest validity date"
        );
        assert_eq!(
            message("9999-12-31T23:00:00-01:00"),
            "9999-12-31T23:00:00-01:00 is after 9999-12-31, the latest validity date"
        );
        assert_eq!(
            message("tomorrow"),
            "tomorrow is not a date; expected YYYY-MM-DD or a timestamp such as 2021-01-01T00:00:00+00:00"
        );
        assert_eq!(
            message(""),
            "the date is empty; expected YYYY-MM-DD or a timestamp such as 2021-01-01T00:00:00+00:00"
        );
        assert_eq!(
            message(" 2021-01-01"),
            "\" 2021-01-01\" is not a date; expected YYYY-MM-DD or a timestamp such as 2021-01-01T00:00:00+00:00"
        );
        let long = "x".repeat(1000);
        assert!(message(&long).len() < 200);
    }

    #[test]
    fn parse_validity_refuses_other_shapes() {
        for text in [
            "2021-01-01T00:00:00",
            "2021-1-1",
            "20210101",
            "+2021-01-01",
            "2021-01-01T00:00:00.001Z",
            "1970-01-01T00:00:00+01:00",
            "0000-01-01",
            "today",
            "2021-01-01 ",
        ] {
            assert!(parse_validity(text).is_err(), "{text}");
        }
    }

    #[test]
    fn parse_relative_forms() {
        let today = day(2024, 1, 31);
        let rel = |text: &str| parse_relative(text, today);
        assert_eq!(rel(""), Ok(None));
        assert_eq!(rel("   "), Ok(None));
        assert_eq!(rel("today"), Ok(Some(today)));
        assert_eq!(rel("  TODAY "), Ok(Some(today)));
        assert_eq!(rel("+30d"), Ok(Some(day(2024, 3, 1))));
        assert_eq!(rel("30D"), Ok(Some(day(2024, 3, 1))));
        assert_eq!(rel("-1w"), Ok(Some(day(2024, 1, 24))));
        assert_eq!(rel("+1m"), Ok(Some(day(2024, 2, 29))));
        assert_eq!(rel("+2M"), Ok(Some(day(2024, 3, 31))));
        assert_eq!(rel("-2m"), Ok(Some(day(2023, 11, 30))));
        assert_eq!(rel("+1y"), Ok(Some(day(2025, 1, 31))));
        assert_eq!(
            parse_relative("+1y", day(2024, 2, 29)),
            Ok(Some(day(2025, 2, 28)))
        );
        assert_eq!(rel("+0d"), Ok(Some(today)));
        assert_eq!(rel("2024-01-01"), Ok(Some(day(2024, 1, 1))));
        assert_eq!(rel("2021-01-01T00:00:00+00:00"), Ok(Some(day(2021, 1, 1))));
        assert_eq!(rel("2021-01-01t00:00:00z"), Ok(Some(day(2021, 1, 1))));
    }

    #[test]
    fn parse_relative_errors() {
        let today = day(2024, 1, 31);
        let err = |text: &str| parse_relative(text, today).expect_err(text);
        assert_eq!(
            err("+3x").to_string(),
            "+3x is not a date; use today, an offset such as +30d, -1w, +2m or +1y, or YYYY-MM-DD"
        );
        assert_eq!(err("+d").kind(), DateErrorKind::BadRelative);
        assert_eq!(err("2021-13-01").kind(), DateErrorKind::InvalidDate);
        assert_eq!(
            err("2021-01-01t05:00:00+02:00").to_string(),
            "2021-01-01t05:00:00+02:00 is not midnight UTC; validity dates are whole days"
        );
        assert_eq!(err("-100y").kind(), DateErrorKind::BeforeEarliest);
        assert_eq!(err("+99999999999999y").kind(), DateErrorKind::AfterLatest);
        assert_eq!(err("+9000y").kind(), DateErrorKind::AfterLatest);
        assert_eq!(err("-99999999999w").kind(), DateErrorKind::BeforeEarliest);
    }

    #[test]
    fn serde_uses_the_wire_form() {
        let json = serde_json::to_string(&day(2021, 1, 1)).expect("serialize");
        assert_eq!(json, "\"2021-01-01T00:00:00+00:00\"");
        let back: Day = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, day(2021, 1, 1));
        let plain: Day = serde_json::from_str("\"2021-01-01\"").expect("plain date");
        assert_eq!(plain, day(2021, 1, 1));
        let err =
            serde_json::from_str::<Day>("\"2021-01-01T05:00:00+02:00\"").expect_err("not midnight");
        assert!(err.to_string().contains("is not midnight UTC"), "{err}");
        assert_eq!("2021-01-01".parse::<Day>(), Ok(day(2021, 1, 1)));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in ".*", today in any::<i32>()) {
            let _ = parse_validity(&text).map_err(|e| e.to_string());
            let _ = parse_relative(&text, Day(today)).map_err(|e| e.to_string());
        }

        #[test]
        fn near_misses_never_panic(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?",
            today in any::<i32>(),
        ) {
            if let Ok(day) = parse_validity(&text) {
                prop_assert!((0..=LAST_ACCEPTED.0).contains(&day.0));
            }
            let _ = parse_relative(&text, Day(today));
        }

        #[test]
        fn offsets_never_panic(text in "[+-]?[0-9]{0,25}[dwmyDWMYx]?", today in any::<i32>()) {
            if let Ok(Some(day)) = parse_relative(&text, Day(today)) {
                prop_assert!((0..=LAST_ACCEPTED.0).contains(&day.0));
            }
        }

        #[test]
        fn printed_days_parse_back(n in 0..=LAST_ACCEPTED.0) {
            let day = Day(n);
            prop_assert_eq!(parse_validity(&day.to_string()), Ok(day));
            prop_assert_eq!(parse_validity(&day.date_only()), Ok(day));
            prop_assert_eq!(Day::from_naive(day.to_naive()), day);
        }
    }
}

//! French conventions for dates and times: `28/02/2026`, `5 janvier 2026`, `06:00`, in Paris
//! time.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Paris;

/// A date as French people write it, in Paris time: `28/02/2026`.
#[must_use]
pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format("%d/%m/%Y").to_string()
}

/// A date and time in Paris time: `28/02/2026 à 06:00`.
#[must_use]
pub fn date_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format("%d/%m/%Y à %H:%M").to_string()
}

/// A time of day in Paris time: `06:00`.
#[must_use]
pub fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format("%H:%M").to_string()
}

/// Month names, January first.
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A calendar date written out as in a letter: `5 janvier 2026`, `1er mars 2026` (the first of
/// the month is an ordinal in French).
#[must_use]
pub fn long_date(day: NaiveDate) -> String {
    let month = MONTHS.get(day.month0() as usize).copied().unwrap_or_default();
    match day.day() {
        1 => format!("1er {month} {}", day.year()),
        d => format!("{d} {month} {}", day.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn paris_time_follows_summer_and_winter() {
        let winter = Utc.with_ymd_and_hms(2026, 2, 28, 5, 0, 0).unwrap();
        assert_eq!(date_time(winter), "28/02/2026 à 06:00");
        let summer = Utc.with_ymd_and_hms(2026, 7, 14, 22, 30, 0).unwrap();
        assert_eq!(date_time(summer), "15/07/2026 à 00:30");
        assert_eq!(date(summer), "15/07/2026");
        assert_eq!(time(summer), "00:30");
    }

    #[test]
    fn long_dates_are_written_out_in_french() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(long_date(day(2026, 1, 5)), "5 janvier 2026");
        assert_eq!(long_date(day(2026, 3, 1)), "1er mars 2026");
        assert_eq!(long_date(day(2026, 2, 28)), "28 février 2026");
        assert_eq!(long_date(day(2026, 8, 15)), "15 août 2026");
        assert_eq!(long_date(day(2027, 12, 31)), "31 décembre 2027");
        let all: Vec<String> = (1..=12).map(|m| long_date(day(2026, m, 10))).collect();
        assert_eq!(all[5], "10 juin 2026");
        assert!(all.iter().all(|d| d.starts_with("10 ") && d.ends_with(" 2026")));
    }
}

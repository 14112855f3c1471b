//! French conventions for dates and times: `28/02/2026`, `06:00`, in Paris time.

use chrono::{DateTime, Utc};
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
}

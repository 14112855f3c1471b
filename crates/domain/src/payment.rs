//! When payment runs happen (SPEC P2): twice a week by default, Tuesday and Friday at 06:00 Paris
//! time, whatever the daylight-saving period. A run belongs to a *slot* (the scheduled local day
//! and hour); a slot is run at most once, so the slot is the key that makes a run idempotent.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The days and hour of the runs, in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Days of the week with a run (at least one).
    pub days: Vec<Weekday>,
    /// Local hour of the runs.
    pub at: NaiveTime,
    /// The operator's time zone.
    pub tz: Tz,
}

/// Why a schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// No day.
    #[error("Indiquez au moins un jour de paiement.")]
    NoDay,
    /// A day that is not one.
    #[error("« {0} » n’est pas un jour de la semaine (lundi … dimanche).")]
    UnknownDay(String),
    /// An hour that is not one.
    #[error("« {0} » n’est pas une heure au format HH:MM.")]
    BadTime(String),
}

/// One scheduled run: its local day and hour, and the instant it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// Local date and hour, as scheduled.
    pub local: NaiveDateTime,
    /// The instant.
    pub at: DateTime<Utc>,
}

impl Slot {
    /// The stable key of the slot (`2026-03-31T06:00`): one run per key.
    #[must_use]
    pub fn key(&self) -> String {
        self.local.format("%Y-%m-%dT%H:%M").to_string()
    }
}

fn day_of(name: &str) -> Option<Weekday> {
    let folded = name.trim().to_lowercase();
    let days = [
        (["lundi", "monday", "mon"], Weekday::Mon),
        (["mardi", "tuesday", "tue"], Weekday::Tue),
        (["mercredi", "wednesday", "wed"], Weekday::Wed),
        (["jeudi", "thursday", "thu"], Weekday::Thu),
        (["vendredi", "friday", "fri"], Weekday::Fri),
        (["samedi", "saturday", "sat"], Weekday::Sat),
        (["dimanche", "sunday", "sun"], Weekday::Sun),
    ];
    days.iter().find(|(names, _)| names.contains(&folded.as_str())).map(|(_, day)| *day)
}

impl Schedule {
    /// The default: Tuesday and Friday at 06:00, Europe/Paris.
    #[must_use]
    pub fn twice_a_week() -> Self {
        Self {
            days: vec![Weekday::Tue, Weekday::Fri],
            at: NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default(),
            tz: chrono_tz::Europe::Paris,
        }
    }

    /// Reads days (`mardi, vendredi` or English names) and an hour (`06:00`) of configuration.
    ///
    /// # Errors
    /// [`ScheduleError`], in French.
    pub fn parse(days: &[String], at: &str, tz: Tz) -> Result<Self, ScheduleError> {
        let mut parsed = Vec::new();
        for name in days {
            let day = day_of(name).ok_or_else(|| ScheduleError::UnknownDay(name.clone()))?;
            if !parsed.contains(&day) {
                parsed.push(day);
            }
        }
        if parsed.is_empty() {
            return Err(ScheduleError::NoDay);
        }
        let at = NaiveTime::parse_from_str(at.trim(), "%H:%M").map_err(|_| ScheduleError::BadTime(at.to_owned()))?;
        Ok(Self { days: parsed, at, tz })
    }

    /// The instant of the local `day` at the schedule's hour. In the spring gap the first instant
    /// after it; in the autumn fold the first of the two.
    fn instant(&self, day: NaiveDate) -> DateTime<Utc> {
        let local = day.and_time(self.at);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            LocalResult::None => {
                // The clock jumps over this hour: run when it lands.
                let after = local + Duration::hours(1);
                self.tz
                    .from_local_datetime(&after)
                    .earliest()
                    .map_or_else(|| Utc.from_utc_datetime(&local), |at| at.with_timezone(&Utc))
            }
        }
    }

    fn slot(&self, day: NaiveDate) -> Slot {
        Slot { local: day.and_time(self.at), at: self.instant(day) }
    }

    /// The latest slot at or before `now`: the run due at that time.
    #[must_use]
    pub fn due_at(&self, now: DateTime<Utc>) -> Option<Slot> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..=7)
            .map(|back| today - Duration::days(back))
            .filter(|day| self.days.contains(&day.weekday()))
            .map(|day| self.slot(day))
            .find(|slot| slot.at <= now)
    }

    /// The first slot strictly after `now`: when what is payable will be paid.
    #[must_use]
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<Slot> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..=8)
            .map(|ahead| today + Duration::days(ahead))
            .filter(|day| self.days.contains(&day.weekday()))
            .map(|day| self.slot(day))
            .find(|slot| slot.at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn runs_are_on_tuesday_and_friday_at_six_paris_time_across_daylight_saving() {
        let s = Schedule::twice_a_week();
        // Winter (UTC+1): Friday 27 March 2026, 06:00 in Paris is 05:00 UTC.
        let friday = s.next_after(utc(2026, 3, 26, 12, 0)).unwrap();
        assert_eq!((friday.key(), friday.at), ("2026-03-27T06:00".to_owned(), utc(2026, 3, 27, 5, 0)));
        // Summer time starts on Sunday 29 March: Tuesday 31 March, 06:00 in Paris is 04:00 UTC.
        let tuesday = s.next_after(friday.at).unwrap();
        assert_eq!((tuesday.key(), tuesday.at), ("2026-03-31T06:00".to_owned(), utc(2026, 3, 31, 4, 0)));
        // It ends on Sunday 25 October: Tuesday 27 October is back at 05:00 UTC.
        let autumn = s.next_after(utc(2026, 10, 24, 0, 0)).unwrap();
        assert_eq!((autumn.key(), autumn.at), ("2026-10-27T06:00".to_owned(), utc(2026, 10, 27, 5, 0)));
    }

    #[test]
    fn the_run_due_is_the_last_slot_reached_and_the_next_one_follows_it() {
        let s = Schedule::twice_a_week();
        // Tuesday 31 March 2026, 03:59 UTC: Tuesday's run is not due yet; Friday's is.
        assert_eq!(s.due_at(utc(2026, 3, 31, 3, 59)).unwrap().key(), "2026-03-27T06:00");
        assert_eq!(s.due_at(utc(2026, 3, 31, 4, 0)).unwrap().key(), "2026-03-31T06:00");
        assert_eq!(s.due_at(utc(2026, 4, 2, 23, 0)).unwrap().key(), "2026-03-31T06:00");
        assert_eq!(s.next_after(utc(2026, 3, 31, 4, 0)).unwrap().key(), "2026-04-03T06:00");
    }

    #[test]
    fn an_hour_in_the_spring_gap_runs_when_the_clock_lands() {
        let s = Schedule {
            days: vec![Weekday::Sun],
            at: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            tz: chrono_tz::Europe::Paris,
        };
        let slot = s.next_after(utc(2026, 3, 28, 0, 0)).unwrap();
        // 02:30 does not exist on 29 March 2026; 03:30 CEST is 01:30 UTC.
        assert_eq!((slot.key(), slot.at), ("2026-03-29T02:30".to_owned(), utc(2026, 3, 29, 1, 30)));
    }

    #[test]
    fn configuration_is_read_in_french_or_english_with_clear_errors() {
        let paris = chrono_tz::Europe::Paris;
        let days = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(Schedule::parse(&days(&["mardi", "Friday", "mardi"]), "06:00", paris), Ok(Schedule::twice_a_week()));
        assert_eq!(Schedule::parse(&days(&[]), "06:00", paris), Err(ScheduleError::NoDay));
        assert_eq!(Schedule::parse(&days(&["mardy"]), "06:00", paris), Err(ScheduleError::UnknownDay("mardy".into())));
        assert_eq!(Schedule::parse(&days(&["mardi"]), "6h", paris), Err(ScheduleError::BadTime("6h".into())));
    }
}

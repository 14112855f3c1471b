//! Rules of the migration from the legacy portal (SPEC M2).

use chrono::NaiveDate;

/// The first day a movement keeps a closed dossier in the history: « clos ayant un mouvement après
/// le 01/01/2022 », read as on or after.
pub const CLOSED_KEPT_FROM: (i32, u32, u32) = (2022, 1, 1);

/// Why a legacy dossier is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Closed with its last movement before 2022.
    ClosedBefore2022,
}

impl SkipReason {
    /// The reason's code in import reports.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::ClosedBefore2022 => "clos_avant_2022",
        }
    }
}

/// M2: open dossiers are kept, closed ones only with a movement on or after 1 January 2022.
///
/// # Errors
/// The [`SkipReason`] of a dossier left out.
pub fn keep_dossier(closed: bool, last_movement: NaiveDate) -> Result<(), SkipReason> {
    let (y, m, d) = CLOSED_KEPT_FROM;
    let cutoff = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    if closed && last_movement < cutoff { Err(SkipReason::ClosedBefore2022) } else { Ok(()) }
}

/// The scheme codes of the legacy export.
pub const SCHEMES: [&str; 9] = ["PDC50", "CIPI", "CDPI", "CPNSST", "PRO", "CAR", "APP", "POEC", "PICIAE"];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn m2_at_its_boundary() {
        assert_eq!(keep_dossier(true, d(2021, 12, 31)), Err(SkipReason::ClosedBefore2022));
        assert_eq!(keep_dossier(true, d(2022, 1, 1)), Ok(()));
        assert_eq!(keep_dossier(true, d(2022, 1, 2)), Ok(()));
        assert_eq!(keep_dossier(false, d(2015, 1, 1)), Ok(()), "open dossiers are always kept");
    }
}

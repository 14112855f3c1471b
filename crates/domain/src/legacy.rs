//! Rules of the migration from the legacy portal (SPEC M2).

use std::fmt;

use chrono::NaiveDate;

use crate::Money;

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

/// Why a row of a legacy export is refused although each of its fields reads well: it contradicts
/// itself or another row. `Display` is the French reason shown in the import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFault {
    /// The row's key was already read at `first_line` of the same file.
    Duplicate {
        /// The key as read (a dossier number, an address and a company).
        key: String,
        /// Line of its first occurrence.
        first_line: u64,
    },
    /// A control character (NUL, …) that no office software writes in a cell.
    ControlCharacter(char),
    /// The training ends before it starts.
    EndBeforeStart {
        /// `date_debut`.
        start: NaiveDate,
        /// `date_fin`.
        end: NaiveDate,
    },
    /// More paid than committed.
    PaidAboveCommitted {
        /// `montant_engage`.
        committed: Money,
        /// `montant_regle`.
        paid: Money,
    },
}

impl fmt::Display for RowFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowFault::Duplicate { key, first_line } => write!(
                f,
                "« {key} » figure déjà à la ligne {first_line} du fichier : cette ligne est refusée, la première est gardée"
            ),
            RowFault::ControlCharacter(c) => {
                write!(
                    f,
                    "caractère de contrôle interdit (U+{:04X}) : le fichier est-il bien un export CSV ?",
                    u32::from(*c)
                )
            }
            RowFault::EndBeforeStart { start, end } => write!(
                f,
                "la formation finit le {} avant d’avoir commencé (date_debut {})",
                end.format("%d/%m/%Y"),
                start.format("%d/%m/%Y")
            ),
            RowFault::PaidAboveCommitted { committed, paid } => {
                write!(f, "le montant réglé ({paid}) dépasse le montant engagé ({committed})")
            }
        }
    }
}

/// The first control character of `text` that a cell may not hold: C0 controls (NUL included),
/// DEL and C1 controls. Tab is text, and line breaks reach a cell only from inside quotes, which
/// the format allows.
#[must_use]
pub fn control_character(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Whether `bytes` may hold a control character: a quick byte scan (a million rows go through it)
/// that [`control_character`] confirms. Any byte below a space, DEL, and the lead byte of the
/// UTF-8 encoding of U+0080–U+00BF (C1 controls, but also `«` or a no-break space).
#[must_use]
pub fn may_hold_control(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f || b == 0xc2)
}

/// Training dates in order: a training that ends before it starts is a typing error. (A last
/// movement before the start is normal: a dossier is committed before its training begins.)
///
/// # Errors
/// [`RowFault::EndBeforeStart`].
pub fn dates_in_order(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<(), RowFault> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err(RowFault::EndBeforeStart { start, end }),
        _ => Ok(()),
    }
}

/// Amounts that agree: what was paid on a dossier cannot exceed what was committed to it.
///
/// # Errors
/// [`RowFault::PaidAboveCommitted`].
pub fn amounts_agree(committed: Money, paid: Money) -> Result<(), RowFault> {
    if paid > committed { Err(RowFault::PaidAboveCommitted { committed, paid }) } else { Ok(()) }
}

/// A header name as columns are looked up: without byte-order mark or surrounding spaces, in
/// lower case, accents folded (`Intitulé` reads as `intitule`), spaces and dashes as `_`
/// (`Date début` reads as `date_debut`).
#[must_use]
pub fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            ' ' | '-' | '\u{a0}' => '_',
            other => other,
        })
        .collect()
}

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

    #[test]
    fn control_characters_but_tab_and_line_breaks() {
        assert_eq!(control_character("Soudeur\tTIG\r\nniveau 2 « B1V » 1\u{a0}234,56"), None);
        assert_eq!(control_character("MDA\0-1"), Some('\0'));
        assert_eq!(control_character("a\u{1b}b"), Some('\u{1b}'));
        assert_eq!(control_character("a\u{7f}"), Some('\u{7f}'));
        assert_eq!(control_character("a\u{85}"), Some('\u{85}'), "C1 controls too");
        assert!(!may_hold_control(b"MDA-2022-000003;Soudeur \"TIG\"\r\n\t"));
        assert!(may_hold_control(b"MDA\0"));
        assert!(may_hold_control("1\u{a0}234".as_bytes()), "confirmed by control_character");
    }

    #[test]
    fn training_dates_in_order() {
        assert_eq!(dates_in_order(Some(d(2022, 1, 10)), Some(d(2022, 1, 10))), Ok(()));
        assert_eq!(dates_in_order(None, Some(d(2022, 1, 10))), Ok(()));
        let fault = dates_in_order(Some(d(2022, 6, 28)), Some(d(2022, 1, 10))).unwrap_err();
        assert_eq!(
            fault.to_string(),
            "la formation finit le 10/01/2022 avant d’avoir commencé (date_debut 28/06/2022)"
        );
    }

    #[test]
    fn paid_never_above_committed() {
        let m = |t: &str| Money::parse(t).unwrap();
        assert_eq!(amounts_agree(m("1 800,00"), m("1 800")), Ok(()));
        assert_eq!(amounts_agree(m("0"), m("0")), Ok(()));
        let fault = amounts_agree(m("100"), m("100,01")).unwrap_err();
        assert!(fault.to_string().starts_with("le montant réglé (100,01"), "{fault}");
    }

    #[test]
    fn duplicates_name_the_first_line() {
        let fault = RowFault::Duplicate { key: "MDA-1".to_owned(), first_line: 2 };
        assert_eq!(
            fault.to_string(),
            "« MDA-1 » figure déjà à la ligne 2 du fichier : cette ligne est refusée, la première est gardée"
        );
    }

    #[test]
    fn header_names_fold_case_accents_and_spaces() {
        assert_eq!(header_key("\u{feff} Numéro "), "numero");
        assert_eq!(header_key("Intitulé"), "intitule");
        assert_eq!(header_key("Date début"), "date_debut");
        assert_eq!(header_key("montant_réglé"), "montant_regle");
    }
}

//! SIREN: the 9-digit number INSEE gives a company, and the French VAT number derived from it.
//!
//! The SIREN is the company's identity on the portal: invoices are issued in its name and its
//! establishments (SIRET) hang from it. Its last digit is a Luhn key.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{DigitsProblem, compact_digits, digit, entered, luhn_valid};

/// Number of digits in a SIREN.
const LEN: usize = 9;

/// Why a SIREN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SirenError {
    /// Nothing was entered.
    #[error("Saisissez le SIREN.")]
    Empty,
    /// Something other than digits and spaces was entered.
    #[error("Le SIREN contient un caractère qui n’est pas un chiffre.")]
    NotDigit,
    /// Not 9 digits; `found` is how many were entered.
    #[error("Le SIREN doit contenir 9 chiffres ({}).", length_hint(.found))]
    WrongLength {
        /// How many digits were entered.
        found: usize,
    },
    /// Nine digits, but the Luhn key does not match: a typo.
    #[error("Ce SIREN n’existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres saisis.")]
    BadCheckDigit,
}

/// The count entered, with a hint when it is obviously a SIRET.
fn length_hint(found: &usize) -> String {
    if *found == 14 {
        format!("{}, soit un SIRET : gardez seulement les 9 premiers", entered(*found))
    } else {
        entered(*found)
    }
}

/// A SIREN: 9 digits whose Luhn key is correct, kept without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

impl Siren {
    /// Parses what a person typed; spaces anywhere are ignored (`732 829 320`).
    ///
    /// # Errors
    /// [`SirenError`] when the input is empty, holds something other than digits, is not 9
    /// digits long, or fails the Luhn check.
    pub fn parse(input: &str) -> Result<Self, SirenError> {
        let digits = compact_digits(input, LEN).map_err(|problem| match problem {
            DigitsProblem::Empty => SirenError::Empty,
            DigitsProblem::NotDigit => SirenError::NotDigit,
            DigitsProblem::WrongLength(found) => SirenError::WrongLength { found },
        })?;
        if !luhn_valid(&digits) {
            return Err(SirenError::BadCheckDigit);
        }
        Ok(Self(digits))
    }

    /// Wraps 9 digits already known to form a valid SIREN (the head of a valid SIRET).
    pub(super) fn from_checked(digits: String) -> Self {
        Self(digits)
    }

    /// The 9 digits, without spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SIREN as printed on French documents: `732 829 320`.
    #[must_use]
    pub fn formatted(&self) -> String {
        let (head, tail) = self.0.split_at(3);
        let (middle, last) = tail.split_at(3);
        format!("{head} {middle} {last}")
    }

    /// The French intra-EU VAT number: `FR`, a 2-digit key, then the SIREN
    /// (732829320 → `FR44732829320`). The key is `(12 + 3 × (SIREN mod 97)) mod 97`.
    ///
    /// Whether the company is actually registered for VAT is another matter, which only the
    /// tax administration (VIES) can confirm.
    #[must_use]
    pub fn vat_number(&self) -> String {
        let value = self.0.bytes().fold(0_u64, |acc, byte| acc * 10 + u64::from(digit(byte)));
        let key = (12 + 3 * (value % 97)) % 97;
        format!("FR{key:02}{}", self.0)
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Siren {
    type Err = SirenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Siren {
    type Error = SirenError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Siren> for String {
    fn from(value: Siren) -> Self {
        value.0
    }
}

impl AsRef<str> for Siren {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::tests::{blanks, deserialize, insert_blanks, luhn_key};
    use proptest::prelude::*;

    #[test]
    fn accepts_the_reference_vectors() {
        for ok in ["732829320", "552100554", "356000000"] {
            assert_eq!(Siren::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_a_wrong_key() {
        assert_eq!(Siren::parse("123456789"), Err(SirenError::BadCheckDigit));
        assert_eq!(Siren::parse("732829321"), Err(SirenError::BadCheckDigit));
    }

    #[test]
    fn ignores_spaces_and_keeps_the_compact_form() {
        let siren = Siren::parse(" 732 829\u{202f}320 ").unwrap();
        assert_eq!(siren.as_str(), "732829320");
        assert_eq!(siren.to_string(), "732829320");
        assert_eq!(siren.formatted(), "732 829 320");
        assert_eq!("732 829 320".parse::<Siren>().unwrap(), siren);
    }

    #[test]
    fn derives_the_vat_number() {
        assert_eq!(Siren::parse("732829320").unwrap().vat_number(), "FR44732829320");
        assert_eq!(Siren::parse("356000000").unwrap().vat_number(), "FR39356000000");
        assert_eq!(Siren::parse("552100554").unwrap().vat_number(), "FR96552100554");
        // A key below 10 keeps its leading zero, so the number is always 13 characters long.
        let small_key = (0..1_000_u64)
            .map(|n| {
                let body = format!("{n:08}");
                Siren::parse(&format!("{body}{}", luhn_key(&body))).unwrap()
            })
            .find(|siren| siren.vat_number().as_bytes()[2] == b'0')
            .unwrap();
        assert_eq!(small_key.vat_number().len(), 13);
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(Siren::parse("  "), Err(SirenError::Empty));
        assert_eq!(Siren::parse("732-829-320"), Err(SirenError::NotDigit));
        assert_eq!(Siren::parse("73282932"), Err(SirenError::WrongLength { found: 8 }));
        assert_eq!(Siren::parse("").unwrap_err().to_string(), "Saisissez le SIREN.");
        assert_eq!(Siren::parse("7328293").unwrap_err().to_string(), "Le SIREN doit contenir 9 chiffres (7 saisis).");
        assert_eq!(Siren::parse("7").unwrap_err().to_string(), "Le SIREN doit contenir 9 chiffres (1 saisi).");
        assert_eq!(
            Siren::parse("73282932000074").unwrap_err().to_string(),
            "Le SIREN doit contenir 9 chiffres (14 saisis, soit un SIRET : gardez seulement les 9 premiers)."
        );
        assert_eq!(
            Siren::parse("123456789").unwrap_err().to_string(),
            "Ce SIREN n’existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres saisis."
        );
    }

    #[test]
    fn serialises_as_a_string_and_checks_on_the_way_in() {
        let siren = Siren::parse("732829320").unwrap();
        assert_eq!(String::from(siren.clone()), "732829320");
        assert_eq!(deserialize::<Siren>("732 829 320").unwrap(), siren);
        let refused = deserialize::<Siren>("123456789").unwrap_err().to_string();
        assert_eq!(refused, SirenError::BadCheckDigit.to_string());
    }

    proptest! {
        #[test]
        fn appending_the_luhn_key_gives_a_valid_siren(body in "[0-9]{8}") {
            let key = luhn_key(&body);
            let siren = Siren::parse(&format!("{body}{key}"));
            prop_assert!(siren.is_ok(), "{body}{key}");
        }

        #[test]
        fn changing_one_digit_breaks_the_key(body in "[0-9]{8}", position in 0_usize..9, shift in 1_u32..10) {
            let valid = format!("{body}{}", luhn_key(&body));
            let mut digits: Vec<u32> = valid.chars().map(|c| c.to_digit(10).unwrap()).collect();
            digits[position] = (digits[position] + shift) % 10;
            let changed: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            prop_assert_eq!(Siren::parse(&changed), Err(SirenError::BadCheckDigit));
        }

        #[test]
        fn parsing_is_idempotent_and_ignores_spaces(
            body in "[0-9]{8}",
            spaces in blanks(),
        ) {
            let valid = format!("{body}{}", luhn_key(&body));
            let siren = Siren::parse(&valid).unwrap();
            prop_assert_eq!(Siren::parse(siren.as_str()).unwrap(), siren.clone());
            let spaced = insert_blanks(&valid, &spaces);
            prop_assert_eq!(Siren::parse(&spaced).unwrap(), siren);
        }
    }
}

//! SIRET: the 14-digit number of one establishment of a company (its SIREN + a 5-digit NIC).
//!
//! Rights on the portal are granted per establishment, so the SIRET is what a company user is
//! attached to. The whole number carries a Luhn key, except at La Poste, whose establishments are
//! too many for it: their SIRETs are checked by the sum of the digits instead.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{DigitsProblem, Siren, compact_digits, digit, entered, luhn_valid};

/// Number of digits in a SIRET.
const LEN: usize = 14;

/// Number of leading digits that form the SIREN.
const SIREN_LEN: usize = 9;

/// La Poste's SIREN, whose establishments follow their own rule.
const LA_POSTE_SIREN: &str = "356000000";

/// Why a SIRET was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    /// Nothing was entered.
    #[error("Saisissez le SIRET.")]
    Empty,
    /// Something other than digits and spaces was entered.
    #[error("Le SIRET contient un caractère qui n’est pas un chiffre.")]
    NotDigit,
    /// Not 14 digits; `found` is how many were entered.
    #[error("Le SIRET doit contenir 14 chiffres ({}).", length_hint(.found))]
    WrongLength {
        /// How many digits were entered.
        found: usize,
    },
    /// The first 9 digits are not a valid SIREN.
    #[error(
        "Ce SIRET n’existe pas : ses 9 premiers chiffres (le SIREN) ont une clé de contrôle fausse. \
         Vérifiez les chiffres saisis."
    )]
    BadSiren,
    /// Fourteen digits, but the key of the whole number does not match: a typo.
    #[error("Ce SIRET n’existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres saisis.")]
    BadCheckDigit,
}

/// The count entered, with a hint when it is obviously a SIREN.
fn length_hint(found: &usize) -> String {
    if *found == SIREN_LEN {
        format!("{}, soit un SIREN : ajoutez les 5 chiffres qui désignent l’établissement", entered(*found))
    } else {
        entered(*found)
    }
}

/// A SIRET: 14 digits, the first 9 a valid SIREN, the whole number passing Luhn (or, for
/// La Poste, a digit sum that is a multiple of 5). Kept without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siret {
    /// Parses what a person typed; spaces anywhere are ignored (`732 829 320 00074`).
    ///
    /// # Errors
    /// [`SiretError`] when the input is empty, holds something other than digits, is not 14
    /// digits long, starts with an invalid SIREN, or fails its own check.
    pub fn parse(input: &str) -> Result<Self, SiretError> {
        let digits = compact_digits(input, LEN).map_err(|problem| match problem {
            DigitsProblem::Empty => SiretError::Empty,
            DigitsProblem::NotDigit => SiretError::NotDigit,
            DigitsProblem::WrongLength(found) => SiretError::WrongLength { found },
        })?;
        if !luhn_valid(&digits[..SIREN_LEN]) {
            return Err(SiretError::BadSiren);
        }
        let la_poste = digits.starts_with(LA_POSTE_SIREN) && digits.bytes().map(digit).sum::<u32>().is_multiple_of(5);
        if !luhn_valid(&digits) && !la_poste {
            return Err(SiretError::BadCheckDigit);
        }
        Ok(Self(digits))
    }

    /// The 14 digits, without spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company this establishment belongs to (the first 9 digits).
    #[must_use]
    pub fn siren(&self) -> Siren {
        Siren::from_checked(self.0[..SIREN_LEN].to_owned())
    }

    /// The establishment's number within the company (NIC, the last 5 digits).
    #[must_use]
    pub fn nic(&self) -> &str {
        &self.0[SIREN_LEN..]
    }

    /// The SIRET as printed on French documents: `732 829 320 00074`.
    #[must_use]
    pub fn formatted(&self) -> String {
        format!("{} {}", self.siren().formatted(), self.nic())
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Siret {
    type Err = SiretError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Siret {
    type Error = SiretError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Siret> for String {
    fn from(value: Siret) -> Self {
        value.0
    }
}

impl AsRef<str> for Siret {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::tests::{blanks, deserialize, insert_blanks, luhn_key};
    use proptest::prelude::*;

    /// A valid (non La Poste) SIRET built from 8 SIREN digits and 4 NIC digits.
    fn siret_from(siren_body: &str, nic_body: &str) -> String {
        let siren = format!("{siren_body}{}", luhn_key(siren_body));
        let body = format!("{siren}{nic_body}");
        format!("{body}{}", luhn_key(&body))
    }

    #[test]
    fn accepts_the_reference_vectors() {
        let siret = Siret::parse("73282932000074").unwrap();
        assert_eq!(siret.as_str(), "73282932000074");
        assert_eq!(siret.siren(), Siren::parse("732829320").unwrap());
        assert_eq!(siret.nic(), "00074");
        assert_eq!(siret.formatted(), "732 829 320 00074");
        assert_eq!(siret.to_string(), "73282932000074");
        assert_eq!(Siret::parse("732 829 320 00074").unwrap(), siret);
        assert_eq!("732 829 320 00074".parse::<Siret>().unwrap(), siret);
    }

    #[test]
    fn accepts_la_poste_by_the_sum_of_its_digits() {
        assert!(!luhn_valid("35600000049837"), "the vector must exercise the La Poste rule");
        let siret = Siret::parse("35600000049837").unwrap();
        assert_eq!(siret.siren().as_str(), LA_POSTE_SIREN);
        assert_eq!(siret.nic(), "49837");
        // La Poste, digit sum 46 and no Luhn either: neither rule holds.
        assert_eq!(Siret::parse("35600000049838"), Err(SiretError::BadCheckDigit));
        // The sum rule belongs to La Poste alone: this one's digits add up to 45 but it fails Luhn.
        assert_eq!(Siret::parse("73282932000072"), Err(SiretError::BadCheckDigit));
    }

    #[test]
    fn refuses_wrong_keys() {
        assert_eq!(Siret::parse("12345678900011"), Err(SiretError::BadSiren));
        assert_eq!(Siret::parse("73282932000075"), Err(SiretError::BadCheckDigit));
        // A 14-digit Luhn number whose first 9 digits are not a SIREN.
        let fake = format!("1234567890001{}", luhn_key("1234567890001"));
        assert!(luhn_valid(&fake));
        assert_eq!(Siret::parse(&fake), Err(SiretError::BadSiren));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(Siret::parse(""), Err(SiretError::Empty));
        assert_eq!(Siret::parse("732829320 0007A"), Err(SiretError::NotDigit));
        assert_eq!(Siret::parse("").unwrap_err().to_string(), "Saisissez le SIRET.");
        assert_eq!(
            Siret::parse("7328293200007").unwrap_err().to_string(),
            "Le SIRET doit contenir 14 chiffres (13 saisis)."
        );
        assert_eq!(
            Siret::parse("732 829 320").unwrap_err().to_string(),
            "Le SIRET doit contenir 14 chiffres (9 saisis, soit un SIREN : ajoutez les 5 chiffres qui désignent \
             l’établissement)."
        );
        assert_eq!(
            Siret::parse("7328293200007a").unwrap_err().to_string(),
            "Le SIRET contient un caractère qui n’est pas un chiffre."
        );
        assert_eq!(
            Siret::parse("73282932000075").unwrap_err().to_string(),
            "Ce SIRET n’existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres saisis."
        );
        assert_eq!(
            Siret::parse("12345678900011").unwrap_err().to_string(),
            "Ce SIRET n’existe pas : ses 9 premiers chiffres (le SIREN) ont une clé de contrôle fausse. Vérifiez \
             les chiffres saisis."
        );
    }

    #[test]
    fn serialises_as_a_string_and_checks_on_the_way_in() {
        let siret = Siret::parse("73282932000074").unwrap();
        assert_eq!(String::from(siret.clone()), "73282932000074");
        assert_eq!(deserialize::<Siret>("732 829 320 00074").unwrap(), siret);
        assert!(deserialize::<Siret>("12345678900011").is_err());
    }

    proptest! {
        #[test]
        fn built_sirets_are_valid_and_their_siren_too(siren_body in "[0-9]{8}", nic_body in "[0-9]{4}") {
            let text = siret_from(&siren_body, &nic_body);
            let siret = Siret::parse(&text).unwrap();
            prop_assert_eq!(Siren::parse(siret.siren().as_str()).unwrap(), siret.siren());
            prop_assert_eq!(format!("{}{}", siret.siren(), siret.nic()), text);
        }

        #[test]
        fn changing_one_digit_breaks_a_key(
            siren_body in "[0-9]{8}",
            nic_body in "[0-9]{4}",
            position in 0_usize..14,
            shift in 1_u32..10,
        ) {
            let valid = siret_from(&siren_body, &nic_body);
            let mut digits: Vec<u32> = valid.chars().map(|c| c.to_digit(10).unwrap()).collect();
            digits[position] = (digits[position] + shift) % 10;
            let changed: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            prop_assume!(!valid.starts_with(LA_POSTE_SIREN) && !changed.starts_with(LA_POSTE_SIREN));
            prop_assert!(Siret::parse(&changed).is_err(), "{changed}");
        }

        #[test]
        fn parsing_is_idempotent_and_ignores_spaces(
            siren_body in "[0-9]{8}",
            nic_body in "[0-9]{4}",
            spaces in blanks(),
        ) {
            let valid = siret_from(&siren_body, &nic_body);
            let siret = Siret::parse(&valid).unwrap();
            prop_assert_eq!(Siret::parse(siret.as_str()).unwrap(), siret.clone());
            prop_assert_eq!(Siret::parse(&siret.formatted()).unwrap(), siret.clone());
            prop_assert_eq!(Siret::parse(&insert_blanks(&valid, &spaces)).unwrap(), siret);
        }
    }
}

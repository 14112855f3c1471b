//! NDA (numéro de déclaration d’activité): the number a training provider receives from the
//! préfet de région when it declares its activity (article L6351-1 of the Code du travail).
//!
//! Only the form is checked here: 11 digits. Whether the number is really registered is a
//! question for the public list of training providers, asked elsewhere. Registration is not a
//! State approval and must never be presented as one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{DigitsProblem, compact_digits, entered};

/// Number of digits in an NDA.
const LEN: usize = 11;

/// Why an NDA was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdaError {
    /// Nothing was entered.
    #[error("Saisissez le numéro de déclaration d’activité (NDA) de l’organisme de formation.")]
    Empty,
    /// Something other than digits and spaces was entered.
    #[error("Le numéro de déclaration d’activité (NDA) ne contient que des chiffres.")]
    NotDigit,
    /// Not 11 digits; `found` is how many were entered.
    #[error("Le numéro de déclaration d’activité (NDA) doit contenir 11 chiffres ({}).", entered(*.found))]
    WrongLength {
        /// How many digits were entered.
        found: usize,
    },
}

/// A training provider's declaration number: 11 digits, kept without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nda(String);

impl Nda {
    /// Parses what a person typed; spaces anywhere are ignored (`11 75 12345 75`).
    ///
    /// # Errors
    /// [`NdaError`] when the input is empty, holds something other than digits, or is not 11
    /// digits long.
    pub fn parse(input: &str) -> Result<Self, NdaError> {
        let digits = compact_digits(input, LEN).map_err(|problem| match problem {
            DigitsProblem::Empty => NdaError::Empty,
            DigitsProblem::NotDigit => NdaError::NotDigit,
            DigitsProblem::WrongLength(found) => NdaError::WrongLength { found },
        })?;
        Ok(Self(digits))
    }

    /// The 11 digits, without spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Nda {
    type Err = NdaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Nda {
    type Error = NdaError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nda> for String {
    fn from(value: Nda) -> Self {
        value.0
    }
}

impl AsRef<str> for Nda {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::tests::{blanks, deserialize, insert_blanks};
    use proptest::prelude::*;

    #[test]
    fn accepts_eleven_digits_with_or_without_spaces() {
        let nda = Nda::parse("11755555575").unwrap();
        assert_eq!(nda.as_str(), "11755555575");
        assert_eq!(nda.to_string(), "11755555575");
        assert_eq!(Nda::parse(" 11 75 55555 75 ").unwrap(), nda);
        assert_eq!("11 75 55555 75".parse::<Nda>().unwrap(), nda);
        assert_eq!(Nda::parse("00000000000").unwrap().as_str(), "00000000000");
    }

    #[test]
    fn refuses_other_lengths_and_letters() {
        assert_eq!(Nda::parse("1175555557"), Err(NdaError::WrongLength { found: 10 }));
        assert_eq!(Nda::parse("117555555755"), Err(NdaError::WrongLength { found: 12 }));
        assert_eq!(Nda::parse("1175555557A"), Err(NdaError::NotDigit));
        assert_eq!(Nda::parse("11-75-55555-75"), Err(NdaError::NotDigit));
        assert_eq!(Nda::parse(" "), Err(NdaError::Empty));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(
            Nda::parse("").unwrap_err().to_string(),
            "Saisissez le numéro de déclaration d’activité (NDA) de l’organisme de formation."
        );
        assert_eq!(
            Nda::parse("1175555557").unwrap_err().to_string(),
            "Le numéro de déclaration d’activité (NDA) doit contenir 11 chiffres (10 saisis)."
        );
        assert_eq!(
            Nda::parse("NDA 11755555575").unwrap_err().to_string(),
            "Le numéro de déclaration d’activité (NDA) ne contient que des chiffres."
        );
    }

    #[test]
    fn serialises_as_a_string_and_checks_on_the_way_in() {
        let nda = Nda::parse("11755555575").unwrap();
        assert_eq!(String::from(nda.clone()), "11755555575");
        assert_eq!(deserialize::<Nda>("11 75 55555 75").unwrap(), nda);
        assert!(deserialize::<Nda>("1175555557").is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent_and_ignores_spaces(digits in "[0-9]{11}", spaces in blanks()) {
            let nda = Nda::parse(&digits).unwrap();
            prop_assert_eq!(Nda::parse(nda.as_str()).unwrap(), nda.clone());
            prop_assert_eq!(Nda::parse(&insert_blanks(&digits, &spaces)).unwrap(), nda);
        }

        #[test]
        fn any_other_number_of_digits_is_refused(digits in "[0-9]{1,20}") {
            prop_assume!(digits.len() != 11);
            prop_assert_eq!(Nda::parse(&digits), Err(NdaError::WrongLength { found: digits.len() }));
        }
    }
}

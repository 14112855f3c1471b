//! French business identifiers: SIREN, SIRET, IBAN and the training provider's NDA.
//!
//! Each identifier is a newtype that can only be built by parsing what a person typed: spaces are
//! dropped, the length and the check digits are verified, and the compact form is kept. Once a
//! value of one of these types exists, the rest of the code base never checks it again. Errors
//! say, in French, what is wrong with the input and what to do about it.

mod iban;
mod nda;
mod siren;
mod siret;

pub use iban::{Iban, IbanError};
pub use nda::{Nda, NdaError};
pub use siren::{Siren, SirenError};
pub use siret::{Siret, SiretError};

/// Why a string could not be read as a fixed number of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigitsProblem {
    /// Nothing but spaces.
    Empty,
    /// A character other than an ASCII digit (once spaces are removed).
    NotDigit,
    /// The number of digits entered, when it is not the expected one.
    WrongLength(usize),
}

/// Removes every white-space character (including the no-break spaces of French number
/// formatting) and checks that exactly `len` ASCII digits remain.
fn compact_digits(input: &str, len: usize) -> Result<String, DigitsProblem> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(DigitsProblem::Empty);
    }
    if !compact.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DigitsProblem::NotDigit);
    }
    if compact.len() != len {
        return Err(DigitsProblem::WrongLength(compact.len()));
    }
    Ok(compact)
}

/// The value of an ASCII digit; only called on strings already checked to be digits.
fn digit(byte: u8) -> u32 {
    u32::from(byte.saturating_sub(b'0'))
}

/// Whether a string of ASCII digits passes the Luhn check (the last digit being the key).
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let value = digit(byte);
            if position % 2 == 1 {
                let doubled = value * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                value
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// "1 saisi", "13 saisis": how many characters were entered, for error messages.
fn entered(count: usize) -> String {
    if count > 1 { format!("{count} saisis") } else { format!("{count} saisi") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Deserialises `text` as if it were a JSON string, through the type's serde implementation.
    pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde::de::value::Error> {
        use serde::de::IntoDeserializer;
        T::deserialize(text.to_owned().into_deserializer())
    }

    /// The Luhn key that completes `body`, computed independently of `luhn_valid`.
    pub(crate) fn luhn_key(body: &str) -> char {
        let sum: u32 = body
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                // The key will sit at position 0 from the right, so the body's last digit is doubled.
                if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { d }
            })
            .sum();
        char::from_digit((10 - sum % 10) % 10, 10).unwrap()
    }

    /// Where to insert blanks, and which: positions are taken modulo the length of the input.
    pub(crate) fn blanks() -> impl Strategy<Value = Vec<(usize, String)>> {
        proptest::collection::vec((0_usize..40, "[ \t\u{a0}\u{202f}]{1,2}"), 0..6)
    }

    /// `text` with each blank inserted at its position (modulo the length, on char boundaries).
    pub(crate) fn insert_blanks(text: &str, blanks: &[(usize, String)]) -> String {
        let mut out = text.to_owned();
        for (at, blank) in blanks {
            let boundaries: Vec<usize> = out.char_indices().map(|(i, _)| i).chain([out.len()]).collect();
            out.insert_str(boundaries[at % boundaries.len()], blank);
        }
        out
    }

    #[test]
    fn luhn_matches_known_values() {
        assert!(luhn_valid("732829320"));
        assert!(luhn_valid("73282932000074"));
        assert!(luhn_valid("4970101122334455"));
        assert!(!luhn_valid("123456789"));
        assert!(!luhn_valid("35600000049837"));
    }

    #[test]
    fn compact_digits_reports_each_problem() {
        assert_eq!(compact_digits(" 12\u{a0}3\u{202f}4 ", 4), Ok("1234".to_owned()));
        assert_eq!(compact_digits(" \t", 4), Err(DigitsProblem::Empty));
        assert_eq!(compact_digits("12-34", 4), Err(DigitsProblem::NotDigit));
        assert_eq!(compact_digits("١٢٣٤", 4), Err(DigitsProblem::NotDigit));
        assert_eq!(compact_digits("123", 4), Err(DigitsProblem::WrongLength(3)));
    }

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(entered(1), "1 saisi");
        assert_eq!(entered(13), "13 saisis");
    }
}

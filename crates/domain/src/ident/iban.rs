//! IBAN: the bank account that funding is paid into.
//!
//! The ISO 13616 check (mod 97) and each country's format come from the `iban_validate` crate;
//! French IBANs are also checked against the key of the French RIB they contain, which catches
//! account numbers generated from a mistyped RIB. An IBAN is personal banking data: its `Debug`
//! form is masked so that it never reaches the logs in full, and [`Iban::masked`] is what screens
//! should show once the IBAN is on file.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::entered;

/// The longest IBAN any country uses (ISO 13616).
const MAX_LEN: usize = 34;

/// The length of a French IBAN: `FR`, 2 check digits, then a 23-character RIB.
const FRENCH_LEN: usize = 27;

/// Why an IBAN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    /// Nothing was entered.
    #[error("Saisissez l’IBAN.")]
    Empty,
    /// Something other than letters, digits, spaces and dashes was entered.
    #[error("L’IBAN ne contient que des lettres et des chiffres (les espaces et les tirets sont ignorés).")]
    InvalidCharacter,
    /// Does not start with two letters (the country) and two digits (the IBAN key).
    #[error("L’IBAN doit commencer par le code du pays en deux lettres (FR pour la France) suivi de deux chiffres.")]
    NoCountry,
    /// The country code is not one that issues IBANs (reported only when the ISO key is right;
    /// otherwise the key is reported).
    #[error("L’IBAN commence par « {country} », qui n’est pas le code d’un pays utilisant l’IBAN.")]
    UnknownCountry {
        /// The two letters entered.
        country: String,
    },
    /// Too long for any country.
    #[error("L’IBAN est trop long : 34 caractères au plus ({found} saisis).")]
    TooLong {
        /// How many letters and digits were entered.
        found: usize,
    },
    /// A French IBAN that is not 27 characters long.
    #[error("Un IBAN français contient 27 caractères ({}).", entered(*.found))]
    WrongFrenchLength {
        /// How many letters and digits were entered.
        found: usize,
    },
    /// The ISO 13616 key (the two digits after the country) does not match the rest: a typo.
    #[error("L’IBAN n’est pas valide : sa clé de contrôle est fausse. Vérifiez les caractères saisis.")]
    BadCheckDigits,
    /// The key is right but the account part does not follow the country's format.
    #[error(
        "L’IBAN n’a pas le format des IBAN de son pays ({country}) : vérifiez sa longueur et les caractères saisis."
    )]
    WrongFormat {
        /// The country code of the IBAN.
        country: String,
    },
    /// A French IBAN whose ISO key is right but whose RIB key (last two digits) is wrong.
    #[error(
        "La clé RIB de cet IBAN français est fausse : ses deux derniers chiffres ne correspondent pas aux codes \
         banque et guichet et au numéro de compte. Vérifiez les caractères saisis."
    )]
    BadRibKey,
}

/// A valid IBAN, kept in its compact electronic form: upper case, no spaces (`FR7630006…`).
///
/// `Display` and serde give the full IBAN (for storage and payment files); `Debug` is masked.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    /// Parses what a person typed or pasted: spaces and dashes are ignored and letters may be in
    /// either case (`fr76 3000 6000 0112 3456 7890 189`).
    ///
    /// # Errors
    /// [`IbanError`] when the input is empty, holds other characters, does not start with a
    /// country code, has the wrong length, fails the ISO 13616 key or the country's format, or,
    /// for a French IBAN, fails the RIB key.
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let compact: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if compact.is_empty() {
            return Err(IbanError::Empty);
        }
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(IbanError::InvalidCharacter);
        }
        let bytes = compact.as_bytes();
        let starts_well = bytes.len() >= 4
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..4].iter().all(u8::is_ascii_digit);
        if !starts_well {
            return Err(IbanError::NoCountry);
        }
        if compact.len() > MAX_LEN {
            return Err(IbanError::TooLong { found: compact.len() });
        }
        let country = compact[..2].to_owned();
        let french = country == "FR";
        if french && compact.len() != FRENCH_LEN {
            return Err(IbanError::WrongFrenchLength { found: compact.len() });
        }
        if let Err(error) = compact.parse::<iban::Iban>() {
            return Err(match error {
                iban::ParseIbanError::InvalidBaseIban { source: iban::ParseBaseIbanError::InvalidChecksum } => {
                    IbanError::BadCheckDigits
                }
                iban::ParseIbanError::UnknownCountry(_) => IbanError::UnknownCountry { country },
                iban::ParseIbanError::InvalidBaseIban { .. } | iban::ParseIbanError::InvalidBban(_) => {
                    IbanError::WrongFormat { country }
                }
            });
        }
        if french && !rib_key_valid(&compact[4..]) {
            return Err(IbanError::BadRibKey);
        }
        Ok(Self(compact))
    }

    /// The compact electronic form: upper case, no spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 3166 country code of the account's bank (`FR`, `DE`…).
    #[must_use]
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The IBAN in groups of four, as printed on a RIB: `FR76 3000 6000 0112 3456 7890 189`.
    #[must_use]
    pub fn formatted(&self) -> String {
        group_by_four(self.0.chars())
    }

    /// The IBAN with everything but the country code and the last 4 characters hidden, in groups
    /// of four: `FR•• •••• •••• •••• •••• •••0 189`. Safe for screens, e-mails and logs.
    #[must_use]
    pub fn masked(&self) -> String {
        let len = self.0.len();
        group_by_four(self.0.chars().enumerate().map(|(i, c)| if i < 2 || i + 4 >= len { c } else { '•' }))
    }
}

/// Joins characters in groups of four separated by spaces.
fn group_by_four(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    for (i, c) in chars.enumerate() {
        if i > 0 && i.is_multiple_of(4) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The French RIB table: the digit that stands for a letter in an account number.
fn rib_value(byte: u8) -> u64 {
    u64::from(match byte {
        b'0'..=b'9' => byte - b'0',
        b'A'..=b'I' => byte - b'A' + 1,
        b'J'..=b'R' => byte - b'J' + 1,
        b'S'..=b'Z' => byte - b'S' + 2,
        _ => 0,
    })
}

/// The number written by a run of RIB characters.
fn rib_number(part: &str) -> u64 {
    part.bytes().fold(0, |acc, byte| acc * 10 + rib_value(byte))
}

/// Whether a French BBAN (5-digit bank code, 5-digit branch code, 11-character account,
/// 2-digit key) carries the right key: `97 − ((89 × bank + 15 × branch + 3 × account) mod 97)`.
fn rib_key_valid(bban: &str) -> bool {
    if bban.len() != 23 {
        return false;
    }
    let (bank, rest) = bban.split_at(5);
    let (branch, rest) = rest.split_at(5);
    let (account, key) = rest.split_at(11);
    let expected = 97 - (89 * rib_number(bank) + 15 * rib_number(branch) + 3 * rib_number(account)) % 97;
    key.bytes().all(|b| b.is_ascii_digit()) && rib_number(key) == expected
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Iban {
    /// Masked, so that `{:?}` in a log line or a panic message never prints the account.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iban").field(&self.masked()).finish()
    }
}

impl FromStr for Iban {
    type Err = IbanError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Iban {
    type Error = IbanError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Iban> for String {
    fn from(value: Iban) -> Self {
        value.0
    }
}

impl AsRef<str> for Iban {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::tests::{blanks, deserialize, insert_blanks};
    use proptest::prelude::*;

    const FRENCH: &str = "FR7630006000011234567890189";
    const GERMAN: &str = "DE89370400440532013000";

    /// The ISO 13616 check digits for `country` + `bban`, computed independently of the crate.
    fn iban_for(country: &str, bban: &str) -> String {
        let rearranged = format!("{bban}{country}00");
        let remainder = rearranged.chars().fold(0_u32, |acc, c| {
            let value = c.to_digit(36).unwrap();
            if value < 10 { (acc * 10 + value) % 97 } else { (acc * 100 + value) % 97 }
        });
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    /// The RIB key for a bank, branch and account, computed from the documented formula.
    fn rib_key(bank: u64, branch: u64, account: u64) -> u64 {
        97 - (89 * bank + 15 * branch + 3 * account) % 97
    }

    #[test]
    fn accepts_the_reference_french_iban_however_it_is_typed() {
        let iban = Iban::parse(FRENCH).unwrap();
        assert_eq!(iban.as_str(), FRENCH);
        assert_eq!(iban.to_string(), FRENCH);
        assert_eq!(iban.country(), "FR");
        assert_eq!(iban.formatted(), "FR76 3000 6000 0112 3456 7890 189");
        for typed in [
            "FR76 3000 6000 0112 3456 7890 189",
            "fr76 3000 6000 0112 3456 7890 189",
            "  fr7630006000011234567890189\n",
            "FR76-3000-6000-0112-3456-7890-189",
            "FR76\u{a0}3000\u{202f}6000 0112 3456 7890 189",
        ] {
            assert_eq!(Iban::parse(typed).unwrap(), iban, "{typed}");
            assert_eq!(typed.parse::<Iban>().unwrap(), iban, "{typed}");
        }
    }

    #[test]
    fn accepts_a_french_account_number_with_letters() {
        // La Banque Postale style: the account number holds a letter, worth 4 in the RIB table.
        let iban = Iban::parse("FR14 2004 1010 0505 0001 3M02 606").unwrap();
        assert_eq!(iban.as_str(), "FR1420041010050500013M02606");
        assert_eq!(rib_key(20041, 1005, 5_000_134_026), 6);
    }

    #[test]
    fn accepts_foreign_ibans_without_a_rib_check() {
        let iban = Iban::parse(GERMAN).unwrap();
        assert_eq!(iban.country(), "DE");
        assert_eq!(iban.formatted(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(iban.masked(), "DE•• •••• •••• •••• ••30 00");
        assert!(Iban::parse("de89 3704 0044 0532 0130 00").is_ok());
    }

    #[test]
    fn refuses_a_single_typo() {
        assert_eq!(Iban::parse("FR7630006000011234567890188"), Err(IbanError::BadCheckDigits));
        assert_eq!(Iban::parse("FR7630006000011234567890198"), Err(IbanError::BadCheckDigits));
        assert_eq!(Iban::parse("DE89370400440532013001"), Err(IbanError::BadCheckDigits));
    }

    #[test]
    fn refuses_a_french_iban_built_on_a_wrong_rib_key() {
        assert_eq!(rib_key(30006, 1, 12_345_678_901), 89);
        let wrong = iban_for("FR", "30006000011234567890188");
        assert_eq!(wrong, "FR0630006000011234567890188");
        assert!(wrong.parse::<iban::Iban>().is_ok(), "the ISO key alone must be right");
        assert_eq!(Iban::parse(&wrong), Err(IbanError::BadRibKey));
        // Same with a letter in the account number, so that the RIB table is exercised.
        let right = iban_for("FR", "20041010050500013M02606");
        assert!(Iban::parse(&right).is_ok());
        let wrong = iban_for("FR", "20041010050500013M02607");
        assert_eq!(Iban::parse(&wrong), Err(IbanError::BadRibKey));
    }

    #[test]
    fn checks_the_rib_table_letter_by_letter() {
        for (letter, value) in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            .bytes()
            .zip([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9])
        {
            assert_eq!(rib_value(letter), value, "{}", char::from(letter));
        }
        assert!(rib_key_valid("30006000011234567890189"));
        assert!(!rib_key_valid("3000600001123456789018"));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(Iban::parse(" - "), Err(IbanError::Empty));
        assert_eq!(Iban::parse("FR76 3000 6000 0112 3456 7890 18_"), Err(IbanError::InvalidCharacter));
        assert_eq!(Iban::parse("FRÉ6"), Err(IbanError::InvalidCharacter));
        assert_eq!(Iban::parse("30006000011234567890189"), Err(IbanError::NoCountry));
        assert_eq!(Iban::parse("FR"), Err(IbanError::NoCountry));
        // The ISO key is checked first: an unknown country is reported only when the key holds.
        let unknown = iban_for("XX", "30006000011234567890189");
        assert_eq!(Iban::parse(&unknown), Err(IbanError::UnknownCountry { country: "XX".into() }));
        assert_eq!(Iban::parse("XX7630006000011234567890189"), Err(IbanError::BadCheckDigits));
        assert_eq!(Iban::parse(&format!("DE89{}", "1".repeat(31))), Err(IbanError::TooLong { found: 35 }));
        assert_eq!(Iban::parse("FR763000600001123456789018"), Err(IbanError::WrongFrenchLength { found: 26 }));
        assert_eq!(
            Iban::parse(&iban_for("DE", "3704004405320130001")),
            Err(IbanError::WrongFormat { country: "DE".into() })
        );
        assert_eq!(Iban::parse("").unwrap_err().to_string(), "Saisissez l’IBAN.");
        assert_eq!(
            Iban::parse("FR7630006000011234567890188").unwrap_err().to_string(),
            "L’IBAN n’est pas valide : sa clé de contrôle est fausse. Vérifiez les caractères saisis."
        );
        assert_eq!(
            Iban::parse("FR763000600001123456789018").unwrap_err().to_string(),
            "Un IBAN français contient 27 caractères (26 saisis)."
        );
        assert_eq!(
            Iban::parse("FR0630006000011234567890188").unwrap_err().to_string(),
            "La clé RIB de cet IBAN français est fausse : ses deux derniers chiffres ne correspondent pas aux codes \
             banque et guichet et au numéro de compte. Vérifiez les caractères saisis."
        );
        assert_eq!(
            Iban::parse(&unknown).unwrap_err().to_string(),
            "L’IBAN commence par « XX », qui n’est pas le code d’un pays utilisant l’IBAN."
        );
    }

    #[test]
    fn never_shows_the_account_in_debug_or_masked_form() {
        let iban = Iban::parse(FRENCH).unwrap();
        assert_eq!(iban.masked(), "FR•• •••• •••• •••• •••• •••0 189");
        assert_eq!(format!("{iban:?}"), "Iban(\"FR•• •••• •••• •••• •••• •••0 189\")");
        assert!(!format!("{iban:?}").contains("30006"));
    }

    #[test]
    fn serialises_as_a_string_and_checks_on_the_way_in() {
        let iban = Iban::parse(FRENCH).unwrap();
        assert_eq!(String::from(iban.clone()), FRENCH);
        assert_eq!(deserialize::<Iban>("fr76 3000 6000 0112 3456 7890 189").unwrap(), iban);
        assert!(deserialize::<Iban>("FR7630006000011234567890188").is_err());
    }

    proptest! {
        #[test]
        fn any_french_rib_with_its_key_gives_a_valid_iban(
            bank in 0_u64..100_000,
            branch in 0_u64..100_000,
            account in 0_u64..100_000_000_000,
            spaces in blanks(),
            lower in any::<bool>(),
        ) {
            let key = rib_key(bank, branch, account);
            let text = iban_for("FR", &format!("{bank:05}{branch:05}{account:011}{key:02}"));
            let iban = Iban::parse(&text).unwrap();
            prop_assert_eq!(iban.as_str(), text.as_str());
            prop_assert_eq!(Iban::parse(iban.as_str()).unwrap(), iban.clone());
            prop_assert_eq!(Iban::parse(&iban.formatted()).unwrap(), iban.clone());
            let typed = if lower { text.to_lowercase() } else { text.clone() };
            prop_assert_eq!(Iban::parse(&insert_blanks(&typed, &spaces)).unwrap(), iban.clone());
            let masked = iban.masked();
            prop_assert!(masked.starts_with("FR••"));
            let tail = format!("{} {}", &text[23..24], &text[24..]);
            prop_assert!(masked.ends_with(&tail), "{masked}");
        }

        #[test]
        fn a_wrong_rib_key_is_caught_even_with_a_right_iban_key(
            bank in 0_u64..100_000,
            branch in 0_u64..100_000,
            account in 0_u64..100_000_000_000,
            offset in 1_u64..97,
        ) {
            let key = rib_key(bank, branch, account);
            let wrong_key = (key - 1 + offset) % 97 + 1;
            let text = iban_for("FR", &format!("{bank:05}{branch:05}{account:011}{wrong_key:02}"));
            prop_assert_eq!(Iban::parse(&text), Err(IbanError::BadRibKey));
        }
    }
}

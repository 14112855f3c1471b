//! Money: exact amounts in euro cents, French formatting and parsing.
//!
//! Amounts are never floats. They are stored as `BIGINT` cents and printed the French way:
//! `1 234,56 €` with a narrow no-break space between thousands and a decimal comma.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// An amount in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// Why an amount typed by a person was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing typed.
    #[error("Saisissez un montant en euros, par exemple 1 234,56.")]
    Empty,
    /// Not a number of euros with at most two decimals.
    #[error("Le montant doit être un nombre d’euros avec au plus deux décimales, par exemple 1 234,56.")]
    Invalid,
    /// Below zero.
    #[error("Le montant ne peut pas être négatif.")]
    Negative,
    /// Beyond what the portal handles.
    #[error("Le montant est trop élevé.")]
    TooLarge,
}

/// Most euros an amount may hold (ten billion): far beyond any training budget, far from overflow.
const MAX_CENTS: i64 = 1_000_000_000_000;

impl Money {
    /// Zero euros.
    pub const ZERO: Money = Money(0);

    /// An amount of `cents`.
    #[must_use]
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    #[must_use]
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses what a person typed: `1234,56`, `1 234,56`, `1234.5`, `80`, `80 €`.
    ///
    /// # Errors
    /// [`MoneyError`].
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        // Read without allocating: imports parse millions of amounts.
        let text = input.trim().trim_end_matches('€');
        let mut euros: i64 = 0;
        let mut cents: i64 = 0;
        let mut decimals: Option<u32> = None;
        let mut digits = 0u32;
        let mut seen = false;
        for c in text.chars() {
            match c {
                ' ' | '\u{a0}' | '\u{202f}' => {}
                '-' if !seen => return Err(MoneyError::Negative),
                ',' | '.' if decimals.is_none() => {
                    decimals = Some(0);
                    seen = true;
                }
                '0'..='9' => {
                    seen = true;
                    let digit = i64::from(u32::from(c) - u32::from('0'));
                    match decimals {
                        None => {
                            digits += 1;
                            if digits > 13 {
                                return Err(MoneyError::TooLarge);
                            }
                            euros = euros * 10 + digit;
                        }
                        Some(n) if n < 2 => {
                            cents = cents * 10 + digit;
                            decimals = Some(n + 1);
                        }
                        Some(_) => return Err(MoneyError::Invalid),
                    }
                }
                _ => return Err(MoneyError::Invalid),
            }
        }
        if !seen {
            return Err(MoneyError::Empty);
        }
        if digits == 0 && decimals.unwrap_or(0) == 0 {
            return Err(MoneyError::Invalid);
        }
        if decimals == Some(1) {
            cents *= 10;
        }
        let total = euros.checked_mul(100).and_then(|e| e.checked_add(cents)).ok_or(MoneyError::TooLarge)?;
        if total > MAX_CENTS {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self(total))
    }

    /// `rate` cents per hour times `hours`.
    #[must_use]
    pub fn per_hour(rate: Money, hours: i64) -> Money {
        Money(rate.0.saturating_mul(hours))
    }

    /// `percent`% of the amount, rounded half up to the cent.
    #[must_use]
    pub fn percent(self, percent: i64) -> Money {
        Money((self.0.saturating_mul(percent) + 50).div_euclid(100))
    }

    /// The smaller of two amounts.
    #[must_use]
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    /// The amount as typed in a form field: `1234,56`.
    #[must_use]
    pub fn input_value(self) -> String {
        format!("{},{:02}", self.0 / 100, (self.0 % 100).abs())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Money {
    /// `1 234,56 €`, with narrow no-break spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, digit) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('\u{202f}');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}{grouped},{:02}\u{a0}€", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn french_display() {
        assert_eq!(Money::from_cents(123_456).to_string(), "1\u{202f}234,56\u{a0}€");
        assert_eq!(Money::from_cents(5).to_string(), "0,05\u{a0}€");
        assert_eq!(Money::from_cents(100_000_000).to_string(), "1\u{202f}000\u{202f}000,00\u{a0}€");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Money::parse("1 234,56"), Ok(Money::from_cents(123_456)));
        assert_eq!(Money::parse("1234.5"), Ok(Money::from_cents(123_450)));
        assert_eq!(Money::parse("80 €"), Ok(Money::from_cents(8_000)));
        assert_eq!(Money::parse("0,5"), Ok(Money::from_cents(50)));
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        assert_eq!(Money::parse("-3"), Err(MoneyError::Negative));
        for bad in ["1,234,5", "12,345", "abc", "1.2.3", ","] {
            assert_eq!(Money::parse(bad), Err(MoneyError::Invalid), "{bad}");
        }
        assert_eq!(Money::parse("99999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(Money::from_cents(168_000).percent(30), Money::from_cents(50_400));
        assert_eq!(Money::from_cents(5).percent(50), Money::from_cents(3));
    }

    proptest! {
        #[test]
        fn input_value_parses_back(cents in 0i64..MAX_CENTS) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&money.input_value()), Ok(money));
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }
    }
}

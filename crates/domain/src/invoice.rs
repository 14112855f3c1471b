//! The company's own invoice, uploaded for a proforma (SPEC F3, F6, F7): checked field by field
//! against what the proforma says before a case manager may approve it for payment.

use crate::money::Money;

/// What the proforma expects of the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The payer's name, as the message names it.
    pub payer: String,
    /// The names accepted for that payer (case and accents ignored).
    pub payer_names: Vec<String>,
    /// The company's SIREN (digits).
    pub siren: String,
    /// Net, VAT and gross of the proforma.
    pub net: Money,
    /// VAT (zero when not subject).
    pub vat: Money,
    /// Gross.
    pub gross: Money,
}

/// What the invoice says: read from its XML, or confirmed by the person for a PDF.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    /// The invoice's own number.
    pub number: String,
    /// Who it is addressed to.
    pub buyer_name: String,
    /// The seller's SIREN, if stated.
    pub seller_siren: Option<String>,
    /// Net.
    pub net: Money,
    /// VAT.
    pub vat: Money,
    /// Gross.
    pub gross: Money,
    /// IBAN to pay, if stated.
    pub iban: Option<String>,
    /// A bank identity statement (RIB) is attached.
    pub rib_attached: bool,
}

/// One way the invoice differs from the proforma; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// No number.
    #[error("Le numéro de la facture manque.")]
    NoNumber,
    /// Addressed to someone else (F6).
    #[error("La facture est adressée à « {found} » ; elle doit l’être à {expected}, le financeur de la pro forma.")]
    Payer {
        /// On the invoice.
        found: String,
        /// Expected.
        expected: String,
    },
    /// Another company's SIREN (F6).
    #[error("Le SIREN de l’émetteur est {found} ; celui de l’entreprise est {expected}.")]
    Siren {
        /// On the invoice.
        found: String,
        /// Expected.
        expected: String,
    },
    /// No SIREN at all.
    #[error("Le SIREN de l’émetteur n’apparaît pas sur la facture.")]
    NoSiren,
    /// An amount differs, with the exact difference.
    #[error("{label} : {found} sur la facture, {expected} sur la pro forma (écart de {difference}).")]
    Amount {
        /// The field (`net`, `vat`, `gross`).
        field: &'static str,
        /// `Montant HT`…
        label: &'static str,
        /// On the invoice.
        found: Money,
        /// Expected.
        expected: Money,
        /// found − expected.
        difference: Money,
    },
    /// Neither IBAN nor RIB (F7).
    #[error("Ni IBAN sur la facture ni RIB joint : indiquez le compte à payer.")]
    NoBankAccount,
}

impl Mismatch {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Mismatch::NoNumber => "number",
            Mismatch::Payer { .. } => "buyer_name",
            Mismatch::Siren { .. } | Mismatch::NoSiren => "seller_siren",
            Mismatch::Amount { field, .. } => field,
            Mismatch::NoBankAccount => "iban",
        }
    }
}

/// Folds case, accents and punctuation so that `FPE-TT` and `fpett`, `Akto` and `AKTO` match.
fn folded(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let base = match c {
                'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
                'î' | 'ï' | 'Î' | 'Ï' => 'i',
                'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
                'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
                'ç' | 'Ç' => 'c',
                c => c,
            };
            base.is_alphanumeric().then(|| base.to_ascii_lowercase())
        })
        .collect()
}

/// Every way `found` differs from `expected`, in reading order; empty when the invoice may be
/// approved. Amounts must be equal to the cent.
#[must_use]
pub fn check(expected: &Expected, found: &Found) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    if found.number.trim().is_empty() {
        mismatches.push(Mismatch::NoNumber);
    }
    let buyer = folded(&found.buyer_name);
    if buyer.is_empty() || !expected.payer_names.iter().any(|n| !folded(n).is_empty() && buyer.contains(&folded(n))) {
        mismatches
            .push(Mismatch::Payer { found: found.buyer_name.trim().to_owned(), expected: expected.payer.clone() });
    }
    match found.seller_siren.as_deref().map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>()) {
        None => mismatches.push(Mismatch::NoSiren),
        Some(siren) if siren.is_empty() => mismatches.push(Mismatch::NoSiren),
        Some(siren) if siren != expected.siren => {
            mismatches.push(Mismatch::Siren { found: siren, expected: expected.siren.clone() });
        }
        Some(_) => {}
    }
    for (field, label, found, expected) in [
        ("net", "Montant HT", found.net, expected.net),
        ("vat", "TVA", found.vat, expected.vat),
        ("gross", "Montant TTC", found.gross, expected.gross),
    ] {
        if found != expected {
            mismatches.push(Mismatch::Amount { field, label, found, expected, difference: found - expected });
        }
    }
    if found.iban.as_deref().is_none_or(|i| i.trim().is_empty()) && !found.rib_attached {
        mismatches.push(Mismatch::NoBankAccount);
    }
    mismatches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            payer: "OPCO Démo".into(),
            payer_names: vec!["OPCO Démo".into()],
            siren: "732829320".into(),
            net: Money::from_cents(280_000),
            vat: Money::from_cents(56_000),
            gross: Money::from_cents(336_000),
        }
    }

    fn good() -> Found {
        Found {
            number: "F-2026-0042".into(),
            buyer_name: "Opco démo — Opérateur de compétences".into(),
            seller_siren: Some("732 829 320".into()),
            net: Money::from_cents(280_000),
            vat: Money::from_cents(56_000),
            gross: Money::from_cents(336_000),
            iban: Some("FR7630006000011234567890189".into()),
            rib_attached: false,
        }
    }

    #[test]
    fn a_matching_invoice_has_no_mismatch() {
        assert_eq!(check(&expected(), &good()), []);
        let with_rib = Found { iban: None, rib_attached: true, ..good() };
        assert_eq!(check(&expected(), &with_rib), []);
    }

    #[test]
    fn each_difference_is_explained_with_its_field_and_the_exact_gap() {
        let found = Found {
            number: " ".into(),
            buyer_name: "FPE-TT".into(),
            seller_siren: Some("552100554".into()),
            net: Money::from_cents(280_001),
            iban: None,
            ..good()
        };
        let mismatches = check(&expected(), &found);
        let fields: Vec<&str> = mismatches.iter().map(Mismatch::field).collect();
        assert_eq!(fields, ["number", "buyer_name", "seller_siren", "net", "iban"]);
        assert_eq!(
            mismatches[3].to_string(),
            "Montant HT : 2\u{202f}800,01\u{a0}€ sur la facture, 2\u{202f}800,00\u{a0}€ sur la pro forma (écart de 0,01\u{a0}€)."
        );
        assert!(mismatches[1].to_string().contains("elle doit l’être à OPCO Démo"));
        assert_eq!(check(&expected(), &Found { seller_siren: None, ..good() })[0], Mismatch::NoSiren);
    }

    #[test]
    fn an_invoice_addressed_to_another_operator_is_refused() {
        let to_other = Found { buyer_name: "AKTO".into(), ..good() };
        let mismatches = check(&expected(), &to_other);
        assert_eq!(mismatches.iter().map(Mismatch::field).collect::<Vec<_>>(), ["buyer_name"]);
    }
}

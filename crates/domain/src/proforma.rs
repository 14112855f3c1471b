//! Proforma invoices (SPEC F3–F7): what the portal pre-fills from validated reimbursement
//! requests for the company to check before issuing its own invoice. One payer (the operator or
//! FPETT, never both) and one public (permanent or temporary, never mixed) per proforma; one or
//! several dossiers; amounts exact to the cent.

use std::collections::HashSet;

use crate::money::Money;

/// The standard French VAT rate, in basis points (20 %).
pub const STANDARD_VAT_BP: i64 = 2000;

/// The VAT on `net` at `rate_bp` basis points, rounded half away from zero to the cent.
///
/// The portal applies it once per rate on the sum of the lines (EN 16931 rule BR-CO-17), not per
/// line: the lines show their net amounts only, so the total VAT is never off by a cent from
/// what the payer recomputes.
#[must_use]
pub fn vat(net: Money, rate_bp: i64) -> Money {
    let product = i128::from(net.cents()) * i128::from(rate_bp);
    let half = 5_000 * product.signum();
    let cents = (product + half) / 10_000;
    Money::from_cents(i64::try_from(cents).unwrap_or(i64::MAX))
}

/// Net, VAT and gross of a proforma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    /// Excluding VAT (HT).
    pub net: Money,
    /// VAT (TVA); zero when the company is not subject to VAT.
    pub vat: Money,
    /// Including VAT (TTC), or net of tax.
    pub gross: Money,
}

/// The amounts of lines whose net amounts are `lines`, for a company `vat_subject` or not
/// (then *net de taxes*).
#[must_use]
pub fn amounts(lines: &[Money], vat_subject: bool) -> Amounts {
    let net = lines.iter().fold(Money::ZERO, |t, l| t + *l);
    let vat = if vat_subject { vat(net, STANDARD_VAT_BP) } else { Money::ZERO };
    Amounts { net, vat, gross: net + vat }
}

/// A validated DR offered for a proforma, with what the choice depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The DR.
    pub reimbursement_id: i64,
    /// Its dossier's payer (`AKTO`, `FPETT`).
    pub payer: String,
    /// Its dossier's public (`permanent`, `temporary`).
    pub public: String,
    /// Its dossier's scheme.
    pub scheme: String,
    /// Already on a proforma.
    pub invoiced: bool,
}

/// Why a selection cannot become a proforma; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Nothing chosen.
    #[error("Cochez au moins une demande de remboursement validée.")]
    Empty,
    /// A DR that is not offered (not validated, another company's, unknown).
    #[error("Une demande choisie n’est pas disponible pour une facture : rechargez la page.")]
    Unavailable,
    /// Already on a proforma.
    #[error("Une demande choisie figure déjà sur une facture pro forma.")]
    AlreadyInvoiced,
    /// F6.
    #[error("Une facture s’adresse à un seul financeur, jamais les deux : faites-en une par financeur.")]
    MixedPayers,
    /// F5.
    #[error("Une facture ne mélange pas salariés permanents et intérimaires : faites-en une par public.")]
    MixedPublics,
    /// F5, per scheme when asked.
    #[error("Vous avez demandé une facture par dispositif : les demandes choisies doivent relever du même.")]
    MixedSchemes,
}

impl SelectionError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            SelectionError::MixedPayers => "payer",
            SelectionError::MixedPublics => "public",
            SelectionError::MixedSchemes => "scheme",
            _ => "reimbursements",
        }
    }
}

/// What a person chose.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// The DR ids ticked.
    pub chosen: &'a [i64],
    /// The payer chosen, if any (else the DR must agree among themselves).
    pub payer: Option<&'a str>,
    /// The public chosen, if any.
    pub public: Option<&'a str>,
    /// One scheme only, if asked.
    pub scheme: Option<&'a str>,
}

/// Checks that the chosen DR may share one proforma: each offered and not yet invoiced, one
/// payer, one public, one scheme when asked. Returns the payer and the public.
///
/// # Errors
/// [`SelectionError`].
pub fn check_selection(
    candidates: &[Candidate],
    selection: &Selection<'_>,
) -> Result<(String, String), SelectionError> {
    let unique: HashSet<i64> = selection.chosen.iter().copied().collect();
    if unique.is_empty() {
        return Err(SelectionError::Empty);
    }
    let mut chosen = Vec::with_capacity(unique.len());
    for id in &unique {
        let candidate = candidates.iter().find(|c| c.reimbursement_id == *id).ok_or(SelectionError::Unavailable)?;
        if candidate.invoiced {
            return Err(SelectionError::AlreadyInvoiced);
        }
        chosen.push(candidate);
    }
    let payer = selection.payer.map_or_else(|| chosen[0].payer.clone(), str::to_owned);
    if chosen.iter().any(|c| c.payer != payer) {
        return Err(SelectionError::MixedPayers);
    }
    let public = selection.public.map_or_else(|| chosen[0].public.clone(), str::to_owned);
    if chosen.iter().any(|c| c.public != public) {
        return Err(SelectionError::MixedPublics);
    }
    if let Some(scheme) = selection.scheme
        && chosen.iter().any(|c| c.scheme != scheme)
    {
        return Err(SelectionError::MixedSchemes);
    }
    Ok((payer, public))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur(cents: i64) -> Money {
        Money::from_cents(cents)
    }

    #[test]
    fn vat_is_rounded_half_away_from_zero_on_the_total() {
        assert_eq!(vat(eur(1_000), STANDARD_VAT_BP), eur(200));
        // 0,03 € × 20 % = 0,006 → 0,01 ; 0,02 € × 20 % = 0,004 → 0,00 ; 0,025 exactly → 0,03 away from zero.
        assert_eq!(vat(eur(3), STANDARD_VAT_BP), eur(1));
        assert_eq!(vat(eur(2), STANDARD_VAT_BP), eur(0));
        assert_eq!(vat(eur(25), 1000), eur(3));
        assert_eq!(vat(eur(-25), 1000), eur(-3));
        // Three lines of 0,03 €: VAT on the sum (0,09 → 0,02), not three times 0,01.
        let a = amounts(&[eur(3), eur(3), eur(3)], true);
        assert_eq!((a.net, a.vat, a.gross), (eur(9), eur(2), eur(11)));
        let exempt = amounts(&[eur(240_000), eur(60_000)], false);
        assert_eq!((exempt.net, exempt.vat, exempt.gross), (eur(300_000), eur(0), eur(300_000)));
    }

    proptest! {
        #[test]
        fn net_plus_vat_is_gross_and_vat_is_within_half_a_cent(lines in proptest::collection::vec(0i64..100_000_000, 1..40), subject: bool) {
            let lines: Vec<Money> = lines.into_iter().map(Money::from_cents).collect();
            let a = amounts(&lines, subject);
            prop_assert_eq!(a.net + a.vat, a.gross);
            prop_assert_eq!(a.net.cents(), lines.iter().map(|l| l.cents()).sum::<i64>());
            if subject {
                // |vat × 10 000 − net × 2 000| ≤ 5 000: the exact VAT, rounded to the nearest cent.
                let exact = i128::from(a.net.cents()) * 2_000;
                prop_assert!((i128::from(a.vat.cents()) * 10_000 - exact).abs() <= 5_000);
            } else {
                prop_assert_eq!(a.vat, Money::ZERO);
            }
        }
    }

    fn candidate(id: i64, payer: &str, public: &str, scheme: &str) -> Candidate {
        Candidate {
            reimbursement_id: id,
            payer: payer.into(),
            public: public.into(),
            scheme: scheme.into(),
            invoiced: false,
        }
    }

    #[test]
    fn one_payer_one_public_and_one_scheme_when_asked() {
        let offered = [
            candidate(1, "AKTO", "temporary", "PDC50"),
            candidate(2, "AKTO", "temporary", "CPNSST"),
            candidate(3, "FPETT", "temporary", "PDC50"),
            candidate(4, "AKTO", "permanent", "PDC50"),
            Candidate { invoiced: true, ..candidate(5, "AKTO", "temporary", "PDC50") },
        ];
        let pick = |chosen: &'static [i64], scheme| Selection { chosen, scheme, ..Selection::default() };
        assert_eq!(check_selection(&offered, &pick(&[1, 2], None)), Ok(("AKTO".into(), "temporary".into())));
        assert_eq!(check_selection(&offered, &pick(&[1, 3], None)), Err(SelectionError::MixedPayers));
        assert_eq!(check_selection(&offered, &pick(&[1, 4], None)), Err(SelectionError::MixedPublics));
        assert_eq!(check_selection(&offered, &pick(&[1, 2], Some("PDC50"))), Err(SelectionError::MixedSchemes));
        assert_eq!(check_selection(&offered, &pick(&[1, 5], None)), Err(SelectionError::AlreadyInvoiced));
        assert_eq!(check_selection(&offered, &pick(&[1, 99], None)), Err(SelectionError::Unavailable));
        assert_eq!(check_selection(&offered, &pick(&[], None)), Err(SelectionError::Empty));
        // A payer chosen in the form must be the DR's.
        let fpett = Selection { chosen: &[1], payer: Some("FPETT"), ..Selection::default() };
        assert_eq!(check_selection(&offered, &fpett), Err(SelectionError::MixedPayers));
        assert_eq!(SelectionError::MixedPublics.field(), "public");
    }
}

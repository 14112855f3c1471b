//! Reimbursement requests (DR): what a company claims on an accepted dossier, by nature, and the
//! checks on a claim and on the case manager's decision (SPEC F1, D8, D9, C5, C6).

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::dossier::DossierStatus;
use crate::money::Money;

/// What an amount of a DR pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nature {
    /// The training provider's costs (*frais pédagogiques*).
    TrainingCosts,
    /// Trainees' pay during training (*rémunérations*).
    Salaries,
    /// Travel, meals, lodging (*frais annexes*).
    AnnexCosts,
    /// The hourly lump sum of a work-study contract (*forfait*).
    LumpSum,
    /// What the lump sum or the commitment does not cover (*dépassement*, *reste à charge*),
    /// claimed in the same dossier (D8).
    Overrun,
}

impl Nature {
    /// Every nature, in the order of the form.
    pub const ALL: [Nature; 5] =
        [Nature::TrainingCosts, Nature::Salaries, Nature::AnnexCosts, Nature::LumpSum, Nature::Overrun];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Nature::TrainingCosts => "training_costs",
            Nature::Salaries => "salaries",
            Nature::AnnexCosts => "annex_costs",
            Nature::LumpSum => "lump_sum",
            Nature::Overrun => "overrun",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Nature::TrainingCosts => "Frais pédagogiques",
            Nature::Salaries => "Rémunérations",
            Nature::AnnexCosts => "Frais annexes",
            Nature::LumpSum => "Forfait",
            Nature::Overrun => "Dépassement (reste à charge)",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.code() == code)
    }

    /// Whether the nature is claimed on `kind` of dossier: the lump sum belongs to work-study
    /// contracts, costs to training actions; the overrun to both.
    #[must_use]
    pub fn applies_to(self, contract: bool) -> bool {
        match self {
            Nature::LumpSum => contract,
            Nature::TrainingCosts | Nature::Salaries | Nature::AnnexCosts => !contract,
            Nature::Overrun => true,
        }
    }
}

/// Where a DR stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrStatus {
    /// Sent, waiting for a case manager.
    Submitted,
    /// The case manager asked for more.
    InfoRequested,
    /// Validated for an amount (possibly less than claimed): awaits its invoice.
    Validated,
    /// Refused.
    Refused,
    /// Validated, and the transfer paying its invoice is issued. Never stored: derived from the
    /// transfers ([`DrStatus::settled`]), so a returned transfer makes it validated again.
    Paid,
}

impl DrStatus {
    /// Every status.
    pub const ALL: [DrStatus; 5] =
        [DrStatus::Submitted, DrStatus::InfoRequested, DrStatus::Validated, DrStatus::Paid, DrStatus::Refused];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            DrStatus::Submitted => "submitted",
            DrStatus::InfoRequested => "info_requested",
            DrStatus::Validated => "validated",
            DrStatus::Refused => "refused",
            DrStatus::Paid => "paid",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            DrStatus::Submitted => "soumise",
            DrStatus::InfoRequested => "en attente de complément",
            DrStatus::Validated => "validée",
            DrStatus::Refused => "refusée",
            DrStatus::Paid => "payée",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the DR still counts against the dossier's commitment (not refused).
    #[must_use]
    pub fn counts(self) -> bool {
        self != DrStatus::Refused
    }

    /// The status shown, once the money is known: a validated DR whose invoice a transfer pays
    /// is paid; anything else is as stored.
    #[must_use]
    pub fn settled(self, paid: bool) -> DrStatus {
        if self == DrStatus::Validated && paid { DrStatus::Paid } else { self }
    }
}

/// One amount claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// What for.
    pub nature: Nature,
    /// How much.
    pub amount: Money,
}

/// What the checks of a claim need to know of its dossier.
#[derive(Debug, Clone, Copy)]
pub struct DossierFacts {
    /// Its status.
    pub status: DossierStatus,
    /// A work-study contract rather than a training action.
    pub contract: bool,
    /// Its scheme is the contrat de professionnalisation (D9).
    pub professionalisation: bool,
    /// Last day of training.
    pub training_end: NaiveDate,
    /// The amount the operator committed.
    pub committed: Money,
    /// The training's cost.
    pub cost: Money,
    /// What earlier DR not refused already claim (overrun excluded).
    pub already_claimed: Money,
    /// What earlier DR not refused already claim as overrun.
    pub overrun_claimed: Money,
}

/// Why a claim is refused; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// The dossier is not accepted.
    #[error("Une demande de remboursement se dépose sur un dossier accepté (celui-ci est {0}).")]
    DossierNotAccepted(&'static str),
    /// No amount.
    #[error("Indiquez au moins un montant à rembourser.")]
    Empty,
    /// The same nature twice.
    #[error("« {0} » figure deux fois : regroupez le montant sur une seule ligne.")]
    Repeated(&'static str),
    /// A nature that does not belong to the dossier.
    #[error("« {0} » ne se demande pas sur ce type de dossier.")]
    NatureNotApplicable(&'static str),
    /// A training action is claimed before its end.
    #[error("La formation se termine le {0} : la demande de remboursement se dépose après la fin de la formation.")]
    BeforeEnd(String),
    /// D9: the overrun of a contrat de professionnalisation at the end only.
    #[error(
        "Le dépassement d’un contrat de professionnalisation se demande à la fin de la formation (le {0}), le cas échéant avec le dernier forfait."
    )]
    OverrunBeforeEnd(String),
    /// More than what remains of the commitment.
    #[error(
        "Le montant demandé ({asked}) dépasse ce qui reste de l’engagement ({left}). Le surplus se demande en dépassement."
    )]
    BeyondCommitment {
        /// Asked, overrun excluded.
        asked: Money,
        /// What remains.
        left: Money,
    },
    /// An overrun beyond the cost not committed.
    #[error("Le dépassement demandé ({asked}) dépasse la part du coût non couverte par l’engagement ({left}).")]
    OverrunBeyondCost {
        /// Asked.
        asked: Money,
        /// What remains of the cost.
        left: Money,
    },
    /// No supporting document.
    #[error("Joignez au moins un justificatif (certificat de réalisation ou feuilles d’émargement).")]
    NoDocument,
    /// C5, C6: outside the budget's window.
    #[error("Les demandes sur « {budget} » {window} (règle {rule}).")]
    BudgetClosed {
        /// The budget's label.
        budget: String,
        /// When they are accepted, in French.
        window: String,
        /// C5 or C6.
        rule: String,
    },
}

impl ClaimError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            ClaimError::DossierNotAccepted(_) | ClaimError::BeforeEnd(_) => "dossier",
            ClaimError::Empty | ClaimError::Repeated(_) | ClaimError::NatureNotApplicable(_) => "lines",
            ClaimError::BeyondCommitment { .. } => "lines",
            ClaimError::OverrunBeforeEnd(_) | ClaimError::OverrunBeyondCost { .. } => "overrun",
            ClaimError::NoDocument => "documents",
            ClaimError::BudgetClosed { .. } => "budget",
        }
    }
}

/// Why a case manager cannot validate an amount on a DR (SPEC Q2): what the dossier still has,
/// the other DR counted, is less.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Le montant validé ({validated}) dépasse ce qui reste à rembourser sur ce dossier, les autres demandes comptées ({left}) : validez au plus {left}."
)]
pub struct BeyondRemaining {
    /// The amount the case manager would validate.
    pub validated: Money,
    /// The most that fits.
    pub left: Money,
}

impl BeyondRemaining {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        "amount"
    }
}

/// Checks, at validation time, that `validated` on a DR claiming `claimed` still fits the
/// dossier: its share of the commitment (up to what it claimed outside the overrun) within
/// what the other DR leave of the commitment, the rest within the cost not committed.
/// `others` counts every other DR not refused, this one excluded.
///
/// # Errors
/// [`BeyondRemaining`] with the most that fits.
pub fn check_validation(others: &DossierFacts, claimed: &[Line], validated: Money) -> Result<(), BeyondRemaining> {
    let claimed_overrun = claimed.iter().filter(|l| l.nature == Nature::Overrun).fold(Money::ZERO, |t, l| t + l.amount);
    let claimed_rest = claimed.iter().filter(|l| l.nature != Nature::Overrun).fold(Money::ZERO, |t, l| t + l.amount);
    let floor = |m: Money| if m > Money::ZERO { m } else { Money::ZERO };
    let left_commitment = floor(others.committed - others.already_claimed);
    let left_overrun = floor(others.cost - others.committed - others.overrun_claimed);
    // The most that fits: the commitment part up to what was claimed outside the overrun, then
    // the overrun part up to what was claimed as overrun.
    let most = claimed_rest.min(left_commitment) + claimed_overrun.min(left_overrun);
    let rest = claimed_rest.min(validated);
    let over = validated - rest;
    if rest > left_commitment || over > left_overrun || validated > most {
        return Err(BeyondRemaining { validated, left: most });
    }
    Ok(())
}

fn fr(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Checks a claim made on `today` with `documents` supporting documents; returns the total
/// claimed. The budget window (C5, C6) is checked by the rule calendar.
///
/// # Errors
/// The first [`ClaimError`] found, in the order a person reads the form.
pub fn check_claim(
    facts: &DossierFacts,
    lines: &[Line],
    documents: usize,
    today: NaiveDate,
) -> Result<Money, ClaimError> {
    if !matches!(facts.status, DossierStatus::Accepted | DossierStatus::InProgress | DossierStatus::Reimbursement) {
        return Err(ClaimError::DossierNotAccepted(facts.status.label()));
    }
    let lines: Vec<Line> = lines.iter().copied().filter(|l| l.amount != Money::ZERO).collect();
    if lines.is_empty() || lines.iter().any(|l| l.amount < Money::ZERO) {
        return Err(ClaimError::Empty);
    }
    let mut seen = HashSet::new();
    for line in &lines {
        if !seen.insert(line.nature) {
            return Err(ClaimError::Repeated(line.nature.label()));
        }
        if !line.nature.applies_to(facts.contract) {
            return Err(ClaimError::NatureNotApplicable(line.nature.label()));
        }
    }
    let ended = today > facts.training_end;
    // A training action is paid back once done; a contract by instalments along the way.
    if !facts.contract && !ended {
        return Err(ClaimError::BeforeEnd(fr(facts.training_end)));
    }
    let overrun = lines.iter().filter(|l| l.nature == Nature::Overrun).fold(Money::ZERO, |t, l| t + l.amount);
    let asked = lines.iter().filter(|l| l.nature != Nature::Overrun).fold(Money::ZERO, |t, l| t + l.amount);
    if overrun > Money::ZERO && facts.professionalisation && !ended {
        return Err(ClaimError::OverrunBeforeEnd(fr(facts.training_end)));
    }
    let left =
        if facts.committed > facts.already_claimed { facts.committed - facts.already_claimed } else { Money::ZERO };
    if asked > left {
        return Err(ClaimError::BeyondCommitment { asked, left });
    }
    let uncovered = facts.cost - facts.committed - facts.overrun_claimed;
    let uncovered = if uncovered > Money::ZERO { uncovered } else { Money::ZERO };
    if overrun > uncovered {
        return Err(ClaimError::OverrunBeyondCost { asked: overrun, left: uncovered });
    }
    if documents == 0 {
        return Err(ClaimError::NoDocument);
    }
    Ok(asked + overrun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn only_a_validated_request_is_paid_by_its_transfer_and_paid_is_never_a_stored_code_of_another() {
        assert_eq!(DrStatus::Validated.settled(true), DrStatus::Paid);
        assert_eq!(DrStatus::Validated.settled(false), DrStatus::Validated);
        assert_eq!(DrStatus::Submitted.settled(true), DrStatus::Submitted);
        assert_eq!(DrStatus::Refused.settled(true), DrStatus::Refused);
        assert!(DrStatus::Paid.counts(), "a paid request still takes its share of the commitment");
        assert_eq!(DrStatus::from_code("paid"), Some(DrStatus::Paid));
        assert_eq!(DrStatus::Paid.label(), "payée");
    }

    fn eur(cents: i64) -> Money {
        Money::from_cents(cents)
    }

    #[test]
    fn a_validation_fits_what_the_other_dr_leave() {
        let lines = [Line { nature: Nature::TrainingCosts, amount: eur(30_000) }];
        // 2 400,00 € committed, 2 300,00 € held by others: 100,00 € left.
        let others = DossierFacts { already_claimed: eur(230_000), ..pdc50() };
        assert_eq!(
            check_validation(&others, &lines, eur(30_000)),
            Err(BeyondRemaining { validated: eur(30_000), left: eur(10_000) })
        );
        assert_eq!(check_validation(&others, &lines, eur(10_000)), Ok(()));
        assert_eq!(check_validation(&pdc50(), &lines, eur(30_000)), Ok(()));
        // Overrun validated within the uncovered cost (600,00 €), not beyond.
        let with_overrun = [
            Line { nature: Nature::TrainingCosts, amount: eur(240_000) },
            Line { nature: Nature::Overrun, amount: eur(60_000) },
        ];
        assert_eq!(check_validation(&pdc50(), &with_overrun, eur(300_000)), Ok(()));
        let overrun_used = DossierFacts { overrun_claimed: eur(50_000), ..pdc50() };
        assert_eq!(
            check_validation(&overrun_used, &with_overrun, eur(300_000)),
            Err(BeyondRemaining { validated: eur(300_000), left: eur(250_000) })
        );
        let err = check_validation(&others, &lines, eur(30_000)).unwrap_err();
        assert!(err.to_string().contains("validez au plus 100,00"), "{err}");
    }

    fn pdc50() -> DossierFacts {
        DossierFacts {
            status: DossierStatus::Accepted,
            contract: false,
            professionalisation: false,
            training_end: d(2026, 2, 6),
            committed: eur(240_000),
            cost: eur(300_000),
            already_claimed: Money::ZERO,
            overrun_claimed: Money::ZERO,
        }
    }

    fn pro() -> DossierFacts {
        DossierFacts { contract: true, professionalisation: true, training_end: d(2026, 9, 30), ..pdc50() }
    }

    fn line(nature: Nature, cents: i64) -> Line {
        Line { nature, amount: eur(cents) }
    }

    #[test]
    fn a_training_action_is_claimed_the_day_after_its_end() {
        let lines = [line(Nature::TrainingCosts, 200_000), line(Nature::Salaries, 40_000)];
        assert_eq!(check_claim(&pdc50(), &lines, 1, d(2026, 2, 6)), Err(ClaimError::BeforeEnd("06/02/2026".into())));
        assert_eq!(check_claim(&pdc50(), &lines, 1, d(2026, 2, 7)), Ok(eur(240_000)));
    }

    #[test]
    fn only_accepted_dossiers_are_claimed() {
        let facts = DossierFacts { status: DossierStatus::Submitted, ..pdc50() };
        let err = check_claim(&facts, &[line(Nature::TrainingCosts, 100)], 1, d(2026, 3, 1)).unwrap_err();
        assert_eq!((err.field(), err), ("dossier", ClaimError::DossierNotAccepted("soumis")));
    }

    #[test]
    fn the_commitment_bounds_the_claim_and_the_overrun_takes_the_rest() {
        let today = d(2026, 3, 1);
        let over = check_claim(&pdc50(), &[line(Nature::TrainingCosts, 240_001)], 1, today).unwrap_err();
        assert_eq!(over, ClaimError::BeyondCommitment { asked: eur(240_001), left: eur(240_000) });
        // D8: the rest of the cost is an overrun in the same dossier.
        let lines = [line(Nature::TrainingCosts, 240_000), line(Nature::Overrun, 60_000)];
        assert_eq!(check_claim(&pdc50(), &lines, 1, today), Ok(eur(300_000)));
        let lines = [line(Nature::TrainingCosts, 240_000), line(Nature::Overrun, 60_001)];
        assert_eq!(
            check_claim(&pdc50(), &lines, 1, today),
            Err(ClaimError::OverrunBeyondCost { asked: eur(60_001), left: eur(60_000) })
        );
        // What earlier requests claimed is taken off.
        let facts = DossierFacts { already_claimed: eur(200_000), overrun_claimed: eur(50_000), ..pdc50() };
        assert_eq!(
            check_claim(&facts, &[line(Nature::Salaries, 40_001)], 1, today),
            Err(ClaimError::BeyondCommitment { asked: eur(40_001), left: eur(40_000) })
        );
        assert_eq!(
            check_claim(&facts, &[line(Nature::Overrun, 10_001)], 1, today),
            Err(ClaimError::OverrunBeyondCost { asked: eur(10_001), left: eur(10_000) })
        );
    }

    #[test]
    fn d9_a_professionalisation_contract_claims_lump_sums_along_the_way_and_the_overrun_at_the_end() {
        let instalment = [line(Nature::LumpSum, 100_000)];
        assert_eq!(check_claim(&pro(), &instalment, 1, d(2026, 4, 1)), Ok(eur(100_000)));
        let last = [line(Nature::LumpSum, 140_000), line(Nature::Overrun, 60_000)];
        assert_eq!(
            check_claim(&pro(), &last, 1, d(2026, 9, 30)),
            Err(ClaimError::OverrunBeforeEnd("30/09/2026".into()))
        );
        // One single DR at the end claims the last lump sum and the overrun together.
        assert_eq!(check_claim(&pro(), &last, 1, d(2026, 10, 1)), Ok(eur(200_000)));
    }

    #[test]
    fn natures_follow_the_kind_of_dossier_and_appear_once() {
        let today = d(2026, 10, 1);
        assert_eq!(
            check_claim(&pdc50(), &[line(Nature::LumpSum, 100)], 1, today),
            Err(ClaimError::NatureNotApplicable("Forfait"))
        );
        assert_eq!(
            check_claim(&pro(), &[line(Nature::TrainingCosts, 100)], 1, today),
            Err(ClaimError::NatureNotApplicable("Frais pédagogiques"))
        );
        assert_eq!(
            check_claim(&pdc50(), &[line(Nature::Salaries, 100), line(Nature::Salaries, 100)], 1, today),
            Err(ClaimError::Repeated("Rémunérations"))
        );
        assert_eq!(check_claim(&pdc50(), &[line(Nature::Salaries, 0)], 1, today), Err(ClaimError::Empty));
        assert_eq!(check_claim(&pdc50(), &[line(Nature::Salaries, -5)], 1, today), Err(ClaimError::Empty));
    }

    #[test]
    fn a_supporting_document_is_required() {
        let err = check_claim(&pdc50(), &[line(Nature::Salaries, 100)], 0, d(2026, 3, 1)).unwrap_err();
        assert_eq!((err.field(), err), ("documents", ClaimError::NoDocument));
    }

    #[test]
    fn codes_round_trip() {
        for n in Nature::ALL {
            assert_eq!(Nature::from_code(n.code()), Some(n));
        }
        for s in DrStatus::ALL {
            assert_eq!(DrStatus::from_code(s.code()), Some(s));
        }
    }
}

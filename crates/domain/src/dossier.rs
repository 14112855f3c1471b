//! Training dossiers, work-study contracts and fund reservations (DRF): their states, the moves
//! between them, and the checks on what a company files and what a case manager decides
//! (SPEC D1–D6, C4).

use chrono::NaiveDate;

use crate::money::Money;

/// Where a dossier stands (SPEC D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DossierStatus {
    /// Kept by the company, not sent.
    Draft,
    /// Sent, waiting for a case manager.
    Submitted,
    /// The case manager asked for more (*relance*).
    InfoRequested,
    /// Accepted, an amount committed.
    Accepted,
    /// Refused.
    Refused,
    /// Training under way.
    InProgress,
    /// Reimbursement claimed.
    Reimbursement,
    /// Paid.
    Paid,
    /// Closed.
    Closed,
}

impl DossierStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [DossierStatus; 9] = [
        DossierStatus::Draft,
        DossierStatus::Submitted,
        DossierStatus::InfoRequested,
        DossierStatus::Accepted,
        DossierStatus::Refused,
        DossierStatus::InProgress,
        DossierStatus::Reimbursement,
        DossierStatus::Paid,
        DossierStatus::Closed,
    ];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            DossierStatus::Draft => "draft",
            DossierStatus::Submitted => "submitted",
            DossierStatus::InfoRequested => "info_requested",
            DossierStatus::Accepted => "accepted",
            DossierStatus::Refused => "refused",
            DossierStatus::InProgress => "in_progress",
            DossierStatus::Reimbursement => "reimbursement",
            DossierStatus::Paid => "paid",
            DossierStatus::Closed => "closed",
        }
    }

    /// The one French label used everywhere (DESIGN.md).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            DossierStatus::Draft => "brouillon",
            DossierStatus::Submitted => "soumis",
            DossierStatus::InfoRequested => "en attente de complément",
            DossierStatus::Accepted => "accepté",
            DossierStatus::Refused => "refusé",
            DossierStatus::InProgress => "en cours",
            DossierStatus::Reimbursement => "remboursement",
            DossierStatus::Paid => "payé",
            DossierStatus::Closed => "clos",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether a case manager still has to act.
    #[must_use]
    pub fn awaits_staff(self) -> bool {
        self == DossierStatus::Submitted
    }

    /// The status shown, once the money is known: an accepted dossier whose `validated`
    /// reimbursement requests are all `paid` (at least one) is paid; until then, or again once
    /// the bank returns a transfer, it is as stored. Never stored itself, so the company may
    /// still claim what its commitment leaves.
    #[must_use]
    pub fn settled(self, validated: usize, paid: usize) -> DossierStatus {
        let open = matches!(self, DossierStatus::Accepted | DossierStatus::InProgress | DossierStatus::Reimbursement);
        if open && validated > 0 && paid >= validated { DossierStatus::Paid } else { self }
    }
}

/// A decision of a case manager on a submitted dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accept and commit `amount` (possibly less than asked, then with a reason).
    Accept {
        /// The amount committed.
        amount: Money,
        /// Why less than asked.
        reason: Option<String>,
    },
    /// Refuse, with a reason.
    Refuse {
        /// Why.
        reason: String,
    },
    /// Ask for more information by `due_on`.
    RequestInfo {
        /// What is missing.
        message: String,
        /// By when.
        due_on: NaiveDate,
    },
}

/// Why a decision is refused; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// Only submitted dossiers are decided.
    #[error("Ce dossier n’attend pas de décision (il est {0}).")]
    NotAwaiting(&'static str),
    /// Zero committed.
    #[error("Le montant accordé doit être supérieur à zéro ; pour ne rien accorder, refusez le dossier.")]
    NothingCommitted,
    /// More than asked.
    #[error("Le montant accordé ({granted}) ne peut pas dépasser le montant demandé ({asked}).")]
    MoreThanAsked {
        /// Granted.
        granted: Money,
        /// Asked.
        asked: Money,
    },
    /// Less than asked without a reason.
    #[error("Expliquez pourquoi le montant accordé est inférieur au montant demandé.")]
    ReasonForLess,
    /// Refusal without a reason.
    #[error("Indiquez le motif du refus : il est transmis à l’entreprise.")]
    ReasonRequired,
    /// Information request without a message.
    #[error("Indiquez ce qui manque au dossier.")]
    MessageRequired,
    /// A due date in the past.
    #[error("La date limite de réponse doit être postérieure à aujourd’hui.")]
    DueDateInPast,
}

impl DecisionError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            DecisionError::NotAwaiting(_) => "decision",
            DecisionError::NothingCommitted | DecisionError::MoreThanAsked { .. } => "amount",
            DecisionError::ReasonForLess | DecisionError::ReasonRequired => "reason",
            DecisionError::MessageRequired => "message",
            DecisionError::DueDateInPast => "due_on",
        }
    }
}

impl Decision {
    /// Checks a decision on a dossier in `status` that asked for `requested`, on `today`; returns
    /// the status it leads to.
    ///
    /// # Errors
    /// [`DecisionError`].
    pub fn check(
        &self,
        status: DossierStatus,
        requested: Money,
        today: NaiveDate,
    ) -> Result<DossierStatus, DecisionError> {
        if !status.awaits_staff() {
            return Err(DecisionError::NotAwaiting(status.label()));
        }
        self.check_content(requested, today)?;
        Ok(match self {
            Decision::Accept { .. } => DossierStatus::Accepted,
            Decision::Refuse { .. } => DossierStatus::Refused,
            Decision::RequestInfo { .. } => DossierStatus::InfoRequested,
        })
    }

    /// Checks what the decision says, whatever it is taken on (a dossier, a DR): an amount
    /// above zero and at most `requested`, a reason when less or refused, a message and a due
    /// date after `today` for an information request.
    ///
    /// # Errors
    /// [`DecisionError`].
    pub fn check_content(&self, requested: Money, today: NaiveDate) -> Result<(), DecisionError> {
        match self {
            Decision::Accept { amount, reason } => {
                if *amount <= Money::ZERO {
                    return Err(DecisionError::NothingCommitted);
                }
                if *amount > requested {
                    return Err(DecisionError::MoreThanAsked { granted: *amount, asked: requested });
                }
                if *amount < requested && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    return Err(DecisionError::ReasonForLess);
                }
                Ok(())
            }
            Decision::Refuse { reason } if reason.trim().is_empty() => Err(DecisionError::ReasonRequired),
            Decision::RequestInfo { message, .. } if message.trim().is_empty() => Err(DecisionError::MessageRequired),
            Decision::RequestInfo { due_on, .. } if *due_on <= today => Err(DecisionError::DueDateInPast),
            Decision::Refuse { .. } | Decision::RequestInfo { .. } => Ok(()),
        }
    }
}

/// Most trainees on one dossier (SPEC D2).
pub const MAX_TRAINEES: usize = 30;

/// Why a dossier cannot be saved or submitted; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DossierError {
    /// D2.
    #[error(
        "{count} stagiaires : un dossier en compte {max} au plus (règle D2). Gardez-en {max} ici, enregistrez, puis utilisez « Dupliquer » pour déposer les autres dans un nouveau dossier."
    )]
    TooManyTrainees {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// No trainee on a submitted dossier.
    #[error("Ajoutez au moins un stagiaire avant de déposer le dossier.")]
    NoTrainee,
    /// End before start.
    #[error("La date de fin ({}) est antérieure à la date de début ({}).", .end.format("%d/%m/%Y"), .start.format("%d/%m/%Y"))]
    DatesOutOfOrder {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
    /// Hours outside the scheme's bounds.
    #[error("Ce dispositif demande entre {min} et {max} heures de formation ({hours} saisies).")]
    HoursOutOfBounds {
        /// Hours given.
        hours: i64,
        /// Fewest.
        min: i64,
        /// Most.
        max: i64,
    },
    /// Zero hours.
    #[error("Indiquez la durée de la formation en heures (un nombre entier supérieur à zéro).")]
    NoHours,
    /// More asked than the training costs.
    #[error("Le montant demandé ({asked}) dépasse le coût de la formation ({cost}).")]
    AskedMoreThanCost {
        /// Asked.
        asked: Money,
        /// Cost.
        cost: Money,
    },
}

impl DossierError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            DossierError::TooManyTrainees { .. } | DossierError::NoTrainee => "trainees",
            DossierError::DatesOutOfOrder { .. } => "training_end",
            DossierError::HoursOutOfBounds { .. } | DossierError::NoHours => "hours",
            DossierError::AskedMoreThanCost { .. } => "requested",
        }
    }
}

/// Checks the count of trainees (D2).
///
/// # Errors
/// [`DossierError::TooManyTrainees`], or [`DossierError::NoTrainee`] when `submitting`.
pub fn check_trainees(count: usize, max: usize, submitting: bool) -> Result<(), DossierError> {
    let max = max.min(MAX_TRAINEES);
    if count > max {
        return Err(DossierError::TooManyTrainees { count, max });
    }
    if submitting && count == 0 {
        return Err(DossierError::NoTrainee);
    }
    Ok(())
}

/// Checks dates and hours of a training.
///
/// # Errors
/// [`DossierError`].
pub fn check_training(
    start: NaiveDate,
    end: NaiveDate,
    hours: i64,
    bounds: Option<(i64, i64)>,
) -> Result<(), DossierError> {
    if end < start {
        return Err(DossierError::DatesOutOfOrder { start, end });
    }
    if hours <= 0 {
        return Err(DossierError::NoHours);
    }
    if let Some((min, max)) = bounds
        && !(min..=max).contains(&hours)
    {
        return Err(DossierError::HoursOutOfBounds { hours, min, max });
    }
    Ok(())
}

/// Checks the amount asked against the cost.
///
/// # Errors
/// [`DossierError::AskedMoreThanCost`].
pub fn check_amounts(cost: Money, asked: Money) -> Result<(), DossierError> {
    if asked > cost { Err(DossierError::AskedMoreThanCost { asked, cost }) } else { Ok(()) }
}

/// Where a DRF stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrfStatus {
    /// Kept by the company.
    Draft,
    /// Sent, waiting for validation.
    Submitted,
    /// Validated, funds reserved until its end of validity.
    Validated,
    /// Refused.
    Refused,
    /// Past its validity unused; funds released.
    Expired,
    /// Turned into a contract dossier.
    Used,
}

impl DrfStatus {
    /// Every status.
    pub const ALL: [DrfStatus; 6] = [
        DrfStatus::Draft,
        DrfStatus::Submitted,
        DrfStatus::Validated,
        DrfStatus::Refused,
        DrfStatus::Expired,
        DrfStatus::Used,
    ];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            DrfStatus::Draft => "draft",
            DrfStatus::Submitted => "submitted",
            DrfStatus::Validated => "validated",
            DrfStatus::Refused => "refused",
            DrfStatus::Expired => "expired",
            DrfStatus::Used => "used",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            DrfStatus::Draft => "brouillon",
            DrfStatus::Submitted => "soumise",
            DrfStatus::Validated => "validée",
            DrfStatus::Refused => "refusée",
            DrfStatus::Expired => "expirée",
            DrfStatus::Used => "transformée en dossier",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Why a DRF cannot be turned into a dossier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrfUseError {
    /// Not validated.
    #[error("Seule une réservation de fonds validée peut devenir un dossier (celle-ci est {0}).")]
    NotValidated(&'static str),
    /// C4.
    #[error("Cette réservation de fonds a expiré le {} : elle ne peut plus être utilisée (règle C4). Déposez une nouvelle demande.", .0.format("%d/%m/%Y"))]
    Expired(NaiveDate),
}

/// Whether a DRF can be used on `today`: validated and `today` within its validity (C4).
///
/// # Errors
/// [`DrfUseError`].
pub fn check_drf_usable(
    status: DrfStatus,
    valid_until: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), DrfUseError> {
    match (status, valid_until) {
        (DrfStatus::Validated, Some(until)) if today > until => Err(DrfUseError::Expired(until)),
        (DrfStatus::Validated, _) => Ok(()),
        (DrfStatus::Expired, Some(until)) => Err(DrfUseError::Expired(until)),
        (other, _) => Err(DrfUseError::NotValidated(other.label())),
    }
}

/// What a validated DRF reserved: the terms its dossier keeps (SPEC C4 and the reservation's
/// purpose). The payer and public follow from the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The scheme code (`CIPI`, `CDPI`).
    pub scheme: String,
    /// The trainee named on the reservation.
    pub trainee: String,
    /// First day of training reserved.
    pub training_start: NaiveDate,
    /// Last day of training reserved.
    pub training_end: NaiveDate,
    /// The amount reserved.
    pub amount: Money,
    /// Last day the reservation may be used (C4).
    pub valid_until: Option<NaiveDate>,
}

/// What the company proposes for a dossier made from a DRF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed<'a> {
    /// The scheme chosen.
    pub scheme: &'a str,
    /// The trainees, one name per entry (« prénom nom »).
    pub trainees: &'a [String],
    /// First day of training.
    pub training_start: Option<NaiveDate>,
    /// Last day of training.
    pub training_end: Option<NaiveDate>,
    /// The amount asked.
    pub requested: Option<Money>,
}

/// Why a dossier made from a DRF departs from what was reserved; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservedTermError {
    /// Another scheme than the one reserved.
    #[error(
        "Ce dossier vient d’une réservation de fonds {0} : il garde ce dispositif (et son financeur). Pour un autre dispositif, déposez une nouvelle demande."
    )]
    Scheme(String),
    /// Another trainee than the one reserved.
    #[error("La réservation de fonds a été accordée pour {0} : le dossier porte sur ce stagiaire, et lui seul.")]
    Trainee(String),
    /// Dates outside those reserved.
    #[error("La formation doit rester dans les dates réservées, du {} au {} : pour d’autres dates, déposez une nouvelle réservation de fonds.", .0.format("%d/%m/%Y"), .1.format("%d/%m/%Y"))]
    Dates(NaiveDate, NaiveDate),
    /// More than the amount reserved.
    #[error(
        "Le montant demandé ({asked}) dépasse le montant réservé ({reserved}) : demandez au plus ce qui a été réservé, ou déposez une nouvelle réservation de fonds."
    )]
    Amount {
        /// Asked.
        asked: Money,
        /// Reserved.
        reserved: Money,
    },
}

impl ReservedTermError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            ReservedTermError::Scheme(_) => "scheme",
            ReservedTermError::Trainee(_) => "trainees",
            ReservedTermError::Dates(..) => "training_start",
            ReservedTermError::Amount { .. } => "requested",
        }
    }
}

/// Compares two names whatever their case and spacing.
fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    fold(a) == fold(b)
}

/// Checks that a dossier made from a DRF keeps what was reserved: same scheme, the one trainee
/// reserved, dates inside those reserved, no more than the amount reserved. Anything else is a
/// new filing, judged as such.
#[must_use]
pub fn check_reserved_terms(reserved: &Reserved, proposed: &Proposed<'_>) -> Vec<ReservedTermError> {
    let mut errors = Vec::new();
    if proposed.scheme != reserved.scheme {
        errors.push(ReservedTermError::Scheme(reserved.scheme.clone()));
    }
    if !matches!(proposed.trainees, [only] if same_name(only, &reserved.trainee)) {
        errors.push(ReservedTermError::Trainee(reserved.trainee.clone()));
    }
    let inside = |d: Option<NaiveDate>| d.is_none_or(|d| d >= reserved.training_start && d <= reserved.training_end);
    if !inside(proposed.training_start) || !inside(proposed.training_end) {
        errors.push(ReservedTermError::Dates(reserved.training_start, reserved.training_end));
    }
    if let Some(asked) = proposed.requested
        && asked > reserved.amount
    {
        errors.push(ReservedTermError::Amount { asked, reserved: reserved.amount });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserved() -> Reserved {
        Reserved {
            scheme: "CIPI".into(),
            trainee: "Yasmine Benali".into(),
            training_start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            training_end: NaiveDate::from_ymd_opt(2026, 5, 29).unwrap(),
            amount: Money::from_cents(617_400),
            valid_until: NaiveDate::from_ymd_opt(2026, 2, 28),
        }
    }

    #[test]
    fn a_dossier_from_a_drf_keeps_what_was_reserved() {
        let trainees = vec!["yasmine  BENALI".to_owned()];
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        let keep = Proposed {
            scheme: "CIPI",
            trainees: &trainees,
            training_start: d(3, 2),
            training_end: d(5, 29),
            requested: Some(Money::from_cents(617_400)),
        };
        assert!(check_reserved_terms(&reserved(), &keep).is_empty());
        let narrower =
            Proposed { training_start: d(3, 9), requested: Some(Money::from_cents(500_000)), ..keep.clone() };
        assert!(check_reserved_terms(&reserved(), &narrower).is_empty(), "less is fine");
        let other = vec!["Léa Moreau".to_owned()];
        let changed = Proposed {
            scheme: "PDC50",
            trainees: &other,
            training_end: d(6, 1),
            requested: Some(Money::from_cents(617_401)),
            ..keep.clone()
        };
        let fields: Vec<&str> =
            check_reserved_terms(&reserved(), &changed).iter().map(ReservedTermError::field).collect();
        assert_eq!(fields, ["scheme", "trainees", "training_start", "requested"]);
        let two = vec!["Yasmine Benali".to_owned(), "Léa Moreau".to_owned()];
        assert_eq!(
            check_reserved_terms(&reserved(), &Proposed { trainees: &two, ..keep }),
            [ReservedTermError::Trainee("Yasmine Benali".into())]
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_dossier_is_paid_once_every_validated_request_is_paid_and_no_longer_when_one_comes_back() {
        use DossierStatus::*;
        assert_eq!(Reimbursement.settled(2, 2), Paid);
        assert_eq!(Reimbursement.settled(2, 1), Reimbursement, "one request still awaits its transfer");
        assert_eq!(Reimbursement.settled(0, 0), Reimbursement);
        assert_eq!(Accepted.settled(1, 1), Paid);
        assert_eq!(Refused.settled(1, 1), Refused);
        assert_eq!(Closed.settled(1, 1), Closed);
    }

    #[test]
    fn d2_thirty_trainees_at_most_and_the_message_offers_duplication() {
        assert_eq!(check_trainees(30, 30, true), Ok(()));
        let err = check_trainees(31, 30, true).unwrap_err();
        assert!(err.to_string().contains("Dupliquer") && err.to_string().contains("31"));
        assert_eq!(err.field(), "trainees");
        assert_eq!(check_trainees(0, 30, false), Ok(()), "a draft may have none yet");
        assert_eq!(check_trainees(0, 30, true), Err(DossierError::NoTrainee));
        assert!(matches!(check_trainees(2, 1, true), Err(DossierError::TooManyTrainees { max: 1, .. })));
    }

    #[test]
    fn dates_hours_and_amounts() {
        assert!(matches!(
            check_training(d(2026, 3, 2), d(2026, 3, 1), 10, None),
            Err(DossierError::DatesOutOfOrder { .. })
        ));
        assert_eq!(check_training(d(2026, 3, 1), d(2026, 3, 1), 7, None), Ok(()));
        assert_eq!(check_training(d(2026, 3, 1), d(2026, 3, 1), 0, None), Err(DossierError::NoHours));
        assert_eq!(
            check_training(d(2026, 3, 1), d(2026, 6, 1), 69, Some((70, 245))),
            Err(DossierError::HoursOutOfBounds { hours: 69, min: 70, max: 245 })
        );
        assert_eq!(check_training(d(2026, 3, 1), d(2026, 6, 1), 70, Some((70, 245))), Ok(()));
        assert!(check_amounts(Money::from_cents(100), Money::from_cents(101)).is_err());
    }

    #[test]
    fn decisions() {
        let today = d(2026, 1, 20);
        let asked = Money::from_cents(500_000);
        let accept = |cents, reason: Option<&str>| Decision::Accept {
            amount: Money::from_cents(cents),
            reason: reason.map(str::to_owned),
        };
        assert_eq!(accept(500_000, None).check(DossierStatus::Submitted, asked, today), Ok(DossierStatus::Accepted));
        assert_eq!(
            accept(400_000, None).check(DossierStatus::Submitted, asked, today),
            Err(DecisionError::ReasonForLess)
        );
        assert_eq!(
            accept(400_000, Some("Plafond horaire")).check(DossierStatus::Submitted, asked, today),
            Ok(DossierStatus::Accepted)
        );
        assert!(matches!(
            accept(600_000, None).check(DossierStatus::Submitted, asked, today),
            Err(DecisionError::MoreThanAsked { .. })
        ));
        assert_eq!(accept(0, None).check(DossierStatus::Submitted, asked, today), Err(DecisionError::NothingCommitted));
        assert_eq!(
            Decision::Refuse { reason: " ".into() }.check(DossierStatus::Submitted, asked, today),
            Err(DecisionError::ReasonRequired)
        );
        let info = |due| Decision::RequestInfo { message: "Programme".into(), due_on: due };
        assert_eq!(info(today).check(DossierStatus::Submitted, asked, today), Err(DecisionError::DueDateInPast));
        assert_eq!(
            info(d(2026, 1, 21)).check(DossierStatus::Submitted, asked, today),
            Ok(DossierStatus::InfoRequested)
        );
        // A decided dossier cannot be decided again.
        assert_eq!(
            accept(500_000, None).check(DossierStatus::Accepted, asked, today),
            Err(DecisionError::NotAwaiting("accepté"))
        );
    }

    #[test]
    fn c4_an_expired_drf_cannot_be_used() {
        let until = Some(d(2026, 2, 28));
        assert_eq!(check_drf_usable(DrfStatus::Validated, until, d(2026, 2, 28)), Ok(()));
        assert_eq!(
            check_drf_usable(DrfStatus::Validated, until, d(2026, 3, 1)),
            Err(DrfUseError::Expired(d(2026, 2, 28)))
        );
        assert!(check_drf_usable(DrfStatus::Expired, until, d(2026, 3, 1)).unwrap_err().to_string().contains("C4"));
        assert_eq!(
            check_drf_usable(DrfStatus::Submitted, None, d(2026, 1, 1)),
            Err(DrfUseError::NotValidated("soumise"))
        );
    }
}

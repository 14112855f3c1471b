//! The scheme catalogue and the rule calendar (SPEC §3, C1–C7), as data.
//!
//! A campaign's rules are a TOML file (`config/rules/2026.toml`), parsed and checked once at
//! start-up. Every decision here is taken **as of a date** passed by the caller, so "what would
//! apply on 2026-02-01" is a function call, and tests pin each rule at its boundary days.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::money::Money;

/// The whole rule set of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCalendar {
    /// The campaign year.
    pub campaign: i32,
    /// Dated rules.
    pub calendar: Calendar,
    /// The schemes.
    pub schemes: Vec<Scheme>,
}

/// Dated rules C1–C6.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// C1: when the legacy portal stopped taking deposits (Paris time).
    pub legacy_closed_at: NaiveDateTime,
    /// C2: first day of filing in the portal.
    pub portal_opens_on: NaiveDate,
    /// C3: retroactive filing windows.
    #[serde(default)]
    pub retroactive_windows: Vec<RetroactiveWindow>,
    /// C4: how long a validated DRF stays valid.
    pub drf_validity: DrfValidity,
    /// C5, C6: windows for reimbursement requests on given budgets.
    #[serde(default)]
    pub reimbursement_windows: Vec<ReimbursementWindow>,
}

/// C3: trainings of these schemes started in `[training_started_from, training_started_to]` may
/// be filed until `file_until`, though their own deadline has passed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroactiveWindow {
    /// Scheme codes.
    pub schemes: Vec<String>,
    /// First training start covered.
    pub training_started_from: NaiveDate,
    /// Last training start covered.
    pub training_started_to: NaiveDate,
    /// Last filing day.
    pub file_until: NaiveDate,
}

/// C4.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrfValidity {
    /// Days of validity counted from the validation day.
    pub default_days: u32,
    /// Fixed end dates for DRF validated in given windows.
    #[serde(default)]
    pub extensions: Vec<DrfExtension>,
}

/// Where a DRF was validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrfOrigin {
    /// In the legacy portal (imported).
    Legacy,
    /// In this portal.
    Portal,
}

/// C4's exceptions: DRF of `origin` validated in `[validated_from, validated_to]` are valid until
/// `valid_until`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrfExtension {
    /// Where the DRF was validated.
    pub origin: DrfOrigin,
    /// First validation day covered.
    pub validated_from: NaiveDate,
    /// Last validation day covered.
    pub validated_to: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
}

/// C5, C6: reimbursement requests on a budget are accepted within bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReimbursementWindow {
    /// Stable code of the budget.
    pub code: String,
    /// French label.
    pub label: String,
    /// The rule it stands for (C5, C6), quoted in refusals.
    pub rule: String,
    /// The schemes whose dossiers may be paid on this budget (empty: any).
    #[serde(default)]
    pub schemes: Vec<String>,
    /// The payer whose dossiers may be paid on this budget (none: any).
    #[serde(default)]
    pub payer: Option<Payer>,
    /// First day requests are accepted, if bounded.
    pub accepted_from: Option<NaiveDate>,
    /// Last day requests are accepted, if bounded.
    pub accepted_until: Option<NaiveDate>,
}

/// Who pays a scheme's dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Payer {
    /// The operator (legal funding).
    Akto,
    /// The branch fund (conventional funding).
    Fpett,
}

impl Payer {
    /// The code stored on dossiers and proformas: an internal key, never shown to people (they
    /// read the names of `identity::Names`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Payer::Akto => "AKTO",
            Payer::Fpett => "FPETT",
        }
    }

    /// The payer stored as `code`.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        [Payer::Akto, Payer::Fpett].into_iter().find(|p| p.code() == code)
    }
}

/// What a company files for a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filing {
    /// A fund reservation (DRF), then the contract.
    DrfThenContract,
    /// A training dossier (training action).
    Dossier,
    /// A work-study contract.
    Contract,
    /// Nothing: the operator does the paperwork.
    Nothing,
}

/// Who a training is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Public {
    /// Permanent employees.
    Permanent,
    /// Temporary workers (*intérimaires*).
    Temporary,
}

impl Public {
    /// The stable code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Public::Permanent => "permanent",
            Public::Temporary => "temporary",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Public::Permanent => "salarié permanent",
            Public::Temporary => "intérimaire",
        }
    }

    /// Parses a code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "permanent" => Some(Public::Permanent),
            "temporary" => Some(Public::Temporary),
            _ => None,
        }
    }
}

/// Whether filing is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opening {
    /// Open.
    Open,
    /// C7: closed until a platform administrator records the agreement.
    ClosedUntilAgreement,
    /// Never filed in the portal.
    NoFiling,
}

/// The deadline of a scheme's first filing, outside retroactive windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Must be filed before the training starts.
    #[serde(default)]
    pub before_start: bool,
    /// Or: may be filed until this many days after the start.
    #[serde(default)]
    pub days_after_start: Option<u32>,
}

/// Bounds on training hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursBounds {
    /// Fewest hours.
    pub min: i64,
    /// Most hours.
    pub max: i64,
}

/// Which date decides the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidingDate {
    /// The day the DRF was filed.
    DrfFiledOn,
    /// The day the training starts.
    TrainingStart,
    /// The day the dossier was filed.
    FiledOn,
}

/// A funding rate in force from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// First day it applies (by the deciding date).
    pub effective_from: NaiveDate,
    /// The date that decides.
    pub decided_by: DecidingDate,
    /// Hourly lump sum, in cents.
    pub hourly_cents: i64,
    /// Share of the cost above the lump sum that is funded too.
    pub extra_cost_percent: i64,
}

impl Rate {
    /// What the rate funds for `hours` of training costing `cost`: the lump sum, plus the share
    /// of the extra cost, never more than the cost itself.
    #[must_use]
    pub fn funding(&self, hours: i64, cost: Money) -> Money {
        let lump_sum = Money::per_hour(Money::from_cents(self.hourly_cents), hours);
        let extra = if cost > lump_sum { cost - lump_sum } else { Money::ZERO };
        (lump_sum + extra.percent(self.extra_cost_percent)).min(cost)
    }
}

/// A sub-scheme (e.g. a co-financing programme) with its own opening.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubScheme {
    /// Code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Opening.
    pub opening: Opening,
}

/// A scheme (*dispositif*).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Stable code (`CIPI`, `PDC50`…).
    pub code: String,
    /// French label.
    pub label: String,
    /// Who pays.
    pub payer: Payer,
    /// What the company files.
    pub filing: Filing,
    /// For whom.
    pub publics: Vec<Public>,
    /// Whether the operator may pay the training provider directly.
    pub subrogation: bool,
    /// Whether filing is open.
    pub opening: Opening,
    /// The filing deadline.
    pub deadline: Deadline,
    /// Most trainees per dossier.
    pub max_trainees: u32,
    /// Companies above this headcount may not file (PDC-50: 49).
    #[serde(default)]
    pub max_headcount: Option<i64>,
    /// Bounds on training hours.
    #[serde(default)]
    pub training_hours: Option<HoursBounds>,
    /// Sub-schemes.
    #[serde(default)]
    pub sub_schemes: Vec<SubScheme>,
    /// Rates, by effective date.
    #[serde(default)]
    pub rates: Vec<Rate>,
    /// What to tell people (POEC: who to contact).
    #[serde(default)]
    pub help: Option<String>,
}

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RulesError(pub String);

impl RuleCalendar {
    /// Parses and checks a rules file.
    ///
    /// # Errors
    /// [`RulesError`] naming the entry at fault.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let calendar: RuleCalendar =
            toml::from_str(text).map_err(|e| RulesError(format!("fichier de règles illisible : {e}")))?;
        calendar.check()?;
        Ok(calendar)
    }

    fn check(&self) -> Result<(), RulesError> {
        let fail = |message: String| Err(RulesError(message));
        let mut codes: Vec<&str> = self.schemes.iter().map(|s| s.code.as_str()).collect();
        codes.sort_unstable();
        if let Some(pair) = codes.windows(2).find(|w| w[0] == w[1]) {
            return fail(format!("le dispositif {} est décrit deux fois", pair[0]));
        }
        for (i, scheme) in self.schemes.iter().enumerate() {
            let at = format!("schemes[{i}] ({})", scheme.code);
            if scheme.code.trim().is_empty() || scheme.label.trim().is_empty() {
                return fail(format!("{at} : code et libellé obligatoires"));
            }
            if scheme.publics.is_empty() {
                return fail(format!("{at} : au moins un public (permanent, temporary)"));
            }
            if scheme.max_trainees == 0 || scheme.max_trainees > 30 {
                return fail(format!("{at} : max_trainees doit être compris entre 1 et 30 (règle D2)"));
            }
            if scheme.deadline.before_start == scheme.deadline.days_after_start.is_some() {
                return fail(format!("{at} : deadline doit être soit before_start, soit days_after_start"));
            }
            if let Some(hours) = scheme.training_hours
                && (hours.min <= 0 || hours.min > hours.max)
            {
                return fail(format!("{at} : training_hours incohérent ({}–{})", hours.min, hours.max));
            }
            if scheme.filing == Filing::Nothing && scheme.opening != Opening::NoFiling {
                return fail(format!("{at} : un dispositif sans dépôt doit avoir opening = \"no_filing\""));
            }
            for pair in scheme.rates.windows(2) {
                if pair[0].effective_from >= pair[1].effective_from {
                    return fail(format!("{at} : les taux doivent être rangés par date d’effet croissante"));
                }
            }
            if let Some(rate) =
                scheme.rates.iter().find(|r| r.hourly_cents < 0 || !(0..=100).contains(&r.extra_cost_percent))
            {
                return fail(format!("{at} : taux invalide au {}", rate.effective_from));
            }
        }
        for (i, window) in self.calendar.retroactive_windows.iter().enumerate() {
            if window.training_started_from > window.training_started_to
                || window.training_started_to > window.file_until
            {
                return fail(format!("calendar.retroactive_windows[{i}] : dates dans le désordre"));
            }
            if let Some(code) = window.schemes.iter().find(|c| self.scheme(c).is_none()) {
                return fail(format!("calendar.retroactive_windows[{i}] : dispositif inconnu {code}"));
            }
        }
        if self.calendar.drf_validity.default_days == 0 {
            return fail("calendar.drf_validity.default_days doit être supérieur à 0".to_owned());
        }
        for (i, extension) in self.calendar.drf_validity.extensions.iter().enumerate() {
            if extension.validated_from > extension.validated_to || extension.validated_to > extension.valid_until {
                return fail(format!("calendar.drf_validity.extensions[{i}] : dates dans le désordre"));
            }
        }
        Ok(())
    }

    /// The scheme with this code.
    #[must_use]
    pub fn scheme(&self, code: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|s| s.code == code)
    }

    /// C4: the last day a DRF validated on `validated_on` is valid.
    #[must_use]
    pub fn drf_valid_until(&self, validated_on: NaiveDate, origin: DrfOrigin) -> NaiveDate {
        let validity = &self.calendar.drf_validity;
        validity
            .extensions
            .iter()
            .find(|e| e.origin == origin && (e.validated_from..=e.validated_to).contains(&validated_on))
            .map_or_else(|| validated_on + Duration::days(i64::from(validity.default_days)), |e| e.valid_until)
    }

    /// C5, C6: whether a reimbursement request on the budget `code` may be filed on `on`.
    #[must_use]
    pub fn accepts_reimbursement(&self, code: &str, on: NaiveDate) -> Option<bool> {
        self.calendar
            .reimbursement_windows
            .iter()
            .find(|w| w.code == code)
            .map(|w| w.accepted_from.is_none_or(|from| on >= from) && w.accepted_until.is_none_or(|until| on <= until))
    }

    /// C5, C6: the budgets a DR on a dossier of `scheme` paid by `payer` may be charged to.
    #[must_use]
    pub fn reimbursement_budgets(&self, scheme: &str, payer: Payer) -> Vec<&ReimbursementWindow> {
        self.calendar
            .reimbursement_windows
            .iter()
            .filter(|w| {
                (w.schemes.is_empty() || w.schemes.iter().any(|s| s == scheme)) && w.payer.is_none_or(|p| p == payer)
            })
            .collect()
    }

    /// C5, C6: refuses a DR charged to the budget `code` on `on` outside its window.
    ///
    /// # Errors
    /// [`crate::reimbursement::ClaimError::BudgetClosed`] with the rule and its dates.
    pub fn check_reimbursement_budget(
        &self,
        code: &str,
        on: NaiveDate,
    ) -> Result<(), crate::reimbursement::ClaimError> {
        let Some(window) = self.calendar.reimbursement_windows.iter().find(|w| w.code == code) else {
            return Ok(());
        };
        if self.accepts_reimbursement(code, on) == Some(true) {
            return Ok(());
        }
        let window_text = match (window.accepted_from, window.accepted_until) {
            (Some(from), Some(until)) => format!("sont acceptées du {} au {}", fr(from), fr(until)),
            (Some(from), None) => format!("sont acceptées à partir du {}", fr(from)),
            (None, Some(until)) => format!("étaient acceptées jusqu’au {}", fr(until)),
            (None, None) => "ne sont pas acceptées".to_owned(),
        };
        Err(crate::reimbursement::ClaimError::BudgetClosed {
            budget: window.label.clone(),
            window: window_text,
            rule: window.rule.clone(),
        })
    }

    /// Checks a first filing (a DRF, a dossier or a contract) of `scheme` made on `filed_on` for a
    /// training starting on `training_start`.
    ///
    /// # Errors
    /// The [`FilingRefusal`] with the rule and the date that decided it.
    pub fn check_filing(&self, scheme: &Scheme, request: &FilingRequest<'_>) -> Result<(), FilingRefusal> {
        if request.filed_on < self.calendar.portal_opens_on {
            return Err(FilingRefusal::PortalNotOpen { opens_on: self.calendar.portal_opens_on });
        }
        match scheme.opening {
            Opening::NoFiling => return Err(FilingRefusal::NoFiling { help: scheme.help.clone() }),
            Opening::ClosedUntilAgreement if !request.agreement_recorded => {
                return Err(FilingRefusal::Closed { scheme: scheme.label.clone() });
            }
            _ => {}
        }
        if let Some(sub) = request.sub_scheme {
            match scheme.sub_schemes.iter().find(|s| s.code == sub) {
                None => return Err(FilingRefusal::UnknownSubScheme { code: sub.to_owned() }),
                Some(s) if s.opening != Opening::Open && !request.agreement_recorded => {
                    return Err(FilingRefusal::Closed { scheme: s.label.clone() });
                }
                Some(_) => {}
            }
        }
        if let Some(max) = scheme.max_headcount {
            match request.headcount {
                None => return Err(FilingRefusal::HeadcountUnknown),
                Some(headcount) if headcount > max => return Err(FilingRefusal::HeadcountTooHigh { headcount, max }),
                Some(_) => {}
            }
        }
        let deadline = match scheme.deadline.days_after_start {
            Some(days) => request.training_start + Duration::days(i64::from(days)),
            // Before the start: the last day to file is the day before.
            None => request.training_start - Duration::days(1),
        };
        if request.filed_on <= deadline {
            return Ok(());
        }
        let window = self.calendar.retroactive_windows.iter().find(|w| {
            w.schemes.contains(&scheme.code)
                && (w.training_started_from..=w.training_started_to).contains(&request.training_start)
        });
        match window {
            Some(w) if request.filed_on <= w.file_until => Ok(()),
            Some(w) => Err(FilingRefusal::RetroactiveWindowClosed {
                started: request.training_start,
                file_until: w.file_until,
            }),
            None => Err(FilingRefusal::TooLate {
                started: request.training_start,
                deadline,
                after_start: scheme.deadline.days_after_start,
            }),
        }
    }
}

/// The facts of a filing that the calendar judges.
#[derive(Debug, Clone, Copy)]
pub struct FilingRequest<'a> {
    /// The filing day (Paris time).
    pub filed_on: NaiveDate,
    /// The training's first day.
    pub training_start: NaiveDate,
    /// The sub-scheme chosen, if any.
    pub sub_scheme: Option<&'a str>,
    /// The company's headcount, if known.
    pub headcount: Option<i64>,
    /// Whether the agreement that opens a `closed_until_agreement` scheme is recorded (C7).
    pub agreement_recorded: bool,
}

fn fr(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Why a filing is refused, with the rule and the date that decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilingRefusal {
    /// C2.
    #[error("Le dépôt dans l’espace formation est possible à partir du {} (règle C2).", fr(*opens_on))]
    PortalNotOpen {
        /// First filing day.
        opens_on: NaiveDate,
    },
    /// POEC.
    #[error("{}", help.clone().unwrap_or_else(|| "Ce dispositif ne se dépose pas dans l’espace formation : contactez votre conseiller.".to_owned()))]
    NoFiling {
        /// What to do instead.
        help: Option<String>,
    },
    /// C7.
    #[error("Le dépôt est fermé pour « {scheme} » tant que la convention avec l’État n’est pas signée (règle C7).")]
    Closed {
        /// The scheme or sub-scheme.
        scheme: String,
    },
    /// Not in the catalogue.
    #[error("Le sous-dispositif « {code} » n’existe pas pour ce dispositif.")]
    UnknownSubScheme {
        /// The code given.
        code: String,
    },
    /// PDC-50 without a known headcount.
    #[error(
        "L’effectif de l’entreprise n’est pas renseigné : demandez à l’administrateur de l’entreprise de le compléter (ce dispositif est réservé aux entreprises de moins de 50 salariés)."
    )]
    HeadcountUnknown,
    /// PDC-50 for a company of 50 or more.
    #[error(
        "Ce dispositif est réservé aux entreprises de moins de 50 salariés ; l’effectif déclaré est de {headcount}."
    )]
    HeadcountTooHigh {
        /// The headcount.
        headcount: i64,
        /// The most allowed.
        max: i64,
    },
    /// The scheme's own deadline passed and no window applies.
    #[error("{}", too_late(*started, *deadline, *after_start))]
    TooLate {
        /// Training start.
        started: NaiveDate,
        /// Last filing day.
        deadline: NaiveDate,
        /// Days allowed after the start, for contracts.
        after_start: Option<u32>,
    },
    /// C3's window applied but closed.
    #[error("La formation a commencé le {} : le dépôt rétroactif était possible jusqu’au {} (règle C3).", fr(*started), fr(*file_until))]
    RetroactiveWindowClosed {
        /// Training start.
        started: NaiveDate,
        /// Last filing day of the window.
        file_until: NaiveDate,
    },
}

fn too_late(started: NaiveDate, deadline: NaiveDate, after_start: Option<u32>) -> String {
    match after_start {
        Some(days) => format!(
            "Le contrat a commencé le {} : il devait être déposé dans les {days} jours, au plus tard le {}.",
            fr(started),
            fr(deadline)
        ),
        None => format!(
            "La formation commence le {} : la demande devait être déposée avant le début de la formation, au plus tard le {}.",
            fr(started),
            fr(deadline)
        ),
    }
}

impl Scheme {
    /// The rate in force on `on` (by the scheme's deciding date).
    #[must_use]
    pub fn rate_as_of(&self, on: NaiveDate) -> Option<&Rate> {
        self.rates.iter().rev().find(|r| r.effective_from <= on)
    }

    /// Whether the scheme is filed as a DRF first.
    #[must_use]
    pub fn needs_drf(&self) -> bool {
        self.filing == Filing::DrfThenContract
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar() -> RuleCalendar {
        RuleCalendar::parse(include_str!("../../../config/rules/2026.toml")).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn request(filed_on: NaiveDate, training_start: NaiveDate) -> FilingRequest<'static> {
        FilingRequest { filed_on, training_start, sub_scheme: None, headcount: Some(20), agreement_recorded: false }
    }

    #[test]
    fn the_shipped_file_holds_every_scheme_of_the_spec() {
        let c = calendar();
        for code in ["CIPI", "CDPI", "PDC50", "CPNSST", "PICIAE", "POEC", "PRO", "CAR", "APP"] {
            assert!(c.scheme(code).is_some(), "{code}");
        }
        assert!(c.scheme("CIPI").unwrap().needs_drf());
        assert!(!c.scheme("PDC50").unwrap().needs_drf());
    }

    #[test]
    fn c2_the_portal_opens_on_2_january() {
        let c = calendar();
        let pdc = c.scheme("PDC50").unwrap();
        let start = d(2026, 3, 1);
        assert_eq!(
            c.check_filing(pdc, &request(d(2026, 1, 1), start)),
            Err(FilingRefusal::PortalNotOpen { opens_on: d(2026, 1, 2) })
        );
        assert_eq!(c.check_filing(pdc, &request(d(2026, 1, 2), start)), Ok(()));
    }

    #[test]
    fn c3_retroactive_window_at_its_boundaries() {
        let c = calendar();
        let cipi = c.scheme("CIPI").unwrap();
        // Trainings started the day before, the first day, the last day and the day after the window.
        assert!(matches!(
            c.check_filing(cipi, &request(d(2026, 1, 10), d(2025, 12, 16))),
            Err(FilingRefusal::TooLate { .. })
        ));
        assert_eq!(c.check_filing(cipi, &request(d(2026, 1, 10), d(2025, 12, 17))), Ok(()));
        assert_eq!(c.check_filing(cipi, &request(d(2026, 1, 10), d(2026, 1, 5))), Ok(()));
        // Started on 6 January and filed on the 10th: after the start, outside the window.
        assert!(matches!(
            c.check_filing(cipi, &request(d(2026, 1, 10), d(2026, 1, 6))),
            Err(FilingRefusal::TooLate { .. })
        ));
        // Filing days: the last day of the window and the day after.
        assert_eq!(c.check_filing(cipi, &request(d(2026, 1, 16), d(2025, 12, 18))), Ok(()));
        let late = c.check_filing(cipi, &request(d(2026, 1, 17), d(2025, 12, 18)));
        assert_eq!(
            late,
            Err(FilingRefusal::RetroactiveWindowClosed { started: d(2025, 12, 18), file_until: d(2026, 1, 16) })
        );
        assert!(late.unwrap_err().to_string().contains("16/01/2026"));
        // PDC-50 is not in the window: a training already started is refused.
        let pdc = c.scheme("PDC50").unwrap();
        assert!(matches!(
            c.check_filing(pdc, &request(d(2026, 1, 10), d(2025, 12, 18))),
            Err(FilingRefusal::TooLate { .. })
        ));
        // CAR and CPNSST are.
        for code in ["CAR", "CPNSST", "CDPI"] {
            assert_eq!(
                c.check_filing(c.scheme(code).unwrap(), &request(d(2026, 1, 16), d(2025, 12, 17))),
                Ok(()),
                "{code}"
            );
        }
    }

    #[test]
    fn own_deadlines_before_the_start_or_within_five_days() {
        let c = calendar();
        let pdc = c.scheme("PDC50").unwrap();
        assert_eq!(c.check_filing(pdc, &request(d(2026, 3, 1), d(2026, 3, 2))), Ok(()));
        let same_day = c.check_filing(pdc, &request(d(2026, 3, 2), d(2026, 3, 2))).unwrap_err();
        assert!(same_day.to_string().contains("avant le début"), "{same_day}");
        let pro = c.scheme("PRO").unwrap();
        assert_eq!(c.check_filing(pro, &request(d(2026, 3, 7), d(2026, 3, 2))), Ok(()));
        assert!(
            c.check_filing(pro, &request(d(2026, 3, 8), d(2026, 3, 2))).unwrap_err().to_string().contains("5 jours")
        );
    }

    #[test]
    fn c4_drf_validity_at_its_boundaries() {
        let c = calendar();
        use DrfOrigin::{Legacy, Portal};
        assert_eq!(c.drf_valid_until(d(2025, 11, 14), Legacy), d(2025, 12, 14));
        assert_eq!(c.drf_valid_until(d(2025, 11, 15), Legacy), d(2026, 2, 28));
        assert_eq!(c.drf_valid_until(d(2025, 12, 24), Legacy), d(2026, 2, 28));
        assert_eq!(c.drf_valid_until(d(2025, 12, 25), Legacy), d(2026, 1, 24));
        assert_eq!(c.drf_valid_until(d(2026, 1, 1), Portal), d(2026, 1, 31));
        assert_eq!(c.drf_valid_until(d(2026, 1, 2), Portal), d(2026, 2, 28));
        assert_eq!(c.drf_valid_until(d(2026, 1, 31), Portal), d(2026, 2, 28));
        assert_eq!(c.drf_valid_until(d(2026, 2, 1), Portal), d(2026, 3, 3));
        // The legacy window does not extend portal validations, nor the reverse.
        assert_eq!(c.drf_valid_until(d(2025, 12, 1), Portal), d(2025, 12, 31));
        assert_eq!(c.drf_valid_until(d(2026, 1, 10), Legacy), d(2026, 2, 9));
    }

    #[test]
    fn c5_and_c6_reimbursement_windows() {
        let c = calendar();
        assert_eq!(c.accepts_reimbursement("PDC50_BUDGET_2025", d(2026, 1, 1)), Some(false));
        assert_eq!(c.accepts_reimbursement("PDC50_BUDGET_2025", d(2026, 1, 2)), Some(true));
        assert_eq!(c.accepts_reimbursement("FPETT_077_2024", d(2026, 2, 28)), Some(true));
        assert_eq!(c.accepts_reimbursement("FPETT_077_2024", d(2026, 3, 1)), Some(false));
        assert_eq!(c.accepts_reimbursement("INCONNU", d(2026, 3, 1)), None);
        // Which budgets a dossier may be charged to, and the refusal that names the rule.
        let codes =
            |scheme, payer| c.reimbursement_budgets(scheme, payer).iter().map(|w| w.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes("PDC50", Payer::Akto), ["PDC50_BUDGET_2025"]);
        assert_eq!(codes("CIPI", Payer::Fpett), ["FPETT_077_2024"]);
        assert!(codes("PRO", Payer::Akto).is_empty());
        let late = c.check_reimbursement_budget("FPETT_077_2024", d(2026, 3, 1)).unwrap_err();
        assert_eq!(
            late.to_string(),
            "Les demandes sur « Contribution conventionnelle de 0,77 % de 2024 » étaient acceptées jusqu’au 28/02/2026 (règle C6)."
        );
        let early = c.check_reimbursement_budget("PDC50_BUDGET_2025", d(2026, 1, 1)).unwrap_err();
        assert!(early.to_string().contains("à partir du 02/01/2026 (règle C5)"), "{early}");
        assert_eq!(c.check_reimbursement_budget("PDC50_BUDGET_2025", d(2026, 1, 2)), Ok(()));
        assert_eq!(c.check_reimbursement_budget("FPETT_077_2024", d(2026, 2, 28)), Ok(()));
    }

    #[test]
    fn c7_pic_iae_is_closed_until_the_agreement_and_poec_is_never_filed() {
        let c = calendar();
        let pic = c.scheme("PICIAE").unwrap();
        let closed = c.check_filing(pic, &request(d(2026, 2, 1), d(2026, 3, 1))).unwrap_err();
        assert!(closed.to_string().contains("C7"));
        let open = FilingRequest { agreement_recorded: true, ..request(d(2026, 2, 1), d(2026, 3, 1)) };
        assert_eq!(c.check_filing(pic, &open), Ok(()));
        let poec = c.check_filing(c.scheme("POEC").unwrap(), &request(d(2026, 2, 1), d(2026, 3, 1))).unwrap_err();
        assert!(poec.to_string().contains("conseiller"));
    }

    #[test]
    fn pdc50_is_for_companies_under_fifty() {
        let c = calendar();
        let pdc = c.scheme("PDC50").unwrap();
        let base = request(d(2026, 2, 1), d(2026, 3, 1));
        assert_eq!(c.check_filing(pdc, &FilingRequest { headcount: Some(49), ..base }), Ok(()));
        assert_eq!(
            c.check_filing(pdc, &FilingRequest { headcount: Some(50), ..base }),
            Err(FilingRefusal::HeadcountTooHigh { headcount: 50, max: 49 })
        );
        assert_eq!(
            c.check_filing(pdc, &FilingRequest { headcount: None, ..base }),
            Err(FilingRefusal::HeadcountUnknown)
        );
    }

    #[test]
    fn rates_by_deciding_date_and_the_worked_example() {
        let c = calendar();
        let cipi = c.scheme("CIPI").unwrap();
        assert!(cipi.rate_as_of(d(2024, 6, 30)).is_none());
        let rate = cipi.rate_as_of(d(2026, 1, 10)).unwrap();
        // DOMAIN.md §4.11 A: 210 h at 35 €/h → 5 670 € + 30 % of 1 680 € = 6 174 €.
        assert_eq!(rate.funding(210, Money::from_cents(735_000)), Money::from_cents(617_400));
        // Never more than the cost.
        assert_eq!(rate.funding(210, Money::from_cents(100_000)), Money::from_cents(100_000));
    }

    #[test]
    fn bad_files_are_refused_with_the_entry_named() {
        let text = include_str!("../../../config/rules/2026.toml");
        let twice = format!(
            "{text}\n[[schemes]]\ncode = \"CIPI\"\nlabel = \"x\"\npayer = \"AKTO\"\nfiling = \"dossier\"\npublics = [\"temporary\"]\nsubrogation = false\nopening = \"open\"\ndeadline = {{ before_start = true }}\nmax_trainees = 30\n"
        );
        assert!(RuleCalendar::parse(&twice).unwrap_err().to_string().contains("CIPI"));
        let bad = text.replace("max_trainees = 30", "max_trainees = 31");
        assert!(RuleCalendar::parse(&bad).unwrap_err().to_string().contains("D2"));
        let unknown = text.replace("schemes = [\"CIPI\"", "schemes = [\"XYZ\"");
        assert!(RuleCalendar::parse(&unknown).unwrap_err().to_string().contains("XYZ"));
        assert!(RuleCalendar::parse("campaign = \"x\"").is_err());
    }
}

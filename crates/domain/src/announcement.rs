//! Announcements targeted by professional branch and region (SPEC I3): a platform admin writes
//! one for, say, temporary-work companies of Hauts-de-France, from one date to another; a person
//! sees it when one of their companies matches, until they dismiss it.
//!
//! A target names branches and regions; an empty list means every branch (or every region), but
//! an announcement must name at least one of the two: one meant for everybody belongs in the
//! FAQ, not in a targeted block. Names are compared folded (case, accents, punctuation), since
//! the companies' branch and region come from the operator's directory as free text.

use chrono::NaiveDate;

use crate::help::fold;

/// The branches offered when writing an announcement, before those found in the directory.
pub const BRANCHES: [&str; 2] = ["Travail temporaire", "Commerce de gros et quincaillerie"];

/// The French regions (2016 map, with the overseas regions).
pub const REGIONS: [&str; 18] = [
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d’Azur",
    "Guadeloupe",
    "Martinique",
    "Guyane",
    "La Réunion",
    "Mayotte",
];

/// Whom an announcement is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// Branches (empty: every branch).
    pub branches: Vec<String>,
    /// Regions (empty: every region).
    pub regions: Vec<String>,
}

/// Why an announcement is refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    /// No title.
    #[error("Saisissez le titre de l’annonce (120 caractères au plus).")]
    Title,
    /// No text.
    #[error("Saisissez le texte de l’annonce (5 000 caractères au plus).")]
    Body,
    /// Neither a branch nor a region.
    #[error("Choisissez au moins une branche ou une région : une annonce s’adresse à un public ciblé.")]
    NoTarget,
    /// Ends before it starts.
    #[error("La date de fin ({end}) précède la date de début ({start}).")]
    EndsBeforeStart {
        /// Start, as shown.
        start: String,
        /// End, as shown.
        end: String,
    },
}

impl AnnouncementError {
    /// The form field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Body => "body",
            Self::NoTarget => "branches",
            Self::EndsBeforeStart { .. } => "ends_on",
        }
    }
}

/// Checks an announcement before it is saved; all faults at once.
#[must_use]
pub fn check(
    title: &str,
    body: &str,
    targets: &Targets,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Vec<AnnouncementError> {
    let mut errors = Vec::new();
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        errors.push(AnnouncementError::Title);
    }
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 5_000 {
        errors.push(AnnouncementError::Body);
    }
    if targets.branches.is_empty() && targets.regions.is_empty() {
        errors.push(AnnouncementError::NoTarget);
    }
    if ends_on < starts_on {
        errors.push(AnnouncementError::EndsBeforeStart {
            start: starts_on.format("%d/%m/%Y").to_string(),
            end: ends_on.format("%d/%m/%Y").to_string(),
        });
    }
    errors
}

fn among(list: &[String], value: Option<&str>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.iter().any(|item| fold(item) == fold(v)))
}

/// Whether a company of `branch` in `region` is targeted.
#[must_use]
pub fn targets(targets: &Targets, branch: Option<&str>, region: Option<&str>) -> bool {
    (!targets.branches.is_empty() || !targets.regions.is_empty())
        && among(&targets.branches, branch)
        && among(&targets.regions, region)
}

/// Whether an announcement is shown on `today` (both dates included).
#[must_use]
pub fn is_active(starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) -> bool {
    starts_on <= today && today <= ends_on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn t(branches: &[&str], regions: &[&str]) -> Targets {
        Targets {
            branches: branches.iter().map(|s| (*s).to_owned()).collect(),
            regions: regions.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_temp_work_company_of_hauts_de_france_is_targeted_by_branch_and_region() {
        let both = t(&["Travail temporaire"], &["Hauts-de-France"]);
        assert!(targets(&both, Some("TRAVAIL TEMPORAIRE"), Some("hauts de france")));
        assert!(!targets(&both, Some("Travail temporaire"), Some("Bretagne")));
        assert!(!targets(&both, Some("Commerce de gros et quincaillerie"), Some("Hauts-de-France")));
        assert!(!targets(&both, None, Some("Hauts-de-France")), "an unknown branch is not a match");
        let branch_only = t(&["Commerce de gros et quincaillerie"], &[]);
        assert!(targets(&branch_only, Some("Commerce de gros et quincaillerie"), None));
        assert!(!targets(&Targets::default(), Some("Travail temporaire"), Some("Bretagne")));
    }

    #[test]
    fn an_announcement_needs_a_title_a_text_a_target_and_dates_in_order() {
        assert!(check("Bienvenue", "Texte", &t(&["Travail temporaire"], &[]), day(1), day(1)).is_empty());
        let errors = check(" ", "", &Targets::default(), day(10), day(9));
        let fields: Vec<&str> = errors.iter().map(AnnouncementError::field).collect();
        assert_eq!(fields, ["title", "body", "branches", "ends_on"]);
        assert!(errors[3].to_string().contains("09/03/2026"));
    }

    #[test]
    fn an_announcement_shows_between_its_dates_included() {
        assert!(is_active(day(1), day(5), day(1)) && is_active(day(1), day(5), day(5)));
        assert!(!is_active(day(1), day(5), day(6)) && !is_active(day(2), day(5), day(1)));
    }
}

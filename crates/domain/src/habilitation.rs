//! Habilitations: what an attached user may do, per attachment (a company or one of its
//! establishments) and per domain.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A domain of the portal a habilitation opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// *Dossiers formation*: fund reservations (DRF), training dossiers, reimbursement requests.
    Training,
    /// *Contrats en alternance*: work-study contracts.
    WorkStudy,
    /// *Facturation et paiements*: proformas, invoices, remittance advices, bank details.
    Invoicing,
}

/// A habilitation code that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Habilitation inconnue « {0} » : attendu FORMATION, ALTERNANCE ou FACTURATION.")]
pub struct UnknownDomain(pub String);

impl Domain {
    /// Every domain, in display order.
    pub const ALL: [Domain; 3] = [Domain::Training, Domain::WorkStudy, Domain::Invoicing];

    /// The stable code stored in the database.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Domain::Training => "training",
            Domain::WorkStudy => "work_study",
            Domain::Invoicing => "invoicing",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Domain::Training => "Dossiers formation",
            Domain::WorkStudy => "Contrats en alternance",
            Domain::Invoicing => "Facturation et paiements",
        }
    }

    /// What the habilitation lets one do, for hints next to check boxes.
    #[must_use]
    pub fn hint(self) -> &'static str {
        match self {
            Domain::Training => "Réservations de fonds (DRF), dossiers de formation, demandes de remboursement.",
            Domain::WorkStudy => "Contrats de professionnalisation, d’apprentissage et de reconversion.",
            Domain::Invoicing => "Factures proforma, dépôt des factures, avis de virement, coordonnées bancaires.",
        }
    }

    /// Parses a stored code.
    ///
    /// # Errors
    /// [`UnknownDomain`].
    pub fn from_code(code: &str) -> Result<Self, UnknownDomain> {
        Self::ALL.into_iter().find(|d| d.code() == code).ok_or_else(|| UnknownDomain(code.to_owned()))
    }

    /// Parses the legacy portal's code (`FORMATION`, `ALTERNANCE`, `FACTURATION`, any case).
    ///
    /// # Errors
    /// [`UnknownDomain`].
    pub fn from_legacy(code: &str) -> Result<Self, UnknownDomain> {
        match code.trim().to_uppercase().as_str() {
            "FORMATION" => Ok(Domain::Training),
            "ALTERNANCE" => Ok(Domain::WorkStudy),
            "FACTURATION" => Ok(Domain::Invoicing),
            _ => Err(UnknownDomain(code.trim().to_owned())),
        }
    }

    /// Parses a `|`-separated legacy list; empty means none.
    ///
    /// # Errors
    /// The first unknown code.
    pub fn parse_legacy_list(list: &str) -> Result<Vec<Self>, UnknownDomain> {
        let mut domains = list
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Self::from_legacy)
            .collect::<Result<Vec<_>, _>>()?;
        domains.sort();
        domains.dedup();
        Ok(domains)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where an attachment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStatus {
    /// Asked, waiting for an administrator (or an activation code).
    Requested,
    /// In force: the user acts within it, as far as its habilitations go.
    Approved,
    /// Refused by an administrator.
    Refused,
    /// Ended by an administrator or by the user.
    Withdrawn,
}

impl AttachmentStatus {
    /// The stable code stored in the database.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            AttachmentStatus::Requested => "requested",
            AttachmentStatus::Approved => "approved",
            AttachmentStatus::Refused => "refused",
            AttachmentStatus::Withdrawn => "withdrawn",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            AttachmentStatus::Requested => "en attente",
            AttachmentStatus::Approved => "validé",
            AttachmentStatus::Refused => "refusé",
            AttachmentStatus::Withdrawn => "retiré",
        }
    }

    /// Parses a stored code.
    ///
    /// # Errors
    /// The unknown code.
    pub fn from_code(code: &str) -> Result<Self, String> {
        [Self::Requested, Self::Approved, Self::Refused, Self::Withdrawn]
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| code.to_owned())
    }
}

/// Why an administrator cannot step down or be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdminChangeError {
    /// Removing this administrator would leave the company with none.
    #[error("L’entreprise doit garder au moins un administrateur : désignez-en un autre avant de retirer celui-ci.")]
    LastAdministrator,
}

/// Checks that removing one administrator out of `administrators` leaves at least one.
///
/// # Errors
/// [`AdminChangeError::LastAdministrator`].
pub fn check_admin_removal(administrators: usize) -> Result<(), AdminChangeError> {
    if administrators <= 1 { Err(AdminChangeError::LastAdministrator) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_lists_parse_in_any_case_and_order_without_duplicates() {
        assert_eq!(
            Domain::parse_legacy_list("facturation|FORMATION| Formation "),
            Ok(vec![Domain::Training, Domain::Invoicing])
        );
        assert_eq!(Domain::parse_legacy_list(""), Ok(vec![]));
        assert!(Domain::parse_legacy_list("FORMATION|PAIE").is_err());
    }

    #[test]
    fn codes_round_trip() {
        for d in Domain::ALL {
            assert_eq!(Domain::from_code(d.code()), Ok(d));
        }
        assert_eq!(AttachmentStatus::from_code("approved"), Ok(AttachmentStatus::Approved));
    }

    #[test]
    fn the_last_administrator_stays() {
        assert_eq!(check_admin_removal(1), Err(AdminChangeError::LastAdministrator));
        assert_eq!(check_admin_removal(2), Ok(()));
    }
}

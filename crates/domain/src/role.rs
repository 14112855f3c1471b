//! Who a person is to the portal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The role an account holds. Company users reach company data only through attachments and
/// habilitations; staff roles belong to the operator and open `/gestion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An employee of a funded company.
    CompanyUser,
    /// Operator staff who help companies (*conseiller*).
    Advisor,
    /// Operator staff who instruct requests (*gestionnaire*).
    CaseManager,
    /// Operator staff who run the platform (*administrateur de la plateforme*).
    PlatformAdmin,
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Rôle inconnu « {0} » : attendu advisor, case-manager ou platform-admin.")]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 4] = [Role::CompanyUser, Role::Advisor, Role::CaseManager, Role::PlatformAdmin];

    /// The stable code stored in the database and sent by the API.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Role::CompanyUser => "company_user",
            Role::Advisor => "advisor",
            Role::CaseManager => "case_manager",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    /// The French label shown to people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::CompanyUser => "Utilisateur entreprise",
            Role::Advisor => "Conseiller",
            Role::CaseManager => "Gestionnaire",
            Role::PlatformAdmin => "Administrateur de la plateforme",
        }
    }

    /// Whether the role belongs to the operator's staff.
    #[must_use]
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::CompanyUser)
    }

    /// Parses a stored code.
    ///
    /// # Errors
    /// [`UnknownRole`] for anything else.
    pub fn from_code(code: &str) -> Result<Self, UnknownRole> {
        Self::ALL.into_iter().find(|role| role.code() == code).ok_or_else(|| UnknownRole(code.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    /// Accepts the codes and the kebab-case spelling of the command line (`case-manager`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(&s.trim().replace('-', "_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_cli_spelling_is_accepted() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Ok(role));
        }
        assert_eq!("case-manager".parse(), Ok(Role::CaseManager));
        assert_eq!("platform-admin".parse(), Ok(Role::PlatformAdmin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_operator_roles_are_staff() {
        assert!(!Role::CompanyUser.is_staff());
        assert!(Role::Advisor.is_staff() && Role::CaseManager.is_staff() && Role::PlatformAdmin.is_staff());
    }
}

//! Who may do what: every authorization decision of the portal is a function here or a method
//! of [`domain::scope::Scope`] (company data), and the extractors of [`crate::auth`] and the
//! `require_*` helpers below are the only places that turn a "no" into a response.
//!
//! A person who does not reach a company at all gets 404, as if it did not exist; a person who
//! reaches it but lacks the right gets 403.

use domain::Role;
use domain::habilitation::Domain;
use domain::scope::Scope;

use crate::error::AppError;

/// What a request asks to do, beyond being signed in, that depends on the role only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Open the operator's back-office under `/gestion`.
    StaffArea,
    /// Read the audit log.
    AuditLog,
    /// Create companies and establishments, help companies (create users, attach them, send a
    /// new activation letter).
    ManageCompanies,
    /// Prepare, download and post batches of activation letters.
    Letters,
    /// Set a company's EDI flag, record the agreements that open schemes (C7).
    SetEdi,
    /// Decide on dossiers and fund reservations.
    Instruct,
    /// Start a payment run by hand and import the bank's returns (SPEC P2, P4).
    Pay,
    /// Edit, publish and unpublish the help centre's content (SPEC I2).
    EditContent,
}

/// Whether `role` holds `permission`.
#[must_use]
pub fn allows(role: Role, permission: Permission) -> bool {
    match permission {
        Permission::StaffArea => role.is_staff(),
        Permission::AuditLog | Permission::SetEdi | Permission::Pay | Permission::EditContent => {
            role == Role::PlatformAdmin
        }
        Permission::ManageCompanies | Permission::Letters => matches!(role, Role::Advisor | Role::PlatformAdmin),
        Permission::Instruct => matches!(role, Role::CaseManager | Role::PlatformAdmin),
    }
}

/// The company must be reached at all.
///
/// # Errors
/// [`AppError::NotFound`].
pub fn require_company(scope: &Scope, company_id: i64) -> Result<(), AppError> {
    if scope.reaches_company(company_id) { Ok(()) } else { Err(AppError::NotFound) }
}

/// The person must file as the company itself (SPEC Q1): staff are refused with a French
/// explanation, whatever company they reach.
///
/// # Errors
/// [`AppError::Http`] with 403 for staff.
pub fn require_filer(scope: &Scope) -> Result<(), AppError> {
    if scope.files() {
        Ok(())
    } else {
        Err(AppError::Http {
            status: http::StatusCode::FORBIDDEN,
            code: "staff_cannot_file",
            message: "Le personnel de l’opérateur instruit les demandes mais n’agit pas à la place de l’entreprise : \
                      c’est un utilisateur de l’entreprise qui dépose, modifie, facture ou change ses coordonnées."
                .into(),
        })
    }
}

/// The person must administer the company.
///
/// # Errors
/// [`AppError::NotFound`] outside the company, [`AppError::Forbidden`] inside without the role.
pub fn require_admin(scope: &Scope, company_id: i64) -> Result<(), AppError> {
    require_company(scope, company_id)?;
    if scope.is_admin_of(company_id) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// The person may see and change the company's bank details: an administrator, or someone with
/// the invoicing habilitation for the whole company.
///
/// # Errors
/// As [`require_admin`].
pub fn require_bank_details(scope: &Scope, company_id: i64) -> Result<(), AppError> {
    require_company(scope, company_id)?;
    if scope.is_admin_of(company_id) || scope.can(company_id, None, Domain::Invoicing) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_users_never_reach_the_back_office() {
        for permission in [
            Permission::StaffArea,
            Permission::AuditLog,
            Permission::ManageCompanies,
            Permission::Letters,
            Permission::SetEdi,
            Permission::Pay,
            Permission::EditContent,
        ] {
            assert!(!allows(Role::CompanyUser, permission), "{permission:?}");
        }
        for staff in [Role::Advisor, Role::CaseManager, Role::PlatformAdmin] {
            assert!(allows(staff, Permission::StaffArea));
        }
        assert!(!allows(Role::Advisor, Permission::AuditLog));
        assert!(!allows(Role::CaseManager, Permission::AuditLog));
        assert!(allows(Role::PlatformAdmin, Permission::AuditLog));
    }

    #[test]
    fn helping_companies_is_for_advisors_and_platform_admins() {
        assert!(allows(Role::Advisor, Permission::ManageCompanies) && allows(Role::Advisor, Permission::Letters));
        assert!(!allows(Role::CaseManager, Permission::ManageCompanies));
        assert!(!allows(Role::Advisor, Permission::SetEdi));
        assert!(allows(Role::PlatformAdmin, Permission::SetEdi));
    }

    #[test]
    fn only_platform_admins_start_payment_runs_and_import_bank_returns() {
        assert!(allows(Role::PlatformAdmin, Permission::Pay));
        for role in [Role::Advisor, Role::CaseManager, Role::CompanyUser] {
            assert!(!allows(role, Permission::Pay), "{role:?}");
        }
    }

    #[test]
    fn case_managers_decide() {
        assert!(allows(Role::CaseManager, Permission::Instruct));
        assert!(!allows(Role::Advisor, Permission::Instruct));
        assert!(!allows(Role::CompanyUser, Permission::Instruct));
    }

    #[test]
    fn staff_never_file_for_a_company() {
        for role in [Role::Advisor, Role::CaseManager, Role::PlatformAdmin] {
            let staff = Scope::Staff { user_id: 1, role };
            let refused = require_filer(&staff).unwrap_err();
            assert_eq!(refused.status(), http::StatusCode::FORBIDDEN, "{role:?}");
        }
        assert!(require_filer(&Scope::Company { user_id: 2, grants: vec![] }).is_ok());
    }

    #[test]
    fn outside_the_company_is_not_found_inside_without_the_role_is_forbidden() {
        let member = Scope::Company {
            user_id: 1,
            grants: vec![domain::scope::Grant {
                attachment_id: 1,
                company_id: 7,
                establishment_id: Some(70),
                is_admin: false,
                domains: vec![],
            }],
        };
        assert!(matches!(require_admin(&member, 8), Err(AppError::NotFound)));
        assert!(matches!(require_admin(&member, 7), Err(AppError::Forbidden)));
        assert!(matches!(require_bank_details(&member, 7), Err(AppError::Forbidden)));
    }
}

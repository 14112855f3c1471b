//! Who may do what: every authorization decision of the portal is a function here, and the
//! extractors of [`crate::auth`] are the only callers that turn a "no" into a response.

use domain::Role;

/// What a request asks to do, beyond being signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Open the operator's back-office under `/gestion`.
    StaffArea,
    /// Read the audit log.
    AuditLog,
}

/// Whether `role` holds `permission`.
#[must_use]
pub fn allows(role: Role, permission: Permission) -> bool {
    match permission {
        Permission::StaffArea => role.is_staff(),
        Permission::AuditLog => role == Role::PlatformAdmin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_users_never_reach_the_back_office() {
        assert!(!allows(Role::CompanyUser, Permission::StaffArea));
        assert!(!allows(Role::CompanyUser, Permission::AuditLog));
        for staff in [Role::Advisor, Role::CaseManager, Role::PlatformAdmin] {
            assert!(allows(staff, Permission::StaffArea));
        }
        assert!(!allows(Role::Advisor, Permission::AuditLog));
        assert!(!allows(Role::CaseManager, Permission::AuditLog));
        assert!(allows(Role::PlatformAdmin, Permission::AuditLog));
    }
}

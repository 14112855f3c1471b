//! What a person may reach: the security boundary of the portal.
//!
//! A [`Scope`] is built once per request from the person's role and approved attachments. Every
//! query that reads company data takes it, and every authorization decision about company data is
//! a method here, so the rules are written once and tested once. A withdrawn habilitation is
//! gone from the next request's scope.

use crate::Role;
use crate::habilitation::Domain;

/// One approved attachment and what it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The attachment row.
    pub attachment_id: i64,
    /// The company.
    pub company_id: i64,
    /// The establishment, or `None` for the whole company.
    pub establishment_id: Option<i64>,
    /// Administrator of the company (only on a company-wide attachment).
    pub is_admin: bool,
    /// The habilitations on this attachment.
    pub domains: Vec<Domain>,
}

/// What a signed-in person may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Operator staff: every company, read and instruct (what each staff role may do is decided
    /// by role).
    Staff {
        /// The person.
        user_id: i64,
        /// Their role.
        role: Role,
    },
    /// A company user: only through approved attachments.
    Company {
        /// The person.
        user_id: i64,
        /// Their approved attachments.
        grants: Vec<Grant>,
    },
}

impl Scope {
    /// The person.
    #[must_use]
    pub fn user_id(&self) -> i64 {
        match self {
            Scope::Staff { user_id, .. } | Scope::Company { user_id, .. } => *user_id,
        }
    }

    /// Whether the person is operator staff.
    #[must_use]
    pub fn is_staff(&self) -> bool {
        matches!(self, Scope::Staff { .. })
    }

    fn grants(&self) -> &[Grant] {
        match self {
            Scope::Staff { .. } => &[],
            Scope::Company { grants, .. } => grants,
        }
    }

    fn grants_on(&self, company_id: i64) -> impl Iterator<Item = &Grant> {
        self.grants().iter().filter(move |g| g.company_id == company_id)
    }

    /// Whether the person reaches the company at all (to see its name and profile).
    #[must_use]
    pub fn reaches_company(&self, company_id: i64) -> bool {
        self.is_staff() || self.grants_on(company_id).next().is_some()
    }

    /// Whether the person files for companies (SPEC Q1, « staff instruct, companies file »): files,
    /// edits, duplicates, claims, invoices, answers, changes bank details, profile or members,
    /// asks to be attached or activates a company. Company users only: operator staff instruct
    /// and never act as the company, even on a company they reach.
    ///
    /// The staff actions on a company are designed one by one and live under `/gestion`, each
    /// with its own role check: create and attach an account, send an activation letter,
    /// add an establishment, correct the profile, assign contacts, set the EDI flag.
    #[must_use]
    pub fn files(&self) -> bool {
        !self.is_staff()
    }

    /// The companies reached (empty for staff, who reach all: check [`Scope::is_staff`]).
    #[must_use]
    pub fn company_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.grants().iter().map(|g| g.company_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The establishments of a company the person reaches: `None` means all of them (staff, or a
    /// company-wide attachment).
    #[must_use]
    pub fn establishment_ids(&self, company_id: i64) -> Option<Vec<i64>> {
        if self.is_staff() || self.grants_on(company_id).any(|g| g.establishment_id.is_none()) {
            return None;
        }
        let mut ids: Vec<i64> = self.grants_on(company_id).filter_map(|g| g.establishment_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    }

    /// Whether the person administers the company (approves attachments, grants habilitations,
    /// changes bank details with the invoicing habilitation).
    #[must_use]
    pub fn is_admin_of(&self, company_id: i64) -> bool {
        self.grants_on(company_id).any(|g| g.is_admin && g.establishment_id.is_none())
    }

    /// Whether the person may act in `domain` for the establishment (or, with `None`, for the
    /// company as a whole): a company-wide habilitation covers every establishment.
    #[must_use]
    pub fn can(&self, company_id: i64, establishment_id: Option<i64>, domain: Domain) -> bool {
        self.grants_on(company_id).any(|g| {
            g.domains.contains(&domain) && (g.establishment_id.is_none() || g.establishment_id == establishment_id)
        })
    }

    /// The establishments where the person may act in `domain`: `None` means all of them.
    #[must_use]
    pub fn establishments_with(&self, company_id: i64, domain: Domain) -> Option<Vec<i64>> {
        let with: Vec<&Grant> = self.grants_on(company_id).filter(|g| g.domains.contains(&domain)).collect();
        if with.iter().any(|g| g.establishment_id.is_none()) {
            return None;
        }
        let mut ids: Vec<i64> = with.iter().filter_map(|g| g.establishment_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(company_id: i64, establishment_id: Option<i64>, is_admin: bool, domains: &[Domain]) -> Grant {
        Grant { attachment_id: 0, company_id, establishment_id, is_admin, domains: domains.to_vec() }
    }

    #[test]
    fn an_establishment_user_reaches_only_that_establishment_and_domain() {
        let scope = Scope::Company { user_id: 2, grants: vec![grant(1, Some(11), false, &[Domain::Training])] };
        assert!(scope.reaches_company(1));
        assert!(!scope.reaches_company(2));
        assert_eq!(scope.establishment_ids(1), Some(vec![11]));
        assert!(scope.can(1, Some(11), Domain::Training));
        assert!(!scope.can(1, Some(12), Domain::Training), "another establishment");
        assert!(!scope.can(1, None, Domain::Training), "not the company as a whole");
        assert!(!scope.can(1, Some(11), Domain::Invoicing), "another domain");
        assert!(!scope.is_admin_of(1));
        assert_eq!(scope.establishments_with(1, Domain::Training), Some(vec![11]));
        assert_eq!(scope.establishments_with(1, Domain::Invoicing), Some(vec![]));
    }

    #[test]
    fn a_company_wide_administrator_reaches_everything_of_the_company_only() {
        let scope = Scope::Company { user_id: 1, grants: vec![grant(1, None, true, &Domain::ALL)] };
        assert_eq!(scope.establishment_ids(1), None);
        assert!(scope.can(1, Some(99), Domain::Invoicing));
        assert!(scope.is_admin_of(1));
        assert!(!scope.is_admin_of(2));
        assert!(!scope.can(2, None, Domain::Training));
        assert_eq!(scope.company_ids(), vec![1]);
    }

    #[test]
    fn no_attachment_reaches_nothing_and_staff_reach_all() {
        let nobody = Scope::Company { user_id: 3, grants: vec![] };
        assert!(!nobody.reaches_company(1));
        assert!(nobody.company_ids().is_empty());
        let staff = Scope::Staff { user_id: 4, role: Role::CaseManager };
        assert!(staff.reaches_company(1) && staff.establishment_ids(1).is_none());
        assert!(!staff.is_admin_of(1), "staff help administrators; they are not one");
        assert!(!staff.files(), "staff instruct; companies file");
        assert!(nobody.files(), "a company user files once attached");
    }
}

//! HTML pages, one module per area of the portal.

pub mod account;
pub mod announcements;
pub mod companies;
pub mod contacts;
pub mod dossier_lists;
pub mod dossiers;
pub mod drf;
pub mod filing;
pub mod health;
pub mod help;
pub mod home;
pub mod instruction;
pub mod invoices;
pub mod letters;
pub mod login;
pub mod members;
pub mod notifications;
pub mod password;
pub mod payments;
pub mod proformas;
pub mod reimbursements;
pub mod reservation_lists;
pub mod sessions;
pub mod staff;
pub mod staff_companies;
pub mod tokens;

/// A local path safe to redirect to after signing in: starts with one `/`, no scheme, no host,
/// no backslash or control character. Anything else goes home.
#[must_use]
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local =
        next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control);
    local.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/compte?x=1")), Some("/compte?x=1".to_owned()));
        for evil in ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "compte"] {
            assert_eq!(safe_next(Some(evil)), None, "{evil}");
        }
        assert_eq!(safe_next(None), None);
    }
}

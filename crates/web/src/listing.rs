//! What every bounded list reads from its address (SPEC Q5): the window (`page`, `par_page`,
//! `apres`) and the usual filters, each refused in French naming the parameter; and the pager
//! the templates show (`_pager.html`).
//!
//! Syntax errors (not a number, an unreadable cursor) are 400s, like an unreadable `page`; a
//! well-formed value outside what the list accepts (`par_page=500`, an unknown state, a start
//! day after the end day) is a 422 naming the field.

use chrono::NaiveDate;
use store::listing::{Cursor, DEFAULT_PER_PAGE, Listed, MAX_PER_PAGE, Position, Window};

use crate::error::AppError;
use crate::extract::PageNumber;

/// Reads `par_page`: empty means [`DEFAULT_PER_PAGE`].
///
/// # Errors
/// A 400 when it is not a whole number, a 422 when it is outside 1 to [`MAX_PER_PAGE`].
pub fn per_page(text: &str) -> Result<u64, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_PER_PAGE);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::BadRequest(format!(
            "Le paramètre « par_page » de l’adresse doit être un nombre entier de 1 à {MAX_PER_PAGE}."
        )));
    }
    match text.parse::<u64>() {
        Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => Ok(n),
        _ => Err(AppError::invalid(
            "par_page",
            format!("Le nombre de lignes par page (« par_page ») doit être compris entre 1 et {MAX_PER_PAGE}."),
        )),
    }
}

/// Reads a keyset position `apres` (empty: none).
///
/// # Errors
/// A 400 naming `apres` when it is not a position this portal wrote.
pub fn after(text: &str) -> Result<Option<Cursor>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Cursor::parse(text).map(Some).ok_or_else(|| {
        AppError::BadRequest(
            "Le paramètre « apres » de l’adresse n’est pas valide ; revenez à la première page de la liste.".into(),
        )
    })
}

/// The window an address asks for: `apres` wins over `page` (which then only numbers the page
/// shown).
///
/// # Errors
/// As [`per_page`] and [`after`].
pub fn window(page: PageNumber, par_page: &str, apres: &str) -> Result<Window, AppError> {
    let per_page = per_page(par_page)?;
    let position = match after(apres)? {
        Some(cursor) => Position::After(cursor),
        None => Position::Page(page.get()),
    };
    Ok(Window { per_page, position })
}

/// Reads an optional day filter (`AAAA-MM-JJ` as a date field sends it, or `JJ/MM/AAAA`).
///
/// # Errors
/// A 422 naming `field` when it is not a date.
pub fn day(field: &'static str, label: &str, text: &str) -> Result<Option<NaiveDate>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| {
            AppError::invalid(field, format!("La date « {label} » doit être une date, par exemple 10/01/2026."))
        })
}

/// Reads a pair of day filters, refusing a start after the end.
///
/// # Errors
/// As [`day`]; a 422 naming `au` when the end is before the start.
pub fn days(from: &str, to: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>), AppError> {
    let from = day("du", "du", from)?;
    let to = day("au", "au", to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(AppError::invalid("au", "La date « au » doit être le même jour que « du » ou après."));
    }
    Ok((from, to))
}

/// Reads an optional id filter (an establishment).
///
/// # Errors
/// A 400 naming `field` when it is not a whole number.
pub fn id(field: &'static str, text: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::BadRequest(format!("Le paramètre « {field} » de l’adresse n’est pas valide.")))
}

/// The pager under a list: count, page, links that keep the filters.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Lines matching the filters.
    pub total: u64,
    /// Page shown, from 1.
    pub page: u64,
    /// Number of pages.
    pub pages: u64,
    /// Previous page, when there is one.
    pub prev_href: Option<String>,
    /// Next page (a keyset position), when there is one.
    pub next_href: Option<String>,
    /// The same list as CSV, when it has an export.
    pub csv_href: Option<String>,
}

impl Pager {
    /// The pager of `listed`, shown at `path` with `filters` (name, value; empty values left
    /// out of links).
    #[must_use]
    pub fn new<T>(path: &str, filters: &[(&str, &str)], window: Window, listed: &Listed<T>) -> Self {
        let mut kept: Vec<(&str, String)> =
            filters.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (*k, (*v).trim().to_owned())).collect();
        if window.per_page != DEFAULT_PER_PAGE {
            kept.push(("par_page", window.per_page.to_string()));
        }
        let href = |path: &str, extra: &[(&str, String)]| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in kept.iter().chain(extra) {
                query.append_pair(k, v);
            }
            let query = query.finish();
            if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
        };
        let page = window.page();
        let pages = listed.total.div_ceil(window.per_page.max(1)).max(1);
        Self {
            total: listed.total,
            page,
            pages,
            prev_href: (page > 1).then(|| href(path, &[("page", (page - 1).to_string())])),
            // Forward by keyset: as cheap on the last page as on the second.
            next_href: listed.next.map(|c| href(path, &[("apres", c.to_param()), ("page", (page + 1).to_string())])),
            csv_href: None,
        }
    }

    /// Adds the export link: `csv_path` with the same filters (not the window: an export is the
    /// whole filtered list).
    #[must_use]
    pub fn with_csv(mut self, csv_path: &str, filters: &[(&str, &str)]) -> Self {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in filters.iter().filter(|(_, v)| !v.trim().is_empty()) {
            query.append_pair(k, v.trim());
        }
        let query = query.finish();
        self.csv_href = Some(if query.is_empty() { csv_path.to_owned() } else { format!("{csv_path}?{query}") });
        self
    }
}

// --- added for the staff lists (companies, journal, payments, letters)

/// The instants a pair of Paris days covers: from the start of `from` to the start of the day
/// after `to` (excluded), for filters on timestamps.
#[must_use]
pub fn paris_instants(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) {
    use chrono::TimeZone as _;
    let start = |day: NaiveDate| {
        chrono_tz::Europe::Paris
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    (from.and_then(start), to.and_then(|d| d.succ_opt()).and_then(start))
}

// --- added for the money lists (reimbursements, invoices, proformas)

/// An optional text filter, trimmed (`None` when empty).
#[must_use]
pub fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Reads an optional amount filter (`1234,50`, `1 234.5`, `80 €`).
///
/// # Errors
/// A 422 naming `field` when it is not an amount.
pub fn money(field: &'static str, label: &str, text: &str) -> Result<Option<domain::Money>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    domain::Money::parse(text).map(Some).map_err(|_| {
        AppError::invalid(field, format!("Le montant « {label} » doit être un montant en euros, par exemple 1234,50."))
    })
}

/// Reads a pair of amount filters `montant_min`, `montant_max`, refusing a minimum above the
/// maximum.
///
/// # Errors
/// As [`money`]; a 422 naming `montant_max` when it is below the minimum.
pub fn amounts(min: &str, max: &str) -> Result<(Option<domain::Money>, Option<domain::Money>), AppError> {
    let min = money("montant_min", "montant_min", min)?;
    let max = money("montant_max", "montant_max", max)?;
    if let (Some(lo), Some(hi)) = (min, max)
        && hi < lo
    {
        return Err(AppError::invalid(
            "montant_max",
            "Le montant « montant_max » doit être supérieur ou égal à « montant_min ».",
        ));
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_page_is_bounded() {
        assert_eq!(per_page("").ok(), Some(DEFAULT_PER_PAGE));
        assert_eq!(per_page("200").ok(), Some(200));
        assert_eq!(per_page("0").err().map(|e| e.status().as_u16()), Some(422));
        assert_eq!(per_page("201").err().map(|e| e.status().as_u16()), Some(422));
        assert_eq!(per_page("99999999999999999999999").err().map(|e| e.status().as_u16()), Some(422));
        assert_eq!(per_page("-1").err().map(|e| e.status().as_u16()), Some(400));
        assert_eq!(per_page("dix").err().map(|e| e.status().as_u16()), Some(400));
    }

    #[test]
    fn days_in_order() {
        assert!(days("2026-01-01", "31/01/2026").is_ok());
        assert_eq!(days("2026-02-01", "2026-01-01").err().map(|e| e.status().as_u16()), Some(422));
        assert_eq!(days("demain", "").err().map(|e| e.status().as_u16()), Some(422));
    }

    #[test]
    fn pager_links_keep_filters() {
        let listed = Listed { rows: vec![1, 2], total: 5, next: Some(Cursor::id(9)) };
        let window = Window { per_page: 2, position: Position::Page(2) };
        let pager = Pager::new("/l", &[("statut", "soumis"), ("q", "")], window, &listed);
        assert_eq!(pager.pages, 3);
        assert_eq!(pager.prev_href.as_deref(), Some("/l?statut=soumis&par_page=2&page=1"));
        assert_eq!(pager.next_href.as_deref(), Some("/l?statut=soumis&par_page=2&apres=9&page=3"));
    }
}

//! Bounded lists (SPEC Q5): every list is read one window at a time, never whole.
//!
//! A window is either a numbered page (`OFFSET`, for short lists and for jumping) or a keyset
//! position (`apres`, "after this line"), which costs the same on the millionth line as on the
//! first because it walks an index from the last line shown. Counting is a separate statement so
//! that exports, which stream chunk after chunk, never pay for it.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};

/// Lines per page when the address does not say.
pub const DEFAULT_PER_PAGE: u64 = 50;
/// The most lines a page may ask for: a page stays one screen of HTML and one bounded query.
pub const MAX_PER_PAGE: u64 = 200;
/// Lines read per statement by an export: memory holds one chunk at a time.
pub const EXPORT_CHUNK: u64 = 500;

/// Where a keyset list resumes: the sort key of the last line shown (a day for lists sorted by
/// a date first, then the id that breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The day of the last line, for lists sorted by a day first.
    pub day: Option<NaiveDate>,
    /// The id of the last line.
    pub id: i64,
}

impl Cursor {
    /// A cursor on an id alone.
    #[must_use]
    pub fn id(id: i64) -> Self {
        Self { day: None, id }
    }

    /// As written in an address: `123`, or `2026-01-05.123` with a day.
    #[must_use]
    pub fn to_param(self) -> String {
        match self.day {
            Some(day) => format!("{}.{}", day.format("%Y-%m-%d"), self.id),
            None => self.id.to_string(),
        }
    }

    /// Reads a cursor written by [`Cursor::to_param`]; `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (day, id) = match text.split_once('.') {
            Some((day, id)) => (Some(NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?), id),
            None => (None, text),
        };
        // Only digits: no sign, no spaces, no `+`.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self { day, id: id.parse().ok()? })
    }
}

/// Which lines of a list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A numbered page, from 1.
    Page(u64),
    /// The lines after this one, in the list's order.
    After(Cursor),
}

/// A window on a list: its size and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Lines per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u64,
    /// Where the window starts.
    pub position: Position,
}

impl Default for Window {
    fn default() -> Self {
        Self { per_page: DEFAULT_PER_PAGE, position: Position::Page(1) }
    }
}

impl Window {
    /// The first `per_page` lines.
    #[must_use]
    pub fn first(per_page: u64) -> Self {
        Self { per_page: per_page.clamp(1, MAX_PER_PAGE), position: Position::Page(1) }
    }

    /// The page number shown (1 for a keyset window, which has no number).
    #[must_use]
    pub fn page(&self) -> u64 {
        match self.position {
            Position::Page(n) => n.max(1),
            Position::After(_) => 1,
        }
    }
}

/// One window of a list, the number of lines the whole list has, and where the next window
/// starts (if there are lines after it).
#[derive(Debug, Clone)]
pub struct Listed<T> {
    /// The lines of the window, in order.
    pub rows: Vec<T>,
    /// How many lines match the filters.
    pub total: u64,
    /// Where the next window starts, when there is one.
    pub next: Option<Cursor>,
}

/// How a list is ordered and resumed: the one place a list's order is written, so that a page,
/// its keyset continuation and its export agree.
pub trait Keyset<E: EntityTrait> {
    /// The query put in the list's order (ties broken by id, so the order is total).
    fn order(&self, query: Select<E>) -> Select<E>;
    /// The query restricted to the lines after `cursor` in that order.
    fn after(&self, query: Select<E>, cursor: Cursor) -> Select<E>;
    /// The cursor of a line.
    fn cursor(&self, row: &E::Model) -> Cursor;
}

/// Reads one chunk of at most `limit` lines after `after` (from the start when `None`), and the
/// cursor of the chunk after it. No count: exports call this in a loop.
///
/// # Errors
/// The driver's error.
pub async fn chunk<E, K>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    keyset: &K,
    after: Option<Cursor>,
    limit: u64,
) -> Result<(Vec<E::Model>, Option<Cursor>), DbErr>
where
    E: EntityTrait,
    K: Keyset<E>,
{
    let query = match after {
        Some(cursor) => keyset.after(query, cursor),
        None => query,
    };
    // One line more than asked says whether another chunk follows, without counting.
    let mut rows = keyset.order(query).limit(limit.saturating_add(1)).all(conn).await?;
    let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more { rows.last().map(|r| keyset.cursor(r)) } else { None };
    Ok((rows, next))
}

/// Reads one window of a list and its count: two statements whatever the window.
///
/// # Errors
/// The driver's error.
pub async fn window<E, K>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    keyset: &K,
    window: Window,
) -> Result<Listed<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    K: Keyset<E>,
{
    let total = query.clone().count(conn).await?;
    let per_page = window.per_page.clamp(1, MAX_PER_PAGE);
    let (rows, next) = match window.position {
        Position::After(cursor) => chunk(conn, query, keyset, Some(cursor), per_page).await?,
        Position::Page(page) => {
            let offset = page.max(1).saturating_sub(1).saturating_mul(per_page);
            let mut rows = keyset.order(query).offset(offset).limit(per_page.saturating_add(1)).all(conn).await?;
            let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > per_page;
            rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
            let next = if more { rows.last().map(|r| keyset.cursor(r)) } else { None };
            (rows, next)
        }
    };
    Ok(Listed { rows, total, next })
}

// --- added for the reservation lists (DRF, legacy history)

/// A case-insensitive "contains `text`" on a text column, the same on both backends
/// (PostgreSQL's LIKE is case-sensitive, SQLite's is not): both sides in lower case, the LIKE
/// wildcards (`%`, `_`) taken out of `text` so that a name typed with them is not everyone.
/// Matches nothing when only wildcards were typed.
#[must_use]
pub fn contains_any_case<C>(column: C, text: &str) -> sea_orm::sea_query::SimpleExpr
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    use sea_orm::ExprTrait as _;
    use sea_orm::sea_query::{Expr, Func};
    let wanted: String = text.trim().to_lowercase().chars().filter(|c| !matches!(c, '%' | '_')).collect();
    if wanted.is_empty() {
        return Expr::value(false);
    }
    Expr::expr(Func::lower(Expr::col(column))).like(format!("%{wanted}%"))
}

// --- added for the money lists (reimbursements, invoices, proformas)

/// Lines whose `columns` (any of them) contain `text`, any case, as [`contains_any_case`] has it.
#[must_use]
pub fn any_contains<C>(columns: impl IntoIterator<Item = C>, text: &str) -> sea_orm::Condition
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    columns
        .into_iter()
        .fold(sea_orm::Condition::any(), |any, column| any.add(contains_any_case(column, text)))
        .add(sea_orm::sea_query::Expr::value(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back() {
        for cursor in [Cursor::id(42), Cursor { day: NaiveDate::from_ymd_opt(2026, 1, 5), id: 7 }] {
            assert_eq!(Cursor::parse(&cursor.to_param()), Some(cursor));
        }
    }

    #[test]
    fn unreadable_cursors_are_none() {
        for text in ["", "abc", "-3", "+3", "1.2", "2026-13-01.4", "2026-01-05.", "99999999999999999999"] {
            assert_eq!(Cursor::parse(text), None, "{text}");
        }
    }
}

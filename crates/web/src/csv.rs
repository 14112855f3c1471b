//! CSV exports of lists (SPEC Q5), as French spreadsheets open them: UTF-8 with a byte-order
//! mark (without it Excel reads UTF-8 as Windows-1252), `;` between fields (the comma is the
//! decimal separator), dates `JJ/MM/AAAA`, amounts `1234,50` (no thousands separator, no `€`,
//! so the cell is a number).
//!
//! An export is streamed: the body pulls one chunk of lines from the database at a time (keyset,
//! [`store::listing::EXPORT_CHUNK`] lines), only when the client has taken the previous one, so
//! memory stays one chunk whatever the list's length and a slow client holds no connection
//! between chunks.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::Money;
use http::header;
use store::listing::Cursor;

use crate::error::AppError;

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// One CSV line being written.
#[derive(Debug, Default)]
pub struct Line {
    text: String,
    empty: bool,
}

impl Line {
    /// A new line.
    #[must_use]
    pub fn new() -> Self {
        Self { text: String::new(), empty: true }
    }

    fn sep(&mut self) {
        if !self.empty {
            self.text.push(';');
        }
        self.empty = false;
    }

    /// A text field: quoted when it holds `;`, `"` or a line break; a leading `=`, `+`, `-` or
    /// `@` is neutralised with `'` so a spreadsheet never runs a company's text as a formula.
    #[must_use]
    pub fn text(mut self, value: &str) -> Self {
        self.sep();
        let guarded;
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            guarded = format!("'{value}");
            guarded.as_str()
        } else {
            value
        };
        if value.contains([';', '"', '\n', '\r']) {
            self.text.push('"');
            self.text.push_str(&value.replace('"', "\"\""));
            self.text.push('"');
        } else {
            self.text.push_str(value);
        }
        self
    }

    /// A day, `JJ/MM/AAAA`; empty when absent.
    #[must_use]
    pub fn day(mut self, value: Option<NaiveDate>) -> Self {
        self.sep();
        if let Some(day) = value {
            self.text.push_str(&day.format("%d/%m/%Y").to_string());
        }
        self
    }

    /// An amount, `1234,50` (`-0,50` below zero); empty when absent.
    #[must_use]
    pub fn money(mut self, value: Option<Money>) -> Self {
        self.sep();
        if let Some(money) = value {
            self.text.push_str(&amount(money));
        }
        self
    }

    /// A whole number.
    #[must_use]
    pub fn int(mut self, value: i64) -> Self {
        self.sep();
        self.text.push_str(&value.to_string());
        self
    }

    /// Ends the line (CRLF, as RFC 4180 has it) onto `out`.
    pub fn end(self, out: &mut String) {
        out.push_str(&self.text);
        out.push_str("\r\n");
    }
}

/// An amount as a spreadsheet cell: `1234,50`.
#[must_use]
pub fn amount(money: Money) -> String {
    let cents = money.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// The header line of an export.
#[must_use]
pub fn header(columns: &[&str]) -> String {
    let mut out = String::from(BOM);
    columns.iter().fold(Line::new(), |line, c| line.text(c)).end(&mut out);
    out
}

/// What streams an export: the BOM and header, then `fetch(after)` chunk after chunk until it
/// says there is no next chunk. `fetch` returns the chunk's CSV text and the next position.
pub fn stream<F, Fut>(filename: &str, header: String, mut fetch: F) -> Response
where
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(String, Option<Cursor>), AppError>> + Send + 'static,
{
    enum Step {
        Header(String),
        Chunk(Option<Cursor>),
        Done,
    }
    enum Pending<Fut> {
        Ready(String),
        Fetch(Fut),
        End,
    }
    let body = futures_util::stream::unfold(Step::Header(header), move |step| {
        let pending = match step {
            Step::Header(text) => Pending::Ready(text),
            Step::Chunk(after) => Pending::Fetch(fetch(after)),
            Step::Done => Pending::End,
        };
        async move {
            match pending {
                Pending::Ready(text) => Some((Ok(Bytes::from(text)), Step::Chunk(None))),
                Pending::Fetch(chunk) => match chunk.await {
                    Ok((text, Some(cursor))) => Some((Ok(Bytes::from(text)), Step::Chunk(Some(cursor)))),
                    Ok((text, None)) => Some((Ok(Bytes::from(text)), Step::Done)),
                    Err(err) => {
                        // The status line is gone: end the body short, which the client sees
                        // as a failed download rather than a complete file.
                        tracing::error!(error = %err, "CSV export interrupted");
                        Some((Err(std::io::Error::other("export interrompu")), Step::Done))
                    }
                },
                Pending::End => None,
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_cells() {
        let mut out = String::new();
        Line::new()
            .text("Léa; « Moreau »")
            .text("a \"b\"")
            .text("=SOMME(A1)")
            .day(NaiveDate::from_ymd_opt(2026, 1, 5))
            .money(Some(Money::from_cents(123_450)))
            .money(Some(Money::from_cents(-50)))
            .money(None)
            .int(35)
            .end(&mut out);
        assert_eq!(out, "\"Léa; « Moreau »\";\"a \"\"b\"\"\";'=SOMME(A1);05/01/2026;1234,50;-0,50;;35\r\n");
    }

    #[test]
    fn header_starts_with_bom() {
        assert_eq!(header(&["Numéro", "État"]), "\u{feff}Numéro;État\r\n");
    }
}

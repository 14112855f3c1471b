//! The printable PDF of a help guide (SPEC I2): the same text as the guide's page, laid out on A4
//! for people who keep a paper copy beside them while they file.
//!
//! The caller turns the guide's Markdown into [`Block`]s (headings, paragraphs, list items made of
//! plain or bold spans); the template only prints them as text. Rendering is CPU work: callers on
//! an async runtime use `spawn_blocking`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::pdf::{self, PdfError, Template};

const TEMPLATE: Template = Template { name: "guide", source: include_str!("../templates/pdf/guide.typ") };

/// A run of text, bold or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The text.
    pub text: String,
    /// Printed in bold.
    pub bold: bool,
}

/// A block of the guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// A section heading.
    Heading {
        /// Its text.
        text: String,
    },
    /// A paragraph.
    Paragraph {
        /// Its spans.
        spans: Vec<Span>,
    },
    /// An item of a bulleted list.
    Item {
        /// Its spans.
        spans: Vec<Span>,
    },
}

/// A guide to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideDocument {
    /// Title.
    pub title: String,
    /// One or two sentences under the title.
    pub summary: String,
    /// Last checked.
    pub updated: NaiveDate,
    /// Who publishes it (the operator's name).
    pub operator: String,
    /// The text.
    pub blocks: Vec<Block>,
}

#[derive(Serialize)]
struct Data<'a> {
    title: &'a str,
    summary: &'a str,
    updated: String,
    operator: &'a str,
    blocks: &'a [Block],
}

/// Renders a guide as a PDF.
///
/// # Errors
/// [`PdfError::InvalidInput`] for a guide without title or text; the renderer's errors.
pub fn render_guide(guide: &GuideDocument) -> Result<Vec<u8>, PdfError> {
    if guide.title.trim().is_empty() || guide.blocks.is_empty() {
        return Err(PdfError::InvalidInput {
            reference: guide.title.clone(),
            problem: "blocks : le guide n’a pas de titre ou pas de texte".to_owned(),
        });
    }
    let data = Data {
        title: &guide.title,
        summary: &guide.summary,
        updated: guide.updated.format("%d/%m/%Y").to_string(),
        operator: &guide.operator,
        blocks: &guide.blocks,
    };
    let laid = pdf::lay_out(TEMPLATE, &data, guide.updated)?;
    pdf::export(TEMPLATE, &laid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(pdf: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        doc.extract_text(&pages).unwrap()
    }

    #[test]
    fn a_guide_prints_its_headings_paragraphs_and_items_as_text() {
        let guide = GuideDocument {
            title: "Guide de connexion".into(),
            summary: "Se connecter et se rattacher.".into(),
            updated: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            operator: "OPCO Démo".into(),
            blocks: vec![
                Block::Heading { text: "Se connecter".into() },
                Block::Paragraph {
                    spans: vec![
                        Span { text: "Utilisez votre ".into(), bold: false },
                        Span { text: "adresse e-mail".into(), bold: true },
                        Span { text: " #set page(width: 1mm) $x$ ".into(), bold: false },
                    ],
                },
                Block::Item { spans: vec![Span { text: "Rattachement à l’entreprise".into(), bold: false }] },
            ],
        };
        let pdf = render_guide(&guide).unwrap();
        let text = text_of(&pdf);
        for expected in ["Guide de connexion", "Se connecter", "adresse", "Rattachement", "30/11/2026", "#set page"] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let empty = GuideDocument { blocks: Vec::new(), ..guide };
        assert!(render_guide(&empty).unwrap_err().to_string().contains("blocks"));
    }
}

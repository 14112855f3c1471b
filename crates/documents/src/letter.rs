//! Activation letters (SPEC A4): when someone asks to be attached to a company that has no
//! administrator yet, a letter with an activation code is posted to the company's head office;
//! the person the company designates enters the code in the portal and becomes administrator.
//!
//! Staff download a batch of letters as one PDF, one A4 page per letter, laid out for a French
//! window envelope (DL 110 × 220 mm, window 45 × 100 mm on the right). The template is
//! `templates/pdf/activation_letters.typ`; the envelope-window coordinates are at its top.
//!
//! Rendering is CPU work: [`render_activation_letters`] is synchronous and pure, and async
//! callers must run it in `tokio::task::spawn_blocking`.

use chrono::NaiveDate;
use domain::ident::Siren;
use serde::Serialize;

use crate::fr;
use crate::pdf::{self, PdfError, Template};

/// The template, embedded in the binary.
const TEMPLATE: Template =
    Template { name: "activation_letters", source: include_str!("../templates/pdf/activation_letters.typ") };

/// The label the template puts at the end of each letter, to check each fits its page.
const END_OF_LETTER: &str = "fin-courrier";

/// Lines a postal address may have under the recipient's name (NF Z10-011 allows six).
const ADDRESS_LINES: std::ops::RangeInclusive<usize> = 2..=6;

/// Where the portal's activation form is, under the portal's address.
const ACTIVATION_PATH: &str = "/entreprise/activer";

/// One letter to a company's head office. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationLetter {
    /// The company's name, first line of the address block.
    pub company_name: String,
    /// The head office's postal address, without the company's name: 2 to 6 lines
    /// (street, complement, postcode and city…), as La Poste expects them.
    pub address_lines: Vec<String>,
    /// The company's SIREN (validated elsewhere, e.g. `Siren::as_str`; checked again with
    /// `domain::ident::Siren::parse` and printed as `732 829 320`).
    pub siren: String,
    /// The person who asked to be attached, as they gave their name.
    pub requester_name: String,
    /// The activation code as it should be printed (`K7QM-4XPA-93TF`): the portal stores only
    /// its hash, so the letter is the one place it appears in clear.
    pub code: String,
    /// The last day on which the code works (Paris calendar date).
    pub expires_on: NaiveDate,
    /// The letter's number, for the archive and for the help desk.
    pub reference: String,
}

impl std::fmt::Debug for ActivationLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivationLetter")
            .field("company_name", &self.company_name)
            .field("address_lines", &self.address_lines)
            .field("siren", &self.siren)
            .field("requester_name", &self.requester_name)
            .field("code", &"[caché]")
            .field("expires_on", &self.expires_on)
            .field("reference", &self.reference)
            .finish()
    }
}

/// Who sends the letters: the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSender {
    /// The operator's name, top left and in the signature.
    pub operator_name: String,
    /// The operator's postal address, under its name.
    pub operator_address_lines: Vec<String>,
    /// The portal's public address (`https://portail.exemple.fr`), trailing slash optional.
    pub portal_url: String,
    /// How to reach the help desk, as one line (`01 23 45 67 89` or an e-mail address).
    pub help_contact: String,
    /// The city in « Fait à …, le … ».
    pub city: String,
}

/// What the template reads from `/data.json`: every string is printed as text, never as markup.
/// No `Debug`: it holds the codes.
#[derive(Serialize)]
struct Batch<'a> {
    title: &'static str,
    sender: SenderData<'a>,
    issued_on: String,
    letters: Vec<LetterData>,
}

#[derive(Serialize)]
struct SenderData<'a> {
    name: String,
    address: Vec<String>,
    portal_url: &'a str,
    activation_url: String,
    help_contact: String,
    city: String,
}

#[derive(Serialize)]
struct LetterData {
    company_name: String,
    address: Vec<String>,
    siren: String,
    requester_name: String,
    code: String,
    expires_on: String,
    reference: String,
}

/// Renders a batch of activation letters as one PDF: one A4 page per letter, in the order given,
/// dated `issued_on`, with the document title « Codes d’activation ».
///
/// Each letter must fit its page: a letter whose address or names are so long that it would run
/// over is refused rather than printed on two sheets that would be posted apart. Text fields are
/// trimmed and their inner whitespace (line breaks included) folded to single spaces; blank
/// address lines are dropped.
///
/// CPU work (a few tens of milliseconds per letter): run it in `tokio::task::spawn_blocking`.
/// The PDF holds the codes in clear: keep it no longer than it takes to print the letters.
///
/// # Errors
/// - [`PdfError::EmptyBatch`] when `letters` is empty: there is nothing to post, and an empty PDF
///   would only hide a bug upstream;
/// - [`PdfError::InvalidInput`] when a letter has an empty name, code or reference, fewer than 2
///   or more than 6 address lines, an invalid SIREN, or a code that expires before the letter is
///   issued;
/// - [`PdfError::DoesNotFit`] when a letter runs over one page;
/// - [`PdfError::Template`], [`PdfError::Export`] for bugs in the template.
pub fn render_activation_letters(
    sender: &LetterSender,
    letters: &[ActivationLetter],
    issued_on: NaiveDate,
) -> Result<Vec<u8>, PdfError> {
    let batch = batch(sender, letters, issued_on)?;
    let laid = pdf::lay_out(TEMPLATE, &batch, issued_on)?;
    for warning in &laid.warnings {
        tracing::warn!(template = TEMPLATE.name, warning = %warning, "PDF template warning");
    }
    // Letter i (0-based) must end on page i + 1; the first one that does not ran over.
    let ends = laid.pages_of_label(END_OF_LETTER);
    if ends.len() != letters.len() {
        return Err(PdfError::Template {
            template: TEMPLATE.name,
            message: format!("{} fins de courrier trouvées pour {} courriers", ends.len(), letters.len()),
        });
    }
    for (i, (letter, page)) in letters.iter().zip(&ends).enumerate() {
        if *page != i + 1 {
            return Err(PdfError::DoesNotFit { reference: letter.reference.clone() });
        }
    }
    if laid.page_count() != letters.len() {
        let reference = letters.last().map(|l| l.reference.clone()).unwrap_or_default();
        return Err(PdfError::DoesNotFit { reference });
    }
    pdf::export(TEMPLATE, &laid)
}

/// What the template reads, checked and cleaned.
fn batch<'a>(
    sender: &'a LetterSender,
    letters: &[ActivationLetter],
    issued_on: NaiveDate,
) -> Result<Batch<'a>, PdfError> {
    if letters.is_empty() {
        return Err(PdfError::EmptyBatch);
    }
    let portal_url = sender.portal_url.trim().trim_end_matches('/');
    Ok(Batch {
        title: "Codes d’activation",
        sender: SenderData {
            name: one_line(&sender.operator_name),
            address: lines(&sender.operator_address_lines),
            portal_url,
            activation_url: format!("{portal_url}{ACTIVATION_PATH}"),
            help_contact: one_line(&sender.help_contact),
            city: one_line(&sender.city),
        },
        issued_on: fr::long_date(issued_on),
        letters: letters.iter().map(|letter| letter_data(letter, issued_on)).collect::<Result<_, _>>()?,
    })
}

fn letter_data(letter: &ActivationLetter, issued_on: NaiveDate) -> Result<LetterData, PdfError> {
    let reference = one_line(&letter.reference);
    let invalid = |problem: String| PdfError::InvalidInput {
        reference: if reference.is_empty() { "sans référence".to_owned() } else { reference.clone() },
        problem,
    };
    if reference.is_empty() {
        return Err(invalid("la référence du courrier est vide".into()));
    }
    let siren = Siren::parse(&letter.siren).map_err(|e| invalid(format!("SIREN « {} » : {e}", letter.siren)))?;
    let data = LetterData {
        company_name: one_line(&letter.company_name),
        address: lines(&letter.address_lines),
        siren: siren.formatted(),
        requester_name: one_line(&letter.requester_name),
        code: one_line(&letter.code),
        expires_on: fr::long_date(letter.expires_on),
        reference: reference.clone(),
    };
    if data.company_name.is_empty() || data.requester_name.is_empty() || data.code.is_empty() {
        return Err(invalid("le nom de l’entreprise, le demandeur et le code sont obligatoires".into()));
    }
    if !ADDRESS_LINES.contains(&data.address.len()) {
        return Err(invalid(format!(
            "l’adresse a {} ligne(s) ; il en faut de {} à {} sous le nom de l’entreprise",
            data.address.len(),
            ADDRESS_LINES.start(),
            ADDRESS_LINES.end()
        )));
    }
    if letter.expires_on < issued_on {
        return Err(invalid("le code expire avant la date du courrier".into()));
    }
    Ok(data)
}

/// Trims and folds inner whitespace, line breaks included, to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`one_line`] on each line, blank lines dropped.
fn lines(lines: &[String]) -> Vec<String> {
    lines.iter().map(|line| one_line(line)).filter(|line| !line.is_empty()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Instant;

    use super::*;

    /// Every character typst gives a meaning to in markup, with French accents around them.
    const TRICKY_NAME: &str = r"Été & Cie #1 *à* _b_ $c [d] @e <f> \ g";

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn sender() -> LetterSender {
        LetterSender {
            operator_name: "OPCO Démo".into(),
            operator_address_lines: vec!["14 rue de la Préfecture".into(), "75012 Paris".into()],
            portal_url: "https://portail.exemple.fr/".into(),
            help_contact: "01 23 45 67 89 ou aide@exemple.fr".into(),
            city: "Paris".into(),
        }
    }

    fn letter(company_name: &str, code: &str, reference: &str) -> ActivationLetter {
        ActivationLetter {
            company_name: company_name.into(),
            address_lines: vec!["Bâtiment B".into(), "3 allée des Érables".into(), "69003 Lyon".into()],
            siren: "732829320".into(),
            requester_name: "Françoise Lefèvre-Noël".into(),
            code: code.into(),
            expires_on: day(2026, 3, 6),
            reference: reference.into(),
        }
    }

    /// A one-page letter, for tests of other modules that need a real PDF.
    pub(crate) fn sample_pdf() -> Vec<u8> {
        render_activation_letters(
            &sender(),
            &[letter("Intérim Nord", "K7QM-4XPA-93TF", "LA-2026-000001")],
            day(2026, 1, 5),
        )
        .unwrap()
    }

    /// To look at the layout: `ESPACE_SAMPLE_DIR=/tmp cargo test -p espace-documents` writes the
    /// sample PDFs there.
    fn keep_sample(name: &str, pdf: &[u8]) {
        if let Some(dir) = std::env::var_os("ESPACE_SAMPLE_DIR") {
            std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
        }
    }

    /// The text of each page, as an independent parser (lopdf) reads it back, with runs of
    /// whitespace (no-break spaces included) folded to one space.
    fn pages_text(pdf: &[u8]) -> Vec<String> {
        let document = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        pages
            .iter()
            .map(|&page| {
                let text = document.extract_text(&[page]).expect("text of the page");
                text.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
            })
            .collect()
    }

    #[test]
    fn a_batch_prints_one_letter_per_page_with_the_data_as_given() {
        let letters = [
            letter(TRICKY_NAME, "K7QM-4XPA-93TF", "LA-2026-000017"),
            letter("Boulangerie Ô Délices", "9ZRW-H2CD-5BN8", "LA-2026-000018"),
        ];
        let pdf = render_activation_letters(&sender(), &letters, day(2026, 1, 5)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        keep_sample("activation_letters.pdf", &pdf);

        let pages = pages_text(&pdf);
        assert_eq!(pages.len(), 2, "{pages:#?}");
        let first = &pages[0];
        for expected in [
            TRICKY_NAME,
            "K7QM-4XPA-93TF",
            "732 829 320",
            "6 mars 2026",
            "Fait à Paris, le 5 janvier 2026",
            "Françoise Lefèvre-Noël",
            "https://portail.exemple.fr/entreprise/activer",
            "3 allée des Érables",
            "LA-2026-000017",
            "Page 1/1",
        ] {
            assert!(first.contains(expected), "page 1 lacks {expected:?}:\n{first}");
        }
        assert!(!first.contains("9ZRW-H2CD-5BN8"), "{first}");
        assert!(pages[1].contains("9ZRW-H2CD-5BN8"), "{}", pages[1]);
        assert!(pages[1].contains("Boulangerie Ô Délices"), "{}", pages[1]);
        assert!(!pages[1].contains("K7QM-4XPA-93TF"), "{}", pages[1]);

        let document = lopdf::Document::load_mem(&pdf).unwrap();
        let info = document.trailer.get(b"Info").and_then(|info| document.dereference(info)).unwrap().1;
        let title = info.as_dict().unwrap().get(b"Title").unwrap();
        assert_eq!(lopdf::decode_text_string(title).unwrap(), "Codes d’activation");
    }

    #[test]
    fn the_template_compiles_without_warnings() {
        let letters = [letter(TRICKY_NAME, "K7QM-4XPA-93TF", "LA-1")];
        let sender = sender();
        let batch = batch(&sender, &letters, day(2026, 1, 5)).unwrap();
        let laid = pdf::lay_out(TEMPLATE, &batch, day(2026, 1, 5)).unwrap();
        assert!(laid.warnings.is_empty(), "{:?}", laid.warnings);
        assert_eq!(laid.page_count(), 1);
        assert_eq!(laid.pages_of_label(END_OF_LETTER), vec![1]);
    }

    #[test]
    fn debug_hides_the_code() {
        let shown = format!("{:?}", letter("ACME", "K7QM-4XPA-93TF", "LA-1"));
        assert!(!shown.contains("K7QM"), "{shown}");
        assert!(shown.contains("LA-1"), "{shown}");
    }

    #[test]
    fn an_empty_batch_is_refused() {
        let err = render_activation_letters(&sender(), &[], day(2026, 1, 5)).unwrap_err();
        assert!(matches!(err, PdfError::EmptyBatch), "{err}");
    }

    #[test]
    fn letters_that_cannot_be_posted_are_refused_by_reference() {
        let mut one_line = letter("ACME", "AAAA-BBBB-CCCC", "LA-9");
        one_line.address_lines = vec!["75001 Paris".into(), "   ".into()];
        let err = render_activation_letters(&sender(), &[letter("X", "C", "LA-8"), one_line], day(2026, 1, 5));
        assert!(matches!(&err, Err(PdfError::InvalidInput { reference, .. }) if reference == "LA-9"), "{err:?}");

        let mut bad_siren = letter("ACME", "AAAA-BBBB-CCCC", "LA-11");
        bad_siren.siren = "732829321".into();
        let err = render_activation_letters(&sender(), &[bad_siren], day(2026, 1, 5));
        assert!(matches!(&err, Err(PdfError::InvalidInput { reference, .. }) if reference == "LA-11"), "{err:?}");

        let expired = letter("ACME", "AAAA-BBBB-CCCC", "LA-10");
        let err = render_activation_letters(&sender(), &[expired], day(2026, 3, 7));
        assert!(matches!(&err, Err(PdfError::InvalidInput { reference, .. }) if reference == "LA-10"), "{err:?}");
    }

    #[test]
    fn the_longest_plausible_letter_fits_its_page() {
        let longest = ActivationLetter {
            company_name: "Société Coopérative Ouvrière de Production des Établissements Durand-Lefèvre et Associés"
                .into(),
            address_lines: vec![
                "Monsieur le Directeur Général Délégué".into(),
                "Bâtiment C – Escalier 4 – 3e étage".into(),
                "Résidence des Grands Chênes Verts".into(),
                "128 boulevard du Maréchal de Lattre".into(),
                "BP 12345 Saint-Rémy-lès-Chevreuse".into(),
                "78472 SAINT-RÉMY-LÈS-CHEVREUSE CEDEX".into(),
            ],
            siren: "732829320".into(),
            requester_name: "Marie-Bernadette Charlotte de La Tour d’Auvergne-Laguiche".into(),
            code: "WWWW-WWWW-WWWW".into(),
            expires_on: day(2026, 12, 31),
            reference: "LA-2026-999999-ÉTABLISSEMENT".into(),
        };
        let mut sender = sender();
        sender.help_contact =
            "01 23 45 67 89 (du lundi au vendredi, de 9 h à 18 h) ou assistance-entreprises@exemple.fr".into();
        let pdf = render_activation_letters(&sender, &[longest], day(2026, 11, 1)).unwrap();
        keep_sample("activation_letter_longest.pdf", &pdf);
        assert_eq!(pages_text(&pdf).len(), 1);
    }

    #[test]
    fn a_letter_that_runs_over_its_page_is_refused() {
        let mut long = letter("ACME", "AAAA-BBBB-CCCC", "LA-12");
        long.requester_name = "Jean-Baptiste Poquelin dit Molière ".repeat(120);
        let letters = [letter("ACME", "AAAA-BBBB-CCCC", "LA-11"), long, letter("B", "C", "LA-13")];
        let err = render_activation_letters(&sender(), &letters, day(2026, 1, 5)).unwrap_err();
        assert!(matches!(&err, PdfError::DoesNotFit { reference } if reference == "LA-12"), "{err}");
    }

    #[test]
    fn render_time_per_letter() {
        let issued_on = day(2026, 1, 5);
        let started = Instant::now();
        render_activation_letters(&sender(), &[letter("ACME", "AAAA-BBBB-CCCC", "LA-1")], issued_on).unwrap();
        let first = started.elapsed();
        let letters: Vec<ActivationLetter> =
            (0..20).map(|i| letter(&format!("Entreprise {i}"), "AAAA-BBBB-CCCC", &format!("LA-{i}"))).collect();
        let started = Instant::now();
        let pdf = render_activation_letters(&sender(), &letters, issued_on).unwrap();
        let batch = started.elapsed();
        eprintln!(
            "activation letters: first render (fonts parsed) {first:?}; batch of 20 in {batch:?}, {:?} per letter, {} KiB",
            batch / 20,
            pdf.len() / 1024
        );
    }
}

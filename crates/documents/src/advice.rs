//! The remittance advice (*avis de virement*) of a payment run as a PDF: one per payee and run,
//! listing the invoices a SEPA credit transfer pays, so that the company can book it. The
//! template is `templates/pdf/remittance_advice.typ`.
//!
//! The advice is made available in the company's space only: it is never e-mailed or posted,
//! and the document says so. The payee's IBAN is printed masked ([`mask_iban`]); the total is
//! computed here from the lines, never taken from the caller.
//!
//! Rendering is CPU work: [`render_advice`] is synchronous and pure, and async callers must run
//! it in `tokio::task::spawn_blocking`.

use chrono::NaiveDate;
use serde::Serialize;

use domain::Money;

use crate::pdf::{self, PdfError, Template};

/// The template, embedded in the binary.
const TEMPLATE: Template =
    Template { name: "remittance_advice", source: include_str!("../templates/pdf/remittance_advice.typ") };

/// The statement every advice carries: it is informative and only available in the portal.
pub const PORTAL_ONLY: &str =
    "Cet avis est mis à disposition dans votre espace ; il n’est envoyé ni par courriel ni par courrier.";

/// The characters of an IBAN that stay visible at each end (country code and check digits at the
/// start, the last four at the end).
const VISIBLE: usize = 4;

/// The remittance advice of one payee in one payment run.
///
/// `Debug` masks the IBAN, so that a log line never holds it in full.
#[derive(Clone, PartialEq, Eq)]
pub struct RemittanceAdvice {
    /// The payment's end-to-end id, as in the SEPA file (`EF-000042-000007`).
    pub reference: String,
    /// The operator who pays, the issuer of the advice.
    pub operator_name: String,
    /// The operator's postal address, one line per item.
    pub operator_address: Vec<String>,
    /// The company that is paid.
    pub payee_name: String,
    /// The payee's full IBAN; the PDF prints it masked ([`mask_iban`]).
    pub payee_iban: String,
    /// The date of the run (Paris calendar date).
    pub run_date: NaiveDate,
    /// The requested execution date of the transfer.
    pub execution_date: NaiveDate,
    /// The SEPA message id of the run.
    pub run_reference: String,
    /// The invoices the transfer pays: at least one.
    pub lines: Vec<AdviceLine>,
}

impl std::fmt::Debug for RemittanceAdvice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemittanceAdvice")
            .field("reference", &self.reference)
            .field("operator_name", &self.operator_name)
            .field("operator_address", &self.operator_address)
            .field("payee_name", &self.payee_name)
            .field("payee_iban", &mask_iban(&self.payee_iban))
            .field("run_date", &self.run_date)
            .field("execution_date", &self.execution_date)
            .field("run_reference", &self.run_reference)
            .field("lines", &self.lines)
            .finish()
    }
}

/// One invoice paid by the transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceLine {
    /// The company's own invoice number.
    pub invoice_number: String,
    /// The proforma the invoice answers (`PF-2026-000012`).
    pub proforma_number: String,
    /// The dossiers it covers, number and title (`AF-2026-000031 — Habilitation électrique`).
    pub dossiers: Vec<String>,
    /// The amount paid for this invoice, tax included, in cents; never negative.
    pub amount_cents: i64,
}

impl RemittanceAdvice {
    /// The amount of the transfer: the sum of the lines, in cents; `None` if it overflows.
    #[must_use]
    pub fn total_cents(&self) -> Option<i64> {
        self.lines.iter().try_fold(0i64, |total, line| total.checked_add(line.amount_cents))
    }
}

/// An IBAN as the advice prints it: the country code and check digits, then every character
/// hidden but the last four, in groups of four: `FR76 •••• •••• •••• •••• ••• 0189`.
///
/// Spaces in the input are ignored and letters upper-cased. Something too short to be an IBAN
/// (fewer than 12 characters) keeps only its first two characters.
#[must_use]
pub fn mask_iban(iban: &str) -> String {
    let compact: Vec<char> = iban.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let len = compact.len();
    if len < 3 * VISIBLE {
        let shown: String = compact.iter().take(2).collect();
        return if len > 2 { format!("{shown}•• ••••") } else { shown };
    }
    let mut groups: Vec<String> = vec![compact[..VISIBLE].iter().collect()];
    let hidden = len - 2 * VISIBLE;
    groups.extend((0..hidden).step_by(VISIBLE).map(|start| "•".repeat(VISIBLE.min(hidden - start))));
    groups.push(compact[len - VISIBLE..].iter().collect());
    groups.join(" ")
}

/// What the template reads from `/data.json`: every string is printed as text, never as markup.
#[derive(Serialize)]
struct Data {
    title: String,
    reference: String,
    operator: OperatorData,
    payee: PayeeData,
    run_date: String,
    execution_date: String,
    run_reference: String,
    lines: Vec<LineData>,
    count: String,
    total: String,
    notice: &'static str,
}

#[derive(Serialize)]
struct OperatorData {
    name: String,
    address: Vec<String>,
}

#[derive(Serialize)]
struct PayeeData {
    name: String,
    iban: String,
}

#[derive(Serialize)]
struct LineData {
    invoice: String,
    proforma: String,
    dossiers: Vec<String>,
    amount: String,
}

/// Renders the remittance advice of one payee as an A4 PDF: the operator as issuer, the payee
/// and its masked IBAN, the dates and references of the run, the invoices paid (a table that
/// continues across pages with its header repeated), their total, and the statement
/// [`PORTAL_ONLY`].
///
/// CPU work (a few tens of milliseconds per page): run it in `tokio::task::spawn_blocking`.
///
/// # Errors
/// - [`PdfError::InvalidInput`], whose message names the field (`lines`, `lines[2].amount_cents`,
///   `payee_name`…), when there is no line, an amount is negative, the total overflows, or a
///   reference, a name, an IBAN or an invoice or proforma number is empty;
/// - [`PdfError::Template`], [`PdfError::Export`] for bugs in the template.
pub fn render_advice(advice: &RemittanceAdvice) -> Result<Vec<u8>, PdfError> {
    let data = data(advice)?;
    let laid = pdf::lay_out(TEMPLATE, &data, advice.run_date)?;
    for warning in &laid.warnings {
        tracing::warn!(template = TEMPLATE.name, warning = %warning, "PDF template warning");
    }
    pdf::export(TEMPLATE, &laid)
}

/// What the template reads, checked and cleaned.
fn data(advice: &RemittanceAdvice) -> Result<Data, PdfError> {
    let reference = one_line(&advice.reference);
    let invalid = |field: &str, problem: &str| PdfError::InvalidInput {
        reference: if reference.is_empty() { "sans référence".to_owned() } else { reference.clone() },
        problem: format!("{field} : {problem}"),
    };
    let required = [
        ("reference", &advice.reference, "la référence du virement est vide"),
        ("operator_name", &advice.operator_name, "le nom de l’émetteur est vide"),
        ("payee_name", &advice.payee_name, "le nom du bénéficiaire est vide"),
        ("payee_iban", &advice.payee_iban, "l’IBAN du bénéficiaire est vide"),
        ("run_reference", &advice.run_reference, "la référence de la remise est vide"),
    ];
    for (field, value, problem) in required {
        if one_line(value).is_empty() {
            return Err(invalid(field, problem));
        }
    }
    if advice.lines.is_empty() {
        return Err(invalid("lines", "l’avis ne contient aucune facture"));
    }
    let mut lines = Vec::with_capacity(advice.lines.len());
    for (i, line) in advice.lines.iter().enumerate() {
        if line.amount_cents < 0 {
            let problem = format!("le montant ne peut pas être négatif ({} centimes)", line.amount_cents);
            return Err(invalid(&format!("lines[{i}].amount_cents"), &problem));
        }
        let invoice = one_line(&line.invoice_number);
        if invoice.is_empty() {
            return Err(invalid(&format!("lines[{i}].invoice_number"), "le numéro de facture est vide"));
        }
        let proforma = one_line(&line.proforma_number);
        if proforma.is_empty() {
            return Err(invalid(&format!("lines[{i}].proforma_number"), "le numéro de proforma est vide"));
        }
        lines.push(LineData {
            invoice,
            proforma,
            dossiers: line.dossiers.iter().map(|d| one_line(d)).filter(|d| !d.is_empty()).collect(),
            amount: Money::from_cents(line.amount_cents).to_string(),
        });
    }
    let total = advice.total_cents().ok_or_else(|| invalid("lines", "le total des montants est trop élevé"))?;
    Ok(Data {
        title: format!("Avis de virement {reference}"),
        reference,
        operator: OperatorData {
            name: one_line(&advice.operator_name),
            address: advice.operator_address.iter().map(|l| one_line(l)).filter(|l| !l.is_empty()).collect(),
        },
        payee: PayeeData { name: one_line(&advice.payee_name), iban: mask_iban(&advice.payee_iban) },
        run_date: advice.run_date.format("%d/%m/%Y").to_string(),
        execution_date: advice.execution_date.format("%d/%m/%Y").to_string(),
        run_reference: one_line(&advice.run_reference),
        count: match lines.len() {
            1 => "1 facture".to_owned(),
            n => format!("{n} factures"),
        },
        lines,
        total: Money::from_cents(total).to_string(),
        notice: PORTAL_ONLY,
    })
}

/// Trims and folds inner whitespace, line breaks included, to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character typst gives a meaning to in markup, with French accents around them.
    const TRICKY_NAME: &str = r#"Été & Cie #1 *à* _b_ $c [d] @e <f> \ g "h""#;
    const IBAN: &str = "FR76 3000 6000 0112 3456 7890 189";

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(i: usize, cents: i64) -> AdviceLine {
        AdviceLine {
            invoice_number: format!("FAC-2026-{i:04}"),
            proforma_number: format!("PF-2026-{i:06}"),
            dossiers: vec![
                format!("AF-2026-{i:06} — Habilitation électrique"),
                format!("AF-2026-{:06} — Conduite de chariots élévateurs", i + 1000),
            ],
            amount_cents: cents,
        }
    }

    fn sample(lines: Vec<AdviceLine>) -> RemittanceAdvice {
        RemittanceAdvice {
            reference: "EF-000042-000007".into(),
            operator_name: "OPCO Démo".into(),
            operator_address: vec!["14 rue de la Préfecture".into(), "75012 Paris".into()],
            payee_name: TRICKY_NAME.into(),
            payee_iban: IBAN.into(),
            run_date: day(2026, 3, 2),
            execution_date: day(2026, 3, 4),
            run_reference: "EF-RUN-2026-03-02-001".into(),
            lines,
        }
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
                text.split(char::is_whitespace).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
            })
            .collect()
    }

    #[test]
    fn ibans_are_masked_but_for_the_country_key_and_last_four() {
        assert_eq!(mask_iban(IBAN), "FR76 •••• •••• •••• •••• ••• 0189");
        assert_eq!(mask_iban("FR7630006000011234567890189"), "FR76 •••• •••• •••• •••• ••• 0189");
        assert_eq!(mask_iban("de89 3704 0044 0532 0130 00"), "DE89 •••• •••• •••• •• 3000");
        // Belgium: 16 characters, 8 hidden.
        assert_eq!(mask_iban("BE68539007547034"), "BE68 •••• •••• 7034");
        // Malta: 31 characters, 23 hidden.
        assert_eq!(mask_iban("MT84MALT011000012345MTLCAST001S"), "MT84 •••• •••• •••• •••• •••• ••• 001S");
        assert_eq!(mask_iban("FR76 3000"), "FR•• ••••");
        assert_eq!(mask_iban("FR"), "FR");
        assert_eq!(mask_iban(""), "");
        for iban in [IBAN, "DE89370400440532013000", "MT84MALT011000012345MTLCAST001S"] {
            let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
            let masked = mask_iban(iban);
            assert_eq!(masked.chars().filter(|c| *c != ' ').count(), compact.len(), "{masked}");
            assert!(!masked.replace(' ', "").contains(&compact[4..compact.len() - 4]), "{masked}");
        }
    }

    #[test]
    fn debug_masks_the_iban() {
        let debug = format!("{:?}", sample(vec![line(1, 100)]));
        assert!(debug.contains("FR76 ••••") && !debug.contains("3000 6000"), "{debug}");
    }

    #[test]
    fn the_advice_prints_the_payee_invoices_total_and_masked_iban_only() {
        let advice = sample(vec![line(1, 123_456), line(2, 80_000), line(3, 5)]);
        let pdf = render_advice(&advice).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        keep_sample("remittance_advice.pdf", &pdf);
        let pages = pages_text(&pdf);
        assert_eq!(pages.len(), 1, "{pages:#?}");
        let text = &pages[0];
        for expected in [
            "Avis de virement",
            "OPCO Démo",
            "75012 Paris",
            TRICKY_NAME,
            "FR76 •••• •••• •••• •••• ••• 0189",
            "EF-000042-000007",
            "EF-RUN-2026-03-02-001",
            "02/03/2026",
            "04/03/2026",
            "FAC-2026-0001",
            "FAC-2026-0002",
            "FAC-2026-0003",
            "PF-2026-000002",
            "AF-2026-000001 — Habilitation électrique",
            "1 234,56 €",
            "800,00 €",
            "0,05 €",
            // 1 234,56 + 800,00 + 0,05
            "2 034,61 €",
            "Page 1/1",
            PORTAL_ONLY,
        ] {
            assert!(text.contains(expected), "the advice lacks {expected:?}:\n{text}");
        }
        let digits: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
        assert!(!digits.contains("FR7630006000011234567890189"), "{text}");
        assert!(!text.contains("3000 6000 0112"), "{text}");

        let document = lopdf::Document::load_mem(&pdf).unwrap();
        let info = document.trailer.get(b"Info").and_then(|info| document.dereference(info)).unwrap().1;
        let title = info.as_dict().unwrap().get(b"Title").unwrap();
        assert_eq!(lopdf::decode_text_string(title).unwrap(), "Avis de virement EF-000042-000007");
    }

    #[test]
    fn the_template_compiles_without_warnings() {
        let data = data(&sample(vec![line(1, 100)])).unwrap();
        let laid = pdf::lay_out(TEMPLATE, &data, day(2026, 3, 2)).unwrap();
        assert!(laid.warnings.is_empty(), "{:?}", laid.warnings);
        assert_eq!(laid.page_count(), 1);
    }

    #[test]
    fn a_long_advice_continues_over_several_pages_with_its_total() {
        let lines: Vec<AdviceLine> = (1..=150).map(|i| line(i, i64::try_from(i).unwrap() * 10_000 + 99)).collect();
        let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
        let pdf = render_advice(&sample(lines)).unwrap();
        keep_sample("remittance_advice_150.pdf", &pdf);
        let pages = pages_text(&pdf);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let all = pages.join(" ");
        for i in [1, 75, 150] {
            assert!(all.contains(&format!("FAC-2026-{i:04}")), "invoice {i} is missing");
        }
        // The header row is repeated on every page.
        assert!(pages.iter().all(|p| p.contains("N° de facture")), "{pages:#?}");
        let last = pages.last().unwrap();
        let total = Money::from_cents(total).to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(total, "1 132 648,50 €");
        assert!(last.contains(&format!("Total {total}")), "{last}");
        assert!(pages[0].contains("150 factures"), "{}", pages[0]);
        assert!(last.contains(&format!("Page {n}/{n}", n = pages.len())), "{last}");
    }

    #[test]
    fn an_advice_without_lines_or_with_a_negative_amount_is_refused() {
        let err = render_advice(&sample(Vec::new())).unwrap_err();
        assert!(
            matches!(&err, PdfError::InvalidInput { reference, problem }
            if reference == "EF-000042-000007" && problem.starts_with("lines : ")),
            "{err}"
        );
        assert!(err.to_string().contains("aucune facture"), "{err}");

        let err = render_advice(&sample(vec![line(1, 100), line(2, -1)])).unwrap_err();
        assert!(err.to_string().contains("lines[1].amount_cents") && err.to_string().contains("négatif"), "{err}");

        let err = render_advice(&sample(vec![line(1, i64::MAX), line(2, 1)])).unwrap_err();
        assert!(err.to_string().contains("trop élevé"), "{err}");

        let mut nameless = sample(vec![line(1, 100)]);
        nameless.payee_name = "  ".into();
        let err = render_advice(&nameless).unwrap_err();
        assert!(err.to_string().contains("payee_name"), "{err}");

        let mut unnumbered = sample(vec![line(1, 100)]);
        unnumbered.lines[0].invoice_number = String::new();
        let err = render_advice(&unnumbered).unwrap_err();
        assert!(err.to_string().contains("lines[0].invoice_number"), "{err}");
    }

    #[test]
    fn a_zero_line_is_printed_and_counts_for_nothing() {
        let advice = sample(vec![line(1, 0), line(2, 1_000)]);
        assert_eq!(advice.total_cents(), Some(1_000));
        let text = pages_text(&render_advice(&advice).unwrap()).join(" ");
        assert!(text.contains("0,00 €") && text.contains("10,00 €"), "{text}");
    }
}

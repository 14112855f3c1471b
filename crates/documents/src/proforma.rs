//! The proforma invoice as a PDF (SPEC F3–F7): the issuer (the company), the addressee (the
//! operator or FPETT), each dossier with its training, dates and trainees, the amounts excluding
//! VAT, VAT and including VAT — or net of tax — the IBAN to pay, and the statement that it has no
//! legal value. The template is `templates/pdf/proforma.typ`.
//!
//! Rendering is CPU work: [`render_proforma`] is synchronous and pure.

use chrono::NaiveDate;
use serde::Serialize;

use crate::fr;
use crate::pdf::{self, PdfError, Template};

const TEMPLATE: Template = Template { name: "proforma", source: include_str!("../templates/pdf/proforma.typ") };

/// Who issues or receives the proforma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Postal address lines.
    pub address_lines: Vec<String>,
}

/// One validated DR on the proforma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProformaLine {
    /// Dossier number.
    pub dossier: String,
    /// DR number.
    pub reimbursement: String,
    /// Training title.
    pub title: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Trainees' names.
    pub trainees: Vec<String>,
    /// Net amount, formatted (`1 234,56 €`).
    pub amount: String,
}

/// A proforma as printed; amounts come formatted from the caller, which computed them exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProformaDocument {
    /// Number.
    pub number: String,
    /// Day issued.
    pub issued_on: NaiveDate,
    /// The company.
    pub issuer: Party,
    /// Its SIREN, formatted.
    pub issuer_siren: String,
    /// Whether it is subject to VAT.
    pub vat_subject: bool,
    /// The operator or FPETT.
    pub payer: Party,
    /// `salariés permanents` or `intérimaires`.
    pub public: String,
    /// The scheme, when the proforma is per scheme.
    pub scheme: Option<String>,
    /// The lines.
    pub lines: Vec<ProformaLine>,
    /// Net, VAT, gross, formatted.
    pub net: String,
    /// VAT (ignored when not subject).
    pub vat: String,
    /// Gross.
    pub gross: String,
    /// IBAN and account holder, if the company gave one.
    pub bank: Option<(String, String)>,
}

#[derive(Serialize)]
struct Data {
    number: String,
    issued_on: String,
    issuer: PartyData,
    payer: PartyData,
    public: String,
    scheme: Option<String>,
    warning: &'static str,
    lines: Vec<LineData>,
    totals: Vec<Total>,
    payment: String,
}

#[derive(Serialize)]
struct PartyData {
    name: String,
    address: Vec<String>,
    siren: String,
    vat: &'static str,
}

#[derive(Serialize)]
struct LineData {
    dossier: String,
    reimbursement: String,
    title: String,
    start: String,
    end: String,
    trainees: String,
    amount: String,
}

#[derive(Serialize)]
struct Total {
    label: &'static str,
    amount: String,
}

/// The statement every proforma carries (F3).
pub const NO_LEGAL_VALUE: &str = "Ce document est une facture pro forma : il n’a aucune valeur légale ni comptable. \
Vérifiez-le, émettez votre propre facture à l’ordre du destinataire ci-dessus, aux mêmes montants, puis déposez-la \
dans l’espace formation pour être payé.";

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders a proforma as PDF.
///
/// # Errors
/// [`PdfError`] when the input is incomplete or the template fails.
pub fn render_proforma(proforma: &ProformaDocument) -> Result<Vec<u8>, PdfError> {
    let invalid =
        |problem: &str| PdfError::InvalidInput { reference: proforma.number.clone(), problem: problem.to_owned() };
    if proforma.lines.is_empty() {
        return Err(invalid("aucune ligne"));
    }
    if one_line(&proforma.issuer.name).is_empty() || one_line(&proforma.payer.name).is_empty() {
        return Err(invalid("l’émetteur et le destinataire sont obligatoires"));
    }
    let mut totals = vec![Total { label: "Total HT", amount: proforma.net.clone() }];
    if proforma.vat_subject {
        totals.push(Total { label: "TVA 20 %", amount: proforma.vat.clone() });
        totals.push(Total { label: "Total TTC", amount: proforma.gross.clone() });
    } else {
        totals.push(Total { label: "Montant net de taxes (TVA non applicable)", amount: proforma.gross.clone() });
    }
    let payment = match &proforma.bank {
        Some((iban, holder)) => format!("Par virement sur le compte IBAN {iban}, titulaire {}.", one_line(holder)),
        None => "Aucun compte bancaire n’est enregistré : joignez un relevé d’identité bancaire (RIB) à votre facture."
            .to_owned(),
    };
    let data = Data {
        number: one_line(&proforma.number),
        issued_on: fr::long_date(proforma.issued_on),
        issuer: PartyData {
            name: one_line(&proforma.issuer.name),
            address: proforma.issuer.address_lines.iter().map(|l| one_line(l)).filter(|l| !l.is_empty()).collect(),
            siren: proforma.issuer_siren.clone(),
            vat: if proforma.vat_subject { "Assujettie à la TVA" } else { "Non assujettie à la TVA" },
        },
        payer: PartyData {
            name: one_line(&proforma.payer.name),
            address: proforma.payer.address_lines.iter().map(|l| one_line(l)).filter(|l| !l.is_empty()).collect(),
            siren: String::new(),
            vat: "",
        },
        public: proforma.public.clone(),
        scheme: proforma.scheme.clone(),
        warning: NO_LEGAL_VALUE,
        lines: proforma
            .lines
            .iter()
            .map(|l| LineData {
                dossier: one_line(&l.dossier),
                reimbursement: format!("Demande {}", one_line(&l.reimbursement)),
                title: one_line(&l.title),
                start: l.start.format("%d/%m/%Y").to_string(),
                end: l.end.format("%d/%m/%Y").to_string(),
                trainees: match l.trainees.len() {
                    0 => "aucun stagiaire".to_owned(),
                    _ => l.trainees.iter().map(|t| one_line(t)).collect::<Vec<_>>().join(", "),
                },
                amount: l.amount.clone(),
            })
            .collect(),
        totals,
        payment,
    };
    let laid = pdf::lay_out(TEMPLATE, &data, proforma.issued_on)?;
    pdf::export(TEMPLATE, &laid)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(vat_subject: bool, bank: bool) -> ProformaDocument {
        ProformaDocument {
            number: "PF-2026-000001".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            issuer: Party {
                name: "Intérim Nord *#[x]".into(),
                address_lines: vec!["12 rue Nationale".into(), "59000 Lille".into()],
            },
            issuer_siren: "732 829 320".into(),
            vat_subject,
            payer: Party { name: "AKTO".into(), address_lines: vec!["14 rue Riquet".into(), "75019 Paris".into()] },
            public: "intérimaires".into(),
            scheme: None,
            lines: vec![ProformaLine {
                dossier: "AF-2026-000001".into(),
                reimbursement: "DR-2026-000001".into(),
                title: "Conduite de chariots élévateurs".into(),
                start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
                end: NaiveDate::from_ymd_opt(2026, 2, 6).unwrap(),
                trainees: vec!["Léa Moreau".into()],
                amount: "2 800,00 €".into(),
            }],
            net: "2 800,00 €".into(),
            vat: "560,00 €".into(),
            gross: "3 360,00 €".into(),
            bank: bank.then(|| ("FR76 3000 6000 0112 3456 7890 189".into(), "INTERIM NORD".into())),
        }
    }

    fn text(pdf: &[u8]) -> String {
        let document = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        let text = document.extract_text(&pages).expect("text");
        text.split(char::is_whitespace).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_f7_mention_is_printed() {
        let pdf = render_proforma(&sample(true, true)).unwrap();
        let text = text(&pdf);
        for mention in [
            "FACTURE PRO FORMA",
            "PF-2026-000001",
            "Intérim Nord *#[x]",
            "SIREN",
            "AKTO",
            "AF-2026-000001",
            "Conduite de chariots élévateurs",
            "02/02/2026",
            "Léa Moreau",
            "Total HT",
            "TVA 20 %",
            "Total TTC",
            "FR76 3000 6000 0112 3456 7890 189",
            "aucune valeur légale",
        ] {
            assert!(text.contains(mention), "« {mention} » is missing from: {text}");
        }
        let exempt = text_of(&sample(false, false));
        assert!(exempt.contains("net de taxes") && !exempt.contains("TVA 20 %"), "{exempt}");
        assert!(exempt.contains("joignez un relevé d’identité bancaire"), "{exempt}");
    }

    fn text_of(proforma: &ProformaDocument) -> String {
        text(&render_proforma(proforma).unwrap())
    }

    #[test]
    fn an_empty_proforma_is_refused() {
        let mut empty = sample(true, true);
        empty.lines.clear();
        assert!(matches!(render_proforma(&empty), Err(PdfError::InvalidInput { .. })));
    }
}

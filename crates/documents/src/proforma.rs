//! The proforma invoice as a PDF (SPEC F3–F7): the issuer (the company), the addressee (the
//! operator or FPETT), each dossier with its training, dates and trainees, the amounts excluding
//! VAT, VAT and including VAT — or net of tax — the IBAN to pay, and the statement that it has no
//! legal value. The template is `templates/pdf/proforma.typ`.
//!
//! Rendering is CPU work: [`render_proforma`] is synchronous and pure.

use chrono::NaiveDate;
use serde::Serialize;

use domain::Money;

use crate::fr;
use crate::pdf::{self, PdfError, Template};

const TEMPLATE: Template = Template { name: "proforma", source: include_str!("../templates/pdf/proforma.typ") };

pub use crate::facturx::Party;

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
    /// Net amount validated.
    pub net: Money,
}

/// A proforma: what the PDF prints and the CII XML says, from the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProformaDocument {
    /// Number.
    pub number: String,
    /// Day issued.
    pub issued_on: NaiveDate,
    /// The company (seller, F6: in its name and SIREN).
    pub issuer: Party,
    /// Whether it is subject to VAT (HT/TVA/TTC) or not (net of tax).
    pub vat_subject: bool,
    /// The operator or FPETT (buyer).
    pub payer: Party,
    /// `salariés permanents` or `intérimaires`.
    pub public: String,
    /// The scheme, when the proforma is per scheme.
    pub scheme: Option<String>,
    /// The lines.
    pub lines: Vec<ProformaLine>,
    /// IBAN and account holder, if the company gave one.
    pub bank: Option<(String, String)>,
}

/// The intra-community VAT number of a French company: `FR`, a two-digit key computed from the
/// SIREN (12 + 3 × (SIREN mod 97)) mod 97, then the SIREN.
#[must_use]
pub fn french_vat_number(siren: &str) -> Option<String> {
    let digits: String = siren.chars().filter(char::is_ascii_digit).collect();
    let number: u64 = digits.parse().ok().filter(|_| digits.len() == 9)?;
    Some(format!("FR{:02}{digits}", (12 + 3 * (number % 97)) % 97))
}

impl ProformaDocument {
    /// Net, VAT and gross, as the domain computes them.
    #[must_use]
    pub fn amounts(&self) -> domain::proforma::Amounts {
        let nets: Vec<Money> = self.lines.iter().map(|l| l.net).collect();
        domain::proforma::amounts(&nets, self.vat_subject)
    }

    /// The same proforma as an EN 16931 invoice, for its CII XML.
    #[must_use]
    pub fn invoice(&self) -> crate::facturx::Invoice {
        use crate::facturx::{Invoice, Line, VatCategory};
        let mut seller = self.issuer.clone();
        if seller.vat_id.as_deref().is_none_or(|v| v.trim().is_empty()) {
            seller.vat_id = french_vat_number(&seller.siren);
        }
        let (category, rate) = if self.vat_subject {
            (VatCategory::Standard, u32::try_from(domain::proforma::STANDARD_VAT_BP).unwrap_or(2000))
        } else {
            (VatCategory::Exempt, 0)
        };
        Invoice {
            number: self.number.clone(),
            issue_date: self.issued_on,
            type_code: 380,
            currency: "EUR".to_owned(),
            seller,
            buyer: self.payer.clone(),
            buyer_reference: None,
            lines: self
                .lines
                .iter()
                .map(|l| Line {
                    id: l.reimbursement.clone(),
                    name: format!("{} — {}", l.dossier, one_line(&l.title)),
                    note: Some(format!(
                        "Formation du {} au {} ; {}",
                        l.start.format("%d/%m/%Y"),
                        l.end.format("%d/%m/%Y"),
                        trainees(&l.trainees)
                    )),
                    net_cents: l.net.cents(),
                    vat_rate_bp: rate,
                    vat_category: category,
                })
                .collect(),
            exemption_reason: (!self.vat_subject).then(|| "Entreprise non assujettie à la TVA".to_owned()),
            payee_iban: self.bank.as_ref().map(|(iban, _)| iban.chars().filter(|c| !c.is_whitespace()).collect()),
            payment_terms: Some(
                "Paiement par virement, au prochain paiement suivant l’approbation de la facture.".to_owned(),
            ),
            notes: vec![NO_LEGAL_VALUE.to_owned()],
        }
    }
}

fn trainees(names: &[String]) -> String {
    match names.len() {
        0 => "aucun stagiaire".to_owned(),
        _ => names.iter().map(|t| one_line(t)).collect::<Vec<_>>().join(", "),
    }
}

fn address(party: &Party) -> Vec<String> {
    let mut lines: Vec<String> = party.address_lines.iter().map(|l| one_line(l)).filter(|l| !l.is_empty()).collect();
    let town = one_line(&format!("{} {}", party.postal_code, party.city));
    if !town.is_empty() {
        lines.push(town);
    }
    lines
}

fn formatted_siren(siren: &str) -> String {
    let digits: String = siren.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 9 { format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]) } else { digits }
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

/// Renders a proforma as a Factur-X document (F8): a PDF/A-3b with the CII XML of `invoice`
/// (EN 16931 profile) attached as `factur-x.xml`.
///
/// # Errors
/// [`PdfError`] when the input is incomplete, the template fails, or the invoice cannot be
/// written as CII (the message names the field).
pub fn render_facturx(proforma: &ProformaDocument, invoice: &crate::facturx::Invoice) -> Result<Vec<u8>, PdfError> {
    let invalid = |e: crate::facturx::FacturxError| PdfError::InvalidInput {
        reference: proforma.number.clone(),
        problem: e.to_string(),
    };
    let xml = crate::facturx::cii_xml(invoice).map_err(invalid)?;
    let pdf = render(proforma, pdf::export_pdfa3)?;
    crate::facturx::embed_in_pdf(&pdf, &xml, invoice).map_err(invalid)
}

/// Renders a proforma as a plain PDF (no attached XML).
///
/// # Errors
/// [`PdfError`] when the input is incomplete or the template fails.
pub fn render_proforma(proforma: &ProformaDocument) -> Result<Vec<u8>, PdfError> {
    render(proforma, pdf::export)
}

fn render(
    proforma: &ProformaDocument,
    export: fn(Template, &pdf::Laid) -> Result<Vec<u8>, PdfError>,
) -> Result<Vec<u8>, PdfError> {
    let invalid =
        |problem: &str| PdfError::InvalidInput { reference: proforma.number.clone(), problem: problem.to_owned() };
    if proforma.lines.is_empty() {
        return Err(invalid("aucune ligne"));
    }
    if one_line(&proforma.issuer.name).is_empty() || one_line(&proforma.payer.name).is_empty() {
        return Err(invalid("l’émetteur et le destinataire sont obligatoires"));
    }
    let amounts = proforma.amounts();
    let mut totals = vec![Total { label: "Total HT", amount: amounts.net.to_string() }];
    if proforma.vat_subject {
        totals.push(Total { label: "TVA 20 %", amount: amounts.vat.to_string() });
        totals.push(Total { label: "Total TTC", amount: amounts.gross.to_string() });
    } else {
        totals.push(Total { label: "Montant net de taxes (TVA non applicable)", amount: amounts.gross.to_string() });
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
            address: address(&proforma.issuer),
            siren: formatted_siren(&proforma.issuer.siren),
            vat: if proforma.vat_subject { "Assujettie à la TVA" } else { "Non assujettie à la TVA" },
        },
        payer: PartyData {
            name: one_line(&proforma.payer.name),
            address: address(&proforma.payer),
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
                trainees: trainees(&l.trainees),
                amount: l.net.to_string(),
            })
            .collect(),
        totals,
        payment,
    };
    let laid = pdf::lay_out(TEMPLATE, &data, proforma.issued_on)?;
    export(TEMPLATE, &laid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(name: &str, siren: &str, street: &str, postal_code: &str, city: &str) -> Party {
        Party {
            name: name.into(),
            siren: siren.into(),
            siret: None,
            vat_id: None,
            address_lines: vec![street.into()],
            postal_code: postal_code.into(),
            city: city.into(),
            country_code: "FR".into(),
        }
    }

    pub(crate) fn sample(vat_subject: bool, bank: bool) -> ProformaDocument {
        let line = |dossier: &str, dr: &str, cents| ProformaLine {
            dossier: dossier.into(),
            reimbursement: dr.into(),
            title: "Conduite de chariots élévateurs".into(),
            start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 2, 6).unwrap(),
            trainees: vec!["Léa Moreau".into()],
            net: Money::from_cents(cents),
        };
        ProformaDocument {
            number: "PF-2026-000001".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            issuer: party("Intérim Nord *#[x] & <Cie>", "732829320", "12 rue Nationale", "59000", "Lille"),
            vat_subject,
            payer: party("AKTO", "851296632", "14 rue Riquet", "75019", "Paris"),
            public: "intérimaires".into(),
            scheme: None,
            lines: vec![line("AF-2026-000001", "DR-2026-000001", 280_000), line("AF-2026-000002", "DR-2026-000002", 3)],
            bank: bank.then(|| ("FR76 3000 6000 0112 3456 7890 189".into(), "INTERIM NORD".into())),
        }
    }

    #[test]
    fn french_vat_numbers_have_their_key() {
        assert_eq!(french_vat_number("404 833 048").as_deref(), Some("FR83404833048"));
        assert_eq!(french_vat_number("732829320").as_deref(), Some("FR44732829320"));
        assert_eq!(french_vat_number("12345"), None);
    }

    #[test]
    fn the_proforma_is_a_facturx_whose_xml_passes_the_official_schema() {
        for (vat_subject, bank) in [(true, true), (false, false)] {
            let proforma = sample(vat_subject, bank);
            let invoice = proforma.invoice();
            // The PDF and the XML say the same amounts.
            let totals = crate::facturx::totals(&invoice);
            let amounts = proforma.amounts();
            assert_eq!(
                (totals.net_cents, totals.vat_cents, totals.gross_cents),
                (amounts.net.cents(), amounts.vat.cents(), amounts.gross.cents())
            );
            let pdf = render_facturx(&proforma, &invoice).unwrap();
            let (xml, xmp) = crate::facturx::tests::attachment_and_xmp(&pdf);
            let xml = String::from_utf8(xml).unwrap();
            assert_eq!(xml, crate::facturx::cii_xml(&invoice).unwrap());
            assert!(xmp.contains("EN 16931") && xmp.contains("pdfaid:part"), "{xmp}");
            crate::facturx::tests::xmllint_validates(&format!("proforma-{vat_subject}.xml"), &xml);
            let read = crate::facturx::read_invoice_xml(xml.as_bytes()).unwrap();
            assert_eq!(read.seller_siren.as_deref(), Some("732829320"));
            assert_eq!(read.gross_cents, amounts.gross.cents());
            assert!(text(&pdf).contains("FACTURE PRO FORMA"));
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
            "AF-2026-000002",
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

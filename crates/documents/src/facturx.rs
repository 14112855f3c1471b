//! Factur-X for the proformas the portal issues, and reading of the e-invoices people upload.
//!
//! A proforma (the company, reimbursed by its skills operator, is the seller; the operator or
//! the fund is the buyer) is written as a Cross Industry Invoice (UN/CEFACT CII D16B) for the
//! Factur-X EN 16931 profile by [`cii_xml`], then attached to the PDF/A-3 that typst renders by
//! [`embed_in_pdf`]. Uploaded e-invoices, CII or UBL 2.1, are read by [`read_invoice_xml`] for
//! the few fields a case manager compares with the claim; [`xml_in_pdf`] takes the XML out of an
//! uploaded Factur-X / ZUGFeRD PDF.
//!
//! Money is integer cents and VAT rates are basis points (2000 = 20 %): no floating point ever
//! touches an amount. The schemas the output is checked against in the tests are the official
//! Factur-X ones, vendored in `xsd/facturx/` (origin and licence in `xsd/README.md`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use quick_xml::escape::escape;

use crate::xml_tree::{self, Node};

/// The name the XML has inside the PDF; Factur-X readers look for exactly this one.
pub const FACTURX_FILE_NAME: &str = "factur-x.xml";

/// Guideline identifier of the EN 16931 profile (BT-24), also the profile the XMP announces.
const EN16931_GUIDELINE: &str = "urn:cen.eu:en16931:2017";

/// The namespace of the Factur-X XMP properties.
const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// Largest line amount accepted, in cents (100 billion euros): far above any real claim, and low
/// enough that sums and VAT of thousands of lines stay exact in `i64`.
const MAX_LINE_CENTS: i64 = 10_000_000_000_000;

/// Most lines an invoice may have (with [`MAX_LINE_CENTS`], keeps totals exact).
const MAX_LINES: usize = 10_000;

/// Largest XMP packet read from a PDF (typst writes a few kilobytes).
const MAX_XMP_BYTES: usize = 1024 * 1024;

/// Why an invoice could not be written, read or embedded. Messages are French, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacturxError {
    /// The invoice cannot be issued as it is.
    #[error("{message}")]
    Invalid {
        /// The field at fault, as a path in [`Invoice`] (`seller.siren`, `lines[1].vat_rate_bp`).
        field: String,
        /// What is wrong, in French.
        message: String,
    },
    /// An uploaded file is not an e-invoice that can be read.
    #[error("{0}")]
    Unreadable(String),
    /// The PDF could not be read or completed.
    #[error("{0}")]
    Pdf(String),
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> FacturxError {
    FacturxError::Invalid { field: field.into(), message: message.into() }
}

fn unreadable(message: impl Into<String>) -> FacturxError {
    FacturxError::Unreadable(message.into())
}

fn pdf_error(what: &str, error: impl std::fmt::Display) -> FacturxError {
    FacturxError::Pdf(format!("{what} : {error}"))
}

/// A company, an operator or a fund on an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Legal name.
    pub name: String,
    /// SIREN, 9 digits: the legal registration, written with scheme `0002`.
    pub siren: String,
    /// SIRET of the establishment, 14 digits starting with the SIREN (scheme `0009`).
    pub siret: Option<String>,
    /// Intra-community VAT number (`FR` + 2-character key + SIREN).
    pub vat_id: Option<String>,
    /// Street lines, at most three.
    pub address_lines: Vec<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code (`FR`).
    pub country_code: String,
}

/// VAT category of a line (UNTDID 5305 codes, the subset the portal needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VatCategory {
    /// Standard rate, code `S`.
    Standard,
    /// Exempt from VAT, code `E`: the invoice states the exemption reason.
    Exempt,
}

impl VatCategory {
    /// The UNTDID 5305 code written in the XML.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::Exempt => "E",
        }
    }
}

/// One invoice line: a training action, for one quantity of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Line identifier, unique in the invoice (`1`, `2`…).
    pub id: String,
    /// What is invoiced (the training's title).
    pub name: String,
    /// Free text for the line: training dates, trainees.
    pub note: Option<String>,
    /// Net amount, VAT excluded, in cents.
    pub net_cents: i64,
    /// VAT rate in basis points (2000 = 20 %); 0 for [`VatCategory::Exempt`].
    pub vat_rate_bp: u32,
    /// VAT category.
    pub vat_category: VatCategory,
}

/// An invoice (or a proforma) the portal issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Invoice number (BT-1).
    pub number: String,
    /// Issue date (BT-2).
    pub issue_date: NaiveDate,
    /// UNTDID 1001 document type: 380 (commercial invoice), also used for the proforma.
    pub type_code: u16,
    /// ISO 4217 currency code (`EUR`).
    pub currency: String,
    /// Who issues the invoice: the company.
    pub seller: Party,
    /// Who pays: the skills operator or the fund.
    pub buyer: Party,
    /// The buyer's reference (BT-10), such as the operator's file number.
    pub buyer_reference: Option<String>,
    /// At least one line.
    pub lines: Vec<Line>,
    /// Why exempt lines bear no VAT; required when a line is [`VatCategory::Exempt`].
    pub exemption_reason: Option<String>,
    /// The seller's IBAN, for a SEPA credit transfer.
    pub payee_iban: Option<String>,
    /// Payment terms, as text (BT-20).
    pub payment_terms: Option<String>,
    /// Notes on the whole invoice (`Facture pro forma sans valeur comptable`).
    pub notes: Vec<String>,
}

/// The VAT of one category and rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatBreakdown {
    /// VAT category.
    pub category: VatCategory,
    /// Rate in basis points.
    pub rate_bp: u32,
    /// Sum of the net amounts of the lines in this category and rate, in cents.
    pub taxable_cents: i64,
    /// VAT on `taxable_cents`, rounded to the cent.
    pub vat_cents: i64,
}

/// The totals of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Sum of the line net amounts (BT-106 and BT-109: the portal has no allowances or charges).
    pub net_cents: i64,
    /// Total VAT (BT-110): the sum of the breakdown's VAT amounts.
    pub vat_cents: i64,
    /// Amount with VAT (BT-112), also the amount due.
    pub gross_cents: i64,
    /// One entry per VAT category and rate, ordered by category then rate.
    pub breakdown: Vec<VatBreakdown>,
}

/// Computes an invoice's totals as EN 16931 defines them.
///
/// VAT is computed once per VAT category and rate, on the sum of the net amounts of that
/// group's lines (BR-CO-17), never line by line, and rounded to the cent half away from zero:
/// 0.5 cent becomes 1 cent and -0.5 cent becomes -1 cent. The total VAT is the sum of the
/// groups' VAT, and the gross amount is net + VAT. All arithmetic is on integers.
///
/// The sums cannot overflow for an invoice [`cii_xml`] accepts (it caps the number of lines
/// and their amounts); beyond those bounds they saturate at the limits of `i64`.
#[must_use]
pub fn totals(invoice: &Invoice) -> Totals {
    let mut groups: BTreeMap<(VatCategory, u32), i128> = BTreeMap::new();
    for line in &invoice.lines {
        *groups.entry((line.vat_category, line.vat_rate_bp)).or_default() += i128::from(line.net_cents);
    }
    let breakdown: Vec<VatBreakdown> = groups
        .into_iter()
        .map(|((category, rate_bp), taxable)| VatBreakdown {
            category,
            rate_bp,
            taxable_cents: saturate(taxable),
            vat_cents: saturate(vat_on(taxable, rate_bp)),
        })
        .collect();
    let net: i128 = breakdown.iter().map(|b| i128::from(b.taxable_cents)).sum();
    let vat: i128 = breakdown.iter().map(|b| i128::from(b.vat_cents)).sum();
    Totals { net_cents: saturate(net), vat_cents: saturate(vat), gross_cents: saturate(net + vat), breakdown }
}

/// `taxable × rate / 10 000`, rounded half away from zero.
fn vat_on(taxable_cents: i128, rate_bp: u32) -> i128 {
    let product = taxable_cents * i128::from(rate_bp);
    let (quotient, remainder) = (product / 10_000, product % 10_000);
    // Integer division truncates toward zero; half a cent or more moves one cent further away.
    if remainder.abs() * 2 >= 10_000 { quotient + product.signum() } else { quotient }
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// `1234.56`, `-0.05`: cents as an XML decimal with exactly two decimals.
fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// `20.00`, `5.50`: basis points as a percentage.
fn percent(rate_bp: u32) -> String {
    format!("{}.{:02}", rate_bp / 100, rate_bp % 100)
}

/// Writes the invoice as a CII document for the Factur-X EN 16931 profile.
///
/// One line item per [`Line`] (quantity one, unit `C62`), seller and buyer with their SIREN as
/// legal registration (scheme `0002`), SIRET as global identifier (scheme `0009`) and VAT number
/// when known, a SEPA credit transfer (code 58) when an IBAN is given, one VAT breakdown per
/// category and rate (see [`totals`]) and the document totals.
///
/// # Errors
/// [`FacturxError::Invalid`] naming the first field that prevents a valid invoice: no line, an
/// empty number or name, a SIREN other than 9 digits, a SIRET that is not the SIREN plus
/// 5 digits, more than three address lines, a rate inconsistent with its category (a standard
/// rate above 0 and at most 100 %, an exempt rate of 0), an exempt line without
/// `exemption_reason`, a taxed or exempt line while the seller has no VAT number (EN 16931
/// BR-S-02, BR-E-02), an amount due without payment terms (BR-CO-25).
pub fn cii_xml(invoice: &Invoice) -> Result<String, FacturxError> {
    check(invoice)?;
    let totals = totals(invoice);
    let currency = invoice.currency.trim();
    let mut x = XmlOut::default();
    x.text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.open_with(
        "rsm:CrossIndustryInvoice",
        &[
            ("xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"),
            ("xmlns:qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"),
            ("xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"),
            ("xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"),
        ],
    );

    x.open("rsm:ExchangedDocumentContext");
    x.open("ram:GuidelineSpecifiedDocumentContextParameter");
    x.leaf("ram:ID", EN16931_GUIDELINE);
    x.close("ram:GuidelineSpecifiedDocumentContextParameter");
    x.close("rsm:ExchangedDocumentContext");

    x.open("rsm:ExchangedDocument");
    x.leaf("ram:ID", invoice.number.trim());
    x.leaf("ram:TypeCode", &invoice.type_code.to_string());
    x.open("ram:IssueDateTime");
    x.leaf_with("udt:DateTimeString", &[("format", "102")], &invoice.issue_date.format("%Y%m%d").to_string());
    x.close("ram:IssueDateTime");
    for note in invoice.notes.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        x.open("ram:IncludedNote");
        x.leaf("ram:Content", note);
        x.close("ram:IncludedNote");
    }
    x.close("rsm:ExchangedDocument");

    x.open("rsm:SupplyChainTradeTransaction");
    for line in &invoice.lines {
        line_item(&mut x, line);
    }

    x.open("ram:ApplicableHeaderTradeAgreement");
    if let Some(reference) = non_empty(invoice.buyer_reference.as_deref()) {
        x.leaf("ram:BuyerReference", reference);
    }
    trade_party(&mut x, "ram:SellerTradeParty", &invoice.seller);
    trade_party(&mut x, "ram:BuyerTradeParty", &invoice.buyer);
    x.close("ram:ApplicableHeaderTradeAgreement");

    // Required by the schema, empty: a training has no delivery.
    x.empty("ram:ApplicableHeaderTradeDelivery");

    x.open("ram:ApplicableHeaderTradeSettlement");
    x.leaf("ram:InvoiceCurrencyCode", currency);
    if let Some(iban) = non_empty(invoice.payee_iban.as_deref()) {
        x.open("ram:SpecifiedTradeSettlementPaymentMeans");
        x.leaf("ram:TypeCode", "58");
        x.open("ram:PayeePartyCreditorFinancialAccount");
        x.leaf("ram:IBANID", &compact(iban));
        x.close("ram:PayeePartyCreditorFinancialAccount");
        x.close("ram:SpecifiedTradeSettlementPaymentMeans");
    }
    for group in &totals.breakdown {
        x.open("ram:ApplicableTradeTax");
        x.leaf("ram:CalculatedAmount", &amount(group.vat_cents));
        x.leaf("ram:TypeCode", "VAT");
        if group.category == VatCategory::Exempt
            && let Some(reason) = non_empty(invoice.exemption_reason.as_deref())
        {
            x.leaf("ram:ExemptionReason", reason);
        }
        x.leaf("ram:BasisAmount", &amount(group.taxable_cents));
        x.leaf("ram:CategoryCode", group.category.code());
        x.leaf("ram:RateApplicablePercent", &percent(group.rate_bp));
        x.close("ram:ApplicableTradeTax");
    }
    if let Some(terms) = non_empty(invoice.payment_terms.as_deref()) {
        x.open("ram:SpecifiedTradePaymentTerms");
        x.leaf("ram:Description", terms);
        x.close("ram:SpecifiedTradePaymentTerms");
    }
    x.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    x.leaf("ram:LineTotalAmount", &amount(totals.net_cents));
    x.leaf("ram:TaxBasisTotalAmount", &amount(totals.net_cents));
    x.leaf_with("ram:TaxTotalAmount", &[("currencyID", currency)], &amount(totals.vat_cents));
    x.leaf("ram:GrandTotalAmount", &amount(totals.gross_cents));
    x.leaf("ram:DuePayableAmount", &amount(totals.gross_cents));
    x.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    x.close("ram:ApplicableHeaderTradeSettlement");

    x.close("rsm:SupplyChainTradeTransaction");
    x.close("rsm:CrossIndustryInvoice");
    Ok(x.text)
}

fn line_item(x: &mut XmlOut, line: &Line) {
    x.open("ram:IncludedSupplyChainTradeLineItem");
    x.open("ram:AssociatedDocumentLineDocument");
    x.leaf("ram:LineID", line.id.trim());
    if let Some(note) = non_empty(line.note.as_deref()) {
        x.open("ram:IncludedNote");
        x.leaf("ram:Content", note);
        x.close("ram:IncludedNote");
    }
    x.close("ram:AssociatedDocumentLineDocument");
    x.open("ram:SpecifiedTradeProduct");
    x.leaf("ram:Name", line.name.trim());
    x.close("ram:SpecifiedTradeProduct");
    // A price may not be negative (BR-27): a negative line is a quantity of -1 at a positive price.
    x.open("ram:SpecifiedLineTradeAgreement");
    x.open("ram:NetPriceProductTradePrice");
    x.leaf("ram:ChargeAmount", &amount(line.net_cents.abs()));
    x.close("ram:NetPriceProductTradePrice");
    x.close("ram:SpecifiedLineTradeAgreement");
    x.open("ram:SpecifiedLineTradeDelivery");
    let quantity = if line.net_cents < 0 { "-1" } else { "1" };
    x.leaf_with("ram:BilledQuantity", &[("unitCode", "C62")], quantity);
    x.close("ram:SpecifiedLineTradeDelivery");
    x.open("ram:SpecifiedLineTradeSettlement");
    x.open("ram:ApplicableTradeTax");
    x.leaf("ram:TypeCode", "VAT");
    x.leaf("ram:CategoryCode", line.vat_category.code());
    x.leaf("ram:RateApplicablePercent", &percent(line.vat_rate_bp));
    x.close("ram:ApplicableTradeTax");
    x.open("ram:SpecifiedTradeSettlementLineMonetarySummation");
    x.leaf("ram:LineTotalAmount", &amount(line.net_cents));
    x.close("ram:SpecifiedTradeSettlementLineMonetarySummation");
    x.close("ram:SpecifiedLineTradeSettlement");
    x.close("ram:IncludedSupplyChainTradeLineItem");
}

fn trade_party(x: &mut XmlOut, element: &str, party: &Party) {
    x.open(element);
    if let Some(siret) = non_empty(party.siret.as_deref()) {
        x.leaf_with("ram:GlobalID", &[("schemeID", "0009")], &compact(siret));
    }
    x.leaf("ram:Name", party.name.trim());
    x.open("ram:SpecifiedLegalOrganization");
    x.leaf_with("ram:ID", &[("schemeID", "0002")], &compact(&party.siren));
    x.close("ram:SpecifiedLegalOrganization");
    x.open("ram:PostalTradeAddress");
    if let Some(postal_code) = non_empty(Some(&party.postal_code)) {
        x.leaf("ram:PostcodeCode", postal_code);
    }
    let lines = party.address_lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    for (tag, line) in ["ram:LineOne", "ram:LineTwo", "ram:LineThree"].into_iter().zip(lines) {
        x.leaf(tag, line);
    }
    if let Some(city) = non_empty(Some(&party.city)) {
        x.leaf("ram:CityName", city);
    }
    x.leaf("ram:CountryID", party.country_code.trim());
    x.close("ram:PostalTradeAddress");
    if let Some(vat_id) = non_empty(party.vat_id.as_deref()) {
        x.open("ram:SpecifiedTaxRegistration");
        x.leaf_with("ram:ID", &[("schemeID", "VA")], &compact(vat_id));
        x.close("ram:SpecifiedTaxRegistration");
    }
    x.close(element);
}

/// The trimmed text, or `None` when there is none.
fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// An identifier without the spaces people type in it (`FR76 3000 …`, `901 234 567`).
fn compact(identifier: &str) -> String {
    identifier.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

fn all_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

/// The checks [`cii_xml`] documents, in the order a person filling the form would meet them.
fn check(invoice: &Invoice) -> Result<(), FacturxError> {
    if invoice.number.trim().is_empty() {
        return Err(invalid("number", "Le numéro de la facture est vide."));
    }
    let currency = invoice.currency.trim();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("currency", "La devise doit être un code ISO 4217 de 3 lettres majuscules (EUR)."));
    }
    check_party(&invoice.seller, "seller", "du vendeur")?;
    check_party(&invoice.buyer, "buyer", "de l’acheteur")?;
    if invoice.lines.is_empty() {
        return Err(invalid("lines", "La facture doit compter au moins une ligne."));
    }
    if invoice.lines.len() > MAX_LINES {
        return Err(invalid("lines", format!("La facture compte plus de {MAX_LINES} lignes.")));
    }
    for (index, line) in invoice.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{index}].{name}");
        let number = index + 1;
        if line.id.trim().is_empty() {
            return Err(invalid(field("id"), format!("L’identifiant de la ligne {number} est vide.")));
        }
        if invoice.lines[..index].iter().any(|other| other.id.trim() == line.id.trim()) {
            return Err(invalid(field("id"), format!("L’identifiant de la ligne {number} est déjà pris.")));
        }
        if line.name.trim().is_empty() {
            return Err(invalid(field("name"), format!("Le libellé de la ligne {number} est vide.")));
        }
        if line.net_cents.abs() > MAX_LINE_CENTS {
            return Err(invalid(field("net_cents"), format!("Le montant de la ligne {number} est hors limites.")));
        }
        match line.vat_category {
            VatCategory::Standard if line.vat_rate_bp == 0 || line.vat_rate_bp > 10_000 => {
                return Err(invalid(
                    field("vat_rate_bp"),
                    format!("Le taux de TVA de la ligne {number} doit être compris entre 0 % exclu et 100 %."),
                ));
            }
            VatCategory::Exempt if line.vat_rate_bp != 0 => {
                return Err(invalid(
                    field("vat_rate_bp"),
                    format!("La ligne {number} est exonérée de TVA : son taux doit être 0 %."),
                ));
            }
            VatCategory::Exempt if non_empty(invoice.exemption_reason.as_deref()).is_none() => {
                return Err(invalid(
                    "exemption_reason",
                    format!("La ligne {number} est exonérée de TVA : le motif d’exonération est obligatoire."),
                ));
            }
            _ => {}
        }
    }
    // EN 16931 BR-S-02 and BR-E-02: a taxed or exempt line needs the seller's VAT number.
    if non_empty(invoice.seller.vat_id.as_deref()).is_none() {
        return Err(invalid(
            "seller.vat_id",
            "Le numéro de TVA intracommunautaire du vendeur est obligatoire, y compris pour une ligne exonérée.",
        ));
    }
    // BR-CO-25: an amount due needs a due date or payment terms; the portal gives terms.
    if totals(invoice).gross_cents > 0 && non_empty(invoice.payment_terms.as_deref()).is_none() {
        return Err(invalid("payment_terms", "Les conditions de paiement sont obligatoires quand un montant est dû."));
    }
    Ok(())
}

fn check_party(party: &Party, field: &str, whose: &str) -> Result<(), FacturxError> {
    if party.name.trim().is_empty() {
        return Err(invalid(format!("{field}.name"), format!("Le nom {whose} est vide.")));
    }
    let siren = compact(&party.siren);
    if !all_digits(&siren, 9) {
        return Err(invalid(format!("{field}.siren"), format!("Le SIREN {whose} doit compter 9 chiffres.")));
    }
    if let Some(siret) = non_empty(party.siret.as_deref()).map(compact)
        && !(all_digits(&siret, 14) && siret.starts_with(&siren))
    {
        return Err(invalid(
            format!("{field}.siret"),
            format!("Le SIRET {whose} doit compter 14 chiffres et commencer par son SIREN."),
        ));
    }
    if party.address_lines.iter().filter(|l| !l.trim().is_empty()).count() > 3 {
        return Err(invalid(
            format!("{field}.address_lines"),
            format!("L’adresse {whose} compte au plus 3 lignes (hors code postal et ville)."),
        ));
    }
    let country = party.country_code.trim();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid(
            format!("{field}.country_code"),
            format!("Le pays {whose} doit être un code ISO de 2 lettres majuscules (FR)."),
        ));
    }
    Ok(())
}

/// A small indenting XML writer. Element names are constants of this module; text and attribute
/// values go through [`xml_text`].
#[derive(Default)]
struct XmlOut {
    text: String,
    depth: usize,
}

impl XmlOut {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    fn start_tag(&mut self, tag: &str, attributes: &[(&str, &str)]) {
        self.indent();
        self.text.push('<');
        self.text.push_str(tag);
        for (name, value) in attributes {
            let _ = write!(self.text, " {name}=\"{}\"", xml_text(value));
        }
    }

    fn open(&mut self, tag: &str) {
        self.open_with(tag, &[]);
    }

    fn open_with(&mut self, tag: &str, attributes: &[(&str, &str)]) {
        self.start_tag(tag, attributes);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.text, "</{tag}>");
    }

    fn empty(&mut self, tag: &str) {
        self.start_tag(tag, &[]);
        self.text.push_str("/>\n");
    }

    fn leaf(&mut self, tag: &str, text: &str) {
        self.leaf_with(tag, &[], text);
    }

    fn leaf_with(&mut self, tag: &str, attributes: &[(&str, &str)], text: &str) {
        self.start_tag(tag, attributes);
        let _ = writeln!(self.text, ">{}</{tag}>", xml_text(text));
    }
}

/// Text for XML content or an attribute value: quick-xml escapes the markup characters
/// (`& < > " '`), and the control characters XML 1.0 cannot carry at all, even escaped, are
/// dropped, so a stray character pasted into a name cannot make the whole invoice unreadable.
fn xml_text(raw: &str) -> Cow<'_, str> {
    let forbidden =
        |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if raw.chars().any(forbidden) {
        Cow::Owned(escape(raw.chars().filter(|&c| !forbidden(c)).collect::<String>()).into_owned())
    } else {
        escape(raw)
    }
}

/// The syntax of an e-invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// UN/CEFACT Cross Industry Invoice: Factur-X, ZUGFeRD.
    Cii,
    /// OASIS UBL 2.1 invoice.
    Ubl,
}

/// The key fields of an uploaded e-invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadInvoice {
    /// CII or UBL.
    pub syntax: Syntax,
    /// Invoice number.
    pub number: String,
    /// Issue date, when present and readable.
    pub issue_date: Option<NaiveDate>,
    /// Seller's name.
    pub seller_name: String,
    /// Seller's SIREN: its legal registration (scheme `0002`), else the first 9 digits of a
    /// SIRET (scheme `0009`), else the last 9 digits of a French VAT number.
    pub seller_siren: Option<String>,
    /// Buyer's name.
    pub buyer_name: String,
    /// Total without VAT (CII `TaxBasisTotalAmount`, UBL `TaxExclusiveAmount`), in cents.
    pub net_cents: i64,
    /// Total VAT in the invoice currency (0 when the document states none), in cents.
    pub vat_cents: i64,
    /// Total with VAT (CII `GrandTotalAmount`, UBL `TaxInclusiveAmount`), in cents.
    pub gross_cents: i64,
    /// The IBAN to pay to, when given.
    pub payee_iban: Option<String>,
}

const CII_NAMESPACE: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const UBL_NAMESPACE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";

/// Reads the key fields of an uploaded e-invoice, CII (root `CrossIndustryInvoice`, as in a
/// Factur-X PDF) or UBL 2.1 (root `Invoice`).
///
/// The file must be UTF-8. A document type declaration is refused, so no entity is ever
/// defined or expanded (no XXE, no entity expansion bomb); only XML's five predefined entities
/// and character references are read. Elements are found by local name along fixed paths.
///
/// # Errors
/// [`FacturxError::Unreadable`] when the file is not well-formed XML, has a DOCTYPE, is
/// neither CII nor UBL, or lacks the number, a party's name or a total.
pub fn read_invoice_xml(bytes: &[u8]) -> Result<ReadInvoice, FacturxError> {
    let root = parse_xml(bytes)?;
    let namespace_attribute = match &root.prefix {
        Some(prefix) => format!("xmlns:{prefix}"),
        None => "xmlns".to_owned(),
    };
    match (root.name.as_str(), root.attribute(&namespace_attribute)) {
        ("CrossIndustryInvoice", Some(CII_NAMESPACE)) => read_cii(&root),
        ("Invoice", Some(UBL_NAMESPACE)) => read_ubl(&root),
        _ => Err(unreadable("Ce fichier XML n’est pas une facture électronique CII (Factur-X) ou UBL 2.1.")),
    }
}

fn read_cii(root: &Node) -> Result<ReadInvoice, FacturxError> {
    let number = required(root, &["ExchangedDocument", "ID"], "le numéro de facture")?;
    let issue_date = root
        .text_at(&["ExchangedDocument", "IssueDateTime", "DateTimeString"])
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
    let agreement = root.path(&["SupplyChainTradeTransaction", "ApplicableHeaderTradeAgreement"]);
    let seller = agreement.and_then(|a| a.child("SellerTradeParty"));
    let buyer = agreement.and_then(|a| a.child("BuyerTradeParty"));
    let seller_name = seller.and_then(|s| s.text_at(&["Name"])).ok_or_else(|| missing("le nom du vendeur"))?;
    let buyer_name = buyer.and_then(|b| b.text_at(&["Name"])).ok_or_else(|| missing("le nom de l’acheteur"))?;
    let seller_siren = seller.and_then(|party| {
        let ids = party
            .path(&["SpecifiedLegalOrganization", "ID"])
            .into_iter()
            .chain(party.children_named("ID"))
            .chain(party.children_named("GlobalID"));
        let vat_ids = party
            .children_named("SpecifiedTaxRegistration")
            .filter_map(|r| r.child("ID"))
            .filter(|id| id.attribute("schemeID") == Some("VA"));
        siren_from(ids, vat_ids)
    });
    let settlement = root.path(&["SupplyChainTradeTransaction", "ApplicableHeaderTradeSettlement"]);
    let currency = settlement.and_then(|s| s.text_at(&["InvoiceCurrencyCode"]));
    let summation = settlement.and_then(|s| s.child("SpecifiedTradeSettlementHeaderMonetarySummation"));
    let net_cents = total(summation, "TaxBasisTotalAmount")?;
    let gross_cents = total(summation, "GrandTotalAmount")?;
    let vat_cents = tax_total(summation.into_iter().flat_map(|s| s.children_named("TaxTotalAmount")), currency)?;
    let payee_iban = settlement.and_then(|s| {
        s.children_named("SpecifiedTradeSettlementPaymentMeans")
            .find_map(|m| m.text_at(&["PayeePartyCreditorFinancialAccount", "IBANID"]))
            .map(compact)
    });
    Ok(ReadInvoice {
        syntax: Syntax::Cii,
        number,
        issue_date,
        seller_name: seller_name.to_owned(),
        seller_siren,
        buyer_name: buyer_name.to_owned(),
        net_cents,
        vat_cents,
        gross_cents,
        payee_iban,
    })
}

fn read_ubl(root: &Node) -> Result<ReadInvoice, FacturxError> {
    let number = required(root, &["ID"], "le numéro de facture")?;
    let issue_date = root.text_at(&["IssueDate"]).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let seller = root.path(&["AccountingSupplierParty", "Party"]);
    let buyer = root.path(&["AccountingCustomerParty", "Party"]);
    let seller_name = seller.and_then(ubl_party_name).ok_or_else(|| missing("le nom du vendeur"))?;
    let buyer_name = buyer.and_then(ubl_party_name).ok_or_else(|| missing("le nom de l’acheteur"))?;
    let seller_siren = seller.and_then(|party| {
        let ids = party
            .children_named("PartyLegalEntity")
            .filter_map(|e| e.child("CompanyID"))
            .chain(party.children_named("PartyIdentification").filter_map(|i| i.child("ID")))
            .chain(party.children_named("EndpointID"));
        let vat_ids = party.children_named("PartyTaxScheme").filter_map(|s| s.child("CompanyID"));
        siren_from(ids, vat_ids)
    });
    let currency = root.text_at(&["DocumentCurrencyCode"]);
    let monetary_total = root.child("LegalMonetaryTotal");
    let net_cents = total(monetary_total, "TaxExclusiveAmount")?;
    let gross_cents = total(monetary_total, "TaxInclusiveAmount")?;
    let vat_cents = tax_total(root.children_named("TaxTotal").filter_map(|t| t.child("TaxAmount")), currency)?;
    let payee_iban =
        root.children_named("PaymentMeans").find_map(|m| m.text_at(&["PayeeFinancialAccount", "ID"])).map(compact);
    Ok(ReadInvoice {
        syntax: Syntax::Ubl,
        number,
        issue_date,
        seller_name: seller_name.to_owned(),
        seller_siren,
        buyer_name: buyer_name.to_owned(),
        net_cents,
        vat_cents,
        gross_cents,
        payee_iban,
    })
}

/// A UBL party's legal name, else its trading name.
fn ubl_party_name(party: &Node) -> Option<&str> {
    party.text_at(&["PartyLegalEntity", "RegistrationName"]).or_else(|| party.text_at(&["PartyName", "Name"]))
}

fn missing(what: &str) -> FacturxError {
    unreadable(format!("La facture électronique ne donne pas {what}."))
}

fn required(root: &Node, path: &[&str], what: &str) -> Result<String, FacturxError> {
    root.text_at(path).map(str::to_owned).ok_or_else(|| missing(what))
}

/// A required total of the document, in cents.
fn total(parent: Option<&Node>, name: &str) -> Result<i64, FacturxError> {
    let text = parent.and_then(|p| p.text_at(&[name])).ok_or_else(|| missing(&format!("le total {name}")))?;
    parse_cents(text).ok_or_else(|| unreadable(format!("Le montant {name} est illisible : « {text} ».")))
}

/// The VAT total in the invoice currency. A document may state it twice (invoice currency and
/// VAT accounting currency), each with its `currencyID`; none means no VAT.
fn tax_total<'a>(candidates: impl Iterator<Item = &'a Node>, currency: Option<&str>) -> Result<i64, FacturxError> {
    let all: Vec<&Node> = candidates.collect();
    let chosen = all.iter().find(|n| currency.is_some() && n.attribute("currencyID") == currency).or(all.first());
    match chosen.and_then(|n| n.value()) {
        None => Ok(0),
        Some(text) => {
            parse_cents(text).ok_or_else(|| unreadable(format!("Le montant de la TVA est illisible : « {text} ».")))
        }
    }
}

/// An XML decimal as cents: `1234.56`, `-12.3`, `7`. More than two decimals is accepted only
/// when the extra digits are zeros: money has cents, and rounding here would hide a mistake.
fn parse_cents(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (units.is_empty() && fraction.is_empty()) || !is_digits(units) || !is_digits(fraction) {
        return None;
    }
    let (cents, rest) = fraction.split_at(fraction.len().min(2));
    if rest.bytes().any(|b| b != b'0') {
        return None;
    }
    let units: i64 = if units.is_empty() { 0 } else { units.parse().ok()? };
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    let value = units.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -value } else { value })
}

/// The SIREN among a party's identifiers: a legal registration (scheme `0002`) first, then a
/// SIRET (scheme `0009`), then a French VAT number, which ends with the SIREN.
fn siren_from<'a>(
    identifiers: impl Iterator<Item = &'a Node>,
    vat_ids: impl Iterator<Item = &'a Node>,
) -> Option<String> {
    let identifiers: Vec<(Option<&str>, String)> =
        identifiers.filter_map(|n| Some((n.attribute("schemeID"), compact(n.value()?)))).collect();
    let from_scheme = |scheme: &str, length: usize| {
        identifiers.iter().find(|(s, v)| *s == Some(scheme) && all_digits(v, length)).map(|(_, v)| v[..9].to_owned())
    };
    from_scheme("0002", 9).or_else(|| from_scheme("0009", 14)).or_else(|| {
        vat_ids.filter_map(|n| n.value()).map(compact).find_map(|vat| {
            let siren = vat.strip_prefix("FR").filter(|rest| rest.len() == 11)?.get(2..)?;
            all_digits(siren, 9).then(|| siren.to_owned())
        })
    })
}

/// Parses an uploaded XML file into a tree (see [`xml_tree::parse`]).
fn parse_xml(bytes: &[u8]) -> Result<Node, FacturxError> {
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("Le fichier XML doit être encodé en UTF-8."))?;
    xml_tree::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|message| {
        let mut chars = message.chars();
        let capitalised: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        unreadable(capitalised)
    })
}

/// The names, lowercase, under which producers attach the e-invoice XML to a PDF: Factur-X,
/// then older ZUGFeRD (`ZUGFeRD-invoice.xml`, `zugferd-invoice.xml`) and XRechnung ones.
const EMBEDDED_INVOICE_NAMES: [&str; 3] = [FACTURX_FILE_NAME, "zugferd-invoice.xml", "xrechnung.xml"];

/// Largest embedded XML read from an uploaded PDF, once decompressed.
const MAX_EMBEDDED_XML_BYTES: usize = 5 * 1024 * 1024;

/// Deepest `/Kids` nesting followed in a name tree. Real trees are one or two levels deep.
const MAX_NAME_TREE_DEPTH: usize = 32;

/// The e-invoice XML carried by a Factur-X / ZUGFeRD PDF (its embedded file `factur-x.xml`, or
/// `zugferd-invoice.xml` / `ZUGFeRD-invoice.xml` / `xrechnung.xml` for older producers), if any.
///
/// The file specifications listed in the catalog's `/Names /EmbeddedFiles` name tree and in
/// its `/AF` (associated files) are searched for one whose `/UF` or `/F` is one of these names,
/// compared without regard to case; `factur-x.xml` wins when several are present. Its embedded
/// stream (`/EF /F`) is returned decompressed. The XML itself is not checked: give it to
/// [`read_invoice_xml`].
///
/// # Errors
/// [`FacturxError::Unreadable`] when the PDF cannot be parsed, or the embedded file cannot be
/// decompressed or is larger than 5 Mio once decompressed.
pub fn xml_in_pdf(pdf: &[u8]) -> Result<Option<Vec<u8>>, FacturxError> {
    let document = Document::load_mem(pdf).map_err(|e| unreadable(format!("Le PDF est illisible : {e}.")))?;
    let Ok(catalog) = document.catalog() else {
        return Err(unreadable("Le PDF est illisible : son catalogue est introuvable."));
    };
    let mut specs = Vec::new();
    let mut visited = BTreeSet::new();
    if let Some(tree) = catalog
        .get(b"Names")
        .ok()
        .and_then(|names| resolved_dictionary(&document, names))
        .and_then(|names| names.get(b"EmbeddedFiles").ok())
    {
        collect_name_tree_values(&document, tree, 0, &mut visited, &mut specs);
    }
    if let Some((_, files)) = catalog.get(b"AF").ok().and_then(|af| document.dereference(af).ok())
        && let Ok(files) = files.as_array()
    {
        specs.extend(files.iter());
    }
    let specs: Vec<(String, &Dictionary)> = specs
        .into_iter()
        .filter_map(|spec| resolved_dictionary(&document, spec))
        .filter_map(|spec| embedded_invoice_name(spec).map(|name| (name, spec)))
        .collect();
    let Some(spec) = EMBEDDED_INVOICE_NAMES
        .iter()
        .find_map(|wanted| specs.iter().find(|(name, _)| name == wanted).map(|(_, spec)| *spec))
    else {
        return Ok(None);
    };
    let stream = spec
        .get(b"EF")
        .ok()
        .and_then(|ef| resolved_dictionary(&document, ef))
        .and_then(|ef| ef.get(b"F").or_else(|_| ef.get(b"UF")).ok())
        .and_then(|file| document.dereference(file).ok())
        .and_then(|(_, file)| file.as_stream().ok())
        .ok_or_else(|| unreadable("Le fichier XML joint au PDF est introuvable."))?;
    match stream.get_plain_content_with_limit(MAX_EMBEDDED_XML_BYTES) {
        Ok(content) => Ok(Some(content)),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(unreadable("Le fichier XML joint au PDF dépasse 5 Mio."))
        }
        Err(e) => Err(unreadable(format!("Le fichier XML joint au PDF est illisible : {e}."))),
    }
}

/// The dictionary an object is or points to, if it is one.
fn resolved_dictionary<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    document.dereference(object).ok().and_then(|(_, object)| object.as_dict().ok())
}

/// Adds the values of a name tree's leaves to `out`, following `/Kids` down to
/// [`MAX_NAME_TREE_DEPTH`] and visiting each indirect node once (a hostile tree may loop or
/// share nodes).
fn collect_name_tree_values<'a>(
    document: &'a Document,
    node: &'a Object,
    depth: usize,
    visited: &mut BTreeSet<ObjectId>,
    out: &mut Vec<&'a Object>,
) {
    if depth > MAX_NAME_TREE_DEPTH {
        return;
    }
    if let Object::Reference(id) = node
        && !visited.insert(*id)
    {
        return;
    }
    let Some(node) = resolved_dictionary(document, node) else { return };
    if let Some(Ok(names)) =
        node.get(b"Names").ok().and_then(|n| document.dereference(n).ok()).map(|(_, n)| n.as_array())
    {
        out.extend(names.chunks(2).filter_map(|pair| pair.get(1)));
    }
    if let Some(Ok(kids)) = node.get(b"Kids").ok().and_then(|k| document.dereference(k).ok()).map(|(_, k)| k.as_array())
    {
        for kid in kids {
            collect_name_tree_values(document, kid, depth + 1, visited, out);
        }
    }
}

/// The name of a file specification, lowercase, when it is one of [`EMBEDDED_INVOICE_NAMES`]:
/// its `/UF` (Unicode) name if that is one, else its `/F` name if that is one.
fn embedded_invoice_name(spec: &Dictionary) -> Option<String> {
    [b"UF".as_slice(), b"F"]
        .into_iter()
        .filter_map(|key| spec.get(key).ok().and_then(|name| lopdf::decode_text_string(name).ok()))
        .map(|name| name.to_lowercase())
        .find(|name| EMBEDDED_INVOICE_NAMES.contains(&name.as_str()))
}

/// Attaches the CII XML to a PDF/A-3 and declares it, making the PDF a Factur-X invoice.
///
/// The XML becomes the embedded file `factur-x.xml` (`text/xml`, `/AFRelationship /Data`,
/// `/Params` with its size and, as modification date, the invoice's issue date so the output
/// depends on its input only), listed in the catalog's `/Names /EmbeddedFiles` and `/AF`. The
/// XMP metadata gains the Factur-X properties (`fx:DocumentType` INVOICE, `fx:DocumentFileName`,
/// `fx:Version` 1.0, `fx:ConformanceLevel` EN 16931) and the PDF/A extension schema that
/// declares them; its `pdfaid:part` and `pdfaid:conformance` are kept. A PDF without XMP gets
/// one declaring PDF/A-3B. The PDF itself must already be PDF/A-3 (typst renders it so).
///
/// # Errors
/// [`FacturxError::Pdf`] when the PDF cannot be read or written, is encrypted, already has a
/// `factur-x.xml` or Factur-X metadata, or has metadata or attachments in a shape this function
/// does not rewrite (a name tree split into `/Kids`).
pub fn embed_in_pdf(pdf: &[u8], xml: &str, invoice: &Invoice) -> Result<Vec<u8>, FacturxError> {
    let mut document = Document::load_mem(pdf).map_err(|e| pdf_error("Le PDF à compléter est illisible", e))?;
    if document.is_encrypted() {
        return Err(FacturxError::Pdf("Le PDF à compléter est chiffré.".to_owned()));
    }
    let size = i64::try_from(xml.len()).map_err(|e| pdf_error("Le fichier XML est trop grand", e))?;
    let modified = format!("D:{}000000Z", invoice.issue_date.format("%Y%m%d"));
    let mut file = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Subtype" => "text/xml",
            "Params" => dictionary! { "ModDate" => Object::string_literal(modified), "Size" => size },
        },
        xml.as_bytes().to_vec(),
    );
    file.compress().map_err(|e| pdf_error("Compression du fichier XML impossible", e))?;
    let file_id = document.add_object(file);
    let file_spec = document.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal(FACTURX_FILE_NAME),
        "UF" => lopdf::text_string(FACTURX_FILE_NAME),
        "Desc" => lopdf::text_string("Factur-X invoice"),
        "AFRelationship" => "Data",
        "EF" => dictionary! { "F" => file_id, "UF" => file_id },
    });
    add_embedded_file(&mut document, file_spec)?;
    add_associated_file(&mut document, file_spec)?;
    add_facturx_metadata(&mut document)?;
    let mut out = Vec::new();
    document.save_to(&mut out).map_err(|e| pdf_error("Écriture du PDF impossible", e))?;
    Ok(out)
}

/// The dictionary an object is or points to, cloned: the catalog's entries may be inline or
/// indirect.
fn dictionary_of(document: &Document, object: &Object) -> Result<Dictionary, FacturxError> {
    let (_, object) = document.dereference(object).map_err(|e| pdf_error("Structure du PDF illisible", e))?;
    object.as_dict().cloned().map_err(|e| pdf_error("Structure du PDF illisible", e))
}

fn catalog_mut(document: &mut Document) -> Result<&mut Dictionary, FacturxError> {
    document.catalog_mut().map_err(|e| pdf_error("Catalogue du PDF introuvable", e))
}

/// Adds the file to `/Names /EmbeddedFiles`, a name tree kept flat and sorted.
fn add_embedded_file(document: &mut Document, file_spec: ObjectId) -> Result<(), FacturxError> {
    let catalog = document.catalog().map_err(|e| pdf_error("Catalogue du PDF introuvable", e))?;
    let names_entry = catalog.get(b"Names").ok().cloned();
    let mut names = match &names_entry {
        Some(object) => dictionary_of(document, object)?,
        None => Dictionary::new(),
    };
    let mut entries: Vec<(Vec<u8>, Object)> = Vec::new();
    if let Ok(tree) = names.get(b"EmbeddedFiles") {
        let tree = dictionary_of(document, tree)?;
        if tree.has(b"Kids") {
            return Err(FacturxError::Pdf(
                "Les fichiers joints du PDF sont dans une structure non prise en charge.".into(),
            ));
        }
        let flat = match tree.get(b"Names") {
            Ok(object) => document.dereference(object).and_then(|(_, o)| o.as_array()).cloned().unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        for pair in flat.chunks(2) {
            if let [Object::String(key, _), value] = pair {
                entries.push((key.clone(), value.clone()));
            }
        }
    }
    if entries.iter().any(|(key, _)| key == FACTURX_FILE_NAME.as_bytes()) {
        return Err(FacturxError::Pdf(format!("Le PDF contient déjà un fichier {FACTURX_FILE_NAME}.")));
    }
    entries.push((FACTURX_FILE_NAME.as_bytes().to_vec(), Object::Reference(file_spec)));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let flat: Vec<Object> = entries.into_iter().flat_map(|(key, value)| [Object::string_literal(key), value]).collect();
    names.set("EmbeddedFiles", dictionary! { "Names" => flat });
    match names_entry {
        Some(Object::Reference(id)) => {
            *document.get_object_mut(id).map_err(|e| pdf_error("Structure du PDF illisible", e))? =
                Object::Dictionary(names);
        }
        _ => catalog_mut(document)?.set("Names", names),
    }
    Ok(())
}

/// Adds the file to the catalog's `/AF` (associated files, PDF/A-3).
fn add_associated_file(document: &mut Document, file_spec: ObjectId) -> Result<(), FacturxError> {
    let catalog = document.catalog().map_err(|e| pdf_error("Catalogue du PDF introuvable", e))?;
    let mut files = match catalog.get(b"AF") {
        Ok(object) => document
            .dereference(object)
            .and_then(|(_, o)| o.as_array())
            .cloned()
            .map_err(|e| pdf_error("Structure du PDF illisible", e))?,
        Err(_) => Vec::new(),
    };
    files.push(Object::Reference(file_spec));
    catalog_mut(document)?.set("AF", files);
    Ok(())
}

/// Adds the Factur-X properties to the document's XMP, or creates a PDF/A-3B XMP with them.
fn add_facturx_metadata(document: &mut Document) -> Result<(), FacturxError> {
    let catalog = document.catalog().map_err(|e| pdf_error("Catalogue du PDF introuvable", e))?;
    let Ok(&Object::Reference(metadata_id)) = catalog.get(b"Metadata") else {
        let xmp = with_facturx(NEW_XMP)?;
        let stream = Stream::new(dictionary! { "Type" => "Metadata", "Subtype" => "XML" }, xmp.into_bytes());
        let id = document.add_object(stream.with_compression(false));
        catalog_mut(document)?.set("Metadata", id);
        return Ok(());
    };
    let stream = document
        .get_object_mut(metadata_id)
        .and_then(Object::as_stream_mut)
        .map_err(|e| pdf_error("Métadonnées XMP du PDF illisibles", e))?;
    let content = stream
        .get_plain_content_with_limit(MAX_XMP_BYTES)
        .map_err(|e| pdf_error("Métadonnées XMP du PDF illisibles", e))?;
    let xmp = String::from_utf8(content).map_err(|e| pdf_error("Métadonnées XMP du PDF illisibles", e))?;
    // Written uncompressed, as PDF/A readers and validators expect metadata to be readable as is.
    stream.set_plain_content(with_facturx(&xmp)?.into_bytes());
    stream.allows_compression = false;
    Ok(())
}

/// An XMP packet declaring PDF/A-3B, for a PDF that has none.
const NEW_XMP: &str = concat!(
    "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
    "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n",
    "<pdfaid:part>3</pdfaid:part>\n",
    "<pdfaid:conformance>B</pdfaid:conformance>\n",
    "</rdf:Description>\n",
    "</rdf:RDF>\n",
    "</x:xmpmeta>\n",
    "<?xpacket end=\"w\"?>",
);

/// The Factur-X properties.
const FX_PROPERTIES: &str = concat!(
    "<rdf:Description rdf:about=\"\" xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">\n",
    "<fx:DocumentType>INVOICE</fx:DocumentType>\n",
    "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>\n",
    "<fx:Version>1.0</fx:Version>\n",
    "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>\n",
    "</rdf:Description>\n",
);

/// The PDF/A extension schema entry describing the `fx` properties: PDF/A requires every
/// property outside the predefined XMP schemas to be declared this way.
const FX_SCHEMA: &str = concat!(
    "<rdf:li rdf:parseType=\"Resource\">\n",
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\n",
    "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>\n",
    "<pdfaSchema:prefix>fx</pdfaSchema:prefix>\n",
    "<pdfaSchema:property>\n<rdf:Seq>\n",
    "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>DocumentFileName</pdfaProperty:name>",
    "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>",
    "<pdfaProperty:description>Name of the embedded XML invoice file</pdfaProperty:description></rdf:li>\n",
    "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>DocumentType</pdfaProperty:name>",
    "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>",
    "<pdfaProperty:description>INVOICE</pdfaProperty:description></rdf:li>\n",
    "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>Version</pdfaProperty:name>",
    "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>",
    "<pdfaProperty:description>Version of the Factur-X XML schema</pdfaProperty:description></rdf:li>\n",
    "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name>",
    "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>",
    "<pdfaProperty:description>Conformance level of the embedded Factur-X data</pdfaProperty:description></rdf:li>\n",
    "</rdf:Seq>\n</pdfaSchema:property>\n",
    "</rdf:li>\n",
);

const EXTENSION_NAMESPACES: &str = concat!(
    " xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"",
    " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"",
    " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"",
);

/// The XMP with the Factur-X properties and their schema declaration added.
fn with_facturx(xmp: &str) -> Result<String, FacturxError> {
    if xmp.contains(FX_NAMESPACE) {
        return Err(FacturxError::Pdf("Le PDF porte déjà des métadonnées Factur-X.".to_owned()));
    }
    let shape_error = || FacturxError::Pdf("Les métadonnées XMP du PDF ont une forme non prise en charge.".to_owned());
    let end = xmp.rfind("</rdf:RDF>").ok_or_else(shape_error)?;
    let mut out = xmp.to_owned();
    // XMP allows one `pdfaExtension:schemas` property per document: join an existing list,
    // or start one.
    match xmp.find("<pdfaExtension:schemas>") {
        Some(schemas) => {
            let bag =
                xmp[schemas..].find("<rdf:Bag>").map(|i| schemas + i + "<rdf:Bag>".len()).ok_or_else(shape_error)?;
            let between = &xmp[schemas + "<pdfaExtension:schemas>".len()..bag - "<rdf:Bag>".len()];
            // Our entry relies on the `pdfaSchema` and `pdfaProperty` prefixes the existing list
            // declares (typst declares them on the same description): a rough check that they
            // are bound at all.
            let declared = |prefix: &str| xmp.contains(&format!("xmlns:{prefix}=\"http://www.aiim.org/pdfa/ns/"));
            if !between.trim().is_empty() || !declared("pdfaSchema") || !declared("pdfaProperty") {
                return Err(shape_error());
            }
            // Inserted from the end so that `bag`, before `end`, stays valid.
            out.insert_str(end, FX_PROPERTIES);
            out.insert_str(bag, FX_SCHEMA);
        }
        None if xmp.contains("pdfaExtension:schemas") => return Err(shape_error()),
        None => {
            let description = format!(
                "<rdf:Description rdf:about=\"\"{EXTENSION_NAMESPACES}>\n<pdfaExtension:schemas>\n<rdf:Bag>\n{FX_SCHEMA}</rdf:Bag>\n</pdfaExtension:schemas>\n</rdf:Description>\n"
            );
            out.insert_str(end, &format!("{FX_PROPERTIES}{description}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn company() -> Party {
        Party {
            name: "Intérim Nord & Fils <SAS>".into(),
            siren: "901 234 567".into(),
            siret: Some("90123456700018".into()),
            vat_id: Some("FR 40 901234567".into()),
            address_lines: vec!["12 rue de l’Égalité".into(), "Bâtiment \"B\"".into()],
            postal_code: "59000".into(),
            city: "Lille".into(),
            country_code: "FR".into(),
        }
    }

    fn operator() -> Party {
        Party {
            name: "AKTO".into(),
            siren: "851296632".into(),
            siret: None,
            vat_id: None,
            address_lines: vec!["14 rue Riquet".into()],
            postal_code: "75019".into(),
            city: "Paris".into(),
            country_code: "FR".into(),
        }
    }

    fn line(id: &str, net_cents: i64, vat_rate_bp: u32, vat_category: VatCategory) -> Line {
        Line {
            id: id.into(),
            name: format!("Formation {id}"),
            note: Some("Du 12/01/2026 au 14/01/2026 : Camille Martin, Léo Petit".into()),
            net_cents,
            vat_rate_bp,
            vat_category,
        }
    }

    /// A proforma with two lines at 20 %.
    fn proforma() -> Invoice {
        Invoice {
            number: "PF-2026-000042".into(),
            issue_date: day(2026, 2, 3),
            type_code: 380,
            currency: "EUR".into(),
            seller: company(),
            buyer: operator(),
            buyer_reference: Some("DR-2026-0007".into()),
            lines: vec![
                Line { name: "Habilitation électrique B1V".into(), ..line("1", 123_456, 2000, VatCategory::Standard) },
                Line {
                    name: "CACES R489 catégorie 3".into(),
                    note: None,
                    ..line("2", 80_005, 2000, VatCategory::Standard)
                },
            ],
            exemption_reason: None,
            payee_iban: Some("FR76 3000 6000 0112 3456 7890 189".into()),
            payment_terms: Some("Remboursement par virement à réception de la demande validée.".into()),
            notes: vec!["Facture pro forma sans valeur comptable".into()],
        }
    }

    /// A proforma from a company exempt from VAT.
    fn exempt_proforma() -> Invoice {
        Invoice {
            number: "PF-2026-000043".into(),
            lines: vec![line("1", 250_000, 0, VatCategory::Exempt)],
            exemption_reason: Some("Exonération de TVA, article 261-4-4° a du CGI".into()),
            buyer: Party { name: "FPETT".into(), siren: "784 339 233".into(), ..operator() },
            ..proforma()
        }
    }

    #[test]
    fn vat_is_per_rate_on_the_sum_and_rounded_half_away_from_zero() {
        // 3 × 0.05 € at 10 %: 0.5 cent per line, 1.5 cents on the sum → 2 cents (never 3 × 1).
        let mut invoice = proforma();
        invoice.lines = vec![
            line("1", 5, 1000, VatCategory::Standard),
            line("2", 5, 1000, VatCategory::Standard),
            line("3", 5, 1000, VatCategory::Standard),
            line("4", 1_000, 550, VatCategory::Standard),
            line("5", 9_999, 0, VatCategory::Exempt),
        ];
        let t = totals(&invoice);
        assert_eq!(
            t.breakdown,
            vec![
                VatBreakdown { category: VatCategory::Standard, rate_bp: 550, taxable_cents: 1_000, vat_cents: 55 },
                VatBreakdown { category: VatCategory::Standard, rate_bp: 1000, taxable_cents: 15, vat_cents: 2 },
                VatBreakdown { category: VatCategory::Exempt, rate_bp: 0, taxable_cents: 9_999, vat_cents: 0 },
            ]
        );
        assert_eq!((t.net_cents, t.vat_cents, t.gross_cents), (11_014, 57, 11_071));
        assert_eq!(vat_on(25, 2000), 5);
        assert_eq!(vat_on(1, 5000), 1, "0.5 cent rounds up");
        assert_eq!(vat_on(-1, 5000), -1, "-0.5 cent rounds down, away from zero");
        assert_eq!(vat_on(-3, 1000), 0);
        assert_eq!(vat_on(-7, 1000), -1);
        let t = totals(&proforma());
        assert_eq!((t.net_cents, t.vat_cents, t.gross_cents), (203_461, 40_692, 244_153));
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in prop::collection::vec(
            (-1_000_000_000i64..1_000_000_000, prop::sample::select(vec![0u32, 210, 550, 1000, 2000, 3333]), any::<bool>()),
            1..20,
        )) {
            let mut invoice = proforma();
            invoice.lines = lines
                .iter()
                .enumerate()
                .map(|(i, &(net, rate, exempt))| {
                    let category = if exempt { VatCategory::Exempt } else { VatCategory::Standard };
                    line(&i.to_string(), net, rate, category)
                })
                .collect();
            let t = totals(&invoice);
            prop_assert_eq!(t.net_cents + t.vat_cents, t.gross_cents);
            prop_assert_eq!(t.breakdown.iter().map(|b| b.taxable_cents).sum::<i64>(), t.net_cents);
            prop_assert_eq!(invoice.lines.iter().map(|l| l.net_cents).sum::<i64>(), t.net_cents);
            prop_assert_eq!(t.breakdown.iter().map(|b| b.vat_cents).sum::<i64>(), t.vat_cents);
            for b in &t.breakdown {
                // round(taxable × rate / 10 000), half away from zero, recomputed another way:
                // on the absolute value, adding half the divisor before dividing.
                let magnitude = (i128::from(b.taxable_cents).abs() * i128::from(b.rate_bp) + 5_000) / 10_000;
                let expected = if b.taxable_cents < 0 { -magnitude } else { magnitude };
                prop_assert_eq!(i128::from(b.vat_cents), expected);
            }
        }

        #[test]
        fn amounts_round_trip_through_text(cents in any::<i64>()) {
            prop_assume!(cents != i64::MIN);
            prop_assert_eq!(parse_cents(&amount(cents)), Some(cents));
        }
    }

    #[test]
    fn amounts_and_rates_are_written_with_two_decimals() {
        assert_eq!(amount(123_456), "1234.56");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(-5), "-0.05");
        assert_eq!(amount(0), "0.00");
        assert_eq!(percent(2000), "20.00");
        assert_eq!(percent(550), "5.50");
        assert_eq!(parse_cents("12.3"), Some(1_230));
        assert_eq!(parse_cents(" 7 "), Some(700));
        assert_eq!(parse_cents("1.500"), Some(150));
        assert_eq!(parse_cents(".5"), Some(50));
        assert_eq!(parse_cents("1.505"), None, "a third decimal would be rounded away silently");
        assert_eq!(parse_cents("1,50"), None);
        assert_eq!(parse_cents("-"), None);
        assert_eq!(parse_cents("1e3"), None);
    }

    #[test]
    fn text_is_escaped_and_stray_control_characters_dropped() {
        assert_eq!(xml_text(r#"a & b < c > d " e ' f"#), "a &amp; b &lt; c &gt; d &quot; e &apos; f");
        assert_eq!(xml_text("Bell\u{7}é"), "Bellé");
        assert_eq!(xml_text("tab\tok"), "tab\tok");
        let mut invoice = proforma();
        invoice.seller.name = "A&B <script>\u{1}".into();
        let xml = cii_xml(&invoice).unwrap();
        assert!(xml.contains("<ram:Name>A&amp;B &lt;script&gt;</ram:Name>"), "{xml}");
        assert_eq!(read_invoice_xml(xml.as_bytes()).unwrap().seller_name, "A&B <script>");
    }

    #[test]
    fn the_cii_has_the_en16931_structure() {
        let xml = cii_xml(&proforma()).unwrap();
        for expected in [
            "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
            "<ram:TypeCode>380</ram:TypeCode>",
            "<udt:DateTimeString format=\"102\">20260203</udt:DateTimeString>",
            "<ram:Content>Facture pro forma sans valeur comptable</ram:Content>",
            "<ram:GlobalID schemeID=\"0009\">90123456700018</ram:GlobalID>",
            "<ram:ID schemeID=\"0002\">901234567</ram:ID>",
            "<ram:ID schemeID=\"VA\">FR40901234567</ram:ID>",
            "<ram:LineTwo>Bâtiment &quot;B&quot;</ram:LineTwo>",
            "<ram:TypeCode>58</ram:TypeCode>",
            "<ram:IBANID>FR7630006000011234567890189</ram:IBANID>",
            "<ram:CalculatedAmount>406.92</ram:CalculatedAmount>",
            "<ram:TaxTotalAmount currencyID=\"EUR\">406.92</ram:TaxTotalAmount>",
            "<ram:GrandTotalAmount>2441.53</ram:GrandTotalAmount>",
            "<ram:DuePayableAmount>2441.53</ram:DuePayableAmount>",
        ] {
            assert!(xml.contains(expected), "missing {expected} in\n{xml}");
        }
        let exempt = cii_xml(&exempt_proforma()).unwrap();
        assert!(
            exempt.contains("<ram:ExemptionReason>Exonération de TVA, article 261-4-4° a du CGI</ram:ExemptionReason>")
        );
        assert!(exempt.contains("<ram:CategoryCode>E</ram:CategoryCode>"));
        assert!(exempt.contains("<ram:RateApplicablePercent>0.00</ram:RateApplicablePercent>"));
    }

    #[test]
    fn invalid_invoices_are_refused_with_the_field_named_in_french() {
        let refused = |change: fn(&mut Invoice)| {
            let mut invoice = proforma();
            change(&mut invoice);
            match cii_xml(&invoice) {
                Err(FacturxError::Invalid { field, message }) => (field, message),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            refused(|i| i.lines.clear()),
            ("lines".into(), "La facture doit compter au moins une ligne.".into())
        );
        assert_eq!(
            refused(|i| i.seller.name = "  ".into()),
            ("seller.name".into(), "Le nom du vendeur est vide.".into())
        );
        assert_eq!(
            refused(|i| i.seller.siren = "55210055".into()),
            ("seller.siren".into(), "Le SIREN du vendeur doit compter 9 chiffres.".into())
        );
        assert_eq!(refused(|i| i.buyer.siren = "85129663A".into()).0, "buyer.siren");
        assert_eq!(refused(|i| i.seller.siret = Some("12345678900013".into())).0, "seller.siret");
        assert_eq!(refused(|i| i.lines[1].vat_category = VatCategory::Exempt).0, "lines[1].vat_rate_bp");
        let (field, message) = refused(|i| {
            i.lines[1].vat_category = VatCategory::Exempt;
            i.lines[1].vat_rate_bp = 0;
        });
        assert_eq!(field, "exemption_reason");
        assert!(message.contains("ligne 2") && message.contains("motif d’exonération"), "{message}");
        assert_eq!(refused(|i| i.lines[0].vat_rate_bp = 0).0, "lines[0].vat_rate_bp");
        assert_eq!(refused(|i| i.lines[1].id = "1".into()).0, "lines[1].id");
        assert_eq!(refused(|i| i.seller.vat_id = None).0, "seller.vat_id");
        assert_eq!(refused(|i| i.payment_terms = None).0, "payment_terms");
        assert_eq!(refused(|i| i.currency = "euro".into()).0, "currency");
        assert_eq!(refused(|i| i.number = String::new()).0, "number");
    }

    #[test]
    fn reading_our_own_cii_gives_back_the_key_fields() {
        for invoice in [proforma(), exempt_proforma()] {
            let read = read_invoice_xml(cii_xml(&invoice).unwrap().as_bytes()).unwrap();
            let t = totals(&invoice);
            assert_eq!(
                read,
                ReadInvoice {
                    syntax: Syntax::Cii,
                    number: invoice.number.clone(),
                    issue_date: Some(invoice.issue_date),
                    seller_name: invoice.seller.name.clone(),
                    seller_siren: Some("901234567".into()),
                    buyer_name: invoice.buyer.name.clone(),
                    net_cents: t.net_cents,
                    vat_cents: t.vat_cents,
                    gross_cents: t.gross_cents,
                    payee_iban: Some("FR7630006000011234567890189".into()),
                }
            );
        }
    }

    #[test]
    fn the_seller_siren_comes_from_a_siret_or_a_french_vat_number_when_needed() {
        // Our own CII with the seller's identifiers replaced by `identifiers`.
        let siren_with = |identifiers: &str| {
            let xml = cii_xml(&proforma()).unwrap();
            let start = xml.find("<ram:SellerTradeParty>").unwrap() + "<ram:SellerTradeParty>".len();
            let end = xml.find("</ram:SellerTradeParty>").unwrap();
            let xml = format!("{}<ram:Name>X</ram:Name>{identifiers}{}", &xml[..start], &xml[end..]);
            read_invoice_xml(xml.as_bytes()).unwrap().seller_siren
        };
        let siret = "<ram:GlobalID schemeID=\"0009\">901 234 567 00018</ram:GlobalID>";
        assert_eq!(siren_with(siret), Some("901234567".into()));
        let vat = "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">FR40901234567</ram:ID></ram:SpecifiedTaxRegistration>";
        assert_eq!(siren_with(vat), Some("901234567".into()));
        let legal = "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">412034456</ram:ID></ram:SpecifiedLegalOrganization>";
        assert_eq!(
            siren_with(&format!("{siret}{legal}{vat}")),
            Some("412034456".into()),
            "the legal registration first"
        );
        assert_eq!(siren_with("<ram:GlobalID schemeID=\"0088\">3014531200007</ram:GlobalID>"), None);
        let foreign_vat =
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>";
        assert_eq!(siren_with(foreign_vat), None);
        assert_eq!(siren_with(""), None);
    }

    const UBL_SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>FA-2026/118</cbc:ID>
  <cbc:IssueDate>2026-01-30</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="0225">ORG-FORM</cbc:EndpointID>
      <cac:PartyIdentification><cbc:ID schemeID="0009">41203445600027</cbc:ID></cac:PartyIdentification>
      <cac:PartyName><cbc:Name>Formations Dupont</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>3 place du Théâtre</cbc:StreetName>
        <cbc:CityName>Lille</cbc:CityName>
        <cbc:PostalZone>59800</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>FR32412034456</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Formations Dupont SARL</cbc:RegistrationName>
        <cbc:CompanyID schemeID="0002">412034456</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PostalAddress>
        <cbc:CityName>Roubaix</cbc:CityName>
        <cbc:PostalZone>59100</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity><cbc:RegistrationName>Intérim Nord</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>FR14 2004 1010 0505 0001 3M02 606</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>Paiement à 30 jours.</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">240.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">1200.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">240.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">1200.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">1200.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">1440.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">1440.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">1200.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Sauveteur secouriste du travail</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">1200.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>"#;

    #[test]
    fn a_ubl_invoice_is_read() {
        let read = read_invoice_xml(UBL_SAMPLE.as_bytes()).unwrap();
        assert_eq!(
            read,
            ReadInvoice {
                syntax: Syntax::Ubl,
                number: "FA-2026/118".into(),
                issue_date: Some(day(2026, 1, 30)),
                seller_name: "Formations Dupont SARL".into(),
                seller_siren: Some("412034456".into()),
                buyer_name: "Intérim Nord".into(),
                net_cents: 120_000,
                vat_cents: 24_000,
                gross_cents: 144_000,
                payee_iban: Some("FR1420041010050500013M02606".into()),
            }
        );
        // Without the legal registration, the SIRET, then the VAT number give the SIREN.
        let no_legal_id = UBL_SAMPLE.replace(r#"<cbc:CompanyID schemeID="0002">412034456</cbc:CompanyID>"#, "");
        assert_eq!(read_invoice_xml(no_legal_id.as_bytes()).unwrap().seller_siren, Some("412034456".into()));
        let vat_only = no_legal_id.replace("41203445600027", "x");
        assert_eq!(read_invoice_xml(vat_only.as_bytes()).unwrap().seller_siren, Some("412034456".into()));
        let none = vat_only.replace("FR32412034456", "DE123456789");
        assert_eq!(read_invoice_xml(none.as_bytes()).unwrap().seller_siren, None);
    }

    #[test]
    fn hostile_or_foreign_xml_is_refused() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&xxe;</ID></Invoice>"#;
        let err = read_invoice_xml(xxe.as_bytes()).unwrap_err();
        assert!(matches!(&err, FacturxError::Unreadable(m) if m.contains("DOCTYPE")), "{err:?}");
        // Even without a DOCTYPE, an undeclared entity is not silently dropped.
        let entity = UBL_SAMPLE.replace("FA-2026/118", "&xxe;");
        assert!(read_invoice_xml(entity.as_bytes()).unwrap_err().to_string().contains("entité inconnue"));
        let foreign = r#"<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>"#;
        assert!(read_invoice_xml(foreign.as_bytes()).unwrap_err().to_string().contains("n’est pas une facture"));
        assert!(read_invoice_xml(b"<a><b></a>").is_err());
        assert!(read_invoice_xml(b"").is_err());
        assert!(read_invoice_xml(b"\xff\xfe<").unwrap_err().to_string().contains("UTF-8"));
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        assert!(read_invoice_xml(deep.as_bytes()).unwrap_err().to_string().contains("imbriqué"));
        let no_total = UBL_SAMPLE.replace("TaxInclusiveAmount", "Other");
        assert!(read_invoice_xml(no_total.as_bytes()).unwrap_err().to_string().contains("TaxInclusiveAmount"));
        let bad_amount = UBL_SAMPLE.replace(">1440.00</cbc:TaxInclusiveAmount", ">1 440,00</cbc:TaxInclusiveAmount");
        assert!(read_invoice_xml(bad_amount.as_bytes()).unwrap_err().to_string().contains("illisible"));
        // Predefined entities and character references are text.
        let escaped = UBL_SAMPLE.replace("FA-2026/118", "A&amp;B&#233;&#x2F;");
        assert_eq!(read_invoice_xml(escaped.as_bytes()).unwrap().number, "A&Bé/");
    }

    /// `xmllint --schema` on the vendored Factur-X EN 16931 XSD: an independent validator.
    pub(crate) fn xmllint_validates(name: &str, xml: &str) {
        let available =
            std::process::Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
        if !available {
            let required = std::env::var("ESPACE_REQUIRE_XMLLINT").is_ok_and(|v| v == "1");
            assert!(!required, "ESPACE_REQUIRE_XMLLINT=1 but xmllint is not installed (Debian: libxml2-utils)");
            eprintln!("schema check skipped: xmllint not found (Debian: libxml2-utils)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/xsd/facturx/Factur-X_EN16931.xsd");
        let output =
            std::process::Command::new("xmllint").args(["--noout", "--schema", schema]).arg(&file).output().unwrap();
        assert!(
            output.status.success(),
            "{name} does not validate:\n{}\n{xml}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn the_cii_validates_against_the_factur_x_en16931_schema() {
        xmllint_validates("proforma", &cii_xml(&proforma()).unwrap());
        xmllint_validates("exempt", &cii_xml(&exempt_proforma()).unwrap());
        let mut minimal = exempt_proforma();
        minimal.buyer_reference = None;
        minimal.payee_iban = None;
        minimal.notes.clear();
        minimal.seller.siret = None;
        minimal.seller.address_lines.clear();
        minimal.lines[0].note = None;
        minimal.lines[0].net_cents = -250_000;
        minimal.payment_terms = None;
        xmllint_validates("minimal", &cii_xml(&minimal).unwrap());
    }

    /// A one-page PDF built with lopdf, without XMP metadata.
    fn bare_pdf() -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content = doc.add_object(Stream::new(Dictionary::new(), b"BT ET".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// A PDF/A-3b rendered by typst, as the proforma will be.
    fn typst_pdfa3() -> Vec<u8> {
        let template = crate::pdf::Template {
            name: "facturx-probe",
            source: "#set document(title: \"Pro forma\", date: datetime(year: 2026, month: 2, day: 3))\n#set page(width: 10cm, height: 5cm)\nPro forma\n",
        };
        let laid = crate::pdf::lay_out(template, &(), day(2026, 2, 3)).unwrap();
        let standards = typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_3b]).unwrap();
        let options = typst_pdf::PdfOptions { standards, ..typst_pdf::PdfOptions::default() };
        typst_pdf::pdf(&laid.document, &options).unwrap()
    }

    /// What a Factur-X reader sees: the attached XML, the catalog's `/AF` and the XMP.
    pub(crate) fn attachment_and_xmp(pdf: &[u8]) -> (Vec<u8>, String) {
        let doc = Document::load_mem(pdf).unwrap();
        let catalog = doc.catalog().unwrap();
        let deref = |o: &Object| doc.dereference(o).unwrap().1.clone();
        let names = deref(catalog.get(b"Names").unwrap());
        let tree = deref(names.as_dict().unwrap().get(b"EmbeddedFiles").unwrap());
        let flat = deref(tree.as_dict().unwrap().get(b"Names").unwrap());
        let flat = flat.as_array().unwrap();
        let at = flat.iter().position(|o| o.as_str().is_ok_and(|s| s == FACTURX_FILE_NAME.as_bytes())).unwrap();
        let spec_ref = flat[at + 1].as_reference().unwrap();
        let af = deref(catalog.get(b"AF").unwrap());
        assert!(af.as_array().unwrap().iter().any(|o| o.as_reference().is_ok_and(|r| r == spec_ref)));
        let spec = doc.get_dictionary(spec_ref).unwrap();
        assert_eq!(spec.get(b"AFRelationship").unwrap().as_name().unwrap(), b"Data");
        assert_eq!(lopdf::decode_text_string(spec.get(b"UF").unwrap()).unwrap(), FACTURX_FILE_NAME);
        let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
        let stream = doc.get_object(ef.get(b"F").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
        assert_eq!(stream.dict.get(b"Subtype").unwrap().as_name().unwrap(), b"text/xml");
        let params = stream.dict.get(b"Params").unwrap().as_dict().unwrap();
        // The invoice's issue date, at midnight UTC.
        let date = params.get(b"ModDate").unwrap().as_str().unwrap();
        assert!(date.starts_with(b"D:2026") && date.ends_with(b"000000Z"), "{}", String::from_utf8_lossy(date));
        let content = stream.get_plain_content().unwrap();
        assert_eq!(params.get(b"Size").unwrap().as_i64().unwrap(), i64::try_from(content.len()).unwrap());
        let metadata = doc.get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap()).unwrap();
        let xmp = String::from_utf8(metadata.as_stream().unwrap().get_plain_content().unwrap()).unwrap();
        (content, xmp)
    }

    /// The values of the XMP property `prefix:name`, written as an element or as an attribute.
    fn xmp_values(xmp: &str, prefix: &str, name: &str) -> Vec<String> {
        fn walk(node: &Node, prefix: &str, name: &str, out: &mut Vec<String>) {
            if node.prefix.as_deref() == Some(prefix) && node.name == name {
                out.push(node.text.trim().to_owned());
            }
            if let Some(value) = node.attribute(&format!("{prefix}:{name}")) {
                out.push(value.to_owned());
            }
            for child in &node.children {
                walk(child, prefix, name, out);
            }
        }
        let mut out = Vec::new();
        walk(&parse_xml(xmp.as_bytes()).unwrap(), prefix, name, &mut out);
        out
    }

    #[test]
    fn the_xml_is_embedded_in_a_typst_pdfa3_with_factur_x_metadata() {
        let invoice = proforma();
        let xml = cii_xml(&invoice).unwrap();
        let original = typst_pdfa3();
        let pdf = embed_in_pdf(&original, &xml, &invoice).unwrap();
        let (attached, xmp) = attachment_and_xmp(&pdf);
        assert_eq!(attached, xml.as_bytes());
        assert_eq!(xmp_values(&xmp, "fx", "ConformanceLevel"), ["EN 16931"]);
        assert_eq!(xmp_values(&xmp, "fx", "DocumentType"), ["INVOICE"]);
        assert_eq!(xmp_values(&xmp, "fx", "DocumentFileName"), [FACTURX_FILE_NAME]);
        assert_eq!(xmp_values(&xmp, "fx", "Version"), ["1.0"]);
        assert_eq!(xmp_values(&xmp, "pdfaid", "part"), ["3"]);
        assert_eq!(xmp_values(&xmp, "pdfaid", "conformance"), ["B"]);
        // typst declares its own extension schemas; fx joins that list, which stays single.
        assert_eq!(xmp_values(&xmp, "pdfaSchema", "prefix"), ["fx", "xmpMM", "pdf"]);
        assert_eq!(xmp_values(&xmp, "pdfaExtension", "schemas").len(), 1);
        let (before, after) = (Document::load_mem(&original).unwrap(), Document::load_mem(&pdf).unwrap());
        assert_eq!(after.get_pages().len(), 1);
        assert_eq!(after.trailer.get(b"ID").ok(), before.trailer.get(b"ID").ok(), "PDF/A needs the file identifier");
        // An attached file is not active content: the company may upload this very PDF.
        assert_eq!(crate::upload::check_pdf(&pdf), Ok(1));
        // Once is enough: a second embedding is refused.
        let err = embed_in_pdf(&pdf, &xml, &invoice).unwrap_err();
        assert!(err.to_string().contains("factur-x.xml"), "{err}");
    }

    #[test]
    fn a_pdf_without_xmp_gets_a_pdfa3b_one() {
        let invoice = exempt_proforma();
        let xml = cii_xml(&invoice).unwrap();
        let pdf = embed_in_pdf(&bare_pdf(), &xml, &invoice).unwrap();
        let (attached, xmp) = attachment_and_xmp(&pdf);
        assert_eq!(attached, xml.as_bytes());
        assert_eq!(xmp_values(&xmp, "fx", "ConformanceLevel"), ["EN 16931"]);
        assert_eq!(xmp_values(&xmp, "pdfaid", "part"), ["3"]);
        assert_eq!(xmp_values(&xmp, "pdfaid", "conformance"), ["B"]);
        assert!(embed_in_pdf(b"%PDF-1.7 nothing", &xml, &invoice).is_err());
    }

    #[test]
    fn an_existing_extension_schema_list_is_joined_not_repeated() {
        let xmp = format!(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
             <rdf:Description rdf:about=\"\"{EXTENSION_NAMESPACES}><pdfaExtension:schemas>\n<rdf:Bag><rdf:li rdf:parseType=\"Resource\">\
             <pdfaSchema:prefix>other</pdfaSchema:prefix></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>\
             </rdf:RDF></x:xmpmeta>"
        );
        let out = with_facturx(&xmp).unwrap();
        assert_eq!(xmp_values(&out, "pdfaExtension", "schemas").len(), 1);
        assert_eq!(xmp_values(&out, "pdfaSchema", "prefix"), ["fx", "other"]);
        assert_eq!(xmp_values(&out, "fx", "ConformanceLevel"), ["EN 16931"]);
        assert!(with_facturx(&out).is_err(), "already Factur-X");
    }

    #[test]
    fn the_xml_embedded_by_embed_in_pdf_is_taken_back_out() {
        let invoice = proforma();
        let xml = cii_xml(&invoice).unwrap();
        for original in [typst_pdfa3(), bare_pdf()] {
            let pdf = embed_in_pdf(&original, &xml, &invoice).unwrap();
            let found = xml_in_pdf(&pdf).unwrap().expect("the Factur-X XML");
            assert_eq!(found, xml.as_bytes());
            assert_eq!(read_invoice_xml(&found).unwrap().number, invoice.number);
        }
    }

    #[test]
    fn a_pdf_without_invoice_attachment_has_no_xml() {
        assert_eq!(xml_in_pdf(&typst_pdfa3()), Ok(None));
        assert_eq!(xml_in_pdf(&bare_pdf()), Ok(None));
    }

    #[test]
    fn garbage_is_an_unreadable_pdf() {
        for bytes in [&b""[..], b"not a PDF at all", b"%PDF-1.7 nothing"] {
            let err = xml_in_pdf(bytes).unwrap_err();
            assert!(matches!(&err, FacturxError::Unreadable(m) if m.starts_with("Le PDF est illisible")), "{err:?}");
        }
    }

    /// A PDF whose catalog gets `/Names /EmbeddedFiles` split into `/Kids` and a file named `name`
    /// holding `content`, uncompressed, as some other producers write it.
    fn pdf_with_kids_attachment(name: &str, content: Vec<u8>) -> Vec<u8> {
        let mut doc = Document::load_mem(&bare_pdf()).unwrap();
        let file = doc.add_object(Stream::new(dictionary! { "Type" => "EmbeddedFile" }, content));
        let spec = doc.add_object(dictionary! {
            "Type" => "Filespec", "F" => Object::string_literal(name), "EF" => dictionary! { "F" => file },
        });
        let other = doc.add_object(dictionary! { "Type" => "Filespec", "F" => Object::string_literal("notes.txt") });
        let leaf = doc.add_object(dictionary! {
            "Limits" => vec![Object::string_literal("a"), Object::string_literal("z")],
            "Names" => vec![Object::string_literal("a"), other.into(), Object::string_literal("z"), spec.into()],
        });
        // A kid pointing back at the root: the walk must not loop.
        let root = doc.new_object_id();
        doc.objects.insert(root, Object::Dictionary(dictionary! { "Kids" => vec![leaf.into(), root.into()] }));
        doc.catalog_mut().unwrap().set("Names", dictionary! { "EmbeddedFiles" => root });
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn older_names_kids_trees_and_size_are_handled() {
        let xml = cii_xml(&proforma()).unwrap();
        let pdf = pdf_with_kids_attachment("ZUGFeRD-invoice.xml", xml.clone().into_bytes());
        assert_eq!(xml_in_pdf(&pdf).unwrap().as_deref(), Some(xml.as_bytes()));
        let pdf = pdf_with_kids_attachment("invoice.xml", xml.into_bytes());
        assert_eq!(xml_in_pdf(&pdf), Ok(None));
        let pdf = pdf_with_kids_attachment("factur-x.xml", vec![b' '; MAX_EMBEDDED_XML_BYTES + 1]);
        assert!(matches!(xml_in_pdf(&pdf), Err(FacturxError::Unreadable(m)) if m.contains("5 Mio")));
    }
}

//! ISO 20022 `pain.001.001.09` customer credit transfer initiation: the file a payment run hands
//! to the bank to pay training bodies by SEPA credit transfer.
//!
//! One group header, one payment information block (one debtor account, one execution date),
//! one `CdtTrfTxInf` per transfer. Amounts are integer cents, written `1234.56`. Free text is
//! reduced to the SEPA Latin character set (`a-z A-Z 0-9 / - ? : ( ) . , ' +` and space):
//! French accents are transliterated, anything else becomes a space, then the text is cut to the
//! field's maximum. Identifiers are not rewritten: one outside that set is refused, so that two
//! distinct identifiers never end up equal. Output is deterministic: the same input gives the
//! same bytes.
//!
//! The vendored schema `xsd/sepa/pain.001.001.09.xsd` checks the output in the tests.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Iban;
use domain::ident::IbanError;
use quick_xml::escape::escape;
use std::fmt::Write as _;

/// XML namespace of the message.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// Largest amount of one SEPA credit transfer: 999 999 999,99 €.
pub const MAX_AMOUNT_CENTS: i64 = 99_999_999_999;

const MAX_ID: usize = 35;
const MAX_NAME: usize = 70;
const MAX_REMITTANCE: usize = 140;

/// The account that pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    pub iban: String,
    pub bic: Option<String>,
}

/// One credit transfer to one payee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Identifier carried to the payee's statement, 35 characters at most.
    pub end_to_end_id: String,
    /// Cut to 70 characters after transliteration.
    pub payee_name: String,
    pub payee_iban: String,
    pub payee_bic: Option<String>,
    /// Strictly positive, at most [`MAX_AMOUNT_CENTS`].
    pub amount_cents: i64,
    /// Unstructured remittance information, cut to 140 characters after transliteration.
    pub remittance: String,
}

/// One payment run: one file, one debtor account, one requested execution date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFile {
    /// Unique per file sent to the bank, 35 characters at most.
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    /// 35 characters at most.
    pub payment_info_id: String,
    pub requested_execution: NaiveDate,
    pub debtor: Debtor,
    pub transfers: Vec<Transfer>,
}

/// Why a payment file cannot be written. Every variant names the offending field
/// (`transfers[2].amount_cents`, `debtor.iban`…), see [`SepaError::field`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SepaError {
    #[error("transfers : le fichier ne contient aucun virement.")]
    NoTransfer,
    #[error("{field} : le montant doit être strictement positif ({cents} centimes).")]
    NonPositiveAmount { field: String, cents: i64 },
    #[error("{field} : le montant d’un virement SEPA ne peut dépasser 999 999 999,99 € ({cents} centimes).")]
    AmountTooLarge { field: String, cents: i64 },
    #[error("{field} : {source}")]
    Iban { field: String, source: IbanError },
    #[error("{field} : le BIC « {value} » n’est pas valide (8 ou 11 lettres et chiffres, ex. BNPAFRPPXXX).")]
    Bic { field: String, value: String },
    #[error("{field} : l’identifiant est vide.")]
    EmptyId { field: String },
    #[error("{field} : l’identifiant dépasse {max} caractères ({found}).")]
    IdTooLong { field: String, max: usize, found: usize },
    #[error(
        "{field} : l’identifiant ne peut contenir que des lettres non accentuées, des chiffres, des espaces et / - ? : ( ) . , ' + (sans « / » au début, à la fin ni doublé)."
    )]
    IdCharacters { field: String },
    #[error("{field} : le nom est vide.")]
    EmptyName { field: String },
}

impl SepaError {
    /// The offending field, e.g. `transfers[2].amount_cents`.
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            Self::NoTransfer => "transfers",
            Self::NonPositiveAmount { field, .. }
            | Self::AmountTooLarge { field, .. }
            | Self::Iban { field, .. }
            | Self::Bic { field, .. }
            | Self::EmptyId { field }
            | Self::IdTooLong { field, .. }
            | Self::IdCharacters { field }
            | Self::EmptyName { field } => field,
        }
    }
}

/// Checks the debtor's account before any run needs it (configuration is checked at start-up).
///
/// # Errors
/// [`SepaError`] naming `debtor.name`, `debtor.iban` or `debtor.bic`.
pub fn check_debtor(debtor: &Debtor) -> Result<(), SepaError> {
    name("debtor.name", &debtor.name)?;
    iban("debtor.iban", &debtor.iban)?;
    debtor.bic.as_deref().map(|b| bic("debtor.bic", b)).transpose()?;
    Ok(())
}

/// Writes the `pain.001.001.09` XML of a payment run.
///
/// # Errors
/// [`SepaError`] naming the field when there is no transfer, an amount is not positive or too
/// large, an IBAN or BIC is not valid, an identifier is empty, too long or holds characters
/// outside the SEPA set, or a name is empty once transliterated.
pub fn pain_001(file: &PaymentFile) -> Result<String, SepaError> {
    let message_id = check_id("message_id", &file.message_id)?;
    let payment_info_id = check_id("payment_info_id", &file.payment_info_id)?;
    let debtor_name = name("debtor.name", &file.debtor.name)?;
    let debtor_iban = iban("debtor.iban", &file.debtor.iban)?;
    let debtor_bic = file.debtor.bic.as_deref().map(|b| bic("debtor.bic", b)).transpose()?;
    if file.transfers.is_empty() {
        return Err(SepaError::NoTransfer);
    }

    let mut total: i64 = 0;
    let mut transactions = String::new();
    for (i, t) in file.transfers.iter().enumerate() {
        let field = |f: &str| format!("transfers[{i}].{f}");
        let end_to_end = check_id(&field("end_to_end_id"), &t.end_to_end_id)?;
        let payee = name(&field("payee_name"), &t.payee_name)?;
        let payee_iban = iban(&field("payee_iban"), &t.payee_iban)?;
        let payee_bic = t.payee_bic.as_deref().map(|b| bic(&field("payee_bic"), b)).transpose()?;
        if t.amount_cents <= 0 {
            return Err(SepaError::NonPositiveAmount { field: field("amount_cents"), cents: t.amount_cents });
        }
        if t.amount_cents > MAX_AMOUNT_CENTS {
            return Err(SepaError::AmountTooLarge { field: field("amount_cents"), cents: t.amount_cents });
        }
        // At most 1e11 per transfer: a Vec cannot hold enough transfers to overflow i64.
        total = total.saturating_add(t.amount_cents);
        let remittance = latin(&t.remittance, MAX_REMITTANCE);

        let x = &mut transactions;
        x.push_str("<CdtTrfTxInf>");
        tag(x, "PmtId", |x| leaf(x, "EndToEndId", &end_to_end));
        let _ = write!(x, "<Amt><InstdAmt Ccy=\"EUR\">{}</InstdAmt></Amt>", amount(t.amount_cents));
        if let Some(b) = &payee_bic {
            tag(x, "CdtrAgt", |x| tag(x, "FinInstnId", |x| leaf(x, "BICFI", b)));
        }
        tag(x, "Cdtr", |x| leaf(x, "Nm", &payee));
        tag(x, "CdtrAcct", |x| tag(x, "Id", |x| leaf(x, "IBAN", &payee_iban)));
        if !remittance.is_empty() {
            tag(x, "RmtInf", |x| leaf(x, "Ustrd", &remittance));
        }
        x.push_str("</CdtTrfTxInf>");
    }
    let count = file.transfers.len().to_string();
    let sum = amount(total);

    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(x, "<Document xmlns=\"{NAMESPACE}\"><CstmrCdtTrfInitn>");
    tag(&mut x, "GrpHdr", |x| {
        leaf(x, "MsgId", &message_id);
        leaf(x, "CreDtTm", &file.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        leaf(x, "NbOfTxs", &count);
        leaf(x, "CtrlSum", &sum);
        tag(x, "InitgPty", |x| leaf(x, "Nm", &debtor_name));
    });
    tag(&mut x, "PmtInf", |x| {
        leaf(x, "PmtInfId", &payment_info_id);
        leaf(x, "PmtMtd", "TRF");
        leaf(x, "BtchBookg", "true");
        leaf(x, "NbOfTxs", &count);
        leaf(x, "CtrlSum", &sum);
        tag(x, "PmtTpInf", |x| tag(x, "SvcLvl", |x| leaf(x, "Cd", "SEPA")));
        tag(x, "ReqdExctnDt", |x| leaf(x, "Dt", &file.requested_execution.format("%Y-%m-%d").to_string()));
        tag(x, "Dbtr", |x| leaf(x, "Nm", &debtor_name));
        tag(x, "DbtrAcct", |x| tag(x, "Id", |x| leaf(x, "IBAN", &debtor_iban)));
        tag(x, "DbtrAgt", |x| {
            tag(x, "FinInstnId", |x| match &debtor_bic {
                Some(b) => leaf(x, "BICFI", b),
                None => tag(x, "Othr", |x| leaf(x, "Id", "NOTPROVIDED")),
            });
        });
        leaf(x, "ChrgBr", "SLEV");
        x.push_str(&transactions);
    });
    x.push_str("</CstmrCdtTrfInitn></Document>\n");
    Ok(x)
}

fn tag(x: &mut String, name: &str, inner: impl FnOnce(&mut String)) {
    let _ = write!(x, "<{name}>");
    inner(x);
    let _ = write!(x, "</{name}>");
}

fn leaf(x: &mut String, name: &str, text: &str) {
    let _ = write!(x, "<{name}>{}</{name}>", escape(text));
}

/// `123456` → `1234.56`.
fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
}

fn check_id(field: &str, value: &str) -> Result<String, SepaError> {
    let field = field.to_owned();
    let v = value.trim();
    if v.is_empty() {
        return Err(SepaError::EmptyId { field });
    }
    let found = v.chars().count();
    if found > MAX_ID {
        return Err(SepaError::IdTooLong { field, max: MAX_ID, found });
    }
    if !v.chars().all(allowed) || v.starts_with('/') || v.ends_with('/') || v.contains("//") {
        return Err(SepaError::IdCharacters { field });
    }
    Ok(v.to_owned())
}

fn name(field: &str, value: &str) -> Result<String, SepaError> {
    let n = latin(value, MAX_NAME);
    if n.is_empty() {
        return Err(SepaError::EmptyName { field: field.to_owned() });
    }
    Ok(n)
}

fn iban(field: &str, value: &str) -> Result<String, SepaError> {
    Iban::parse(value)
        .map(|i| i.as_str().to_owned())
        .map_err(|source| SepaError::Iban { field: field.to_owned(), source })
}

/// BICFI as the schema wants it: 4 letters or digits, a 2-letter country, 2 letters or digits,
/// optionally 3 more.
fn bic(field: &str, value: &str) -> Result<String, SepaError> {
    let b: String = value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let bytes = b.as_bytes();
    let ok = (bytes.len() == 8 || bytes.len() == 11)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && bytes[4..6].iter().all(u8::is_ascii_uppercase);
    if ok { Ok(b) } else { Err(SepaError::Bic { field: field.to_owned(), value: value.to_owned() }) }
}

/// Reduces `text` to the SEPA Latin set: French (and common Latin) accents transliterated,
/// quotes to `'`, anything else to a space; runs of spaces collapsed, ends trimmed, then cut to
/// `max` characters.
fn latin(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mapped: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "A",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'É' | 'È' | 'Ê' | 'Ë' => "E",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'Î' | 'Ï' | 'Í' | 'Ì' => "I",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'ø' => "o",
            'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' | 'Ø' => "O",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
            'ÿ' | 'ý' => "y",
            'Ÿ' | 'Ý' => "Y",
            'ç' => "c",
            'Ç' => "C",
            'ñ' => "n",
            'Ñ' => "N",
            'œ' => "oe",
            'Œ' => "OE",
            'æ' => "ae",
            'Æ' => "AE",
            'ß' => "ss",
            // `"` is outside the SEPA set: every double quote becomes the apostrophe.
            '«' | '»' | '“' | '”' | '„' | '"' | '’' | '‘' | '‚' | '`' | '´' => "'",
            '–' | '—' | '‐' | '‑' => "-",
            '…' => "...",
            c if allowed(c) => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(mapped);
    }
    let collapsed = out.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    collapsed.chars().take(max).collect::<String>().trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use quick_xml::Reader;
    use quick_xml::events::Event;

    fn run() -> PaymentFile {
        PaymentFile {
            message_id: "RUN-2026-11-30-001".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 15, 0).unwrap(),
            payment_info_id: "RUN-2026-11-30-001-P1".into(),
            requested_execution: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            debtor: Debtor {
                name: "Fonds d’assurance formation « Métiers & Régions »".into(),
                iban: "FR76 3000 6000 0112 3456 7890 189".into(),
                bic: Some("agrifrpp".into()),
            },
            transfers: vec![
                Transfer {
                    end_to_end_id: "DOS-2026-0042".into(),
                    payee_name: "Société Française de Formation Œnologique".into(),
                    payee_iban: "FR7630006000011234567890189".into(),
                    payee_bic: Some("BNPAFRPPXXX".into()),
                    amount_cents: 123_456,
                    remittance: "Prise en charge dossier n° 2026-0042 – stage « Cuisine façon grand-mère »".into(),
                },
                Transfer {
                    end_to_end_id: "DOS-2026-0043".into(),
                    payee_name: "Crêperie-École Hélène Ça & Là".into(),
                    payee_iban: "DE89370400440532013000".into(),
                    payee_bic: None,
                    amount_cents: 50,
                    remittance: "Acompte l’été 2026 : 50 %".into(),
                },
                Transfer {
                    end_to_end_id: "DOS-2026-0044".into(),
                    payee_name: "Institut Zoé Bœuf".into(),
                    payee_iban: "FR7630006000011234567890189".into(),
                    payee_bic: None,
                    amount_cents: 99_999,
                    remittance: "Solde ".repeat(40),
                },
            ],
        }
    }

    /// Texts of every element with this local name, in document order.
    fn texts(xml: &str, name: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let mut current: Option<String> = None;
        let mut found = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    current = (e.local_name().into_inner() == name).then(String::new);
                }
                Event::Text(t) => {
                    if let Some(text) = current.as_mut() {
                        text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(text) = current.as_mut() {
                        let entity = quick_xml::escape::resolve_xml_entity(&r).unwrap();
                        text.push_str(entity);
                    }
                }
                Event::End(_) => found.extend(current.take()),
                Event::Eof => break,
                _ => {}
            }
        }
        found
    }

    fn xmllint_validates(name: &str, xml: &str) {
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
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/xsd/sepa/pain.001.001.09.xsd");
        let output =
            std::process::Command::new("xmllint").args(["--noout", "--schema", schema]).arg(&file).output().unwrap();
        assert!(
            output.status.success(),
            "{name} does not validate:\n{}\n{xml}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn a_payment_run_validates_against_the_pain_001_001_09_schema() {
        xmllint_validates("run", &pain_001(&run()).unwrap());
        let mut no_bic = run();
        no_bic.debtor.bic = None;
        let xml = pain_001(&no_bic).unwrap();
        assert!(xml.contains("<Othr><Id>NOTPROVIDED</Id></Othr>"));
        xmllint_validates("no_bic", &xml);
    }

    #[test]
    fn counts_and_control_sums_read_back() {
        let xml = pain_001(&run()).unwrap();
        assert_eq!(texts(&xml, "NbOfTxs"), ["3", "3"]);
        assert_eq!(texts(&xml, "CtrlSum"), ["2235.05", "2235.05"]);
        assert_eq!(texts(&xml, "InstdAmt"), ["1234.56", "0.50", "999.99"]);
        assert_eq!(texts(&xml, "EndToEndId"), ["DOS-2026-0042", "DOS-2026-0043", "DOS-2026-0044"]);
        assert_eq!(texts(&xml, "BICFI"), ["AGRIFRPP", "BNPAFRPPXXX"]);
        assert_eq!(texts(&xml, "IBAN")[0], "FR7630006000011234567890189");
        assert_eq!(texts(&xml, "CreDtTm"), ["2026-11-30T09:15:00Z"]);
        assert_eq!(texts(&xml, "Dt"), ["2026-12-02"]);
        assert!(xml.contains(&format!("xmlns=\"{NAMESPACE}\"")));
    }

    #[test]
    fn text_is_reduced_to_the_sepa_latin_set() {
        let xml = pain_001(&run()).unwrap();
        let names = texts(&xml, "Nm");
        assert_eq!(names[0], "Fonds d'assurance formation ' Metiers Regions '");
        assert_eq!(names[2], "Societe Francaise de Formation OEnologique");
        assert_eq!(names[3], "Creperie-Ecole Helene Ca La");
        assert_eq!(names[4], "Institut Zoe Boeuf");
        let remittances = texts(&xml, "Ustrd");
        assert_eq!(remittances[0], "Prise en charge dossier n 2026-0042 - stage ' Cuisine facon grand-mere '");
        assert_eq!(remittances[1], "Acompte l'ete 2026 : 50");
        assert_eq!(remittances[2].chars().count(), 140);
        assert!(remittances[2].ends_with("Solde So"));
        for text in names.iter().chain(&remittances) {
            assert!(text.chars().all(allowed), "{text}");
        }
        assert_eq!(latin(&"é".repeat(100), 70), "e".repeat(70));
        assert_eq!(latin("a\u{a0}«\u{202f}b\u{202f}»", 70), "a ' b '");
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        assert_eq!(pain_001(&run()).unwrap(), pain_001(&run()).unwrap());
    }

    #[test]
    fn each_refusal_names_its_field() {
        let refused = |change: &dyn Fn(&mut PaymentFile)| {
            let mut file = run();
            change(&mut file);
            let err = pain_001(&file).unwrap_err();
            assert!(err.to_string().starts_with(err.field()), "{err}");
            err.field().to_owned()
        };
        assert_eq!(refused(&|f| f.transfers.clear()), "transfers");
        assert_eq!(refused(&|f| f.transfers[2].amount_cents = 0), "transfers[2].amount_cents");
        assert_eq!(refused(&|f| f.transfers[1].amount_cents = -5), "transfers[1].amount_cents");
        assert_eq!(refused(&|f| f.transfers[0].amount_cents = MAX_AMOUNT_CENTS + 1), "transfers[0].amount_cents");
        assert_eq!(refused(&|f| f.debtor.iban = "FR7630006000011234567890188".into()), "debtor.iban");
        assert_eq!(refused(&|f| f.transfers[1].payee_iban = "pas un iban".into()), "transfers[1].payee_iban");
        assert_eq!(refused(&|f| f.debtor.bic = Some("BNP".into())), "debtor.bic");
        assert_eq!(refused(&|f| f.transfers[0].payee_bic = Some("BNPA12PP".into())), "transfers[0].payee_bic");
        assert_eq!(refused(&|f| f.message_id = "  ".into()), "message_id");
        assert_eq!(refused(&|f| f.message_id = "M".repeat(36)), "message_id");
        assert_eq!(refused(&|f| f.payment_info_id = String::new()), "payment_info_id");
        assert_eq!(refused(&|f| f.payment_info_id = "P".repeat(36)), "payment_info_id");
        assert_eq!(refused(&|f| f.transfers[2].end_to_end_id = String::new()), "transfers[2].end_to_end_id");
        assert_eq!(refused(&|f| f.transfers[2].end_to_end_id = "E".repeat(36)), "transfers[2].end_to_end_id");
        assert_eq!(refused(&|f| f.transfers[1].end_to_end_id = "DOS-é".into()), "transfers[1].end_to_end_id");
        assert_eq!(refused(&|f| f.transfers[1].end_to_end_id = "/DOS".into()), "transfers[1].end_to_end_id");
        assert_eq!(refused(&|f| f.debtor.name = "€ % &".into()), "debtor.name");
        assert_eq!(refused(&|f| f.transfers[0].payee_name = " ".into()), "transfers[0].payee_name");
        // 35 characters exactly is accepted.
        let mut file = run();
        file.message_id = "M".repeat(35);
        assert!(pain_001(&file).is_ok());
    }
}

//! Reading what the bank says about our SEPA credit transfers, to reconcile the payments of a
//! payment run: which were settled, which came back rejected and why.
//!
//! Two formats, described for operators in `docs/bank-returns.md`:
//! - an ISO 20022 **camt.054** debit/credit notification (`BkToCstmrDebitCreditNotification`),
//!   any version from `camt.054.001.02` to `.08`: the namespace version is ignored and only the
//!   elements these versions share are read;
//! - a `;`-separated CSV file, `reference;montant;statut;motif`, for banks that give no camt.054
//!   or for returns typed by hand.
//!
//! The readers are pure: bytes in, lines or errors out. They collect every error of the file,
//! line by line, so that one upload tells the operator everything to fix; a file with any error
//! gives no line at all, so that a payment is never half reconciled. Matching the lines with the
//! payments belongs to the caller. Amounts are integer cents, read without floats.

use std::fmt;

use domain::Money;

use crate::sepa::MAX_AMOUNT_CENTS;
use crate::xml_tree::{self, Node};

/// The longest end-to-end id a SEPA credit transfer carries.
const MAX_END_TO_END_ID: usize = 35;

/// The header row a CSV file must start with (compared trimmed and case-insensitively).
pub const CSV_HEADER: [&str; 4] = ["reference", "montant", "statut", "motif"];

/// One transfer the bank reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    /// Where it is in the file: for a CSV, the 1-based line number; for a camt.054, the 1-based
    /// index of the transaction (`TxDtls`) in document order, skipped ones included.
    pub line: usize,
    /// The end-to-end id we gave the transfer in the pain.001 file.
    pub end_to_end_id: String,
    /// The amount, in cents, strictly positive.
    pub amount_cents: i64,
    /// What became of the transfer.
    pub outcome: Outcome,
}

/// What became of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Debited from our account: the payee has been paid.
    Settled,
    /// Rejected or returned by the payee's bank, or reversed: the payee has not been paid.
    Rejected {
        /// The ISO 20022 return reason code (`AC04`), or empty when the bank gave none.
        code: String,
        /// The reason in French: the label of a known code ([`reason_label`]), or the code
        /// itself, followed by the bank's additional information, if any.
        reason: String,
    },
}

/// Why one line of a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnError {
    /// The line, numbered as [`ReturnLine::line`]; 0 for the file as a whole (not XML, not
    /// UTF-8, no header…) or, in a camt.054, for an entry without transaction.
    pub line: usize,
    /// What is wrong, in French, naming the element or the column.
    pub message: String,
}

impl fmt::Display for ReturnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ligne {} : {}", self.line, self.message)
    }
}

impl std::error::Error for ReturnError {}

/// The French label of a common ISO 20022 return reason code, if it is one of them.
#[must_use]
pub fn reason_label(code: &str) -> Option<&'static str> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "AC01" => "IBAN incorrect",
        "AC04" => "compte clôturé",
        "AC06" => "compte bloqué",
        "AG01" => "opération interdite sur ce compte",
        "AM04" => "provision insuffisante",
        "MD07" => "titulaire décédé",
        "MS03" => "raison non précisée",
        "RC01" => "BIC incorrect",
        "BE04" => "adresse du créancier manquante",
        _ => return None,
    })
}

/// Reads a bank return file, camt.054 or CSV: a file whose first character, after an optional
/// UTF-8 byte order mark and white space, is `<` is read as XML ([`read_camt054`]), any other as
/// CSV ([`read_returns_csv`]).
///
/// # Errors
/// Every [`ReturnError`] of the file, see the two readers.
pub fn read_returns(bytes: &[u8]) -> Result<Vec<ReturnLine>, Vec<ReturnError>> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(vec![whole_file("le fichier est encodé en UTF-16 : enregistrez-le en UTF-8.")]);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return read_camt054(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => read_returns_csv(text),
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Err(vec![ReturnError {
                line,
                message: "le fichier n’est pas encodé en UTF-8 : enregistrez-le en UTF-8 (CSV UTF-8 dans un tableur)."
                    .to_owned(),
            }])
        }
    }
}

// ---------------------------------------------------------------------------------------------
// camt.054

/// Reads an ISO 20022 camt.054 debit/credit notification (versions `.02` to `.08`).
///
/// For each `Ntry/NtryDtls/TxDtls`, in document order:
/// - entries whose status (`Ntry/Sts`, or `Ntry/Sts/Cd` from version `.06`) is `PDNG`, `INFO`
///   or `FUTR` are skipped: nothing is booked yet; any other status than `BOOK` is an error;
/// - the end-to-end id is `TxDtls/Refs/EndToEndId`, required and not `NOTPROVIDED`;
/// - the amount is `TxDtls/Amt`, else `TxDtls/AmtDtls/TxAmt/Amt`, else `Ntry/Amt` when the
///   entry holds this single transaction; its currency must be `EUR` and it must have at most
///   two decimals;
/// - the transfer is [`Outcome::Rejected`] when the transaction has return information
///   (`TxDtls/RtrInf`: the code `Rsn/Cd` or `Rsn/Prtry`, the texts `AddtlInf`), when the
///   entry is a reversal (`Ntry/RvslInd` true), or when it is a credit booked as a return
///   (`BkTxCd` sub-family `RRTN`) without return information;
/// - other credits (`CdtDbtInd` `CRDT`) are money received, not one of our transfers: skipped;
/// - the rest, debits booked, are [`Outcome::Settled`].
///
/// A booked entry without any `TxDtls` cannot be reconciled and is an error at line 0.
///
/// # Errors
/// Every problem found, by transaction index; malformed XML (or a DOCTYPE, refused for safety)
/// is one error at line 0 with the parser's message.
pub fn read_camt054(xml: &[u8]) -> Result<Vec<ReturnLine>, Vec<ReturnError>> {
    let Ok(text) = std::str::from_utf8(xml) else {
        return Err(vec![whole_file("le fichier XML doit être encodé en UTF-8.")]);
    };
    let root =
        xml_tree::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|message| vec![whole_file(&message)])?;
    let notification = (root.name == "Document")
        .then(|| root.child("BkToCstmrDbtCdtNtfctn"))
        .flatten()
        .filter(|_| root.attribute("xmlns").is_none_or(|ns| ns.contains("camt.054")))
        .ok_or_else(|| {
            vec![whole_file(&format!(
                "ce fichier n’est pas une notification camt.054 (élément racine « {} », \
                 Document/BkToCstmrDbtCdtNtfctn attendu{}).",
                root.name,
                root.attribute("xmlns").map(|ns| format!(", espace de noms « {ns} »")).unwrap_or_default()
            ))]
        })?;

    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut index = 0;
    let entries = notification.children_named("Ntfctn").flat_map(|n| n.children_named("Ntry"));
    for (entry_number, entry) in entries.enumerate() {
        let transactions: Vec<&Node> =
            entry.children_named("NtryDtls").flat_map(|d| d.children_named("TxDtls")).collect();
        let first = index + 1;
        index += transactions.len();
        let status = entry_status(entry);
        match status.as_deref() {
            Some("BOOK") => {}
            Some("PDNG" | "INFO" | "FUTR") => continue,
            other => {
                let message = match other {
                    Some(status) => format!(
                        "Ntry/Sts : statut d’écriture « {status} » non pris en charge (BOOK, PDNG, INFO ou FUTR attendu)."
                    ),
                    None => "Ntry/Sts : le statut de l’écriture est absent.".to_owned(),
                };
                let at = if transactions.is_empty() { vec![0] } else { (first..=index).collect() };
                errors.extend(at.into_iter().map(|line| ReturnError { line, message: message.clone() }));
                continue;
            }
        }
        if transactions.is_empty() {
            errors.push(ReturnError {
                line: 0,
                message: format!(
                    "Ntry n° {}{} : écriture comptabilisée sans détail de transaction (NtryDtls/TxDtls) : \
                     demandez à la banque une notification détaillée par virement.",
                    entry_number + 1,
                    entry.text_at(&["NtryRef"]).map(|r| format!(" (NtryRef {r})")).unwrap_or_default()
                ),
            });
            continue;
        }
        let single = transactions.len() == 1;
        for (offset, transaction) in transactions.into_iter().enumerate() {
            let line = first + offset;
            match read_transaction(entry, transaction, single) {
                Ok(Some((end_to_end_id, amount_cents, outcome))) => {
                    lines.push(ReturnLine { line, end_to_end_id, amount_cents, outcome });
                }
                Ok(None) => {}
                Err(messages) => errors.extend(messages.into_iter().map(|message| ReturnError { line, message })),
            }
        }
    }
    if errors.is_empty() { Ok(lines) } else { Err(errors) }
}

/// One booked transaction: its end-to-end id, amount and outcome; `None` when it is not one of
/// our transfers (a credit that is not a return).
fn read_transaction(
    entry: &Node,
    transaction: &Node,
    single: bool,
) -> Result<Option<(String, i64, Outcome)>, Vec<String>> {
    let mut problems = Vec::new();
    let end_to_end_id = match transaction.text_at(&["Refs", "EndToEndId"]) {
        None => {
            problems.push("TxDtls/Refs/EndToEndId : la référence de bout en bout est absente.".to_owned());
            None
        }
        Some(id) if id.eq_ignore_ascii_case("NOTPROVIDED") => {
            problems.push(
                "TxDtls/Refs/EndToEndId : la banque indique NOTPROVIDED, le virement ne peut pas être rapproché."
                    .to_owned(),
            );
            None
        }
        Some(id) => Some(id.to_owned()),
    };
    let amount = transaction
        .child("Amt")
        .map(|a| (a, "TxDtls/Amt"))
        .or_else(|| transaction.path(&["AmtDtls", "TxAmt", "Amt"]).map(|a| (a, "TxDtls/AmtDtls/TxAmt/Amt")))
        .or_else(|| entry.child("Amt").filter(|_| single).map(|a| (a, "Ntry/Amt")));
    let amount_cents = match amount {
        None => {
            problems.push(
                "TxDtls/Amt : le montant est absent (ni TxDtls/Amt, ni TxDtls/AmtDtls/TxAmt/Amt, et l’écriture \
                 regroupe plusieurs transactions)."
                    .to_owned(),
            );
            None
        }
        Some((node, element)) => match (node.attribute("Ccy"), node.value()) {
            (Some("EUR"), Some(text)) => match iso_amount(text) {
                Ok(cents) => Some(cents),
                Err(problem) => {
                    problems.push(format!("{element} : {problem}"));
                    None
                }
            },
            (_, None) => {
                problems.push(format!("{element} : le montant est vide."));
                None
            }
            (Some(currency), _) => {
                problems.push(format!(
                    "{element} : devise « {currency} » refusée : seuls les virements en euros (EUR) sont rapprochés."
                ));
                None
            }
            (None, _) => {
                problems.push(format!("{element} : l’attribut Ccy (devise) est absent."));
                None
            }
        },
    };
    let (Some(end_to_end_id), Some(amount_cents)) = (end_to_end_id, amount_cents) else {
        return Err(problems);
    };

    let outcome = if let Some(info) = transaction.child("RtrInf") {
        let code = info
            .text_at(&["Rsn", "Cd"])
            .or_else(|| info.text_at(&["Rsn", "Prtry"]))
            .map(str::to_ascii_uppercase)
            .unwrap_or_default();
        let details: Vec<&str> = info.children_named("AddtlInf").filter_map(Node::value).collect();
        Outcome::Rejected { reason: reason(&code, &details), code }
    } else if entry.text_at(&["RvslInd"]).is_some_and(|v| v == "true" || v == "1") {
        let details: Vec<&str> = entry.text_at(&["AddtlNtryInf"]).into_iter().collect();
        let mut reason_text = "écriture contrepassée par la banque".to_owned();
        for detail in details {
            reason_text.push_str(" — ");
            reason_text.push_str(detail);
        }
        Outcome::Rejected { code: String::new(), reason: reason_text }
    } else {
        let direction = transaction.text_at(&["CdtDbtInd"]).or_else(|| entry.text_at(&["CdtDbtInd"]));
        if direction != Some("CRDT") {
            Outcome::Settled
        } else if [transaction, entry]
            .iter()
            .any(|node| node.text_at(&["BkTxCd", "Domn", "Fmly", "SubFmlyCd"]).is_some_and(|code| code == "RRTN"))
        {
            Outcome::Rejected { code: String::new(), reason: "virement retourné par la banque, sans motif".to_owned() }
        } else {
            return Ok(None);
        }
    };
    Ok(Some((end_to_end_id, amount_cents, outcome)))
}

/// The entry's status code: `Sts` (up to `.05`) or `Sts/Cd` / `Sts/Prtry` (from `.06`).
fn entry_status(entry: &Node) -> Option<String> {
    let status = entry.child("Sts")?;
    status
        .text_at(&["Cd"])
        .or_else(|| status.text_at(&["Prtry"]))
        .or_else(|| status.value())
        .map(str::to_ascii_uppercase)
}

/// An ISO 20022 amount (`1234.5`, `1234.56`, `80`) in cents, exactly: digits, then at most two
/// decimals after a point; strictly positive and within a SEPA transfer's maximum.
fn iso_amount(text: &str) -> Result<i64, String> {
    let (units, decimals) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (units.is_empty() && decimals.is_empty()) || !digits(units) || !digits(decimals) {
        return Err(format!(
            "« {text} » n’est pas un montant (chiffres et un point décimal attendus, par exemple 1234.56)."
        ));
    }
    if decimals.len() > 2 {
        return Err(format!("« {text} » a plus de deux décimales."));
    }
    let units = units.trim_start_matches('0');
    if units.len() > 11 {
        return Err(format!("« {text} » dépasse le maximum d’un virement SEPA (999 999 999,99 €)."));
    }
    // At most 11 digits and 2 decimals: no overflow is possible.
    let whole: i64 =
        if units.is_empty() { 0 } else { units.parse().map_err(|_| format!("« {text} » n’est pas un montant."))? };
    let fraction: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().map_err(|_| format!("« {text} » n’est pas un montant."))? * 10,
        _ => decimals.parse().map_err(|_| format!("« {text} » n’est pas un montant."))?,
    };
    checked_amount(whole * 100 + fraction).map_err(|problem| format!("« {text} » : {problem}"))
}

/// `cents` when it is a possible SEPA transfer amount.
fn checked_amount(cents: i64) -> Result<i64, &'static str> {
    if cents <= 0 {
        Err("le montant doit être strictement positif.")
    } else if cents > MAX_AMOUNT_CENTS {
        Err("le montant dépasse le maximum d’un virement SEPA (999 999 999,99 €).")
    } else {
        Ok(cents)
    }
}

/// The reason of a rejection: the label of the code (or the code), then the bank's details.
fn reason(code: &str, details: &[&str]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    match reason_label(code) {
        Some(label) => parts.push(label),
        None if !code.is_empty() => parts.push(code),
        None => {}
    }
    parts.extend(details.iter().map(|d| d.trim()).filter(|d| !d.is_empty()));
    if parts.is_empty() { "motif non précisé par la banque".to_owned() } else { parts.join(" — ") }
}

fn whole_file(message: &str) -> ReturnError {
    ReturnError { line: 0, message: message.to_owned() }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Reads the CSV alternative: UTF-8 (an initial byte order mark is ignored), `;`-separated,
/// a header row `reference;montant;statut;motif` (trimmed, any case), then one transfer per
/// line:
/// - `reference`: the end-to-end id of the transfer (35 characters at most);
/// - `montant`: euros, French or dot notation (`1 234,56`, `1234.56`, `1234,5`, `80`), spaces
///   (normal, no-break or narrow no-break) between thousands, an optional `€`;
/// - `statut`: `payé` / `paye` / `settled`, or `rejeté` / `rejete` / `rejected` (any case);
/// - `motif`: required when rejected: a return reason code (`AC04`, labelled as
///   [`reason_label`] does), optionally followed by text (`AC04 compte soldé`), or just text;
///   ignored when paid.
///
/// Empty lines are ignored; a field may be quoted (`"…"`, with `""` for a quote) to hold a `;`.
/// Line numbers are those of the file, header included.
///
/// # Errors
/// Every problem found, by line, naming the column; a missing or wrong header is one error
/// alone, since the lines cannot be read without it.
pub fn read_returns_csv(text: &str) -> Result<Vec<ReturnLine>, Vec<ReturnError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = text
        .split('\n')
        .enumerate()
        .map(|(i, row)| (i + 1, row.strip_suffix('\r').unwrap_or(row)))
        .filter(|(_, row)| !row.trim().is_empty());
    let Some((header_line, header)) = rows.next() else {
        return Err(vec![whole_file(&format!(
            "le fichier est vide : l’en-tête « {} » est attendu.",
            CSV_HEADER.join(";")
        ))]);
    };
    let header_ok = split_fields(header)
        .is_ok_and(|fields| fields.iter().map(|f| f.to_lowercase()).eq(CSV_HEADER.iter().map(|h| (*h).to_owned())));
    if !header_ok {
        return Err(vec![ReturnError {
            line: header_line,
            message: format!(
                "en-tête « {} » attendu en première ligne, « {} » trouvé.",
                CSV_HEADER.join(";"),
                header.trim()
            ),
        }]);
    }
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (line, row) in rows {
        match read_row(row) {
            Ok((end_to_end_id, amount_cents, outcome)) => {
                lines.push(ReturnLine { line, end_to_end_id, amount_cents, outcome });
            }
            Err(messages) => errors.extend(messages.into_iter().map(|message| ReturnError { line, message })),
        }
    }
    if errors.is_empty() { Ok(lines) } else { Err(errors) }
}

/// One data row: end-to-end id, amount, outcome; or every problem of the row.
fn read_row(row: &str) -> Result<(String, i64, Outcome), Vec<String>> {
    let fields = split_fields(row).map_err(|problem| vec![problem.to_owned()])?;
    let [reference, amount, status, motive] = fields.as_slice() else {
        return Err(vec![format!(
            "{} colonnes attendues ({}), {} trouvée(s).",
            CSV_HEADER.len(),
            CSV_HEADER.join(";"),
            fields.len()
        )]);
    };
    let mut problems = Vec::new();
    let reference = if reference.is_empty() {
        problems.push("colonne reference : la référence du virement est vide.".to_owned());
        None
    } else if reference.chars().count() > MAX_END_TO_END_ID {
        problems.push(format!(
            "colonne reference : « {reference} » dépasse {MAX_END_TO_END_ID} caractères, ce n’est pas une référence de virement."
        ));
        None
    } else {
        Some(reference.clone())
    };
    let amount = match Money::parse(amount) {
        _ if amount.is_empty() => {
            problems.push("colonne montant : le montant est vide.".to_owned());
            None
        }
        Ok(money) => match checked_amount(money.cents()) {
            Ok(cents) => Some(cents),
            Err(problem) => {
                problems.push(format!("colonne montant : « {amount} » : {problem}"));
                None
            }
        },
        Err(e) => {
            problems.push(format!("colonne montant : « {amount} » : {e}"));
            None
        }
    };
    let normalised: String =
        status.to_lowercase().chars().filter(|c| *c != '\u{301}').map(|c| if c == 'é' { 'e' } else { c }).collect();
    let outcome = match normalised.as_str() {
        "paye" | "settled" => Some(Outcome::Settled),
        "rejete" | "rejected" if motive.is_empty() => {
            problems.push("colonne motif : le motif est obligatoire pour un virement rejeté.".to_owned());
            None
        }
        "rejete" | "rejected" => Some(rejection(motive)),
        "" => {
            problems.push("colonne statut : le statut est vide (payé ou rejeté attendu).".to_owned());
            None
        }
        _ => {
            problems.push(format!("colonne statut : « {status} » n’est pas un statut connu (payé ou rejeté attendu)."));
            None
        }
    };
    match (reference, amount, outcome) {
        (Some(reference), Some(amount), Some(outcome)) if problems.is_empty() => Ok((reference, amount, outcome)),
        _ => Err(problems),
    }
}

/// A rejection from a typed motive: a leading return reason code (`AC04`, or any two capital
/// letters and two digits) becomes the code, the rest the details.
fn rejection(motive: &str) -> Outcome {
    let (first, rest) = motive.split_once(char::is_whitespace).unwrap_or((motive, ""));
    let first = first.trim_end_matches([':', '-', ',']);
    let is_code = reason_label(first).is_some() || {
        let bytes = first.as_bytes();
        bytes.len() == 4 && bytes[..2].iter().all(u8::is_ascii_uppercase) && bytes[2..].iter().all(u8::is_ascii_digit)
    };
    if is_code {
        let code = first.to_ascii_uppercase();
        let details = rest.trim().trim_start_matches([':', '-', '–', '—']).trim();
        Outcome::Rejected { reason: reason(&code, &[details]), code }
    } else {
        Outcome::Rejected { code: String::new(), reason: motive.to_owned() }
    }
}

/// The trimmed fields of one CSV row: `;`-separated, a field may be quoted with `"` (a quote
/// inside written `""`).
fn split_fields(row: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ';' if !quoted => fields.push(std::mem::take(&mut field).trim().to_owned()),
            c => field.push(c),
        }
    }
    if quoted {
        return Err("un guillemet ouvert n’est pas refermé sur la ligne.");
    }
    fields.push(field.trim().to_owned());
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V08: &[u8] = include_bytes!("../tests/fixtures/camt054_v08_settled_and_returned.xml");
    const V02: &[u8] = include_bytes!("../tests/fixtures/camt054_v02_batch.xml");

    fn rejected(code: &str, reason: &str) -> Outcome {
        Outcome::Rejected { code: code.to_owned(), reason: reason.to_owned() }
    }

    fn line(line: usize, id: &str, cents: i64, outcome: Outcome) -> ReturnLine {
        ReturnLine { line, end_to_end_id: id.to_owned(), amount_cents: cents, outcome }
    }

    /// A camt.054.001.08 around `entries`.
    fn camt(entries: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>T</MsgId><CreDtTm>2026-03-05T09:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>T-1</Id>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#
        )
    }

    /// A booked debit entry with one transaction.
    fn entry(id: &str, amount: &str) -> String {
        format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs><Amt Ccy="EUR">{amount}</Amt></TxDtls></NtryDtls></Ntry>"#
        )
    }

    fn messages(errors: &[ReturnError]) -> String {
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_camt054_v08_gives_the_settled_and_the_returned_transfer() {
        let lines = read_camt054(V08).unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, "EF-000042-000007", 123_456, Outcome::Settled),
                line(2, "EF-000042-000008", 85_050, rejected("AC04", "compte clôturé — COMPTE CLOTURE LE 28/02/2026")),
            ]
        );
        assert_eq!(read_returns(V08).unwrap(), lines);
    }

    #[test]
    fn a_camt054_v02_batch_reads_with_its_fallbacks_and_skips_pending_entries() {
        let lines = read_camt054(V02).unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, "EF-000042-000009", 199_999, Outcome::Settled),
                line(2, "EF-000042-000010", 100_001, Outcome::Settled),
                // No amount of its own: the single transaction of the entry takes the entry's.
                line(3, "EF-000042-000011", 4_200, rejected("MD07", "titulaire décédé")),
                // Transaction 4 is in a pending entry: skipped, not an error.
            ]
        );
    }

    #[test]
    fn amounts_are_read_exactly() {
        for (text, cents) in [
            ("1234.5", 123_450),
            ("1234.56", 123_456),
            ("80", 8_000),
            ("0.01", 1),
            (".5", 50),
            ("0001.10", 110),
            ("999999999.99", MAX_AMOUNT_CENTS),
        ] {
            assert_eq!(iso_amount(text), Ok(cents), "{text}");
        }
        for text in ["1234.567", "12,50", "-5", "1e3", "", ".", "1 234.56", "0.00", "1000000000.00", "12.5.1"] {
            assert!(iso_amount(text).is_err(), "{text}");
        }
        let xml = camt(&entry("EF-1", "1234.567"));
        let errors = read_camt054(xml.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{}", messages(&errors));
        assert!(errors[0].message.starts_with("TxDtls/Amt : ") && errors[0].message.contains("deux décimales"));
    }

    #[test]
    fn every_error_of_a_camt054_is_reported_with_its_transaction() {
        let wrong_currency = r#"<Ntry><Amt Ccy="USD">10</Amt><Sts>BOOK</Sts><NtryDtls><TxDtls>
<Refs><EndToEndId>EF-3</EndToEndId></Refs><Amt Ccy="USD">10.00</Amt></TxDtls></NtryDtls></Ntry>"#;
        let no_id = r#"<Ntry><Amt Ccy="EUR">20</Amt><Sts><Cd>BOOK</Cd></Sts><NtryDtls>
<TxDtls><Refs><InstrId>X</InstrId></Refs><Amt Ccy="EUR">10</Amt></TxDtls>
<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="EUR">10</Amt></TxDtls>
</NtryDtls></Ntry>"#;
        let xml = camt(&format!(
            "{}{}{}{}{}",
            entry("EF-1", "10"),
            entry("EF-2", "1,5"),
            wrong_currency,
            no_id,
            entry("EF-6", "60")
        ));
        let errors = read_camt054(xml.as_bytes()).unwrap_err();
        let at: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(at, vec![2, 3, 4, 5], "{}", messages(&errors));
        assert!(errors[0].to_string().starts_with("ligne 2 : TxDtls/Amt : « 1,5 »"), "{}", errors[0]);
        assert!(errors[1].message.contains("devise « USD »") && errors[1].message.contains("EUR"), "{}", errors[1]);
        assert!(errors[2].message.starts_with("TxDtls/Refs/EndToEndId : ") && errors[2].message.contains("absente"));
        assert!(errors[3].message.contains("NOTPROVIDED"), "{}", errors[3]);
    }

    #[test]
    fn a_missing_end_to_end_id_and_a_wrong_currency_on_one_line_are_both_reported() {
        let xml =
            camt(r#"<Ntry><Amt Ccy="GBP">10</Amt><Sts>BOOK</Sts><NtryDtls><TxDtls><Refs/></TxDtls></NtryDtls></Ntry>"#);
        let errors = read_camt054(xml.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 2, "{}", messages(&errors));
        assert!(errors.iter().all(|e| e.line == 1));
        assert!(errors[1].message.starts_with("Ntry/Amt : devise « GBP »"), "{}", errors[1]);
    }

    #[test]
    fn pending_and_informative_entries_are_skipped_and_unknown_statuses_refused() {
        let pending = entry("EF-1", "10").replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>");
        let info = entry("EF-2", "10").replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts>INFO</Sts>");
        let xml = camt(&format!("{pending}{info}{}", entry("EF-3", "30")));
        assert_eq!(read_camt054(xml.as_bytes()).unwrap(), vec![line(3, "EF-3", 3_000, Outcome::Settled)]);

        let odd = entry("EF-1", "10").replace("<Cd>BOOK</Cd>", "<Cd>XXXX</Cd>");
        let errors = read_camt054(camt(&odd).as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("Ntry/Sts") && errors[0].message.contains("XXXX"), "{}", errors[0]);
    }

    #[test]
    fn reversals_and_credits_are_told_apart() {
        let reversal = entry("EF-1", "10").replace("<Sts>", "<RvslInd>true</RvslInd><Sts>");
        let credit = entry("EF-2", "20").replace("DBIT", "CRDT");
        let bare_return = credit.replace("EF-2", "EF-3").replace(
            "<NtryDtls>",
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>",
        );
        let unknown_code = entry("EF-4", "40").replace(
            "</TxDtls>",
            "<RtrInf><Rsn><Prtry>ZZ99</Prtry></Rsn><AddtlInf>MOTIF </AddtlInf><AddtlInf>BANCAIRE</AddtlInf></RtrInf></TxDtls>",
        );
        let xml = camt(&format!("{reversal}{credit}{bare_return}{unknown_code}"));
        assert_eq!(
            read_camt054(xml.as_bytes()).unwrap(),
            vec![
                line(1, "EF-1", 1_000, rejected("", "écriture contrepassée par la banque")),
                // EF-2 is money received, not one of our transfers.
                line(3, "EF-3", 2_000, rejected("", "virement retourné par la banque, sans motif")),
                line(4, "EF-4", 4_000, rejected("ZZ99", "ZZ99 — MOTIF — BANCAIRE")),
            ]
        );
    }

    #[test]
    fn a_booked_entry_without_transactions_is_an_error() {
        let xml = camt(
            r#"<Ntry><NtryRef>B-1</NtryRef><Amt Ccy="EUR">10</Amt><Sts>BOOK</Sts><NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch></NtryDtls></Ntry>"#,
        );
        let errors = read_camt054(xml.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 0);
        assert!(errors[0].message.contains("NtryRef B-1") && errors[0].message.contains("TxDtls"), "{}", errors[0]);
        // An empty notification is simply empty.
        assert_eq!(read_camt054(camt("").as_bytes()).unwrap(), Vec::new());
    }

    #[test]
    fn malformed_or_foreign_xml_is_one_error_at_line_0() {
        let broken = camt(&entry("EF-1", "10")).replace("</Refs>", "</Ref>");
        let errors = read_camt054(broken.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 0);
        assert!(errors[0].message.contains("mal formé") && errors[0].message.contains("</Ref>"), "{}", errors[0]);
        assert!(errors[0].message.contains("ligne 5 du fichier"), "{}", errors[0]);

        let truncated = &V08[..V08.len() / 2];
        let errors = read_camt054(truncated).unwrap_err();
        assert_eq!((errors.len(), errors[0].line), (1, 0), "{}", messages(&errors));

        let statement =
            br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>"#;
        let errors = read_camt054(statement).unwrap_err();
        assert!(errors[0].message.contains("camt.054") && errors[0].message.contains("camt.053"), "{}", errors[0]);

        let doctype = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Document/>";
        let errors = read_camt054(doctype).unwrap_err();
        assert!(errors[0].message.contains("DOCTYPE"), "{}", errors[0]);
    }

    #[test]
    fn namespace_prefixes_and_versions_do_not_matter() {
        let prefixed = camt(&entry("EF-1", "10"))
            .replace("<Document xmlns=", "<c:Document xmlns:c=")
            .replace("</Document>", "</c:Document>");
        assert_eq!(read_camt054(prefixed.as_bytes()).unwrap().len(), 1);
        for version in ["02", "04", "06"] {
            let xml = camt(&entry("EF-1", "10")).replace("camt.054.001.08", &format!("camt.054.001.{version}"));
            assert_eq!(read_camt054(xml.as_bytes()).unwrap().len(), 1, "{version}");
        }
    }

    #[test]
    fn the_csv_happy_path() {
        let csv = "Reference ; MONTANT;statut;motif\r\n\
                   EF-000042-000007;1 234,56;payé;\r\n\
                   \r\n\
                   EF-000042-000008;850.5;Rejeté;AC04\r\n\
                   EF-000042-000009;\"80\";rejected;\"AM04 : solde; insuffisant\"\r\n\
                   EF-000042-000010;1\u{202f}000,00\u{a0}€;SETTLED;\r\n\
                   EF-000042-000011;12;rejete;Compte du bénéficiaire introuvable\n\
                   EF-000042-000012;12;rejete;XY12\n";
        let lines = read_returns_csv(csv).unwrap();
        assert_eq!(
            lines,
            vec![
                line(2, "EF-000042-000007", 123_456, Outcome::Settled),
                line(4, "EF-000042-000008", 85_050, rejected("AC04", "compte clôturé")),
                line(5, "EF-000042-000009", 8_000, rejected("AM04", "provision insuffisante — solde; insuffisant")),
                line(6, "EF-000042-000010", 100_000, Outcome::Settled),
                line(7, "EF-000042-000011", 1_200, rejected("", "Compte du bénéficiaire introuvable")),
                line(8, "EF-000042-000012", 1_200, rejected("XY12", "XY12")),
            ]
        );
        // Decomposed accents (e + combining acute) are accepted too.
        let decomposed = "reference;montant;statut;motif\nEF-1;1;pay\u{65}\u{301};\n";
        assert_eq!(read_returns_csv(decomposed).unwrap()[0].outcome, Outcome::Settled);
        // A header alone: nothing to reconcile, nothing wrong.
        assert_eq!(read_returns_csv("reference;montant;statut;motif\n\n").unwrap(), Vec::new());
    }

    #[test]
    fn every_csv_error_is_reported_with_its_line_and_column() {
        let csv = "reference;montant;statut;motif\n\
                   EF-1;10,00;payé;\n\
                   ;abc;inconnu;\n\
                   EF-3;10,001;payé;\n\
                   EF-4;-5;rejeté;\n\
                   EF-5;10;payé\n\
                   EF-6;0;payé;\n\
                   EF-7;\"10;payé;\n";
        let errors = read_returns_csv(csv).unwrap_err();
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.message.split(" : ").next().unwrap_or(""))).collect();
        assert_eq!(
            found,
            vec![
                (3, "colonne reference"),
                (3, "colonne montant"),
                (3, "colonne statut"),
                (4, "colonne montant"),
                (5, "colonne montant"),
                (5, "colonne motif"),
                (6, "4 colonnes attendues (reference;montant;statut;motif), 3 trouvée(s)."),
                (7, "colonne montant"),
                (8, "un guillemet ouvert n’est pas refermé sur la ligne."),
            ],
            "{}",
            messages(&errors)
        );
        assert_eq!(errors[0].to_string(), "ligne 3 : colonne reference : la référence du virement est vide.");
        assert!(errors[4].message.contains("négatif"), "{}", errors[4]);
        assert!(errors[7].message.contains("strictement positif"), "{}", errors[7]);
    }

    #[test]
    fn a_csv_without_its_header_is_refused_as_a_whole() {
        let errors = read_returns_csv("\n\nEF-1;10;payé;\nEF-2;10;payé;\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("reference;montant;statut;motif"), "{}", errors[0]);
        let errors = read_returns_csv("").unwrap_err();
        assert_eq!((errors.len(), errors[0].line), (1, 0));
        assert!(errors[0].message.contains("vide"), "{}", errors[0]);
        let errors = read_returns_csv("reference,montant,statut,motif\n").unwrap_err();
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn byte_order_marks_are_ignored() {
        let csv = "\u{feff}reference;montant;statut;motif\nEF-1;1,00;payé;\n";
        assert_eq!(read_returns_csv(csv).unwrap(), vec![line(2, "EF-1", 100, Outcome::Settled)]);
        assert_eq!(read_returns(csv.as_bytes()).unwrap().len(), 1);
        let mut xml = b"\xEF\xBB\xBF".to_vec();
        xml.extend_from_slice(V08);
        assert_eq!(read_camt054(&xml).unwrap().len(), 2);
        assert_eq!(read_returns(&xml).unwrap().len(), 2);
    }

    #[test]
    fn the_format_is_sniffed() {
        let mut spaced = b"\xEF\xBB\xBF \r\n\t".to_vec();
        spaced.extend_from_slice(V02);
        assert_eq!(read_returns(&spaced).unwrap().len(), 3);
        let csv = b"reference;montant;statut;motif\nEF-1;1;paid;\n";
        let errors = read_returns(csv).unwrap_err();
        assert!(errors[0].message.starts_with("colonne statut"), "{}", messages(&errors));
        // Not XML, so read as CSV: the header is what is wrong.
        let errors = read_returns(b"%PDF-1.7 ...").unwrap_err();
        assert!(errors[0].message.contains("en-tête"), "{}", messages(&errors));
        // Latin-1 from a spreadsheet: the line with the first bad byte is named.
        let errors = read_returns(b"reference;montant;statut;motif\nEF-1;1;pay\xE9;\n").unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("UTF-8"), "{}", errors[0]);
        let errors = read_returns(b"\xFF\xFEr\x00").unwrap_err();
        assert!(errors[0].message.contains("UTF-16"), "{}", errors[0]);
        // Broken XML is still sniffed as XML.
        let errors = read_returns(b"  <Document><BkToCstmrDbtCdtNtfctn>").unwrap_err();
        assert!(errors[0].message.contains("XML"), "{}", errors[0]);
    }

    #[test]
    fn known_codes_have_french_labels() {
        assert_eq!(reason_label("ac01"), Some("IBAN incorrect"));
        assert_eq!(reason_label("BE04"), Some("adresse du créancier manquante"));
        assert_eq!(reason_label("MS03"), Some("raison non précisée"));
        assert_eq!(reason_label("XX00"), None);
        assert_eq!(reason("", &[]), "motif non précisé par la banque");
        assert_eq!(reason("AG01", &["", " VOIR BANQUE "]), "opération interdite sur ce compte — VOIR BANQUE");
    }

    /// Euros written with French grouping, the separator drawn among the three spaces.
    fn grouped(euros: i64, separators: &[usize]) -> String {
        let digits = euros.to_string();
        let mut out = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push([' ', '\u{a0}', '\u{202f}'][separators[i % separators.len()] % 3]);
            }
            out.push(digit);
        }
        out
    }

    proptest! {
        #[test]
        fn any_amount_reads_back_exactly(
            cents in 1..=MAX_AMOUNT_CENTS,
            separators in proptest::collection::vec(0usize..3, 1..4),
        ) {
            let (euros, rest) = (cents / 100, cents % 100);
            let plain = format!("{euros}.{rest:02}");
            prop_assert_eq!(iso_amount(&plain), Ok(cents));
            let grouped = grouped(euros, &separators);
            for amount in [plain, format!("{euros},{rest:02}"), format!("{grouped},{rest:02}"), format!("{grouped}.{rest:02}")] {
                let csv = format!("reference;montant;statut;motif\nEF-1;{amount};payé;\n");
                let read = read_returns_csv(&csv).map_err(|e| TestCaseError::fail(messages(&e)))?;
                prop_assert_eq!(read[0].amount_cents, cents, "{}", amount);
            }
        }
    }
}

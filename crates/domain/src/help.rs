//! The help centre (SPEC I2): FAQ entries and guides as data, and a pure search over them.
//!
//! The content lives in `content/help/` as Markdown files with a TOML front matter between `+++`
//! lines (`faq/NN-slug.md`, `guides/slug.md`, `themes.toml`). This module owns the shape of those
//! files and the search; it never reads a file itself: callers pass the text and the file name.
//!
//! Search is accent- and case-insensitive, word-prefix based, and has no query syntax at all, so a
//! user's `"`, `%` or `<script>` is just punctuation that folds away.

use chrono::NaiveDate;
use serde::Deserialize;

/// A theme of the FAQ: its code (the `theme` field of an entry) and its French label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Stable code, as written in the front matter.
    pub code: &'static str,
    /// Label shown to users.
    pub label: &'static str,
}

/// The FAQ's themes, in display order. `content/help/themes.toml` lists the same (a test checks it).
pub const THEMES: [Theme; 8] = [
    Theme { code: "acces", label: "Accès et création de compte" },
    Theme { code: "administration", label: "Administration et habilitations" },
    Theme { code: "drf", label: "Demandes de réservation de fonds" },
    Theme { code: "dr", label: "Demandes de remboursement" },
    Theme { code: "facturation", label: "Facturation et pro forma" },
    Theme { code: "paiement", label: "Paiement" },
    Theme { code: "depassement", label: "Dépassements" },
    Theme { code: "suivi", label: "Suivi des dossiers" },
];

/// The French label of a theme code, if the theme exists.
#[must_use]
pub fn theme_label(code: &str) -> Option<&'static str> {
    THEMES.iter().find(|t| t.code == code).map(|t| t.label)
}

/// Position of a theme in display order; unknown themes sort last.
fn theme_position(code: &str) -> usize {
    THEMES.iter().position(|t| t.code == code).unwrap_or(THEMES.len())
}

/// One question of the FAQ and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Identifier in URLs, from the file name without its `NN-` prefix and `.md` suffix.
    pub slug: String,
    /// The question, as shown.
    pub question: String,
    /// Theme code, one of [`THEMES`].
    pub theme: String,
    /// Position within the theme (ascending).
    pub order: i64,
    /// Date the answer was last checked.
    pub updated: NaiveDate,
    /// The answer: paragraphs, `-` lists, `**bold**` and `[text](/path)` links.
    pub answer_markdown: String,
}

/// A guide (connection, account creation, reimbursement and proforma) or the FAQ's introduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// Identifier in URLs, from the file name without `.md`.
    pub slug: String,
    /// Title, as shown.
    pub title: String,
    /// One or two sentences shown in lists of guides.
    pub summary: String,
    /// Date the guide was last checked.
    pub updated: NaiveDate,
    /// The guide in Markdown: as for [`Entry::answer_markdown`], plus `##` headings.
    pub body_markdown: String,
}

/// Why a help file was refused. The message is French and names the file and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelpError {
    /// The file name is not `slug.md` or `NN-slug.md` with a slug of `a-z`, `0-9` and `-`.
    #[error("« {file} » : nom de fichier invalide, attendu « NN-mots-en-minuscules.md »")]
    BadFileName {
        /// The file at fault.
        file: String,
    },
    /// The text does not start with a `+++` line, or the front matter is never closed.
    #[error("« {file} » : l’en-tête entre deux lignes « +++ » est absent ou non refermé")]
    MissingFrontMatter {
        /// The file at fault.
        file: String,
    },
    /// The front matter is not valid TOML, has an unknown field or a field of the wrong type.
    #[error("« {file} » : en-tête illisible : {message}")]
    FrontMatter {
        /// The file at fault.
        file: String,
        /// What the TOML reader said.
        message: String,
    },
    /// A required field is missing or blank.
    #[error("« {file} » : le champ « {field} » est obligatoire")]
    MissingField {
        /// The file at fault.
        file: String,
        /// The field's name in the front matter.
        field: &'static str,
    },
    /// The theme is not one of [`THEMES`].
    #[error("« {file} » : le champ « theme » vaut « {theme} », qui n’est pas un thème connu ({known})")]
    UnknownTheme {
        /// The file at fault.
        file: String,
        /// The theme as written.
        theme: String,
        /// The known theme codes, comma-separated.
        known: String,
    },
    /// The `updated` field is not a date `YYYY-MM-DD`.
    #[error("« {file} » : le champ « updated » doit être une date AAAA-MM-JJ, pas « {value} »")]
    BadDate {
        /// The file at fault.
        file: String,
        /// The value as written.
        value: String,
    },
    /// Nothing follows the front matter.
    #[error("« {file} » : le texte après l’en-tête est vide")]
    EmptyBody {
        /// The file at fault.
        file: String,
    },
}

/// The slug of a help file from its name: `07-drf-pic-iae.md` and `drf-pic-iae.md` give
/// `drf-pic-iae`.
///
/// # Errors
/// [`HelpError::BadFileName`] when the name does not end in `.md` or the slug is not made of
/// lower-case ASCII letters, digits and single hyphens.
pub fn slug_from_file_name(file_name: &str) -> Result<&str, HelpError> {
    let bad = || HelpError::BadFileName { file: file_name.to_owned() };
    let stem = file_name.strip_suffix(".md").ok_or_else(bad)?;
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let slug = if digits > 0 { stem[digits..].strip_prefix('-').ok_or_else(bad)? } else { stem };
    if is_slug(slug) { Ok(slug) } else { Err(bad()) }
}

/// `a-z`, `0-9` and `-`, not empty, no leading, trailing or doubled hyphen.
fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// The front matter of a FAQ entry, every field optional so that a missing one gets a French message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryHeader {
    question: Option<String>,
    theme: Option<String>,
    order: Option<i64>,
    updated: Option<String>,
}

/// The front matter of a guide.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuideHeader {
    title: Option<String>,
    summary: Option<String>,
    updated: Option<String>,
}

/// Parses a FAQ file (`faq/NN-slug.md`) whose slug and text the caller gives.
///
/// # Errors
/// [`HelpError`] naming the file and the field: bad slug, missing or unreadable front matter, a
/// missing field, an unknown theme, a bad date, an empty answer.
pub fn parse_entry(slug: &str, text: &str) -> Result<Entry, HelpError> {
    let (header, body) = read_file::<EntryHeader>(slug, text)?;
    let file = || slug.to_owned();
    let question = required(slug, "question", header.question)?;
    let theme = required(slug, "theme", header.theme)?;
    if theme_label(&theme).is_none() {
        let known = THEMES.iter().map(|t| t.code).collect::<Vec<_>>().join(", ");
        return Err(HelpError::UnknownTheme { file: file(), theme, known });
    }
    let order = header.order.ok_or(HelpError::MissingField { file: file(), field: "order" })?;
    let updated = date(slug, header.updated)?;
    Ok(Entry { slug: slug.to_owned(), question, theme, order, updated, answer_markdown: body })
}

/// Parses a guide file (`guides/slug.md`) whose slug and text the caller gives.
///
/// # Errors
/// [`HelpError`] naming the file and the field, as for [`parse_entry`].
pub fn parse_guide(slug: &str, text: &str) -> Result<Guide, HelpError> {
    let (header, body) = read_file::<GuideHeader>(slug, text)?;
    let title = required(slug, "title", header.title)?;
    let summary = required(slug, "summary", header.summary)?;
    let updated = date(slug, header.updated)?;
    Ok(Guide { slug: slug.to_owned(), title, summary, updated, body_markdown: body })
}

/// Checks the slug, splits the front matter off, reads it and returns it with the trimmed body.
fn read_file<H: for<'de> Deserialize<'de>>(slug: &str, text: &str) -> Result<(H, String), HelpError> {
    if !is_slug(slug) {
        return Err(HelpError::BadFileName { file: slug.to_owned() });
    }
    let (front, body) = split_front_matter(text).ok_or(HelpError::MissingFrontMatter { file: slug.to_owned() })?;
    let header: H = toml::from_str(front)
        .map_err(|e| HelpError::FrontMatter { file: slug.to_owned(), message: e.message().to_owned() })?;
    let body = body.trim();
    if body.is_empty() {
        return Err(HelpError::EmptyBody { file: slug.to_owned() });
    }
    Ok((header, body.to_owned()))
}

/// `+++` line, front matter, `+++` line, body. Tolerates a byte-order mark and CRLF line ends.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "+++" {
        return None;
    }
    let start = first.len();
    let mut end = start;
    for line in lines {
        if line.trim_end() == "+++" {
            return Some((&text[start..end], &text[end + line.len()..]));
        }
        end += line.len();
    }
    None
}

fn required(file: &str, field: &'static str, value: Option<String>) -> Result<String, HelpError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(HelpError::MissingField { file: file.to_owned(), field }),
    }
}

fn date(file: &str, value: Option<String>) -> Result<NaiveDate, HelpError> {
    let value = required(file, "updated", value)?;
    NaiveDate::parse_from_str(&value, "%Y-%m-%d").map_err(|_| HelpError::BadDate { file: file.to_owned(), value })
}

/// Folds text for search: lower case, accents and ligatures removed (`é`→`e`, `œ`→`oe`, `æ`→`ae`,
/// `ç`→`c`, `ﬁ`→`fi`…), apostrophes and every other non-alphanumeric character turned into a
/// space, whitespace collapsed and trimmed. « pro forma » and « pro-forma » become `proforma`, so
/// that the spellings used by the seed and by the screens find each other.
///
/// Idempotent: `fold(&fold(s)) == fold(s)`.
#[must_use]
pub fn fold(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_combining_accent(c) {
            continue;
        }
        match fold_char(c) {
            Some(replacement) => spaced.push_str(replacement),
            None if c.is_alphanumeric() => spaced.push(c),
            None => spaced.push(' '),
        }
    }
    let mut folded = String::with_capacity(spaced.len());
    let mut words = spaced.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let word = if word == "pro" && words.peek() == Some(&"forma") {
            words.next();
            "proforma"
        } else {
            word
        };
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    folded
}

/// Combining diacritical marks (decomposed accents), dropped so that `e` + `◌́` folds like `é`.
fn is_combining_accent(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// The ASCII spelling of a lower-case accented letter or ligature; `ʼ` (a letter for Unicode) is
/// an apostrophe here.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        'ﬃ' => "ffi",
        'ﬄ' => "ffl",
        'ﬅ' | 'ﬆ' => "st",
        'ʼ' => " ",
        _ => return None,
    })
}

/// The folded words of a query that count (two characters or more), each without a final `s`
/// then a final `e` when more than three characters remain: « factures » searches `factur`, which
/// begins « facturation » as well as « facture ».
fn query_terms(query: &str) -> Vec<String> {
    fold(query).split(' ').filter(|w| w.chars().count() >= 2).map(|w| stem(w).to_owned()).collect()
}

/// Drops a French plural `s`, then a feminine or final `e`, keeping at least three characters.
fn stem(word: &str) -> &str {
    let mut stem = word;
    for suffix in ['s', 'e'] {
        if stem.chars().count() > 3 {
            stem = stem.strip_suffix(suffix).unwrap_or(stem);
        }
    }
    stem
}

/// The folded words of some Markdown, without the targets of its links (`/aide/…` is not content).
fn indexed_words(markdown: &str) -> Vec<String> {
    fold(&strip_link_targets(markdown)).split(' ').map(str::to_owned).collect()
}

/// `[text](/path)` → `[text] `: keeps what the reader sees.
fn strip_link_targets(markdown: &str) -> String {
    let mut visible = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        let Some(close) = rest[at + 2..].find(')') else { break };
        visible.push_str(&rest[..=at]);
        visible.push(' ');
        rest = &rest[at + 2 + close + 1..];
    }
    visible.push_str(rest);
    visible
}

/// Every term is the beginning of at least one word.
fn all_found(terms: &[String], words: &[String]) -> bool {
    terms.iter().all(|term| words.iter().any(|word| word.starts_with(term.as_str())))
}

/// Whether an entry answers a query: every folded query word of two characters or more, less a
/// final `s` then `e` (see [`fold`]; « factures » → `factur`), is the beginning of some folded word
/// of the question or of the answer, so « facture » finds « Facturation ». Words are matched from
/// their start only, never inside. A query with no such word (empty, or only punctuation such as
/// `"` or `%`) matches everything.
#[must_use]
pub fn matches(entry_question: &str, entry_answer: &str, query: &str) -> bool {
    let terms = query_terms(query);
    if terms.is_empty() {
        return true;
    }
    let mut words = indexed_words(entry_question);
    words.extend(indexed_words(entry_answer));
    all_found(&terms, &words)
}

/// The entries that [`matches`] the query, best first: entries whose question alone holds every
/// term, then the others; within each group, by theme in [`THEMES`] order, then `order`, then
/// slug. An empty query gives every entry in display order.
#[must_use]
pub fn rank<'a>(entries: &'a [Entry], query: &str) -> Vec<&'a Entry> {
    let terms = query_terms(query);
    let mut hits: Vec<(u8, &Entry)> = entries
        .iter()
        .filter_map(|entry| {
            let question = indexed_words(&entry.question);
            if all_found(&terms, &question) {
                return Some((0, entry));
            }
            let mut words = question;
            words.extend(indexed_words(&entry.answer_markdown));
            all_found(&terms, &words).then_some((1, entry))
        })
        .collect();
    hits.sort_by(|(tier_a, a), (tier_b, b)| {
        (tier_a, theme_position(&a.theme), a.order, &a.slug).cmp(&(tier_b, theme_position(&b.theme), b.order, &b.slug))
    });
    hits.into_iter().map(|(_, entry)| entry).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    /// Questions of the seed FAQ: 26 ending in « ? », plus the two items titled « Administration
    /// et habilitations » and « A partir du 2 janvier 2026 ».
    const SEED_QUESTIONS: usize = 28;

    fn entry(slug: &str, theme: &str, order: i64, question: &str, answer: &str) -> Entry {
        Entry {
            slug: slug.to_owned(),
            question: question.to_owned(),
            theme: theme.to_owned(),
            order,
            updated: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            answer_markdown: answer.to_owned(),
        }
    }

    fn slugs(found: &[&Entry]) -> Vec<String> {
        found.iter().map(|e| e.slug.clone()).collect()
    }

    const GOOD: &str = "+++\nquestion = \"Comment créer mon compte ?\"\ntheme = \"acces\"\norder = 10\nupdated = \"2026-11-30\"\n+++\nCréez-le.\n\n- un\n- deux\n";

    #[test]
    fn parses_an_entry() {
        let e = parse_entry("creer-mon-compte", GOOD).unwrap();
        assert_eq!(e.slug, "creer-mon-compte");
        assert_eq!(e.question, "Comment créer mon compte ?");
        assert_eq!(e.theme, "acces");
        assert_eq!(e.order, 10);
        assert_eq!(e.updated, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(e.answer_markdown, "Créez-le.\n\n- un\n- deux");
        let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        assert_eq!(parse_entry("creer-mon-compte", &crlf).unwrap().question, e.question);
    }

    #[test]
    fn refuses_bad_entries_with_french_messages_naming_file_and_field() {
        let err = |slug: &str, text: &str| parse_entry(slug, text).unwrap_err();
        assert!(matches!(err("x", "Pas d’en-tête"), HelpError::MissingFrontMatter { .. }));
        assert!(matches!(err("x", "+++\nquestion = \"Q\"\n"), HelpError::MissingFrontMatter { .. }));
        assert!(matches!(err("Mauvais Slug", GOOD), HelpError::BadFileName { .. }));
        let unknown = err("x", &GOOD.replace("acces", "divers"));
        assert_eq!(
            unknown.to_string(),
            "« x » : le champ « theme » vaut « divers », qui n’est pas un thème connu \
             (acces, administration, drf, dr, facturation, paiement, depassement, suivi)"
        );
        let date = err("x", &GOOD.replace("2026-11-30", "30/11/2026"));
        assert_eq!(date.to_string(), "« x » : le champ « updated » doit être une date AAAA-MM-JJ, pas « 30/11/2026 »");
        let blank = err("x", &GOOD.replace("Comment créer mon compte ?", "  "));
        assert_eq!(blank.to_string(), "« x » : le champ « question » est obligatoire");
        assert!(matches!(err("x", &GOOD.replace("order = 10\n", "")), HelpError::MissingField { field: "order", .. }));
        let typo = err("x", &GOOD.replace("order", "ordre"));
        assert!(matches!(&typo, HelpError::FrontMatter { .. }), "{typo}");
        assert!(typo.to_string().contains("ordre"), "{typo}");
        assert!(matches!(err("x", &GOOD.replace("= 10", "= \"dix\"")), HelpError::FrontMatter { .. }));
        assert!(matches!(err("x", GOOD.split("Créez").next().unwrap()), HelpError::EmptyBody { .. }));
    }

    #[test]
    fn parses_a_guide() {
        let text = "+++\ntitle = \"Guide\"\nsummary = \"Résumé\"\nupdated = \"2026-11-30\"\n+++\n## Partie\n\nTexte";
        let g = parse_guide("connexion", text).unwrap();
        assert_eq!(
            (g.title.as_str(), g.summary.as_str(), g.body_markdown.as_str()),
            ("Guide", "Résumé", "## Partie\n\nTexte")
        );
        let no_summary = parse_guide("connexion", &text.replace("summary = \"Résumé\"\n", "")).unwrap_err();
        assert_eq!(no_summary, HelpError::MissingField { file: "connexion".into(), field: "summary" });
    }

    #[test]
    fn slugs_come_from_file_names() {
        assert_eq!(slug_from_file_name("07-drf-pic-iae.md"), Ok("drf-pic-iae"));
        assert_eq!(slug_from_file_name("11-dr-financement-0-77.md"), Ok("dr-financement-0-77"));
        assert_eq!(slug_from_file_name("connexion.md"), Ok("connexion"));
        for bad in ["07-drf.txt", "07drf.md", "07-.md", "07-Drf.md", "07-drf--x.md", ".md", "07-é.md"] {
            assert!(slug_from_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fold_removes_case_accents_ligatures_and_punctuation() {
        assert_eq!(fold("  Éligibilité\t"), "eligibilite");
        assert_eq!(fold("Œuvre, cœur & ÆSOP — Ça"), "oeuvre coeur aesop ca");
        assert_eq!(fold("l’état d'AKTO"), "l etat d akto");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete", "decomposed accents");
        assert_eq!(fold("ﬁnancement"), "financement");
        assert_eq!(fold("0,77 % — PDC-50 / CIPI/CDPI"), "0 77 pdc 50 cipi cdpi");
        assert_eq!(fold("\"%<script>alert(1)</script>"), "script alert 1 script");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn pro_forma_is_one_word_whatever_the_spelling() {
        for spelling in ["proforma", "pro forma", "Pro-Forma", "PRO  FORMA", "pro\u{a0}forma"] {
            assert_eq!(fold(spelling), "proforma", "{spelling}");
        }
        assert_eq!(fold("facture pro forma et profit"), "facture proforma et profit");
        assert_eq!(fold("pro"), "pro");
    }

    #[test]
    fn facture_finds_facturation() {
        assert!(matches("Facturation", "", "facture"));
        assert!(matches("Facturation", "", "Factures"));
        assert!(matches("Le mandat d’auto-facturation", "", "FACTURATION"));
        assert!(!matches("Facturation", "", "acturation"), "prefix, not infix");
        assert!(!matches("Facture", "", "facturation"), "the query word is the prefix, not the other way");
        let entries = [entry("a", "facturation", 10, "Facturation", "Tout sur la facturation.")];
        assert_eq!(slugs(&rank(&entries, "facture")), ["a"]);
    }

    #[test]
    fn plural_and_feminine_endings_of_query_words_are_dropped() {
        assert_eq!(
            query_terms("factures salariées mes une avis de e"),
            ["factur", "salarie", "mes", "une", "avi", "de"]
        );
        assert!(matches("Les salariés intérimaires", "", "salariee"));
        assert!(matches("Est-on informé ?", "", "informee"));
    }

    #[test]
    fn facture_finds_factures_and_facturation_by_its_prefix() {
        assert!(matches("Quelles sont les informations à faire figurer sur une facture ?", "", "facture"));
        assert!(matches("Sur les factures, y a-t-il une distinction ?", "", "facture"));
        assert!(matches("Facturation", "", "fact"));
    }

    #[test]
    fn proforma_spellings_find_each_other() {
        assert!(matches("Le modèle de la facture proforma", "", "FACTURE PRO FORMA"));
        assert!(matches("Le modèle de la facture pro forma", "", "FACTURE PROFORMA"));
        assert!(matches("Une facture pro-forma", "", "facture proforma"));
        assert!(matches("", "La proforma n’est pas une auto-facturation.", "pro-forma"));
    }

    #[test]
    fn accents_do_not_matter_either_way() {
        assert!(matches("Conditions d’éligibilité", "", "eligibilite"));
        assert!(matches("Conditions d’eligibilite", "", "éligibilité"));
        assert!(matches("", "Les salariés intérimaires", "INTERIM SALARIE"));
    }

    #[test]
    fn every_long_enough_word_must_be_found_short_ones_are_ignored() {
        let (q, a) = ("Comment est-on informé des avis de virement ?", "En ligne, par notification.");
        assert!(matches(q, a, "avis virement"));
        assert!(matches(q, a, "avis notification"), "question and answer together");
        assert!(!matches(q, a, "avis courrier"));
        assert!(matches(q, a, "a avis"), "« a » is too short to count");
        assert!(matches(q, a, ""));
        assert!(matches(q, a, "   "));
    }

    #[test]
    fn link_targets_are_not_searched() {
        let answer = "[Consulter le guide](/aide/guides/connexion)";
        assert!(matches("", answer, "consulter guide"));
        assert!(!matches("", answer, "aide"));
        assert!(!matches("", answer, "connexion"));
        assert!(matches("", "un [lien sans fin](/x", "lien"), "an unclosed link is kept as text");
    }

    #[test]
    fn hostile_queries_never_panic_and_match_nothing_unexpected() {
        let entries = [
            entry("a", "facturation", 10, "Facturation", "Une facture."),
            entry("b", "paiement", 10, "Paiement", "Deux fois par semaine."),
        ];
        for query in ["\"", "%", "%%", "'", "\\", "\u{0}", "*", "_", "1 = 1", "{{7*7}}"] {
            // Punctuation and one-character words fold away: the same as an empty query.
            assert_eq!(slugs(&rank(&entries, query)), ["a", "b"], "{query:?}");
        }
        for query in [
            "' OR 1=1 --",
            "<script>",
            "<script>alert(1)</script>",
            "\"; DROP TABLE faq; --",
            "%00",
            "${jndi}",
            "{{ config }}",
        ] {
            assert!(rank(&entries, query).is_empty(), "{query:?}");
        }
        assert_eq!(slugs(&rank(&entries, "%factur%")), ["a"]);
        assert_eq!(slugs(&rank(&entries, "\"paiement\"")), ["b"]);
        let long = "é".repeat(100_000);
        assert!(rank(&entries, &long).is_empty());
    }

    #[test]
    fn question_hits_come_before_answer_only_hits_then_theme_and_order() {
        let entries = [
            entry("answer-only", "acces", 10, "Compte", "La facture proforma est générée."),
            entry("late-theme", "suivi", 10, "Facture et suivi", ""),
            entry("second", "facturation", 20, "Deuxième facture", ""),
            entry("first", "facturation", 10, "Première facture", ""),
            entry("unrelated", "acces", 5, "Mot de passe", "Rien à voir."),
        ];
        assert_eq!(slugs(&rank(&entries, "facture")), ["first", "second", "late-theme", "answer-only"]);
        assert_eq!(slugs(&rank(&entries, "")), ["unrelated", "answer-only", "first", "second", "late-theme"]);
    }

    #[test]
    fn fold_is_idempotent_on_every_single_character() {
        for c in (0..=0x10_ffff_u32).filter_map(char::from_u32) {
            let once = fold(&c.to_string());
            assert_eq!(fold(&once), once, "U+{:04X}", u32::from(c));
        }
    }

    proptest! {
        #[test]
        fn fold_is_idempotent_and_never_panics(text in any::<String>()) {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
            prop_assert!(once.chars().all(|c| c == ' ' || c.is_alphanumeric()));
        }

        #[test]
        fn fold_is_idempotent_on_french_like_text(text in "[a-zA-Zéèêàçœæ’' ,.-]{0,60}( pro[ -]forma)?") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn search_never_panics(question in any::<String>(), answer in any::<String>(), query in any::<String>()) {
            let entries = [entry("x", "acces", 1, &question, &answer)];
            let found = rank(&entries, &query).len();
            prop_assert_eq!(found == 1, matches(&question, &answer, &query));
        }

        #[test]
        fn a_question_finds_itself(question in "[a-zA-Zéèàç’ ?-]{0,60}") {
            prop_assert!(matches(&question, "", &question));
        }
    }

    // The content under content/help/.

    fn help_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/help")
    }

    /// (file name, text) of every `.md` file of a folder, sorted by name.
    fn markdown_files(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|item| item.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    fn faq() -> Vec<(String, Entry)> {
        markdown_files(&help_dir().join("faq"))
            .into_iter()
            .map(|(name, text)| {
                let slug = slug_from_file_name(&name).unwrap_or_else(|e| panic!("{e}"));
                let entry = parse_entry(slug, &text).unwrap_or_else(|e| panic!("{e}"));
                (name, entry)
            })
            .collect()
    }

    fn guides() -> Vec<Guide> {
        markdown_files(&help_dir().join("guides"))
            .into_iter()
            .map(|(name, text)| {
                let slug = slug_from_file_name(&name).unwrap_or_else(|e| panic!("{e}"));
                parse_guide(slug, &text).unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    }

    /// Link targets of some Markdown.
    fn link_targets(markdown: &str) -> Vec<&str> {
        markdown.split("](").skip(1).filter_map(|rest| rest.split(')').next()).collect()
    }

    #[test]
    fn every_faq_file_parses_with_a_known_theme_and_a_unique_slug() {
        let faq = faq();
        assert!(faq.len() >= SEED_QUESTIONS, "{} entries for {SEED_QUESTIONS} questions in the seed", faq.len());
        let mut slugs = HashSet::new();
        let mut places = HashSet::new();
        for (name, entry) in &faq {
            assert!(theme_label(&entry.theme).is_some(), "{name}: {}", entry.theme);
            assert!(slugs.insert(entry.slug.clone()), "{name}: slug used twice");
            assert!(places.insert((entry.theme.clone(), entry.order)), "{name}: theme and order used twice");
        }
        for theme in THEMES {
            assert!(faq.iter().any(|(_, e)| e.theme == theme.code), "no entry for theme {}", theme.code);
        }
    }

    #[test]
    fn faq_files_are_numbered_in_display_order() {
        let faq = faq();
        let entries: Vec<Entry> = faq.iter().map(|(_, e)| e.clone()).collect();
        let displayed: Vec<&str> = rank(&entries, "").iter().map(|e| e.slug.as_str()).collect();
        let by_file_name: Vec<&str> = faq.iter().map(|(_, e)| e.slug.as_str()).collect();
        assert_eq!(displayed, by_file_name);
    }

    #[test]
    fn faq_answers_use_only_the_agreed_markdown_and_link_to_existing_guides() {
        let guides: HashSet<String> = guides().into_iter().map(|g| format!("/aide/guides/{}", g.slug)).collect();
        for (name, entry) in faq() {
            let answer = &entry.answer_markdown;
            assert!(!answer.contains('<') && !answer.contains('`'), "{name}: no HTML nor code");
            assert!(!answer.lines().any(|l| l.starts_with('#')), "{name}: no headings in an answer");
            assert!(!answer.lines().any(|l| l.starts_with("* ") || l.starts_with("  ")), "{name}: flat `-` lists only");
            for target in link_targets(answer) {
                assert!(guides.contains(target), "{name}: link to {target}, which is not a guide");
            }
        }
    }

    #[test]
    fn the_three_guides_and_the_introduction_parse() {
        let guides = guides();
        let slugs: Vec<&str> = guides.iter().map(|g| g.slug.as_str()).collect();
        for expected in ["connexion", "creation-de-compte", "remboursement-et-proforma"] {
            assert!(slugs.contains(&expected), "guide {expected} missing: {slugs:?}");
        }
        let known: HashSet<String> = slugs.iter().map(|s| format!("/aide/guides/{s}")).collect();
        for guide in &guides {
            for target in link_targets(&guide.body_markdown) {
                assert!(known.contains(target), "{}: link to {target}", guide.slug);
            }
        }
        let intro = std::fs::read_to_string(help_dir().join("intro.md")).unwrap();
        parse_guide("intro", &intro).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn themes_toml_lists_the_themes_in_order() {
        #[derive(Deserialize)]
        struct File {
            themes: Vec<BTreeMap<String, String>>,
        }
        let text = std::fs::read_to_string(help_dir().join("themes.toml")).unwrap();
        let file: File = toml::from_str(&text).unwrap();
        let listed: Vec<(String, String)> =
            file.themes.iter().map(|t| (t["code"].clone(), t["label"].clone())).collect();
        let expected: Vec<(String, String)> = THEMES.iter().map(|t| (t.code.into(), t.label.into())).collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn searching_the_real_faq() {
        let entries: Vec<Entry> = faq().into_iter().map(|(_, e)| e).collect();
        let top = |query: &str| rank(&entries, query).first().map(|e| e.slug.clone()).unwrap_or_default();
        assert_eq!(top("avis de virement"), "avis-de-virement");
        assert_eq!(top("subrogation"), "subrogation-de-paiement");
        assert_eq!(top("CSV"), "dr-import-csv");
        assert_eq!(top("modele facture pro-forma"), "modele-de-facture-proforma");
        assert!(rank(&entries, "FACTURE PRO FORMA").len() >= 5);
        assert!(rank(&entries, "<script>").is_empty());
        assert_eq!(rank(&entries, "%").len(), entries.len());
    }
}

//! Checks on the files people upload: a supporting document must be a real PDF, not something
//! named `.pdf`. The file must start with `%PDF-`, then an independent parser (lopdf) must read it,
//! find at least one page and no active content; the stored name always ends in `.pdf`.
//!
//! Case managers open these files on the operator's machines, so a PDF that runs something
//! (JavaScript, an action on opening, a program launch) is refused rather than stored. The
//! objects are walked as lopdf decodes them (object streams unpacked, `#xx` escapes in names
//! resolved), which a search of the raw bytes would miss. Attached files (`/EmbeddedFile`, `/AF`)
//! are allowed: a Factur-X invoice is a PDF carrying its `factur-x.xml`.

use lopdf::{Dictionary, Document, Object};

/// Largest file accepted, in bytes (5 MiB: a scanned certificate or a few attendance sheets).
pub const MAX_PDF_BYTES: usize = 5 * 1024 * 1024;

/// Why an uploaded file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Nothing was sent.
    #[error("Le fichier est vide.")]
    Empty,
    /// Too large.
    #[error(
        "Le fichier fait {size} octets ; la limite est de 5 Mo. Réduisez la résolution du scan ou séparez le document."
    )]
    TooLarge {
        /// Bytes received.
        size: usize,
    },
    /// Not a PDF by its first bytes.
    #[error("Le fichier n’est pas un PDF. Enregistrez le document au format PDF avant de le joindre.")]
    NotPdf,
    /// Starts like a PDF but does not parse.
    #[error("Le PDF est illisible ou endommagé ; enregistrez-le à nouveau puis joignez-le.")]
    Unreadable,
    /// Encrypted: the case manager could not open it.
    #[error("Le PDF est protégé par un mot de passe ; joignez une version sans protection.")]
    Encrypted,
    /// Holds something that runs when opened or clicked.
    #[error(
        "Le PDF contient du contenu actif (JavaScript, action automatique à l’ouverture ou lancement de programme), \
         refusé par sécurité. Imprimez-le au format PDF (« Enregistrer au format PDF ») puis joignez cette copie."
    )]
    ActiveContent,
}

/// Checks an uploaded PDF; returns its number of pages.
///
/// # Errors
/// [`UploadError`].
pub fn check_pdf(bytes: &[u8]) -> Result<usize, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_PDF_BYTES {
        return Err(UploadError::TooLarge { size: bytes.len() });
    }
    // The specification tolerates bytes before the header, and that tolerance is what lets an
    // HTML or SVG page carry `%PDF-` further on and be read as either: only byte 0 counts here.
    if !bytes.starts_with(b"%PDF-") {
        return Err(UploadError::NotPdf);
    }
    let document = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => UploadError::Encrypted,
        _ => UploadError::Unreadable,
    })?;
    if document.is_encrypted() {
        return Err(UploadError::Encrypted);
    }
    if document.objects.values().any(|object| is_active(&document, object, 0)) || is_active_trailer(&document) {
        return Err(UploadError::ActiveContent);
    }
    match document.get_pages().len() {
        0 => Err(UploadError::Unreadable),
        pages => Ok(pages),
    }
}

/// Keys whose presence makes a dictionary active: scripts (`/JS`, the `/JavaScript` name tree),
/// additional actions run on events (`/AA`), XFA forms (which carry scripts), and a program
/// launch written as a key.
const ACTIVE_KEYS: [&[u8]; 5] = [b"JS", b"JavaScript", b"AA", b"XFA", b"Launch"];

/// Action types (`/S`) that run code, open other files or programs, or send data out. Links
/// (`/URI`) and moves within the document (`/GoTo`) stay allowed.
const ACTIVE_ACTIONS: [&[u8]; 8] =
    [b"JavaScript", b"Launch", b"ImportData", b"SubmitForm", b"GoToE", b"GoToR", b"RichMediaExecute", b"Rendition"];

/// Nesting followed at most inside one object (a bound on work for a hostile file; real
/// dictionaries nest a few levels).
const MAX_DEPTH: usize = 32;

fn is_active(document: &Document, object: &Object, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        // Deeper than any real PDF: refused rather than left unchecked.
        return true;
    }
    match object {
        Object::Dictionary(dict) => is_active_dict(document, dict, depth),
        Object::Stream(stream) => is_active_dict(document, &stream.dict, depth),
        Object::Array(items) => items.iter().any(|item| is_active(document, item, depth + 1)),
        _ => false,
    }
}

fn is_active_dict(document: &Document, dict: &Dictionary, depth: usize) -> bool {
    dict.iter().any(|(key, value)| {
        if ACTIVE_KEYS.contains(&key.as_slice()) {
            return true;
        }
        if key.as_slice() == b"S" && value.as_name().is_ok_and(|name| ACTIVE_ACTIONS.contains(&name)) {
            return true;
        }
        // An opening action is refused; an opening view (a destination: an array, or a named
        // one) is what most PDF writers put there and runs nothing.
        if key.as_slice() == b"OpenAction" {
            let target = match value {
                Object::Reference(id) => document.get_object(*id).unwrap_or(value),
                other => other,
            };
            if matches!(target, Object::Dictionary(_)) {
                return true;
            }
        }
        is_active(document, value, depth + 1)
    })
}

/// The trailer is not among the objects; its dictionary is checked the same way.
fn is_active_trailer(document: &Document) -> bool {
    is_active_dict(document, &document.trailer, 0)
}

/// The name an uploaded PDF is stored and served under: the person's name for it with its
/// extension replaced by `.pdf`, so that a file checked as a PDF is never handed back as
/// `page.html` or `image.svg`. `fallback` (without extension) when nothing is left of the name.
#[must_use]
pub fn pdf_file_name(name: &str, fallback: &str) -> String {
    with_extension(name, fallback, "pdf")
}

/// `name` with its extension replaced by `extension`; `fallback` when it has no stem.
#[must_use]
pub fn with_extension(name: &str, fallback: &str, extension: &str) -> String {
    let name = name.trim();
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) => stem.trim_end_matches('.').trim(),
        None => name,
    };
    let stem = if stem.is_empty() { fallback } else { stem };
    format!("{stem}.{extension}")
}

#[cfg(test)]
pub(crate) mod tests {
    use lopdf::{Document, Object, dictionary};

    use super::{UploadError, check_pdf, pdf_file_name, with_extension};

    #[test]
    fn a_rendered_pdf_passes_and_other_files_do_not() {
        let letter = crate::letter::tests::sample_pdf();
        assert_eq!(check_pdf(&letter), Ok(1));
        assert_eq!(check_pdf(b""), Err(UploadError::Empty));
        assert_eq!(check_pdf(b"<html><script>alert(1)</script></html>"), Err(UploadError::NotPdf));
        assert_eq!(check_pdf(b"%PDF-1.7\nnot really a pdf"), Err(UploadError::Unreadable));
        let mut truncated = letter.clone();
        truncated.truncate(letter.len() / 2);
        assert_eq!(check_pdf(&truncated), Err(UploadError::Unreadable));
        let big = vec![b' '; super::MAX_PDF_BYTES + 1];
        assert_eq!(check_pdf(&big), Err(UploadError::TooLarge { size: super::MAX_PDF_BYTES + 1 }));
    }

    #[test]
    fn html_or_svg_carrying_a_pdf_further_on_is_not_a_pdf() {
        let letter = crate::letter::tests::sample_pdf();
        for prefix in
            [&b"<html><script>alert(1)</script><!--"[..], b"<svg xmlns=\"http://www.w3.org/2000/svg\">", b"\n"]
        {
            let mut polyglot = prefix.to_vec();
            polyglot.extend_from_slice(&letter);
            assert_eq!(check_pdf(&polyglot), Err(UploadError::NotPdf));
        }
    }

    /// The sample letter with `edit` applied to its catalog (or its first page), saved again.
    pub(crate) fn edited(edit: impl FnOnce(&mut Document, lopdf::ObjectId, lopdf::ObjectId)) -> Vec<u8> {
        let mut document = Document::load_mem(&crate::letter::tests::sample_pdf()).unwrap();
        let catalog = document.trailer.get(b"Root").unwrap().as_reference().unwrap();
        let page = *document.get_pages().values().next().unwrap();
        edit(&mut document, catalog, page);
        let mut out = Vec::new();
        document.save_to(&mut out).unwrap();
        out
    }

    fn set(document: &mut Document, id: lopdf::ObjectId, key: &str, value: impl Into<Object>) {
        document.get_object_mut(id).unwrap().as_dict_mut().unwrap().set(key, value);
    }

    #[test]
    fn scripts_opening_actions_and_launches_are_refused() {
        let js = || dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") };
        let cases: Vec<Vec<u8>> = vec![
            edited(|d, catalog, _| set(d, catalog, "OpenAction", js())),
            edited(|d, catalog, _| {
                let action = d.add_object(dictionary! { "S" => "GoTo", "D" => vec![Object::Integer(0)] });
                set(d, catalog, "OpenAction", action);
            }),
            edited(|d, _, page| set(d, page, "AA", dictionary! { "O" => js() })),
            edited(|d, catalog, _| {
                let tree = d.add_object(dictionary! { "Names" => vec![Object::string_literal("x"), js().into()] });
                set(d, catalog, "Names", dictionary! { "JavaScript" => tree });
            }),
            edited(|d, _, page| {
                let launch = dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") };
                let annot = d.add_object(dictionary! { "Type" => "Annot", "Subtype" => "Link", "A" => launch });
                set(d, page, "Annots", vec![Object::Reference(annot)]);
            }),
        ];
        for (i, pdf) in cases.iter().enumerate() {
            assert_eq!(check_pdf(pdf), Err(UploadError::ActiveContent), "case {i}");
        }
        // Escaped names are decoded by the parser: `/J#61vaScript` is `/JavaScript`, `/J#53` is
        // `/JS`. The action is hung on the page (no `/OpenAction`) so only the names give it away.
        let plain = edited(|d, _, page| set(d, page, "AA", dictionary! { "O" => js() }));
        let escaped = String::from_utf8_lossy(&plain)
            .replace("/JavaScript", "/J#61vaScript")
            .replace("/JS", "/J#53")
            .replace("/AA", "/A#41")
            .into_bytes();
        assert_ne!(escaped, plain, "the action is written in clear by lopdf");
        assert_eq!(check_pdf(&escaped), Err(UploadError::ActiveContent));
    }

    #[test]
    fn an_opening_view_and_links_are_not_active() {
        let pdf = edited(|d, catalog, page| {
            set(d, catalog, "OpenAction", vec![Object::Reference(page), "Fit".into()]);
            let uri = dictionary! { "S" => "URI", "URI" => Object::string_literal("https://www.akto.fr") };
            let annot = d.add_object(dictionary! { "Type" => "Annot", "Subtype" => "Link", "A" => uri });
            set(d, page, "Annots", vec![Object::Reference(annot)]);
        });
        assert_eq!(check_pdf(&pdf), Ok(1));
    }

    #[test]
    fn stored_names_end_in_pdf() {
        assert_eq!(pdf_file_name("attestation.pdf", "justificatif"), "attestation.pdf");
        assert_eq!(pdf_file_name("Attestation.PDF", "justificatif"), "Attestation.pdf");
        assert_eq!(pdf_file_name("page.html", "justificatif"), "page.pdf");
        assert_eq!(pdf_file_name("image.svg", "justificatif"), "image.pdf");
        assert_eq!(pdf_file_name("relevé de présence", "justificatif"), "relevé de présence.pdf");
        assert_eq!(pdf_file_name("", "justificatif"), "justificatif.pdf");
        assert_eq!(pdf_file_name(".svg", "justificatif"), "justificatif.pdf");
        assert_eq!(with_extension("facture.pdf", "facture", "xml"), "facture.xml");
    }
}

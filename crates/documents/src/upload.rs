//! Checks on the files people upload: a supporting document must be a real PDF, not something
//! named `.pdf`. The first bytes are checked, then an independent parser (lopdf) must read it
//! and find at least one page.

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
    // The header may follow a few bytes of garbage (PDF 1.7, 7.5.2), never more than 1 KiB.
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(UploadError::NotPdf);
    }
    let document = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => UploadError::Encrypted,
        _ => UploadError::Unreadable,
    })?;
    if document.is_encrypted() {
        return Err(UploadError::Encrypted);
    }
    match document.get_pages().len() {
        0 => Err(UploadError::Unreadable),
        pages => Ok(pages),
    }
}

#[cfg(test)]
mod tests {
    use super::{UploadError, check_pdf};

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
}

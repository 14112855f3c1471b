//! Supporting documents companies upload. The bytes live outside the web root, in a directory of
//! files named by their SHA-256 (the same file uploaded twice is stored once); the database keeps
//! who uploaded what, for which DR.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use domain::scope::Scope;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::entity::document;

/// A document row.
pub type Document = document::Model;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// *Certificat de réalisation*.
    Certificate,
    /// *Feuilles d'émargement*.
    Attendance,
    /// Anything else the case manager asked for.
    Other,
    /// The company's own invoice.
    Invoice,
    /// A bank identity statement (*RIB*).
    Rib,
}

impl Kind {
    /// Every kind, in the order of the form.
    pub const ALL: [Kind; 5] = [Kind::Certificate, Kind::Attendance, Kind::Other, Kind::Invoice, Kind::Rib];

    /// The kinds a supporting document of a DR may have.
    pub const SUPPORTING: [Kind; 3] = [Kind::Certificate, Kind::Attendance, Kind::Other];

    /// The stable code stored.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Kind::Certificate => "certificate",
            Kind::Attendance => "attendance",
            Kind::Other => "other",
            Kind::Invoice => "invoice",
            Kind::Rib => "rib",
        }
    }

    /// The French label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Kind::Certificate => "Certificat de réalisation",
            Kind::Attendance => "Feuilles d’émargement",
            Kind::Other => "Autre justificatif",
            Kind::Invoice => "Facture",
            Kind::Rib => "Relevé d’identité bancaire",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The directory of stored files.
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
}

impl Files {
    /// Files under `root` (created when first written).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Where the file of `sha256` lives (`<root>/ab/abcdef…`); `None` for anything but a
    /// lowercase hex SHA-256, so nothing from outside reaches the path.
    #[must_use]
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes`; returns their SHA-256 in lowercase hex. Written to a temporary file,
    /// flushed to disk, renamed, then the directory flushed: when this returns the file survives
    /// a power cut, so the row that names it may be committed (issue 12 point 6). A reader never
    /// sees half a file.
    ///
    /// # Errors
    /// The file system's error.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = hex(&Sha256::digest(bytes));
        let path = self.path(&sha256).ok_or_else(|| std::io::Error::other("empreinte invalide"))?;
        // A file cut short (a disk that filled up, a copy gone wrong) is written again.
        let expected = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if tokio::fs::metadata(&path).await.is_ok_and(|m| m.len() == expected) {
            return Ok(sha256);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        self.create_durable_dir(dir).await?;
        let tmp = dir.join(format!(".{sha256}.{}", crate::secret::random_u64().map_err(std::io::Error::other)?));
        write_synced(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        sync_dir(dir).await?;
        Ok(sha256)
    }

    /// Creates `dir` and, when it is new, flushes the directories that now name it.
    async fn create_durable_dir(&self, dir: &Path) -> std::io::Result<()> {
        if tokio::fs::try_exists(dir).await? {
            return Ok(());
        }
        tokio::fs::create_dir_all(dir).await?;
        for parent in [Some(self.root.as_path()), self.root.parent()].into_iter().flatten() {
            if !parent.as_os_str().is_empty() {
                sync_dir(parent).await?;
            }
        }
        Ok(())
    }

    /// The bytes stored under `sha256`.
    ///
    /// # Errors
    /// The file system's error (not found included).
    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path(sha256).ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
        tokio::fs::read(path).await
    }
}

/// Writes `bytes` to a new file and flushes it to disk.
async fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

/// Flushes a directory, so that the names created or renamed in it survive a power cut.
///
/// # Errors
/// The file system's error.
pub async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

/// The SHA-256 (lowercase hex) and size of a file, read in blocks so that memory stays bounded.
///
/// # Errors
/// The file system's error (not found included).
pub fn file_digest(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut HashWriter(&mut hasher))?;
    Ok((hex(&hasher.finalize()), size))
}

/// Copies `from` to `to` (a new file, flushed to disk) and returns the SHA-256 and size of what
/// was copied, read once.
///
/// # Errors
/// The file system's error.
pub fn copy_digest(from: &Path, to: &Path) -> std::io::Result<(String, u64)> {
    struct Tee<'a>(&'a mut Sha256, std::fs::File);
    impl std::io::Write for Tee<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let written = self.1.write(buf)?;
            self.0.update(&buf[..written]);
            Ok(written)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.1.flush()
        }
    }
    let mut source = std::fs::File::open(from)?;
    let mut hasher = Sha256::new();
    let mut tee = Tee(&mut hasher, std::fs::File::create_new(to)?);
    let size = std::io::copy(&mut source, &mut tee)?;
    tee.1.sync_all()?;
    Ok((hex(&hasher.finalize()), size))
}

/// Feeds what is written to a hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Up to `limit` document rows after `after_id`, in id order: a long walk over every document
/// (`check`, `backup`) pages through them with bounded memory.
///
/// # Errors
/// The driver's error.
pub async fn page_after(conn: &impl ConnectionTrait, after_id: i64, limit: u64) -> Result<Vec<Document>, DbErr> {
    document::Entity::find()
        .filter(document::Column::Id.gt(after_id))
        .order_by_asc(document::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// How many document rows there are.
///
/// # Errors
/// The driver's error.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    document::Entity::find().count(conn).await
}

/// A document as uploaded.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Company.
    pub company_id: i64,
    /// The dossier it supports.
    pub dossier_id: Option<i64>,
    /// The DR it supports.
    pub reimbursement_id: Option<i64>,
    /// The proforma it answers (the company's invoice, a RIB).
    pub proforma_id: Option<i64>,
    /// What it is.
    pub kind: Kind,
    /// The name the person gave it.
    pub file_name: String,
    /// From [`Files::put`].
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// `application/pdf`.
    pub content_type: String,
    /// Who.
    pub uploaded_by: i64,
}

/// Records a document.
///
/// # Errors
/// The driver's error.
pub async fn create(conn: &impl ConnectionTrait, input: NewDocument, now: DateTime<Utc>) -> Result<Document, DbErr> {
    document::ActiveModel {
        company_id: Set(input.company_id),
        dossier_id: Set(input.dossier_id),
        reimbursement_id: Set(input.reimbursement_id),
        proforma_id: Set(input.proforma_id),
        kind: Set(input.kind.code().to_owned()),
        file_name: Set(input.file_name),
        sha256: Set(input.sha256),
        size: Set(input.size),
        content_type: Set(input.content_type),
        uploaded_by: Set(Some(input.uploaded_by)),
        uploaded_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The documents of a DR, in upload order.
///
/// # Errors
/// The driver's error.
pub async fn for_reimbursement(conn: &impl ConnectionTrait, reimbursement_id: i64) -> Result<Vec<Document>, DbErr> {
    document::Entity::find()
        .filter(document::Column::ReimbursementId.eq(reimbursement_id))
        .order_by_asc(document::Column::Id)
        .all(conn)
        .await
}

/// A document the scope reaches through its DR (`None` for anyone else's).
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Document>, DbErr> {
    let Some(row) = document::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let reached = match (row.reimbursement_id, row.proforma_id, row.dossier_id) {
        (Some(dr), _, _) => crate::reimbursement::get(conn, scope, dr).await?.is_some(),
        (None, Some(proforma), _) => crate::proforma::get(conn, scope, proforma).await?.is_some(),
        (None, None, Some(dossier)) => crate::dossier::get(conn, scope, dossier).await?.is_some(),
        (None, None, None) => scope.is_staff(),
    };
    Ok(reached.then_some(row))
}

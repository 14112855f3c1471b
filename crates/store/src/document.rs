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

/// Why a document's bytes could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// No such file or object.
    #[error("document absent du stockage")]
    NotFound,
    /// The object store did not answer, or answered with an error: nothing was stored. The
    /// driver's text stays in the source, for the log only.
    #[error("stockage des documents indisponible")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The data directory's error (a full disk, a read-only directory).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl FilesError {
    fn from_object_store(err: object_store::Error) -> Self {
        match err {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Unavailable(Box::new(other)),
        }
    }

    fn from_io(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::NotFound { Self::NotFound } else { Self::Io(err) }
    }
}

/// Where an S3-compatible store is and how to sign in to it.
#[derive(Clone)]
pub struct S3Settings {
    /// The bucket.
    pub bucket: String,
    /// The key prefix inside it (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// `https://s3.example.fr` or `http://127.0.0.1:9000`; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` when the server does not care).
    pub region: String,
    /// The access key id.
    pub access_key: Option<String>,
    /// The secret key.
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The store of document files, named by their SHA-256: a directory (the default) or an
/// S3-compatible bucket.
#[derive(Clone)]
pub struct Files {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Local { root: PathBuf },
    S3 { store: std::sync::Arc<object_store::aws::AmazonS3>, prefix: String, label: String },
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The S3 client's own Debug would print its credentials.
        f.debug_tuple("Files").field(&self.label()).finish()
    }
}

impl Files {
    /// Files under `root` (created when first written).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self { backend: Backend::Local { root } }
    }

    /// Objects in an S3-compatible bucket. Nothing is sent until the first use.
    ///
    /// # Errors
    /// A French message when the settings cannot make a client (an endpoint that is no URL).
    pub fn s3(settings: &S3Settings) -> Result<Self, String> {
        use object_store::{BackoffConfig, ClientOptions, RetryConfig};
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            // Path-style URLs (`endpoint/bucket/key`): what MinIO, Garage and test servers answer
            // without a wildcard DNS name per bucket.
            .with_virtual_hosted_style_request(false)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(settings.endpoint.as_deref().is_some_and(|e| e.starts_with("http://")))
                    .with_connect_timeout(std::time::Duration::from_secs(3))
                    .with_timeout(std::time::Duration::from_secs(30)),
            )
            // A few quick retries, not the client's three minutes: an upload waits for the store
            // before its row is committed, and a person is waiting for the answer.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: std::time::Duration::from_millis(100),
                    max_backoff: std::time::Duration::from_secs(1),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: std::time::Duration::from_secs(10),
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(key) = &settings.access_key {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store =
            builder.build().map_err(|_| "réglages du stockage S3 invalides (adresse, région, clés)".to_owned())?;
        let prefix = settings.prefix.trim_matches('/').to_owned();
        let label = match &settings.endpoint {
            Some(endpoint) if prefix.is_empty() => format!("s3://{} ({endpoint})", settings.bucket),
            Some(endpoint) => format!("s3://{}/{prefix} ({endpoint})", settings.bucket),
            None => format!("s3://{}/{prefix}", settings.bucket),
        };
        Ok(Self { backend: Backend::S3 { store: std::sync::Arc::new(store), prefix, label } })
    }

    /// Where documents are, for messages (never a secret).
    #[must_use]
    pub fn label(&self) -> String {
        match &self.backend {
            Backend::Local { root } => root.display().to_string(),
            Backend::S3 { label, .. } => label.clone(),
        }
    }

    /// The local directory, when the files are in one.
    #[must_use]
    pub fn local_root(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Local { root } => Some(root),
            Backend::S3 { .. } => None,
        }
    }

    /// Whether the files are in a local directory.
    #[must_use]
    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local { .. })
    }

    /// Where the file of `sha256` lives in the local directory (`<root>/ab/abcdef…`); `None` for
    /// anything but a lowercase hex SHA-256, so nothing from outside reaches the path, and for
    /// an object store.
    #[must_use]
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        match &self.backend {
            Backend::Local { root } => valid_sha256(sha256).then(|| root.join(&sha256[..2]).join(sha256)),
            Backend::S3 { .. } => None,
        }
    }

    /// The object key of `sha256` (`<prefix>/ab/abcdef…`), the local layout's.
    fn key(prefix: &str, sha256: &str) -> Option<object_store::path::Path> {
        valid_sha256(sha256).then(|| {
            let key = if prefix.is_empty() {
                format!("{}/{sha256}", &sha256[..2])
            } else {
                format!("{prefix}/{}/{sha256}", &sha256[..2])
            };
            object_store::path::Path::from(key)
        })
    }

    /// Stores `bytes`; returns their SHA-256 in lowercase hex. When this returns, the bytes are
    /// durable, so the row that names them may be committed (issue 12 point 6): in a directory,
    /// written to a temporary file, flushed to disk, renamed, then the directory flushed (a
    /// reader never sees half a file); in an object store, once the store has acknowledged the
    /// whole object (a put is atomic there).
    ///
    /// # Errors
    /// The file system's error, or [`FilesError::Unavailable`] when the object store fails.
    pub async fn put(&self, bytes: &[u8]) -> Result<String, FilesError> {
        let sha256 = hex(&Sha256::digest(bytes));
        match &self.backend {
            Backend::Local { root } => put_local(root, &sha256, bytes).await?,
            Backend::S3 { store, prefix, .. } => {
                use object_store::ObjectStoreExt as _;
                let key = Self::key(prefix, &sha256).ok_or(FilesError::NotFound)?;
                store
                    .put(&key, object_store::PutPayload::from(bytes.to_vec()))
                    .await
                    .map_err(FilesError::from_object_store)?;
            }
        }
        Ok(sha256)
    }

    /// The bytes stored under `sha256`.
    ///
    /// # Errors
    /// [`FilesError::NotFound`], or the store's error.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>, FilesError> {
        match &self.backend {
            Backend::Local { .. } => {
                let path = self.path(sha256).ok_or(FilesError::NotFound)?;
                tokio::fs::read(path).await.map_err(FilesError::from_io)
            }
            Backend::S3 { store, prefix, .. } => {
                use object_store::ObjectStoreExt as _;
                let key = Self::key(prefix, sha256).ok_or(FilesError::NotFound)?;
                let result = store.get(&key).await.map_err(FilesError::from_object_store)?;
                Ok(result.bytes().await.map_err(FilesError::from_object_store)?.to_vec())
            }
        }
    }

    /// The size of what is stored under `sha256`, `None` when nothing is.
    ///
    /// # Errors
    /// The store's error.
    pub async fn size(&self, sha256: &str) -> Result<Option<u64>, FilesError> {
        let found = match &self.backend {
            Backend::Local { .. } => {
                let path = self.path(sha256).ok_or(FilesError::NotFound)?;
                tokio::fs::metadata(path).await.map(|m| m.len()).map_err(FilesError::from_io)
            }
            Backend::S3 { store, prefix, .. } => {
                use object_store::ObjectStoreExt as _;
                let key = Self::key(prefix, sha256).ok_or(FilesError::NotFound)?;
                store.head(&key).await.map(|meta| meta.size).map_err(FilesError::from_object_store)
            }
        };
        match found {
            Ok(size) => Ok(Some(size)),
            Err(FilesError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The SHA-256 and size of what is stored under `sha256`, read back whole (in blocks from a
    /// directory); `None` when nothing is.
    ///
    /// # Errors
    /// The store's error.
    pub async fn digest(&self, sha256: &str) -> Result<Option<(String, u64)>, FilesError> {
        let found = match &self.backend {
            Backend::Local { .. } => {
                let path = self.path(sha256).ok_or(FilesError::NotFound)?;
                file_digest(&path).map_err(FilesError::from_io)
            }
            Backend::S3 { .. } => self
                .get(sha256)
                .await
                .map(|bytes| (hex(&Sha256::digest(&bytes)), u64::try_from(bytes.len()).unwrap_or(u64::MAX))),
        };
        match found {
            Ok(found) => Ok(Some(found)),
            Err(FilesError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// Whether `sha256` is a lowercase hex SHA-256.
fn valid_sha256(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Writes `bytes` as the file of `sha256` under `root`, durably.
async fn put_local(root: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = root.join(&sha256[..2]).join(sha256);
    // A file cut short (a disk that filled up, a copy gone wrong) is written again.
    let expected = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.len() == expected) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    create_durable_dir(root, dir).await?;
    let tmp = dir.join(format!(".{sha256}.{}", crate::secret::random_u64().map_err(std::io::Error::other)?));
    write_synced(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    sync_dir(dir).await
}

/// Creates `dir` under `root` and, when it is new, flushes the directories that now name it.
async fn create_durable_dir(root: &Path, dir: &Path) -> std::io::Result<()> {
    if tokio::fs::try_exists(dir).await? {
        return Ok(());
    }
    tokio::fs::create_dir_all(dir).await?;
    for parent in [Some(root), root.parent()].into_iter().flatten() {
        if !parent.as_os_str().is_empty() {
            sync_dir(parent).await?;
        }
    }
    Ok(())
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

/// The SHA-256 of `bytes`, lowercase hex: the name a document's bytes are stored under.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
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

//! `espace-formation backup` and `restore` (issue 12 point 7, docs/OPERATIONS.md).
//!
//! A backup is a directory: the database (`espace.db`, a `VACUUM INTO` copy, or `espace.dump`
//! from `pg_dump`), then `documents/` holding every file a row of that copy names, then
//! `manifest.json`, written last: a directory without a manifest is an unfinished backup.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use store::Db;
use store::document::Files;

use crate::config::Config;
use crate::progress::Progress;

/// The manifest's name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The SQLite copy's name in a backup directory.
pub const SQLITE_FILE: &str = "espace.db";
/// The PostgreSQL dump's name in a backup directory.
pub const POSTGRES_FILE: &str = "espace.dump";
/// Document rows read per query.
const PAGE: u64 = 500;

/// Which database a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The SQLite file.
    Sqlite,
    /// A `pg_dump` custom-format archive.
    Postgresql,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgresql => "PostgreSQL",
        }
    }

    fn of(url: &str) -> Self {
        if url.starts_with("postgres") { Backend::Postgresql } else { Backend::Sqlite }
    }
}

/// A file of the backup and its checksum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its name in the backup directory.
    pub file: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

/// A document file of the backup (under `documents/ab/<sha256>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentEntry {
    /// SHA-256, lowercase hex: also its name.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

/// A row of the backed-up database whose file could not be copied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissingDocument {
    /// The document's id, or the payment run's for a SEPA file.
    pub id: i64,
    /// `sepa` for the kept SEPA file of payment run `id`; absent for a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The file it names.
    pub sha256: String,
    /// `manquant` or `altéré`.
    pub reason: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout of this directory (1).
    pub format: u32,
    /// When the backup finished (RFC 3339).
    pub created_at: String,
    /// The program's version.
    pub version: String,
    /// The database kind.
    pub backend: Backend,
    /// The database copy.
    pub database: FileEntry,
    /// Document files copied.
    pub document_count: u64,
    /// Their total size.
    pub document_bytes: u64,
    /// Each of them.
    pub documents: Vec<DocumentEntry>,
    /// Rows whose file was missing or damaged in the data directory (see `check`).
    #[serde(default)]
    pub missing: Vec<MissingDocument>,
}

impl Manifest {
    /// One line for the operator.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "base {} ({} octets), {} document(s) ({} octets)",
            self.database.file, self.database.size, self.document_count, self.document_bytes
        )
    }
}

/// The documents copied into a backup.
#[derive(Debug, Default)]
struct DocumentCopy {
    documents: Vec<DocumentEntry>,
    bytes: u64,
    missing: Vec<MissingDocument>,
}

/// Backs up the database, then the documents it names, into `out` (absent or empty), manifest
/// last. Prints progress on standard error.
///
/// # Errors
/// A French message: a non-empty target, no `pg_dump` for PostgreSQL, a copy that failed, or
/// documents that are missing from the data directory (the backup is written and says which).
pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<Manifest> {
    let url = config.database_url();
    let backend = Backend::of(&url);
    let pg_dump = match backend {
        Backend::Postgresql => Some(find_on_path("pg_dump").ok_or_else(|| no_pg_dump(config, out))?),
        Backend::Sqlite => None,
    };
    prepare_empty_dir(out, "le répertoire de sauvegarde")?;
    let started = Instant::now();
    // The database first: the documents copied next are those its rows name, so a row of the
    // backup never lacks its file (files are written before their row is committed).
    let (database_file, listing) = match pg_dump {
        Some(pg_dump) => (dump_postgres(&pg_dump, &url, out)?, store::db::connect(&url).await?),
        None => copy_sqlite(&url, out).await?,
    };
    eprintln!("base de données copiée en {} ms", started.elapsed().as_millis());
    let from = config.files()?;
    let copy = copy_documents(&listing, &from, &out.join("documents")).await?;
    listing.close().await?;
    let (sha256, size) = store::document::file_digest(&out.join(database_file))?;
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now().to_rfc3339(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        backend,
        database: FileEntry { file: database_file.to_owned(), sha256, size },
        document_count: u64::try_from(copy.documents.len()).unwrap_or(u64::MAX),
        document_bytes: copy.bytes,
        documents: copy.documents,
        missing: copy.missing,
    };
    write_manifest(out, &manifest).await?;
    if !manifest.missing.is_empty() {
        bail!(
            "sauvegarde écrite dans {}, mais {} document(s) nommé(s) par la base manquent ou sont abîmés dans le \
             répertoire de données (liste dans {MANIFEST}, « missing ») : lancez « espace-formation check »",
            out.display(),
            manifest.missing.len()
        );
    }
    Ok(manifest)
}

fn no_pg_dump(config: &Config, out: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "pg_dump est introuvable : la base PostgreSQL se sauvegarde avec pg_dump. Installez-le (paquet \
         postgresql-client, de la version du serveur) pour que cette commande l’appelle, ou lancez vous-même \
         « pg_dump --format=custom --file {}/{POSTGRES_FILE} \"$DATABASE_URL\" » puis copiez les documents de {} \
         après lui",
        out.display(),
        config.documents_label()
    )
}

/// The executable `name` in a directory of `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Creates `dir`, refusing one that holds anything.
fn prepare_empty_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        bail!("{what} {} n’est pas vide : choisissez un répertoire vide ou absent", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("impossible de créer {}", dir.display()))
}

/// `VACUUM INTO` the backup, then opens the copy read-only to list its documents.
async fn copy_sqlite(url: &str, out: &Path) -> anyhow::Result<(&'static str, Db)> {
    let source = store::db::sqlite_file(url).context("DATABASE_URL ne nomme pas un fichier SQLite")?;
    if !source.is_file() {
        bail!("aucune base de données à sauvegarder : {} n’existe pas", source.display());
    }
    let db = store::db::connect(url).await.context("ouverture de la base de données impossible")?;
    let target = out.join(SQLITE_FILE);
    store::backup::vacuum_into(&db, &target).await.context("copie de la base de données (VACUUM INTO) impossible")?;
    db.close().await?;
    let copy = store::backup::open_copy(&target).await.context("relecture de la copie de la base impossible")?;
    Ok((SQLITE_FILE, copy))
}

/// Runs `pg_dump` (custom format) into the backup.
fn dump_postgres(pg_dump: &Path, url: &str, out: &Path) -> anyhow::Result<&'static str> {
    let target = out.join(POSTGRES_FILE);
    let status = std::process::Command::new(pg_dump)
        .arg("--format=custom")
        .arg("--file")
        .arg(&target)
        .arg("--dbname")
        .arg(url)
        .status()
        .context("pg_dump n’a pas pu être lancé")?;
    if !status.success() {
        bail!("pg_dump a échoué ({status}) : la sauvegarde est incomplète");
    }
    std::fs::File::open(&target)?.sync_all()?;
    Ok(POSTGRES_FILE)
}

/// Copies the file of every document row of `listing` from the data directory into `to`,
/// checking each one's hash on the way.
async fn copy_documents(listing: &Db, from: &Files, to: &Path) -> anyhow::Result<DocumentCopy> {
    let to_files = Files::new(to.to_path_buf());
    std::fs::create_dir_all(to)?;
    let mut progress = Progress::new("documents copiés", store::document::count(listing).await?);
    let (mut copy, mut seen, mut after) = (DocumentCopy::default(), 0, 0);
    loop {
        let page = store::document::page_after(listing, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for document in &page {
            copy_one(from, &to_files, (document.id, None), &document.sha256, &mut copy).await?;
            seen += 1;
            progress.tick(seen);
        }
    }
    progress.done(seen);
    // The kept SEPA files of payment runs live in the same store, named the same way.
    let mut after = 0;
    loop {
        let runs = store::payment::kept_sepa_after(listing, after, PAGE).await?;
        let Some(last) = runs.last() else { break };
        after = last.id;
        for run in &runs {
            if let Some(sha256) = &run.sepa_sha256 {
                copy_one(from, &to_files, (run.id, Some("sepa")), sha256, &mut copy).await?;
            }
        }
    }
    sync_tree(to).await?;
    Ok(copy)
}

/// Copies the file of `sha256` (named by the row `(id, kind)`) unless an earlier row already
/// brought it.
async fn copy_one(
    from: &Files,
    to: &Files,
    (id, kind): (i64, Option<&str>),
    sha256: &str,
    copy: &mut DocumentCopy,
) -> anyhow::Result<()> {
    let missing = |reason: &str| MissingDocument {
        id,
        kind: kind.map(str::to_owned),
        sha256: sha256.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(target) = to.path(sha256) else {
        copy.missing.push(missing("manquant"));
        return Ok(());
    };
    if target.exists() {
        return Ok(());
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let copied = match from.path(sha256) {
        // A directory: streamed, hashed on the way.
        Some(source) => match store::document::copy_digest(&source, &target) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            other => Some(other.with_context(|| format!("copie de {} impossible", source.display()))?),
        },
        // An object store: read whole (documents are a few megabytes at most), then written.
        None if !from.is_local() => match from.get(sha256).await {
            Err(store::document::FilesError::NotFound) => None,
            Err(err) => {
                return Err(err).with_context(|| format!("lecture de {} dans {} impossible", sha256, from.label()));
            }
            Ok(bytes) => {
                write_new_synced(&target, &bytes)?;
                Some((store::document::sha256_hex(&bytes), u64::try_from(bytes.len()).unwrap_or(u64::MAX)))
            }
        },
        None => None,
    };
    match copied {
        Some((found, size)) if found == sha256 => {
            copy.documents.push(DocumentEntry { sha256: found, size });
            copy.bytes += size;
        }
        Some(_) => {
            std::fs::remove_file(&target)?;
            copy.missing.push(missing("altéré"));
        }
        None => copy.missing.push(missing("manquant")),
    }
    Ok(())
}

/// Writes `bytes` to a new file and flushes it.
fn write_new_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file =
        std::fs::File::create_new(path).with_context(|| format!("création de {} impossible", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Flushes `root` and the directories right under it (the `ab/` prefixes of documents).
async fn sync_tree(root: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            store::document::sync_dir(&entry.path()).await?;
        }
    }
    store::document::sync_dir(root).await?;
    Ok(())
}

/// Writes the manifest through a temporary file, so that it appears whole or not at all.
async fn write_manifest(out: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let tmp = out.join(format!(".{MANIFEST}.tmp"));
    let bytes = serde_json::to_vec_pretty(manifest)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, out.join(MANIFEST))?;
    sync_tree(out).await
}

/// Restores the backup in `dir` into the configured data directory, which must be absent or
/// empty (and, on PostgreSQL, into an empty database with `pg_restore`).
///
/// # Errors
/// A French message: no manifest or a bad one, a non-empty target, a file whose checksum is not
/// the manifest's, no `pg_restore`.
pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest = read_manifest(dir)?;
    let url = config.database_url();
    let target = Backend::of(&url);
    if target != manifest.backend {
        bail!(
            "la sauvegarde est d’une base {} mais la base configurée ({}) est {}",
            manifest.backend.label(),
            config.database_label(),
            target.label()
        );
    }
    let database = dir.join(&manifest.database.file);
    verify(&database, &manifest.database.sha256, manifest.database.size)?;
    let sqlite_target = match target {
        Backend::Sqlite => Some(sqlite_target(&url)?),
        Backend::Postgresql => {
            ensure_empty_postgres(&url).await?;
            None
        }
    };
    prepare_empty_dir(&config.data_dir, "le répertoire de données")?;
    restore_documents(dir, &manifest, &config.files()?).await?;
    match sqlite_target {
        Some(path) => restore_sqlite(&database, &path, &manifest.database.sha256).await?,
        None => restore_postgres(&database, &url, dir)?,
    }
    Ok(manifest)
}

/// Reads and checks `manifest.json`.
fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} est absent : ce n’est pas une sauvegarde, ou elle est inachevée (le manifeste est écrit en dernier)",
            path.display()
        ),
        Err(err) => return Err(err).with_context(|| format!("lecture de {} impossible", path.display())),
    };
    let manifest: Manifest =
        serde_json::from_slice(&bytes).with_context(|| format!("{} n’est pas un manifeste valide", path.display()))?;
    if manifest.format != 1 {
        bail!("{} : format de sauvegarde {} inconnu de cette version", path.display(), manifest.format);
    }
    if manifest.database.file != SQLITE_FILE && manifest.database.file != POSTGRES_FILE {
        bail!("{} : fichier de base « {} » inattendu", path.display(), manifest.database.file);
    }
    Ok(manifest)
}

/// Fails unless the file's SHA-256 and size are the manifest's.
fn verify(path: &Path, sha256: &str, size: u64) -> anyhow::Result<()> {
    let (found, found_size) =
        store::document::file_digest(path).with_context(|| format!("{} est illisible ou absent", path.display()))?;
    if found != sha256 || found_size != size {
        bail!("{} est abîmé : son empreinte n’est pas celle du manifeste", path.display());
    }
    Ok(())
}

/// The SQLite file to restore into, which must not exist yet.
fn sqlite_target(url: &str) -> anyhow::Result<PathBuf> {
    let path = store::db::sqlite_file(url).context("DATABASE_URL ne nomme pas un fichier SQLite")?;
    if path.exists() {
        bail!("{} existe déjà : restaurez dans un répertoire de données vide", path.display());
    }
    Ok(path)
}

/// Copies each document of the manifest into the configured store, checking its hash.
async fn restore_documents(dir: &Path, manifest: &Manifest, to: &Files) -> anyhow::Result<()> {
    let from = Files::new(dir.join("documents"));
    let mut progress = Progress::new("documents restaurés", manifest.document_count);
    for (done, entry) in (1..).zip(&manifest.documents) {
        let Some(source) = from.path(&entry.sha256) else {
            bail!("{MANIFEST} : empreinte « {} » invalide", entry.sha256);
        };
        let damaged = || anyhow::anyhow!("{} est abîmé : son empreinte n’est pas celle du manifeste", source.display());
        match to.path(&entry.sha256) {
            // A directory: streamed, hashed on the way.
            Some(target) => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let (sha256, size) = store::document::copy_digest(&source, &target)
                    .with_context(|| format!("copie de {} impossible", source.display()))?;
                if sha256 != entry.sha256 || size != entry.size {
                    return Err(damaged());
                }
            }
            // An object store: checked before it is sent, and sent under its hash.
            None => {
                let bytes =
                    std::fs::read(&source).with_context(|| format!("lecture de {} impossible", source.display()))?;
                if store::document::sha256_hex(&bytes) != entry.sha256
                    || u64::try_from(bytes.len()).ok() != Some(entry.size)
                {
                    return Err(damaged());
                }
                to.put(&bytes)
                    .await
                    .with_context(|| format!("envoi de {} vers {} impossible", entry.sha256, to.label()))?;
            }
        }
        progress.tick(done);
    }
    progress.done(manifest.document_count);
    if let Some(root) = to.local_root() {
        std::fs::create_dir_all(root)?;
        sync_tree(root).await?;
    }
    Ok(())
}

/// Copies the database file last, through a temporary name, so that a portal never opens half a
/// database.
async fn restore_sqlite(database: &Path, target: &Path, sha256: &str) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{SQLITE_FILE}.restauration"));
    let (found, _) = store::document::copy_digest(database, &tmp)
        .with_context(|| format!("copie de {} impossible", database.display()))?;
    if found != sha256 {
        std::fs::remove_file(&tmp)?;
        bail!("{} a changé pendant la copie", database.display());
    }
    std::fs::rename(&tmp, target)?;
    store::document::sync_dir(dir).await?;
    Ok(())
}

/// Refuses a PostgreSQL database that already has tables.
async fn ensure_empty_postgres(url: &str) -> anyhow::Result<()> {
    let db = store::db::connect(url).await.context("connexion à PostgreSQL impossible")?;
    let tables = store::backup::postgres_tables(&db).await?;
    db.close().await?;
    if tables > 0 {
        bail!("la base PostgreSQL cible contient déjà {tables} table(s) : restaurez dans une base vide");
    }
    Ok(())
}

/// Runs `pg_restore` into the configured (empty) database, or says how to.
fn restore_postgres(dump: &Path, url: &str, dir: &Path) -> anyhow::Result<()> {
    let Some(pg_restore) = find_on_path("pg_restore") else {
        bail!(
            "documents restaurés, mais pg_restore est introuvable : restaurez la base avec « pg_restore --no-owner \
             --exit-on-error --dbname \"$DATABASE_URL\" {}/{POSTGRES_FILE} » avant de démarrer le portail",
            dir.display()
        );
    };
    let status = std::process::Command::new(pg_restore)
        .args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname"])
        .arg(url)
        .arg(dump)
        .status()
        .context("pg_restore n’a pas pu être lancé")?;
    if !status.success() {
        bail!("pg_restore a échoué ({status}) : la base n’est pas restaurée (la transaction est annulée)");
    }
    Ok(())
}

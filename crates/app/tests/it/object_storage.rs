//! Issue 13 point 5: documents and kept SEPA files in an S3-compatible object store. The tests
//! start a real S3 server (the `s3s-fs` binary, named by `ESPACE_S3_SERVER` or found on `PATH`)
//! on a free port over a temporary directory; without it they are skipped with a message, unless
//! `ESPACE_REQUIRE_S3=1` (as in `.ci/run`). The unreachable-store test needs no server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{NaiveDate, TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::Domain;
use espace_app::config::Config;
use espace_app::payments::{self, Hooks};
use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany, TestDatabase, accepted_dossier, binary_on, sample_pdf};

const BUCKET: &str = "espace";
const PREFIX: &str = "documents/prod";
const ACCESS_KEY: &str = "espace-test";
const SECRET_KEY: &str = "secret-de-test-1234";
const NORD_IBAN: &str = "FR7630006000011234567890189";

/// A real S3 server for one test, stopped when dropped.
struct S3Server {
    child: Child,
    root: tempfile::TempDir,
    port: u16,
}

impl S3Server {
    /// Starts the server with an empty bucket, or says why the test is skipped.
    fn start() -> Option<Self> {
        Self::start_on(free_port())
    }

    /// The same, on `port`.
    fn start_on(port: u16) -> Option<Self> {
        let Some(binary) = server_binary() else {
            assert!(
                std::env::var("ESPACE_REQUIRE_S3").as_deref() != Ok("1"),
                "ESPACE_REQUIRE_S3=1 but no S3 server: set ESPACE_S3_SERVER or put s3s-fs on PATH \
                 (cargo install s3s-fs --features binary)"
            );
            eprintln!("object storage test skipped: no s3s-fs (set ESPACE_S3_SERVER or put it on PATH)");
            return None;
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let server = Self { child, root, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the S3 server does not listen on {port}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(server)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The file the server keeps the object of `sha256` in.
    fn object(&self, sha256: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(PREFIX).join(&sha256[..2]).join(sha256)
    }

    /// Every object file under the bucket.
    fn objects(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.file_name().is_some_and(|n| n.len() == 64) {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root.path().join(BUCKET), &mut out);
        out
    }

    fn configure(&self, config: &mut Config) {
        config.documents_url = Some(format!("s3://{BUCKET}/{PREFIX}"));
        config.documents_endpoint = Some(self.endpoint());
        config.documents_access_key = Some(ACCESS_KEY.into());
        config.documents_secret_key = Some(SECRET_KEY.into());
    }

    /// The same settings for the binary.
    fn env(&self, command: &mut Command) {
        command
            .env("ESPACE_DOCUMENTS_URL", format!("s3://{BUCKET}/{PREFIX}"))
            .env("ESPACE_DOCUMENTS_ENDPOINT", self.endpoint())
            .env("ESPACE_DOCUMENTS_ACCESS_KEY", ACCESS_KEY)
            .env("ESPACE_DOCUMENTS_SECRET_KEY", SECRET_KEY);
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ESPACE_S3_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("s3s-fs")).find(|candidate| candidate.is_file())
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn output_text(output: &std::process::Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The binary on the test's database and data directory, with the store's settings.
fn binary(app: &TestApp, server: &S3Server) -> Command {
    let mut command = binary_on(app._dir.path(), Some(&app.db.url));
    server.env(&mut command);
    command
}

/// « Intérim Nord », its administrator signed in, and a PDC-50 dossier accepted for 2 400,00 €,
/// its training over: what a claim with documents needs.
async fn claimant(app: &TestApp, nord: &TestCompany) -> (TestClient, String) {
    app.clock.set(Utc.with_ymd_and_hms(2026, 2, 9, 9, 0, 0).unwrap());
    let company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (240_000, 240_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    (company, claim)
}

/// A PDF unique to `n`.
fn pdf(n: u32) -> Vec<u8> {
    let mut bytes = sample_pdf();
    bytes.extend_from_slice(format!("\n% justificatif {n}\n").as_bytes());
    bytes
}

/// Files a claim with `documents` through the portal; returns its documents.
async fn claim_with(
    app: &TestApp,
    client: &mut TestClient,
    claim: &str,
    documents: &[Vec<u8>],
) -> Vec<store::document::Document> {
    let files: Vec<(&str, &str, &[u8])> =
        documents.iter().map(|bytes| ("documents", "certificat.pdf", bytes.as_slice())).collect();
    let filed = client.multipart(claim, &[("training_costs", "100,00")], &files).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let path = filed.location().split('?').next().unwrap();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    store::document::for_reimbursement(&app.ctx.db, id).await.unwrap()
}

/// An approved invoice of Intérim Nord, whose bank account is registered: what a run pays.
struct RunSetup<'a> {
    app: &'a TestApp,
}

impl RunSetup<'_> {
    /// Performs Tuesday 6 January's run; returns it as recorded.
    async fn run(&mut self) -> store::payment::Run {
        let report = payments::run_due(&self.app.ctx, paris(6, 8), &Hooks::none()).await.unwrap();
        store::payment::run(&self.app.ctx.db, report.run.unwrap().id).await.unwrap().unwrap()
    }
}

fn paris(d: u32, h: u32) -> chrono::DateTime<Utc> {
    chrono_tz::Europe::Paris.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

async fn frozen_run_setup<'a>(app: &'a TestApp, nord: &TestCompany) -> RunSetup<'a> {
    app.account("alice@interim-nord.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let alice = app.user_id("alice@interim-nord.fr").await;
    app.attach(alice, nord.id, None, true, &Domain::ALL).await;
    let iban = domain::Iban::parse(NORD_IBAN).unwrap();
    store::company::replace_bank_account(&app.ctx.db, nord.id, &iban, nord.name, alice, app.ctx.clock.now())
        .await
        .unwrap();
    crate::support::approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 100_000, None, paris(5, 10)).await;
    RunSetup { app }
}

/// A frozen payment run of one transfer to Intérim Nord, as recorded (its SEPA file kept).
async fn frozen_run(app: &TestApp, nord: &TestCompany) -> store::payment::Run {
    frozen_run_setup(app, nord).await.run().await
}

#[tokio::test]
async fn an_upload_lands_in_the_bucket_comes_back_identical_and_check_sees_damage() {
    let Some(server) = S3Server::start() else { return };
    let app = TestApp::spawn_with(|c| server.configure(c)).await;
    let nord = app.company_nord().await;
    let (mut company, claim) = claimant(&app, &nord).await;
    let (first, second) = (pdf(1), pdf(2));
    let documents = claim_with(&app, &mut company, &claim, &[first.clone(), second.clone()]).await;
    assert_eq!(documents.len(), 2);

    // In the bucket under its hash, not in the data directory; downloaded back identical.
    for (document, bytes) in documents.iter().zip([&first, &second]) {
        assert_eq!(&std::fs::read(server.object(&document.sha256)).unwrap(), bytes, "object of {}", document.id);
        let (status, body) = company.get_bytes(&format!("/entreprises/{}/documents/{}", nord.id, document.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body, bytes);
    }
    assert!(!app._dir.path().join("documents").exists(), "nothing written to the data directory");

    let output = binary(&app, &server).arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Documents vérifiés : 2. Intacts : 2."), "{text}");

    // One object deleted, the other altered: check names both and fails.
    std::fs::remove_file(server.object(&documents[0].sha256)).unwrap();
    let mut altered = second.clone();
    altered[20] ^= 0xff;
    std::fs::write(server.object(&documents[1].sha256), &altered).unwrap();
    let output = binary(&app, &server).arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("Documents vérifiés : 2. Intacts : 0. Manquants : 1. Tronqués : 0. Altérés : 1."), "{text}");
    assert!(text.contains(&format!("manquant : document n° {}", documents[0].id)), "{text}");
    assert!(text.contains(&format!("altéré : document n° {}", documents[1].id)), "{text}");

    // A deleted object is a 404 for the person, as a missing file was.
    let missing = company.get(&format!("/entreprises/{}/documents/{}", nord.id, documents[0].id)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_payment_run_keeps_its_sepa_file_in_the_bucket_and_check_verifies_it() {
    let Some(server) = S3Server::start() else { return };
    let app = TestApp::spawn_with(|c| server.configure(c)).await;
    let run = frozen_run(&app, &app.company_nord().await).await;
    let sha256 = run.sepa_sha256.clone().expect("the run's SEPA file is kept when it is frozen");
    let kept = std::fs::read(server.object(&sha256)).unwrap();
    assert_eq!(run.sepa_size, Some(i64::try_from(kept.len()).unwrap()));
    assert_eq!(store::document::sha256_hex(&kept), sha256);
    assert!(String::from_utf8_lossy(&kept).contains("pain.001.001.09"));

    // The file served and exported is the kept one.
    let mut staff = app.signed_in("finance@opco.fr", Role::CaseManager).await;
    let (status, served) = staff.get_bytes(&format!("/gestion/paiements/{}/sepa.xml", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, kept);

    let output = binary(&app, &server).arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Fichiers SEPA conservés vérifiés : 1. Intacts : 1."), "{text}");

    // Altered in the bucket: check says so, and the portal still serves the bytes sent to the
    // bank (rebuilt identical from the rows), never the altered ones.
    let mut altered = kept.clone();
    altered[50] ^= 0x01;
    std::fs::write(server.object(&sha256), &altered).unwrap();
    let output = binary(&app, &server).arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains(&format!("altéré : fichier SEPA du paiement n° {}", run.id)), "{text}");
    let (status, served) = staff.get_bytes(&format!("/gestion/paiements/{}/sepa.xml", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, kept);
}

#[tokio::test]
async fn backup_then_restore_into_an_empty_data_dir_and_an_empty_bucket_returns_every_document() {
    let Some(server) = S3Server::start() else { return };
    let app = TestApp::spawn_with(|c| server.configure(c)).await;
    let nord = app.company_nord().await;
    let run = frozen_run(&app, &nord).await;
    let (mut company, claim) = claimant(&app, &nord).await;
    let documents = claim_with(&app, &mut company, &claim, &[pdf(1), pdf(2), pdf(3)]).await;
    let objects = server.objects().len();
    assert_eq!(objects, 5, "three uploads, the invoice, the SEPA file");

    let backups = tempfile::tempdir().unwrap();
    let out = backups.path().join("sauvegarde");
    let output = binary(&app, &server).arg("backup").arg("--out").arg(&out).output().unwrap();
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["document_count"], 5, "{manifest}");
    for document in &documents {
        assert_eq!(
            std::fs::read(out.join("documents").join(&document.sha256[..2]).join(&document.sha256)).unwrap(),
            std::fs::read(server.object(&document.sha256)).unwrap()
        );
    }

    // Into a new, empty bucket on another server, an empty data directory (and database).
    let fresh = S3Server::start().unwrap();
    let target = tempfile::tempdir().unwrap();
    let data_dir = target.path().join("donnees");
    let restored_db = TestDatabase::create(target.path()).await;
    let url = app.db.is_postgres().then_some(restored_db.url.as_str());
    let mut restore = binary_on(&data_dir, url);
    fresh.env(&mut restore);
    let output = restore.arg("restore").arg(&out).output().unwrap();
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert_eq!(fresh.objects().len(), objects, "every object back in the bucket");
    for document in &documents {
        assert_eq!(
            std::fs::read(fresh.object(&document.sha256)).unwrap(),
            std::fs::read(server.object(&document.sha256)).unwrap()
        );
    }
    assert!(fresh.object(run.sepa_sha256.as_deref().unwrap()).is_file(), "the kept SEPA file");
    assert!(!data_dir.join("documents").exists(), "documents go to the bucket, not the data directory");

    let mut check = binary_on(&data_dir, url);
    fresh.env(&mut check);
    let output = check.arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Documents vérifiés : 4. Intacts : 4."), "{text}");
    assert!(text.contains("Fichiers SEPA conservés vérifiés : 1. Intacts : 1."), "{text}");
}

#[tokio::test]
async fn an_unreachable_store_answers_a_french_503_and_nothing_is_committed() {
    // No server: a port nothing listens on.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let app = TestApp::spawn_with(|c| {
        c.documents_url = Some(format!("s3://{BUCKET}/{PREFIX}"));
        c.documents_endpoint = Some(endpoint.clone());
        c.documents_access_key = Some(ACCESS_KEY.into());
        c.documents_secret_key = Some(SECRET_KEY.into());
    })
    .await;
    let nord = app.company_nord().await;
    let (mut company, claim) = claimant(&app, &nord).await;
    let started = std::time::Instant::now();
    let refused = company.multipart(&claim, &[("training_costs", "100,00")], &[("documents", "c.pdf", &pdf(1))]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.body);
    assert!(refused.body.contains("Le stockage des documents est indisponible"), "{}", refused.body);
    assert!(!refused.body.contains("127.0.0.1") && !refused.body.contains(BUCKET), "no driver text: {}", refused.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "answered in {:?}", started.elapsed());
    assert_eq!(store::document::count(&app.ctx.db).await.unwrap(), 0, "no document row");
    let dossier: i64 = claim.split('/').nth(4).unwrap().parse().unwrap();
    assert!(store::reimbursement::for_dossier(&app.ctx.db, dossier).await.unwrap().is_empty(), "no DR row");

    // A document recorded earlier: its download is the same 503, and `check` fails saying the
    // store cannot be read, rather than reporting the document missing.
    let nord = nord.id;
    let user = app.user_id("rh@interim-nord.fr").await;
    let bytes = pdf(2);
    let document = store::document::NewDocument {
        company_id: nord,
        dossier_id: Some(dossier),
        reimbursement_id: None,
        proforma_id: None,
        kind: store::document::Kind::Certificate,
        file_name: "certificat.pdf".into(),
        sha256: store::document::sha256_hex(&bytes),
        size: i64::try_from(bytes.len()).unwrap(),
        content_type: "application/pdf".into(),
        uploaded_by: user,
    };
    let document = store::document::create(&app.ctx.db, document, app.ctx.clock.now()).await.unwrap();
    let download = company.get(&format!("/entreprises/{nord}/documents/{}", document.id)).await;
    assert_eq!(download.status, StatusCode::SERVICE_UNAVAILABLE, "{}", download.body);
    assert!(download.body.contains("Le stockage des documents est indisponible"), "{}", download.body);
    let mut check = binary_on(app._dir.path(), Some(&app.db.url));
    check
        .env("ESPACE_DOCUMENTS_URL", format!("s3://{BUCKET}/{PREFIX}"))
        .env("ESPACE_DOCUMENTS_ENDPOINT", &endpoint)
        .env("ESPACE_DOCUMENTS_ACCESS_KEY", ACCESS_KEY)
        .env("ESPACE_DOCUMENTS_SECRET_KEY", SECRET_KEY);
    let output = check.arg("check").output().unwrap();
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("stockage des documents illisible") && !text.contains("Manquants : 1"), "{text}");
}

#[tokio::test]
async fn a_run_frozen_while_the_store_is_down_keeps_its_sepa_file_at_the_first_download() {
    let port = free_port();
    let app = TestApp::spawn_with(|c| {
        c.documents_url = Some(format!("s3://{BUCKET}/{PREFIX}"));
        c.documents_endpoint = Some(format!("http://127.0.0.1:{port}"));
        c.documents_access_key = Some(ACCESS_KEY.into());
        c.documents_secret_key = Some(SECRET_KEY.into());
    })
    .await;
    // The invoice's document cannot be stored while the store is down: start it for that.
    let Some(server) = S3Server::start_on(port) else { return };
    let nord = app.company_nord().await;
    let mut setup = frozen_run_setup(&app, &nord).await;
    drop(server);

    let run = setup.run().await;
    assert_eq!(run.status, store::payment::run_status::FROZEN, "the run goes on without the store");
    assert_eq!(run.sepa_sha256, None, "nothing recorded that the store did not take");

    // The store is back (empty): the first download keeps the file, rebuilt from the rows.
    let server = S3Server::start_on(port).unwrap();
    let mut staff = app.signed_in("finance@opco.fr", Role::CaseManager).await;
    let (status, served) = staff.get_bytes(&format!("/gestion/paiements/{}/sepa.xml", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    let run = store::payment::run(&app.ctx.db, run.id).await.unwrap().unwrap();
    let sha256 = run.sepa_sha256.expect("kept at the first download");
    assert_eq!(std::fs::read(server.object(&sha256)).unwrap(), served);
}

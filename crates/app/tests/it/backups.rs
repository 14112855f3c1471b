//! Issue 12 points 6 and 7: `check` finds documents whose file is missing or damaged, and a
//! backup taken while the portal writes restores every acknowledged write and document.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::{TestApp, TestDatabase};
use crate::support::{binary, binary_on};

/// A stored document of `company` (file first, then the row, as the portal does); its bytes are
/// unique to `n`.
async fn upload(app: &TestApp, company: i64, user: i64, n: usize) -> store::document::Document {
    let files = store::document::Files::new(app.ctx.config.data_dir.join("documents"));
    // Some kilobytes, different for each document.
    let bytes: Vec<u8> =
        format!("%PDF-1.4 justificatif {n}\n").bytes().chain((0..8_000).map(|i| (i * 7 + n) as u8)).collect();
    let sha256 = files.put(&bytes).await.unwrap();
    let document = store::document::NewDocument {
        company_id: company,
        dossier_id: None,
        reimbursement_id: None,
        proforma_id: None,
        kind: store::document::Kind::Certificate,
        file_name: format!("certificat-{n}.pdf"),
        sha256,
        size: i64::try_from(bytes.len()).unwrap(),
        content_type: "application/pdf".into(),
        uploaded_by: user,
    };
    store::document::create(&app.ctx.db, document, app.ctx.clock.now()).await.unwrap()
}

fn output_text(output: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn check_lists_missing_truncated_and_altered_documents_and_exits_non_zero() {
    let app = TestApp::spawn().await;
    let company = app.company_nord().await;
    let user = app.account("depot@interim-nord.fr", crate::support::PASSWORD, domain::Role::CompanyUser).await;
    let mut documents = Vec::new();
    for n in 0..5 {
        documents.push(upload(&app, company.id, user, n).await);
    }

    // Clean: exit 0 and every document intact.
    let output = binary(&app, &[]).arg("check").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Documents vérifiés : 5. Intacts : 5. Manquants : 0. Tronqués : 0. Altérés : 0."),
        "{stdout}"
    );

    let files = store::document::Files::new(app.ctx.config.data_dir.join("documents"));
    let path = |d: &store::document::Document| files.path(&d.sha256).unwrap();
    std::fs::remove_file(path(&documents[1])).unwrap();
    let truncated = std::fs::read(path(&documents[2])).unwrap();
    std::fs::write(path(&documents[2]), &truncated[..100]).unwrap();
    let mut altered = std::fs::read(path(&documents[3])).unwrap();
    altered[10] ^= 0xff;
    std::fs::write(path(&documents[3]), &altered).unwrap();

    let output = binary(&app, &[]).arg("check").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(!output.status.success(), "a missing file fails the command: {stdout}");
    assert!(
        stdout.contains("Documents vérifiés : 5. Intacts : 2. Manquants : 1. Tronqués : 1. Altérés : 1."),
        "{stdout}"
    );
    let line = |label: &str, d: &store::document::Document| {
        format!(
            "{label} : document n° {}, entreprise n° {} (Intérim Nord), Certificat de réalisation, « {} »",
            d.id, company.id, d.file_name
        )
    };
    assert!(stdout.contains(&line("manquant", &documents[1])), "{stdout}");
    assert!(stdout.contains(&line("tronqué", &documents[2])), "{stdout}");
    assert!(stdout.contains(&format!("100 octets au lieu de {}", documents[2].size)), "{stdout}");
    assert!(stdout.contains(&line("altéré", &documents[3])), "{stdout}");
    assert!(stdout.contains("empreinte SHA-256 différente"), "{stdout}");
    assert!(!stdout.contains(&format!("document n° {},", documents[0].id)), "{stdout}");
    assert!(stderr.contains("3 document(s) manquant(s) ou abîmé(s)"), "{stderr}");
}

/// Writes documents until told to stop, recording each one acknowledged (row committed).
fn start_writing(
    app: &Arc<TestApp>,
    company: i64,
    user: i64,
) -> (Arc<AtomicBool>, Arc<Mutex<Vec<store::document::Document>>>, tokio::task::JoinHandle<()>) {
    let (stop, acknowledged) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
    let (app, stop_flag, written) = (app.clone(), stop.clone(), acknowledged.clone());
    let handle = tokio::spawn(async move {
        let mut n = 1_000;
        while !stop_flag.load(Ordering::SeqCst) {
            let document = upload(&app, company, user, n).await;
            written.lock().unwrap().push(document);
            n += 1;
        }
    });
    (stop, acknowledged, handle)
}

/// Every document row of the restored database has its file, with the row's hash.
async fn assert_files_of_every_row(db: &store::Db, data_dir: &Path) -> u64 {
    let files = store::document::Files::new(data_dir.join("documents"));
    let (mut after, mut rows) = (0, 0);
    loop {
        let page = store::document::page_after(db, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for document in page {
            let (sha256, size) = store::document::file_digest(&files.path(&document.sha256).unwrap())
                .unwrap_or_else(|e| panic!("document {} restored without its file: {e}", document.id));
            assert_eq!((sha256, size), (document.sha256.clone(), u64::try_from(document.size).unwrap()));
            rows += 1;
        }
    }
    rows
}

/// Documents stored before the writer starts.
const SEEDED: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_every_acknowledged_write_and_document() {
    let app = Arc::new(TestApp::spawn().await);
    let company = app.company_nord().await;
    let user = app.account("depot@interim-nord.fr", crate::support::PASSWORD, domain::Role::CompanyUser).await;
    for n in 0..SEEDED {
        upload(&app, company.id, user, n).await;
    }
    let (stop, acknowledged, writer) = start_writing(&app, company.id, user);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Everything acknowledged before the backup starts must be in it.
    let before: Vec<store::document::Document> = acknowledged.lock().unwrap().clone();
    let backups = tempfile::tempdir().unwrap();
    let out = backups.path().join("sauvegarde du 5 janvier");
    let mut backup = binary(&app, &[]);
    backup.arg("backup").arg("--out").arg(&out);
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || backup.output().unwrap()).await.unwrap();
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Sauvegarde écrite dans"), "{stdout}");
    let during = acknowledged.lock().unwrap().len() - before.len();
    assert!(during > 0, "the portal wrote while the backup ran");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    eprintln!(
        "backup: {} ms, database {} bytes, {} documents ({} bytes); {} written during it",
        elapsed.as_millis(),
        manifest["database"]["size"],
        manifest["document_count"],
        manifest["document_bytes"],
        during
    );

    // Restore into an empty data directory (and, on PostgreSQL, an empty database).
    let target = tempfile::tempdir().unwrap();
    let data_dir = target.path().join("donnees");
    let restored_db = TestDatabase::create(target.path()).await;
    let url = app.db.is_postgres().then_some(restored_db.url.as_str());
    let output = binary_on(&data_dir, url).arg("restore").arg(&out).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("restaurée dans"), "{stdout}");

    let db =
        store::db::connect(url.map_or_else(|| store::db::sqlite_url(&data_dir), str::to_owned).as_str()).await.unwrap();
    let staff = domain::scope::Scope::Staff { user_id: 0, role: domain::Role::PlatformAdmin };
    for document in &before {
        let found = store::document::get(&db, &staff, document.id).await.unwrap();
        assert_eq!(
            found.as_ref().map(|d| &d.sha256),
            Some(&document.sha256),
            "acknowledged document {} restored",
            document.id
        );
    }
    let rows = assert_files_of_every_row(&db, &data_dir).await;
    assert!(rows >= SEEDED as u64 + before.len() as u64, "{rows} rows restored");
    db.close().await.unwrap();

    // The restored portal finds nothing wrong.
    let output = binary_on(&data_dir, url).arg("check").output().unwrap();
    assert!(output.status.success(), "{:?}", output_text(&output));

    // A second restore into the now non-empty directory, and a directory without manifest, are refused.
    let output = binary_on(&data_dir, url).arg("restore").arg(&out).output().unwrap();
    assert!(!output.status.success());
    let (_, stderr) = output_text(&output);
    assert!(
        stderr.contains("n’est pas vide") || stderr.contains("existe déjà") || stderr.contains("contient déjà"),
        "{stderr}"
    );
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    let output = binary_on(&target.path().join("vide"), url).arg("restore").arg(&out).output().unwrap();
    assert!(!output.status.success());
    assert!(output_text(&output).1.contains("manifest.json est absent"), "{:?}", output_text(&output));
}

#[tokio::test]
async fn backup_refuses_a_non_empty_directory_and_on_postgresql_without_pg_dump_says_to_use_it() {
    let app = TestApp::spawn().await;
    let backups = tempfile::tempdir().unwrap();
    std::fs::write(backups.path().join("autre.txt"), "déjà là").unwrap();
    let output = binary(&app, &[]).arg("backup").arg("--out").arg(backups.path()).output().unwrap();
    assert!(!output.status.success());
    assert!(output_text(&output).1.contains("n’est pas vide"), "{:?}", output_text(&output));
    if !app.db.is_postgres() {
        return;
    }
    // PATH without pg_dump: the command refuses and gives the pg_dump command to run instead.
    let empty_path = tempfile::tempdir().unwrap();
    let out = backups.path().join("pg");
    let output =
        binary(&app, &[]).env("PATH", empty_path.path()).arg("backup").arg("--out").arg(&out).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(!output.status.success(), "{stdout}");
    assert!(stderr.contains("pg_dump est introuvable"), "{stderr}");
    assert!(stderr.contains("pg_dump --format=custom --file"), "{stderr}");
    assert!(!out.exists(), "nothing is written when the backup cannot be taken");
}

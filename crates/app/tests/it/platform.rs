//! The platform under the pages: health, migrations, the job queue, the outbox, the audit log,
//! the command line's staff creation and the demo seed.

use chrono::Duration;
use domain::Role;
use http::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn health_answers_with_version_and_backend() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"], if app.db.is_postgres() { "postgresql" } else { "sqlite" });
}

#[tokio::test]
async fn health_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.ctx.db.clone().close().await.unwrap();
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["status"], "indisponible");
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let app = TestApp::spawn().await;
    assert!(store::migrate(&app.ctx.db).await.unwrap().is_empty(), "nothing left to apply");
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletions() {
    let app = TestApp::spawn().await;
    app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let db = &app.ctx.db;
    let backend = db.get_database_backend();
    for sql in ["UPDATE audit_event SET action = 'effacé'", "DELETE FROM audit_event"] {
        let result = db.execute_raw(Statement::from_string(backend, sql)).await;
        assert!(result.is_err(), "{sql} should fail");
    }
    assert!(app.audit_actions().await.contains(&"auth.signed_in".to_owned()));
}

#[tokio::test]
async fn the_job_queue_deduplicates_leases_and_retries() {
    let app = TestApp::spawn().await;
    let db = &app.ctx.db;
    let now = app.ctx.clock.now();
    assert!(store::job::enqueue(db, "test.kind", "k1", &serde_json::json!({}), now).await.unwrap());
    assert!(
        !store::job::enqueue(db, "test.kind", "k1", &serde_json::json!({}), now).await.unwrap(),
        "same key: not added twice"
    );

    let job = store::job::claim(db, now, Duration::minutes(5)).await.unwrap().expect("a due job");
    assert_eq!((job.kind.as_str(), job.attempts, job.status.as_str()), ("test.kind", 1, "running"));
    assert!(store::job::claim(db, now, Duration::minutes(5)).await.unwrap().is_none(), "leased: nobody else gets it");
    // A worker that died lets the lease lapse; another takes the job over.
    let again =
        store::job::claim(db, now + Duration::minutes(6), Duration::minutes(5)).await.unwrap().expect("lease lapsed");
    assert_eq!((again.id, again.attempts), (job.id, 2));

    // The worker records unknown kinds as failures, retried later with backoff.
    app.advance(Duration::minutes(12));
    let tally = app.run_jobs().await;
    assert_eq!(tally.failed, 1);
    let row =
        store::job::claim(db, app.ctx.clock.now() + Duration::hours(1), Duration::minutes(5)).await.unwrap().unwrap();
    assert!(row.last_error.unwrap().contains("type de travail inconnu"));
}

#[tokio::test]
async fn each_mail_is_written_once_even_if_the_job_runs_again() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();
    browser.post("/mot-de-passe-oublie", &[("email", "personne@exemple.fr")]).await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    browser.post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    assert_eq!(app.mails().await.len(), 1);
    // Re-enqueueing the same message is a no-op (unique kind and key), and a second drain
    // finds nothing to send.
    let now = app.ctx.clock.now();
    assert!(
        !store::job::enqueue(&app.ctx.db, store::outbox::SEND_JOB, "1", &serde_json::json!({}), now).await.unwrap()
    );
    assert_eq!(app.run_jobs().await.done, 0);
    assert_eq!(app.mails().await.len(), 1);
    let message = store::outbox::get(&app.ctx.db, 1).await.unwrap().unwrap();
    assert!(message.sent_at.is_some());
}

#[tokio::test]
async fn staff_accounts_are_created_from_the_command_line() {
    let app = TestApp::spawn().await;
    let id = espace_app::admin::create_staff(
        &app.ctx,
        "Nadia.Roux@opco.fr",
        "platform-admin",
        "tulipe orage piano violet\n",
        Some("Nadia"),
        Some("Roux"),
    )
    .await
    .unwrap();
    let account = store::account::get(&app.ctx.db, id).await.unwrap().unwrap();
    assert_eq!(account.role, Role::PlatformAdmin);
    assert!(account.email_verified_at.is_some());
    let mut browser = app.client();
    let r = browser.login("nadia.roux@opco.fr", "tulipe orage piano violet").await;
    assert_eq!(r.location(), "/gestion");
    assert!(app.audit_actions().await.contains(&"staff.created".to_owned()));

    let err = |r: anyhow::Result<i64>| r.unwrap_err().to_string();
    assert!(
        err(espace_app::admin::create_staff(
            &app.ctx,
            "nadia.roux@opco.fr",
            "advisor",
            "tulipe orage piano violet",
            None,
            None
        )
        .await)
        .contains("existe déjà")
    );
    assert!(
        err(espace_app::admin::create_staff(
            &app.ctx,
            "x@opco.fr",
            "company-user",
            "tulipe orage piano violet",
            None,
            None
        )
        .await)
        .contains("--role")
    );
    assert!(
        err(espace_app::admin::create_staff(&app.ctx, "x@opco.fr", "chef", "tulipe orage piano violet", None, None)
            .await)
        .contains("Rôle inconnu")
    );
    assert!(
        err(espace_app::admin::create_staff(
            &app.ctx,
            "pas-une-adresse",
            "advisor",
            "tulipe orage piano violet",
            None,
            None
        )
        .await)
        .contains("--email")
    );
    assert!(
        err(espace_app::admin::create_staff(&app.ctx, "x@opco.fr", "advisor", "court", None, None).await)
            .contains("mot de passe")
    );
}

#[tokio::test]
async fn the_demo_seeds_an_empty_database_once() {
    let app = TestApp::spawn().await;
    assert!(espace_app::demo::seed_if_empty(&app.ctx).await.unwrap());
    assert!(!espace_app::demo::seed_if_empty(&app.ctx).await.unwrap());
    assert_eq!(store::account::count(&app.ctx.db).await.unwrap(), 5);
    let mut browser = app.client();
    let r = browser.login("rh@interim-demo.fr", espace_app::demo::DEMO_PASSWORD).await;
    assert_eq!(r.location(), "/");
    let companies = browser.get("/entreprises").await;
    assert!(companies.body.contains("Intérim Démo Nord"));
    assert_eq!(browser.get("/").await.texts(".bell-count"), ["1"], "Paul's request waits for Camille");
    // A filed dossier waits in the case manager's queue.
    let mut staff = app.client();
    staff.login("gestionnaire@opco-demo.fr", espace_app::demo::DEMO_PASSWORD).await;
    let queue = staff.get("/gestion/dossiers").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Conduite de chariots élévateurs"), "{}", queue.body);
    // A reimbursed training has its proforma, listed by the operator's command line.
    let proformas = espace_app::proformas::list(&app.ctx).await.unwrap();
    assert_eq!(proformas.len(), 1, "{proformas:?}");
    assert!(proformas[0].contains("Intérim Démo Nord"));
    let nord =
        store::company::find_by_siren(&app.ctx.db, &domain::Siren::parse("732829320").unwrap()).await.unwrap().unwrap();
    let invoices = browser.get(&format!("/entreprises/{}/factures", nord.id)).await;
    let number = proformas[0].split('\t').next().unwrap();
    assert!(invoices.body.contains(number), "Camille sees the proforma: {}", invoices.body);
    // Its invoice, approved: payable.
    let proforma_id = store::proforma::by_number(&app.ctx.db, number).await.unwrap().unwrap().id;
    let invoices = store::invoice::for_proforma(&app.ctx.db, proforma_id).await.unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].status, store::invoice::status::APPROVED);
    let out = app._dir.path().join("demo-proforma.pdf");
    assert!(espace_app::proformas::export(&app.ctx, number, &out).await.unwrap() > 1000);
}

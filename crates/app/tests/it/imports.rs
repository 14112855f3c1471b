//! Imports: the company directory and the legacy portal's accounts (SPEC A2, A6, M1).

use std::path::PathBuf;

use domain::Role;
use domain::habilitation::{AttachmentStatus, Domain};
use espace_app::import::{companies, legacy_accounts};
use http::StatusCode;

use crate::support::{PASSWORD, TestApp};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[tokio::test]
async fn the_directory_imports_once_and_reports_bad_rows_with_line_and_column() {
    let app = TestApp::spawn().await;
    let report = companies::run(&app.ctx, &fixture("directory.sample.csv")).await.unwrap();
    assert_eq!(report.imported, 3, "{report:?}");
    assert_eq!(report.error_count, 2, "{report:?}");
    assert_eq!((report.errors[0].line, report.errors[0].column.as_str()), (5, "siren"));
    assert!(report.errors[0].reason.contains("clé de contrôle"));
    assert_eq!((report.errors[1].line, report.errors[1].column.as_str()), (6, "code_postal"));

    let nord =
        store::company::find_by_siren(&app.ctx.db, &domain::Siren::parse("732829320").unwrap()).await.unwrap().unwrap();
    assert_eq!(nord.headcount, Some(120));
    assert_eq!(nord.address.city, "Lille");
    assert_eq!(store::company::all_establishments(&app.ctx.db, nord.id).await.unwrap().len(), 2);
    let btp =
        store::company::find_by_siren(&app.ctx.db, &domain::Siren::parse("552100554").unwrap()).await.unwrap().unwrap();
    assert_eq!(btp.address.street, "8 avenue de la Gare; bâtiment B", "a quoted field keeps its separator");
    assert_eq!(btp.address.complement.as_deref(), Some("2e étage"));

    let again = companies::run(&app.ctx, &fixture("directory.sample.csv")).await.unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 3), "{again:?}");
}

#[tokio::test]
async fn legacy_accounts_are_carried_over_at_verification_or_at_import() {
    let app = TestApp::spawn().await;
    // Paul already has a verified account when the import runs (SPEC A2, first case).
    app.account("paul.leroy@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    let without =
        legacy_accounts::run(&app.ctx, &fixture("legacy_accounts.sample.csv"), legacy_accounts::Options::default())
            .await
            .unwrap();
    assert_eq!(without.imported, 0);
    assert_eq!(without.skipped.get("entreprise_inconnue"), Some(&4), "{without:?}");

    let report = legacy_accounts::run(
        &app.ctx,
        &fixture("legacy_accounts.sample.csv"),
        legacy_accounts::Options { create_companies: true },
    )
    .await
    .unwrap();
    assert_eq!((report.imported, report.error_count), (4, 0), "{report:?}");
    let paul = app.user_id("paul.leroy@interim-nord.fr").await;
    let scope = store::attachment::scope(&app.ctx.db, paul, Role::CompanyUser).await.unwrap();
    let nord =
        store::company::find_by_siren(&app.ctx.db, &domain::Siren::parse("732829320").unwrap()).await.unwrap().unwrap();
    assert_eq!(scope.establishment_ids(nord.id).map(|ids| ids.len()), Some(2), "both agencies");
    assert!(!scope.is_admin_of(nord.id));
    let agency_82 =
        store::company::find_establishment_by_siret(&app.ctx.db, &domain::Siret::parse("73282932000082").unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(scope.can(nord.id, Some(agency_82.id), Domain::Invoicing));

    // Running it again changes nothing.
    let again = legacy_accounts::run(
        &app.ctx,
        &fixture("legacy_accounts.sample.csv"),
        legacy_accounts::Options { create_companies: true },
    )
    .await
    .unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 4), "{again:?}");

    // Claire registers with her legacy address in another case: once verified, she administers
    // her company with every habilitation (SPEC A2, second case).
    let mut browser = app.client();
    browser
        .post(
            "/inscription",
            &[
                ("given_name", "Claire"),
                ("family_name", "Martin"),
                ("email", "Claire.Martin@Interim-Nord.fr"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let link =
        app.last_mail_to("claire.martin@interim-nord.fr").await.link("http://portail.test/inscription/verifier?jeton=");
    assert_eq!(browser.get(link.trim_start_matches("http://portail.test")).await.status, StatusCode::OK);
    let signed = browser.login("claire.martin@interim-nord.fr", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let claire = app.user_id("claire.martin@interim-nord.fr").await;
    let attachments = store::attachment::list_for_user(&app.ctx.db, claire).await.unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?} {:?}", app.audit_actions().await);
    let page = browser.get(&format!("/entreprises/{}", nord.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("vous êtes administrateur"));
    assert!(app.audit_actions().await.contains(&"legacy.account_activated".to_owned()));

    // Sophie had no habilitation: attached, nothing more.
    let members = store::attachment::list_for_company(&app.ctx.db, nord.id, AttachmentStatus::Approved).await.unwrap();
    assert!(members.iter().all(|m| !m.user_email.contains("sophie")), "Sophie belongs to another company");
}

#[tokio::test]
async fn malformed_legacy_rows_are_reported_and_never_half_applied() {
    let app = TestApp::spawn().await;
    app.company_nord().await;
    let report =
        legacy_accounts::run(&app.ctx, &fixture("legacy_accounts.errors.csv"), legacy_accounts::Options::default())
            .await
            .unwrap();
    let found: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        found,
        [(2, "email"), (3, "siren"), (4, "habilitations"), (5, "siret"), (6, "administrateur")],
        "{report:?}"
    );
    assert_eq!(report.skipped.get("entreprise_inconnue"), Some(&2), "{report:?}");
    assert_eq!(report.imported, 0);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["errors"][0]["line"], 2);
    assert!(json["skipped"]["entreprise_inconnue"].is_number());
}

#[tokio::test]
async fn legacy_dossiers_keep_open_ones_and_closed_ones_moved_since_2022_once() {
    use espace_app::import::legacy_dossiers;
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let file = fixture("legacy_dossiers.csv");
    let report = legacy_dossiers::run(&app.ctx, &file, legacy_dossiers::Options::default()).await.unwrap();
    assert_eq!(report.imported, 3, "{report:?}");
    assert_eq!(report.skipped.get("clos_avant_2022"), Some(&1), "{report:?}");
    assert_eq!(report.skipped.get("entreprise_inconnue"), Some(&1), "{report:?}");
    let errors: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    // The multi-line title of line 5 shifts the following lines by one.
    assert_eq!(
        errors,
        [(8, "siren"), (9, "date_dernier_mouvement"), (10, "dispositif"), (11, "financeur"), (12, "montant_engage")],
        "{report:?}"
    );

    let again = legacy_dossiers::run(&app.ctx, &file, legacy_dossiers::Options::default()).await.unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 3), "{again:?}");

    // A payment recorded in the legacy portal since: that row alone is updated.
    let paid_since = app._dir.path().join("legacy_dossiers_paid.csv");
    let text = std::fs::read_to_string(&file).unwrap().replace("9 520,50;6 800;non", "9 520,50;9 520,50;non");
    std::fs::write(&paid_since, text).unwrap();
    let updated = legacy_dossiers::run(&app.ctx, &paid_since, legacy_dossiers::Options::default()).await.unwrap();
    assert_eq!((updated.imported, updated.unchanged), (1, 2), "{updated:?}");

    let history = store::history::for_company(&app.ctx.db, nord.id, None).await.unwrap();
    let numbers: Vec<&str> = history.iter().map(|h| h.number.as_str()).collect();
    assert_eq!(numbers, ["MDA-2022-000003", "MDA-2021-000002", "MDA-2015-000004"]);
    assert_eq!(history[0].title, "Soudeur \"TIG\" niveau 2");
    assert_eq!(history[0].establishment_id, Some(nord.agency));
    assert_eq!(history[2].title, "Titre pro\nPréparateur de commandes");
    assert_eq!((history[2].committed_cents, history[2].paid_cents), (952_050, 952_050));

    // Shown read-only to the company, by establishment.
    let mut admin = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let id = app.user_id("rh@interim-nord.fr").await;
    app.attach(id, nord.id, None, true, &Domain::ALL).await;
    let page = admin.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert!(page.body.contains("Historique de l’ancien portail") && page.body.contains("MDA-2021-000002"));
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let id = app.user_id("agence@interim-nord.fr").await;
    app.attach(id, nord.id, Some(nord.agency), false, &[Domain::Training]).await;
    let page = agency.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert!(page.body.contains("MDA-2022-000003"));
    assert!(!page.body.contains("MDA-2021-000002"), "the head office's dossier is not the agency's");

    // With --create-companies the unknown company is created and its dossier kept.
    let created =
        legacy_dossiers::run(&app.ctx, &paid_since, legacy_dossiers::Options { create_companies: true }).await.unwrap();
    assert_eq!((created.imported, created.unchanged), (1, 3), "{created:?}");
}

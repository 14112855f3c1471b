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
    assert!(page.body.contains("Historique de l’ancien portail") && page.body.contains("Voir l’historique (3)"));
    let page = admin.get(&format!("/entreprises/{}/historique", nord.id)).await;
    assert!(page.body.contains("MDA-2021-000002"));
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let id = app.user_id("agence@interim-nord.fr").await;
    app.attach(id, nord.id, Some(nord.agency), false, &[Domain::Training]).await;
    let page = agency.get(&format!("/entreprises/{}/historique", nord.id)).await;
    assert!(page.body.contains("MDA-2022-000003"));
    assert!(!page.body.contains("MDA-2021-000002"), "the head office's dossier is not the agency's");

    // With --create-companies the unknown company is created and its dossier kept.
    let created =
        legacy_dossiers::run(&app.ctx, &paid_since, legacy_dossiers::Options { create_companies: true }).await.unwrap();
    assert_eq!((created.imported, created.unchanged), (1, 3), "{created:?}");
}

const DOSSIER_HEADER: &str = "numero;siren;siret;dispositif;financeur;intitule;organisme_siret;date_debut;date_fin;nb_stagiaires;montant_engage;montant_regle;clos;date_dernier_mouvement\n";

/// A legacy dossier row with the given number, SIREN and title (open, 2025).
fn dossier_row(number: &str, siren: &str, title: &str) -> String {
    format!("{number};{siren};;PDC50;AKTO;{title};;10/01/2025;28/06/2025;2;1 800,00;900,00;non;14/12/2025\n")
}

fn write_file(app: &TestApp, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = app._dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn errors_of(report: &espace_app::import::Report) -> Vec<(u64, &str)> {
    report.errors.iter().map(|e| (e.line, e.column.as_str())).collect()
}

#[tokio::test]
async fn a_dossier_number_read_twice_is_refused_and_no_dossier_moves_to_another_company() {
    use espace_app::import::legacy_dossiers::{self, Options};
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let text = [
        DOSSIER_HEADER.to_owned(),
        dossier_row("MDA-2025-000001", nord.siren, "Cariste"),
        dossier_row("MDA-2025-000002", nord.siren, "Soudeur"),
        dossier_row("MDA-2025-000001", btp.siren, "Cariste (doublon)"),
    ]
    .concat();
    let file = write_file(&app, "twice.csv", text);
    let report = legacy_dossiers::run(&app.ctx, &file, Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (2, 1), "{report:?}");
    assert_eq!(errors_of(&report), [(4, "numero")]);
    assert!(report.errors[0].reason.contains("figure déjà à la ligne 2"), "{report:?}");
    let history = store::history::for_company(&app.ctx.db, nord.id, None).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().any(|h| h.number == "MDA-2025-000001" && h.title == "Cariste"));
    assert!(store::history::for_company(&app.ctx.db, btp.id, None).await.unwrap().is_empty());

    // Again, the same file: the first rows unchanged, the duplicate refused again.
    let again = legacy_dossiers::run(&app.ctx, &file, Options::default()).await.unwrap();
    assert_eq!((again.imported, again.unchanged, again.error_count), (0, 2, 1), "{again:?}");

    // Another file naming the same number for another company: refused, not moved.
    let other = write_file(
        &app,
        "other.csv",
        [
            DOSSIER_HEADER.to_owned(),
            dossier_row("MDA-2025-000001", btp.siren, "Cariste"),
            dossier_row("MDA-2025-000003", btp.siren, "Grutier"),
        ]
        .concat(),
    );
    let moved = legacy_dossiers::run(&app.ctx, &other, Options::default()).await.unwrap();
    assert_eq!((moved.imported, moved.unchanged, moved.error_count), (1, 0, 1), "{moved:?}");
    assert_eq!(errors_of(&moved), [(2, "siren")]);
    assert!(
        moved.errors[0].reason.contains("SIREN 732829320") && moved.errors[0].reason.contains("pas déplacé"),
        "{moved:?}"
    );
    let history = store::history::for_company(&app.ctx.db, nord.id, None).await.unwrap();
    assert_eq!(history.len(), 2, "still Intérim Nord's");
    let btp_history = store::history::for_company(&app.ctx.db, btp.id, None).await.unwrap();
    assert_eq!(btp_history.iter().map(|h| h.number.as_str()).collect::<Vec<_>>(), ["MDA-2025-000003"]);
}

#[tokio::test]
async fn a_nul_byte_refuses_its_row_and_the_rest_is_imported() {
    use espace_app::import::legacy_dossiers::{self, Options};
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let text = [
        DOSSIER_HEADER.to_owned(),
        dossier_row("MDA-2025-000001", nord.siren, "Cariste"),
        dossier_row("MDA-2025-000002", nord.siren, "Sou\0deur"),
        dossier_row("MDA-2025-000003", nord.siren, "Grutier"),
    ]
    .concat();
    let report = legacy_dossiers::run(&app.ctx, &write_file(&app, "nul.csv", text), Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (2, 1), "{report:?}");
    assert_eq!(errors_of(&report), [(3, "intitule")]);
    assert!(report.errors[0].reason.contains("caractère de contrôle"), "{report:?}");
    assert_eq!(store::history::for_company(&app.ctx.db, nord.id, None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_windows_1252_export_is_imported_whole_with_its_accents_and_says_so() {
    use espace_app::import::legacy_dossiers::{self, Options};
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    // As Excel writes it: one byte per accented letter, accents in the header too.
    let text = [
        DOSSIER_HEADER.replace("numero", "Numéro").replace("intitule", "Intitulé"),
        dossier_row("MDA-2025-000001", nord.siren, "Habilitation électrique"),
        dossier_row("MDA-2025-000002", nord.siren, "Préparateur de commandes – CACES®"),
        dossier_row("MDA-2025-000003", nord.siren, "Grutier"),
    ]
    .concat();
    let bytes = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    assert!(std::str::from_utf8(&bytes).is_err());
    let report =
        legacy_dossiers::run(&app.ctx, &write_file(&app, "cp1252.csv", bytes), Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (3, 0), "{report:?}");
    assert_eq!(report.encoding, "Windows-1252 (converti en UTF-8)");
    assert!(report.human().starts_with("Fichier lu en Windows-1252"), "{}", report.human());
    let titles: Vec<String> =
        store::history::for_company(&app.ctx.db, nord.id, None).await.unwrap().into_iter().map(|h| h.title).collect();
    assert!(titles.contains(&"Habilitation électrique".to_owned()), "{titles:?}");
    assert!(titles.contains(&"Préparateur de commandes – CACES®".to_owned()), "{titles:?}");

    // The same in UTF-8 with a BOM: the same rows, unchanged, and named so.
    let utf8 = write_file(&app, "utf8.csv", ["\u{feff}", text.as_str()].concat());
    let again = legacy_dossiers::run(&app.ctx, &utf8, Options::default()).await.unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 3), "{again:?}");
    assert_eq!(again.encoding, "UTF-8 avec BOM");
}

#[tokio::test]
async fn header_problems_are_told_in_french() {
    use espace_app::import::legacy_dossiers::{self, Options};
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    // An accent in a header name (UTF-8) is read as the column it names.
    let accented = write_file(
        &app,
        "accent.csv",
        [
            DOSSIER_HEADER.replace("numero", "Numéro").replace("date_dernier_mouvement", "Date dernier mouvement"),
            dossier_row("MDA-2025-000001", nord.siren, "Cariste"),
        ]
        .concat(),
    );
    let report = legacy_dossiers::run(&app.ctx, &accented, Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (1, 0), "{report:?}");

    // A missing column is named, with the columns read.
    let missing = write_file(&app, "missing.csv", DOSSIER_HEADER.replace("numero;", "num;"));
    let err = legacy_dossiers::run(&app.ctx, &missing, Options::default()).await.unwrap_err().to_string();
    assert!(
        err.starts_with("colonne(s) absente(s) de l’en-tête (ligne 1) : numero ; colonnes lues : num, siren"),
        "{err}"
    );
    let empty = write_file(&app, "empty.csv", "");
    let err = legacy_dossiers::run(&app.ctx, &empty, Options::default()).await.unwrap_err().to_string();
    assert!(err.starts_with("fichier vide ou sans en-tête"), "{err}");
}

#[tokio::test]
async fn dates_out_of_order_and_contradicting_amounts_are_refused_row_by_row() {
    use espace_app::import::legacy_dossiers::{self, Options};
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let text = [
        DOSSIER_HEADER.to_owned(),
        dossier_row("MDA-2025-000001", nord.siren, "Cariste"),
        dossier_row("MDA-2025-000002", nord.siren, "Fin avant début")
            .replace("10/01/2025;28/06/2025", "28/06/2025;10/01/2025"),
        dossier_row("MDA-2025-000003", nord.siren, "Trop réglé").replace("1 800,00;900,00", "900,00;1 800,00"),
        // Committed before the training starts: a last movement before the start is normal.
        dossier_row("MDA-2025-000004", nord.siren, "Engagé avant").replace("14/12/2025", "02/01/2025"),
    ]
    .concat();
    let report =
        legacy_dossiers::run(&app.ctx, &write_file(&app, "order.csv", text), Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (2, 2), "{report:?}");
    assert_eq!(errors_of(&report), [(3, "date_fin"), (4, "montant_regle")]);
    assert!(report.errors[0].reason.contains("finit le 10/01/2025 avant d’avoir commencé"), "{report:?}");
    assert!(report.errors[1].reason.contains("dépasse le montant engagé"), "{report:?}");
}

#[tokio::test]
async fn a_legacy_account_row_read_twice_is_refused() {
    let app = TestApp::spawn().await;
    app.company_nord().await;
    let text = "email;nom;prenom;siren;siret;administrateur;habilitations\n\
                paul.leroy@interim-nord.fr;Leroy;Paul;732829320;;non;FORMATION\n\
                Paul.Leroy@interim-nord.fr;Leroy;Paul;732 829 320;;oui;FACTURATION\n";
    let file = write_file(&app, "accounts.csv", text);
    let report = legacy_accounts::run(&app.ctx, &file, legacy_accounts::Options::default()).await.unwrap();
    assert_eq!((report.imported, report.error_count), (1, 1), "{report:?}");
    assert_eq!(errors_of(&report), [(3, "email")]);
    let again = legacy_accounts::run(&app.ctx, &file, legacy_accounts::Options::default()).await.unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 1), "the first row is not undone by the second: {again:?}");
}

/// The command, on the test's database.
fn command(app: &TestApp, args: &[&str]) -> std::process::Output {
    crate::support::binary(app, &[]).args(args).output().unwrap()
}

#[tokio::test]
async fn an_import_that_imports_nothing_fails_with_a_french_message() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let bad = write_file(
        &app,
        "bad.csv",
        [DOSSIER_HEADER.to_owned(), dossier_row("MDA-2025-000001", "732829321", "Mauvais SIREN")].concat(),
    );
    let out = command(&app, &["import", "legacy-dossiers", bad.to_str().unwrap(), "--json"]);
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("aucune ligne importée (1 en erreur"), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((json["imported"].as_u64(), json["error_count"].as_u64()), (Some(0), Some(1)), "{json}");
    assert_eq!(json["encoding"], "UTF-8");

    let good = write_file(
        &app,
        "good.csv",
        [DOSSIER_HEADER.to_owned(), dossier_row("MDA-2025-000001", nord.siren, "Cariste")].concat(),
    );
    let out = command(&app, &["import", "legacy-dossiers", good.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 ligne(s) importée(s)"), "{out:?}");
    // Run again: everything already there is not a failure.
    assert!(command(&app, &["import", "legacy-dossiers", good.to_str().unwrap()]).status.success());
}

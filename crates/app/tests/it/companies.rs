//! Companies, attachments, habilitations, activation letters and codes, bank details.

use chrono::Duration;
use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{PASSWORD, TestApp, TestClient, codes_in, pdf_pages};

/// Prepares a batch as an advisor, runs the job, downloads the PDF and returns its pages' text.
pub(crate) async fn print_letters(app: &TestApp, advisor: &mut TestClient) -> Vec<String> {
    let prepared = advisor.post("/gestion/courriers/lots", &[]).await;
    assert_eq!(prepared.location(), "/gestion/courriers?notice=lot-prepare", "{}", prepared.body);
    app.run_jobs().await;
    let batches = store::activation::batches(&app.ctx.db, 1).await.unwrap();
    let batch = batches.first().expect("a batch");
    assert_eq!(batch.status, "ready");
    let pdf = advisor.get_bytes(&format!("/gestion/courriers/lots/{}/courriers.pdf", batch.id)).await;
    assert_eq!(pdf.0, StatusCode::OK);
    pdf_pages(&pdf.1)
}

#[tokio::test]
async fn a_company_without_administrator_is_activated_by_letter_and_its_administrator_approves_a_colleague() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;

    // Claire asks to be attached; nobody administers the company, so a letter is queued.
    let asked = claire
        .post("/entreprises/rattachement", &[("siren", "732 829 320"), ("sirets", ""), ("message", "RH du siège")])
        .await;
    assert_eq!(asked.location(), "/entreprises?notice=demande-courrier", "{}", asked.body);
    let listed = claire.get("/entreprises?notice=demande-courrier").await;
    assert!(listed.body.contains("en attente"), "{}", listed.body);
    assert_eq!(
        claire.get(&format!("/entreprises/{}", nord.id)).await.status,
        StatusCode::NOT_FOUND,
        "not attached yet"
    );

    // A second request does not queue a second letter.
    let mut paul = app.signed_in("paul@interim-nord.fr", Role::CompanyUser).await;
    let second = paul.post("/entreprises/rattachement", &[("siren", "732829320"), ("sirets", nord.agency_siret)]).await;
    assert_eq!(second.location(), "/entreprises?notice=demande-courrier-deja");

    // The advisor prints the batch: one letter, to the head office, with a code.
    let pages = print_letters(&app, &mut advisor).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].contains("Intérim Nord"), "{}", pages[0]);
    assert!(pages[0].contains("732 829 320"), "{}", pages[0]);
    assert!(pages[0].contains("LILLE"), "{}", pages[0]);
    let codes = codes_in(&pages[0]);
    assert_eq!(codes.len(), 1, "{}", pages[0]);
    let code = codes[0].clone();
    // Only a digest is stored.
    let stored = store::activation::find_code(&app.ctx.db, nord.id, &store::secret::digest(&code.replace('-', "")))
        .await
        .unwrap();
    assert!(stored.is_some());

    // Marked posted, the PDF is gone.
    let batch = store::activation::batches(&app.ctx.db, 1).await.unwrap()[0].id;
    assert_eq!(
        advisor.post(&format!("/gestion/courriers/lots/{batch}/poste"), &[]).await.location(),
        "/gestion/courriers?notice=lot-poste"
    );
    assert_eq!(
        advisor.get(&format!("/gestion/courriers/lots/{batch}/courriers.pdf")).await.status,
        StatusCode::CONFLICT
    );

    // Claire enters the code (lower case, without dashes) and becomes administrator.
    let wrong = claire.post("/entreprises/activer", &[("siren", "732829320"), ("code", "AAAA-BBBB-CCCC")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.texts("#code-error")[0].contains("ne correspond pas"));
    let ok = claire
        .post("/entreprises/activer", &[("siren", "732829320"), ("code", &code.replace('-', "").to_lowercase())])
        .await;
    assert_eq!(ok.location(), format!("/entreprises/{}?notice=administrateur", nord.id), "{}", ok.body);
    let page = claire.get(&format!("/entreprises/{}", nord.id)).await;
    assert!(page.body.contains("vous êtes administrateur"));
    // Single use.
    let again = paul.post("/entreprises/activer", &[("siren", "732829320"), ("code", &code)]).await;
    assert!(again.texts("#code-error")[0].contains("déjà été utilisé"));

    // Paul's pending request for the agency waits for Claire.
    let members = claire.get(&format!("/entreprises/{}/utilisateurs", nord.id)).await;
    assert!(members.body.contains("paul@interim-nord.fr"));
    let paul_request =
        store::attachment::list_for_company(&app.ctx.db, nord.id, domain::habilitation::AttachmentStatus::Requested)
            .await
            .unwrap();
    assert_eq!(paul_request.len(), 1);
    let approved = claire
        .post(&format!("/entreprises/{}/demandes/{}/valider", nord.id, paul_request[0].id), &[("training", "on")])
        .await;
    assert_eq!(approved.location(), format!("/entreprises/{}/utilisateurs?notice=demande-validee", nord.id));

    // Paul is told, and sees the agency only, with the training domain only.
    let bell = paul.get("/notifications").await;
    assert!(bell.body.contains("Rattachement à Intérim Nord validé"), "{}", bell.body);
    let page = paul.get(&format!("/entreprises/{}", nord.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("732 829 320 00082"), "the agency");
    assert!(!page.body.contains("732 829 320 00074"), "not the head office");
    assert!(page.body.contains("Dossiers formation"));
    assert!(!page.body.contains("Facturation et paiements"));
    assert_eq!(paul.get(&format!("/entreprises/{}/utilisateurs", nord.id)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(paul.get(&format!("/entreprises/{}/banque", nord.id)).await.status, StatusCode::FORBIDDEN);

    let actions = app.audit_actions().await;
    for expected in [
        "attachment.requested",
        "letters.batch_created",
        "letters.batch_downloaded",
        "letters.batch_posted",
        "activation.code_refused",
        "activation.code_used",
        "attachment.approved",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }
}

#[tokio::test]
async fn requests_are_refused_clearly_for_unknown_or_foreign_identifiers() {
    let app = TestApp::spawn().await;
    app.company_nord().await;
    let btp = app.company_btp().await;
    let mut user = app.signed_in("x@exemple.fr", Role::CompanyUser).await;
    let cases: &[(&str, &str, &str, &str)] = &[
        ("73282932", "", "siren", "9 chiffres"),
        ("732829321", "", "siren", "clé de contrôle"),
        ("443061841", "", "siren", "pas encore connue"),
        ("732829320", "7328293200007", "sirets", "14 chiffres"),
        ("732829320", btp.head_office_siret, "sirets", "n’appartient pas"),
        ("732829320", "73282932000017", "sirets", "n’est pas connu"),
    ];
    for (siren, sirets, field, expected) in cases {
        let r = user.post("/entreprises/rattachement", &[("siren", siren), ("sirets", sirets)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{siren} {sirets}");
        let error = r.texts(&format!("#{field}-error")).join(" ");
        assert!(error.contains(expected), "{siren} {sirets}: {error}");
        assert_eq!(r.input_value("siren").as_deref(), Some(*siren), "input kept");
    }
    assert!(store::attachment::list_for_user(&app.ctx.db, 1).await.unwrap().is_empty(), "nothing saved");
}

#[tokio::test]
async fn with_an_administrator_the_request_rings_the_bell_and_may_be_refused() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut admin = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire, nord.id, None, true, &Domain::ALL).await;
    let mut sophie = app.signed_in("sophie@exemple.fr", Role::CompanyUser).await;

    let r = sophie.post("/entreprises/rattachement", &[("siren", nord.siren)]).await;
    assert_eq!(r.location(), "/entreprises?notice=demande-envoyee");
    let again = sophie.post("/entreprises/rattachement", &[("siren", nord.siren)]).await;
    assert_eq!(again.location(), "/entreprises?notice=demande-existante");
    assert!(
        store::activation::pending_letter(&app.ctx.db, nord.id).await.unwrap().is_none(),
        "no letter when there is an administrator"
    );

    let home = admin.get("/").await;
    assert_eq!(home.texts(".bell-count"), ["1"]);
    let request =
        store::attachment::list_for_company(&app.ctx.db, nord.id, domain::habilitation::AttachmentStatus::Requested)
            .await
            .unwrap()[0]
            .id;
    let no_reason =
        admin.post(&format!("/entreprises/{}/demandes/{request}/refuser", nord.id), &[("reason", " ")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = admin
        .post(&format!("/entreprises/{}/demandes/{request}/refuser", nord.id), &[("reason", "Inconnue au service RH")])
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    // A second decision on the same request is told it was already answered.
    let late = admin.post(&format!("/entreprises/{}/demandes/{request}/valider", nord.id), &[("training", "on")]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.body.contains("déjà reçu une réponse"));
    let list = sophie.get("/entreprises").await;
    assert!(list.body.contains("Inconnue au service RH"));
    assert_eq!(sophie.get(&format!("/entreprises/{}", nord.id)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_company_never_loses_its_last_administrator_and_withdrawn_rights_end_at_once() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    let claire_att = app.attach(claire_id, nord.id, None, true, &Domain::ALL).await;
    let mut marc = app.signed_in("marc@interim-nord.fr", Role::CompanyUser).await;
    let marc_id = app.user_id("marc@interim-nord.fr").await;
    let marc_att = app.attach(marc_id, nord.id, None, false, &[Domain::Training, Domain::Invoicing]).await;

    let alone = claire
        .post(&format!("/entreprises/{}/utilisateurs/{claire_att}/administrateur", nord.id), &[("admin", "non")])
        .await;
    assert_eq!(alone.status, StatusCode::CONFLICT);
    assert!(alone.body.contains("au moins un administrateur"));
    let withdraw_self = claire.post(&format!("/entreprises/{}/utilisateurs/{claire_att}/retirer", nord.id), &[]).await;
    assert_eq!(withdraw_self.status, StatusCode::CONFLICT);

    assert_eq!(
        marc.get(&format!("/entreprises/{}/banque", nord.id)).await.status,
        StatusCode::OK,
        "invoicing company-wide opens bank details"
    );
    let fewer = claire
        .post(&format!("/entreprises/{}/utilisateurs/{marc_att}/habilitations", nord.id), &[("training", "on")])
        .await;
    assert_eq!(fewer.location(), format!("/entreprises/{}/utilisateurs?notice=habilitations", nord.id));
    assert_eq!(
        marc.get(&format!("/entreprises/{}/banque", nord.id)).await.status,
        StatusCode::FORBIDDEN,
        "effective on the next request"
    );

    let promoted = claire
        .post(&format!("/entreprises/{}/utilisateurs/{marc_att}/administrateur", nord.id), &[("admin", "oui")])
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    let step_down = claire
        .post(&format!("/entreprises/{}/utilisateurs/{claire_att}/administrateur", nord.id), &[("admin", "non")])
        .await;
    assert_eq!(step_down.status, StatusCode::SEE_OTHER);
    assert_eq!(claire.get(&format!("/entreprises/{}/utilisateurs", nord.id)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(marc.get(&format!("/entreprises/{}/utilisateurs", nord.id)).await.status, StatusCode::OK);
    let removed = marc.post(&format!("/entreprises/{}/utilisateurs/{claire_att}/retirer", nord.id), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(claire.get(&format!("/entreprises/{}", nord.id)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn codes_expire_are_replaced_by_a_new_letter_and_guessing_is_throttled() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    let mut user = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    assert_eq!(
        advisor.post(&format!("/gestion/entreprises/{}/courrier", nord.id), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let first = codes_in(&print_letters(&app, &mut advisor).await[0])[0].clone();
    advisor.post(&format!("/gestion/entreprises/{}/courrier", nord.id), &[]).await;
    let second = codes_in(&print_letters(&app, &mut advisor).await[0])[0].clone();
    assert_ne!(first, second);
    let replaced = user.post("/entreprises/activer", &[("siren", nord.siren), ("code", &first)]).await;
    assert!(replaced.texts("#code-error")[0].contains("remplacé"), "{}", replaced.body);

    app.advance(Duration::days(61));
    user.login("claire@interim-nord.fr", PASSWORD).await;
    advisor.login("conseiller@opco.fr", PASSWORD).await;
    let expired = user.post("/entreprises/activer", &[("siren", nord.siren), ("code", &second)]).await;
    assert!(expired.texts("#code-error")[0].contains("expiré"), "{}", expired.body);

    // Five wrong codes; the sixth try is held even with a valid code.
    advisor.post(&format!("/gestion/entreprises/{}/courrier", nord.id), &[]).await;
    let third = codes_in(&print_letters(&app, &mut advisor).await[0])[0].clone();
    let mut guesser = app.signed_in("devin@exemple.fr", Role::CompanyUser).await;
    for _ in 0..5 {
        guesser.post("/entreprises/activer", &[("siren", nord.siren), ("code", "0000-0000-0000")]).await;
    }
    let held = guesser.post("/entreprises/activer", &[("siren", nord.siren), ("code", &third)]).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(app.audit_actions().await.contains(&"activation.throttled".to_owned()));
    // Another person is not held by the guesser's tries.
    let ok = user.post("/entreprises/activer", &[("siren", nord.siren), ("code", &third)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn bank_details_need_the_password_and_every_administrator_is_told() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire_id, nord.id, None, true, &Domain::ALL).await;
    let other_admin = app.signed_in("marc@interim-nord.fr", Role::CompanyUser).await;
    drop(other_admin);
    let marc_id = app.user_id("marc@interim-nord.fr").await;
    app.attach(marc_id, nord.id, None, true, &[]).await;
    let path = format!("/entreprises/{}/banque", nord.id);

    let bad = claire
        .post(&path, &[("iban", "FR76 3000 6000 0112 3456 7890 188"), ("holder_name", ""), ("password", "faux")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.texts("#iban-error")[0].contains("IBAN"), "{}", bad.body);
    assert!(!bad.texts("#holder_name-error").is_empty());
    assert_eq!(bad.texts("#password-error"), ["Erreur : Mot de passe incorrect."]);
    assert_eq!(bad.input_value("iban").as_deref(), Some("FR76 3000 6000 0112 3456 7890 188"), "input kept");
    assert!(
        store::company::bank_account(&app.ctx.db, nord.id, app.ctx.clock.now()).await.unwrap().is_none(),
        "nothing saved"
    );

    let ok = claire
        .post(
            &path,
            &[
                ("iban", "fr76 3000 6000 0112 3456 7890 189"),
                ("holder_name", "INTERIM NORD SAS"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.location(), format!("/entreprises/{}?notice=banque", nord.id), "{}", ok.body);
    let page = claire.get(&path).await;
    assert!(page.body.contains("0189") || page.body.contains("0 189"), "{}", page.body);
    assert!(!page.body.contains("30006000011234567890189"), "never shown in full");
    let mails = app.mails().await;
    assert!(
        mails.iter().any(|m| m.to == "marc@interim-nord.fr" && m.subject.contains("Coordonnées bancaires")),
        "every administrator is e-mailed"
    );
    let audit = store::audit::list(
        &app.ctx.db,
        &store::audit::Filter { action_prefix: Some("company.bank".into()), actor_user_id: None },
        1,
        10,
    )
    .await
    .unwrap()
    .0;
    assert_eq!(audit.len(), 1);
    assert!(
        !audit[0].detail.clone().unwrap_or_default().contains("30006000011234567890189"),
        "no full IBAN in the audit log"
    );
}

#[tokio::test]
async fn administrators_keep_the_head_office_address_up_to_date() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire_id, nord.id, None, true, &Domain::ALL).await;
    let path = format!("/entreprises/{}/profil", nord.id);
    let bad = claire
        .post(
            &path,
            &[
                ("street", ""),
                ("postal_code", "590"),
                ("city", "Lille"),
                ("vat_subject", "non"),
                ("headcount", "beaucoup"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.texts(".field-error").len(), 3, "{}", bad.body);
    let ok = claire
        .post(
            &path,
            &[
                ("street", "3 rue Faidherbe"),
                ("postal_code", "59 800"),
                ("city", "Lille"),
                ("vat_subject", "non"),
                ("headcount", "48"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let company = store::company::get_unscoped(&app.ctx.db, nord.id).await.unwrap().unwrap();
    assert_eq!(company.address.postal_code, "59800");
    assert!(!company.vat_subject);
    assert_eq!(company.headcount, Some(48));
}

#[tokio::test]
async fn an_advisor_creates_an_account_for_a_company_and_the_person_sets_a_password() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    let path = format!("/gestion/entreprises/{}/utilisateurs", nord.id);
    let missing_names = advisor.post(&path, &[("email", "nouvelle@interim-nord.fr")]).await;
    assert_eq!(missing_names.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = advisor
        .post(
            &path,
            &[
                ("email", "nouvelle@interim-nord.fr"),
                ("given_name", "Inès"),
                ("family_name", "Roux"),
                ("admin", "on"),
                ("training", "on"),
                ("invoicing", "on"),
            ],
        )
        .await;
    assert_eq!(
        created.location(),
        format!("/gestion/entreprises/{}?notice=utilisateur-cree", nord.id),
        "{}",
        created.body
    );
    let mail = app.last_mail_to("nouvelle@interim-nord.fr").await;
    assert!(mail.text.contains("Intérim Nord"));
    let link = mail.link("http://portail.test/reinitialisation?jeton=");
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let mut ines = app.client();
    let chosen = "tulipe orage piano violet";
    let set =
        ines.post("/reinitialisation", &[("jeton", &jeton), ("password", chosen), ("password_confirm", chosen)]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(ines.login("nouvelle@interim-nord.fr", chosen).await.status, StatusCode::SEE_OTHER);
    let page = ines.get(&format!("/entreprises/{}", nord.id)).await;
    assert!(page.body.contains("vous êtes administrateur"));
    assert!(app.audit_actions().await.contains(&"advisor.user_created".to_owned()));

    // Case managers may look but not act.
    let mut case_manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    assert_eq!(case_manager.get(&format!("/gestion/entreprises/{}", nord.id)).await.status, StatusCode::OK);
    assert_eq!(case_manager.post(&path, &[("email", "x@y.fr")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        case_manager.post(&format!("/gestion/entreprises/{}/edi", nord.id), &[("edi", "oui")]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut platform = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    assert_eq!(
        platform.post(&format!("/gestion/entreprises/{}/edi", nord.id), &[("edi", "oui")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(store::company::get_unscoped(&app.ctx.db, nord.id).await.unwrap().unwrap().edi);
}

#[tokio::test]
async fn staff_create_companies_with_checked_identifiers() {
    let app = TestApp::spawn().await;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    let form = |siren: &'static str, siret: &'static str| {
        vec![
            ("siren", siren),
            ("name", "Intérim Nord"),
            ("head_office_siret", siret),
            ("street", "12 rue Nationale"),
            ("postal_code", "59000"),
            ("city", "Lille"),
            ("vat_subject", "oui"),
        ]
    };
    let bad = advisor.post("/gestion/entreprises/nouvelle", &form("732829320", "55210055400013")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.texts("#head_office_siret-error")[0].contains("SIREN"));
    let ok = advisor.post("/gestion/entreprises/nouvelle", &form("732829320", "73282932000074")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let twice = advisor.post("/gestion/entreprises/nouvelle", &form("732829320", "")).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let found = advisor.get("/gestion/entreprises?q=732829").await;
    assert!(found.body.contains("Intérim Nord"));
    let found = advisor.get("/gestion/entreprises?q=nord").await;
    assert!(found.body.contains("Intérim Nord"));
    let id = store::company::find_by_siren(&app.ctx.db, &domain::Siren::parse("732829320").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let edit = advisor.get(&format!("/gestion/entreprises/{id}/profil")).await;
    assert_eq!(edit.input_value("name").as_deref(), Some("Intérim Nord"));
    let bad = advisor
        .post(
            &format!("/gestion/entreprises/{id}/profil"),
            &[("name", ""), ("street", "1 rue"), ("postal_code", "75001"), ("city", "Paris")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let renamed = advisor
        .post(
            &format!("/gestion/entreprises/{id}/profil"),
            &[
                ("name", "Intérim Nord SAS"),
                ("street", "1 rue Neuve"),
                ("postal_code", "59000"),
                ("city", "Lille"),
                ("vat_subject", "oui"),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert_eq!(store::company::get_unscoped(&app.ctx.db, id).await.unwrap().unwrap().name, "Intérim Nord SAS");
}

#[tokio::test]
async fn notifications_are_read_one_by_one_or_all_and_may_also_come_by_email() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire_id, nord.id, None, true, &Domain::ALL).await;
    claire.post("/notifications/preferences", &[("by_email", "on")]).await;
    let mut a = app.signed_in("a@exemple.fr", Role::CompanyUser).await;
    a.post("/entreprises/rattachement", &[("siren", nord.siren)]).await;
    let mut b = app.signed_in("b@exemple.fr", Role::CompanyUser).await;
    b.post("/entreprises/rattachement", &[("siren", nord.siren)]).await;

    assert!(
        app.mails()
            .await
            .iter()
            .any(|m| m.to == "claire@interim-nord.fr" && m.subject.contains("Demande de rattachement"))
    );
    assert_eq!(claire.get("/").await.texts(".bell-count"), ["2"]);
    let (rows, _) = store::notification::list(&app.ctx.db, claire_id, 1, 10).await.unwrap();
    let opened = claire.post(&format!("/notifications/{}/lire", rows[0].id), &[]).await;
    assert_eq!(opened.location(), format!("/entreprises/{}/utilisateurs", nord.id));
    assert_eq!(claire.get("/").await.texts(".bell-count"), ["1"]);
    // Someone else's notification is not found.
    assert_eq!(a.post(&format!("/notifications/{}/lire", rows[1].id), &[]).await.status, StatusCode::NOT_FOUND);
    claire.post("/notifications/tout-lire", &[]).await;
    assert!(claire.get("/").await.texts(".bell-count").is_empty());
}

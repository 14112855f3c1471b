//! Hostile or broken input (issue 12): page numbers beyond any list, control characters in free
//! text, files that only pretend to be PDFs, bodies sent to routes the caller may not use. Each
//! is refused in French with the right status, the same way on SQLite and PostgreSQL.

use chrono::{NaiveDate, TimeZone, Utc};
use domain::Role;
use domain::habilitation::Domain;
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, accepted_dossier, sample_pdf};

/// Every paginated list, with the role that may see it.
const LISTS: [(&str, Role); 7] = [
    ("/notifications", Role::CompanyUser),
    ("/gestion/dossiers", Role::PlatformAdmin),
    ("/gestion/drf", Role::PlatformAdmin),
    ("/gestion/remboursements", Role::PlatformAdmin),
    ("/gestion/factures", Role::PlatformAdmin),
    ("/gestion/entreprises", Role::PlatformAdmin),
    ("/gestion/journal", Role::PlatformAdmin),
];

#[tokio::test]
async fn page_numbers_beyond_any_list_are_refused_in_french_on_every_paginated_list() {
    let app = TestApp::spawn().await;
    let mut company = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    for (path, role) in LISTS {
        let client = if role == Role::CompanyUser { &mut company } else { &mut admin };
        assert_eq!(client.get(&format!("{path}?page=2")).await.status, StatusCode::OK, "{path}");
        for page in ["18446744073709551615", "18446744073709551616", "9223372036854775807", "1000001", "deux"] {
            let r = client.get(&format!("{path}?page={page}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}?page={page}: {}", r.body);
            assert!(r.body.contains("« page »"), "{path}?page={page} names the field: {}", r.body);
        }
        // The last accepted page is an empty page, not an error.
        assert_eq!(client.get(&format!("{path}?page=1000000")).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_nul_byte_in_free_text_is_a_french_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire_id, nord.id, None, true, &Domain::ALL).await;

    let token = claire.post("/compte/jetons", &[("name", "Export\0paie"), ("validity", "30")]).await;
    assert_eq!(token.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", token.body);
    assert!(token.body.contains("« name »"), "{}", token.body);

    let mut paul = app.signed_in("paul@exemple.fr", Role::CompanyUser).await;
    let asked = paul
        .post("/entreprises/rattachement", &[("siren", "732829320"), ("sirets", ""), ("message", "RH\0du siège")])
        .await;
    assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", asked.body);
    assert!(asked.body.contains("« message »"), "{}", asked.body);

    let address = claire
        .post(
            &format!("/entreprises/{}/profil", nord.id),
            &[
                ("street", "3 rue\0Faidherbe"),
                ("postal_code", "59800"),
                ("city", "Lille"),
                ("vat_subject", "non"),
                ("headcount", "48"),
            ],
        )
        .await;
    assert_eq!(address.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", address.body);
    assert!(address.body.contains("« street »"), "{}", address.body);

    let bank = claire
        .post(
            &format!("/entreprises/{}/banque", nord.id),
            &[("iban", "FR76 3000 6000 0112 3456 7890 189"), ("holder_name", "INTERIM\0NORD"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(bank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bank.body);
    assert!(bank.body.contains("« holder_name »"), "{}", bank.body);
    assert!(
        store::company::bank_account(&app.ctx.db, nord.id, app.ctx.clock.now()).await.unwrap().is_none(),
        "nothing saved"
    );

    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    let search = advisor.get("/gestion/entreprises?q=nord%00").await;
    assert_eq!(search.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", search.body);
    assert!(search.body.contains("« q »"), "{}", search.body);

    // The JSON API names the field in its envelope.
    let plain =
        store::api_token::create(&app.ctx.db, claire_id, "script", None, app.ctx.clock.now()).await.unwrap().1.plain;
    let mut script = app.client();
    let created = script
        .api(Method::POST, "/api/v1/tokens", &plain, Some(json!({"name": "a\u{0}b", "expires_in_days": 30})))
        .await;
    assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", created.body);
    assert_eq!(created.json()["error"]["field"], "name");
    assert_eq!(created.json()["error"]["code"], "invalid_input");

    // Line breaks of a textarea are still text.
    let fine = paul
        .post("/entreprises/rattachement", &[("siren", "732829320"), ("sirets", ""), ("message", "RH\r\ndu siège")])
        .await;
    assert_eq!(fine.status, StatusCode::SEE_OTHER, "{}", fine.body);
}

/// The sample PDF with a script run on opening.
fn pdf_with_script() -> Vec<u8> {
    use lopdf::{Object, dictionary};
    let mut document = lopdf::Document::load_mem(&sample_pdf()).unwrap();
    let catalog = document.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let action = dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert('x')") };
    document.get_object_mut(catalog).unwrap().as_dict_mut().unwrap().set("OpenAction", action);
    let mut out = Vec::new();
    document.save_to(&mut out).unwrap();
    out
}

#[tokio::test]
async fn uploads_must_start_as_a_pdf_run_nothing_and_are_stored_as_pdf() {
    let app = TestApp::spawn().await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 2, 9, 9, 0, 0).unwrap());
    let nord = app.company_nord().await;
    let mut company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let day = |d| NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2), day(6)),
        (300_000, 240_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    let pdf = sample_pdf();

    let mut html = b"<html><body><script>alert(document.cookie)</script><!--".to_vec();
    html.extend_from_slice(&pdf);
    let mut svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><!--".to_vec();
    svg.extend_from_slice(&pdf);
    for (name, bytes) in [("page.pdf", &html), ("image.pdf", &svg)] {
        let r = company.multipart(&claim, &[("training_costs", "100,00")], &[("documents", name, bytes)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains(&format!("« {name} » : Le fichier n’est pas un PDF")), "{}", r.body);
    }
    let scripted = pdf_with_script();
    let r = company.multipart(&claim, &[("training_costs", "100,00")], &[("documents", "s.pdf", &scripted)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("« s.pdf » : Le PDF contient du contenu actif"), "{}", r.body);
    assert!(store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap().is_empty(), "nothing filed");

    // A real PDF sent under another extension is kept, named and served as a PDF.
    let filed =
        company.multipart(&claim, &[("training_costs", "100,00")], &[("documents", "attestation.html", &pdf)]).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let id: i64 = filed.location().rsplit('/').next().unwrap().split('?').next().unwrap().parse().unwrap();
    let document = store::document::for_reimbursement(&app.ctx.db, id).await.unwrap().remove(0);
    assert_eq!(document.file_name, "attestation.pdf");
    let download = company.get(&format!("/entreprises/{}/documents/{}", nord.id, document.id)).await;
    assert_eq!(download.headers["content-type"], "application/pdf");
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.contains("filename=\"attestation.pdf\""), "{disposition}");
}

#[tokio::test]
async fn staff_without_the_payment_permission_are_refused_before_their_upload_is_read() {
    let app = TestApp::spawn().await;
    let limit = web::pages::payments::RETURNS_BODY_LIMIT;
    let big = vec![b'x'; limit + 1];
    for role in [Role::Advisor, Role::CaseManager] {
        let mut staff = app.signed_in(&format!("{}@opco.fr", role.code()), role).await;
        // Larger than the route accepts: read first, this was a 413; refused first, a 403.
        let r = staff.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", &big)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}: {}", r.body);
    }
    let mut company = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let r = company.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", b"x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The one allowed still meets the size limit.
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let r = admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", &big)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_database_failure_during_a_returns_import_shows_no_database_text() {
    use sea_orm::ConnectionTrait as _;
    let app = TestApp::spawn().await;
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    // The table the import reads first is gone: the database answers with an error of its own.
    app.ctx.db.execute_unprepared("DROP TABLE bank_return").await.unwrap();
    let csv = "reference;montant;statut;motif\nE2E-1;10,00;rejete;AC04\n";
    let r = admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", csv.as_bytes())]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("Une erreur est survenue de notre côté"), "{}", r.body);
    for leak in ["base de données", "bank_return", "no such table", "relation", "SQL"] {
        assert!(!r.body.contains(leak), "{leak} shown: {}", r.body);
    }
}

#[tokio::test]
async fn the_openapi_document_says_what_the_api_answers() {
    let app = TestApp::spawn().await;
    let mut client = app.client();
    let spec = client.get("/api/openapi.json").await.json();
    for (path, method) in [
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/dossiers/{id}/remboursements", "post"),
        ("/api/v1/factures/{id}/facture", "post"),
    ] {
        let responses = &spec["paths"][path][method]["responses"];
        assert!(responses["400"].is_object(), "{path}: no 400 for an id beyond 64 bits");
    }
    let schemas = &spec["components"]["schemas"];
    assert_eq!(schemas["CreateTokenIn"]["properties"]["name"]["minLength"], 1);
    assert_eq!(schemas["CreateTokenIn"]["properties"]["name"]["maxLength"], 80);
    let required = schemas["CreateTokenIn"]["required"].as_array().unwrap();
    assert!(required.contains(&json!("expires_in_days")), "a token is refused without a validity");
    assert_eq!(schemas["ClaimIn"]["properties"]["lines"]["minItems"], 1);
    assert_eq!(schemas["ClaimIn"]["properties"]["documents"]["minItems"], 1);
    assert_eq!(schemas["DocumentIn"]["properties"]["content_base64"]["minLength"], 1);
    assert_eq!(schemas["FileIn"]["properties"]["content_base64"]["minLength"], 1);

    // And the API does answer 400, in the JSON envelope, for an id beyond 64 bits.
    let user = app.account("script@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let token = store::api_token::create(&app.ctx.db, user, "script", None, app.ctx.clock.now()).await.unwrap().1.plain;
    let r = client.api(Method::DELETE, "/api/v1/tokens/18446744073709551616", &token, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "bad_request");
    // And 422 where the document says so.
    let r = client.api(Method::POST, "/api/v1/tokens", &token, Some(json!({"name": "", "expires_in_days": 30}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = client.api(Method::POST, "/api/v1/tokens", &token, Some(json!({"name": "x"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

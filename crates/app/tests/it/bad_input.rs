//! Hostile or broken input (issue 12): page numbers beyond any list, control characters in free
//! text, files that only pretend to be PDFs, bodies sent to routes the caller may not use. Each
//! is refused in French with the right status, the same way on SQLite and PostgreSQL.

use domain::Role;
use domain::habilitation::Domain;
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

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

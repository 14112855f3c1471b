//! The JSON API: personal tokens, the error envelope, the OpenAPI description.

use domain::Role;
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn a_token_made_in_the_browser_opens_the_api_until_revoked() {
    let app = TestApp::spawn().await;
    let mut marie = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let page = marie.post("/compte/jetons", &[("name", "Export paie"), ("validity", "30")]).await;
    assert_eq!(page.status, StatusCode::CREATED);
    let selector = scraper::Selector::parse("#nouveau-jeton").unwrap();
    let token = page
        .html()
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
        .expect("the token is shown once");
    assert!(token.starts_with("efp_"));
    // Shown once: the list afterwards holds only its prefix.
    let list = marie.get("/compte/jetons").await;
    assert!(!list.body.contains(&token));
    assert!(list.body.contains(&token[..10]));

    let mut script = app.client();
    let me = script.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["email"], "marie@exemple.fr");
    assert_eq!(me.json()["role"], "company_user");

    let id = store::api_token::list_for_user(&app.ctx.db, 1).await.unwrap()[0].id;
    let revoked = marie.post(&format!("/compte/jetons/{id}/revoquer"), &[]).await;
    assert_eq!(revoked.location(), "/compte/jetons?notice=jeton-revoque");
    let refused = script.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers.get("www-authenticate").unwrap(), "Bearer");
    assert_eq!(refused.json()["error"]["code"], "unauthenticated");
    assert_eq!(refused.json()["error"]["message"], "Connectez-vous pour accéder à cette page.");
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked_through_the_api_with_french_errors() {
    let app = TestApp::spawn().await;
    let user_id = app.account("marie@exemple.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let (_, first) = store::api_token::create(&app.ctx.db, user_id, "amorce", None, app.ctx.clock.now()).await.unwrap();
    let mut client = app.client();

    let created = client
        .api(Method::POST, "/api/v1/tokens", &first.plain, Some(json!({"name": "Export", "expires_in_days": 90})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = created.json();
    assert!(body["token_text"].as_str().unwrap().starts_with("efp_"));
    assert_eq!(body["status"], "active");
    assert_eq!(body["expires_at"], "2026-04-05T08:00:00Z");

    let missing = client.api(Method::POST, "/api/v1/tokens", &first.plain, Some(json!({"expires_in_days": 90}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json()["error"]["field"], "name");
    assert_eq!(missing.json()["error"]["message"], "Le champ « name » est obligatoire.");

    let bad_days = client
        .api(Method::POST, "/api/v1/tokens", &first.plain, Some(json!({"name": "X", "expires_in_days": 12})))
        .await;
    assert_eq!(bad_days.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_days.json()["error"]["field"], "expires_in_days");

    let empty_name = client.api(Method::POST, "/api/v1/tokens", &first.plain, Some(json!({"name": "  "}))).await;
    assert_eq!(empty_name.json()["error"]["field"], "name");

    let not_json = client
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(("application/json", "{".into())),
            &[("authorization", &format!("Bearer {}", first.plain))],
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json()["error"]["code"], "bad_request");

    let list = client.api(Method::GET, "/api/v1/tokens", &first.plain, None).await;
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    assert!(!list.body.contains("token_text") && !list.body.contains(&first.plain));

    let new_id = body["id"].as_i64().unwrap();
    assert_eq!(
        client.api(Method::DELETE, &format!("/api/v1/tokens/{new_id}"), &first.plain, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client.api(Method::DELETE, &format!("/api/v1/tokens/{new_id}"), &first.plain, None).await.status,
        StatusCode::NOT_FOUND
    );

    // Another person's token id answers 404, and their token keeps working.
    let other = app.account("paul@autre.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let (paul_token, paul_secret) =
        store::api_token::create(&app.ctx.db, other, "paul", None, app.ctx.clock.now()).await.unwrap();
    let foreign = client.api(Method::DELETE, &format!("/api/v1/tokens/{}", paul_token.id), &first.plain, None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(client.api(Method::GET, "/api/v1/me", &paul_secret.plain, None).await.json()["email"], "paul@autre.fr");
    let listed = client.api(Method::GET, "/api/v1/tokens", &first.plain, None).await;
    assert!(!listed.body.contains("paul"));
}

#[tokio::test]
async fn expired_tokens_and_session_cookies_do_not_open_the_api() {
    let app = TestApp::spawn().await;
    let mut marie = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    assert_eq!(marie.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "cookies are not API credentials");
    let (_, secret) = store::api_token::create(
        &app.ctx.db,
        1,
        "court",
        Some(app.ctx.clock.now() + chrono::Duration::days(30)),
        app.ctx.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(marie.api(Method::GET, "/api/v1/me", &secret.plain, None).await.status, StatusCode::OK);
    app.advance(chrono::Duration::days(30));
    assert_eq!(marie.api(Method::GET, "/api/v1/me", &secret.plain, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(marie.api(Method::GET, "/api/v1/me", "efp_inexistant", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_swagger_ui_is_served() {
    let app = TestApp::spawn().await;
    let mut client = app.client();
    let doc = client.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let spec = doc.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/dossiers/{id}/remboursements",
        "/api/v1/factures/{id}/facture",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(spec["paths"]["/api/v1/tokens"]["post"].is_object());
    assert!(spec["paths"]["/api/v1/tokens/{id}"]["delete"].is_object());
    assert_eq!(spec["components"]["securitySchemes"]["jeton"]["scheme"], "bearer");

    let ui = client.get("/api/docs/").await;
    assert_eq!(ui.status, StatusCode::OK, "{}", ui.body);
    assert!(ui.body.contains("swagger"), "{}", ui.body);
    assert!(!ui.body.contains("https://"), "no CDN");
}

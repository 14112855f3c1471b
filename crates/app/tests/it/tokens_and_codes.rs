//! Tokens and codes (issue 11 point 7): a new password revokes API tokens, a token cannot outlive
//! its maker, activation-code holds are per person, the forgotten-password answer does not tell
//! known addresses from unknown ones, and nobody is flooded with one kind of e-mail.

use domain::Role;
use http::{Method, StatusCode};

use crate::support::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "nouvelle phrase de passe solide";

/// A live, non-expiring token for `user_id`, made directly in the store.
async fn token_for(app: &TestApp, user_id: i64) -> String {
    store::api_token::create(&app.ctx.db, user_id, "script", None, app.ctx.clock.now()).await.unwrap().1.plain
}

#[tokio::test]
async fn a_password_reset_revokes_the_persons_api_tokens_and_says_so() {
    let app = TestApp::spawn().await;
    let marie = app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let token = token_for(&app, marie).await;
    let mut script = app.client();
    assert_eq!(script.api(Method::GET, "/api/v1/me", &token, None).await.status, StatusCode::OK);

    let mut browser = app.client();
    browser.post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    let link = app.last_mail_to("marie@exemple.fr").await.link("http://portail.test/reinitialisation?jeton=");
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let done = browser
        .post("/reinitialisation", &[("jeton", &jeton), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = browser.get(done.location()).await;
    let notice = page.texts("[role=status]").join(" ");
    assert!(notice.contains("vos jetons d’API ont été révoqués"), "{notice}");

    let refused = script.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let tokens = store::api_token::list_for_user(&app.ctx.db, marie).await.unwrap();
    assert!(tokens.iter().all(|t| t.revoked_at.is_some()));
}

#[tokio::test]
async fn a_password_change_revokes_the_persons_api_tokens_and_only_theirs() {
    let app = TestApp::spawn().await;
    let mut desk = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let marie = app.user_id("marie@exemple.fr").await;
    let paul = app.account("paul@autre.fr", PASSWORD, Role::CompanyUser).await;
    let token = token_for(&app, marie).await;
    let pauls = token_for(&app, paul).await;
    let mut script = app.client();
    assert_eq!(script.api(Method::GET, "/api/v1/me", &token, None).await.status, StatusCode::OK);

    let form = [("current_password", PASSWORD), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)];
    let changed = desk.post("/compte/mot-de-passe", &form).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let page = desk.get(changed.location()).await;
    let notice = page.texts("[role=status]").join(" ");
    assert!(notice.contains("vos jetons d’API ont été révoqués"), "{notice}");

    assert_eq!(script.api(Method::GET, "/api/v1/me", &token, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(script.api(Method::GET, "/api/v1/me", &pauls, None).await.status, StatusCode::OK);

    // With no token left, a second change does not mention tokens.
    let back = [("current_password", NEW_PASSWORD), ("password", PASSWORD), ("password_confirm", PASSWORD)];
    let again = desk.post("/compte/mot-de-passe", &back).await;
    let page = desk.get(again.location()).await;
    let notice = page.texts("[role=status]").join(" ");
    assert!(notice.contains("Votre mot de passe a été modifié") && !notice.contains("jetons"), "{notice}");
}


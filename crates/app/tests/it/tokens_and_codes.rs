//! Tokens and codes (issue 11 point 7): a new password revokes API tokens, a token cannot outlive
//! its maker, activation-code holds are per person, the forgotten-password answer does not tell
//! known addresses from unknown ones, and nobody is flooded with one kind of e-mail.

use domain::Role;
use http::{Method, StatusCode};
use serde_json::json;

use crate::companies::print_letters;
use crate::support::{PASSWORD, TestApp, codes_in};

const NEW_PASSWORD: &str = "nouvelle phrase de passe solide";

/// The cells' texts of each row matching `selector`.
fn table_rows(page: &crate::support::TestResponse, selector: &str) -> Vec<Vec<String>> {
    let rows = scraper::Selector::parse(selector).unwrap();
    let cells = scraper::Selector::parse("td").unwrap();
    page.html()
        .select(&rows)
        .map(|row| {
            row.select(&cells)
                .map(|cell| cell.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        })
        .collect()
}

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

#[tokio::test]
async fn a_token_cannot_make_a_token_that_outlives_it_nor_one_that_never_expires() {
    let app = TestApp::spawn().await;
    let marie = app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let now = app.ctx.clock.now();
    let short_expiry = now + chrono::Duration::days(10);
    let (_, short) = store::api_token::create(&app.ctx.db, marie, "court", Some(short_expiry), now).await.unwrap();
    let mut script = app.client();

    let capped = script
        .api(Method::POST, "/api/v1/tokens", &short.plain, Some(json!({"name": "Export", "expires_in_days": 365})))
        .await;
    assert_eq!(capped.status, StatusCode::CREATED, "{}", capped.body);
    assert_eq!(capped.json()["expires_at"], "2026-01-15T08:00:00Z", "capped at the calling token's expiry");
    let child = capped.json()["token_text"].as_str().unwrap().to_owned();
    app.advance(chrono::Duration::days(10));
    assert_eq!(script.api(Method::GET, "/api/v1/me", &child, None).await.status, StatusCode::UNAUTHORIZED);

    let long = token_for(&app, marie).await;
    for body in [json!({"name": "Éternel"}), json!({"name": "Éternel", "expires_in_days": 0})] {
        let refused = script.api(Method::POST, "/api/v1/tokens", &long, Some(body)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let error = &refused.json()["error"];
        assert_eq!(error["field"], "expires_in_days");
        assert!(error["message"].as_str().unwrap().contains("« expires_in_days »"), "{error}");
        assert!(error["message"].as_str().unwrap().contains("sans expiration n’est pas possible"), "{error}");
    }
    let listed = script.api(Method::GET, "/api/v1/tokens", &long, None).await;
    assert!(listed.json().as_array().unwrap().iter().all(|t| t["name"] != "Éternel"));

    // A token made from a token that never expires still expires when it asked.
    let ninety =
        script.api(Method::POST, "/api/v1/tokens", &long, Some(json!({"name": "Paie", "expires_in_days": 90}))).await;
    assert_eq!(ninety.json()["expires_at"], "2026-04-15T08:00:00Z");
}

#[tokio::test]
async fn the_tokens_page_offers_only_bounded_durations() {
    let app = TestApp::spawn().await;
    let mut marie = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let page = marie.get("/compte/jetons").await;
    let selector = scraper::Selector::parse("#validity option").unwrap();
    let values: Vec<String> =
        page.html().select(&selector).filter_map(|o| o.value().attr("value").map(str::to_owned)).collect();
    assert_eq!(values, ["30", "90", "365"]);
    assert!(!page.body.contains("Sans expiration"));

    let never = marie.post("/compte/jetons", &[("name", "Éternel"), ("validity", "0")]).await;
    assert_eq!(never.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(never.texts("#validity-error")[0].contains("sans expiration n’est pas possible"), "{}", never.body);
    let made = marie.post("/compte/jetons", &[("name", "Paie"), ("validity", "365")]).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let tokens = store::api_token::list_for_user(&app.ctx.db, app.user_id("marie@exemple.fr").await).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].expires_at, Some(app.ctx.clock.now() + chrono::Duration::days(365)));
}

#[tokio::test]
async fn throwaway_accounts_cannot_lock_the_letter_holder_out_and_staff_see_their_tries() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    advisor.post(&format!("/gestion/entreprises/{}/courrier", nord.id), &[]).await;
    let code = codes_in(&print_letters(&app, &mut advisor).await[0])[0].clone();
    let mut holder = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;

    // Four throwaway accounts each use up their tries on the SIREN: 20 wrong codes in all.
    for n in 1..=4 {
        let mut throwaway = app.signed_in(&format!("jetable{n}@exemple.fr"), Role::CompanyUser).await;
        for _ in 0..5 {
            let wrong =
                throwaway.post("/entreprises/activer", &[("siren", nord.siren), ("code", "0000-0000-0000")]).await;
            assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
        }
        let held = throwaway.post("/entreprises/activer", &[("siren", nord.siren), ("code", &code)]).await;
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "each throwaway is held on its own");
    }
    // Ten wrong codes a day in all, whatever the companies.
    let mut spreader = app.signed_in("jetable9@exemple.fr", Role::CompanyUser).await;
    for siren in [nord.siren, "123456782"] {
        for _ in 0..5 {
            spreader.post("/entreprises/activer", &[("siren", siren), ("code", "0000-0000-0000")]).await;
        }
    }
    let spread = spreader.post("/entreprises/activer", &[("siren", btp.siren), ("code", "0000-0000-0000")]).await;
    assert_eq!(spread.status, StatusCode::TOO_MANY_REQUESTS);

    // The letter holder's first try with the right code succeeds.
    let ok = holder.post("/entreprises/activer", &[("siren", nord.siren), ("code", &code)]).await;
    assert_eq!(ok.location(), format!("/entreprises/{}?notice=administrateur", nord.id), "{}", ok.body);

    // Staff see who guessed, when and how often.
    let page = advisor.get(&format!("/gestion/entreprises/{}", nord.id)).await;
    assert_eq!(page.texts("#codes-errones"), ["Codes d’activation erronés"]);
    let rows = table_rows(&page, "section[aria-labelledby=codes-errones] tbody tr");
    assert_eq!(rows.len(), 5, "{rows:?}");
    for n in [1, 2, 3, 4, 9] {
        let row = rows.iter().find(|r| r[0].contains(&format!("jetable{n}@exemple.fr"))).expect("a row per guesser");
        assert_eq!(row[1], "5", "{row:?}");
        assert!(row[3].starts_with("05/01/2026"), "{row:?}");
    }
    assert!(!rows.iter().any(|r| r[0].contains("claire@")), "the holder typed no wrong code");
    let other_staff_page = advisor.get(&format!("/gestion/entreprises/{}", btp.id)).await;
    assert!(!other_staff_page.body.contains("Codes d’activation erronés"), "BTP has no wrong code");

    // Another company's user sees nothing of it.
    let mut paul = app.signed_in("paul@btp-emploi.fr", Role::CompanyUser).await;
    let paul_id = app.user_id("paul@btp-emploi.fr").await;
    app.attach(paul_id, btp.id, None, true, &domain::habilitation::Domain::ALL).await;
    let refused = paul.get(&format!("/gestion/entreprises/{}", nord.id)).await;
    assert!(matches!(refused.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", refused.status);
    assert!(!refused.body.contains("jetable"));
    let own = paul.get(&format!("/entreprises/{}", btp.id)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.body.contains("jetable") && !own.body.contains("Codes d’activation erronés"));
    assert_eq!(paul.get(&format!("/entreprises/{}", nord.id)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ten_forgotten_password_requests_send_three_mails_whose_links_all_work() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    for _ in 0..10 {
        // From as many browsers (and addresses) as an attacker likes.
        let answer = app.client().post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
        assert_eq!((answer.status, answer.location()), (StatusCode::SEE_OTHER, "/mot-de-passe-oublie/envoye"));
    }
    let mails = app.mails().await;
    let resets: Vec<_> = mails.iter().filter(|m| m.to == "marie@exemple.fr").collect();
    assert_eq!(resets.len(), 3, "{:?}", resets.iter().map(|m| &m.subject).collect::<Vec<_>>());
    // The dropped requests issued no link, so the last one mailed still works.
    let link = resets[2].link("http://portail.test/reinitialisation?jeton=");
    let mut browser = app.client();
    assert_eq!(browser.get(link.trim_start_matches("http://portail.test")).await.status, StatusCode::OK);

    // Other kinds are counted apart: the password-changed warning still goes out.
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let form = [("jeton", jeton.as_str()), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)];
    assert_eq!(browser.post("/reinitialisation", &form).await.status, StatusCode::SEE_OTHER);
    assert!(app.last_mail_to("marie@exemple.fr").await.subject.starts_with("Votre mot de passe a été modifié"));

    // An hour later, a new request is answered with a mail again.
    app.advance(chrono::Duration::minutes(61));
    app.client().post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    let last = app.last_mail_to("marie@exemple.fr").await;
    assert!(last.subject.starts_with("Réinitialisation de votre mot de passe"), "{}", last.subject);
    assert_eq!(app.mails().await.len(), 5);
}

/// The single number `sql` counts.
async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let backend = app.ctx.db.get_database_backend();
    let row = app.ctx.db.query_one_raw(sea_orm::Statement::from_string(backend, sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Rows of each table a forgotten-password request could touch.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["job", "user_token", "outbox_message", "audit_event"] {
        counts.push(count(app, &format!("SELECT COUNT(*) AS n FROM {table}")).await);
    }
    counts
}

#[tokio::test]
async fn a_forgotten_password_request_does_the_same_work_for_known_and_unknown_addresses() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    // The page's own work is the same for both: one queued request, nothing else (no lookup
    // whose cost or writes depend on the address), so its answer time tells nothing.
    let before = footprint(&app).await;
    let known = app.client().post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    let after_known = footprint(&app).await;
    let unknown = app.client().post("/mot-de-passe-oublie", &[("email", "personne@exemple.fr")]).await;
    let after_unknown = footprint(&app).await;
    assert_eq!((known.status, known.location()), (unknown.status, unknown.location()));
    assert_eq!(known.body, unknown.body);
    let delta = |a: &[i64], b: &[i64]| a.iter().zip(b).map(|(x, y)| y - x).collect::<Vec<_>>();
    assert_eq!(delta(&before, &after_known), [1, 0, 0, 0], "job, token, mail, audit after a known address");
    assert_eq!(delta(&after_known, &after_unknown), [1, 0, 0, 0], "the same after an unknown one");
    // The worker then mails the known address only, and journals it with the requester's origin.
    let mails = app.mails().await;
    assert_eq!(mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["marie@exemple.fr"]);
    assert!(mails[0].subject.starts_with("Réinitialisation de votre mot de passe"), "{}", mails[0].subject);
    assert!(app.audit_actions().await.contains(&"password.reset_requested".to_owned()));
    // The typed addresses are not kept beyond a day.
    app.advance(chrono::Duration::hours(25));
    espace_app::worker::Worker::new(app.ctx.clone()).unwrap().schedule_housekeeping().await;
    app.run_jobs().await;
    let kept = count(&app, "SELECT COUNT(*) AS n FROM job WHERE kind = 'password.reset_request'").await;
    assert_eq!(kept, 0, "the requests' jobs, with the addresses typed, are purged after a day");
}

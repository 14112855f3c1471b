//! `admin create-staff`: creates an operator staff account from the command line.

use anyhow::bail;
use domain::password::{Password, check_new_password};
use domain::{Email, Role};
use store::account::{CreateAccountError, NewAccount};
use store::audit::{Actor, Entry, Origin};

use crate::Context;

/// Creates a staff account whose password is read by the caller (from standard input); the
/// address is taken as verified, since an administrator vouches for it.
///
/// # Errors
/// A French message naming what is wrong: the address, the role, the password, or an address
/// already in use.
pub async fn create_staff(
    ctx: &Context,
    email: &str,
    role: &str,
    password: &str,
    given_name: Option<&str>,
    family_name: Option<&str>,
) -> anyhow::Result<i64> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email : {e}"))?;
    let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role : {e}"))?;
    if !role.is_staff() {
        bail!("--role : un compte d’équipe est advisor, case-manager ou platform-admin");
    }
    let password = Password::new(password.trim_end_matches(['\r', '\n']));
    check_new_password(&password, &[email.as_str()]).map_err(|e| anyhow::anyhow!("mot de passe : {e}"))?;
    let local = email.as_str().split('@').next().unwrap_or_default().to_owned();
    let given_name = given_name.map_or(local, str::to_owned);
    let family_name = family_name.unwrap_or_default().to_owned();
    let digest = web::crypto::hash(password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = ctx.clock.now();
    let txn = store::db::write(&ctx.db).await?;
    let new = NewAccount {
        email: email.clone(),
        password_hash: Some(digest),
        given_name,
        family_name,
        role,
        email_verified_at: Some(now),
    };
    let account = match store::account::create(&txn, new, now).await {
        Ok(account) => account,
        Err(CreateAccountError::EmailTaken) => {
            bail!("--email : un compte existe déjà pour {email}")
        }
        Err(CreateAccountError::Db(err)) => return Err(err.into()),
    };
    let entry = Entry {
        actor: &Actor::system("cli"),
        action: "staff.created",
        subject: Some(("user", account.id.to_string())),
        origin: &Origin::default(),
        detail: Some(serde_json::json!({ "role": role.code() })),
    };
    store::audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(account.id)
}

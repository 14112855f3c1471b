//! People's accounts: identity, role, password digest, verification.

use chrono::{DateTime, Utc};
use domain::{Email, Role};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::db::is_unique_violation;
use crate::entity::app_user::{self, ActiveModel, Column, Entity};

/// An account as the rest of the program sees it: typed, and without the password digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's id.
    pub id: i64,
    /// The normalised e-mail address, which identifies the person.
    pub email: Email,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// What the account may do.
    pub role: Role,
    /// When the person proved they receive mail at `email`.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// When the password last changed (sign-in failures before it no longer count).
    pub password_changed_at: Option<DateTime<Utc>>,
    /// Whether the account has a password yet (an advisor may create one without).
    pub has_password: bool,
    /// When staff disabled the account; a disabled account cannot sign in.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Also receive notifications by e-mail.
    pub notify_by_email: bool,
}

impl Account {
    /// "Prénom Nom".
    #[must_use]
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name).trim().to_owned()
    }
}

impl TryFrom<app_user::Model> for Account {
    type Error = DbErr;
    fn try_from(row: app_user::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.id,
            email: Email::parse(&row.email).map_err(|e| DbErr::Type(format!("app_user.email: {e}")))?,
            role: Role::from_code(&row.role).map_err(|e| DbErr::Type(format!("app_user.role: {e}")))?,
            given_name: row.given_name,
            family_name: row.family_name,
            email_verified_at: row.email_verified_at,
            password_changed_at: row.password_changed_at,
            has_password: row.password_hash.is_some(),
            disabled_at: row.disabled_at,
            created_at: row.created_at,
            notify_by_email: row.notify_by_email,
        })
    }
}

/// What creating an account needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The normalised address.
    pub email: Email,
    /// The Argon2id digest of the password, if the person chose one.
    pub password_hash: Option<String>,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// The role.
    pub role: Role,
    /// Set when the address is already known to be the person's (staff created by an admin).
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    /// Another account has this address.
    #[error("an account already uses this e-mail address")]
    EmailTaken,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates an account.
///
/// # Errors
/// [`CreateAccountError::EmailTaken`] when the address is in use (enforced by a unique index,
/// so two simultaneous registrations cannot both succeed).
pub async fn create(
    conn: &impl ConnectionTrait,
    new: NewAccount,
    now: DateTime<Utc>,
) -> Result<Account, CreateAccountError> {
    let row =
        ActiveModel {
            email: Set(new.email.as_str().to_owned()),
            password_hash: Set(new.password_hash),
            given_name: Set(new.given_name),
            family_name: Set(new.family_name),
            role: Set(new.role.code().to_owned()),
            email_verified_at: Set(new.email_verified_at),
            password_changed_at: Set(None),
            disabled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            notify_by_email: Set(false),
            ..Default::default()
        }
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) { CreateAccountError::EmailTaken } else { CreateAccountError::Db(e) }
        })?;
    Ok(Account::try_from(row)?)
}

/// The account with this id.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Account>, DbErr> {
    Entity::find_by_id(id).one(conn).await?.map(Account::try_from).transpose()
}

/// The account with this address.
///
/// # Errors
/// The driver's error.
pub async fn find_by_email(conn: &impl ConnectionTrait, email: &Email) -> Result<Option<Account>, DbErr> {
    Entity::find().filter(Column::Email.eq(email.as_str())).one(conn).await?.map(Account::try_from).transpose()
}

/// The account with this address and its password digest, for signing in.
///
/// # Errors
/// The driver's error.
pub async fn find_credentials(
    conn: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<(Account, Option<String>)>, DbErr> {
    let Some(row) = Entity::find().filter(Column::Email.eq(email.as_str())).one(conn).await? else {
        return Ok(None);
    };
    let hash = row.password_hash.clone();
    Ok(Some((Account::try_from(row)?, hash)))
}

/// The password digest of an account, for re-checking the current password.
///
/// # Errors
/// The driver's error.
pub async fn password_hash(conn: &impl ConnectionTrait, id: i64) -> Result<Option<String>, DbErr> {
    Ok(Entity::find_by_id(id).one(conn).await?.and_then(|row| row.password_hash))
}

/// Replaces the password digest.
///
/// # Errors
/// The driver's error.
pub async fn set_password(conn: &impl ConnectionTrait, id: i64, hash: String, now: DateTime<Utc>) -> Result<(), DbErr> {
    ActiveModel {
        id: Set(id),
        password_hash: Set(Some(hash)),
        password_changed_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Records that the person proved they receive mail at the account's address.
///
/// # Errors
/// The driver's error.
pub async fn mark_email_verified(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    ActiveModel { id: Set(id), email_verified_at: Set(Some(now)), updated_at: Set(now), ..Default::default() }
        .update(conn)
        .await?;
    Ok(())
}

/// How many accounts exist (the demo seeds only an empty database).
///
/// # Errors
/// The driver's error.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find().count(conn).await
}

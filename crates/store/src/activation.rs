//! Activation letters, their batches and codes (SPEC A4).
//!
//! A letter is queued when someone asks to be attached to a company without an administrator
//! (or when an advisor asks for one). Staff prepare a batch: a job draws one code per letter,
//! stores only its digest, renders the PDF and keeps it until the batch is marked posted, when
//! the PDF is erased; from then on no copy of the codes exists but the paper ones.

use chrono::{DateTime, Utc};
use domain::activation::OwnFailures;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{activation_attempt, activation_code, activation_letter, letter_batch};

/// The job that prepares a batch; its key is the batch id.
pub const BATCH_JOB: &str = "letters.prepare_batch";

/// A queued or sent letter.
pub type Letter = activation_letter::Model;
/// A batch of letters.
pub type Batch = letter_batch::Model;

/// Why a letter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterReason {
    /// Someone asked to be attached and the company has no administrator.
    AttachmentRequest,
    /// An advisor asked for a new letter.
    Advisor,
}

impl LetterReason {
    fn code(self) -> &'static str {
        match self {
            LetterReason::AttachmentRequest => "attachment_request",
            LetterReason::Advisor => "advisor",
        }
    }
}

/// The company's letter waiting to be printed or posted, if any.
///
/// # Errors
/// The driver's error.
pub async fn pending_letter(conn: &impl ConnectionTrait, company_id: i64) -> Result<Option<Letter>, DbErr> {
    activation_letter::Entity::find()
        .filter(activation_letter::Column::CompanyId.eq(company_id))
        .filter(activation_letter::Column::Status.is_in(["queued", "batched"]))
        .one(conn)
        .await
}

/// The company's letter waiting for a batch, if any.
///
/// # Errors
/// The driver's error.
pub async fn queued_letter(conn: &impl ConnectionTrait, company_id: i64) -> Result<Option<Letter>, DbErr> {
    activation_letter::Entity::find()
        .filter(activation_letter::Column::CompanyId.eq(company_id))
        .filter(activation_letter::Column::Status.eq("queued"))
        .one(conn)
        .await
}

/// The company's live code (sent, unused, unexpired, not replaced), as its expiry.
///
/// # Errors
/// The driver's error.
pub async fn live_code_expiry(
    conn: &impl ConnectionTrait,
    company_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(activation_code::Entity::find()
        .filter(activation_code::Column::CompanyId.eq(company_id))
        .filter(activation_code::Column::UsedAt.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .filter(activation_code::Column::ExpiresAt.gt(now))
        .order_by_desc(activation_code::Column::ExpiresAt)
        .one(conn)
        .await?
        .map(|c| c.expires_at))
}

/// Queues a letter to the company's head office.
///
/// # Errors
/// The driver's error.
pub async fn queue_letter(
    conn: &impl ConnectionTrait,
    company_id: i64,
    requested_by: Option<i64>,
    reason: LetterReason,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = activation_letter::ActiveModel {
        company_id: Set(company_id),
        requested_by: Set(requested_by),
        reason: Set(reason.code().to_owned()),
        status: Set("queued".to_owned()),
        batch_id: Set(None),
        created_at: Set(now),
        posted_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// Letters waiting for a batch, oldest first.
///
/// # Errors
/// The driver's error.
pub async fn queued_letters(conn: &impl ConnectionTrait) -> Result<Vec<Letter>, DbErr> {
    activation_letter::Entity::find()
        .filter(activation_letter::Column::Status.eq("queued"))
        .order_by_asc(activation_letter::Column::Id)
        .all(conn)
        .await
}

/// Creates a batch of every queued letter (at most `limit`) and the job that prepares it.
/// Returns the batch id, or `None` when no letter waits.
///
/// # Errors
/// The driver's error.
pub async fn create_batch(
    conn: &impl ConnectionTrait,
    by: i64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let letters: Vec<i64> = activation_letter::Entity::find()
        .filter(activation_letter::Column::Status.eq("queued"))
        .order_by_asc(activation_letter::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    if letters.is_empty() {
        return Ok(None);
    }
    let batch = letter_batch::ActiveModel {
        status: Set("preparing".to_owned()),
        letter_count: Set(i64::try_from(letters.len()).unwrap_or(i64::MAX)),
        pdf: Set(None),
        created_at: Set(now),
        created_by: Set(Some(by)),
        ready_at: Set(None),
        posted_at: Set(None),
        posted_by: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    activation_letter::Entity::update_many()
        .col_expr(activation_letter::Column::Status, "batched".into())
        .col_expr(activation_letter::Column::BatchId, batch.id.into())
        .filter(activation_letter::Column::Id.is_in(letters))
        .filter(activation_letter::Column::Status.eq("queued"))
        .exec(conn)
        .await?;
    crate::job::enqueue(conn, BATCH_JOB, &batch.id.to_string(), &serde_json::json!({ "batch_id": batch.id }), now)
        .await?;
    Ok(Some(batch.id))
}

/// The letters of a batch, in order.
///
/// # Errors
/// The driver's error.
pub async fn batch_letters(conn: &impl ConnectionTrait, batch_id: i64) -> Result<Vec<Letter>, DbErr> {
    activation_letter::Entity::find()
        .filter(activation_letter::Column::BatchId.eq(batch_id))
        .order_by_asc(activation_letter::Column::Id)
        .all(conn)
        .await
}

/// A batch by id.
///
/// # Errors
/// The driver's error.
pub async fn batch(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Batch>, DbErr> {
    letter_batch::Entity::find_by_id(id).one(conn).await
}

/// Recent batches, newest first, without their PDF.
///
/// # Errors
/// The driver's error.
pub async fn batches(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Batch>, DbErr> {
    Ok(letter_batch::Entity::find()
        .order_by_desc(letter_batch::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|mut b| {
            b.pdf = None;
            b
        })
        .collect())
}

/// Stores a new code for a letter, replacing every earlier unused code of the company (a new
/// letter invalidates the previous one) and any earlier code drawn for this same letter (a
/// batch prepared again after a crash).
///
/// # Errors
/// The driver's error.
pub async fn store_code(
    conn: &impl ConnectionTrait,
    company_id: i64,
    letter_id: i64,
    code_digest: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, now.into())
        .filter(activation_code::Column::CompanyId.eq(company_id))
        .filter(activation_code::Column::UsedAt.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    activation_code::ActiveModel {
        company_id: Set(company_id),
        letter_id: Set(letter_id),
        code_hash: Set(code_digest.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        used_by: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Stores the rendered PDF of a batch and marks it ready for download.
///
/// # Errors
/// The driver's error.
pub async fn batch_ready(
    conn: &impl ConnectionTrait,
    batch_id: i64,
    pdf: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    letter_batch::ActiveModel {
        id: Set(batch_id),
        status: Set("ready".to_owned()),
        pdf: Set(Some(pdf)),
        ready_at: Set(Some(now)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Marks a ready batch posted and erases its PDF. Returns whether it was ready.
///
/// # Errors
/// The driver's error.
pub async fn mark_posted(
    conn: &impl ConnectionTrait,
    batch_id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = letter_batch::Entity::update_many()
        .col_expr(letter_batch::Column::Status, "posted".into())
        .col_expr(letter_batch::Column::Pdf, Option::<Vec<u8>>::None.into())
        .col_expr(letter_batch::Column::PostedAt, now.into())
        .col_expr(letter_batch::Column::PostedBy, by.into())
        .filter(letter_batch::Column::Id.eq(batch_id))
        .filter(letter_batch::Column::Status.eq("ready"))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    activation_letter::Entity::update_many()
        .col_expr(activation_letter::Column::Status, "posted".into())
        .col_expr(activation_letter::Column::PostedAt, now.into())
        .filter(activation_letter::Column::BatchId.eq(batch_id))
        .exec(conn)
        .await?;
    Ok(true)
}

/// A code found by digest for a company.
pub type Code = activation_code::Model;

/// The company's code with this digest, if any (whatever its state).
///
/// # Errors
/// The driver's error.
pub async fn find_code(conn: &impl ConnectionTrait, company_id: i64, digest: &str) -> Result<Option<Code>, DbErr> {
    activation_code::Entity::find()
        .filter(activation_code::Column::CompanyId.eq(company_id))
        .filter(activation_code::Column::CodeHash.eq(digest))
        .one(conn)
        .await
}

/// Marks a code used by `user_id`; of two simultaneous uses exactly one wins.
///
/// # Errors
/// The driver's error.
pub async fn use_code(conn: &impl ConnectionTrait, id: i64, user_id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let changed = activation_code::Entity::update_many()
        .col_expr(activation_code::Column::UsedAt, now.into())
        .col_expr(activation_code::Column::UsedBy, user_id.into())
        .filter(activation_code::Column::Id.eq(id))
        .filter(activation_code::Column::UsedAt.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Records an attempt to enter a code.
///
/// # Errors
/// The driver's error.
pub async fn record_attempt(
    conn: &impl ConnectionTrait,
    user_id: i64,
    company_id: Option<i64>,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    activation_attempt::ActiveModel {
        user_id: Set(user_id),
        company_id: Set(company_id),
        attempted_at: Set(now),
        succeeded: Set(succeeded),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// This person's failed attempts since `since`: for this company, and in all.
///
/// # Errors
/// The driver's error.
pub async fn own_failures(
    conn: &impl ConnectionTrait,
    user_id: i64,
    company_id: Option<i64>,
    since: DateTime<Utc>,
) -> Result<OwnFailures, DbErr> {
    let base = || {
        activation_attempt::Entity::find()
            .filter(activation_attempt::Column::Succeeded.eq(false))
            .filter(activation_attempt::Column::UserId.eq(user_id))
            .filter(activation_attempt::Column::AttemptedAt.gt(since))
    };
    let in_all = base().count(conn).await?;
    let on_company = match company_id {
        Some(id) => base().filter(activation_attempt::Column::CompanyId.eq(id)).count(conn).await?,
        None => 0,
    };
    Ok(OwnFailures { on_company, in_all })
}

/// One person's wrong codes for a company, as staff see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCodes {
    /// Who typed them.
    pub user_id: i64,
    /// How many.
    pub count: u64,
    /// The first one.
    pub first_at: DateTime<Utc>,
    /// The latest one.
    pub last_at: DateTime<Utc>,
}

/// Wrong codes entered for a company since `since`, per person, most recent first (at most
/// `limit` people).
///
/// # Errors
/// The driver's error.
pub async fn failed_codes_on_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
    since: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<FailedCodes>, DbErr> {
    let attempts = activation_attempt::Entity::find()
        .filter(activation_attempt::Column::CompanyId.eq(company_id))
        .filter(activation_attempt::Column::Succeeded.eq(false))
        .filter(activation_attempt::Column::AttemptedAt.gt(since))
        .order_by_desc(activation_attempt::Column::AttemptedAt)
        .order_by_desc(activation_attempt::Column::Id)
        .limit(1000)
        .all(conn)
        .await?;
    let mut people: Vec<FailedCodes> = Vec::new();
    for attempt in attempts {
        match people.iter_mut().find(|p| p.user_id == attempt.user_id) {
            Some(person) => {
                person.count += 1;
                person.first_at = attempt.attempted_at;
            }
            None => people.push(FailedCodes {
                user_id: attempt.user_id,
                count: 1,
                first_at: attempt.attempted_at,
                last_at: attempt.attempted_at,
            }),
        }
    }
    people.truncate(limit);
    Ok(people)
}

// --- The letters as a bounded list (SPEC Q5).

/// Filters of the letters list.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    /// Only letters in this state (`queued`, `batched`, `posted`).
    pub status: Option<&'static str>,
    /// Only letters to this company.
    pub company: Option<i64>,
    /// Requested at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Requested before this instant.
    pub before: Option<DateTime<Utc>>,
}

/// The states a letter goes through, with their French labels.
pub const LETTER_STATES: [(&str, &str); 3] =
    [("queued", "en attente d’un lot"), ("batched", "dans un lot à poster"), ("posted", "posté")];

/// The French label of a letter's state.
#[must_use]
pub fn letter_state_label(code: &str) -> &'static str {
    LETTER_STATES.iter().find(|(c, _)| *c == code).map_or("inconnu", |(_, label)| label)
}

/// The letters' order: newest request first, by id.
#[derive(Debug, Clone, Copy)]
pub struct LettersNewestFirst;

impl crate::listing::Keyset<activation_letter::Entity> for LettersNewestFirst {
    fn order(&self, query: sea_orm::Select<activation_letter::Entity>) -> sea_orm::Select<activation_letter::Entity> {
        query.order_by_desc(activation_letter::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<activation_letter::Entity>,
        cursor: crate::listing::Cursor,
    ) -> sea_orm::Select<activation_letter::Entity> {
        query.filter(activation_letter::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Letter) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

fn letters_query(filter: &LetterFilter) -> sea_orm::Select<activation_letter::Entity> {
    let mut query = activation_letter::Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(activation_letter::Column::Status.eq(status));
    }
    if let Some(company) = filter.company {
        query = query.filter(activation_letter::Column::CompanyId.eq(company));
    }
    if let Some(since) = filter.since {
        query = query.filter(activation_letter::Column::CreatedAt.gte(since));
    }
    if let Some(before) = filter.before {
        query = query.filter(activation_letter::Column::CreatedAt.lt(before));
    }
    query
}

/// One window of the letters, newest first, with the count.
///
/// # Errors
/// The driver's error.
pub async fn letters_window(
    conn: &impl ConnectionTrait,
    filter: &LetterFilter,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<Letter>, DbErr> {
    crate::listing::window(conn, letters_query(filter), &LettersNewestFirst, window).await
}

/// One export chunk of the letters (as [`letters_window`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn letters_chunk(
    conn: &impl ConnectionTrait,
    filter: &LetterFilter,
    after: Option<crate::listing::Cursor>,
) -> Result<(Vec<Letter>, Option<crate::listing::Cursor>), DbErr> {
    crate::listing::chunk(conn, letters_query(filter), &LettersNewestFirst, after, crate::listing::EXPORT_CHUNK).await
}

/// How many letters wait for a batch.
///
/// # Errors
/// The driver's error.
pub async fn queued_count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    activation_letter::Entity::find().filter(activation_letter::Column::Status.eq("queued")).count(conn).await
}

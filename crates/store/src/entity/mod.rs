//! Database entities, one module per table. They stay inside the store: callers get the plain
//! row types re-exported by the query modules.

pub mod activation_attempt;
pub mod activation_code;
pub mod activation_letter;
pub mod api_token;
pub mod app_user;
pub mod attachment;
pub mod audit_event;
pub mod bank_account;
pub mod company;
pub mod document;
pub mod dossier;
pub mod dossier_event;
pub mod drf;
pub mod establishment;
pub mod habilitation;
pub mod invoice;
pub mod job;
pub mod legacy_account;
pub mod legacy_dossier;
pub mod letter_batch;
pub mod login_attempt;
pub mod notification;
pub mod outbox_message;
pub mod proforma;
pub mod proforma_line;
pub mod reimbursement;
pub mod reimbursement_line;
pub mod scheme_setting;
pub mod trainee;
pub mod trusted_device;
pub mod user_session;
pub mod user_token;

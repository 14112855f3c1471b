//! Database entities, one module per table. They stay inside the store: callers get the plain
//! row types re-exported by the query modules.

pub mod api_token;
pub mod app_user;
pub mod audit_event;
pub mod job;
pub mod login_attempt;
pub mod outbox_message;
pub mod trusted_device;
pub mod user_session;
pub mod user_token;

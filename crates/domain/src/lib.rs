//! The rules of espace-formation, as pure functions and types.
//!
//! This crate decides; it never reads a clock, a file, a socket or a database. Callers pass the
//! facts and the date ("as of") and get back a decision or a typed error whose `Display` is the
//! French message shown to users, naming the field at fault.

pub mod activation;
pub mod announcement;
pub mod bank;
pub mod clock;
pub mod dossier;
pub mod email;
pub mod habilitation;
pub mod help;
pub mod ident;
pub mod identity;
pub mod invoice;
pub mod legacy;
pub mod mail_limit;
pub mod money;
pub mod password;
pub mod payment;
pub mod payout;
pub mod proforma;
pub mod rate_limit;
pub mod reimbursement;
pub mod role;
pub mod rules;
pub mod scope;
pub mod session;
pub mod settlement;
pub mod throttle;
pub mod token;

pub use email::Email;
pub use ident::{Iban, Nda, Siren, Siret};
pub use money::Money;
pub use role::Role;

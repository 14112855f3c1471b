//! What espace-formation emits for people to read outside the portal: e-mails and activation
//! letters now; proformas, remittance advices, Factur-X and SEPA files as they come. It also reads
//! what comes back from outside: uploaded invoices and the bank's returns on our transfers.
//!
//! Rendering is pure: typed input in, bytes or text out. Sending and storing belong to the
//! callers. PDF rendering is CPU work: callers on the async runtime run it in
//! `tokio::task::spawn_blocking`.

pub mod advice;
pub mod bank_return;
pub mod facturx;
pub mod fr;
pub mod guide;
pub mod letter;
pub mod mail;
pub mod pdf;
pub mod proforma;
pub mod sepa;
pub mod upload;
mod xml_tree;

pub use advice::{AdviceLine, RemittanceAdvice, render_advice};
pub use letter::{ActivationLetter, LetterSender, render_activation_letters};
pub use pdf::PdfError;

//! What espace-formation emits for people to read outside the portal: e-mails now; activation
//! letters, proformas, remittance advices, Factur-X and SEPA files as they come.
//!
//! Rendering is pure: typed input in, bytes or text out. Sending and storing belong to the
//! callers.

pub mod fr;
pub mod mail;

//! Sending what the outbox holds: by SMTP when configured, otherwise as `.eml` files so that a
//! fresh machine needs no mail server and a developer can open each message.

use std::path::PathBuf;

use anyhow::Context as _;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use store::outbox::OutboxMessage;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A directory of `.eml` files, one per message, named by outbox id.
    Files(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Files(dir) => f.debug_tuple("Mailer::Files").field(dir).finish(),
        }
    }
}

impl Mailer {
    /// The mailer the configuration asks for.
    ///
    /// # Errors
    /// When the SMTP URL cannot be understood.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => Ok(Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("ESPACE_SMTP_URL n’est pas une adresse SMTP valide")?
                    .build(),
            )),
            None => Ok(Mailer::Files(config.outbox_dir())),
        }
    }

    /// Sends one outbox message. Writing a file is idempotent (same name, replaced atomically);
    /// SMTP may deliver twice if the worker dies between sending and recording, which mail
    /// clients de-duplicate by `Message-ID`.
    ///
    /// # Errors
    /// When the message cannot be built, written or handed to the relay.
    pub async fn send(&self, from: &str, message: &OutboxMessage) -> anyhow::Result<()> {
        let domain = from.rsplit_once('@').map_or("espace-formation.localhost", |(_, d)| d.trim_end_matches('>'));
        let message_id = format!("<outbox-{}@{domain}>", message.id);
        let email = documents::mail::to_message(
            from,
            &message.to_address,
            &message.subject,
            &message.body_text,
            &message.body_html,
            &message_id,
        )?;
        match self {
            Mailer::Smtp(transport) => {
                transport.send(email).await.context("le relais SMTP a refusé le message")?;
            }
            Mailer::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("impossible de créer {}", dir.display()))?;
                let path = dir.join(format!("{:08}.eml", message.id));
                let temp = dir.join(format!(".{:08}.eml.tmp", message.id));
                tokio::fs::write(&temp, email.formatted())
                    .await
                    .with_context(|| format!("impossible d’écrire {}", temp.display()))?;
                // Flushed before the outbox row is marked sent, as uploads are before their row.
                sync_file(&temp).await.with_context(|| format!("impossible d’écrire {}", temp.display()))?;
                tokio::fs::rename(&temp, &path)
                    .await
                    .with_context(|| format!("impossible d’écrire {}", path.display()))?;
                store::document::sync_dir(dir)
                    .await
                    .with_context(|| format!("impossible d’écrire {}", dir.display()))?;
            }
        }
        Ok(())
    }
}

/// Flushes a file's bytes to disk.
async fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    tokio::fs::File::open(path).await?.sync_all().await
}

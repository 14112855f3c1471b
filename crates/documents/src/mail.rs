//! Transactional e-mails, each in plain text and HTML, in French.

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};

use crate::fr;

/// The kinds of e-mail, stored with each outbox message: an address receives only a few of one
/// kind per hour (`domain::mail_limit`). Notifications are `notification.` and their event code.
pub mod kind {
    /// Confirms a new address.
    pub const VERIFY_EMAIL: &str = "account.verify_email";
    /// Tells an owner their address was registered again.
    pub const ALREADY_REGISTERED: &str = "account.already_registered";
    /// A password-reset link.
    pub const PASSWORD_RESET: &str = "password.reset";
    /// Warns that the password changed.
    pub const PASSWORD_CHANGED: &str = "password.changed";
    /// Invites a person an advisor registered.
    pub const INVITATION: &str = "account.invitation";
}

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// What kind of e-mail it is (`password.reset`…): an address receives only a few of one
    /// kind per hour.
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// What every message shows: who sends it and where the portal is.
#[derive(Debug, Clone)]
pub struct Sender<'a> {
    /// The operator's name, shown in the signature.
    pub operator: &'a str,
    /// The portal's public address, without trailing slash.
    pub portal_url: &'a str,
}

/// Why a message could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A template failed.
    #[error("rendu du courriel impossible : {0}")]
    Render(#[from] askama::Error),
    /// An address or header was refused.
    #[error("courriel invalide : {0}")]
    Build(String),
}

macro_rules! mail_templates {
    ($text:ident = $text_path:literal, $html:ident = $html_path:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> { sender: &'a Sender<'a>, $($field: $ty),* }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> { sender: &'a Sender<'a>, $($field: $ty),* }
    };
}

mail_templates!(VerifyText = "mail/verify_email.txt", VerifyHtml = "mail/verify_email.html", { name: &'a str, link: &'a str, expires: String });
mail_templates!(AlreadyText = "mail/already_registered.txt", AlreadyHtml = "mail/already_registered.html", { name: &'a str, login_link: String, reset_link: String });
mail_templates!(ResetText = "mail/password_reset.txt", ResetHtml = "mail/password_reset.html", { name: &'a str, link: &'a str, expires: String });
mail_templates!(NoticeText = "mail/notification.txt", NoticeHtml = "mail/notification.html", { name: &'a str, title: &'a str, body: &'a str, link: Option<&'a str> });
mail_templates!(InviteText = "mail/invitation.txt", InviteHtml = "mail/invitation.html", { name: &'a str, company: &'a str, link: &'a str, expires: String });
mail_templates!(ChangedText = "mail/password_changed.txt", ChangedHtml = "mail/password_changed.html", { name: &'a str, when: String, reset_link: String });

/// Asks a new person to confirm their address.
///
/// # Errors
/// [`MailError::Render`].
pub fn verify_email(sender: &Sender<'_>, name: &str, link: &str, expires_at: DateTime<Utc>) -> Result<Mail, MailError> {
    let expires = fr::date_time(expires_at);
    Ok(Mail {
        kind: kind::VERIFY_EMAIL.to_owned(),
        subject: format!("Confirmez votre adresse e-mail – {}", sender.operator),
        text: VerifyText { sender, name, link, expires: expires.clone() }.render()?,
        html: VerifyHtml { sender, name, link, expires }.render()?,
    })
}

/// Tells the owner of an address that someone tried to register it again, without telling the
/// person who tried.
///
/// # Errors
/// [`MailError::Render`].
pub fn already_registered(sender: &Sender<'_>, name: &str) -> Result<Mail, MailError> {
    let login_link = format!("{}/connexion", sender.portal_url);
    let reset_link = format!("{}/mot-de-passe-oublie", sender.portal_url);
    Ok(Mail {
        kind: kind::ALREADY_REGISTERED.to_owned(),
        subject: format!("Vous avez déjà un compte – {}", sender.operator),
        text: AlreadyText { sender, name, login_link: login_link.clone(), reset_link: reset_link.clone() }.render()?,
        html: AlreadyHtml { sender, name, login_link, reset_link }.render()?,
    })
}

/// Sends a password-reset link.
///
/// # Errors
/// [`MailError::Render`].
pub fn password_reset(
    sender: &Sender<'_>,
    name: &str,
    link: &str,
    expires_at: DateTime<Utc>,
) -> Result<Mail, MailError> {
    let expires = fr::date_time(expires_at);
    Ok(Mail {
        kind: kind::PASSWORD_RESET.to_owned(),
        subject: format!("Réinitialisation de votre mot de passe – {}", sender.operator),
        text: ResetText { sender, name, link, expires: expires.clone() }.render()?,
        html: ResetHtml { sender, name, link, expires }.render()?,
    })
}

/// Warns that the password changed, so that a change the owner did not make is noticed.
///
/// # Errors
/// [`MailError::Render`].
pub fn password_changed(sender: &Sender<'_>, name: &str, at: DateTime<Utc>) -> Result<Mail, MailError> {
    let when = fr::date_time(at);
    let reset_link = format!("{}/mot-de-passe-oublie", sender.portal_url);
    Ok(Mail {
        kind: kind::PASSWORD_CHANGED.to_owned(),
        subject: format!("Votre mot de passe a été modifié – {}", sender.operator),
        text: ChangedText { sender, name, when: when.clone(), reset_link: reset_link.clone() }.render()?,
        html: ChangedHtml { sender, name, when, reset_link }.render()?,
    })
}

/// A notification of the bell, for people who asked to receive them by e-mail too; `kind` is
/// the notification's event code.
///
/// # Errors
/// [`MailError::Render`].
pub fn notification(
    sender: &Sender<'_>,
    kind: &str,
    name: &str,
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<Mail, MailError> {
    Ok(Mail {
        kind: format!("notification.{kind}"),
        subject: format!("{title} – {}", sender.operator),
        text: NoticeText { sender, name, title, body, link }.render()?,
        html: NoticeHtml { sender, name, title, body, link }.render()?,
    })
}

/// Invites a person whose account an advisor created to choose a password.
///
/// # Errors
/// [`MailError::Render`].
pub fn invitation(
    sender: &Sender<'_>,
    name: &str,
    company: &str,
    link: &str,
    expires_at: DateTime<Utc>,
) -> Result<Mail, MailError> {
    let expires = fr::date_time(expires_at);
    Ok(Mail {
        kind: kind::INVITATION.to_owned(),
        subject: format!("Votre compte sur l’espace formation – {}", sender.operator),
        text: InviteText { sender, name, company, link, expires: expires.clone() }.render()?,
        html: InviteHtml { sender, name, company, link, expires }.render()?,
    })
}

/// Builds the RFC 5322 message (multipart/alternative: text, then HTML).
///
/// # Errors
/// [`MailError::Build`] when an address is not valid.
pub fn to_message(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
    message_id: &str,
) -> Result<lettre::Message, MailError> {
    let from: Mailbox = from.parse().map_err(|e| MailError::Build(format!("expéditeur « {from} » : {e}")))?;
    let to: Mailbox = to.parse().map_err(|e| MailError::Build(format!("destinataire « {to} » : {e}")))?;
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(text.to_owned(), html.to_owned()))
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SENDER: Sender<'static> = Sender { operator: "OPCO Démo", portal_url: "https://portail.exemple.fr" };

    #[test]
    fn verification_mail_has_link_and_paris_expiry_in_both_parts() {
        let at = Utc.with_ymd_and_hms(2026, 1, 8, 9, 0, 0).unwrap();
        let mail =
            verify_email(&SENDER, "Marie <Dupont>", "https://portail.exemple.fr/inscription/verifier?jeton=abc", at)
                .unwrap();
        assert!(mail.subject.starts_with("Confirmez votre adresse"));
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("jeton=abc"), "{body}");
            assert!(body.contains("08/01/2026 à 10:00"), "{body}");
        }
        // The HTML part escapes what people typed; the text part keeps it as typed.
        assert!(
            mail.html.contains("Marie &#60;Dupont&#62;") || mail.html.contains("Marie &lt;Dupont&gt;"),
            "{}",
            mail.html
        );
        assert!(mail.text.contains("Marie <Dupont>"));
    }

    #[test]
    fn message_is_multipart_alternative() {
        let message = to_message(
            "Portail <noreply@exemple.fr>",
            "marie@exemple.fr",
            "Objet é",
            "texte",
            "<p>html</p>",
            "<1@exemple.fr>",
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Message-ID: <1@exemple.fr>"));
        assert!(to_message("pas une adresse", "marie@exemple.fr", "s", "t", "h", "<1@x>").is_err());
    }
}

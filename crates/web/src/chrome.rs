//! What every page shows around its content: the operator, the signed-in person, the navigation
//! and a one-line notice after an action.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::Role;

use crate::auth::{CurrentUser, MaybeUser};
use crate::error::AppError;
use crate::policy::{self, Permission};
use crate::state::AppState;

/// The frame of a page.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The operator's and FPE-TT's names, for the header and every text naming a payer.
    pub names: domain::identity::Names,
    /// The signed-in person, if any.
    pub user: Option<UserChip>,
    /// A confirmation to show at the top of the page.
    pub notice: Option<&'static str>,
    /// The path of the page, to mark the current navigation entry.
    pub path: String,
    /// A demonstration instance.
    pub demo: bool,
    /// Unread notifications of the signed-in person.
    pub unread: u64,
}

/// The signed-in person as the header shows them.
#[derive(Debug, Clone)]
pub struct UserChip {
    /// "Prénom Nom".
    pub name: String,
    /// Their address.
    pub email: String,
    /// Their role, in French.
    pub role_label: &'static str,
    /// Whether to show the back-office entry.
    pub staff: bool,
    /// Whether to show the audit log entry.
    pub audit: bool,
}

impl From<&CurrentUser> for UserChip {
    fn from(user: &CurrentUser) -> Self {
        let role: Role = user.account.role;
        Self {
            name: user.account.display_name(),
            email: user.account.email.to_string(),
            role_label: role.label(),
            staff: policy::allows(role, Permission::StaffArea),
            audit: policy::allows(role, Permission::AuditLog),
        }
    }
}

impl Chrome {
    /// The frame of a page rendered outside a handler (error pages).
    #[must_use]
    pub fn bare() -> Self {
        Self::default()
    }

    /// Whether `prefix` is the current section, for `aria-current`.
    #[must_use]
    pub fn is_current(&self, prefix: &str) -> bool {
        if prefix == "/" { self.path == "/" } else { self.path.starts_with(prefix) }
    }
}

/// Confirmations shown after an action redirects. The query carries only a code, so nothing a
/// third party writes in a link can appear on the page.
#[must_use]
pub fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "deconnecte" => "Vous êtes déconnecté. À bientôt !",
        "mot-de-passe-modifie" => "Votre mot de passe a été modifié. Vos autres sessions ont été fermées.",
        "mot-de-passe-reinitialise" => "Votre mot de passe a été changé. Connectez-vous avec le nouveau.",
        "mot-de-passe-modifie-jetons" => {
            "Votre mot de passe a été modifié. Vos autres sessions ont été fermées et vos jetons d’API ont été révoqués : créez-en de nouveaux pour vos programmes."
        }
        "mot-de-passe-reinitialise-jetons" => {
            "Votre mot de passe a été changé et vos jetons d’API ont été révoqués. Connectez-vous avec le nouveau mot de passe."
        }
        "session-fermee" => "La session a été fermée.",
        "sessions-fermees" => "Toutes vos autres sessions ont été fermées.",
        "jeton-revoque" => "Le jeton a été révoqué : il ne permet plus d’accéder à l’API.",
        "connecte" => "Vous êtes connecté.",
        "aide" => "La question est enregistrée ; l’aide publique la montre telle quelle.",
        "annonce" => "L’annonce est publiée pour les branches et régions choisies.",
        "contacts" => "Les contacts de l’entreprise sont enregistrés.",
        "demande-envoyee" => {
            "Votre demande de rattachement a été transmise à l’administrateur de l’entreprise. Vous serez prévenu de sa réponse."
        }
        "demande-courrier" => {
            "Votre entreprise n’a pas encore d’administrateur sur le portail : un courrier avec un code d’activation va être envoyé à son siège. La personne désignée par l’entreprise saisira ce code dans « Mes entreprises › Activer avec un code »."
        }
        "demande-courrier-deja" => {
            "Votre entreprise n’a pas encore d’administrateur : un courrier avec un code d’activation lui a déjà été envoyé. Demandez à votre siège de saisir ce code dans « Mes entreprises › Activer avec un code »."
        }
        "demande-existante" => "Vous avez déjà une demande en cours ou un rattachement pour ce périmètre.",
        "administrateur" => {
            "Code accepté : vous êtes administrateur de l’entreprise. Validez maintenant les demandes de rattachement."
        }
        "demande-validee" => "La demande a été validée.",
        "demande-refusee" => "La demande a été refusée ; la personne en est informée.",
        "habilitations" => {
            "Les habilitations ont été enregistrées. Elles s’appliquent dès la prochaine page ouverte par la personne."
        }
        "rattachement-retire" => "Le rattachement a été retiré.",
        "administrateur-designe" => "La personne est désormais administrateur de l’entreprise.",
        "administrateur-retire" => "La personne n’est plus administrateur de l’entreprise.",
        "profil" => "Les informations de l’entreprise ont été enregistrées.",
        "banque" => {
            "Les coordonnées bancaires ont été enregistrées. Les administrateurs de l’entreprise en sont informés."
        }
        "banque-en-attente" => {
            "Le nouveau compte est enregistré : il prendra effet à la date indiquée, après le délai de sécurité. \
             Les administrateurs de l’entreprise et son conseiller en sont informés ; tout administrateur peut \
             l’annuler d’ici là."
        }
        "banque-annulee" => {
            "Le changement de coordonnées bancaires est annulé. Les administrateurs et le conseiller en sont informés."
        }
        "preferences" => "Vos préférences de notification ont été enregistrées.",
        "entreprise-creee" => "L’entreprise a été créée.",
        "etablissement-ajoute" => "L’établissement a été ajouté.",
        "courrier" => "Un nouveau courrier d’activation est en attente d’envoi ; il remplacera le code précédent.",
        "utilisateur-cree" => {
            "Le compte a été créé et rattaché ; la personne reçoit un e-mail pour choisir son mot de passe."
        }
        "utilisateur-rattache" => "La personne a été rattachée à l’entreprise.",
        "lot-prepare" => "Le lot de courriers est en préparation ; il sera prêt à télécharger dans quelques instants.",
        "lot-poste" => "Le lot est marqué comme posté ; son fichier a été effacé.",
        "edi" => "Le statut EDI de l’entreprise a été enregistré.",
        "drf-deposee" => "Votre réservation de fonds est déposée. Vous serez prévenu de la décision de l’opérateur.",
        "dossier-depuis-drf" => {
            "Le dossier est créé à partir de la réservation de fonds : vérifiez-le, puis déposez-le."
        }
        "dossier-depose" => "Le dossier est déposé. Vous serez prévenu de chaque décision.",
        "brouillon" => "Le brouillon est enregistré : vous pourrez le compléter et le déposer plus tard.",
        "duplique" => "Le dossier a été dupliqué : adaptez ce nouveau brouillon, puis déposez-le.",
        "reponse-envoyee" => "Votre réponse est transmise au gestionnaire.",
        "decision" => "La décision est enregistrée et l’entreprise en est informée.",
        "accord" => "La convention est enregistrée.",
        _ => return None,
    })
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        let notice = parts
            .uri
            .query()
            .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "notice"))
            .and_then(|(_, v)| notice_text(&v));
        let unread = user.as_ref().map_or(0, |user| user.unread);
        Ok(Chrome {
            unread,
            names: state.config.names.clone(),
            user: user.as_ref().map(UserChip::from),
            notice,
            path: parts.uri.path().to_owned(),
            demo: state.config.demo,
        })
    }
}

//! Who is on the other end of a request: address, browser, request id.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::state::AppState;

/// The client of a request, for audit entries, throttling and the sessions list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Client address (from the socket, or from the proxy's `X-Forwarded-For` when trusted).
    pub ip: String,
    /// The browser's `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id, also in the logs.
    pub request_id: Option<String>,
}

impl Client {
    /// Where the request came from, for the audit log.
    #[must_use]
    pub fn origin(&self) -> store::audit::Origin {
        store::audit::Origin { ip: Some(self.ip.clone()), request_id: self.request_id.clone() }
    }
}

/// The client address of a request.
#[must_use]
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        // Our proxy appends the address it saw; earlier entries are whatever the client claimed.
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(ip) = forwarded.and_then(|v| v.parse::<std::net::IpAddr>().ok()) {
            return ip.to_string();
        }
    }
    peer.map_or_else(|| "inconnue".to_owned(), |addr| addr.ip().to_string())
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let header_text = |name| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Client {
            ip: client_ip(&parts.headers, peer, state.config.trust_forwarded_for),
            user_agent: header_text(header::USER_AGENT),
            request_id: header_text(header::HeaderName::from_static("x-request-id")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_used_only_when_trusted_and_only_its_last_entry() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let peer = Some("10.0.0.2:5000".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, true), "203.0.113.9");
        assert_eq!(client_ip(&headers, peer, false), "10.0.0.2");
        assert_eq!(client_ip(&HeaderMap::new(), None, false), "inconnue");
    }
}

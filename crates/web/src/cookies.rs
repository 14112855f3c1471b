//! Reading and writing our cookies.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite, time::Duration};

use crate::state::WebConfig;

/// The value of the cookie `name` in a request.
#[must_use]
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn build(
    config: &WebConfig,
    name: &'static str,
    value: String,
    same_site: SameSite,
    max_age: Option<Duration>,
) -> HeaderValue {
    let mut cookie =
        Cookie::build((name, value)).path("/").http_only(true).secure(config.secure_cookies).same_site(same_site);
    if let Some(max_age) = max_age {
        cookie = cookie.max_age(max_age);
    }
    // Cookie names and base64url values are plain ASCII, so this cannot fail; an empty value
    // would only log the user out.
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` for a new session. A browser-session cookie (no `Max-Age`): closing the browser
/// on a shared computer forgets it; the server ends it anyway at the idle or absolute limit.
#[must_use]
pub fn session(config: &WebConfig, secret: &str) -> HeaderValue {
    build(config, config.session_cookie(), secret.to_owned(), SameSite::Lax, None)
}

/// `Set-Cookie` that removes the session cookie.
#[must_use]
pub fn clear_session(config: &WebConfig) -> HeaderValue {
    build(config, config.session_cookie(), String::new(), SameSite::Lax, Some(Duration::ZERO))
}

/// Most device cookies a browser keeps (one per account used on it).
pub const MAX_DEVICES: usize = 5;

/// The trusted-device secrets a browser presents.
#[must_use]
pub fn read_devices(headers: &HeaderMap, config: &WebConfig) -> Vec<String> {
    read(headers, config.device_cookie())
        .map(|v| v.split('.').filter(|s| !s.is_empty()).take(MAX_DEVICES).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `Set-Cookie` for the trusted-device secrets, newest first, kept for 180 days.
#[must_use]
pub fn devices(config: &WebConfig, secrets: &[String]) -> HeaderValue {
    let value = secrets.iter().take(MAX_DEVICES).cloned().collect::<Vec<_>>().join(".");
    build(config, config.device_cookie(), value, SameSite::Strict, Some(Duration::days(180)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_flags() {
        let mut config = WebConfig::new("http://127.0.0.1:8080");
        let plain = session(&config, "abc").to_str().unwrap().to_owned();
        assert!(plain.starts_with("ef_session=abc"));
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax") && plain.contains("Path=/"));
        assert!(!plain.contains("Secure") && !plain.contains("Max-Age"));
        config.secure_cookies = true;
        let secure = session(&config, "abc").to_str().unwrap().to_owned();
        assert!(secure.starts_with("__Host-ef_session=abc") && secure.contains("Secure"));
    }

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; ef_session=xyz; b=2".parse().unwrap());
        assert_eq!(read(&headers, "ef_session"), Some("xyz"));
        assert_eq!(read(&headers, "ef"), None);
    }
}

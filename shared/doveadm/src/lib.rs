//! Client of Dovecot's doveadm HTTP API (`POST /doveadm/v1`), as backends and `cluster-sim` speak
//! it: one command per request, every failure a typed [`DoveadmError`] that says whether a retry
//! can help. It never decides what to do about a failure, and it never logs a secret.

mod auth;
mod client;
mod commands;
mod error;

pub use auth::Auth;
pub use client::Client;
pub use error::{
    DoveadmError, EX_CANTCREAT, EX_CONFIG, EX_DATAERR, EX_EXPIRED, EX_IOERR, EX_NOHOST, EX_NOINPUT, EX_NOPERM,
    EX_NOREPLICATE, EX_NOTFOUND, EX_NOTPOSSIBLE, EX_NOUSER, EX_OK, EX_OSERR, EX_OSFILE, EX_PROTOCOL, EX_SOFTWARE,
    EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE,
};

/// The base URL of a backend's doveadm API: the backend-scope GeoDB setting `doveadm_url` when it
/// is set to a valid http(s) URL, else `http://{host}:{default_port}`.
///
/// An invalid `doveadm_url` falls back to the default (with a warning) rather than failing: the
/// setting is validated where it is written, and a probe of the default address then reports the
/// backend's real state instead of a configuration error nobody is looking at.
pub fn backend_url(doveadm_url_setting: Option<&str>, host: &str, default_port: u16) -> String {
    if let Some(setting) = doveadm_url_setting.map(str::trim).filter(|s| !s.is_empty()) {
        match validate_base_url(setting) {
            Ok(url) => return url,
            Err(reason) => {
                tracing::warn!(host, setting, reason, "invalid doveadm_url setting, using the default address");
            }
        }
    }
    // An IPv6 literal needs brackets in a URL.
    if host.contains(':') && !host.starts_with('[') {
        format!("http://[{host}]:{default_port}")
    } else {
        format!("http://{host}:{default_port}")
    }
}

/// Checks that `setting` is an absolute http(s) URL with a host and no query or fragment, and
/// returns it without a trailing slash so `{base}/doveadm/v1` joins cleanly.
fn validate_base_url(setting: &str) -> Result<String, &'static str> {
    let url = reqwest::Url::parse(setting).map_err(|_| "not a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("scheme is not http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("has a query or fragment");
    }
    Ok(setting.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_wins_when_it_is_a_valid_http_url() {
        assert_eq!(backend_url(Some("https://be1.example:9443/"), "be1", 8080), "https://be1.example:9443");
        assert_eq!(backend_url(Some("http://10.0.0.5:8080"), "be1", 8080), "http://10.0.0.5:8080");
        assert_eq!(backend_url(Some("http://be1/prefix"), "be1", 8080), "http://be1/prefix");
    }

    #[test]
    fn without_a_usable_setting_the_host_and_default_port_are_used() {
        assert_eq!(backend_url(None, "be1.example", 8080), "http://be1.example:8080");
        assert_eq!(backend_url(Some("  "), "be1", 8080), "http://be1:8080");
        for bad in ["ftp://be1:21", "be1:8080", "http://", "http://be1:8080/?x=1", "http://be1#frag", "not a url"] {
            assert_eq!(backend_url(Some(bad), "be1", 8080), "http://be1:8080", "{bad}");
        }
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(backend_url(None, "fd00::5", 8080), "http://[fd00::5]:8080");
        assert_eq!(backend_url(None, "[fd00::5]", 8080), "http://[fd00::5]:8080");
    }
}

//! How the client proves itself to doveadm: an API key or the `doveadm` user's password. The
//! secrets never appear in `Debug` output or logs, and the header is marked sensitive.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;

/// Credentials for the doveadm HTTP API.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `doveadm_api_key`: sent as `Authorization: X-Dovecot-API <base64(key)>`.
    ApiKey(String),
    /// `doveadm_password`: sent as HTTP Basic `doveadm:<password>`.
    Password(String),
    /// No `Authorization` header (the server answers 401).
    None,
}

impl Auth {
    /// The `Authorization` header value, if any.
    pub(crate) fn header(&self) -> Option<HeaderValue> {
        let text = match self {
            Self::ApiKey(key) => format!("X-Dovecot-API {}", STANDARD.encode(key)),
            Self::Password(password) => format!("Basic {}", STANDARD.encode(format!("doveadm:{password}"))),
            Self::None => return None,
        };
        // Base64 output is always a valid header value.
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Self::Password(_) => f.write_str("Password(<redacted>)"),
            Self::None => f.write_str("None"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        for auth in [Auth::ApiKey("s3cret-key".into()), Auth::Password("s3cret-key".into())] {
            let shown = format!("{auth:?} {auth:#?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
        assert_eq!(format!("{:?}", Auth::None), "None");
    }

    #[test]
    fn headers_follow_the_documented_schemes() {
        let key = Auth::ApiKey("key".into()).header().unwrap();
        assert_eq!(key.to_str().unwrap(), "X-Dovecot-API a2V5");
        assert!(key.is_sensitive());
        let basic = Auth::Password("pw".into()).header().unwrap();
        assert_eq!(basic.to_str().unwrap(), format!("Basic {}", STANDARD.encode("doveadm:pw")));
        assert!(Auth::None.header().is_none());
    }
}

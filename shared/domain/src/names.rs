//! Validated names. Each type can only hold a value that passed its rule, so code that takes a
//! `HostName` never re-checks it. Serde goes through the same parser.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, ValidationKind};

macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `value`; the error names the field this type is usually given as.
            pub fn parse(value: &str) -> Result<Self, ValidationError> {
                $check(value)
                    .map(Self)
                    .map_err(|kind| ValidationError::new($field, kind))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

// The case rule, once: names of the cluster's parts (sites, tags, backend hosts) are
// case-insensitive and kept lower-case, so `DC1` and `dc1` are one site, as `B1.EXAMPLE` and
// `b1.example` are one host in DNS. Keys the mail platform reads (user and group names, setting
// names, as proxies and backends write and look them up in GeoDB) are kept exactly as given.

validated_string!(
    /// A site name: 1–64 of `[A-Za-z0-9._-]`, starting with a letter or digit; lower-cased.
    SiteName, "name", check_simple_name
);
validated_string!(
    /// A tag name, same rule as a site name.
    TagName, "name", check_simple_name
);
validated_string!(
    /// A backend's DNS host name (RFC 1123, lower-cased). IP literals are refused, as
    /// `doveadm cluster backend add` refuses them.
    HostName, "host", check_host_name
);
validated_string!(
    /// A user group name, unique within a site. No whitespace, control characters or `/`
    /// (GeoDB dict keys are `/`-separated).
    GroupName, "group", check_group_name
);
validated_string!(
    /// A user name as proxies see it (often `local@domain`).
    UserName, "user", check_user_name
);
validated_string!(
    /// A cluster setting name: 1–128 of `[A-Za-z0-9_.-]`, kept as given.
    SettingName, "name", check_setting_name
);

pub const SIMPLE_NAME_MAX: usize = 64;
pub const HOST_NAME_MAX: usize = 253;
pub const GROUP_NAME_MAX: usize = 128;
pub const USER_NAME_MAX: usize = 255;
pub const SETTING_NAME_MAX: usize = 128;

/// Each name kind's rule as a regular expression (ECMA-262, as JSON Schema takes it; also valid
/// for the `regex` crate and Python), for the API document. With the kind's `*_MAX` as the
/// length bound it accepts exactly what the parser accepts, which `names_test` checks, save one
/// thing no pattern says: a site, tag or host name may not read as a UUID.
pub mod patterns {
    /// Sites and tags.
    pub const SIMPLE_NAME: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
    /// RFC 1123 labels of at most 63 characters; the last starts with a letter (so no address
    /// reads as a host name); one trailing dot is allowed.
    pub const HOST_NAME: &str =
        r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$";
    /// No white space, control character or `/`.
    pub const GROUP_NAME: &str = r"^[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000/]+$";
    /// No white space or control character.
    pub const USER_NAME: &str = r"^[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$";
    pub const SETTING_NAME: &str = "^[A-Za-z0-9_.-]+$";
    /// Free text (setting values, token names, masks): no control character.
    pub const TEXT: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";
    pub const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
}

fn check_length(value: &str, max: usize) -> Result<(), ValidationKind> {
    if value.is_empty() {
        return Err(ValidationKind::Empty);
    }
    if value.chars().count() > max {
        return Err(ValidationKind::TooLong { max });
    }
    Ok(())
}

fn first_bad_char(value: &str, allowed: impl Fn(char) -> bool) -> Result<(), ValidationKind> {
    match value.chars().find(|c| !allowed(*c)) {
        Some(character) => Err(ValidationKind::InvalidCharacter { character }),
        None => Ok(()),
    }
}

/// Sites, tags and backends are named by name or by id wherever the API takes a reference, and a
/// value that reads as a UUID is an id: no name may read as one.
fn not_an_id(value: &str) -> Result<(), ValidationKind> {
    match uuid::Uuid::parse_str(value) {
        Ok(_) => Err(ValidationKind::Malformed { expected: "a name, not a UUID (a UUID names an object by id)" }),
        Err(_) => Ok(()),
    }
}

fn check_simple_name(value: &str) -> Result<String, ValidationKind> {
    check_length(value, SIMPLE_NAME_MAX)?;
    not_an_id(value)?;
    first_bad_char(value, |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))?;
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationKind::Malformed { expected: "a name starting with a letter or digit" });
    }
    Ok(value.to_ascii_lowercase())
}

fn check_host_name(value: &str) -> Result<String, ValidationKind> {
    check_length(value, HOST_NAME_MAX)?;
    not_an_id(value)?;
    let trimmed = value.strip_suffix('.').unwrap_or(value);
    if trimmed.parse::<IpAddr>().is_ok() || value.starts_with('[') {
        return Err(ValidationKind::IpLiteral);
    }
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(ValidationKind::BadLabel { reason: "empty label" });
        }
        if label.len() > 63 {
            return Err(ValidationKind::BadLabel { reason: "label longer than 63 characters" });
        }
        first_bad_char(label, |c| c.is_ascii_alphanumeric() || c == '-')?;
        if label.starts_with('-') || label.ends_with('-') {
            return Err(ValidationKind::BadLabel { reason: "label starts or ends with '-'" });
        }
    }
    // The last label starts with a letter, as top-level domains do: a name ending in a number
    // would be read as an address by resolvers.
    let last = trimmed.rsplit('.').next().unwrap_or_default();
    if last.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValidationKind::IpLiteral);
    }
    if !last.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ValidationKind::BadLabel { reason: "the last label must start with a letter" });
    }
    Ok(trimmed.to_ascii_lowercase())
}

fn check_group_name(value: &str) -> Result<String, ValidationKind> {
    check_length(value, GROUP_NAME_MAX)?;
    first_bad_char(value, |c| !c.is_whitespace() && !c.is_control() && c != '/')?;
    Ok(value.to_owned())
}

fn check_user_name(value: &str) -> Result<String, ValidationKind> {
    check_length(value, USER_NAME_MAX)?;
    first_bad_char(value, |c| !c.is_whitespace() && !c.is_control())?;
    Ok(value.to_owned())
}

fn check_setting_name(value: &str) -> Result<String, ValidationKind> {
    check_length(value, SETTING_NAME_MAX)?;
    first_bad_char(value, |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))?;
    Ok(value.to_owned())
}

impl GroupName {
    /// The name proxies give the N-th auto-created group.
    pub fn default_n(n: u32) -> Self {
        Self(format!("default-{n}"))
    }
}

/// How much of the site's load a backend should get, 0–100; 0 drains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct LoadFactor(u8);

impl LoadFactor {
    pub const MAX: LoadFactor = LoadFactor(100);
    pub const DRAIN: LoadFactor = LoadFactor(0);

    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match u8::try_from(value) {
            Ok(v) if v <= 100 => Ok(Self(v)),
            _ => Err(ValidationError::new("load_factor", ValidationKind::OutOfRange { min: 0, max: 100 })),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for LoadFactor {
    type Error = ValidationError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<LoadFactor> for u8 {
    fn from(l: LoadFactor) -> u8 {
        l.0
    }
}

impl Default for LoadFactor {
    fn default() -> Self {
        Self::MAX
    }
}

/// A `doveadm cluster group list` mask: `*` matches any run of characters, `?` one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMask(String);

impl GroupMask {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        check_length(value, GROUP_NAME_MAX).map_err(|k| ValidationError::new("mask", k))?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The literal text before the first wildcard: storage can seek to it.
    pub fn literal_prefix(&self) -> &str {
        let end = self.0.find(['*', '?']).unwrap_or(self.0.len());
        &self.0[..end]
    }

    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.0.as_bytes(), name.as_bytes())
    }
}

/// Iterative glob match with single-star backtracking: linear in practice, never exponential.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                t += 1;
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
#[path = "names_test.rs"]
mod tests;

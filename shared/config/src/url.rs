//! The two URL settings: where GeoDB is (`GEODB_URL`) and where Redis is (`REDIS_URL`). Both are
//! checked syntactically only; connecting is the service's job. Error messages never repeat the
//! URL, which may carry a password.

use std::fmt;
use std::path::PathBuf;

use crate::secret::Secret;

/// A parsed `GEODB_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeoDbUrl {
    /// `sqlite://PATH`; a relative path is relative to the working directory.
    Sqlite(PathBuf),
    /// `cql://host:port[,host:port...]/keyspace`.
    Cql { nodes: Vec<String>, keyspace: String },
}

const GEODB_URL_FORMAT: &str = "must be sqlite://PATH or cql://host:port[,host:port]/keyspace";
const CQL_DEFAULT_PORT: u16 = 9042;
// Cassandra's limit for keyspace names.
const KEYSPACE_MAX: usize = 48;

pub(crate) fn geodb_url(s: &str) -> Result<GeoDbUrl, String> {
    let bad = |why: &str| format!("{GEODB_URL_FORMAT} ({why})");
    if let Some(path) = s.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(bad("the path is empty"));
        }
        return Ok(GeoDbUrl::Sqlite(PathBuf::from(path)));
    }
    let Some(rest) = s.strip_prefix("cql://") else {
        return Err(GEODB_URL_FORMAT.to_owned());
    };
    let (hosts, keyspace) = rest.split_once('/').ok_or_else(|| bad("the keyspace is missing"))?;
    if hosts.contains('@') {
        return Err(bad("credentials belong in GEODB_CQL_USERNAME and GEODB_CQL_PASSWORD"));
    }
    let nodes = hosts
        .split(',')
        .enumerate()
        .map(|(i, node)| contact_point(node).map_err(|why| bad(&format!("contact point {}: {why}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    let keyspace_ok = keyspace.len() <= KEYSPACE_MAX
        && keyspace.starts_with(|c: char| c.is_ascii_alphabetic())
        && keyspace.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !keyspace_ok {
        return Err(bad("the keyspace must be a letter then up to 47 letters, digits or '_'"));
    }
    Ok(GeoDbUrl::Cql { nodes, keyspace: keyspace.to_owned() })
}

/// `host:port`, `host` (port 9042) or `[ipv6]:port`, normalised to `host:port`.
fn contact_point(node: &str) -> Result<String, &'static str> {
    let (host, port) = if let Some(rest) = node.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or("'[' without ']'")?;
        if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Err("not an IPv6 address");
        }
        let port =
            if after.is_empty() { None } else { Some(after.strip_prefix(':').ok_or("expected :port after ']'")?) };
        (format!("[{v6}]"), port)
    } else {
        let (host, port) = match node.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (node, None),
        };
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            return Err("the host must be a name or an IP address");
        }
        (host.to_owned(), port)
    };
    let port = match port {
        None => CQL_DEFAULT_PORT,
        Some(port) => port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("the port must be 1 to 65535")?,
    };
    Ok(format!("{host}:{port}"))
}

/// A validated `REDIS_URL`. `Debug` and `Display` hide a password in it; [`RedisUrl::expose`]
/// gives the URL for the Redis client.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({:?})", self.redacted())
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

const REDIS_URL_FORMAT: &str = "must be a redis://, rediss:// or unix:// URL";

pub(crate) fn redis_url(s: &str) -> Result<RedisUrl, String> {
    let bad = |why: &str| format!("{REDIS_URL_FORMAT} ({why})");
    let (scheme, rest) = s.split_once("://").ok_or_else(|| REDIS_URL_FORMAT.to_owned())?;
    let rest = rest.split_once('?').map_or(rest, |(before, _query)| before);
    match scheme {
        "redis" | "rediss" => {
            let (authority, db) = rest.split_once('/').unwrap_or((rest, ""));
            let host_port = authority.rsplit_once('@').map_or(authority, |(_userinfo, host)| host);
            let (host, port) = match host_port.strip_prefix('[') {
                // `[ipv6]:port`: the colons inside the brackets are not the port separator.
                Some(v6) => match v6.split_once(']') {
                    Some((host, "")) => (host, None),
                    Some((host, after)) => (host, Some(after.strip_prefix(':').unwrap_or(after))),
                    None => ("", None),
                },
                None => match host_port.split_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (host_port, None),
                },
            };
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(bad("the host is missing"));
            }
            if port.is_some_and(|p| p.parse::<u16>().is_err()) {
                return Err(bad("the port must be 0 to 65535"));
            }
            if !db.is_empty() && db.parse::<u32>().is_err() {
                return Err(bad("the path must be a database number"));
            }
        }
        "unix" | "redis+unix" => {
            if !rest.starts_with('/') {
                return Err(bad("the socket path must be absolute"));
            }
        }
        _ => return Err(REDIS_URL_FORMAT.to_owned()),
    }
    Ok(RedisUrl(s.to_owned()))
}

/// Replaces a URL's password (`user:PASSWORD@`, or the `pass`/`password` query parameter that
/// redis' `unix://` URLs use) by `<redacted>`. Works on any text that looks like a URL.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{}@{host}", Secret::REDACTED),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if matches!(key, "pass" | "password") => {
                    format!("{key}={}", Secret::REDACTED)
                }
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "url_test.rs"]
mod tests;

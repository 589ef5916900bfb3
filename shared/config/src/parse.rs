//! Parsers for setting values. Each gets the trimmed, non-empty value and returns a message
//! saying what the value must be; messages never repeat the value, which may be a secret.

use std::net::SocketAddr;

use domain::SiteName;
use geodb::CqlConsistency;
use telemetry::LogFormat;
use tracing_subscriber::EnvFilter;

use crate::secret::Secret;

pub(crate) fn site_name(s: &str) -> Result<SiteName, String> {
    SiteName::parse(s).map_err(|e| e.kind.to_string())
}

/// An integer in `min..=max`, converted to the field's type.
pub(crate) fn integer<T: TryFrom<u64>>(s: &str, min: u64, max: u64) -> Result<T, String> {
    let message = || format!("must be an integer from {min} to {max}");
    let n: u64 = s.parse().map_err(|_| message())?;
    if !(min..=max).contains(&n) {
        return Err(message());
    }
    T::try_from(n).map_err(|_| message())
}

pub(crate) fn text(s: &str) -> Result<String, String> {
    Ok(s.to_owned())
}

pub(crate) fn secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

/// The API refuses short bootstrap tokens: this one is an admin credential.
pub(crate) fn admin_token(s: &str) -> Result<Secret, String> {
    const MIN: usize = 16;
    if s.chars().count() < MIN {
        return Err(format!("must be at least {MIN} characters"));
    }
    if s.contains(char::is_whitespace) {
        return Err("must not contain whitespace".to_owned());
    }
    Ok(Secret::new(s))
}

/// A data-centre name as Cassandra reports it (`dc1`, `eu-west_2`).
pub(crate) fn dc_name(s: &str) -> Result<String, String> {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        Ok(s.to_owned())
    } else {
        Err("must be a data-centre name: letters, digits, '.', '_' and '-'".to_owned())
    }
}

/// `dc1:3,dc2:3`: the replication factor per data centre.
pub(crate) fn replication(s: &str) -> Result<Vec<(String, u32)>, String> {
    let bad = |why: String| format!("must be dc:factor[,dc:factor...] such as dc1:3,dc2:3 ({why})");
    let mut out: Vec<(String, u32)> = Vec::new();
    for entry in s.split(',').map(str::trim) {
        let (dc, factor) = entry.split_once(':').ok_or_else(|| bad(format!("{entry:?} has no ':'")))?;
        let dc = dc_name(dc.trim())
            .ok()
            .filter(|dc| !dc.is_empty())
            .ok_or_else(|| bad(format!("{dc:?} is not a data-centre name")))?;
        let factor = factor.trim().parse::<u32>().ok().filter(|f| (1..=100).contains(f));
        let factor = factor.ok_or_else(|| bad(format!("the factor of {dc} must be 1 to 100")))?;
        if out.iter().any(|(seen, _)| *seen == dc) {
            return Err(bad(format!("{dc} is listed twice")));
        }
        out.push((dc, factor));
    }
    Ok(out)
}

const CONSISTENCIES: &[(&str, CqlConsistency)] = &[
    ("one", CqlConsistency::One),
    ("quorum", CqlConsistency::Quorum),
    ("local_quorum", CqlConsistency::LocalQuorum),
    ("each_quorum", CqlConsistency::EachQuorum),
    ("all", CqlConsistency::All),
    ("local_one", CqlConsistency::LocalOne),
];

pub(crate) fn consistency(s: &str) -> Result<CqlConsistency, String> {
    let lower = s.to_ascii_lowercase();
    CONSISTENCIES.iter().find(|(name, _)| *name == lower).map(|(_, level)| *level).ok_or_else(|| {
        let names: Vec<&str> = CONSISTENCIES.iter().map(|(name, _)| *name).collect();
        format!("must be one of {}", names.join(", "))
    })
}

/// The configuration spelling of a consistency level, for `--print-config`.
pub(crate) fn consistency_name(level: CqlConsistency) -> &'static str {
    CONSISTENCIES.iter().find(|(_, l)| *l == level).map_or("quorum", |(name, _)| name)
}

pub(crate) fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    }
}

pub(crate) fn socket_addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| "must be a socket address such as 127.0.0.1:8080 or [::]:8080".to_owned())
}

/// A socket address, or `off` for a listener that must not run. (`off` rather than an empty value:
/// an empty variable means unset, which gives the default.)
pub(crate) fn optional_socket_addr(s: &str) -> Result<Option<SocketAddr>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| "must be a socket address such as 127.0.0.1:9100 or off".to_owned())
}

/// A Redis key prefix: plain characters only, so keys stay readable in `redis-cli` and a prefix
/// never smuggles in a hash tag (`{`) or a glob (`*`) that would change which keys a scan matches.
pub(crate) fn key_prefix(s: &str) -> Result<String, String> {
    const MAX: usize = 100;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.');
    if s.len() > MAX || !s.chars().all(plain) {
        return Err(format!("must be up to {MAX} letters, digits, ':', '_', '-' and '.'"));
    }
    Ok(s.to_owned())
}

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

/// A bare level, or a full `EnvFilter` directive. A bare word that is not a level is refused
/// even though `EnvFilter` would read it as a target name: `infoo` is a typo, not a target.
pub(crate) fn log_level(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    if LEVELS.contains(&lower.as_str()) {
        return Ok(lower);
    }
    let message = "must be trace, debug, info, warn, error, off or a filter such as info,geodb=debug";
    if !s.contains(['=', ',']) {
        return Err(message.to_owned());
    }
    EnvFilter::try_new(s).map(|_| s.to_owned()).map_err(|e| format!("{message} ({e})"))
}

pub(crate) fn log_format(s: &str) -> Result<LogFormat, String> {
    s.parse().map_err(|e: telemetry::UnknownLogFormat| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "parse_test.rs"]
mod tests;

pub(crate) fn float(s: &str, min: f64, max: f64) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
        _ => Err(format!("must be a number from {min} to {max}")),
    }
}

/// An `http://` or `https://` base URL.
pub(crate) fn http_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !s.chars().any(char::is_whitespace) => Ok(s.to_owned()),
        _ => Err("must be an http:// or https:// URL".to_owned()),
    }
}

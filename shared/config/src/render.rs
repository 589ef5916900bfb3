//! `--print-config`: the effective configuration as TOML that could be fed back as a file, each
//! line commented with the value's origin. Values are redacted when recorded, so a secret never
//! reaches this module, nor `Config`'s `Debug`.

use std::path::Path;

use crate::Service;
use crate::error::Origin;
use crate::parse;
use crate::secret::Secret;
use crate::settings::{ALL, Def, Kind, Sensitivity};
use crate::url;

/// One setting's effective value, already redacted, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub(crate) def: &'static Def,
    pub(crate) value: Option<String>,
    pub(crate) origin: Origin,
}

/// The value as it may be printed.
pub(crate) fn redact(def: &Def, raw: &str) -> String {
    match def.sensitivity {
        Sensitivity::Plain => raw.to_owned(),
        Sensitivity::Secret => Secret::REDACTED.to_owned(),
        Sensitivity::UrlCredentials => url::redact(raw),
    }
}

pub(crate) fn render(service: Service, file: Option<&Path>, effective: &[Effective]) -> String {
    let mut out = format!("# Effective configuration of {service}.\n");
    match file {
        Some(path) => out.push_str(&format!("# Layers: defaults, then {}, then the environment.\n", path.display())),
        None => out.push_str("# Layers: defaults, then the environment (no configuration file).\n"),
    }
    for def in ALL {
        let Some(entry) = effective.iter().find(|e| e.def.name == def.name) else {
            continue;
        };
        let key = def.file_key();
        let unused = if def.services.contains(&service) { String::new() } else { format!("; not used by {service}") };
        match &entry.value {
            Some(value) => out.push_str(&format!("{key} = {}  # {}{unused}\n", literal(def, value), entry.origin)),
            None => out.push_str(&format!("# {key} is not set{unused}\n")),
        }
    }
    out
}

/// The value as a TOML literal of the setting's kind; anything unexpected is quoted, so the
/// output stays valid TOML.
fn literal(def: &Def, value: &str) -> String {
    match def.kind {
        Kind::Integer if value.parse::<i64>().is_ok() => value.to_owned(),
        Kind::Bool => match parse::boolean(value) {
            Ok(b) => b.to_string(),
            Err(_) => toml::Value::String(value.to_owned()).to_string(),
        },
        _ => toml::Value::String(value.to_owned()).to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "render_test.rs"]
mod tests;

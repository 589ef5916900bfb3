//! The doveadm HTTP API's wire format, as Dovecot speaks it: a JSON array of
//! `["command", {params}, "tag"]`, answered with `["doveadmResponse", result, "tag"]` or
//! `["error", {"exitCode": N, "type": "exitCode"}, "tag"]`. Requests are checked completely
//! before anything runs: a malformed one is a 400, an unknown command a 404, as in Dovecot.

use serde_json::{Map, Value, json};

/// sysexits-style codes doveadm answers with.
pub mod exit {
    pub const USAGE: u16 = 64;
    pub const NOUSER: u16 = 67;
    /// Also `DOVEADM_EX_NOTFOUND`: nothing matched (e.g. `kick` found no session).
    pub const NOHOST: u16 = 68;
    pub const TEMPFAIL: u16 = 75;
}

/// A command the simulated backend understands, with its (type-checked) parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `doveadm cluster group access <group>`.
    GroupAccess { group: Option<String> },
    /// `doveadm cluster user access -u <user>`.
    UserAccess { user: Option<String> },
    /// `doveadm kick <mask>...`.
    Kick { masks: Vec<String> },
    /// `doveadm cluster backend status [--self | <host>]`.
    BackendStatus { host: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub command: Command,
    pub tag: String,
}

/// Why a request is refused before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// 400, with a plain-text reason.
    #[error("{0}")]
    Malformed(String),
    /// 404.
    #[error("unknown command: {0}")]
    UnknownCommand(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Boolean,
    Array,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Array => "array",
        }
    }
}

/// Commands and their parameters, named as Dovecot's docs generator names them.
const COMMANDS: &[(&str, &[(&str, Kind)])] = &[
    ("clusterGroupAccess", &[("group", Kind::String)]),
    ("clusterUserAccess", &[("user", Kind::String)]),
    // `user` is accepted beside Dovecot's `mask` for callers that name users.
    (
        "kick",
        &[
            ("mask", Kind::Array),
            ("user", Kind::Array),
            ("socketPath", Kind::String),
            ("passdbField", Kind::String),
            ("force", Kind::Boolean),
        ],
    ),
    ("clusterBackendStatus", &[("host", Kind::String), ("self", Kind::Boolean)]),
];

/// Parses a request body.
pub fn parse(body: &[u8]) -> Result<Vec<Request>, RequestError> {
    let malformed = |m: &str| RequestError::Malformed(m.to_owned());
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RequestError::Malformed(format!("invalid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(malformed("the body must be an array of commands"));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(parts) => match <[Value; 3]>::try_from(parts) {
                Ok([Value::String(name), Value::Object(params), Value::String(tag)]) => {
                    Ok(Request { command: command(&name, &params)?, tag })
                }
                _ => Err(malformed("each command must be [\"name\", {parameters}, \"tag\"]")),
            },
            _ => Err(malformed("each command must be an array")),
        })
        .collect()
}

fn command(name: &str, params: &Map<String, Value>) -> Result<Command, RequestError> {
    let (_, spec) =
        COMMANDS.iter().find(|(n, _)| *n == name).ok_or_else(|| RequestError::UnknownCommand(name.to_owned()))?;
    for (param, value) in params {
        let (_, kind) = spec
            .iter()
            .find(|(p, _)| p == param)
            .ok_or_else(|| RequestError::Malformed(format!("unknown parameter {param} for {name}")))?;
        let fits = match kind {
            Kind::String => value.is_string(),
            Kind::Boolean => value.is_boolean(),
            // A single string is taken as a one-element array, as Dovecot does.
            Kind::Array => value.is_string() || value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        };
        if !fits {
            return Err(RequestError::Malformed(format!("parameter {param} of {name} must be a {}", kind.name())));
        }
    }
    let string = |p: &str| params.get(p).and_then(Value::as_str).map(str::to_owned);
    let strings = |p: &str| match params.get(p) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    Ok(match name {
        "clusterGroupAccess" => Command::GroupAccess { group: string("group") },
        "clusterUserAccess" => Command::UserAccess { user: string("user") },
        "kick" => Command::Kick { masks: [strings("mask"), strings("user")].concat() },
        _ => Command::BackendStatus { host: string("host") },
    })
}

pub fn success(result: Value, tag: &str) -> Value {
    json!(["doveadmResponse", result, tag])
}

pub fn failure(exit_code: u16, tag: &str) -> Value {
    json!(["error", {"exitCode": exit_code, "type": "exitCode"}, tag])
}

/// `GET /doveadm/v1`: the commands and their parameters, in Dovecot's shape.
pub fn command_list() -> Value {
    let list: Vec<Value> = COMMANDS
        .iter()
        .map(|(name, params)| {
            let params: Vec<Value> = params.iter().map(|(p, k)| json!({"name": p, "type": k.name()})).collect();
            json!({"command": name, "parameters": params})
        })
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_tags_and_parameters() {
        let body = br#"[["clusterGroupAccess",{"group":"default-1"},"t1"],["kick",{"mask":"u*"},"t2"],["clusterBackendStatus",{},"t3"]]"#;
        let requests = parse(body).unwrap();
        assert_eq!(
            requests[0],
            Request { command: Command::GroupAccess { group: Some("default-1".into()) }, tag: "t1".into() }
        );
        assert_eq!(requests[1].command, Command::Kick { masks: vec!["u*".into()] });
        assert_eq!(requests[2].command, Command::BackendStatus { host: None });
        assert_eq!(parse(b"[]").unwrap(), []);
    }

    #[test]
    fn malformed_requests_and_unknown_commands_are_refused_before_running() {
        for bad in [
            &b"{"[..],
            b"{}",
            b"[1]",
            b"[[\"kick\",{}]]",
            br#"[["kick",{"mask":[1]},"t"]]"#,
            br#"[["kick",{"bogus":"x"},"t"]]"#,
        ] {
            assert!(matches!(parse(bad), Err(RequestError::Malformed(_))), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(br#"[["teleport",{},"t"]]"#), Err(RequestError::UnknownCommand("teleport".into())));
    }

    #[test]
    fn answers_have_dovecots_shapes() {
        assert_eq!(success(json!([]), "t"), json!(["doveadmResponse", [], "t"]));
        assert_eq!(failure(68, "t"), json!(["error", {"exitCode": 68, "type": "exitCode"}, "t"]));
        assert_eq!(command_list()[0]["command"], "clusterGroupAccess");
    }
}

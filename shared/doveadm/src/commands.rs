//! Typed wrappers for the commands the controller sends. Names and parameters follow doveadm's
//! HTTP naming rule (camelCase of the CLI words and long options); they add no retries.

use serde_json::{Value, json};

use crate::{Client, DoveadmError, EX_NOTFOUND};

impl Client {
    /// `cluster group access <group>` on a backend: asks it to finish moving `group` (it moves
    /// the users and sets the group's backend in GeoDB).
    pub async fn cluster_group_access(&self, base_url: &str, group: &str) -> Result<(), DoveadmError> {
        self.call(base_url, "clusterGroupAccess", json!({ "group": group })).await.map(drop)
    }

    /// `cluster user access <user>`: the backend host the user is served from, if the answer
    /// names one. Accepted answers: `"host"`, `{"host": "host"}`, a list of such rows (doveadm's
    /// table output), or an object keyed by the user name (doveadm's per-user output).
    pub async fn cluster_user_access(&self, base_url: &str, user: &str) -> Result<Option<String>, DoveadmError> {
        let result = self.call(base_url, "clusterUserAccess", json!({ "user": user })).await?;
        Ok(find_host(&result, user, 0))
    }

    /// `kick <user>`: disconnects the user's sessions on that server. `Ok(false)` when there was
    /// nothing to kick: doveadm reports that as exit code 68 (`EX_NOTFOUND`), which is success
    /// for a caller that only wants the user gone.
    pub async fn kick(&self, base_url: &str, user: &str) -> Result<bool, DoveadmError> {
        // `kick` takes its users in the positional `mask` array (checked with GET /doveadm/v1).
        match self.call(base_url, "kick", json!({ "mask": [user] })).await {
            Ok(_) => Ok(true),
            Err(DoveadmError::Command { exit_code: EX_NOTFOUND, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `cluster backend status`: the cheap reachability probe. A Dovecot without the cluster
    /// plugin answers [`DoveadmError::UnknownCommand`], which still proves it is up.
    pub async fn backend_status(&self, base_url: &str) -> Result<Value, DoveadmError> {
        self.call(base_url, "clusterBackendStatus", json!({})).await
    }

    /// `who`: the server's sessions (Dovecot 2.3 answers `[]` when there are none).
    pub async fn who(&self, base_url: &str) -> Result<Value, DoveadmError> {
        self.call(base_url, "who", json!({})).await
    }
}

fn find_host(value: &Value, user: &str, depth: usize) -> Option<String> {
    if depth > 2 {
        return None;
    }
    match value {
        Value::String(host) if !host.is_empty() => Some(host.clone()),
        Value::Array(rows) => rows.iter().find_map(|row| find_host(row, user, depth + 1)),
        Value::Object(fields) => match fields.get("host") {
            Some(Value::String(host)) if !host.is_empty() => Some(host.clone()),
            _ => fields.get(user).and_then(|inner| find_host(inner, user, depth + 1)),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_found_in_every_accepted_shape() {
        for answer in [
            json!("be1"),
            json!({"host": "be1"}),
            json!([{"host": "be1"}]),
            json!({"alice": {"host": "be1"}}),
            json!({"alice": [{"host": "be1"}]}),
        ] {
            assert_eq!(find_host(&answer, "alice", 0).as_deref(), Some("be1"), "{answer}");
        }
        for answer in [json!([]), json!({}), json!(""), json!({"host": ""}), json!({"bob": {"host": "be1"}})] {
            assert_eq!(find_host(&answer, "alice", 0), None, "{answer}");
        }
    }
}

//! Builds the typed [`Config`] from the resolved settings. Every setting is read, whichever
//! backend or service is chosen, so that every bad value is reported and printed; the checks
//! that involve two settings live here too.

use std::path::Path;
use std::time::Duration;

use geodb::{ConnectOptions, CqlConsistency, CqlOptions, SqliteOptions};

use crate::env::Env;
use crate::error::{ConfigError, ConfigErrors, Origin};
use crate::parse;
use crate::resolve::Resolver;
use crate::settings::{self, *};
use crate::url::GeoDbUrl;
use crate::{Config, LogConfig, Service};

pub(crate) fn load(service: Service, config_path: Option<&Path>, env: &Env) -> Result<Config, ConfigErrors> {
    let mut r = Resolver::new(service, config_path, env);
    let home_site = r.get(&CLUSTER_SITE);
    let geodb = geodb_options(&mut r);
    let redis_url = r.get(&REDIS_URL);
    let api_listen = r.get(&API_LISTEN);
    let admin_token = r.get(&API_ADMIN_TOKEN);
    let log = log_config(&mut r, service);

    let (errors, effective, config_file) = r.finish();
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    // With no errors every setting that has a default is present; this only guards against a
    // default that is missing from the table.
    let (Some(geodb), Some(redis_url), Some(api_listen), Some(log)) = (geodb, redis_url, api_listen, log) else {
        let message = "a setting with a built-in default has none (a bug in controller-config)";
        return Err(ConfigErrors(vec![ConfigError::new("configuration", Origin::Default, message)]));
    };
    Ok(Config { service, home_site, geodb, redis_url, api_listen, admin_token, log, config_file, effective })
}

fn geodb_options(r: &mut Resolver<'_>) -> Option<ConnectOptions> {
    let url = r.get(&GEODB_URL);
    let busy_timeout_ms = r.get(&GEODB_SQLITE_BUSY_TIMEOUT_MS);
    let pool_size = r.get(&GEODB_SQLITE_POOL_SIZE);
    let username = r.get(&GEODB_CQL_USERNAME);
    let password = r.get(&GEODB_CQL_PASSWORD);
    let local_dc = r.get(&GEODB_CQL_LOCAL_DC);
    let replication = r.get(&GEODB_CQL_REPLICATION).unwrap_or_default();
    let consistency = r.get(&GEODB_CQL_CONSISTENCY).unwrap_or_else(|| {
        // Within one DC a quorum is enough and cheaper; without a DC, a global quorum is safe.
        let level = if local_dc.is_some() { CqlConsistency::LocalQuorum } else { CqlConsistency::Quorum };
        r.derived_default(&GEODB_CQL_CONSISTENCY.def, parse::consistency_name(level));
        level
    });
    let request_timeout_ms = r.get(&GEODB_CQL_REQUEST_TIMEOUT_MS);
    let init_schema = r.get(&INIT_GEODB_SCHEMA);

    // A keyspace replicated only elsewhere would make every LOCAL_* read fail.
    if let Some(dc) = &local_dc
        && !replication.is_empty()
        && !replication.iter().any(|(name, _)| name == dc)
    {
        let origin = r.origin(&GEODB_CQL_REPLICATION.def);
        r.error(ConfigError::new(
            GEODB_CQL_REPLICATION.def.name,
            origin,
            "must include the data centre named by GEODB_CQL_LOCAL_DC",
        ));
    }

    Some(match url? {
        GeoDbUrl::Sqlite(path) => ConnectOptions::Sqlite(SqliteOptions {
            path,
            busy_timeout: Duration::from_millis(busy_timeout_ms?),
            pool_size: pool_size?,
        }),
        GeoDbUrl::Cql { nodes, keyspace } => ConnectOptions::Cql(CqlOptions {
            nodes,
            keyspace,
            username,
            password: password.map(|p| p.expose().to_owned()),
            serial_local: local_dc.is_some(),
            local_dc,
            replication,
            consistency,
            init_schema: init_schema?,
            request_timeout: Duration::from_millis(request_timeout_ms?),
        }),
    })
}

/// Reads every service's log settings (one shared `.env` serves them all, so a typo in another
/// service's level is still a typo) and keeps the running service's.
fn log_config(r: &mut Resolver<'_>, service: Service) -> Option<LogConfig> {
    let mut current = None;
    for &each in Service::ALL {
        let (level_setting, format_setting) = settings::log_settings(each);
        let level = r.get(level_setting);
        let format = r.get(format_setting);
        if each == service {
            current = level.zip(format).map(|(level, format)| LogConfig { level, format });
        }
    }
    current
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "load_test.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "geodb_test.rs"]
mod geodb_tests;

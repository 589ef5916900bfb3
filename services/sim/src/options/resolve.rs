//! The merged layers (`layers.rs`) over the defaults, then validation. Errors are collected,
//! never returned early, so one run names every bad value.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use domain::settings::MAX_GROUP_COUNT;
use domain::{HostName, SiteName, UserName};

use controller_config::DoveadmConfig;

use super::layers::{self, SimFile};
use super::{Args, DoveadmAuth, SimOptions, render};
use crate::faults::FaultsPatch;

/// Every problem found, one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionErrors(pub Vec<String>);

impl fmt::Display for OptionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

/// Resolves the options. `home_site` is CLUSTER_SITE and `doveadm` the DOVEADM_* credentials
/// (the ones the simulated backends accept) from the shared configuration.
pub fn resolve(args: &Args, home_site: Option<&SiteName>, doveadm: &DoveadmConfig) -> Result<SimOptions, OptionErrors> {
    // The checks below run even when a layer is at fault, so every bad value is named at once.
    let (file, mut errors) = layers::layered(args);
    let mut check = |ok: bool, message: &str| {
        if !ok {
            errors.push(message.to_owned());
        }
    };

    let site_text = file.site.clone().or_else(|| home_site.map(ToString::to_string));
    let site = SiteName::parse(site_text.as_deref().unwrap_or("sim"));
    check(site.is_ok(), "site: must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit");
    // On error the names below are still checked, against a placeholder site.
    let site = site.unwrap_or_else(|_| SiteName::parse("sim").expect("\"sim\" is a valid site name"));

    let backends = file.backends.unwrap_or(3);
    check((1..=1000).contains(&backends), "backends: must be from 1 to 1000");
    let users = file.users.unwrap_or(1000);
    check(users <= 1_000_000, "users: must be at most 1000000");
    let groups = file.groups.unwrap_or(100);
    check((1..=MAX_GROUP_COUNT).contains(&groups), "groups: must be from 1 to 1000000");
    let rate = file.rate.unwrap_or(50.0);
    check(rate.is_finite() && (0.0..=100_000.0).contains(&rate), "rate: must be a number from 0 to 100000");
    let lmtp_share = file.lmtp_share.unwrap_or(0.5);
    check(lmtp_share.is_finite() && (0.0..=1.0).contains(&lmtp_share), "lmtp_share: must be a number from 0 to 1");
    let proxies = file.proxies.unwrap_or(2);
    check(proxies <= 1000, "proxies: must be at most 1000");
    check(rate == 0.0 || (proxies > 0 && users > 0), "rate: traffic needs at least one proxy and one user");
    let move_delay_ms = file.move_finish_delay_ms.unwrap_or(1000);
    check(move_delay_ms <= 3_600_000, "move_finish_delay_ms: must be at most 3600000");
    let route_cache_ms = file.route_cache_ms.unwrap_or(1000);
    // Proxies may cache routing for about a second; longer would hide moves from them.
    check(route_cache_ms <= 1000, "route_cache_ms: must be at most 1000");
    let stats_flush_ms = file.stats_flush_ms.unwrap_or(1000);
    check((100..=60_000).contains(&stats_flush_ms), "stats_flush_ms: must be from 100 to 60000");
    let stats_window_secs = file.stats_window_secs.unwrap_or(60);
    check((1..=3600).contains(&stats_window_secs), "stats_window_secs: must be from 1 to 3600");
    let session_secs = file.session_secs.unwrap_or(60);
    check((1..=86_400).contains(&session_secs), "session_secs: must be from 1 to 86400");
    let metrics_noise = file.metrics_noise.unwrap_or(0.02);
    check(
        metrics_noise.is_finite() && (0.0..=0.5).contains(&metrics_noise),
        "metrics_noise: must be a number from 0 to 0.5",
    );
    let backend_base_port = file.backend_base_port.unwrap_or(0);
    check(
        backend_base_port == 0 || u32::from(backend_base_port) + backends <= 65_536,
        "backend_base_port: the last backend's port would exceed 65535",
    );
    let control_listen = match &file.control_listen {
        Some(text) => text.parse().unwrap_or_else(|_| {
            errors.push("control_listen: must be a socket address such as 127.0.0.1:0".to_owned());
            loopback_any()
        }),
        None => loopback_any(),
    };

    let mut names = |key: &str, pattern: Option<String>, default: &str, count: u32, parse: fn(&str) -> bool| {
        let pattern = pattern.unwrap_or_else(|| default.to_owned());
        if !pattern.contains("{n}") {
            errors.push(format!("{key}: must contain {{n}}"));
        } else if count > 0 && ![1, count].iter().all(|n| parse(&render(&pattern, *n, &site))) {
            errors.push(format!("{key}: {:?} is not a valid name", render(&pattern, 1, &site)));
        }
        pattern
    };
    let host_ok: fn(&str) -> bool = |s| HostName::parse(s).is_ok();
    let user_ok: fn(&str) -> bool = |s| UserName::parse(s).is_ok();
    let backend_pattern = names("backend_pattern", file.backend_pattern.clone(), "b{n}.{site}.sim", backends, host_ok);
    let user_pattern = names("user_pattern", file.user_pattern.clone(), "user{n}@{site}.sim", users, user_ok);
    let proxy_pattern = names("proxy_pattern", file.proxy_pattern.clone(), "p{n}.{site}.sim", proxies, host_ok);
    let hosts = |pattern: &str, count: u32| -> Vec<HostName> {
        (1..=count).filter_map(|n| HostName::parse(&render(pattern, n, &site)).ok()).collect()
    };
    let backend_hosts = hosts(&backend_pattern, backends);
    let proxy_hosts = hosts(&proxy_pattern, proxies);

    let faults = resolve_faults(&file, &backend_hosts, &mut errors);
    let auth = DoveadmAuth {
        api_key: doveadm.api_key.as_ref().map(|key| key.expose().to_owned()),
        password: doveadm.password.as_ref().map(|password| password.expose().to_owned()),
    };

    if !errors.is_empty() {
        return Err(OptionErrors(errors));
    }
    Ok(SimOptions {
        site,
        backend_hosts,
        backend_pattern,
        users,
        user_pattern,
        groups,
        rate,
        lmtp_share,
        seed: file.seed.unwrap_or(1),
        move_finish_delay: Duration::from_millis(move_delay_ms),
        finish_moves_on_traffic: file.finish_moves_on_traffic.unwrap_or(true),
        proxy_hosts,
        proxy_pattern,
        route_cache: Duration::from_millis(route_cache_ms),
        stats_flush: Duration::from_millis(stats_flush_ms),
        stats_window_secs,
        session: Duration::from_secs(session_secs),
        metrics_noise,
        control_listen,
        backend_base_port,
        ready_file: file.ready_file.clone(),
        preassign: file.preassign.unwrap_or(false),
        duration: file.duration.map(Duration::from_secs),
        paused: file.paused.unwrap_or(false),
        site_down: file.site_down.unwrap_or(false),
        faults,
        auth,
    })
}

/// The merged fault tables, each checked against the simulated backends.
fn resolve_faults(file: &SimFile, hosts: &[HostName], errors: &mut Vec<String>) -> BTreeMap<HostName, FaultsPatch> {
    let mut faults = BTreeMap::new();
    for (host, patch) in &file.faults {
        let origin =
            if file.flagged_hosts.contains(host) { format!("--fault {host}") } else { format!("faults.\"{host}\"") };
        let Some(host) = HostName::parse(host).ok().filter(|h| hosts.contains(h)) else {
            errors.push(format!("{origin}: not one of the simulated backends"));
            continue;
        };
        for e in patch.validate() {
            errors.push(format!("{origin}: {}: {}", e.field, e.message));
        }
        faults.insert(host, patch.clone());
    }
    faults
}

fn loopback_any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[cfg(test)]
#[path = "resolve_test.rs"]
mod tests;

//! Aggregated cluster statistics, the body of the `cluster_metrics` endpoints: what GeoDB and
//! the controller's Redis state say about each site, as gauge families. Pure: the route gathers a
//! [`SiteSnapshot`] per site, [`families`] turns them into OpenMetrics.

use std::collections::BTreeMap;

use domain::stats::{Protocol, StatTotals};
use domain::{BackendStatus, Feature, FeatureState, SiteStatus};

use crate::openmetrics::Family;

pub mod gather;

/// The window of proxy statistics the attempt gauges cover.
pub const STATS_WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct SiteSnapshot {
    pub site: String,
    pub status: SiteStatus,
    pub features: Vec<(Feature, FeatureState)>,
    pub backends: Vec<BackendSnapshot>,
    /// `None` when Redis could not be read: the GeoDB part is still served.
    pub controller: Option<ControllerSnapshot>,
}

#[derive(Debug, Clone)]
pub struct BackendSnapshot {
    pub host: String,
    pub status: BackendStatus,
    pub load_factor: u8,
    pub groups: u64,
    /// Groups moving away from this backend.
    pub groups_moving: u64,
    /// Proxy attempts over the last [`STATS_WINDOW_SECS`].
    pub attempts: BTreeMap<Protocol, StatTotals>,
}

/// What the controller's jobs last stored for the site.
#[derive(Debug, Clone, Default)]
pub struct ControllerSnapshot {
    /// host → reachable, for the backends probed so far.
    pub reachable: BTreeMap<String, bool>,
    pub balancedness: Option<f64>,
    pub spread: BTreeMap<String, f64>,
    /// host → combined load score.
    pub scores: BTreeMap<String, f64>,
    pub desired_backends: Option<usize>,
    pub failover_percent: Option<u8>,
    /// host → groups not yet moved, for evacuations still running.
    pub evacuating: BTreeMap<String, u64>,
    /// severity → the site's open alerts (raised and not resolved).
    pub open_alerts: BTreeMap<&'static str, u64>,
    /// The capacity guard is tripped: no automatic move in the site until released.
    pub guard_tripped: bool,
}

const SITE_STATUSES: [SiteStatus; 4] =
    [SiteStatus::Online, SiteStatus::Offline, SiteStatus::Standby, SiteStatus::Evacuate];
const BACKEND_STATUSES: [BackendStatus; 3] = [BackendStatus::Online, BackendStatus::Offline, BackendStatus::Standby];
const STATES: [FeatureState; 3] = [FeatureState::Off, FeatureState::Dryrun, FeatureState::On];
const SEVERITIES: [&str; 2] = ["warning", "critical"];

/// The gauge families for `sites`, every family present even when empty.
pub fn families(sites: &[SiteSnapshot]) -> Vec<Family> {
    let mut site_status = Family::gauge("controller_cluster_site_status", "1 for the site's current status, else 0");
    let mut features =
        Family::gauge("controller_cluster_feature_state", "1 for each automation's current state (off, dryrun, on)");
    let mut backends = Family::gauge("controller_cluster_backends", "Backends of the site by status");
    let mut backend_status =
        Family::gauge("controller_cluster_backend_status", "1 for the backend's current status, else 0");
    let mut load_factor = Family::gauge("controller_cluster_backend_load_factor", "The backend's load factor (0-100)");
    let mut groups = Family::gauge("controller_cluster_backend_groups", "User groups that live on the backend");
    let mut moving = Family::gauge("controller_cluster_backend_groups_moving", "User groups moving off the backend");
    let mut attempts = Family::gauge(
        "controller_cluster_proxy_attempts",
        "Logins and deliveries proxies sent to the backend in the last 5 minutes, by protocol and result",
    );
    let mut failure_ratio = Family::gauge(
        "controller_cluster_backend_failure_ratio",
        "Failed / all proxy attempts to the backend in the last 5 minutes, by protocol (absent without attempts)",
    );
    let mut controller_up =
        Family::gauge("controller_cluster_state_up", "1 when the controller's state (Redis) could be read, else 0");
    let mut reachable = Family::gauge(
        "controller_cluster_backend_reachable",
        "1 when the backend's doveadm API answered the last probe",
    );
    let mut balancedness =
        Family::gauge("controller_cluster_balancedness", "Load balancedness of the site, 100 = perfectly even");
    let mut spread =
        Family::gauge("controller_cluster_metric_spread", "Standard deviation of a load metric's z-scores over hosts");
    let mut score = Family::gauge("controller_cluster_backend_load_score", "The backend's combined load z-score");
    let mut desired = Family::gauge("controller_cluster_desired_backends", "Backends the autoscaling policy wants");
    let mut failover = Family::gauge(
        "controller_cluster_failover_ratio",
        "Share (0-1) of the site's users forced elsewhere by failover",
    );
    let mut guard = Family::gauge(
        "controller_cluster_capacity_guard_tripped",
        "1 while the site's capacity guard is tripped (no automatic move until an operator releases it), else 0",
    );
    let mut evacuating = Family::gauge(
        "controller_cluster_evacuation_remaining_groups",
        "Groups still to move off an evacuating backend",
    );
    let mut open_alerts = Family::gauge(
        "controller_cluster_open_alerts",
        "Open alerts of the site (raised and not resolved, however long ago), by severity",
    );

    for s in sites {
        let site = s.site.as_str();
        for status in SITE_STATUSES {
            site_status.push(&[("site", site), ("status", status.as_str())], f64::from(u8::from(status == s.status)));
        }
        for (feature, state) in &s.features {
            for each in STATES {
                let labels = [("site", site), ("feature", feature.as_str()), ("state", each.as_str())];
                features.push(&labels, f64::from(u8::from(each == *state)));
            }
        }
        for status in BACKEND_STATUSES {
            let n = s.backends.iter().filter(|b| b.status == status).count();
            backends.push(&[("site", site), ("status", status.as_str())], n as f64);
        }
        for b in &s.backends {
            let host = b.host.as_str();
            for status in BACKEND_STATUSES {
                let labels = [("site", site), ("backend", host), ("status", status.as_str())];
                backend_status.push(&labels, f64::from(u8::from(status == b.status)));
            }
            load_factor.push(&[("site", site), ("backend", host)], f64::from(b.load_factor));
            groups.push(&[("site", site), ("backend", host)], b.groups as f64);
            moving.push(&[("site", site), ("backend", host)], b.groups_moving as f64);
            for (protocol, totals) in &b.attempts {
                let p = protocol.as_str();
                attempts.push(
                    &[("site", site), ("backend", host), ("protocol", p), ("result", "success")],
                    totals.successes as f64,
                );
                attempts.push(
                    &[("site", site), ("backend", host), ("protocol", p), ("result", "failure")],
                    totals.failures as f64,
                );
                if let Some(ratio) = totals.failure_ratio() {
                    failure_ratio.push(&[("site", site), ("backend", host), ("protocol", p)], ratio);
                }
            }
        }
        controller_up.push(&[("site", site)], f64::from(u8::from(s.controller.is_some())));
        let Some(c) = &s.controller else { continue };
        for (host, up) in &c.reachable {
            reachable.push(&[("site", site), ("backend", host)], f64::from(u8::from(*up)));
        }
        if let Some(b) = c.balancedness {
            balancedness.push(&[("site", site)], b);
        }
        for (metric, value) in &c.spread {
            spread.push(&[("site", site), ("metric", metric)], *value);
        }
        for (host, value) in &c.scores {
            score.push(&[("site", site), ("backend", host)], *value);
        }
        if let Some(d) = c.desired_backends {
            desired.push(&[("site", site)], d as f64);
        }
        if let Some(p) = c.failover_percent {
            failover.push(&[("site", site)], f64::from(p) / 100.0);
        }
        for (host, remaining) in &c.evacuating {
            evacuating.push(&[("site", site), ("backend", host)], *remaining as f64);
        }
        guard.push(&[("site", site)], if c.guard_tripped { 1.0 } else { 0.0 });
        for severity in SEVERITIES {
            let n = c.open_alerts.get(severity).copied().unwrap_or(0);
            open_alerts.push(&[("site", site), ("severity", severity)], n as f64);
        }
    }
    vec![
        site_status,
        features,
        backends,
        backend_status,
        load_factor,
        groups,
        moving,
        attempts,
        failure_ratio,
        controller_up,
        reachable,
        balancedness,
        spread,
        score,
        desired,
        failover,
        evacuating,
        open_alerts,
        guard,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openmetrics::render;

    fn site(controller: Option<ControllerSnapshot>) -> SiteSnapshot {
        let mut attempts = BTreeMap::new();
        attempts.insert(Protocol::Imap, StatTotals { successes: 30, failures: 10 });
        SiteSnapshot {
            site: "s1".into(),
            status: SiteStatus::Online,
            features: vec![(Feature::ClusterMetrics, FeatureState::On)],
            backends: vec![
                BackendSnapshot {
                    host: "b1.s1".into(),
                    status: BackendStatus::Online,
                    load_factor: 100,
                    groups: 7,
                    groups_moving: 1,
                    attempts,
                },
                BackendSnapshot {
                    host: "b2.s1".into(),
                    status: BackendStatus::Offline,
                    load_factor: 0,
                    groups: 0,
                    groups_moving: 0,
                    attempts: BTreeMap::new(),
                },
            ],
            controller,
        }
    }

    fn sample<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next())
    }

    #[test]
    fn geodb_figures_are_aggregated_per_site_and_backend() {
        let text = render(&families(&[site(None)]));
        assert_eq!(sample(&text, r#"controller_cluster_site_status{site="s1",status="online"}"#), Some("1"));
        assert_eq!(sample(&text, r#"controller_cluster_site_status{site="s1",status="evacuate"}"#), Some("0"));
        assert_eq!(sample(&text, r#"controller_cluster_backends{site="s1",status="online"}"#), Some("1"));
        assert_eq!(sample(&text, r#"controller_cluster_backends{site="s1",status="offline"}"#), Some("1"));
        assert_eq!(sample(&text, r#"controller_cluster_backends{site="s1",status="standby"}"#), Some("0"));
        assert_eq!(sample(&text, r#"controller_cluster_backend_groups{site="s1",backend="b1.s1"}"#), Some("7"));
        assert_eq!(
            sample(
                &text,
                r#"controller_cluster_proxy_attempts{site="s1",backend="b1.s1",protocol="imap",result="failure"}"#
            ),
            Some("10")
        );
        assert_eq!(
            sample(&text, r#"controller_cluster_backend_failure_ratio{site="s1",backend="b1.s1",protocol="imap"}"#),
            Some("0.25")
        );
        assert_eq!(
            sample(&text, r#"controller_cluster_feature_state{site="s1",feature="cluster_metrics",state="on"}"#),
            Some("1")
        );
        assert_eq!(sample(&text, r#"controller_cluster_state_up{site="s1"}"#), Some("0"));
        assert!(!text.contains("controller_cluster_balancedness{"), "no reading without the controller's state");
        assert!(text.contains("# TYPE controller_cluster_balancedness gauge"), "the family is still declared");
    }

    #[test]
    fn controller_readings_appear_once_stored() {
        let controller = ControllerSnapshot {
            reachable: [("b1.s1".to_owned(), true), ("b2.s1".to_owned(), false)].into(),
            balancedness: Some(87.5),
            spread: [("memused".to_owned(), 0.5)].into(),
            scores: [("b1.s1".to_owned(), 1.5)].into(),
            desired_backends: Some(3),
            failover_percent: Some(20),
            evacuating: [("b2.s1".to_owned(), 4)].into(),
            open_alerts: [("critical", 2)].into(),
            guard_tripped: true,
        };
        let text = render(&families(&[site(Some(controller))]));
        assert_eq!(sample(&text, r#"controller_cluster_state_up{site="s1"}"#), Some("1"));
        assert_eq!(sample(&text, r#"controller_cluster_backend_reachable{site="s1",backend="b2.s1"}"#), Some("0"));
        assert_eq!(sample(&text, r#"controller_cluster_balancedness{site="s1"}"#), Some("87.5"));
        assert_eq!(sample(&text, r#"controller_cluster_metric_spread{site="s1",metric="memused"}"#), Some("0.5"));
        assert_eq!(sample(&text, r#"controller_cluster_desired_backends{site="s1"}"#), Some("3"));
        assert_eq!(sample(&text, r#"controller_cluster_failover_ratio{site="s1"}"#), Some("0.2"));
        assert_eq!(
            sample(&text, r#"controller_cluster_evacuation_remaining_groups{site="s1",backend="b2.s1"}"#),
            Some("4")
        );
        assert_eq!(sample(&text, r#"controller_cluster_open_alerts{site="s1",severity="critical"}"#), Some("2"));
        assert_eq!(sample(&text, r#"controller_cluster_open_alerts{site="s1",severity="warning"}"#), Some("0"));
        assert_eq!(sample(&text, r#"controller_cluster_capacity_guard_tripped{site="s1"}"#), Some("1"));
    }

    #[test]
    fn every_family_is_declared_once_even_over_several_sites() {
        let mut other = site(None);
        other.site = "s2".into();
        let text = render(&families(&[site(None), other]));
        let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
        let mut unique = types.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(types.len(), unique.len(), "{types:?}");
        assert_eq!(types.len(), 19);
        assert!(text.contains(r#"controller_cluster_backend_groups{site="s2",backend="b1.s1"} 7"#));
    }
}

//! A simulated backend's `GET /metrics`, in the Prometheus text format. Every series carries
//! `site` and `host`. The `dovecot_cluster_sim_*` ratios are what load balancing scores; the
//! `node_*` series mimic node_exporter, so recording rules written for real backends
//! (`1 - MemAvailable / MemTotal`, idle CPU rate) work against the sim unchanged.

use std::fmt::Write;

use crate::faults::Faults;
use crate::load::LoadSnapshot;
use crate::state::CounterView;

/// The simulated machine's memory, for the node_exporter-style series.
pub const MEMORY_BYTES: f64 = 16.0 * 1024.0 * 1024.0 * 1024.0;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn render(site: &str, host: &str, load: &LoadSnapshot, counters: &CounterView, faults: &Faults) -> String {
    let labels = format!("site=\"{site}\",host=\"{host}\"");
    let mut out = String::with_capacity(2048);
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (extra, value) in samples {
            let _ = writeln!(out, "{name}{{{labels}{extra}}} {value}");
        }
    };
    let f = &load.figures;
    family(
        "dovecot_cluster_sim_memory_used_ratio",
        "gauge",
        "Share of the backend's memory in use (grows with the users of its groups).",
        &[("", f.memory_used_ratio)],
    );
    family(
        "dovecot_cluster_sim_cpu_busy_ratio",
        "gauge",
        "Share of CPU time busy (grows with recent logins and deliveries).",
        &[("", f.cpu_busy_ratio)],
    );
    family(
        "dovecot_cluster_sim_metacache_used_ratio",
        "gauge",
        "Share of the metacache in use (grows with users holding sessions).",
        &[("", f.metacache_used_ratio)],
    );
    family("dovecot_cluster_sim_users", "gauge", "Users whose group lives on the backend.", &[("", load.users as f64)]);
    family("dovecot_cluster_sim_groups", "gauge", "User groups living on the backend.", &[("", load.groups as f64)]);
    family("dovecot_cluster_sim_sessions", "gauge", "Open IMAP sessions.", &[("", load.sessions as f64)]);
    family(
        "dovecot_cluster_sim_load_multiplier",
        "gauge",
        "Injected factor applied to the load figures.",
        &[("", faults.load_multiplier)],
    );
    family(
        "dovecot_cluster_sim_attempts_total",
        "counter",
        "Logins (imap) and deliveries (lmtp) proxies sent here, by result.",
        &[
            (",protocol=\"imap\",result=\"success\"", counters.imap.successes as f64),
            (",protocol=\"imap\",result=\"failure\"", counters.imap.failures as f64),
            (",protocol=\"lmtp\",result=\"success\"", counters.lmtp.successes as f64),
            (",protocol=\"lmtp\",result=\"failure\"", counters.lmtp.failures as f64),
        ],
    );
    family("node_memory_MemTotal_bytes", "gauge", "Memory of the simulated machine.", &[("", MEMORY_BYTES)]);
    family(
        "node_memory_MemAvailable_bytes",
        "gauge",
        "Memory available on the simulated machine.",
        &[("", (MEMORY_BYTES * (1.0 - f.memory_used_ratio)).round())],
    );
    family(
        "node_cpu_seconds_total",
        "counter",
        "CPU time of the simulated machine's one CPU, by mode.",
        &[(",cpu=\"0\",mode=\"idle\"", load.cpu_idle_seconds), (",cpu=\"0\",mode=\"user\"", load.cpu_busy_seconds)],
    );
    out
}

/// The first sample of the series `name` in a rendered page (for tests and scripts).
pub fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        (series.split('{').next() == Some(name)).then(|| value.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Figures;

    #[test]
    fn every_series_is_labelled_and_parses_back() {
        let load = LoadSnapshot {
            users: 12,
            figures: Figures { memory_used_ratio: 0.25, cpu_busy_ratio: 0.5, metacache_used_ratio: 0.125 },
            cpu_busy_seconds: 3.0,
            ..LoadSnapshot::default()
        };
        let counters = CounterView::default();
        let page = render("east", "b1.east.sim", &load, &counters, &Faults::default());
        for line in page.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.contains("site=\"east\",host=\"b1.east.sim\""), "{line}");
        }
        assert_eq!(sample(&page, "dovecot_cluster_sim_memory_used_ratio"), Some(0.25));
        assert_eq!(sample(&page, "dovecot_cluster_sim_users"), Some(12.0));
        assert_eq!(sample(&page, "node_memory_MemAvailable_bytes"), Some(MEMORY_BYTES * 0.75));
        assert_eq!(sample(&page, "dovecot_cluster_sim_load_multiplier"), Some(1.0));
    }
}

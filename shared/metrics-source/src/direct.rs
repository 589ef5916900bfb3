//! [`DirectSource`]: scrapes every backend's `/metrics` itself and computes the z-scores
//! in-process with [`crate::zscores`], the formula of deploy/prometheus/rules.yml. For set-ups
//! without Prometheus (tests, the simulator, small sites). Which gauge feeds which score is a
//! table ([`SIM_INPUTS`] for cluster-sim's gauges, 0..1 ratios labelled `site`, `host`).
//!
//! A backend that cannot be scraped, or lacks a gauge, simply has no score for it; only when no
//! backend answers is the reading an error. The warm-up count is the number of successful
//! scrapes of each host since the source was created (shared by clones).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{CPU, Error, MEMUSED, METACACHE, ZScores, text, zscores};

/// score → metric name for cluster-sim backends.
pub const SIM_INPUTS: &[(&str, &str)] = &[
    (MEMUSED, "dovecot_cluster_sim_memory_used_ratio"),
    (CPU, "dovecot_cluster_sim_cpu_busy_ratio"),
    (METACACHE, "dovecot_cluster_sim_metacache_used_ratio"),
];

/// Scrapes a fixed set of backends.
#[derive(Debug, Clone)]
pub struct DirectSource {
    http: reqwest::Client,
    /// host → metrics URL
    backends: HashMap<String, String>,
    inputs: Vec<(String, String)>,
    samples: Arc<Mutex<HashMap<String, u64>>>,
}

impl DirectSource {
    /// `backends`: host → base URL (`http://127.0.0.1:port`; `/metrics` is appended unless the
    /// URL already ends in it). Reads [`SIM_INPUTS`]; `timeout` bounds each scrape.
    pub fn new(backends: impl IntoIterator<Item = (String, String)>, timeout: Duration) -> Result<Self, Error> {
        let backends: HashMap<String, String> = backends
            .into_iter()
            .map(|(host, url)| {
                let url = url.trim_end_matches('/').to_string();
                let url = if url.ends_with("/metrics") { url } else { format!("{url}/metrics") };
                (host, url)
            })
            .collect();
        let http = reqwest::Client::builder().timeout(timeout).build().map_err(|source| Error::Unreachable {
            what: "backend",
            url: String::new(),
            source,
        })?;
        let inputs = SIM_INPUTS.iter().map(|(s, m)| (s.to_string(), m.to_string())).collect();
        Ok(Self { http, backends, inputs, samples: Arc::default() })
    }

    /// Other score → metric name pairs than [`SIM_INPUTS`] (gauges with values to compare).
    pub fn with_inputs(mut self, inputs: &[(&str, &str)]) -> Self {
        self.inputs = inputs.iter().map(|(s, m)| (s.to_string(), m.to_string())).collect();
        self
    }

    /// Scrapes every backend now and returns the site's z-scores. Samples labelled with another
    /// `site` or `host` are ignored.
    pub async fn zscores(&self, site: &str) -> Result<ZScores, Error> {
        let scrapes = futures::future::join_all(
            self.backends.iter().map(|(host, url)| async move { (host, self.scrape(url).await) }),
        )
        .await;
        let mut values: HashMap<String, HashMap<String, f64>> = HashMap::new();
        let mut errors = Vec::new();
        for (host, page) in scrapes {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    errors.push(e.to_string());
                    continue;
                }
            };
            let row = values.entry(host.clone()).or_default();
            for sample in text::parse(&page) {
                let Some((score, _)) = self.inputs.iter().find(|(_, metric)| *metric == sample.name) else { continue };
                let mine =
                    sample.label("site").is_none_or(|s| s == site) && sample.label("host").is_none_or(|h| h == host);
                if mine && sample.value.is_finite() {
                    row.entry(score.clone()).or_insert(sample.value);
                }
            }
        }
        if values.is_empty() && !self.backends.is_empty() {
            return Err(Error::NoBackends(errors.join("; ")));
        }
        let mut counts = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        for host in values.keys() {
            *counts.entry(host.clone()).or_default() += 1;
        }
        let samples = values.keys().map(|h| (h.clone(), counts.get(h).copied().unwrap_or(0))).collect();
        Ok(ZScores { per_host: zscores(&values), samples })
    }

    /// The raw `/metrics` page of one backend.
    async fn scrape(&self, url: &str) -> Result<String, Error> {
        let unreachable = |source| Error::Unreachable { what: "backend", url: url.to_string(), source };
        let response = self.http.get(url).send().await.map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::BadAnswer { url: url.to_string(), reason: format!("HTTP {status}") });
        }
        response.text().await.map_err(unreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_backend_answering_is_an_error() {
        let url = format!("http://127.0.0.1:{}", testkit::free_port());
        let source = DirectSource::new([("h1".to_string(), url)], Duration::from_secs(2)).unwrap();
        assert!(source.backends["h1"].ends_with("/metrics"));
        let err = source.zscores("s").await.unwrap_err();
        assert!(matches!(err, Error::NoBackends(_)), "{err}");
    }
}

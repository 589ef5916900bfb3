//! [`DirectSource`]: scrapes every backend's `/metrics` itself and computes the z-scores
//! in-process with [`crate::zscores`], the formula of deploy/prometheus/rules.yml. For set-ups
//! without Prometheus (tests, the simulator, small sites). Which gauge feeds which score is a
//! table ([`SIM_INPUTS`] for cluster-sim's gauges, 0..1 ratios labelled `site`, `host`).
//!
//! A backend that cannot be scraped, or lacks a gauge, simply has no score for it; only when no
//! backend answers is the reading an error. The warm-up count is the number of successful
//! scrapes of each host since the source was created (shared by clones).
//!
//! The site statistics ([`ZScores::site_stats`]) come from the same raw values as the z-scores,
//! like the rules' `dovecot_cluster:site:avg` and `:stddev`; a score no host has is left out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::zscore::site_stats;
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
        Ok(ZScores { per_host: zscores(&values), samples, site_stats: site_stats(&values) })
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
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;
    use crate::SiteStat;

    /// A backend whose `/metrics` always answers `page` (HTTP/1.1, one request per connection).
    fn serve(page: String) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", page.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(page.as_bytes()));
            }
        });
        url
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[tokio::test]
    async fn site_stats_come_from_the_raw_values() {
        let page = |host: &str, mem: f64, cpu: &str| {
            format!(
                "# TYPE dovecot_cluster_sim_memory_used_ratio gauge\n\
                 dovecot_cluster_sim_memory_used_ratio{{site=\"s\",host=\"{host}\"}} {mem}\n\
                 dovecot_cluster_sim_memory_used_ratio{{site=\"other\",host=\"{host}\"}} 0.99\n\
                 dovecot_cluster_sim_cpu_busy_ratio{{site=\"s\",host=\"{host}\"}} {cpu}\n"
            )
        };
        let backends = [
            ("h1".to_string(), serve(page("h1", 0.2, "0.5"))),
            ("h2".to_string(), serve(page("h2", 0.4, "0.5"))),
            ("h3".to_string(), serve(page("h3", 0.6, "NaN"))),
        ];
        let source = DirectSource::new(backends, Duration::from_secs(5)).unwrap();
        let z = source.zscores("s").await.unwrap();

        let mem = z.site_stats[MEMUSED];
        assert!(close(mem.mean, 0.4) && close(mem.stddev, (0.08_f64 / 3.0).sqrt()), "{mem:?}");
        assert!(close(z.get("h3", MEMUSED).unwrap() * mem.stddev + mem.mean, 0.6), "{z:?}");
        // h3's NaN is not a value: cpu is over h1 and h2 only, and has no spread.
        assert_eq!(z.site_stats[CPU], SiteStat { mean: 0.5, stddev: 0.0 });
        assert!(!z.site_stats.contains_key(METACACHE), "no host has it: {:?}", z.site_stats);
        assert!(close(z.relative_spread()[MEMUSED], (0.08_f64 / 3.0).sqrt() / 0.4));
        assert_eq!(z.relative_spread()[CPU], 0.0);
    }

    #[test]
    fn site_stats_skip_missing_and_non_finite_values() {
        let mut values: HashMap<String, HashMap<String, f64>> = HashMap::new();
        for (host, score, v) in [("a", "m", 1.0), ("b", "m", 3.0), ("c", "m", f64::INFINITY), ("c", "k", f64::NAN)] {
            values.entry(host.to_string()).or_default().insert(score.to_string(), v);
        }
        let stats = site_stats(&values);
        assert_eq!(stats.len(), 1, "{stats:?}");
        assert_eq!(stats["m"], SiteStat { mean: 2.0, stddev: 1.0 });
        assert!(site_stats(&HashMap::new()).is_empty());
    }

    #[tokio::test]
    async fn no_backend_answering_is_an_error() {
        let url = format!("http://127.0.0.1:{}", testkit::free_port());
        let source = DirectSource::new([("h1".to_string(), url)], Duration::from_secs(2)).unwrap();
        assert!(source.backends["h1"].ends_with("/metrics"));
        let err = source.zscores("s").await.unwrap_err();
        assert!(matches!(err, Error::NoBackends(_)), "{err}");
    }
}

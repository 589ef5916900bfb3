//! [`PrometheusSource`]: reads the recording rule `dovecot_cluster:host:zscore` over Prometheus'
//! HTTP API (`GET /api/v1/query`, instant vector) and, for the balancer's warm-up, how many
//! samples each host has in the window (12 h by default, the controller's
//! `HOST_LOAD_BALANCE_MIN_SAMPLES` = 3000 at a 15 s evaluation interval):
//!
//! ```text
//! dovecot_cluster:host:zscore{site="S"}
//! min by (host) (count_over_time(dovecot_cluster:host:zscore{site="S"}[12h]))
//! dovecot_cluster:site:avg{site="S"}
//! dovecot_cluster:site:stddev{site="S"}
//! ```
//!
//! `min by (host)` counts the host's scarcest score, so a host is warm only once every score is.
//! The last two give [`ZScores::site_stats`]; a score lacking either series (rules from before
//! they existed) is left out, never read as 0.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::{Error, SiteStat, ZScores};

/// The recording rule's name (deploy/prometheus/rules.yml).
pub const ZSCORE_METRIC: &str = "dovecot_cluster:host:zscore";
/// The per-site mean and population stddev of each score's ratio, labelled `site`, `score`.
pub const SITE_AVG_METRIC: &str = "dovecot_cluster:site:avg";
pub const SITE_STDDEV_METRIC: &str = "dovecot_cluster:site:stddev";

/// A Prometheus server holding the z-score recording rules.
#[derive(Debug, Clone)]
pub struct PrometheusSource {
    http: reqwest::Client,
    base_url: String,
    warmup_window: Duration,
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<VectorSample>,
}

#[derive(Deserialize)]
struct VectorSample {
    metric: HashMap<String, String>,
    value: (f64, String),
}

impl PrometheusSource {
    /// `base_url` like `http://127.0.0.1:9090`; `timeout` bounds each query.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, Error> {
        let http = reqwest::Client::builder().timeout(timeout).build().map_err(|source| Error::Unreachable {
            what: "Prometheus",
            url: base_url.to_string(),
            source,
        })?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            warmup_window: Duration::from_secs(12 * 3600),
        })
    }

    /// The window the warm-up sample count covers (default 12 h).
    pub fn with_warmup_window(mut self, window: Duration) -> Self {
        self.warmup_window = window;
        self
    }

    /// The site's z-scores, per-host sample counts and per-score site statistics.
    pub async fn zscores(&self, site: &str) -> Result<ZScores, Error> {
        let site_label = format!("{{site=\"{}\"}}", escape(site));
        let selector = format!("{ZSCORE_METRIC}{site_label}");
        let count = format!("min by (host) (count_over_time({selector}[{}s]))", self.warmup_window.as_secs().max(1));
        let (avg, stddev) = (format!("{SITE_AVG_METRIC}{site_label}"), format!("{SITE_STDDEV_METRIC}{site_label}"));
        let (scores, counts, avgs, stddevs) =
            futures::try_join!(self.query(&selector), self.query(&count), self.query(&avg), self.query(&stddev))?;
        let mut out = ZScores::default();
        for s in scores {
            let (Some(host), Some(score)) = (s.metric.get("host"), s.metric.get("score")) else { continue };
            let value = self.number(&s.value.1)?;
            if value.is_finite() {
                out.per_host.entry(host.clone()).or_default().insert(score.clone(), value);
            }
        }
        for s in counts {
            let Some(host) = s.metric.get("host") else { continue };
            let value = self.number(&s.value.1)?;
            out.samples.insert(host.clone(), if value.is_finite() && value > 0.0 { value as u64 } else { 0 });
        }
        out.site_stats = self.site_stats(avgs, stddevs)?;
        Ok(out)
    }

    /// score → site statistics, for the scores that have both a finite avg and a finite stddev.
    fn site_stats(
        &self,
        avgs: Vec<VectorSample>,
        stddevs: Vec<VectorSample>,
    ) -> Result<HashMap<String, SiteStat>, Error> {
        let mut stddevs = self.per_score(stddevs)?;
        let stats = self.per_score(avgs)?.into_iter().filter_map(|(score, mean)| {
            let stddev = stddevs.remove(&score)?;
            Some((score, SiteStat { mean, stddev }))
        });
        Ok(stats.collect())
    }

    /// score label → finite value; samples without a score or with a NaN/Inf value are dropped.
    fn per_score(&self, samples: Vec<VectorSample>) -> Result<HashMap<String, f64>, Error> {
        let mut out = HashMap::new();
        for s in samples {
            let Some(score) = s.metric.get("score") else { continue };
            let value = self.number(&s.value.1)?;
            if value.is_finite() {
                out.insert(score.clone(), value);
            }
        }
        Ok(out)
    }

    /// Runs an instant query; the answer must be a vector.
    pub async fn query_vector(&self, query: &str) -> Result<Vec<(HashMap<String, String>, f64)>, Error> {
        let samples = self.query(query).await?;
        samples.into_iter().map(|s| Ok((s.metric, self.number(&s.value.1)?))).collect()
    }

    async fn query(&self, query: &str) -> Result<Vec<VectorSample>, Error> {
        let url = format!("{}/api/v1/query", self.base_url);
        let unreachable = |source| Error::Unreachable { what: "Prometheus", url: url.clone(), source };
        let response = self.http.get(&url).query(&[("query", query)]).send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        let bad = |reason: String| Error::BadAnswer { url: url.clone(), reason };
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| bad(format!("HTTP {status}, not a query answer ({e}): {}", String::from_utf8_lossy(&body))))?;
        if answer.status != "success" {
            return Err(bad(format!("HTTP {status}, {}: {}", answer.status, answer.error.unwrap_or_default())));
        }
        let data = answer.data.ok_or_else(|| bad("success without data".into()))?;
        if data.result_type != "vector" {
            return Err(bad(format!("expected a vector, got {}", data.result_type)));
        }
        Ok(data.result)
    }

    fn number(&self, text: &str) -> Result<f64, Error> {
        text.parse::<f64>()
            .map_err(|e| Error::BadAnswer { url: self.base_url.clone(), reason: format!("value {text:?}: {e}") })
    }
}

/// A PromQL double-quoted string's content.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_site_names() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
    }

    #[test]
    fn parses_a_vector_answer() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"dovecot_cluster:host:zscore","site":"s","host":"h1","score":"memused"},
             "value":[1700000000.5,"-1.5"]}]}}"#;
        let answer: Answer = serde_json::from_str(body).unwrap();
        let data = answer.data.unwrap();
        assert_eq!(data.result[0].metric["host"], "h1");
        assert_eq!(data.result[0].value.1, "-1.5");
    }

    fn samples(rows: &[(&str, &str)]) -> Vec<VectorSample> {
        rows.iter()
            .map(|(score, value)| VectorSample {
                metric: HashMap::from([
                    ("site".to_string(), "s".to_string()),
                    ("score".to_string(), score.to_string()),
                ]),
                value: (1700000000.0, value.to_string()),
            })
            .collect()
    }

    #[test]
    fn site_stats_need_both_series() {
        let source = PrometheusSource::new("http://127.0.0.1:1", Duration::from_secs(1)).unwrap();
        let avgs = samples(&[("memused", "0.4"), ("cpu", "0.5"), ("metacache", "0.2"), ("odd", "NaN")]);
        let stddevs = samples(&[("memused", "0.1"), ("cpu", "0"), ("odd", "0.1"), ("extra", "0.3")]);
        let stats = source.site_stats(avgs, stddevs).unwrap();
        assert_eq!(stats.len(), 2, "{stats:?}");
        assert_eq!(stats["memused"], SiteStat { mean: 0.4, stddev: 0.1 });
        // No spread is a known 0, unlike a missing series.
        assert_eq!(stats["cpu"], SiteStat { mean: 0.5, stddev: 0.0 });
        assert!(source.site_stats(samples(&[("cpu", "x")]), vec![]).is_err(), "a non-number is a bad answer");
    }

    #[tokio::test]
    async fn unreachable_is_typed() {
        let port = testkit::free_port();
        let source = PrometheusSource::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
        let err = source.zscores("s").await.unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    }
}

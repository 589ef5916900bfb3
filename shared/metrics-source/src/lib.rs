//! Per-host load z-scores for the controller's balancer (the recording rules in
//! `deploy/prometheus/rules.yml`), from one of two sources with the same answer shape, [`ZScores`]:
//!
//! * [`PrometheusSource`] reads the recording rule `dovecot_cluster:host:zscore{site,host,score}`
//!   (deploy/prometheus/rules.yml) over Prometheus' HTTP API, and counts its samples over the
//!   warm-up window;
//! * [`DirectSource`] scrapes each backend's `/metrics` itself and computes the same z-scores
//!   in-process with [`zscores`], the formula the rules use.
//!
//! [`MetricsSource`] picks one at run time.

pub mod direct;
pub mod prometheus;
pub mod text;
pub mod zscore;

use std::collections::HashMap;

pub use direct::{DirectSource, SIM_INPUTS};
pub use prometheus::PrometheusSource;
pub use zscore::{mean_stddev, zscores};

/// Score names, as in the `score` label.
pub const MEMUSED: &str = "memused";
pub const CPU: &str = "cpu";
pub const METACACHE: &str = "metacache";

/// A site mean below this (1 % of a resource) counts as idle for [`ZScores::relative_spread`].
pub const IDLE_RATIO: f64 = 0.01;

/// One reading of a site's z-scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZScores {
    /// host → score name (`memused`, `cpu`, `metacache`) → z-score. A score whose input is
    /// missing for a host is absent, never 0.
    pub per_host: HashMap<String, HashMap<String, f64>>,
    /// host → how many samples back the scores (warm-up: compare with
    /// `HOST_LOAD_BALANCE_MIN_SAMPLES`).
    pub samples: HashMap<String, u64>,
    /// score name → the site's mean and population standard deviation of the raw ratio the
    /// z-scores came from. Absent when the source cannot tell (e.g. rules without the site series).
    pub site_stats: HashMap<String, SiteStat>,
}

/// The site-wide statistics of one score's raw input (a 0..1 ratio per host).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SiteStat {
    pub mean: f64,
    pub stddev: f64,
}

impl ZScores {
    /// One host's score, if present.
    pub fn get(&self, host: &str, score: &str) -> Option<f64> {
        self.per_host.get(host).and_then(|s| s.get(score)).copied()
    }

    /// A reading from raw figures (host → score → value): the z-scores and site statistics a
    /// source would compute from them.
    pub fn from_figures(figures: &HashMap<String, HashMap<String, f64>>, samples: HashMap<String, u64>) -> Self {
        Self { per_host: zscores(figures), samples, site_stats: zscore::site_stats(figures) }
    }

    /// The raw figures behind the z-scores, `mean + z · stddev` per score: exact for either
    /// source, as both compute z = (x − mean) / stddev. Scores without site statistics are left
    /// out.
    pub fn figures(&self) -> HashMap<String, HashMap<String, f64>> {
        self.per_host
            .iter()
            .map(|(host, scores)| {
                let row = scores
                    .iter()
                    .filter_map(|(name, z)| self.site_stats.get(name).map(|s| (name.clone(), s.mean + z * s.stddev)))
                    .collect();
                (host.clone(), row)
            })
            .collect()
    }

    /// score name → coefficient of variation (stddev / mean) of its raw input over the site's
    /// hosts: what one z-score unit is worth as a share of the site's mean load. Only scores
    /// with a finite mean and a finite stddev are listed. A resource the site barely uses (mean
    /// below [`IDLE_RATIO`]) gets 0: its noise would otherwise read as a huge relative spread,
    /// and an idle resource has no load to balance.
    pub fn relative_spread(&self) -> HashMap<String, f64> {
        self.site_stats
            .iter()
            .filter(|(_, s)| s.mean.is_finite() && s.mean >= 0.0 && s.stddev.is_finite() && s.stddev >= 0.0)
            .map(|(name, s)| (name.clone(), if s.mean < IDLE_RATIO { 0.0 } else { s.stddev / s.mean }))
            .collect()
    }
}

/// Why a reading failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Prometheus (or a backend, for [`DirectSource`]) could not be reached or timed out.
    #[error("{what} unreachable at {url}: {source}")]
    Unreachable {
        what: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// It answered, but not with what we asked for (status, JSON shape, error status, value).
    #[error("bad answer from {url}: {reason}")]
    BadAnswer { url: String, reason: String },
    /// No backend of the site could be scraped.
    #[error("no backend answered: {0}")]
    NoBackends(String),
}

/// Either source, chosen by configuration.
#[derive(Debug, Clone)]
pub enum MetricsSource {
    Prometheus(PrometheusSource),
    Direct(DirectSource),
}

impl MetricsSource {
    /// The site's current z-scores.
    pub async fn zscores(&self, site: &str) -> Result<ZScores, Error> {
        match self {
            Self::Prometheus(p) => p.zscores(site).await,
            Self::Direct(d) => d.zscores(site).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_spread_is_stddev_over_mean_and_zero_for_an_idle_resource() {
        let stat = |mean, stddev| SiteStat { mean, stddev };
        let reading = ZScores {
            site_stats: [
                ("memused".to_owned(), stat(0.5, 0.05)),
                ("metacache".to_owned(), stat(0.001, 0.002)),
                ("cpu".to_owned(), stat(f64::NAN, 0.1)),
            ]
            .into(),
            ..ZScores::default()
        };
        let spread = reading.relative_spread();
        assert!((spread["memused"] - 0.1).abs() < 1e-12);
        assert_eq!(spread["metacache"], 0.0);
        assert!(!spread.contains_key("cpu"), "no mean, no spread: {spread:?}");
    }

    #[test]
    fn figures_round_trip_through_z_scores() {
        let mut raw: HashMap<String, HashMap<String, f64>> = HashMap::new();
        for (host, mem, cpu) in [("a", 0.2, 0.5), ("b", 0.4, 0.5), ("c", 0.9, 0.5)] {
            raw.insert(host.into(), [(MEMUSED.to_owned(), mem), (CPU.to_owned(), cpu)].into());
        }
        let reading = ZScores::from_figures(&raw, HashMap::new());
        let back = reading.figures();
        for (host, row) in &raw {
            for (score, x) in row {
                assert!((back[host][score] - x).abs() < 1e-12, "{host} {score}: {back:?}");
            }
        }
    }
}

//! End to end: the real `cluster-sim` (one backend loaded ×2) scraped by Debian's real
//! `prometheus` with the repo's deploy/prometheus/rules.yml, evaluating every second. The
//! z-scores read through `PrometheusSource` must agree with `DirectSource`'s on the same sim:
//! the loaded backend has the highest memused z-score in both, and every host's memused score
//! has the same sign. The site statistics (`dovecot_cluster:site:avg`/`:stddev` against the
//! in-process mean and stddev) must be there for every score in both and roughly agree; the two
//! readings are taken at different moments of a noisy sim, so only roughly.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use metrics_source::{CPU, DirectSource, MEMUSED, METACACHE, PrometheusSource, SiteStat, ZScores};
use testkit::prometheus::{Prometheus, repo_rules_file};
use testkit::{ChildGuard, TempGeoDb, binary_path, wait_until_async};

const TIMEOUT: Duration = Duration::from_secs(60);
const LOADED: &str = "b2.sim.sim";

struct Sim {
    _child: ChildGuard,
    site: String,
    /// host → base URL (doveadm and /metrics share the port)
    backends: HashMap<String, String>,
}

async fn start_sim(db: &TempGeoDb) -> Sim {
    let ready_file = db.dir.path().join("ready.json");
    let mut cmd = Command::new(binary_path("cluster-sim"));
    cmd.env_clear()
        .env("GEODB_URL", db.url())
        .env("CLUSTER_SIM_LOG_LEVEL", "warn")
        .args(["--site", "sim", "--backends", "3", "--users", "600", "--rate", "60", "--preassign"])
        .args(["--fault", &format!("{LOADED}:load_multiplier=2")])
        .arg("--ready-file")
        .arg(&ready_file)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut child = ChildGuard::spawn(&mut cmd);
    let ready: serde_json::Value = wait_until_async("the sim's ready file", TIMEOUT, || {
        let exited = child.0.try_wait().expect("try_wait");
        assert!(exited.is_none(), "cluster-sim exited before it was ready: {exited:?}");
        let text = std::fs::read_to_string(&ready_file).ok();
        async move { text.and_then(|t| serde_json::from_str(&t).ok()) }
    })
    .await;
    let backends = ready["backends"]
        .as_object()
        .expect("backends in the ready file")
        .iter()
        .map(|(host, url)| (host.clone(), url.as_str().expect("doveadm url").to_string()))
        .collect();
    Sim { _child: child, site: ready["site"].as_str().expect("site").to_string(), backends }
}

/// The host with the highest score.
fn top(z: &ZScores, score: &str) -> String {
    z.per_host
        .iter()
        .filter_map(|(h, s)| s.get(score).map(|v| (h.clone(), *v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(h, _)| h)
        .expect("some score")
}

/// Two readings of one site statistic, taken moments apart: within half the larger of them, or
/// both near 0 (the ratios are 0..1, so 0.05 is small).
fn roughly(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= 0.05_f64.max(0.5 * a.abs().max(b.abs()))
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_rules_agree_with_direct_scrape() {
    let db = TempGeoDb::new().await;
    let sim = start_sim(&db).await;
    assert!(sim.backends.contains_key(LOADED), "{:?}", sim.backends);
    let targets: Vec<&String> = sim.backends.values().collect();
    let prometheus = Prometheus::start(&targets, &repo_rules_file(), Duration::from_secs(1)).await;
    let source = PrometheusSource::new(&prometheus.url, Duration::from_secs(5)).unwrap();
    let from_prometheus = wait_until_async("z-scores for all 3 hosts in Prometheus", TIMEOUT, || async {
        let z = source.zscores(&sim.site).await.ok()?;
        let complete = z.per_host.len() == 3 && z.per_host.values().all(|s| s.len() == 3) && z.site_stats.len() == 3;
        (complete && z.samples.values().all(|n| *n >= 2)).then_some(z)
    })
    .await;
    let direct = DirectSource::new(sim.backends.clone(), Duration::from_secs(5)).unwrap();
    let from_direct = direct.zscores(&sim.site).await.unwrap();

    assert_eq!(top(&from_prometheus, MEMUSED), LOADED, "{from_prometheus:?}");
    assert_eq!(top(&from_direct, MEMUSED), LOADED, "{from_direct:?}");
    for host in sim.backends.keys() {
        let (p, d) = (from_prometheus.get(host, MEMUSED).unwrap(), from_direct.get(host, MEMUSED).unwrap());
        assert_eq!(p.signum(), d.signum(), "{host}: prometheus {p}, direct {d}");
        assert_eq!(from_direct.per_host[host].len(), 3, "every score for {host}");
        assert_eq!(from_direct.samples[host], 1);
    }
    assert!(from_prometheus.get(LOADED, MEMUSED).unwrap() > 1.0);

    for score in [MEMUSED, CPU, METACACHE] {
        let p: SiteStat = from_prometheus.site_stats[score];
        let d: SiteStat = *from_direct.site_stats.get(score).unwrap_or_else(|| panic!("direct {score}"));
        assert!(roughly(p.mean, d.mean) && roughly(p.stddev, d.stddev), "{score}: prometheus {p:?}, direct {d:?}");
        assert!(p.mean > 0.0 && p.stddev >= 0.0 && d.mean > 0.0 && d.stddev >= 0.0, "{score}: {p:?} {d:?}");
    }
    for (what, z) in [("prometheus", &from_prometheus), ("direct", &from_direct)] {
        let spread = z.relative_spread();
        assert!(spread[MEMUSED] > 0.05, "{what}: the loaded site's memused spread is {spread:?}");
    }

    // Prometheus' answer to a broken query is a typed bad answer.
    let err = source.query_vector("sum(").await.unwrap_err();
    assert!(matches!(err, metrics_source::Error::BadAnswer { .. }), "{err}");
}

//! Each backend's `/metrics` follows its load: a backend with load multiplier 3 reports higher
//! memory, CPU and metacache figures than its peers, and the figure moves when the fault does.

use cluster_sim::metrics::sample;
use serde_json::json;
use testkit::{TempGeoDb, wait_until_async};

use crate::harness::{self, Sim, TIMEOUT};

const FIGURES: [&str; 3] = [
    "dovecot_cluster_sim_memory_used_ratio",
    "dovecot_cluster_sim_cpu_busy_ratio",
    "dovecot_cluster_sim_metacache_used_ratio",
];

async fn figures(sim: &Sim, host: &str) -> [f64; 3] {
    let page = reqwest::get(format!("{}/metrics", sim.doveadm_url(host))).await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("host=\"{host}\"")), "{page}");
    FIGURES.map(|name| sample(&page, name).unwrap_or_else(|| panic!("{name} missing from {page}")))
}

/// Waits until every figure of `hot` is above the same figure of every other backend.
async fn wait_hottest(sim: &Sim, hot: &str) {
    let hosts: Vec<String> = sim.ready.backends.keys().cloned().collect();
    wait_until_async(&format!("{hot} to report the highest load"), TIMEOUT, || async {
        let top = figures(sim, hot).await;
        for other in hosts.iter().filter(|h| *h != hot) {
            let theirs = figures(sim, other).await;
            if (0..3).any(|i| top[i] <= theirs[i]) {
                return None;
            }
        }
        Some(())
    })
    .await;
}

#[tokio::test]
async fn a_backend_with_load_multiplier_3_reports_higher_figures() {
    let db = TempGeoDb::new().await;
    let args = [
        "--backends",
        "3",
        "--users",
        "300",
        "--groups",
        "30",
        "--rate",
        "150",
        "--preassign",
        "--metrics-noise",
        "0.01",
        "--fault",
        "b1.sim.sim:load_multiplier=3",
    ];
    let sim = harness::start(&db, &args).await;
    wait_hottest(&sim, "b1.sim.sim").await;
    for host in sim.ready.backends.keys() {
        let f = figures(&sim, host).await;
        assert!(f.iter().all(|x| (0.0..=1.0).contains(x)), "{host}: {f:?}");
    }

    // Moving the fault moves the load.
    sim.put_faults("b1.sim.sim", json!({"load_multiplier": 1.0})).await;
    let (code, _) = sim.put_faults("b3.sim.sim", json!({"load_multiplier": 3.0})).await;
    assert_eq!(code, 200);
    wait_hottest(&sim, "b3.sim.sim").await;
    let state = sim.state().await;
    assert!(state["backends"]["b3.sim.sim"]["load"]["users"].as_u64().unwrap() > 0);
}

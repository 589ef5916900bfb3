//! Throughput (a measurement, not a gate; run with `--ignored`, ideally `--release`): two worker
//! processes drain pre-filled no-op probe jobs, as the RQ/Celery/arq anchors were measured
//! (Celery 2× solo drains 1,614 jobs/s on this kind of machine).

use std::time::{Duration, Instant};

use queue::Priority;
use serde_json::json;
use testkit::wait_until_async;

use crate::queue_harness::Site;

#[tokio::test]
#[ignore = "a benchmark: run explicitly, ideally with --release"]
async fn two_workers_drain_no_op_jobs() {
    let jobs: usize = std::env::var("E2E_THROUGHPUT_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let site = Site::start("throughput").await;
    let started = Instant::now();
    let batch: Vec<_> = (0..jobs)
        .map(|_| queue::NewJob {
            kind: "probe".into(),
            payload: json!({}),
            priority: Priority::Low,
            dedup_key: None,
            max_attempts: None,
            epoch: None,
        })
        .collect();
    site.queue.enqueue_many(batch).await.unwrap();
    let enqueue = started.elapsed();

    let redis_cpu_before = site.redis_cpu_seconds().await;
    let concurrency: u16 = std::env::var("E2E_THROUGHPUT_CONCURRENCY").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    let workers: Vec<_> = (0..2).map(|_| site.worker(Priority::Low, concurrency, &[])).collect();
    let spawned = Instant::now();
    // Drain: from the first claim to the last acknowledgement, as the anchors were measured.
    let first_claim = wait_until_async("the first claim", Duration::from_secs(30), || async {
        let low = site.queue.depths().await.ok()?.low;
        (low.waiting < jobs as u64).then(Instant::now)
    })
    .await;
    wait_until_async("the queue to drain", Duration::from_secs(600), || async {
        let low = site.queue.depths().await.ok()?.low;
        (low.waiting + low.running == 0).then_some(())
    })
    .await;
    let drain = first_claim.elapsed();
    let wall = spawned.elapsed();
    eprintln!(
        "{jobs} no-op jobs: enqueue_many {:.0} jobs/s; 2 workers drain {:.0} jobs/s ({:.2} s), wall from spawn {:.2} s",
        jobs as f64 / enqueue.as_secs_f64(),
        jobs as f64 / drain.as_secs_f64(),
        drain.as_secs_f64(),
        wall.as_secs_f64()
    );
    let worker_cpu: Vec<String> = workers.iter().map(|w| format!("{:.2}", cpu_seconds(w.pid()))).collect();
    let redis_cpu = site.redis_cpu_seconds().await - redis_cpu_before;
    eprintln!("cpu seconds: redis-server {redis_cpu:.2}, workers {}", worker_cpu.join(" + "));
    drop(workers);
}

/// User + system CPU of a process so far, from `/proc/<pid>/stat` (clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at index 2 (state).
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

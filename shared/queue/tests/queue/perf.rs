//! Throughput by hand (ignored by default): `cargo test -p queue --release --test queue --
//! --ignored --nocapture perf`. Two consumers on their own connections, as two worker processes
//! would be, drain N no-op jobs fetching and acknowledging in batches. QUEUE_BENCH_JOBS sets N;
//! QUEUE_BENCH_REDIS_URL points it at another server (the private one fsyncs every write).

use std::time::{Duration, Instant};

use queue::{Outcome, Priority, Queue};

use super::common::{env, fast_config, job};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, run by hand in release mode"]
async fn perf_enqueue_and_drain() {
    let n: usize = std::env::var("QUEUE_BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let env = env("perf").await;
    let url = std::env::var("QUEUE_BENCH_REDIS_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| env.server.url());
    let config = || {
        let mut c = fast_config(&env.prefix);
        c.visibility_timeout = Duration::from_secs(30);
        c
    };
    let producer = Queue::connect(&url, config()).await.unwrap();
    let mut stats = RedisCpu::new(&url).await;

    let sequential = 5000;
    let started = Instant::now();
    for _ in 0..sequential {
        producer.enqueue(job("noop", Priority::Low)).await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("enqueue, one at a time: {sequential} jobs in {secs:.2} s = {:.0} jobs/s", sequential as f64 / secs);
    let consumer = producer.consumer(Priority::Low, "sweeper");
    while !consumer.fetch(1000, Duration::ZERO).await.unwrap().is_empty() {}
    stats.report("sequential enqueue", sequential).await;

    let started = Instant::now();
    let mut enqueued = 0;
    while enqueued < n {
        let batch = (n - enqueued).min(5000);
        producer.enqueue_many((0..batch).map(|_| job("noop", Priority::High)).collect()).await.unwrap();
        enqueued += batch;
    }
    let enqueue_secs = started.elapsed().as_secs_f64();
    println!("enqueue_many: {n} jobs in {enqueue_secs:.2} s = {:.0} jobs/s", n as f64 / enqueue_secs);
    stats.report("enqueue", n).await;

    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..2 {
        let queue = Queue::connect(&url, config()).await.unwrap();
        workers.push(tokio::spawn(async move {
            let consumer = queue.consumer(Priority::High, format!("bench-{w}"));
            let mut done = 0usize;
            loop {
                let batch = consumer.fetch(256, Duration::from_millis(50)).await.unwrap();
                if batch.is_empty() {
                    return done;
                }
                let items: Vec<_> =
                    batch.into_iter().map(|d| (d, Outcome::Succeeded(serde_json::Value::Null))).collect();
                done += consumer.complete_many(&items).await.unwrap().len();
            }
        }));
    }
    let mut drained = 0;
    for w in workers {
        drained += w.await.unwrap();
    }
    // The last empty fetch blocks 50 ms; leave it out of the rate.
    let secs = started.elapsed().as_secs_f64() - 0.05;
    assert_eq!(drained, n);
    println!("fetch+complete_many, 2 consumers: {n} jobs in {secs:.2} s = {:.0} jobs/s", n as f64 / secs);
    stats.report("drain", n).await;

    // One job at a time with `complete` per job, as a simple worker would.
    let count = n.min(10_000);
    producer.enqueue_many((0..count).map(|_| job("noop", Priority::Low)).collect()).await.unwrap();
    let started = Instant::now();
    let consumer = producer.consumer(Priority::Low, "single");
    let mut done = 0;
    while done < count {
        for d in consumer.fetch(64, Duration::from_millis(50)).await.unwrap() {
            consumer.complete(&d, Outcome::Succeeded(serde_json::Value::Null)).await.unwrap();
            done += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("fetch(64)+complete per job, 1 consumer: {count} jobs in {secs:.2} s = {:.0} jobs/s", count as f64 / secs);
}

/// Redis's own CPU time per job (INFO cpu), the limit on a box where Redis shares the cores.
struct RedisCpu {
    conn: redis::aio::MultiplexedConnection,
    last: f64,
}

impl RedisCpu {
    async fn new(url: &str) -> Self {
        let conn = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
        let mut me = Self { conn, last: 0.0 };
        me.last = me.cpu().await;
        me
    }

    async fn cpu(&mut self) -> f64 {
        let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut self.conn).await.unwrap();
        info.lines()
            .filter(|l| l.starts_with("used_cpu_user:") || l.starts_with("used_cpu_sys:"))
            .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
            .sum()
    }

    async fn report(&mut self, phase: &str, jobs: usize) {
        let now = self.cpu().await;
        println!("  redis cpu during {phase}: {:.1} us/job", (now - self.last) * 1e6 / jobs as f64);
        self.last = now;
    }
}

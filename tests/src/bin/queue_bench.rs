//! The queue benchmark's driver (used by `scripts/bench-queue`; not a test):
//!   queue-bench enqueue URL PREFIX N          enqueue N no-op probe jobs (low) in pipelined batches
//!   queue-bench drain URL PREFIX N TIMEOUT_S  wait for the first dequeue, then for the queue to empty
//!   queue-bench latency URL PREFIX SAMPLES    high-priority start latency with 5 000 low jobs queued

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use queue::{JobState, NewJob, Priority, Queue, QueueConfig};

const BATCH: usize = 1000;
const LOW_BACKLOG: usize = 5000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, url, prefix, rest @ ..] = args.as_slice() else {
        bail!("usage: queue-bench enqueue|drain|latency URL PREFIX …");
    };
    let queue = Queue::connect(url, QueueConfig::new(prefix.as_str())).await?;
    let number =
        |i: usize| -> anyhow::Result<usize> { rest.get(i).context("missing number")?.parse().context("not a number") };
    match mode.as_str() {
        "enqueue" => enqueue(&queue, number(0)?, Priority::Low, serde_json::json!({})).await,
        "drain" => drain(&queue, number(0)?, Duration::from_secs(number(1)? as u64)).await,
        "latency" => latency(&queue, number(0)?).await,
        other => bail!("unknown mode {other}"),
    }
}

fn probe(priority: Priority, payload: serde_json::Value) -> NewJob {
    NewJob { kind: "probe".into(), payload, priority, dedup_key: None, max_attempts: None, epoch: None }
}

async fn enqueue(queue: &Queue, n: usize, priority: Priority, payload: serde_json::Value) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut left = n;
    while left > 0 {
        let batch = left.min(BATCH);
        queue.enqueue_many((0..batch).map(|_| probe(priority, payload.clone())).collect()).await?;
        left -= batch;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("enqueued {n} jobs in {secs:.3}s ({:.0} jobs/s)", n as f64 / secs);
    Ok(())
}

/// Drain time runs from the first dequeue to the last completion, as the Python anchors did.
async fn drain(queue: &Queue, n: usize, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let first = loop {
        let d = queue.depths().await?.low;
        if d.waiting < n as u64 {
            break Instant::now();
        }
        if Instant::now() > deadline {
            bail!("no job was dequeued within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    loop {
        let d = queue.depths().await?;
        if d.low.waiting == 0 && d.low.running == 0 && d.delayed == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("queue not drained within {timeout:?}: {d:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let secs = first.elapsed().as_secs_f64();
    let dead = queue.depths().await?.dead;
    println!("drained {n} jobs in {secs:.3}s ({:.0} jobs/s), dead {dead}", n as f64 / secs);
    Ok(())
}

/// With 5 000 low jobs (20 ms each) queued and the low pool busy, how long a high job waits
/// from the enqueue call until a worker marked it running, timed by the client.
async fn latency(queue: &Queue, samples: usize) -> anyhow::Result<()> {
    enqueue(queue, LOW_BACKLOG, Priority::Low, serde_json::json!({"duration_ms": 20})).await?;
    let mut waits = Vec::with_capacity(samples);
    for _ in 0..samples {
        let low = queue.depths().await?.low;
        if low.waiting == 0 {
            bail!("the low backlog drained before the samples were taken; lower SAMPLES");
        }
        let started = Instant::now();
        let id = queue.enqueue(probe(Priority::High, serde_json::json!({}))).await?.id().to_owned();
        loop {
            let record = queue.get(&id).await?.context("high job vanished")?;
            if record.state != JobState::Queued {
                waits.push(started.elapsed());
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("high job {id} not started within 10 s");
            }
        }
    }
    waits.sort();
    let at = |q: f64| waits[((waits.len() as f64 * q) as usize).min(waits.len() - 1)];
    println!(
        "high-priority start latency over {samples} samples with {LOW_BACKLOG} low jobs queued: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        waits[waits.len() - 1].as_secs_f64() * 1e3
    );
    Ok(())
}

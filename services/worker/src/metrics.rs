//! The worker's metrics. Job metrics are labelled by kind (a closed list: anything else is
//! `unknown`) and outcome, never by job id. Queue gauges are refreshed from Redis by every
//! worker; they describe the queue, not the process, so any worker's scrape will do.

use std::time::Duration;

use jobs::JobKind;
use queue::{Priority, QueueDepths};

pub const QUEUE_DEPTH: &str = "controller_queue_depth";
pub const QUEUE_PENDING: &str = "controller_queue_pending";
pub const QUEUE_DELAYED: &str = "controller_queue_delayed";
pub const QUEUE_DEAD: &str = "controller_queue_dead";
pub const JOBS_TOTAL: &str = "controller_jobs_total";
pub const JOB_WAIT_SECONDS: &str = "controller_job_wait_seconds";
pub const JOB_RUN_SECONDS: &str = "controller_job_run_seconds";
pub const STUCK_MOVES: &str = "controller_stuck_moves_total";
pub const BACKEND_REACHABLE: &str = "controller_backend_reachable";
pub const SITE_FAILOVER_PERCENT: &str = "controller_site_failover_percent";
pub const DESIRED_BACKENDS: &str = "controller_desired_backends";

/// Describes the metrics once, so `/metrics` explains them before the first job.
pub fn describe() {
    metrics::describe_gauge!(QUEUE_DEPTH, "Jobs waiting in a priority's stream, not yet delivered.");
    metrics::describe_gauge!(QUEUE_PENDING, "Jobs delivered to a worker and not yet acknowledged.");
    metrics::describe_gauge!(QUEUE_DELAYED, "Failed jobs waiting for their retry backoff.");
    metrics::describe_gauge!(QUEUE_DEAD, "Jobs in the dead letters.");
    metrics::describe_counter!(
        JOBS_TOTAL,
        "Job attempts by kind and outcome (succeeded, retry, dead, stale, unacknowledged)."
    );
    metrics::describe_histogram!(JOB_WAIT_SECONDS, metrics::Unit::Seconds, "From enqueue to the start of an attempt.");
    metrics::describe_histogram!(JOB_RUN_SECONDS, metrics::Unit::Seconds, "Handler run time of an attempt.");
    metrics::describe_counter!(
        STUCK_MOVES,
        "Moves (kind: group or user) not finished within MOVE_TIMEOUT_SECS; each raised a stuck_move alert."
    );
    metrics::describe_gauge!(
        SITE_BALANCEDNESS,
        "100 / (1 + standard deviation of the backends' combined load scores): 100 is perfectly even (load_balance)."
    );
    metrics::describe_gauge!(
        METRIC_SPREAD,
        "Standard deviation of one load metric's z-scores over the site's backends."
    );
    metrics::describe_gauge!(
        SITE_FAILOVER_PERCENT,
        "Share of the site's users site failover sends to other sites (force_move_percentage; live runs only)."
    );
    metrics::describe_gauge!(DESIRED_BACKENDS, "Backends the site should have, as the autoscale job last published.");
    metrics::describe_gauge!(
        BACKEND_REACHABLE,
        "1 when the backend's doveadm API answered the last reachability probe (DNS failures within their grace count as answered), else 0."
    );
}

/// `kind` is `group` or `user`: a closed set.
pub fn stuck_move(kind: &'static str) {
    metrics::counter!(STUCK_MOVES, "kind" => kind).increment(1);
}

/// Labelled by site and backend host: bounded by the site's backends, unlike ids of jobs or users.
pub fn backend_reachable(site: &str, backend: &str, reachable: bool) {
    let value = if reachable { 1.0 } else { 0.0 };
    metrics::gauge!(BACKEND_REACHABLE, "site" => site.to_owned(), "backend" => backend.to_owned()).set(value);
}

/// The label for a stored kind: a closed set, so a bad record cannot grow the series count.
pub fn kind_label(kind: &str) -> &'static str {
    kind.parse::<JobKind>().map_or("unknown", JobKind::as_str)
}

pub fn job_started(kind: &str, waited: Duration) {
    metrics::histogram!(JOB_WAIT_SECONDS, "kind" => kind_label(kind)).record(waited.as_secs_f64());
}

pub fn job_ran(kind: &str, ran: Duration) {
    metrics::histogram!(JOB_RUN_SECONDS, "kind" => kind_label(kind)).record(ran.as_secs_f64());
}

pub fn job_completed(kind: &str, outcome: &'static str) {
    metrics::counter!(JOBS_TOTAL, "kind" => kind_label(kind), "outcome" => outcome).increment(1);
}

pub fn queue_depths(depths: &QueueDepths) {
    for (priority, depth) in [(Priority::High, depths.high), (Priority::Low, depths.low)] {
        metrics::gauge!(QUEUE_DEPTH, "priority" => priority.as_str()).set(depth.waiting as f64);
        metrics::gauge!(QUEUE_PENDING, "priority" => priority.as_str()).set(depth.running as f64);
    }
    metrics::gauge!(QUEUE_DELAYED).set(depths.delayed as f64);
    metrics::gauge!(QUEUE_DEAD).set(depths.dead as f64);
}

pub const SITE_BALANCEDNESS: &str = "controller_site_balancedness";
pub const METRIC_SPREAD: &str = "controller_metric_spread";

/// Labelled by site and by metric name (the closed set of z-score names).
pub fn site_balance(site: &str, balancedness: f64, spread: &std::collections::BTreeMap<String, f64>) {
    metrics::gauge!(SITE_BALANCEDNESS, "site" => site.to_owned()).set(balancedness);
    for (metric, value) in spread {
        metrics::gauge!(METRIC_SPREAD, "site" => site.to_owned(), "metric" => metric.clone()).set(*value);
    }
}

/// Labelled by site only.
pub fn site_failover_percent(site: &str, percent: u8) {
    metrics::gauge!(SITE_FAILOVER_PERCENT, "site" => site.to_owned()).set(f64::from(percent));
}

/// Labelled by site only.
pub fn desired_backends(site: &str, desired: usize) {
    metrics::gauge!(DESIRED_BACKENDS, "site" => site.to_owned()).set(desired as f64);
}

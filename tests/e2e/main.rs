//! End-to-end tests over the real binaries: one test binary, a module per feature.

mod api_binary;
mod automation_balance;
mod automation_balance_prometheus;
mod automation_failover_autoscale;
mod automation_group_size;
mod automation_guard;
mod automation_mitigation;
mod moves_evacuate;
mod moves_harness;
mod moves_refused;
mod moves_stuck;
mod moves_user;
mod queue_config;
mod queue_dedup;
mod queue_harness;
mod queue_priority;
mod queue_reclaim;
mod queue_redis_restart;
mod queue_retry;
mod queue_scheduler;
mod queue_shutdown;
mod queue_throughput;

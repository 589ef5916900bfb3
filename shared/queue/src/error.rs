//! Maps Redis and pool errors onto the queue's errors: anything a retry later may fix is
//! `Unavailable`; a reply we cannot read is `Corrupt`. Never hides an error as success.

use deadpool_redis::PoolError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

use crate::QueueError;

/// True when the connection itself is suspect (dropped, refused, timed out) and must be replaced.
pub(crate) fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

pub(crate) fn from_redis(e: RedisError) -> QueueError {
    if is_connection_error(&e) {
        return QueueError::Unavailable(e.to_string());
    }
    match e.kind() {
        ErrorKind::Server(kind) if transient(kind, e.code()) => QueueError::Unavailable(e.to_string()),
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => QueueError::Corrupt(e.to_string()),
        _ => QueueError::Internal(e.to_string()),
    }
}

/// An error reply inside a pipeline.
pub fn from_server(e: &redis::ServerError) -> QueueError {
    let text = format!("{} {}", e.code(), e.details().unwrap_or_default());
    match e.kind() {
        Some(kind) if transient(kind, Some(e.code())) => QueueError::Unavailable(text),
        None if e.code() == "BUSY" => QueueError::Unavailable(text),
        _ => QueueError::Internal(text),
    }
}

/// Server states that pass: loading the AOF after a restart, a failover, a long script.
fn transient(kind: ServerErrorKind, code: Option<&str>) -> bool {
    matches!(
        kind,
        ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown
            | ServerErrorKind::ReadOnly
    ) || code == Some("BUSY")
}

pub(crate) fn from_pool(e: PoolError) -> QueueError {
    match e {
        PoolError::Backend(e) => from_redis(e),
        PoolError::Timeout(kind) => QueueError::Unavailable(format!("redis pool timed out ({kind:?})")),
        other => QueueError::Unavailable(other.to_string()),
    }
}

pub fn corrupt(what: impl std::fmt::Display) -> QueueError {
    QueueError::Corrupt(what.to_string())
}

//! Driver errors mapped onto `GeoDbError` once, so callers can retry exactly the failures a
//! retry may cure: no connection, timeouts, unavailable or overloaded replicas.

use scylla::errors::{
    ConnectionPoolError, DbError, DeserializationError, ExecutionError, IntoRowsResultError, MetadataError,
    NewSessionError, NextPageError, NextRowError, PagerExecutionError, PrepareError, RequestAttemptError, RequestError,
    RowsError, SchemaAgreementError, TypeCheckError, UseKeyspaceError,
};

use crate::error::GeoDbError;

#[derive(Clone, Copy)]
enum Kind {
    Unavailable,
    Corrupt,
    Internal,
}

fn build(kind: Kind, error: &dyn std::fmt::Display) -> GeoDbError {
    let message = error.to_string();
    match kind {
        Kind::Unavailable => GeoDbError::Unavailable(message),
        Kind::Corrupt => GeoDbError::Corrupt(message),
        Kind::Internal => GeoDbError::Internal(message),
    }
}

fn db(error: &DbError) -> Kind {
    match error {
        DbError::Unavailable { .. }
        | DbError::Overloaded
        | DbError::IsBootstrapping
        | DbError::ReadTimeout { .. }
        | DbError::WriteTimeout { .. }
        | DbError::ReadFailure { .. }
        | DbError::WriteFailure { .. }
        | DbError::RateLimitReached { .. }
        | DbError::TruncateError => Kind::Unavailable,
        _ => Kind::Internal,
    }
}

fn attempt(error: &RequestAttemptError) -> Kind {
    match error {
        RequestAttemptError::DbError(e, _) => db(e),
        RequestAttemptError::BrokenConnectionError(_) | RequestAttemptError::UnableToAllocStreamId => Kind::Unavailable,
        RequestAttemptError::CqlResultParseError(_) => Kind::Corrupt,
        _ => Kind::Internal,
    }
}

fn prepare(error: &PrepareError) -> Kind {
    match error {
        PrepareError::ConnectionPoolError(_) => Kind::Unavailable,
        PrepareError::AllAttemptsFailed { first_attempt } => attempt(first_attempt),
        _ => Kind::Internal,
    }
}

fn use_keyspace(error: &UseKeyspaceError) -> Kind {
    match error {
        UseKeyspaceError::RequestError(e) => attempt(e),
        UseKeyspaceError::RequestTimeout(_) => Kind::Unavailable,
        _ => Kind::Internal,
    }
}

fn schema_agreement(error: &SchemaAgreementError) -> Kind {
    match error {
        SchemaAgreementError::ConnectionPoolError(_)
        | SchemaAgreementError::Timeout(_)
        | SchemaAgreementError::RequiredHostAbsent(_) => Kind::Unavailable,
        SchemaAgreementError::PrepareError(e) => prepare(e),
        SchemaAgreementError::RequestError(e) => attempt(e),
        _ => Kind::Internal,
    }
}

fn metadata(error: &MetadataError) -> Kind {
    match error {
        MetadataError::ConnectionPoolError(_) | MetadataError::FetchError(_) => Kind::Unavailable,
        _ => Kind::Internal,
    }
}

fn request(error: &RequestError) -> Kind {
    match error {
        RequestError::EmptyPlan | RequestError::ConnectionPoolError(_) | RequestError::RequestTimeout(_) => {
            Kind::Unavailable
        }
        RequestError::LastAttemptError(e) => attempt(e),
        _ => Kind::Internal,
    }
}

fn next_page(error: &NextPageError) -> Kind {
    match error {
        NextPageError::RequestFailure(e) => request(e),
        NextPageError::ResultMetadataParseError(_) | NextPageError::TypeCheckError(_) => Kind::Corrupt,
        _ => Kind::Internal,
    }
}

fn execution(error: &ExecutionError) -> Kind {
    match error {
        ExecutionError::EmptyPlan | ExecutionError::ConnectionPoolError(_) | ExecutionError::RequestTimeout(_) => {
            Kind::Unavailable
        }
        ExecutionError::LastAttemptError(e) => attempt(e),
        ExecutionError::PrepareError(e) => prepare(e),
        ExecutionError::UseKeyspaceError(e) => use_keyspace(e),
        ExecutionError::SchemaAgreementError(e) => schema_agreement(e),
        ExecutionError::MetadataError(e) => metadata(e),
        _ => Kind::Internal,
    }
}

macro_rules! map_with {
    ($($error:ty => $classify:expr;)*) => {
        $(impl From<$error> for GeoDbError {
            fn from(error: $error) -> Self {
                let classify: fn(&$error) -> Kind = $classify;
                build(classify(&error), &error)
            }
        })*
    };
}

map_with! {
    ExecutionError => execution;
    PrepareError => prepare;
    UseKeyspaceError => use_keyspace;
    SchemaAgreementError => schema_agreement;
    ConnectionPoolError => |_| Kind::Unavailable;
    PagerExecutionError => |e| match e {
        PagerExecutionError::PrepareError(e) => prepare(e),
        PagerExecutionError::NextPageError(e) => next_page(e),
        PagerExecutionError::UseKeyspaceError(e) => use_keyspace(e),
        PagerExecutionError::SchemaAgreementError(e) => schema_agreement(e),
        PagerExecutionError::MetadataError(e) => metadata(e),
        _ => Kind::Internal,
    };
    NextRowError => |e| match e {
        NextRowError::NextPageError(e) => next_page(e),
        _ => Kind::Corrupt,
    };
    // Any session that fails to start for a reason other than its own configuration is a
    // cluster we cannot reach (refused, timed out, failed authentication handshake).
    NewSessionError => |e| match e {
        NewSessionError::EmptyKnownNodesList | NewSessionError::IllegalConfig(_) => Kind::Internal,
        NewSessionError::UseKeyspaceError(e) => use_keyspace(e),
        _ => Kind::Unavailable,
    };
    // Rows that do not deserialize into the expected shape are stored data we cannot read.
    IntoRowsResultError => |e| match e {
        IntoRowsResultError::ResultNotRows(_) => Kind::Internal,
        _ => Kind::Corrupt,
    };
    RowsError => |_| Kind::Corrupt;
    DeserializationError => |_| Kind::Corrupt;
    TypeCheckError => |_| Kind::Corrupt;
}

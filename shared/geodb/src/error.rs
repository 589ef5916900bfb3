//! GeoDB errors, the same for every backend so callers map them once.

use std::fmt;

pub type Result<T, E = GeoDbError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum GeoDbError {
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    #[error("{entity} {key} already exists")]
    AlreadyExists { entity: &'static str, key: String },
    #[error("{0}")]
    Conflict(ConflictKind),
    /// The database cannot be reached or is locked beyond the timeout; retrying may succeed.
    #[error("geodb unavailable: {0}")]
    Unavailable(String),
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A stored value that does not parse as the model: never silently skipped.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("geodb error: {0}")]
    Internal(String),
}

/// Why a change was refused because of what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictKind {
    /// A site still has backends or users.
    SiteNotEmpty { backends: u64, has_users: bool },
    /// Groups still live on (or are moving to) the backend.
    BackendInUse { groups: u64 },
    /// Sites still reference the tag.
    TagInUse { sites: u64 },
    /// The group is moving; it cannot be deleted or moved again.
    GroupMoving { group: String },
    /// No online backend with a load factor above zero can take new groups.
    NoDestinationBackend,
}

impl fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SiteNotEmpty { backends, has_users } => {
                write!(f, "site still has {backends} backend(s){}", if *has_users { " and users" } else { "" })
            }
            Self::BackendInUse { groups } => write!(f, "{groups} group(s) still live on or move to the backend"),
            Self::TagInUse { sites } => write!(f, "{sites} site(s) still use the tag"),
            Self::GroupMoving { group } => write!(f, "group {group} is moving"),
            Self::NoDestinationBackend => {
                write!(f, "no online backend with a load factor above 0 can take new groups")
            }
        }
    }
}

impl GeoDbError {
    pub fn not_found(entity: &'static str, key: impl fmt::Display) -> Self {
        Self::NotFound { entity, key: key.to_string() }
    }

    pub fn already_exists(entity: &'static str, key: impl fmt::Display) -> Self {
        Self::AlreadyExists { entity, key: key.to_string() }
    }

    pub fn corrupt(what: impl fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

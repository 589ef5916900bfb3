//! GeoDB on Cassandra/ScyllaDB through the `scylla` driver: one session, every statement
//! prepared once, uniqueness and group moves guarded by lightweight transactions. Lookup tables
//! (`*_by_name`, `users_by_group`, …) are never trusted over the main row they point to.

mod backends;
mod errors;
mod exec;
mod groups;
mod moves;
pub mod rows;
pub mod schema;
mod settings;
mod sites;
mod statements;
mod stats;
mod store;
mod tags;
mod tokens;
mod users;

use std::fmt;
use std::time::Duration;

use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::{Consistency, SerialConsistency};

use crate::error::{GeoDbError, Result};
use crate::{CqlConsistency, CqlOptions};

use statements::Statements;

/// The CQL backend. Cheap to share: the driver session pools its own connections.
pub struct CqlGeoDb {
    session: Session,
    st: Statements,
    keyspace: String,
}

impl fmt::Debug for CqlGeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CqlGeoDb").field("keyspace", &self.keyspace).finish_non_exhaustive()
    }
}

impl CqlGeoDb {
    /// Connects, creates the keyspace and tables when `init_schema` is set, and prepares every
    /// statement. An unreachable cluster is `Unavailable`.
    pub async fn connect(options: CqlOptions) -> Result<Self> {
        schema::validate_keyspace(&options.keyspace)?;
        let session = build_session(&options).await?;
        if options.init_schema {
            schema::create(&session, &options).await?;
        }
        session.use_keyspace(&options.keyspace, false).await?;
        let st =
            Statements::prepare(&session, consistency(options.consistency), serial_read_consistency(&options)).await?;
        tracing::info!(keyspace = %options.keyspace, nodes = ?options.nodes, "connected to geodb over cql");
        Ok(Self { session, st, keyspace: options.keyspace })
    }
}

async fn build_session(options: &CqlOptions) -> Result<Session> {
    if options.nodes.is_empty() {
        return Err(GeoDbError::Internal("no cql contact points configured".into()));
    }
    let mut policy = DefaultPolicy::builder();
    if let Some(dc) = &options.local_dc {
        policy = policy.prefer_datacenter(dc.clone());
    }
    let profile = ExecutionProfile::builder()
        .consistency(consistency(options.consistency))
        .serial_consistency(Some(serial_consistency(options)))
        .request_timeout(Some(options.request_timeout))
        .load_balancing_policy(policy.build())
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&options.nodes)
        .connection_timeout(options.request_timeout)
        .schema_agreement_timeout(options.request_timeout.max(Duration::from_secs(60)))
        // Token-aware routing needs only our keyspace; other keyspaces' metadata is dead weight.
        .keyspaces_to_fetch([options.keyspace.clone()])
        .default_execution_profile_handle(profile.into_handle());
    if let Some(dc) = &options.local_dc {
        builder = builder.prefer_datacenter(dc.clone());
    }
    if let Some(user) = &options.username {
        builder = builder.user(user, options.password.clone().unwrap_or_default());
    }
    // The driver gives up on refused connections quickly, but a black-holed address would
    // otherwise wait on every retry: bound the whole start-up by a few request timeouts.
    let limit = options.request_timeout.saturating_mul(3).max(Duration::from_secs(1));
    match tokio::time::timeout(limit, builder.build()).await {
        Ok(session) => Ok(session?),
        Err(_) => Err(GeoDbError::Unavailable(format!("no cql node answered within {limit:?}"))),
    }
}

fn consistency(c: CqlConsistency) -> Consistency {
    match c {
        CqlConsistency::One => Consistency::One,
        CqlConsistency::Quorum => Consistency::Quorum,
        CqlConsistency::LocalQuorum => Consistency::LocalQuorum,
        CqlConsistency::EachQuorum => Consistency::EachQuorum,
        CqlConsistency::All => Consistency::All,
        CqlConsistency::LocalOne => Consistency::LocalOne,
    }
}

fn serial_consistency(options: &CqlOptions) -> SerialConsistency {
    if options.serial_local { SerialConsistency::LocalSerial } else { SerialConsistency::Serial }
}

/// Reads that must see the latest lightweight transaction go through Paxos at this level.
fn serial_read_consistency(options: &CqlOptions) -> Consistency {
    if options.serial_local { Consistency::LocalSerial } else { Consistency::Serial }
}

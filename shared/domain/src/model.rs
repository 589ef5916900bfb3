//! The objects GeoDB stores. Field names follow the GeoDB columns.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::names::{GroupName, HostName, LoadFactor, SiteName, TagName, UserName};
use crate::status::{BackendStatus, SiteStatus};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A site's id, generated unless an operator re-adds a known site.
    SiteId
);
uuid_id!(
    /// A backend's id.
    BackendId
);
uuid_id!(
    /// A tag's id.
    TagId
);

/// A tag shards users and backends to sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: TagId,
    pub name: TagName,
}

/// A data centre with its proxies and backends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub name: SiteName,
    pub tag: Option<TagId>,
    /// Host that other sites' proxies connect to for site-to-site traffic.
    pub load_balancer: Option<HostName>,
    pub status: SiteStatus,
}

impl Site {
    /// A new site, as `doveadm cluster site add` makes it: online.
    pub fn new(name: SiteName) -> Self {
        Self { id: SiteId::random(), name, tag: None, load_balancer: None, status: SiteStatus::Online }
    }
}

/// A mail backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backend {
    pub id: BackendId,
    pub site_id: SiteId,
    pub host: HostName,
    pub status: BackendStatus,
    pub load_factor: LoadFactor,
}

impl Backend {
    /// A new backend, as `doveadm cluster backend add` makes it: standby, full load factor.
    pub fn new(site_id: SiteId, host: HostName) -> Self {
        Self { id: BackendId::random(), site_id, host, status: BackendStatus::Standby, load_factor: LoadFactor::MAX }
    }

    /// Whether new groups or moved groups may be placed here.
    pub fn is_destination(&self) -> bool {
        crate::destination::backend_refusal(self.status, self.load_factor, Default::default()).is_none()
    }
}

/// A group's in-progress move: set by one conditional write, finished by the source backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMove {
    /// The non-empty `moving` marker: who started the move (a job or operator id).
    pub marker: String,
    pub destination: BackendId,
}

/// A group of users that always lives on one backend of its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroup {
    pub site_id: SiteId,
    pub name: GroupName,
    pub backend_id: BackendId,
    /// The move destination while moving; after a move GeoDB keeps the last destination.
    pub alt_backend_id: Option<BackendId>,
    /// The `moving` marker; `None` when the group is not moving.
    pub moving: Option<String>,
    /// Users of the group are not moved to other groups automatically.
    pub sticky_users: bool,
    /// The group is not moved to another backend by load balancing.
    pub sticky_backend: bool,
    pub last_moved_at: Option<DateTime<Utc>>,
}

impl UserGroup {
    pub fn new(site_id: SiteId, name: GroupName, backend_id: BackendId) -> Self {
        Self {
            site_id,
            name,
            backend_id,
            alt_backend_id: None,
            moving: None,
            sticky_users: false,
            sticky_backend: false,
            last_moved_at: None,
        }
    }

    pub fn is_moving(&self) -> bool {
        self.moving.is_some()
    }
}

/// A user's routing record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: UserName,
    pub site_id: SiteId,
    /// `None` once `site init --update` unassigned the user; the next login assigns one.
    pub group: Option<GroupName>,
    pub failover_group: Option<GroupName>,
    /// The in-progress move between groups (`doveadm cluster user move`).
    pub moving_site_id: Option<SiteId>,
    pub moving_group: Option<GroupName>,
    pub moving_failover_group: Option<GroupName>,
}

impl User {
    pub fn new(name: UserName, site_id: SiteId, group: GroupName) -> Self {
        Self {
            name,
            site_id,
            group: Some(group),
            failover_group: None,
            moving_site_id: None,
            moving_group: None,
            moving_failover_group: None,
        }
    }

    pub fn is_moving(&self) -> bool {
        self.moving_group.is_some() || self.moving_site_id.is_some()
    }
}

/// Whether proxies of `src` can reach site `dest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteReachability {
    pub src_site_id: SiteId,
    pub dest_site_id: SiteId,
    pub reachable: bool,
    pub updated_at: DateTime<Utc>,
}

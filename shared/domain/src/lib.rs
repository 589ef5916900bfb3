//! The cluster model shared by every service: sites, backends, user groups, users, statistics,
//! settings and tokens, with the validation rules `doveadm cluster` applies.
//! This crate does no I/O; storage lives in `geodb`, decisions in `policy`.

pub mod destination;
pub mod error;
pub mod feature;
pub mod model;
pub mod names;
pub mod placement;
pub mod priority;
pub mod reachability;
pub mod settings;
pub mod stats;
pub mod status;
pub mod token;

pub use error::{ValidationError, ValidationKind};
pub use feature::{Feature, FeatureState};
pub use model::{Backend, BackendId, GroupMove, Site, SiteId, SiteReachability, Tag, TagId, User, UserGroup};
pub use names::{GroupMask, GroupName, HostName, LoadFactor, SettingName, SiteName, TagName, UserName};
pub use priority::Priority;
pub use reachability::BackendReachability;
pub use settings::{Setting, SettingScope};
pub use stats::{Protocol, ProxyDestStat, StatTotals};
pub use status::{BackendStatus, SiteStatus, StatusChange};
pub use token::{Role, TokenRecord};

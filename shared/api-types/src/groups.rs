//! User groups and users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    pub site: String,
    pub name: String,
    /// Host name of the backend the group lives on.
    pub backend: String,
    pub alt_backend: Option<String>,
    /// The move marker while the group is moving.
    pub moving: Option<String>,
    pub sticky_users: bool,
    pub sticky_backend: bool,
    pub last_moved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupView>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(default)]
    pub sticky_users: Option<bool>,
    #[serde(default)]
    pub sticky_backend: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub name: String,
    pub site: String,
    pub group: Option<String>,
    pub failover_group: Option<String>,
    /// Host of the backend the user's group lives on, when assigned.
    pub backend: Option<String>,
    pub moving: Option<UserMoveView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserMoveView {
    pub site: Option<String>,
    pub group: Option<String>,
    pub failover_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

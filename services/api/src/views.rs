//! Stored objects as the API shows them: references by name, not by id.

use std::collections::HashMap;

use api_types::{BackendView, GroupView, SiteView, TagView, UserMoveView, UserView};
use domain::{Backend, BackendId, HostName, Site, SiteId, SiteName, Tag, TagId, TagName, User, UserGroup};

pub fn site(site: Site, tags: &HashMap<TagId, TagName>) -> SiteView {
    SiteView {
        id: site.id.0,
        name: site.name.into(),
        tag: site.tag.map(|t| tags.get(&t).map_or_else(|| t.to_string(), ToString::to_string)),
        load_balancer: site.load_balancer.map(Into::into),
        status: site.status,
    }
}

pub fn tag(tag: Tag) -> TagView {
    TagView { id: tag.id.0, name: tag.name.into() }
}

pub fn backend(backend: Backend, site: &str) -> BackendView {
    BackendView {
        id: backend.id.0,
        site: site.to_owned(),
        host: backend.host.into(),
        status: backend.status,
        load_factor: backend.load_factor.get(),
    }
}

/// A backend reference: its host, or its id if it no longer exists.
pub fn host_of(hosts: &HashMap<BackendId, HostName>, id: BackendId) -> String {
    hosts.get(&id).map_or_else(|| id.to_string(), ToString::to_string)
}

pub fn group(group: UserGroup, site: &SiteName, hosts: &HashMap<BackendId, HostName>) -> GroupView {
    GroupView {
        site: site.to_string(),
        name: group.name.into(),
        backend: host_of(hosts, group.backend_id),
        alt_backend: group.alt_backend_id.map(|b| host_of(hosts, b)),
        moving: group.moving,
        sticky_users: group.sticky_users,
        sticky_backend: group.sticky_backend,
        last_moved_at: group.last_moved_at,
    }
}

pub fn user(user: User, sites: &HashMap<SiteId, SiteName>, backend: Option<String>) -> UserView {
    let site_name = |id: SiteId| sites.get(&id).map_or_else(|| id.to_string(), ToString::to_string);
    let moving = user.is_moving().then(|| UserMoveView {
        site: user.moving_site_id.map(site_name),
        group: user.moving_group.clone().map(Into::into),
        failover_group: user.moving_failover_group.clone().map(Into::into),
    });
    UserView {
        name: user.name.into(),
        site: site_name(user.site_id),
        group: user.group.map(Into::into),
        failover_group: user.failover_group.map(Into::into),
        backend,
        moving,
    }
}

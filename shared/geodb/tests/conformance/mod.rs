//! The GeoDB conformance suite: one set of behavioural cases every backend must pass, expanded
//! into tests by `conformance_suite!` in each backend's test binary. Cases speak only the
//! `GeoDb` trait and `geodb::ops`, never a backend's internals, and never sleep to synchronise.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::settings::DEFAULT_GROUP_COUNT;
use domain::{
    Backend, BackendId, BackendStatus, GroupName, HostName, LoadFactor, Setting, SettingName, SettingScope, Site,
    SiteId, SiteName, TagName, User, UserGroup, UserName,
};
use geodb::{GeoDb, GroupFilter, PageRequest, UserFilter};

/// `assert!(matches!(..))` that prints the value on failure.
macro_rules! assert_matches {
    ($value:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $value {
            ref value => assert!(
                matches!(value, $pattern $(if $guard)?),
                "expected {}, got {:?}",
                stringify!($pattern),
                value
            ),
        }
    };
}

pub mod assign;
pub mod backends;
pub mod basics;
pub mod features;
pub mod groups;
pub mod moves;
pub mod paging;
pub mod races;
pub mod reachability;
pub mod settings;
pub mod site_init;
pub mod sites;
pub mod stats;
pub mod tags;
pub mod tokens;
pub mod user_moves;
pub mod users;

/// One fresh, empty GeoDB namespace for one test case.
pub struct TestDb {
    pub db: Arc<dyn GeoDb>,
    /// A second, independent handle on the same database (another process's view): a separate
    /// pool / session.
    pub other: Arc<dyn GeoDb>,
    /// Keeps temp files etc. alive for the test's duration.
    #[allow(dead_code, reason = "held, never read: dropping it removes the namespace")]
    pub guard: Box<dyn std::any::Any + Send>,
}

/// Expands to one `#[tokio::test(flavor = "multi_thread", worker_threads = 4)]` per
/// conformance case, named `conformance_cases::<area>::<case>`. `$factory` is a path to
/// `async fn() -> Option<TestDb>`, optionally preceded by one attribute for every case: a suite
/// whose backend may be absent passes `#[ignore]` (under a `cfg_attr`) so that the runner reports
/// its cases as skipped. A case that runs and finds no backend (`None`) fails.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(#[cfg(all())] $factory);
    };
    (#[$attr:meta] $factory:path) => {
        async fn __conformance_factory() -> ::std::option::Option<$crate::conformance::TestDb> {
            $factory().await
        }
        $crate::conformance_suite!(@areas #[$attr]
            basics { ping_and_kind, writes_are_visible_to_the_other_handle }
            tags { crud_and_sorting, rename_and_conflicts, in_use_cannot_be_deleted }
            sites { crud_and_sorting, updates, delete_refused_while_not_empty, delete_removes_dependent_rows }
            backends { crud_and_sorting, duplicate_host_and_unknown_site, updates, delete_refused_while_in_use }
            groups { insert_get_and_flags, delete_refused_while_moving }
            paging {
                paging_with_mask_backend_and_limit, pages_are_exact_when_the_count_divides_the_limit,
                invalid_cursors_are_refused
            }
            moves { lifecycle, refusals }
            races { racing_starts_have_one_winner, racing_finish_and_abort_have_one_winner }
            users { crud_and_group_changes, listing_puts_unassigned_first, paging_ten_thousand_assigned_users }
            user_moves { lifecycle, refusals, racing_starts_have_one_winner, racing_finish_and_abort_have_one_winner }
            stats { upsert_replaces_and_reads_the_window }
            settings { specificity, list_delete_and_order }
            features { feature_states, default_group_count }
            reachability { put_and_filter }
            tokens { crud_and_order }
            site_init {
                init_spreads_groups_by_load_factor, init_without_destination_is_refused,
                init_update_refused_while_moving, init_update_resizes_and_unassigns
            }
            assign { assign_user_concurrently, assign_user_keeps_existing_groups, assign_user_without_destination }
        );
    };
    (@areas #[$attr:meta] $($area:ident { $($case:ident),* $(,)? })*) => {
        mod conformance_cases {
            $(
                mod $area {
                    $(
                        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                        #[$attr]
                        async fn $case() {
                            // A case that is not ignored must run: a missing backend fails it.
                            let t = super::super::__conformance_factory()
                                .await
                                .expect("the backend this suite was built for is not configured now");
                            $crate::conformance::$area::$case(&t).await;
                        }
                    )*
                }
            )*
        }
    };
}

pub fn site_name(s: &str) -> SiteName {
    SiteName::parse(s).unwrap()
}

pub fn tag_name(s: &str) -> TagName {
    TagName::parse(s).unwrap()
}

pub fn host(s: &str) -> HostName {
    HostName::parse(s).unwrap()
}

pub fn group(s: &str) -> GroupName {
    GroupName::parse(s).unwrap()
}

pub fn user(s: &str) -> UserName {
    UserName::parse(s).unwrap()
}

pub fn setting_name(s: &str) -> SettingName {
    SettingName::parse(s).unwrap()
}

/// Now, at the millisecond precision every backend stores.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub async fn add_site(db: &dyn GeoDb, name: &str) -> Site {
    let site = Site::new(site_name(name));
    db.insert_site(&site).await.unwrap();
    site
}

pub async fn add_backend(db: &dyn GeoDb, site: SiteId, name: &str, status: BackendStatus, load: i64) -> Backend {
    let backend = Backend { status, load_factor: LoadFactor::new(load).unwrap(), ..Backend::new(site, host(name)) };
    db.insert_backend(&backend).await.unwrap();
    backend
}

/// An online backend with full load factor.
pub async fn add_online_backend(db: &dyn GeoDb, site: SiteId, name: &str) -> Backend {
    add_backend(db, site, name, BackendStatus::Online, 100).await
}

pub async fn add_group(db: &dyn GeoDb, site: SiteId, name: &str, backend: BackendId) -> UserGroup {
    let g = UserGroup::new(site, group(name), backend);
    assert!(db.insert_group(&g).await.unwrap());
    g
}

pub async fn set_group_count(db: &dyn GeoDb, site: SiteId, count: u32) {
    let setting =
        Setting { scope: SettingScope::Site(site), name: setting_name(DEFAULT_GROUP_COUNT), value: count.to_string() };
    db.put_setting(&setting).await.unwrap();
}

pub async fn group_names(db: &dyn GeoDb, site: SiteId) -> Vec<String> {
    let page = db.list_groups(site, &GroupFilter::default(), &PageRequest::first(1000)).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items.into_iter().map(|g| g.name.to_string()).collect()
}

pub async fn users_of(db: &dyn GeoDb, site: SiteId) -> Vec<User> {
    let page = db.list_users(site, &UserFilter::default(), &PageRequest::first(1000)).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items
}

pub fn default_names(count: u32) -> Vec<String> {
    let mut names: Vec<String> = (1..=count).map(|n| GroupName::default_n(n).to_string()).collect();
    names.sort();
    names
}

//! The document's schemas for names, references and free text, built once from `domain`'s
//! rules (`domain::names::patterns` and the `*_MAX` bounds). Request fields name them with
//! `#[schema(value_type = schema::SiteName)]`; the server's document fills path and query
//! parameters that are references (`site`, `backend`, `tag`, …) from [`reference`].

use domain::names::{GROUP_NAME_MAX, HOST_NAME_MAX, SETTING_NAME_MAX, SIMPLE_NAME_MAX, USER_NAME_MAX, patterns};
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The longest dedup key of a job.
pub const DEDUP_KEY_MAX: usize = 200;
/// The longest token name.
pub const TOKEN_NAME_MAX: usize = 128;

fn string(pattern: &str, max: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max))
        .description(Some(description))
        .into()
}

macro_rules! named_schema {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    )*};
}

named_schema! {
    SiteName => string(patterns::SIMPLE_NAME, SIMPLE_NAME_MAX,
        "A site name; case-insensitive, kept lower-case; not a UUID.");
    TagName => string(patterns::SIMPLE_NAME, SIMPLE_NAME_MAX,
        "A tag name; case-insensitive, kept lower-case; not a UUID.");
    HostName => string(patterns::HOST_NAME, HOST_NAME_MAX,
        "A backend's DNS host name (RFC 1123; the last label starts with a letter); kept lower-case.");
    GroupName => string(patterns::GROUP_NAME, GROUP_NAME_MAX,
        "A user group name, as proxies write it: no white space, control character or `/`.");
    UserName => string(patterns::USER_NAME, USER_NAME_MAX,
        "A user name, as proxies see it: no white space or control character.");
    SettingName => string(patterns::SETTING_NAME, SETTING_NAME_MAX, "A setting name, kept as given.");
    /// A site by name or id.
    SiteRef => string(patterns::SIMPLE_NAME, SIMPLE_NAME_MAX, "A site, by name or by id (a UUID).");
    /// A tag by name or id.
    TagRef => string(patterns::SIMPLE_NAME, SIMPLE_NAME_MAX, "A tag, by name or by id (a UUID).");
    /// A backend by host name or id.
    BackendRef => string(&host_or_id(), HOST_NAME_MAX, "A backend, by host name or by id (a UUID).");
    /// Free text without control characters.
    Text => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(patterns::TEXT))
        .description(Some("Text without control characters."))
        .into();
    /// A setting's value.
    SettingValue => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(patterns::TEXT))
        .max_length(Some(domain::settings::SETTING_VALUE_MAX))
        .description(Some("Text without control characters; known settings take their own forms."))
        .into();
    /// A job's dedup key.
    DedupKey => string(patterns::TEXT, DEDUP_KEY_MAX, "While a job with this key is pending, another is not enqueued.");
    /// A group list mask: `*` and `?` wildcards.
    GroupMask => string(patterns::TEXT, GROUP_NAME_MAX, "`*` and `?` wildcards; 1–128 characters.");
    /// A token's name.
    TokenName => string(patterns::TEXT, TOKEN_NAME_MAX, "A token's name: 1–128 characters, no control character.");
    /// An object's id.
    Id => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .pattern(Some(patterns::UUID))
        .into();
}

/// A host name or a UUID, in one pattern.
fn host_or_id() -> String {
    let inner = |p: &str| p.trim_start_matches('^').trim_end_matches('$').to_owned();
    format!("^(?:{}|{})$", inner(patterns::HOST_NAME), inner(patterns::UUID))
}

/// The schema of a path or query parameter that names an object, by the parameter's name: every
/// route calls a site `site`, a backend `backend`, and so on, so the rule lives here once.
pub fn reference(parameter: &str) -> Option<(&'static str, RefOr<Schema>)> {
    Some(match parameter {
        "site" | "src" | "dest" => ("SiteRef", SiteRef::schema()),
        "backend" => ("BackendRef", BackendRef::schema()),
        "tag" => ("TagRef", TagRef::schema()),
        "group" => ("GroupName", GroupName::schema()),
        "user" => ("UserName", UserName::schema()),
        "name" => ("SettingName", SettingName::schema()),
        "id" => ("Id", Id::schema()),
        "feature" => ("Feature", domain::Feature::schema()),
        _ => return None,
    })
}

fn one_of(values: &[&str], description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

named_schema! {
    /// The `state` filter of the alert list.
    AlertFilter => one_of(&["open", "resolved", "all"], "open, resolved, or all (the default).");
    /// A job's state, as the job list filters by it (`queue::JobState`; the API tests hold them equal).
    JobStateName => one_of(&JOB_STATES, "A job's state.");
    /// The `scope` filter of the settings list.
    SettingScopeFilter => one_of(&["global"], "Only global settings.");
    /// A job's priority (`domain::Priority`).
    PriorityName => one_of(&["high", "low"], "A job's priority.");
    /// A job kind (`jobs::JobKind`; the API tests hold them equal).
    JobKindName => one_of(&JOB_KINDS, "A job kind.");
}

/// The names of `queue::JobState`, which this crate does not depend on.
pub const JOB_STATES: [&str; 5] = ["queued", "running", "succeeded", "failed", "dead"];

/// The names of `jobs::JobKind`, which this crate does not depend on.
pub const JOB_KINDS: [&str; 13] = [
    "probe",
    "move_group",
    "evacuate_backend",
    "move_user",
    "kick",
    "reachability",
    "load_balance",
    "error_mitigation",
    "execute_plan",
    "group_balance_plan",
    "group_balance_pass",
    "site_failover",
    "autoscale",
];

/// Every schema of this module by its component name, for the document's components: query
/// parameters name them without the document collecting them.
pub fn components() -> Vec<(String, RefOr<Schema>)> {
    fn entry<T: ToSchema>() -> (String, RefOr<Schema>) {
        (T::name().into_owned(), T::schema())
    }
    vec![
        entry::<SiteName>(),
        entry::<TagName>(),
        entry::<HostName>(),
        entry::<GroupName>(),
        entry::<UserName>(),
        entry::<SettingName>(),
        entry::<SiteRef>(),
        entry::<TagRef>(),
        entry::<BackendRef>(),
        entry::<Text>(),
        entry::<SettingValue>(),
        entry::<DedupKey>(),
        entry::<GroupMask>(),
        entry::<TokenName>(),
        entry::<Id>(),
        entry::<AlertFilter>(),
        entry::<JobStateName>(),
        entry::<SettingScopeFilter>(),
        entry::<PriorityName>(),
        entry::<JobKindName>(),
    ]
}

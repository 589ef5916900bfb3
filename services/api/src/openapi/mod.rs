//! The OpenAPI document, generated from the handlers' annotations, and the offline docs page
//! (Swagger UI compiled into the binary: no internet needed).

mod conventions;

use std::collections::HashMap;
use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use self::conventions::Conventions;
pub use self::conventions::{operations, required_role};

use crate::routes::{
    alerts, automation, backends, cluster_metrics, groups, guard, health, jobs, moves, plans, reachability, settings,
    sites, stats, tags, tokens, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cluster controller API", description = "Sites, backends, user groups, users, settings and tokens of a mail cluster."),
    paths(
        sites::list, sites::get, sites::create, sites::update, sites::remove, sites::init,
        tags::list, tags::get, tags::create, tags::update, tags::remove,
        backends::list, backends::get, backends::create, backends::update, backends::remove,
        groups::list, groups::get, groups::update,
        users::list, users::get, users::remove,
        settings::list, settings::put_global, settings::delete_global, settings::put_site, settings::delete_site,
        settings::put_backend, settings::delete_backend, settings::effective, settings::features, settings::put_feature,
        reachability::list, reachability::put,
        stats::get,
        tokens::list, tokens::create, tokens::remove, tokens::whoami,
        jobs::enqueue, jobs::get, jobs::list, jobs::retry, jobs::scheduler, jobs::queues,
        moves::move_group, moves::evacuate, moves::evacuation, moves::move_user, moves::kick,
        alerts::alerts, alerts::backend_reachability,
        plans::list, plans::get, plans::approve, plans::balance, plans::group_plan,
        automation::failover, automation::autoscale, guard::get, guard::release, cluster_metrics::site_metrics, cluster_metrics::cluster_metrics,
        health::healthz, health::readyz, health::metrics,
    ),
    modifiers(&BearerAuth, &Conventions)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The methods the document lists for a route pattern (`/api/v1/sites/{site}`), as the value of
/// an `Allow` header: the server's 405 answers and its document agree by construction.
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    static ALLOW: OnceLock<HashMap<String, String>> = OnceLock::new();
    let allow = ALLOW.get_or_init(|| {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let paths = doc.get("paths").and_then(|p| p.as_object()).cloned().unwrap_or_default();
        paths
            .into_iter()
            .map(|(path, item)| {
                let methods: Vec<String> =
                    item.as_object().into_iter().flat_map(|ops| ops.keys()).map(|m| m.to_uppercase()).collect();
                (path, methods.join(", "))
            })
            .collect()
    });
    allow.get(pattern).map(String::as_str)
}

//! The OpenAPI document, generated from the handlers' annotations, and the offline docs page
//! (Swagger UI compiled into the binary: no internet needed).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    modifiers(&BearerAuth)
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

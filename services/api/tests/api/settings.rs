use api_types::{EffectiveSettingView, FeaturesView, PutFeature, PutSetting, SettingView};
use domain::FeatureState;

use crate::common::{TestApi, problem};

async fn effective(api: &TestApi, query: &str) -> EffectiveSettingView {
    api.admin.get(&format!("/sites/s1/settings/HOST_FAILURE_RATIO/effective{query}")).await.unwrap()
}

#[tokio::test]
async fn backend_overrides_site_overrides_global() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 2).await;
    api.site_with_backends("s2", 1).await;
    let put = |path: &'static str, v: &'static str| {
        let admin = api.admin.clone();
        async move { admin.put::<_, SettingView>(path, &PutSetting { value: v.into() }).await.unwrap() }
    };

    assert_eq!(
        effective(&api, "").await,
        EffectiveSettingView { name: "HOST_FAILURE_RATIO".into(), value: None, scope: "default".into() }
    );
    put("/settings/global/HOST_FAILURE_RATIO", "0.5").await;
    put("/sites/s2/settings/HOST_FAILURE_RATIO", "0.9").await;
    put("/backends/b1.s2.test/settings/HOST_FAILURE_RATIO", "0.95").await;
    assert_eq!(
        (effective(&api, "").await.value.as_deref(), effective(&api, "").await.scope.as_str()),
        (Some("0.5"), "global")
    );

    put("/sites/s1/settings/HOST_FAILURE_RATIO", "0.3").await;
    let v = put("/backends/b2.s1.test/settings/HOST_FAILURE_RATIO", "0.1").await;
    assert_eq!((v.scope.as_str(), v.backend.as_deref()), ("backend", Some("b2.s1.test")));
    let site_level = effective(&api, "?backend=b1.s1.test").await;
    assert_eq!((site_level.value.as_deref(), site_level.scope.as_str()), (Some("0.3"), "site"));
    let backend_level = effective(&api, "?backend=b2.s1.test").await;
    assert_eq!((backend_level.value.as_deref(), backend_level.scope.as_str()), (Some("0.1"), "backend"));
    let p = problem(
        api.admin
            .get::<EffectiveSettingView>("/sites/s1/settings/HOST_FAILURE_RATIO/effective?backend=b1.s2.test")
            .await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("backend")));

    api.admin.delete("/backends/b2.s1.test/settings/HOST_FAILURE_RATIO").await.unwrap();
    assert_eq!(effective(&api, "?backend=b2.s1.test").await.scope, "site");
    assert_eq!(
        problem(api.admin.delete("/backends/b2.s1.test/settings/HOST_FAILURE_RATIO").await).code,
        "setting_not_found"
    );

    let site_rows: Vec<SettingView> = api.admin.get("/settings?site=s1").await.unwrap();
    assert_eq!(site_rows.len(), 1);
    assert_eq!(site_rows[0].site.as_deref(), Some("s1"));
    let global: Vec<SettingView> = api.admin.get("/settings?scope=global").await.unwrap();
    assert_eq!(global.len(), 1);
    let all: Vec<SettingView> = api.admin.get("/settings").await.unwrap();
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn known_settings_are_validated() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    for bad in ["0", "many", "-4"] {
        let p = problem(
            api.admin
                .put::<_, SettingView>(
                    "/settings/global/cluster_default_group_count",
                    &PutSetting { value: bad.into() },
                )
                .await,
        );
        assert_eq!((p.status, p.field.as_deref()), (422, Some("value")), "{bad}");
    }
    let p = problem(
        api.admin.put::<_, SettingView>("/settings/global/bad%20name", &PutSetting { value: "1".into() }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (400, Some("name")));
    let p =
        problem(api.admin.put::<_, SettingView>("/sites/nowhere/settings/x", &PutSetting { value: "1".into() }).await);
    assert_eq!(p.code, "site_not_found");
}

#[tokio::test]
async fn features_are_off_by_default_and_switch_per_site() {
    let api = TestApi::start().await;
    api.site_with_backends("s1", 1).await;
    api.site_with_backends("s2", 1).await;
    let f: FeaturesView = api.admin.get("/sites/s1/features").await.unwrap();
    assert_eq!(f.features.len(), 6);
    assert!(f.features.values().all(|s| *s == FeatureState::Off));

    let f: FeaturesView =
        api.admin.put("/sites/s1/features/load_balancing", &PutFeature { state: "dryrun".into() }).await.unwrap();
    assert_eq!(f.features["load_balancing"], FeatureState::Dryrun);
    assert_eq!(f.features["error_mitigation"], FeatureState::Off);
    let other: FeaturesView = api.admin.get("/sites/s2/features").await.unwrap();
    assert_eq!(other.features["load_balancing"], FeatureState::Off, "features are per site");

    let p = problem(
        api.admin
            .put::<_, FeaturesView>("/sites/s1/features/load_balancing", &PutFeature { state: "maybe".into() })
            .await,
    );
    assert_eq!((p.status, p.field.as_deref()), (422, Some("state")));
    let p = problem(
        api.admin.put::<_, FeaturesView>("/sites/s1/features/teleport", &PutFeature { state: "on".into() }).await,
    );
    assert_eq!((p.status, p.field.as_deref()), (400, Some("feature")));
}

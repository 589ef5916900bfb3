//! Settings with a meaning, through `ops`: feature switches and the default group count.

use domain::settings::{DEFAULT_GROUP_COUNT, DEFAULT_GROUP_COUNT_FALLBACK};
use domain::{Feature, FeatureState, Setting, SettingScope};
use geodb::{GeoDbError, ops};

use super::{TestDb, add_site, setting_name};

fn setting(scope: SettingScope, name: &str, value: &str) -> Setting {
    Setting { scope, name: setting_name(name), value: value.to_owned() }
}

pub async fn feature_states(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    for feature in Feature::ALL {
        assert_eq!(ops::feature_state(db, site.id, feature).await.unwrap(), FeatureState::Off);
    }
    ops::set_feature_state(db, site.id, Feature::LoadBalancing, FeatureState::Dryrun).await.unwrap();
    assert_eq!(ops::feature_state(&*t.other, site.id, Feature::LoadBalancing).await.unwrap(), FeatureState::Dryrun);
    ops::set_feature_state(&*t.other, site.id, Feature::LoadBalancing, FeatureState::On).await.unwrap();
    assert_eq!(ops::feature_state(db, site.id, Feature::LoadBalancing).await.unwrap(), FeatureState::On);
    assert_eq!(ops::feature_state(db, other_site.id, Feature::LoadBalancing).await.unwrap(), FeatureState::Off);
    assert_eq!(ops::feature_state(db, site.id, Feature::Autoscaling).await.unwrap(), FeatureState::Off);
    // Stored at site scope under the feature's setting name.
    let stored = db.get_setting(SettingScope::Site(site.id), &Feature::LoadBalancing.setting_name()).await.unwrap();
    assert_eq!(stored.map(|s| s.value), Some("on".to_owned()));
    // A global row is not a site's switch.
    db.put_setting(&Setting {
        scope: SettingScope::Global,
        name: Feature::SiteFailover.setting_name(),
        value: "on".into(),
    })
    .await
    .unwrap();
    assert_eq!(ops::feature_state(db, site.id, Feature::SiteFailover).await.unwrap(), FeatureState::Off);

    let bad = Setting {
        scope: SettingScope::Site(site.id),
        name: Feature::Autoscaling.setting_name(),
        value: "maybe".into(),
    };
    db.put_setting(&bad).await.unwrap();
    assert_matches!(ops::feature_state(db, site.id, Feature::Autoscaling).await, Err(GeoDbError::Corrupt(_)));
}

pub async fn default_group_count(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let other_site = add_site(db, "two").await;
    assert_eq!(ops::default_group_count(db, site.id).await.unwrap(), DEFAULT_GROUP_COUNT_FALLBACK);
    db.put_setting(&setting(SettingScope::Global, DEFAULT_GROUP_COUNT, "10")).await.unwrap();
    assert_eq!(ops::default_group_count(db, site.id).await.unwrap(), 10);
    db.put_setting(&setting(SettingScope::Site(site.id), DEFAULT_GROUP_COUNT, "5")).await.unwrap();
    assert_eq!(ops::default_group_count(&*t.other, site.id).await.unwrap(), 5);
    assert_eq!(ops::default_group_count(db, other_site.id).await.unwrap(), 10);
    for bad in ["0", "many", "-3"] {
        db.put_setting(&setting(SettingScope::Site(site.id), DEFAULT_GROUP_COUNT, bad)).await.unwrap();
        assert_matches!(ops::default_group_count(db, site.id).await, Err(GeoDbError::Corrupt(_)));
    }
    assert_eq!(ops::default_group_count(db, other_site.id).await.unwrap(), 10);
}

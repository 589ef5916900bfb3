//! Watching a group move on a manual clock, with the shipped `MOVE_TIMEOUT_SECS` (ten minutes):
//! a real SQLite GeoDB, a real `redis-server` for the alert and a real Dovecot as the source
//! backend, which does not know `clusterGroupAccess` and so never finishes the move. Ten minutes
//! of watching take well under a second: the clock moves when the watch waits for time.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

use std::time::Duration;

use chrono::{DateTime, Utc};
use controller_config::{Env, Service};
use controller_worker::jobs::context::Context;
use controller_worker::jobs::group_move::{self, GroupMove, STUCK_MOVE, Start, Watch};
use domain::{Backend, GroupName, HostName, Site, SiteName, UserGroup};
use queue::{Queue, QueueConfig};
use service::Clock;
use state::{AlertFilter, AlertSeverity};
use testkit::dovecot::DovecotServer;
use testkit::{RedisServer, TempGeoDb, unique_prefix};

/// Bounds every real-time wait; only a broken test reaches it.
const DEADLINE: Duration = Duration::from_secs(20);
/// The clock's step: longer than the watch's poll, so each step wakes it once.
const STEP: Duration = Duration::from_secs(10);

struct Setup {
    ctx: Context,
    clock: Clock,
    source_url: String,
    _parts: (RedisServer, TempGeoDb, DovecotServer),
}

async fn setup() -> Setup {
    let redis = RedisServer::start().await;
    let geodb = TempGeoDb::new().await;
    let dovecot = DovecotServer::start().await;
    // The shipped defaults, but for the site the worker serves.
    let config = controller_config::load(Service::Worker, None, &Env::from_pairs([("CLUSTER_SITE", "par1")])).unwrap();
    assert_eq!(config.moves.timeout, Duration::from_secs(600), "the shipped MOVE_TIMEOUT_SECS");
    let queue = Queue::connect(&redis.url(), QueueConfig::new(unique_prefix("move-watch"))).await.unwrap();
    let doveadm =
        doveadm::Client::new(doveadm::Auth::ApiKey(dovecot.api_key().to_owned()), config.doveadm.timeout).unwrap();
    let start = DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z").unwrap().with_timezone(&Utc);
    let clock = Clock::manual(start);
    let ctx = Context::new(&config, geodb.db.clone(), queue, doveadm, clock.clone()).unwrap();
    let source_url = dovecot.url();
    Setup { ctx, clock, source_url, _parts: (redis, geodb, dovecot) }
}

/// A site with two backends and one group on the first, its move started under `marker`.
async fn started_move(ctx: &Context, marker: &str) -> GroupMove {
    let site = Site::new(SiteName::parse("par1").unwrap());
    ctx.db.insert_site(&site).await.unwrap();
    let source = Backend::new(site.id, HostName::parse("b1.par1").unwrap());
    let destination = Backend::new(site.id, HostName::parse("b2.par1").unwrap());
    ctx.db.insert_backend(&source).await.unwrap();
    ctx.db.insert_backend(&destination).await.unwrap();
    let group = GroupName::parse("g1").unwrap();
    ctx.db.insert_group(&UserGroup::new(site.id, group.clone(), source.id)).await.unwrap();
    let mv = GroupMove {
        site: site.id,
        group,
        source: source.id,
        destination: destination.id,
        marker: marker.to_owned(),
        source_host: source.host.to_string(),
        destination_host: destination.host.to_string(),
    };
    assert!(matches!(group_move::start(ctx, &mv).await.unwrap(), Start::Moving(_)));
    mv
}

/// Moves the clock one step once the watch waits for time.
async fn step(clock: &Clock) {
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.expect("the watch waits for time");
    clock.advance(STEP);
}

#[tokio::test]
async fn a_move_the_source_never_finishes_is_stuck_after_exactly_the_move_timeout() {
    let Setup { ctx, clock, source_url, _parts } = setup().await;
    let mv = started_move(&ctx, "job-1").await;
    let watch = tokio::spawn({
        let (ctx, mv) = (ctx.clone(), mv.clone());
        async move { group_move::finish(&ctx, &mv, &source_url).await }
    });

    // 590 s: still watching.
    let steps = ctx.moves.timeout.as_secs() / STEP.as_secs();
    for _ in 1..steps {
        step(&clock).await;
    }
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.unwrap();
    assert!(!watch.is_finished(), "stuck before the timeout: {watch:?}");

    // 600 s: stuck, with Dovecot's refusal of the access named.
    step(&clock).await;
    let outcome = tokio::time::timeout(DEADLINE, watch).await.unwrap().unwrap().unwrap();
    let Watch::Stuck(message) = outcome else { panic!("expected a stuck move, got {outcome:?}") };
    assert!(message.contains("within 600 s") && message.contains("last clusterGroupAccess error"), "{message}");

    let alerts = ctx.state.alerts(AlertFilter::all(10)).await.unwrap();
    let alert = alerts.iter().find(|a| a.kind == STUCK_MOVE).expect("the stuck move is alerted");
    assert_eq!((alert.severity, alert.object.as_deref()), (AlertSeverity::Critical, Some("g1")));
    let group = ctx.db.get_group(mv.site, &mv.group).await.unwrap().unwrap();
    assert_eq!(group.moving.as_deref(), Some("job-1"), "a stuck move is left for an operator, never cleared");
}

#[tokio::test]
async fn a_move_finished_by_the_source_ends_the_watch_at_the_next_look() {
    let Setup { ctx, clock, source_url, _parts } = setup().await;
    let mv = started_move(&ctx, "job-2").await;
    let watch = tokio::spawn({
        let (ctx, mv) = (ctx.clone(), mv.clone());
        async move { group_move::finish(&ctx, &mv, &source_url).await }
    });
    for _ in 0..30 {
        step(&clock).await;
    }
    tokio::time::timeout(DEADLINE, clock.asleep(1)).await.unwrap();
    assert!(!watch.is_finished());

    // Five minutes in, the source finishes the move as a backend does.
    ctx.db.finish_group_move(mv.site, &mv.group, &mv.marker, clock.now()).await.unwrap();
    step(&clock).await;
    let outcome = tokio::time::timeout(DEADLINE, watch).await.unwrap().unwrap().unwrap();
    assert_eq!(outcome, Watch::Finished);
    let group = ctx.db.get_group(mv.site, &mv.group).await.unwrap().unwrap();
    assert_eq!((group.backend_id, group.moving), (mv.destination, None));
    let alerts = ctx.state.alerts(AlertFilter::all(10)).await.unwrap();
    assert!(alerts.iter().all(|a| a.kind != STUCK_MOVE), "nothing was stuck: {alerts:?}");
}

use domain::{HostName, SiteId};

use super::*;

const GRACE: Duration = Duration::from_secs(10);

fn backend() -> Backend {
    Backend::new(SiteId::random(), HostName::parse("be1").unwrap())
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn dns() -> Probe {
    Probe::NameResolution("cannot resolve be1".into())
}

#[test]
fn an_answer_is_reachable_and_any_other_error_is_not_at_once() {
    let b = backend();
    let up = next_record(&b, None, Probe::Answered, at(0), GRACE);
    assert!(up.reachable && up.last_error.is_none());
    assert_eq!((up.since, up.checked_at), (at(0), at(0)));

    let down = next_record(&b, Some(&up), Probe::Failed("connection refused".into()), at(10), GRACE);
    assert!(!down.reachable);
    assert_eq!((down.since, down.last_error.as_deref()), (at(10), Some("connection refused")));
    let still_down = next_record(&b, Some(&down), Probe::Failed("timeout".into()), at(20), GRACE);
    assert_eq!(still_down.since, at(10), "since is when the value last changed");

    let back = next_record(&b, Some(&still_down), Probe::Answered, at(30), GRACE);
    assert!(back.reachable && back.last_error.is_none());
    assert_eq!(back.since, at(30));
}

#[test]
fn name_resolution_failures_count_only_after_the_grace_period_from_the_first_one() {
    let b = backend();
    let up = next_record(&b, None, Probe::Answered, at(0), GRACE);
    let first = next_record(&b, Some(&up), dns(), at(1), GRACE);
    assert!(first.reachable, "within the grace period");
    assert_eq!((first.name_failure_since, first.since), (Some(at(1)), at(0)));
    let later = next_record(&b, Some(&first), dns(), at(10), GRACE);
    assert!(later.reachable, "9 s after the first failure");
    let over = next_record(&b, Some(&later), dns(), at(11), GRACE);
    assert!(!over.reachable, "10 s after the first failure");
    assert_eq!((over.since, over.name_failure_since), (at(11), Some(at(1))));

    // One success clears the mark and the failure clock.
    let cleared = next_record(&b, Some(&over), Probe::Answered, at(12), GRACE);
    assert!(cleared.reachable && cleared.name_failure_since.is_none());
    assert!(next_record(&b, Some(&cleared), dns(), at(13), GRACE).reachable, "a new failure starts a new grace");
}

#[test]
fn a_dns_failure_after_another_error_keeps_the_backend_unreachable() {
    let b = backend();
    let refused = next_record(&b, None, Probe::Failed("refused".into()), at(0), GRACE);
    let dns = next_record(&b, Some(&refused), dns(), at(1), GRACE);
    assert!(!dns.reachable);
    assert_eq!(dns.since, at(0));
    // A zero grace makes the first name failure count.
    assert!(!next_record(&b, None, Probe::NameResolution("x".into()), at(0), Duration::ZERO).reachable);
}

use domain::{GroupName, SiteId};

use super::*;

fn group(n: u32, moving: Option<&str>) -> UserGroup {
    let mut g = UserGroup::new(SiteId::random(), GroupName::default_n(n), BackendId::random());
    g.moving = moving.map(str::to_owned);
    g
}

#[test]
fn running_moves_are_watched_before_new_ones_start() {
    let groups = [group(1, None), group(2, Some("job:default-2")), group(3, None), group(4, Some("other"))];
    let remaining: Vec<&UserGroup> = groups.iter().collect();
    let names = |batch: Vec<&UserGroup>| batch.iter().map(|g| g.name.to_string()).collect::<Vec<_>>();
    assert_eq!(names(pick_batch(&remaining, 3)), ["default-2", "default-4", "default-1"]);
    assert_eq!(names(pick_batch(&remaining, 10)).len(), 4);
    assert_eq!(names(pick_batch(&remaining, 0)), ["default-2"], "a batch is never empty");
}

#[test]
fn progress_counts_what_left_the_backend_and_what_still_moves() {
    let mut progress = EvacuationProgress {
        backend_id: uuid::Uuid::new_v4(),
        host: "b1".into(),
        job_id: "job".into(),
        state: EvacuationState::Running,
        total: 10,
        moved: 0,
        moving: 0,
        failed: 0,
        started_at: Utc::now(),
        updated_at: Utc::now(),
        message: None,
        last_moved_at: None,
    };
    let still_on = [group(1, Some("job:default-1")), group(2, None), group(3, Some("job:default-3"))];
    let given_up: HashSet<GroupName> = [GroupName::default_n(3)].into();
    let moved_at = Utc::now();
    count(&mut progress, &still_on, &given_up, moved_at);
    assert_eq!((progress.moved, progress.moving, progress.failed), (7, 2, 1));
    assert_eq!(progress.last_moved_at, Some(moved_at), "moving groups off restarts the stall clock");
    count(&mut progress, &still_on, &given_up, moved_at + chrono::TimeDelta::minutes(5));
    assert_eq!(progress.last_moved_at, Some(moved_at), "nothing more moved: the clock runs on");
}

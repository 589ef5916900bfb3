//! The IMAP sessions a simulated backend holds: what `kick` ends, what a finished group move
//! ends on its source, and what fills the metacache. Time is passed in, so tests need no clock.

use std::collections::HashMap;
use std::time::Instant;

use domain::{GroupMask, GroupName, UserName};

#[derive(Debug, Default)]
pub struct Sessions {
    /// One entry per user: a new login extends the user's session.
    by_user: HashMap<UserName, Session>,
}

#[derive(Debug, Clone)]
struct Session {
    group: GroupName,
    until: Instant,
}

impl Sessions {
    pub fn login(&mut self, user: &UserName, group: &GroupName, until: Instant) {
        self.by_user.insert(user.clone(), Session { group: group.clone(), until });
    }

    /// Forgets sessions that ended before `now`.
    pub fn prune(&mut self, now: Instant) {
        self.by_user.retain(|_, s| s.until > now);
    }

    pub fn len(&self) -> usize {
        self.by_user.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_user.is_empty()
    }

    /// Ends the sessions of users matching any mask; returns their names, sorted.
    pub fn kick(&mut self, masks: &[GroupMask]) -> Vec<UserName> {
        let mut kicked: Vec<UserName> =
            self.by_user.keys().filter(|u| masks.iter().any(|m| m.matches(u.as_str()))).cloned().collect();
        kicked.sort();
        for user in &kicked {
            self.by_user.remove(user);
        }
        kicked
    }

    /// Ends the sessions of a group's users (its move finished: they now live elsewhere).
    pub fn end_group(&mut self, group: &GroupName) -> usize {
        let before = self.by_user.len();
        self.by_user.retain(|_, s| &s.group != group);
        before - self.by_user.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn user(n: &str) -> UserName {
        UserName::parse(n).unwrap()
    }

    #[test]
    fn kick_matches_masks_and_reports_each_user_once_sorted() {
        let now = Instant::now();
        let g = GroupName::default_n(1);
        let mut s = Sessions::default();
        for u in ["bob@x", "alice@x", "carol@y"] {
            s.login(&user(u), &g, now + Duration::from_secs(60));
        }
        s.login(&user("alice@x"), &g, now + Duration::from_secs(90));
        let kicked = s.kick(&[GroupMask::parse("*@x").unwrap()]);
        assert_eq!(kicked, [user("alice@x"), user("bob@x")]);
        assert_eq!(s.len(), 1);
        assert!(s.kick(&[GroupMask::parse("nobody").unwrap()]).is_empty());
    }

    #[test]
    fn sessions_end_when_they_expire_or_their_group_moves_away() {
        let now = Instant::now();
        let mut s = Sessions::default();
        s.login(&user("a"), &GroupName::default_n(1), now + Duration::from_secs(1));
        s.login(&user("b"), &GroupName::default_n(2), now + Duration::from_secs(10));
        s.login(&user("c"), &GroupName::default_n(2), now + Duration::from_secs(10));
        s.prune(now + Duration::from_secs(2));
        assert_eq!(s.len(), 2);
        assert_eq!(s.end_group(&GroupName::default_n(2)), 2);
        assert!(s.is_empty());
    }
}

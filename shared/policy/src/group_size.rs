//! Group-size rebalancing: on one backend, plan which users move from the largest groups to the
//! smallest so groups converge to the same size (equal groups make each group move an equal step
//! of load). The plan is executed later in bounded passes.
//!
//! It must never touch a group with `sticky_users` (neither as source nor destination), never
//! plan more than `max_user_moves` users, and never move a user out of a group into a larger one.

use domain::{GroupName, UserName};
use serde::{Deserialize, Serialize};

use crate::reason::Reason;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupSizeSettings {
    /// `GROUP_BALANCE_GROUP_SIZE_RATIO_SLACK`: plan when `(largest − smallest) / largest` exceeds this.
    pub size_ratio_slack: f64,
    /// `GROUP_BALANCE_MAX_USER_MOVE_BETWEEN_GROUPS`: most users one plan moves.
    pub max_user_moves: usize,
}

impl Default for GroupSizeSettings {
    fn default() -> Self {
        Self { size_ratio_slack: 0.2, max_user_moves: 1000 }
    }
}

/// One group on the backend with its users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupUsers {
    pub name: GroupName,
    pub sticky_users: bool,
    pub users: Vec<UserName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMove {
    pub user: UserName,
    pub from: GroupName,
    pub to: GroupName,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSizePlan {
    pub moves: Vec<UserMove>,
    pub reasons: Vec<Reason>,
}

/// Plans user moves for one backend's groups.
pub fn plan(groups: &[GroupUsers], settings: &GroupSizeSettings) -> GroupSizePlan {
    let mut out = GroupSizePlan::default();
    // (group index, users left to give away in name order, current size)
    let mut live: Vec<(usize, Vec<&UserName>, usize)> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.sticky_users)
        .map(|(i, g)| {
            let mut users: Vec<&UserName> = g.users.iter().collect();
            // Highest names leave first: deterministic, and independent of input order.
            users.sort_unstable_by(|a, b| b.cmp(a));
            (i, users, g.users.len())
        })
        .collect();
    if live.len() < 2 {
        out.reasons.push(Reason::info("group_size_nothing_to_do", "fewer than two non-sticky groups"));
        return out;
    }
    let spread = |live: &[(usize, Vec<&UserName>, usize)]| {
        let max = live.iter().map(|g| g.2).max().unwrap_or(0);
        let min = live.iter().map(|g| g.2).min().unwrap_or(0);
        (max, min)
    };
    let (max, min) = spread(&live);
    let ratio = if max == 0 { 0.0 } else { (max - min) as f64 / max as f64 };
    if ratio <= settings.size_ratio_slack {
        out.reasons.push(Reason::info(
            "group_size_within_slack",
            format!("sizes {min}..{max} differ by {:.1} %, within the slack", ratio * 100.0),
        ));
        return out;
    }
    while out.moves.len() < settings.max_user_moves {
        let (max, min) = spread(&live);
        // Stop at a difference of one: moving then would just swap which group is larger.
        if max <= min + 1 {
            break;
        }
        let Some(src) = live.iter().position(|g| g.2 == max) else { break };
        let Some(dst) = live.iter().position(|g| g.2 == min) else { break };
        let Some(user) = live[src].1.pop() else { break };
        live[src].2 -= 1;
        live[dst].2 += 1;
        out.moves.push(UserMove {
            user: user.clone(),
            from: groups[live[src].0].name.clone(),
            to: groups[live[dst].0].name.clone(),
        });
    }
    out.reasons.push(Reason::info(
        "group_size_plan",
        format!(
            "sizes {min}..{max} differ by {:.1} %: {} user moves (cap {})",
            ratio * 100.0,
            out.moves.len(),
            settings.max_user_moves
        ),
    ));
    out
}

/// The moves of the next pass, after `done` moves already carried out
/// (`GROUP_BALANCE_MAX_USER_MOVES_PER_PASS` = `max_per_pass`).
pub fn next_pass(plan: &GroupSizePlan, done: usize, max_per_pass: usize) -> &[UserMove] {
    let start = done.min(plan.moves.len());
    let end = start.saturating_add(max_per_pass).min(plan.moves.len());
    &plan.moves[start..end]
}

#[cfg(test)]
#[path = "group_size_test.rs"]
mod tests;

//! Payloads of the group-size balancing kinds: `group_balance_plan` (daily: decide which users
//! move between a backend's groups and store the plan) and `group_balance_pass` (every 30 min:
//! carry out the next bounded slice of that plan).

use crate::site::SitePayload;

/// `group_balance_plan`: plan user moves between one site's groups; the worker's home site when
/// absent.
pub type GroupBalancePlanPayload = SitePayload;

/// `group_balance_pass`: enqueue the next moves of the site's stored group plan; the worker's
/// home site when absent.
pub type GroupBalancePassPayload = SitePayload;

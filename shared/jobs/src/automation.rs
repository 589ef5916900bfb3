//! Payloads of the site automation kinds: `site_failover` (move a share of a failing site's users
//! away, step by step) and `autoscale` (publish how many backends the site should have).

use crate::site::SitePayload;

/// `site_failover`: judge one site as a whole; the worker's home site when absent.
pub type SiteFailoverPayload = SitePayload;

/// `autoscale`: publish the desired backend count of one site; the worker's home site when absent.
pub type AutoscalePayload = SitePayload;

//! Group moves, evacuations and the reachability they depend on.

use super::*;

pub static MOVE_TIMEOUT_SECS: Setting<u64> = Setting::new(
    "MOVE_TIMEOUT_SECS",
    "A group or user move not finished this long after it started raises a critical `stuck_move` alert (1 to 86400).",
    |s| parse::integer(s, 1, 86_400),
)
.default("600")
.kind(Kind::Integer)
.services(&[Worker]);
pub static MOVE_ACCESS_RETRY_SECS: Setting<u64> = Setting::new(
    "MOVE_ACCESS_RETRY_SECS",
    "While waiting for a move to finish, how often the access (`clusterGroupAccess`, `clusterUserAccess`) is sent again to the source backend (1 to 3600).",
    |s| parse::integer(s, 1, 3600),
)
.default("30")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_BATCH_SIZE: Setting<usize> = Setting::new(
    "EVACUATION_BATCH_SIZE",
    "Groups an evacuation moves at once; the next batch starts when they finished (1 to 1000).",
    |s| parse::integer(s, 1, 1000),
)
.default("10")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_BATCH_INTERVAL_MS: Setting<u64> = Setting::new(
    "EVACUATION_BATCH_INTERVAL_MS",
    "The shortest time between the starts of two evacuation batches: the evacuation's rate limit (0 to 3600000).",
    |s| parse::integer(s, 0, 3_600_000),
)
.default("1000")
.kind(Kind::Integer)
.services(&[Worker]);
pub static EVACUATION_STALL_SECS: Setting<u64> = Setting::new(
    "EVACUATION_STALL_SECS",
    "A running evacuation that moved no group off its backend for this long reads `stalled` in its progress (10 to 86400).",
    |s| parse::integer(s, 10, 86_400),
)
.default("120")
.kind(Kind::Integer)
.services(&[Api]);
pub static BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS: Setting<u64> = Setting::new(
    "BACKEND_REACHABILITY_NAME_RESOLUTION_FAILURE_DURATION_ALLOWED_SECS",
    "How long a backend's host name may fail to resolve before the backend counts as unreachable; any other probe error counts at once, one success clears it (0 to 86400).",
    |s| parse::integer(s, 0, 86_400),
)
.default("10")
.kind(Kind::Integer)
.services(&[Worker]);

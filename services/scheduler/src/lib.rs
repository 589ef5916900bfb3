//! `controller-scheduler`: turns the schedule into jobs. Exactly one instance per site leads,
//! proven by a fenced lease that every write carries; the others stand by and take over when
//! the lease lapses. The scheduler never runs jobs, and never emits a tick twice.

pub mod leader;
pub mod ticks;

pub use leader::Scheduler;

//! Retry delays: exponential growth with jitter, so jobs that failed together do not retry in
//! lockstep. Pure: the random draw is a parameter, so it is tested without a random source.

use std::time::Duration;

/// Exponential backoff with jitter: base·2^(attempt-1) capped at max, then a random factor in
/// [0.5, 1.0]. Pure; `unit` in [0,1) is the random draw.
pub fn backoff(attempt: u32, base: Duration, max: Duration, unit: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let ceiling = base.saturating_mul(1u32 << exponent).min(max);
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
    ceiling.mul_f64(0.5 + 0.5 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(10);

    #[test]
    fn first_attempt_waits_between_half_and_all_of_base() {
        assert_eq!(backoff(1, BASE, MAX, 0.0), BASE / 2);
        assert_eq!(backoff(1, BASE, MAX, 1.0), BASE);
        let mid = backoff(1, BASE, MAX, 0.5);
        assert!(mid > BASE / 2 && mid < BASE);
    }

    #[test]
    fn doubles_per_attempt_until_the_cap() {
        assert_eq!(backoff(2, BASE, MAX, 1.0), BASE * 2);
        assert_eq!(backoff(4, BASE, MAX, 1.0), BASE * 8);
        assert_eq!(backoff(8, BASE, MAX, 1.0), MAX);
        assert_eq!(backoff(u32::MAX, BASE, MAX, 1.0), MAX);
        assert_eq!(backoff(u32::MAX, BASE, MAX, 0.0), MAX / 2);
    }

    #[test]
    fn upper_bound_never_shrinks_and_every_draw_stays_in_bounds() {
        let mut previous = Duration::ZERO;
        for attempt in 0..64 {
            let upper = backoff(attempt, BASE, MAX, 1.0);
            assert!(upper >= previous, "attempt {attempt}: {upper:?} < {previous:?}");
            previous = upper;
            for draw in [0.0, 0.1, 0.5, 0.999] {
                let d = backoff(attempt, BASE, MAX, draw);
                assert!(d >= upper / 2 && d <= upper && d <= MAX, "attempt {attempt} draw {draw}: {d:?}");
            }
        }
    }

    #[test]
    fn odd_draws_are_clamped() {
        assert_eq!(backoff(1, BASE, MAX, -3.0), BASE / 2);
        assert_eq!(backoff(1, BASE, MAX, 7.0), BASE);
        assert_eq!(backoff(1, BASE, MAX, f64::NAN), BASE / 2);
    }
}

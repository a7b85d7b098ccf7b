//! A latency histogram with fixed log-linear buckets (the HdrHistogram layout): every power of
//! two is split into [`SUB_BUCKETS`] equal buckets, so any recorded value is known to within
//! 1/[`SUB_BUCKETS`] (about 3 %) whatever its size, in constant memory, and two histograms merge
//! by adding counts.

use std::time::Duration;

/// log2 of the number of buckets per power of two.
const SUB_BITS: u32 = 5;
/// Buckets per power of two: relative precision 1/32.
pub const SUB_BUCKETS: u64 = 1 << SUB_BITS;
/// Enough buckets for any u64.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB_BUCKETS as usize;

/// Latencies in nanoseconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    min: u64,
    max: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; BUCKETS],
            total: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

/// The bucket holding `v`.
fn bucket_of(v: u64) -> usize {
    if v < SUB_BUCKETS {
        return v as usize;
    }
    let exponent = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = exponent - SUB_BITS;
    let mantissa = (v >> shift) - SUB_BUCKETS; // 0..SUB_BUCKETS
    (((shift + 1) as u64) * SUB_BUCKETS + mantissa) as usize
}

/// The smallest value that falls in `bucket`.
fn lowest_in(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let mantissa = bucket % SUB_BUCKETS + SUB_BUCKETS;
    mantissa << shift
}

/// The largest value that falls in `bucket`.
fn highest_in(bucket: usize) -> u64 {
    if bucket + 1 >= BUCKETS {
        return u64::MAX;
    }
    lowest_in(bucket + 1) - 1
}

impl LatencyHistogram {
    /// Records one latency (saturating at `u64::MAX` nanoseconds, some 584 years).
    pub fn record(&mut self, latency: Duration) {
        self.record_nanos(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one latency given in nanoseconds.
    pub fn record_nanos(&mut self, nanos: u64) {
        if let Some(c) = self.counts.get_mut(bucket_of(nanos)) {
            *c += 1;
        }
        self.total += 1;
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
    }

    /// Adds every value `other` recorded (bucket counts, total, min and max).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest latency recorded, exact, in nanoseconds; 0 when nothing was recorded.
    pub fn max_nanos(&self) -> u64 {
        self.max
    }

    /// The smallest latency recorded, exact, in nanoseconds; 0 when nothing was recorded.
    pub fn min_nanos(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.min
        }
    }

    /// The value at quantile `q` (0.0..=1.0): the smallest recorded value such that at least
    /// `q` of all values are at most it, to within one bucket (reported as the bucket's top,
    /// kept within the smallest and largest values recorded). 0 when nothing was recorded.
    pub fn quantile_nanos(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let q = q.clamp(0.0, 1.0);
        // The rank (1-based) of the wanted value.
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == 1 {
            return self.min;
        }
        let mut seen = 0u64;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return highest_in(bucket).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_ordered() {
        // Every bucket starts one past the end of the previous one.
        for b in 1..BUCKETS - 1 {
            assert_eq!(lowest_in(b), highest_in(b - 1) + 1, "bucket {b}");
            assert_eq!(bucket_of(lowest_in(b)), b);
            assert_eq!(bucket_of(highest_in(b)), b);
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn small_values_are_exact() {
        for v in 0..2 * SUB_BUCKETS {
            assert_eq!(lowest_in(bucket_of(v)), v);
            assert_eq!(highest_in(bucket_of(v)), v);
        }
    }

    #[test]
    fn relative_error_is_bounded() {
        let mut v = 1u64;
        while v < u64::MAX / 3 {
            let b = bucket_of(v);
            let width = highest_in(b) - lowest_in(b) + 1;
            assert!(lowest_in(b) <= v && v <= highest_in(b));
            assert!(
                width <= v / SUB_BUCKETS + 1,
                "value {v} bucket width {width}"
            );
            v = v * 3 + 1;
        }
    }

    #[test]
    fn quantiles_of_a_uniform_run() {
        let mut h = LatencyHistogram::default();
        for us in 1..=1000u64 {
            h.record_nanos(us * 1000);
        }
        let near = |got: u64, want: u64| {
            let err = got.abs_diff(want) as f64 / want as f64;
            assert!(err <= 1.0 / SUB_BUCKETS as f64, "got {got}, want {want}");
        };
        near(h.quantile_nanos(0.5), 500_000);
        near(h.quantile_nanos(0.9), 900_000);
        near(h.quantile_nanos(0.99), 990_000);
        assert_eq!(h.quantile_nanos(1.0), 1_000_000);
        assert_eq!(h.quantile_nanos(0.0), 1000);
        assert_eq!(h.count(), 1000);
        assert_eq!(h.max_nanos(), 1_000_000);
        assert_eq!(h.min_nanos(), 1000);
    }

    #[test]
    fn quantile_of_one_value_is_that_value() {
        let mut h = LatencyHistogram::default();
        h.record_nanos(123_456);
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert_eq!(h.quantile_nanos(q), 123_456);
        }
    }

    #[test]
    fn empty_histogram_reports_zero() {
        let h = LatencyHistogram::default();
        assert_eq!(h.quantile_nanos(0.5), 0);
        assert_eq!(h.min_nanos(), 0);
        assert_eq!(h.max_nanos(), 0);
    }

    #[test]
    fn skewed_distribution_puts_p99_in_the_tail() {
        let mut h = LatencyHistogram::default();
        for _ in 0..980 {
            h.record_nanos(100_000);
        }
        for _ in 0..20 {
            h.record_nanos(10_000_000);
        }
        let within = |got: u64, want: u64| got >= want && got - want <= want / SUB_BUCKETS;
        assert!(within(h.quantile_nanos(0.5), 100_000));
        assert!(within(h.quantile_nanos(0.98), 100_000));
        assert_eq!(h.quantile_nanos(0.99), 10_000_000);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        for v in 0..100 {
            a.record_nanos(v * 10);
            b.record_nanos(v * 10 + 5000);
        }
        a.merge(&b);
        assert_eq!(a.count(), 200);
        assert_eq!(a.min_nanos(), 0);
        assert_eq!(a.max_nanos(), 99 * 10 + 5000);
        let mut whole = LatencyHistogram::default();
        for v in 0..100 {
            whole.record_nanos(v * 10);
            whole.record_nanos(v * 10 + 5000);
        }
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(a.quantile_nanos(q), whole.quantile_nanos(q));
        }
    }
}

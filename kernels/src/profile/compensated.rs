//! Compensated sums: the bins of profiles and phase diagrams add up to
//! 10⁴–10⁶ cells each, where a plain running sum may be off by up to
//! (n − 1)·ε. A [`Compensated`] sum carries the rounding error of every
//! addition (Knuth's TwoSum, branch-free) and is exact to a few ulps of
//! Σ|x| whatever n is, in a fixed order — so a block's bin sum and a fold
//! over blocks can be tested at 1e-12 (or better) against any independent
//! computation.

/// A running sum and the rounding error it has dropped so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Compensated {
    sum: f64,
    carry: f64,
}

impl Compensated {
    /// Adds `x`: `sum + x` rounded, its exact error into the carry.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        let z = t - self.sum;
        self.carry += (self.sum - (t - z)) + (x - z);
        self.sum = t;
    }

    /// The sum, the carry folded in (one rounding).
    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_a_plain_sum_drops() {
        // 1 + 10⁶ × 1e-16: a plain sum stays at 1 (each 1e-16 is below
        // half an ulp of 1); the compensated one is 1 + 1e-10.
        let mut c = Compensated::default();
        let mut plain = 1.0f64;
        c.add(1.0);
        for _ in 0..1_000_000 {
            c.add(1e-16);
            plain += 1e-16;
        }
        assert_eq!(plain, 1.0);
        assert!((c.value() - (1.0 + 1e-10)).abs() <= 2.0 * f64::EPSILON);
    }
}

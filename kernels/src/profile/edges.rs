//! The edges of a profile and the bin of a distance.
//!
//! The edges are computed once (`e_0 = r0` and `e_N = R` exactly) and a
//! distance's bin is decided by comparisons with those stored numbers:
//! `e_k ≤ r < e_{k+1}`. The formula only gives a first guess — for log
//! edges a table over the bit patterns of `r` ([`BitsIndex`]), no `ln`
//! per cell; for lin edges `(r − r0)/(R − r0)·N` — and the guess is moved
//! to the stored edges, so how the guess is made never changes a bin.

use super::invalid;
use super::lookup::BitsIndex;
use super::Spacing;
use crate::error::Result;

/// Where a distance falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Not selected (`r > R`, or outside the cylinder's height).
    Out,
    /// Selected, `r < r0`.
    Inside,
    /// Selected, in bin `k`.
    Bin(usize),
    /// Selected, `r = R` (on the last edge).
    Beyond,
}

/// The edges of a profile and the bin of a distance.
#[derive(Clone, Debug, PartialEq)]
pub struct Edges {
    /// `e_0 … e_N`.
    pub edges: Vec<f64>,
    spacing: Spacing,
    /// Log edges: the bit-pattern table of the first guess.
    index: Option<BitsIndex>,
}

impl Edges {
    /// Edges from `r0` to `r1` in `n` bins (checked: `0 ≤ r0 < r1`, `r0 > 0`
    /// for log spacing, `n ≥ 1`).
    pub fn new(r0: f64, r1: f64, n: usize, spacing: Spacing) -> Result<Edges> {
        if n == 0 {
            return invalid("--bins must be at least 1, got 0".into());
        }
        if !(r1 > 0.0 && r1.is_finite()) {
            return invalid(format!("--radius must be positive, got {r1}"));
        }
        if r0.is_nan() || r0 >= r1 {
            return invalid(format!(
                "--rmin ({r0}) must be smaller than --radius ({r1})"
            ));
        }
        if spacing == Spacing::Log && (r0.is_nan() || r0 <= 0.0) {
            return invalid(format!(
                "--rmin must be positive for log bins, got {r0} (use --lin, or a positive --rmin)"
            ));
        }
        if r0.is_nan() || r0 < 0.0 {
            return invalid(format!("--rmin must not be negative, got {r0}"));
        }
        let mut edges: Vec<f64> = (0..=n)
            .map(|k| {
                let f = k as f64 / n as f64;
                match spacing {
                    Spacing::Log => r0 * (r1 / r0).powf(f),
                    Spacing::Lin => r0 + k as f64 * (r1 - r0) / n as f64,
                }
            })
            .collect();
        edges[0] = r0;
        edges[n] = r1;
        // Edges that round to equal or decreasing numbers (a ratio R/r0 a
        // few ulps from 1) get no table: the guess is then the formula's.
        let index = match spacing {
            Spacing::Log => BitsIndex::new(&edges),
            Spacing::Lin => None,
        };
        Ok(Edges {
            edges,
            spacing,
            index,
        })
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// Where the distance `r` of a selected-or-not cell falls: the bin `k`
    /// with `e_k ≤ r < e_{k+1}` exactly against [`edges`](Self::edges).
    #[inline]
    pub fn place(&self, r: f64) -> Place {
        let e = &self.edges;
        let n = e.len() - 1;
        if r.is_nan() || r > e[n] {
            return Place::Out;
        }
        if r == e[n] {
            return Place::Beyond;
        }
        if r < e[0] {
            return Place::Inside;
        }
        if let Some(index) = &self.index {
            return Place::Bin(index.bin(e, r));
        }
        // A first guess from the formula, then moved to the stored edges
        // (at most a step or two away).
        let f = match self.spacing {
            Spacing::Log => (r / e[0]).ln() / (e[n] / e[0]).ln(),
            Spacing::Lin => (r - e[0]) / (e[n] - e[0]),
        };
        let mut k = ((f * n as f64) as usize).min(n - 1);
        while k > 0 && r < e[k] {
            k -= 1;
        }
        while k + 1 < n && r >= e[k + 1] {
            k += 1;
        }
        Place::Bin(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_exact_at_both_ends_and_bins_follow_them() {
        for n in [1, 7, 64, 500] {
            let e = Edges::new(0.01, 0.5, n, Spacing::Log).unwrap();
            assert!(e.index.is_some());
            assert_eq!((e.edges[0], e.edges[n]), (0.01, 0.5));
            for k in 0..n {
                assert_eq!(e.place(e.edges[k]), Place::Bin(k));
                let below = f64::from_bits(e.edges[k + 1].to_bits() - 1);
                assert_eq!(e.place(below), Place::Bin(k));
                let mid = (e.edges[k] * e.edges[k + 1]).sqrt();
                assert_eq!(e.place(mid), Place::Bin(k));
            }
            assert_eq!(e.place(0.5), Place::Beyond);
            assert_eq!(e.place(0.0099), Place::Inside);
            assert_eq!(e.place(0.51), Place::Out);
            assert_eq!(e.place(f64::NAN), Place::Out);
        }
        let l = Edges::new(0.0, 1.0, 4, Spacing::Lin).unwrap();
        assert_eq!(l.edges, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(l.place(0.0), Place::Bin(0));
        assert_eq!(l.place(0.5), Place::Bin(2));
    }

    #[test]
    fn bad_edges_are_one_clear_error_each() {
        let msg = |r: Result<Edges>| r.unwrap_err().to_string();
        assert!(msg(Edges::new(0.1, 1.0, 0, Spacing::Log)).contains("--bins"));
        assert!(msg(Edges::new(1.0, 1.0, 4, Spacing::Log)).contains("smaller than --radius"));
        assert!(msg(Edges::new(2.0, 1.0, 4, Spacing::Lin)).contains("smaller than --radius"));
        assert!(msg(Edges::new(0.0, 1.0, 4, Spacing::Log)).contains("positive for log"));
        assert!(msg(Edges::new(0.1, -1.0, 4, Spacing::Log)).contains("--radius"));
    }
}

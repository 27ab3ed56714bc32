//! The pixel grid of a view in image coordinates relative to its centre,
//! and which pixels an extent can touch.

use crate::view::View;

/// Pixel edges: column `i` spans `[u(i), u(i+1)]`, row `j` `[v(j), v(j+1)]`.
pub(super) struct Grid {
    pub(super) n: usize,
    pub(super) m: usize,
    pub(super) u0: f64,
    pub(super) v0: f64,
    pub(super) pw: f64,
    pub(super) ph: f64,
}

impl Grid {
    pub(super) fn new(view: &View) -> Grid {
        let [pw, ph] = view.pixel_size();
        Grid {
            n: view.pixels[0],
            m: view.pixels[1],
            u0: -view.width[0] / 2.0,
            v0: -view.width[1] / 2.0,
            pw,
            ph,
        }
    }

    /// Left edge of column `i` (`i` converted through `i64`: the same
    /// value, one instruction instead of the unsigned conversion's few).
    #[inline]
    pub(super) fn u(&self, i: usize) -> f64 {
        self.u0 + i as i64 as f64 * self.pw
    }

    /// Bottom edge of row `j`.
    #[inline]
    pub(super) fn v(&self, j: usize) -> f64 {
        self.v0 + j as i64 as f64 * self.ph
    }

    /// Columns `[a, b]` (inclusive) that `[lo, hi]` can touch; `None` off
    /// the map.
    pub(super) fn cols(&self, lo: f64, hi: f64) -> Option<(usize, usize)> {
        span(lo, hi, self.u0, self.pw, self.n)
    }

    /// Rows `[a, b]` (inclusive) that `[lo, hi]` can touch.
    pub(super) fn rows(&self, lo: f64, hi: f64) -> Option<(usize, usize)> {
        span(lo, hi, self.v0, self.ph, self.m)
    }
}

/// `x.floor()`, by a truncating conversion where that is exact (`floor`
/// is a library call on the baseline x86-64 target, and this is in the
/// innermost loops).
#[inline]
pub(super) fn floor(x: f64) -> f64 {
    if x.abs() < 4.0e15 {
        let t = x as i64 as f64;
        if t > x {
            t - 1.0
        } else {
            t
        }
    } else {
        x.floor()
    }
}

fn span(lo: f64, hi: f64, o: f64, p: f64, n: usize) -> Option<(usize, usize)> {
    let a = floor((lo - o) / p);
    let b = floor((hi - o) / p);
    if b < 0.0 || a >= n as f64 || a.is_nan() || b.is_nan() || a > b {
        return None;
    }
    Some((a.max(0.0) as usize, (b as usize).min(n - 1)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn floor_is_floor() {
        for x in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            3.999,
            -3.999,
            1e15 + 0.5,
            -7e15,
            f64::NAN,
        ] {
            let (a, b) = (super::floor(x), x.floor());
            assert!(a == b || (a.is_nan() && b.is_nan()), "{x}: {a} {b}");
        }
    }
}

//! Convex polygons of the image plane carrying an affine attribute: the
//! projected faces of a cell, cut by a slab plane and into pixel rows
//! (the columns are swept, [`super::sweep`]).
//!
//! Cuts put the new vertices exactly on the cutting line.

/// A convex polygon in `(u, v)` with an affine attribute `t` at its
/// vertices (`p[k] = [u, v, t]`). At most 12 vertices: a square face cut
/// by a slab plane and two row lines has at most 7.
#[derive(Clone, Copy)]
pub(super) struct Poly {
    pub(super) n: usize,
    pub(super) p: [[f64; 3]; 12],
}

impl Default for Poly {
    fn default() -> Poly {
        Poly::EMPTY
    }
}

impl Poly {
    pub(super) const EMPTY: Poly = Poly {
        n: 0,
        p: [[0.0; 3]; 12],
    };

    #[inline]
    fn push(&mut self, q: [f64; 3]) {
        self.p[self.n] = q;
        self.n += 1;
    }

    /// The point of segment `a`–`b` where coordinate `axis` is `at` (which
    /// lies strictly between theirs: the denominator is not zero).
    #[inline]
    fn cut_point(a: [f64; 3], b: [f64; 3], axis: usize, at: f64) -> [f64; 3] {
        let f = (at - a[axis]) / (b[axis] - a[axis]);
        let mut q = [0.0; 3];
        for d in 0..3 {
            q[d] = a[d] + f * (b[d] - a[d]);
        }
        q[axis] = at;
        q
    }

    /// The part where `p[axis]·sign ≥ at·sign` (`sign` ±1).
    #[inline]
    pub(super) fn clip(&self, axis: usize, at: f64, sign: f64) -> Poly {
        let mut out = Poly::EMPTY;
        if self.n == 0 {
            return out;
        }
        let mut prev = self.p[self.n - 1];
        let mut prev_in = (prev[axis] - at) * sign >= 0.0;
        for k in 0..self.n {
            let cur = self.p[k];
            let cur_in = (cur[axis] - at) * sign >= 0.0;
            if cur_in != prev_in {
                out.push(Poly::cut_point(prev, cur, axis, at));
            }
            if cur_in {
                out.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        out
    }

    /// The part where `p[axis]·sign ≥ at·sign` (`sign` ±1), into `out`.
    #[inline]
    pub(super) fn clip_into(&self, axis: usize, at: f64, sign: f64, out: &mut Poly) {
        out.n = 0;
        if self.n == 0 {
            return;
        }
        let mut prev = self.p[self.n - 1];
        let mut prev_in = (prev[axis] - at) * sign >= 0.0;
        for k in 0..self.n {
            let cur = self.p[k];
            let cur_in = (cur[axis] - at) * sign >= 0.0;
            if cur_in != prev_in {
                out.push(Poly::cut_point(prev, cur, axis, at));
            }
            if cur_in {
                out.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
    }

    /// The parts with `p[axis] ≤ at` (into `lo`) and `p[axis] ≥ at` (into
    /// `hi`), in one pass: each crossing point is computed once and shared.
    #[inline]
    pub(super) fn split_into(&self, axis: usize, at: f64, lo: &mut Poly, hi: &mut Poly) {
        lo.n = 0;
        hi.n = 0;
        if self.n == 0 {
            return;
        }
        let mut prev = self.p[self.n - 1];
        for k in 0..self.n {
            let cur = self.p[k];
            let (a, b) = (prev[axis], cur[axis]);
            if (a < at && b > at) || (a > at && b < at) {
                let q = Poly::cut_point(prev, cur, axis, at);
                lo.push(q);
                hi.push(q);
            }
            if b <= at {
                lo.push(cur);
            }
            if b >= at {
                hi.push(cur);
            }
            prev = cur;
        }
    }

    /// `∫ t du dv` with the signed area of the vertex order (a fan of
    /// triangles, each its area times the mean of `t` at its corners): the
    /// tests' independent check of [`super::sweep`].
    #[cfg(test)]
    pub(super) fn integral(&self) -> f64 {
        if self.n < 3 {
            return 0.0;
        }
        let mut fan = Fan::default();
        for &q in &self.p[..self.n] {
            fan.add(q);
        }
        fan.sum / 6.0
    }

    /// The least and greatest coordinate `axis` of the vertices.
    pub(super) fn bounds(&self, axis: usize) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for q in &self.p[..self.n] {
            lo = lo.min(q[axis]);
            hi = hi.max(q[axis]);
        }
        (lo, hi)
    }
}

/// Six times `∫ t` of a polygon given vertex by vertex: a fan of
/// triangles from the first vertex, each twice its signed area times the
/// sum of `t` at its corners.
#[cfg(test)]
#[derive(Default)]
struct Fan {
    n: usize,
    first: [f64; 3],
    prev: [f64; 3],
    sum: f64,
}

#[cfg(test)]
impl Fan {
    #[inline]
    fn add(&mut self, c: [f64; 3]) {
        if self.n == 0 {
            self.first = c;
        } else if self.n >= 2 {
            let (a, b) = (self.first, self.prev);
            let area2 = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
            self.sum += area2 * (a[2] + b[2] + c[2]);
        }
        self.prev = c;
        self.n += 1;
    }
}

/// Two polygons used in turn: each cut reads one and writes the other.
pub(super) struct Pair {
    p: [Poly; 2],
    cur: usize,
}

impl Default for Pair {
    fn default() -> Pair {
        Pair {
            p: [Poly::EMPTY; 2],
            cur: 0,
        }
    }
}

impl Pair {
    /// The current polygon, to be written.
    #[inline]
    pub(super) fn get_mut(&mut self) -> &mut Poly {
        &mut self.p[self.cur]
    }

    /// The current polygon.
    #[inline]
    pub(super) fn get(&self) -> &Poly {
        &self.p[self.cur]
    }

    /// Runs `f(current, other)` and makes `other` current.
    #[inline]
    pub(super) fn step<R>(&mut self, f: impl FnOnce(&Poly, &mut Poly) -> R) -> R {
        let (x, y) = self.p.split_at_mut(1);
        let r = if self.cur == 0 {
            f(&x[0], &mut y[0])
        } else {
            f(&y[0], &mut x[0])
        };
        self.cur ^= 1;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Poly {
        let mut p = Poly::EMPTY;
        for q in [
            [0.0, 0.0, 1.0],
            [2.0, 0.0, 3.0],
            [2.0, 1.0, 3.0],
            [0.0, 1.0, 1.0],
        ] {
            p.push(q);
        }
        p
    }

    /// A split is the two clips: the same integrals, nothing lost.
    #[test]
    fn split_parts_are_the_clips() {
        let s = square();
        for at in [-1.0, 0.0, 0.3, 1.0, 1.7, 2.0, 3.0] {
            let (mut lo, mut hi) = (Poly::EMPTY, Poly::EMPTY);
            s.split_into(0, at, &mut lo, &mut hi);
            let (a, b) = (
                s.clip(0, at, -1.0).integral(),
                s.clip(0, at, 1.0).integral(),
            );
            assert!((lo.integral() - a).abs() < 1e-15, "{at}");
            assert!((hi.integral() - b).abs() < 1e-15, "{at}");
            assert!((lo.integral() + hi.integral() - s.integral()).abs() < 1e-15);
        }
        // ∫ t over [0, 2]×[0, 1] with t = 1 + u: 2 + 2 = 4.
        assert!((s.integral() - 4.0).abs() < 1e-15);
    }
}

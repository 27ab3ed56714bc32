//! `∫ t` of one row piece of a projected face over each pixel of its row,
//! by one sweep along `u` over the piece's two chains.
//!
//! Why: splitting the row piece at every column edge (a polygon cut, a
//! division and a fan of triangles per pixel) was most of the off-axis
//! projection's time. The piece is convex: from its leftmost vertex, the
//! vertex order runs along one chain to the rightmost vertex and the
//! reverse order along the other. Between two stops (the column edges and
//! the chains' vertices) both chains are straight and `t` is affine along
//! each, so the signed chord `H = v_back − v_fwd` and `Σ = t_back + t_fwd`
//! are linear in `u` and `∫ t dv = H·Σ/2` is quadratic: Simpson's rule is
//! exact on it, `∫ = Δ/12·(H₀Σ₀ + (H₀+H₁)(Σ₀+Σ₁) + H₁Σ₁)`. `H` is signed
//! (the reverse chain minus the forward one: positive for a
//! counter-clockwise piece), so the pieces add up to the polygon's signed
//! integral, as the fan of triangles gives it.

use super::grid::{floor, Grid};
use super::poly::Poly;

/// One chain of a convex polygon, from its leftmost vertex to its
/// rightmost, walked in `u`: the sweep is on the straight edge from the
/// chain's vertex `k` to `k + 1`.
struct Chain<'p> {
    p: &'p Poly,
    /// The polygon's vertex indices along the chain.
    idx: [u8; 12],
    /// The last vertex.
    len: usize,
    k: usize,
    /// Vertex `k`, the edge's slopes of `v` and `t` along `u`, and `u` of
    /// vertex `k + 1` (∞ past the last).
    a: [f64; 3],
    kv: f64,
    kt: f64,
    next: f64,
}

impl<'p> Chain<'p> {
    /// The chain of `p` from vertex `start`, `len` steps of `dir` (1: the
    /// vertex order; `n − 1`: the reverse).
    #[inline]
    fn new(p: &'p Poly, start: usize, dir: usize, len: usize) -> Chain<'p> {
        let mut idx = [0u8; 12];
        let mut at = start;
        for q in &mut idx[..=len] {
            *q = at as u8;
            at += dir;
            if at >= p.n {
                at -= p.n;
            }
        }
        let mut c = Chain {
            p,
            idx,
            len,
            k: 0,
            a: [0.0; 3],
            kv: 0.0,
            kt: 0.0,
            next: f64::INFINITY,
        };
        c.load();
        c
    }

    #[inline]
    fn vertex(&self, k: usize) -> [f64; 3] {
        self.p.p[self.idx[k] as usize]
    }

    /// Takes edge `k` (its slopes; none past the last vertex, or along a
    /// vertical edge, which the sweep steps over).
    #[inline]
    fn load(&mut self) {
        self.a = self.vertex(self.k);
        (self.kv, self.kt, self.next) = (0.0, 0.0, f64::INFINITY);
        if self.k < self.len {
            let b = self.vertex(self.k + 1);
            self.next = b[0];
            let du = b[0] - self.a[0];
            if du > 0.0 {
                let r = 1.0 / du;
                self.kv = (b[1] - self.a[1]) * r;
                self.kt = (b[2] - self.a[2]) * r;
            }
        }
    }

    /// Moves to the edge leaving `x` rightwards; whether it moved.
    #[inline]
    fn seek(&mut self, x: f64) -> bool {
        let mut moved = false;
        while self.next <= x {
            self.k += 1;
            self.load();
            moved = true;
        }
        moved
    }

    /// `(v, t)` at `x` on the current edge.
    #[inline]
    fn at(&self, x: f64) -> (f64, f64) {
        let d = x - self.a[0];
        (self.a[1] + d * self.kv, self.a[2] + d * self.kt)
    }
}

/// `(H, Σ)` at `x` on the chains' current edges.
#[inline]
fn chord(fwd: &Chain, back: &Chain, x: f64) -> (f64, f64) {
    let (v0, t0) = fwd.at(x);
    let (v1, t1) = back.at(x);
    (v1 - v0, t0 + t1)
}

const TWELFTH: f64 = 1.0 / 12.0;

/// Adds `sign ×` the signed integral of `t` over the part of the convex
/// polygon `row` (a face's piece of one pixel row) in column `c0 + k` to
/// `out[k]`, for the columns `out` covers; parts beyond them (beyond the
/// map, or a rounding's hair beyond the cell's shadow) are left out.
pub(super) fn row_integrals(row: &Poly, g: &Grid, sign: f64, c0: usize, out: &mut [f64]) {
    let n = row.n;
    if n < 3 {
        return;
    }
    let (mut lo, mut hi) = (0, 0);
    for k in 1..n {
        if row.p[k][0] < row.p[lo][0] {
            lo = k;
        }
        if row.p[k][0] > row.p[hi][0] {
            hi = k;
        }
    }
    let (umin, umax) = (row.p[lo][0], row.p[hi][0]);
    let Some((i0, i1)) = g.cols(umin, umax) else {
        return;
    };
    let (i0, i1) = (i0.max(c0), i1.min(c0 + out.len() - 1));
    if i0 > i1 {
        return;
    }
    let w = sign * TWELFTH;
    let mut add = |i: usize, x: f64| out[i - c0] += w * x;
    let xs = umin.max(g.u(i0));
    let xe = umax.min(g.u(i1 + 1));
    // Nothing to sweep (also when a NaN came in).
    if xe.partial_cmp(&xs) != Some(std::cmp::Ordering::Greater) {
        return;
    }
    // Steps from `lo` to `hi` each way round (no `%`: an integer division).
    let ahead = if hi >= lo { hi - lo } else { hi + n - lo };
    let behind = if ahead == 0 { 0 } else { n - ahead };
    let mut fwd = Chain::new(row, lo, 1, ahead);
    let mut back = Chain::new(row, lo, n - 1, behind);
    // The column holding `xs`: `u(i) ≤ xs < u(i + 1)` (or the last).
    let mut i = (floor((xs - g.u0) / g.pw).max(0.0) as usize).clamp(i0, i1);
    while i > i0 && g.u(i) > xs {
        i -= 1;
    }
    while i < i1 && g.u(i + 1) <= xs {
        i += 1;
    }
    fwd.seek(xs);
    back.seek(xs);
    let (mut h0, mut s0) = chord(&fwd, &back, xs);
    let mut x0 = xs;
    let mut acc = 0.0;
    loop {
        // Both chains stay straight up to `lim`: whole columns first.
        let lim = fwd.next.min(back.next).min(xe);
        while i < i1 {
            let x1 = g.u(i + 1);
            if x1 > lim {
                break;
            }
            let (h1, s1) = chord(&fwd, &back, x1);
            acc += (x1 - x0) * (h0 * s0 + (h0 + h1) * (s0 + s1) + h1 * s1);
            add(i, acc);
            (acc, i, x0, h0, s0) = (0.0, i + 1, x1, h1, s1);
        }
        let (h1, s1) = chord(&fwd, &back, lim);
        acc += (lim - x0) * (h0 * s0 + (h0 + h1) * (s0 + s1) + h1 * s1);
        if lim >= xe {
            add(i, acc);
            return;
        }
        let moved = fwd.seek(lim) | back.seek(lim);
        (h0, s0) = if moved {
            chord(&fwd, &back, lim)
        } else {
            (h1, s1)
        };
        x0 = lim;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(q: &[[f64; 3]]) -> Poly {
        let mut p = Poly::EMPTY;
        p.n = q.len();
        p.p[..q.len()].copy_from_slice(q);
        p
    }

    /// The sweep's columns are the polygon clipped to each column, for
    /// both vertex orders, vertical edges and pieces past the map.
    #[test]
    fn columns_are_the_clipped_integrals() {
        let g = Grid {
            n: 5,
            m: 1,
            u0: 0.0,
            v0: 0.0,
            pw: 1.0,
            ph: 1.0,
        };
        // `t` affine (as on a face): 1 + 0.3 u − 0.7 v.
        let t = |u: f64, v: f64| [u, v, 1.0 + 0.3 * u - 0.7 * v];
        let shapes = [
            vec![t(0.3, 0.1), t(3.7, 0.0), t(2.2, 0.9)],
            vec![t(1.0, 0.0), t(3.0, 0.0), t(3.0, 1.0), t(1.0, 1.0)],
            vec![
                t(-1.5, 0.2),
                t(0.5, 0.0),
                t(4.5, 0.3),
                t(6.5, 0.8),
                t(2.0, 1.0),
            ],
        ];
        for q in shapes {
            for rev in [false, true] {
                let mut q = q.clone();
                if rev {
                    q.reverse();
                }
                let p = poly(&q);
                let mut got = [0.0; 5];
                row_integrals(&p, &g, 1.0, 0, &mut got);
                for (i, &x) in got.iter().enumerate() {
                    let part = p.clip(0, i as f64, 1.0).clip(0, i as f64 + 1.0, -1.0);
                    let want = part.integral();
                    assert!((x - want).abs() < 1e-14, "{q:?} column {i}: {x} vs {want}");
                }
            }
        }
    }
}

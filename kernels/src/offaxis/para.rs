//! `∫ t` of one uncut face over every pixel it covers, without cutting
//! polygons.
//!
//! Why: an uncut face projects to a parallelogram, and cutting it into a
//! polygon per pixel row ([`super::poly`]) and sweeping that polygon's
//! chains ([`super::sweep`]) spent most of its time rebuilding what is the
//! same for every row: which vertex is leftmost, the slopes of the edges
//! (a division each). Here they are found once per face. Over a row strip
//! `v0 ≤ v ≤ v1` the face's vertical chord at `u` is `[max(lo(u), v0),
//! min(hi(u), v1)]`, `lo` and `hi` its lower and upper edges; between the
//! stops — the vertices' `u`, the edges' crossings of `v0` and `v1`, and
//! the column edges — the chord's length `H` and the value `M` of `t` at
//! its middle are linear in `u`, so `∫ t dv = H·M` is quadratic and
//! `∫ H·M du = Δ/6·(2H₀M₀ + 2H₁M₁ + H₀M₁ + H₁M₀)` is exact. `t` is affine on
//! the face: `M` comes from its plane. The result is the face's signed
//! integral over each pixel, as [`super::sweep`] gives it on the cut
//! pieces (tested against it).

use super::grid::{floor, Grid};

/// A face's parallelogram ready for row sweeps: vertices left (`l`),
/// right (`r`), lower middle (`a`) and upper middle (`b`) as `[u, v]`,
/// the slopes `dv/du` of the edges `l→a`, `a→r`, `l→b`, `b→r` (0 along a
/// vertical edge, never used there), `du/dv` of the same edges, and `t`'s
/// plane `t = t0 + tu·(u − l_u) + tv·(v − l_v)`.
pub(super) struct Para {
    l: [f64; 2],
    r: [f64; 2],
    a: [f64; 2],
    b: [f64; 2],
    dvdu: [f64; 4],
    dudv: [f64; 4],
    t0: f64,
    tu: f64,
    tv: f64,
    /// The orientation's sign: the integral of a counter-clockwise face
    /// is positive.
    orient: f64,
}

#[inline]
fn slope(p: [f64; 2], q: [f64; 2], x: usize) -> f64 {
    let d = q[x] - p[x];
    if d != 0.0 {
        (q[1 - x] - p[1 - x]) / d
    } else {
        0.0
    }
}

impl Para {
    /// The face with corners `q` (`[u, v, t]`, in order round it); `None`
    /// when its projection has no area.
    pub(super) fn new(q: &[[f64; 3]; 4]) -> Option<Para> {
        // Opposite corners of a parallelogram: the leftmost and the
        // rightmost are opposite (ties: the lower one).
        let mut li = 0;
        for k in 1..4 {
            let (p, c) = (q[k], q[li]);
            if p[0] < c[0] || (p[0] == c[0] && p[1] < c[1]) {
                li = k;
            }
        }
        let (l, r) = (q[li], q[(li + 2) % 4]);
        let (m1, m2) = (q[(li + 1) % 4], q[(li + 3) % 4]);
        // Which middle corner is below the diagonal l→r.
        let side = |m: [f64; 3]| (r[0] - l[0]) * (m[1] - l[1]) - (r[1] - l[1]) * (m[0] - l[0]);
        let (a, b) = if side(m1) <= side(m2) {
            (m1, m2)
        } else {
            (m2, m1)
        };
        // The plane of t from two edge vectors.
        let (e, f) = (
            [a[0] - l[0], a[1] - l[1], a[2] - l[2]],
            [b[0] - l[0], b[1] - l[1], b[2] - l[2]],
        );
        let det = e[0] * f[1] - e[1] * f[0];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let tu = (e[2] * f[1] - e[1] * f[2]) / det;
        let tv = (e[0] * f[2] - e[2] * f[0]) / det;
        // q in order round the face: counter-clockwise when the signed
        // area of q0, q1, q2 is positive.
        let turn =
            (q[1][0] - q[0][0]) * (q[2][1] - q[0][1]) - (q[2][0] - q[0][0]) * (q[1][1] - q[0][1]);
        let uv = |p: [f64; 3]| [p[0], p[1]];
        let (l2, r2, a2, b2) = (uv(l), uv(r), uv(a), uv(b));
        let edges = [(l2, a2), (a2, r2), (l2, b2), (b2, r2)];
        Some(Para {
            l: l2,
            r: r2,
            a: a2,
            b: b2,
            dvdu: edges.map(|(p, q)| slope(p, q, 0)),
            dudv: edges.map(|(p, q)| slope(p, q, 1)),
            t0: l[2],
            tu,
            tv,
            orient: if turn > 0.0 { 1.0 } else { -1.0 },
        })
    }

    /// The face's lowest and highest `v`.
    pub(super) fn v_range(&self) -> (f64, f64) {
        (
            self.a[1].min(self.l[1]).min(self.r[1]),
            self.b[1].max(self.l[1]).max(self.r[1]),
        )
    }

    /// `(H, M)` at `u` for the strip `[v0, v1]`.
    #[inline]
    fn chord(&self, u: f64, v0: f64, v1: f64) -> (f64, f64) {
        let lo = if u < self.a[0] {
            self.l[1] + (u - self.l[0]) * self.dvdu[0]
        } else {
            self.a[1] + (u - self.a[0]) * self.dvdu[1]
        };
        let hi = if u < self.b[0] {
            self.l[1] + (u - self.l[0]) * self.dvdu[2]
        } else {
            self.b[1] + (u - self.b[0]) * self.dvdu[3]
        };
        // Comparisons, not `max`/`min` (which order NaNs, at a cost).
        let lo = if lo > v0 { lo } else { v0 };
        let hi = if hi < v1 { hi } else { v1 };
        let m = self.t0 + self.tu * (u - self.l[0]) + self.tv * (0.5 * (lo + hi) - self.l[1]);
        let h = hi - lo;
        (if h > 0.0 { h } else { 0.0 }, m)
    }

    /// The stops of the strip `[v0, v1]` in increasing `u` into `out`
    /// (how many), and the strip's part's extent `(umin, umax)` (`None`
    /// when the strip misses the face). A vertex outside the strip is no
    /// stop: the chord there is clamped to the strip or empty.
    #[inline]
    fn stops(&self, v0: f64, v1: f64, out: &mut [f64; 8]) -> Option<(usize, f64, f64)> {
        let mut n = 0;
        let inside = |p: [f64; 2]| p[1] >= v0 && p[1] <= v1;
        // The vertices in `u` order (`a` and `b` in either order).
        let (m1, m2) = if self.a[0] <= self.b[0] {
            (self.a, self.b)
        } else {
            (self.b, self.a)
        };
        for p in [self.l, m1, m2, self.r] {
            if inside(p) {
                out[n] = p[0];
                n += 1;
            }
        }
        let nv = n;
        // A line crosses a convex polygon's boundary twice at most: four
        // crossings in all.
        let edges = [
            (self.l, self.a),
            (self.a, self.r),
            (self.l, self.b),
            (self.b, self.r),
        ];
        for y in [v0, v1] {
            for (e, &(p, q)) in edges.iter().enumerate() {
                if (p[1] < y && q[1] > y) || (p[1] > y && q[1] < y) {
                    let u = p[0] + (y - p[1]) * self.dudv[e];
                    // On the edge despite rounding (`p` is left of `q`).
                    out[n] = if u < p[0] {
                        p[0]
                    } else if u > q[0] {
                        q[0]
                    } else {
                        u
                    };
                    n += 1;
                }
            }
        }
        if n == 0 {
            return None;
        }
        // Insertion of the crossings among the (sorted) vertices.
        for i in nv..n {
            let x = out[i];
            let mut j = i;
            while j > 0 && out[j - 1] > x {
                out[j] = out[j - 1];
                j -= 1;
            }
            out[j] = x;
        }
        Some((n, out[0], out[n - 1]))
    }

    /// Adds `sign ×` the face's signed integral of `t` over each pixel of
    /// row `j` in the columns `out` covers (from column `c0`).
    pub(super) fn row(&self, g: &Grid, j: usize, sign: f64, c0: usize, out: &mut [f64]) {
        let (v0, v1) = (g.v(j), g.v(j + 1));
        let mut stops = [0.0; 8];
        let Some((ns, umin, umax)) = self.stops(v0, v1, &mut stops) else {
            return;
        };
        // The columns: by a multiplication (a rounding may put an end
        // in the next column, which the clamps and the walk below absorb).
        let col = |x: f64| floor((x - g.u0) * g.inv_pw);
        let (a, b) = (col(umin), col(umax));
        let (first, last) = (c0 as f64, (c0 + out.len() - 1) as f64);
        if !(b >= first && a <= last) {
            return; // also NaN
        }
        let i0 = if a > first { a as usize } else { c0 };
        let i1 = if b < last {
            b as usize
        } else {
            c0 + out.len() - 1
        };
        let xs = if umin > g.u(i0) { umin } else { g.u(i0) };
        let xe = if umax < g.u(i1 + 1) {
            umax
        } else {
            g.u(i1 + 1)
        };
        if xe.partial_cmp(&xs) != Some(std::cmp::Ordering::Greater) {
            return;
        }
        let w = sign * self.orient / 6.0;
        let mut i = i0;
        while i < i1 && g.u(i + 1) <= xs {
            i += 1;
        }
        let mut k = 0;
        while k < ns && stops[k] <= xs {
            k += 1;
        }
        let (mut x0, (mut h0, mut m0)) = (xs, self.chord(xs, v0, v1));
        let mut acc = 0.0;
        loop {
            let stop = if k < ns && stops[k] < xe {
                stops[k]
            } else {
                xe
            };
            let edge = if i < i1 { g.u(i + 1) } else { f64::INFINITY };
            let x1 = if edge < stop { edge } else { stop };
            let (h1, m1) = self.chord(x1, v0, v1);
            acc += (x1 - x0) * (2.0 * (h0 * m0 + h1 * m1) + h0 * m1 + h1 * m0);
            (x0, h0, m0) = (x1, h1, m1);
            if x1 >= xe {
                out[i - c0] += w * acc;
                return;
            }
            if edge <= stop {
                out[i - c0] += w * acc;
                acc = 0.0;
                i += 1;
            }
            while k < ns && stops[k] <= x1 {
                k += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offaxis::poly::Poly;
    use crate::offaxis::sweep::row_integrals;

    /// The row sweep of a parallelogram is the signed integral of `t`
    /// over each pixel: the polygon cut to the pixel's row and column
    /// and integrated by a fan of triangles (independent of both sweeps),
    /// for faces in either vertex order, with vertical and horizontal
    /// edges, reaching past the columns asked for, and thin ones.
    #[test]
    fn rows_are_the_clipped_integrals() {
        let g = Grid {
            n: 7,
            m: 6,
            u0: -0.3,
            v0: 0.1,
            pw: 0.9,
            ph: 0.7,
            inv_pw: 1.0 / 0.9,
        };
        // `t` affine over the face.
        let t = |u: f64, v: f64| [u, v, 0.4 - 0.3 * u + 0.8 * v];
        let para = |o: [f64; 2], e: [f64; 2], f: [f64; 2]| {
            [
                t(o[0], o[1]),
                t(o[0] + e[0], o[1] + e[1]),
                t(o[0] + e[0] + f[0], o[1] + e[1] + f[1]),
                t(o[0] + f[0], o[1] + f[1]),
            ]
        };
        let faces = [
            para([0.2, 0.4], [3.1, 0.9], [-1.2, 2.3]),
            para([1.0, 1.0], [2.0, 0.0], [0.0, 1.5]),
            para([-1.0, 0.3], [6.0, 1.7], [0.5, 2.9]),
            para([2.3, 0.2], [0.0, 3.3], [1.7, -0.6]),
            para([0.5, 0.35], [4.4, 2.7], [1e-7, 3e-8]),
            para([4.2, 3.9], [-2.0, -2.6], [1.1, -1.4]),
        ];
        for q in faces {
            for rev in [false, true] {
                let mut q = q;
                if rev {
                    q.reverse();
                }
                let mut poly = Poly::EMPTY;
                poly.n = 4;
                poly.p[..4].copy_from_slice(&q);
                let p = Para::new(&q).unwrap();
                for j in 0..g.m {
                    // Columns 1..=5 only: the parts in 0 and 6 are left out.
                    let mut got = [0.0; 5];
                    p.row(&g, j, -2.0, 1, &mut got);
                    let row = poly.clip(1, g.v(j), 1.0).clip(1, g.v(j + 1), -1.0);
                    let mut swept = [0.0; 5];
                    row_integrals(&row, &g, -2.0, 1, &mut swept);
                    for (k, &x) in got.iter().enumerate() {
                        let i = k + 1;
                        let cut = row.clip(0, g.u(i), 1.0).clip(0, g.u(i + 1), -1.0);
                        let want = -2.0 * cut.integral();
                        let scale = 1e-14 * (1.0 + want.abs());
                        assert!(
                            (x - want).abs() < scale,
                            "{q:?} pixel ({i}, {j}): {x} vs {want}"
                        );
                        assert!(
                            (x - swept[k]).abs() < scale,
                            "{q:?} pixel ({i}, {j}): {x} vs sweep {}",
                            swept[k]
                        );
                    }
                }
            }
        }
    }
}

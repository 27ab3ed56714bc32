//! The corner function of a view: one table per view from which any
//! cell's volume over any pixel follows by four look-ups.
//!
//! Why: for a cube of side `L` centred at `(u_c, v_c)` in the image plane,
//! `F(a, b) = Vol(cube ∩ {u ≤ a, v ≤ b})` is `L³ Φ((a − u_c)/L, (b −
//! v_c)/L)` with one function `Φ` for every cell of the view (all cells
//! are cubes with the same axes), and the volume over pixel `[a0, a1] ×
//! [b0, b1]` is `F(a1, b1) − F(a0, b1) − F(a1, b0) + F(a0, b0)`. So the
//! per-cell work is one evaluation of `Φ` per pixel corner instead of
//! cutting six faces into every pixel row (about 40 instructions per
//! corner, and ~250 per row of corners, against ~120 per pixel).
//!
//! What `Φ` is: the integral of the cube's chord length `ρ(u, v)` over the
//! quadrant below-left of `(a, b)`. `ρ` is linear between the projected
//! edges of the cube, so `Φ` is a cubic polynomial on each region of the
//! plane in which neither the corner crosses a projected edge nor the
//! vertical ray down from it or the horizontal ray left of it passes a
//! vertex of the edges' arrangement (nor a crossing of such a vertical
//! ray with an edge). The table cuts the shadow's box into horizontal
//! bands at every such vertex height, and each band into pieces between
//! the edges and the vertical rays (up from the vertices) that cross it,
//! in an order fixed within the band; on each piece it keeps the cubic,
//! recovered from 16 exact values (`Cube::volume_below`, by the
//! divergence theorem over the cube's faces cut by the quadrant) by least
//! squares, and checks it at four more points: a piece that misfits
//! (which would be a geometric case the cuts miss) makes the view use the
//! face sweep for every cell instead.
//!
//! Precision: `Φ` is known to ~1e-15 of the cube's volume, so a pixel's
//! volume is found to ~1e-15·L³; cells wider than [`MAX_WIDTH`] pixels
//! (whose volume per pixel is a small part of `L³`) keep the face sweep.
//! Pixels the cell's shadow does not reach in a row (known from the
//! shadow's outline, [`CornerFn::extent`]) get exactly nothing.
//!
//! Evaluation: a row of corners takes its band's lines and pieces' cubics
//! at its height for every slot at once, then each corner's piece (the
//! lines left of it, counted without a branch) and cubic. Where the CPU
//! has AVX2 and the band at most seven lines, the row is found in AVX2
//! registers ([`row_avx2`]): four corners at a time, the pieces'
//! coefficients picked by register permutations rather than loads indexed
//! by the count, with the same operations in the same order as the scalar
//! row, so the same bits (`vector_rows_are_the_scalar_rows_bit_for_bit`).

use crate::view::Basis;

/// Widest cell, in pixels, that uses the corner function.
pub(super) const MAX_WIDTH: f64 = 32.0;

/// Where each piece is sampled, as fractions of its band's height and of
/// its width at that height (Chebyshev points of the first kind).
const NODES: [f64; 4] = [
    0.038_060_233_744_356_6,
    0.308_658_283_817_455_1,
    0.691_341_716_182_544_9,
    0.961_939_766_255_643_4,
];

/// Where each fitted piece is checked (width fraction, height fraction).
const CHECKS: [(f64, f64); 4] = [(0.5, 0.5), (0.2, 0.8), (0.8, 0.2), (0.45, 0.05)];

/// Most lines in a band (a view with more sweeps faces instead).
const MAX_LINES: usize = 15;

/// Heights or positions closer than this (in cube sides) are one.
const MERGE: f64 = 1e-12;

/// Largest misfit accepted at a check point (in cube volumes).
const TOLERANCE: f64 = 1e-13;

/// The unit cube centred at the origin, seen along a view: the image
/// coordinates of its axes and of its vertices.
struct Cube {
    /// `(e1_k, e2_k)`: the projection of box axis `k`.
    xi: [[f64; 2]; 3],
    /// Vertex `s` is `Σ_k (bit k of s − ½) xi[k]`.
    vert: [[f64; 2]; 8],
}

/// A polygon in a face's own coordinates `(a, b)` carrying `(u, v)`.
#[derive(Clone, Copy)]
struct FacePoly {
    n: usize,
    p: [[f64; 4]; 8],
}

impl FacePoly {
    /// The part where `p[k] ≤ at`.
    fn below(&self, k: usize, at: f64) -> FacePoly {
        let mut out = FacePoly {
            n: 0,
            p: [[0.0; 4]; 8],
        };
        for i in 0..self.n {
            let (a, b) = (self.p[i], self.p[(i + 1) % self.n]);
            let (ia, ib) = (a[k] <= at, b[k] <= at);
            if ia {
                out.p[out.n] = a;
                out.n += 1;
            }
            if ia != ib {
                let f = (at - a[k]) / (b[k] - a[k]);
                let mut q: [f64; 4] = std::array::from_fn(|d| a[d] + f * (b[d] - a[d]));
                q[k] = at;
                out.p[out.n] = q;
                out.n += 1;
            }
        }
        out
    }
}

impl Cube {
    fn new(b: &Basis) -> Cube {
        let xi: [[f64; 2]; 3] = std::array::from_fn(|k| [b.e1[k], b.e2[k]]);
        let vert = std::array::from_fn(|s| {
            let mut p = [0.0; 2];
            for (k, x) in xi.iter().enumerate() {
                let t = ((s >> k) & 1) as f64 - 0.5;
                p[0] += t * x[0];
                p[1] += t * x[1];
            }
            p
        });
        Cube { xi, vert }
    }

    /// The twelve edges as pairs of vertex indices.
    fn edges(&self) -> Vec<[[f64; 2]; 2]> {
        let mut out = Vec::with_capacity(12);
        for k in 0..3 {
            for s in 0..8usize {
                if s & (1 << k) == 0 {
                    out.push([self.vert[s], self.vert[s | (1 << k)]]);
                }
            }
        }
        out
    }

    /// `Vol(cube ∩ {u ≤ a, v ≤ b})`, exactly: the flux of `(u − a)·e1`
    /// (divergence 1, no flux through the planes `u = a` and `v = b`)
    /// through the cube's faces cut to the quadrant, each face integrated
    /// in its own coordinates (area element 1).
    fn volume_below(&self, a: f64, b: f64) -> f64 {
        let mut vol = 0.0;
        for k in 0..3 {
            let e1k = self.xi[k][0];
            if e1k == 0.0 {
                continue;
            }
            let (k1, k2) = ((k + 1) % 3, (k + 2) % 3);
            for side in [-0.5, 0.5] {
                let mut face = FacePoly {
                    n: 4,
                    p: [[0.0; 4]; 8],
                };
                for (i, (x, y)) in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
                    .into_iter()
                    .enumerate()
                {
                    let at =
                        |d: usize| side * self.xi[k][d] + x * self.xi[k1][d] + y * self.xi[k2][d];
                    face.p[i] = [x, y, at(0), at(1)];
                }
                let cut = face.below(2, a).below(3, b);
                vol += side.signum() * e1k * integral_minus(&cut, a);
            }
        }
        vol
    }
}

/// `Φ(a, b)` computed directly, without the table (for tests).
#[cfg(test)]
pub(super) fn exact_phi(basis: &Basis, a: f64, b: f64) -> f64 {
    Cube::new(basis).volume_below(a, b)
}

/// `∫ (u − a)` over a polygon in its `(x, y)` coordinates (`u` affine),
/// as a fan of triangles.
fn integral_minus(poly: &FacePoly, a: f64) -> f64 {
    let mut s = 0.0;
    if poly.n < 3 {
        return 0.0;
    }
    let p0 = poly.p[0];
    for i in 1..poly.n - 1 {
        let (p1, p2) = (poly.p[i], poly.p[i + 1]);
        let area2 = (p1[0] - p0[0]) * (p2[1] - p0[1]) - (p2[0] - p0[0]) * (p1[1] - p0[1]);
        s += area2 * ((p0[2] - a) + (p1[2] - a) + (p2[2] - a));
    }
    s / 6.0
}

/// A line of a band: `u = u0 + (v − v0)·q`.
#[derive(Clone, Copy, Debug)]
struct Line {
    u0: f64,
    v0: f64,
    q: f64,
}

impl Line {
    #[inline]
    fn at(&self, v: f64) -> f64 {
        self.u0 + (v - self.v0) * self.q
    }
}

/// One piece: the cubic `Σ c_ij x^i y^j` in `x = a − a0`, `y = b − b0`,
/// coefficients in the order `c00 c01 c02 c03 c10 c11 c12 c20 c21 c30`
/// (all zero where nothing of the cube lies in the quadrant: the cubic is
/// then exactly zero).
#[derive(Clone, Copy, Debug)]
struct Piece {
    a0: f64,
    b0: f64,
    c: [f64; 10],
}

impl Piece {
    #[inline]
    fn eval(&self, a: f64, b: f64) -> f64 {
        let (x, y) = (a - self.a0, b - self.b0);
        let c = &self.c;
        let p0 = c[0] + y * (c[1] + y * (c[2] + y * c[3]));
        let p1 = c[4] + y * (c[5] + y * c[6]);
        let p2 = c[7] + y * c[8];
        p0 + x * (p1 + x * (p2 + x * c[9]))
    }
}

/// A band of heights: how many lines cross it (its pieces: one more) and
/// where its block of [`CornerFn::coef`] starts.
#[derive(Clone, Copy, Debug)]
struct Band {
    lines: usize,
    /// Where its pieces' coefficients start in [`CornerFn::coef`].
    coef: usize,
}

/// Slots per coefficient of a band in [`CornerFn::coef`] (its pieces,
/// padded with zeros).
const SLOTS: usize = MAX_LINES + 1;

/// Rows of a band's block in [`CornerFn::coef`]: the ten coefficients of
/// [`Piece::c`], then `a0`, then the band's middle height (in slot 0),
/// then its lines' `u0`, `v0` and `q` ([`Line`]; `u0 = ∞` past the last).
const ROWS: usize = 15;

/// Room for a row's line positions and cubics ([`CornerFn::row`]), kept
/// from row to row.
pub(super) struct RowState {
    pos: [f64; MAX_LINES + 1],
    /// Coefficient `j` of piece `k`'s cubic in `a` at the row's height:
    /// `a0`, then the powers 0 to 3 of `a − a0`.
    cubic: [[f64; SLOTS]; 3],
}

impl Default for RowState {
    fn default() -> RowState {
        RowState {
            pos: [f64::INFINITY; MAX_LINES + 1],
            cubic: [[0.0; SLOTS]; 3],
        }
    }
}

/// How many of `pos` are below `a` (NaN counts as not below; `N` even),
/// without a branch: two-lane comparisons whose all-ones lanes (−1 each)
/// are summed.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn count_below<const N: usize>(pos: &[f64; N], a: f64) -> usize {
    use std::arch::x86_64::{
        _mm_add_epi64, _mm_castpd_si128, _mm_cmplt_pd, _mm_cvtsi128_si64, _mm_set1_pd, _mm_set_pd,
        _mm_setzero_si128, _mm_unpackhi_epi64,
    };
    // SAFETY: these SSE2 intrinsics need only SSE2, which every x86_64
    // CPU has (it is the target's baseline); they read nothing but their
    // arguments.
    let total = unsafe {
        let av = _mm_set1_pd(a);
        let mut s = _mm_setzero_si128();
        for k in (0..N).step_by(2) {
            let lt = _mm_castpd_si128(_mm_cmplt_pd(_mm_set_pd(pos[k + 1], pos[k]), av));
            s = _mm_add_epi64(s, lt);
        }
        _mm_cvtsi128_si64(s) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s))
    };
    (-total) as usize
}

/// How many of `pos` are below `a`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn count_below<const N: usize>(pos: &[f64; N], a: f64) -> usize {
    pos.iter().map(|&p| (p < a) as usize).sum()
}

/// `Φ` at the corners `alphas` of a row whose lines and cubics are in
/// `st` (`m` lines): each corner's piece is the number of lines left of
/// it; the cubic in Estrin's order.
#[inline(always)]
fn corners(
    st: &RowState,
    (a0, c3): (&[f64; SLOTS], &[f64; SLOTS]),
    m: usize,
    (umin, umax): (f64, f64),
    alphas: &[f64],
    out: &mut [f64],
) {
    let (pos, [c0, c1, c2]) = (&st.pos, &st.cubic);
    let n = alphas.len().min(out.len());
    let (alphas, out) = (&alphas[..n], &mut out[..n]);
    let eval = |a: f64, k: usize| {
        let x = a - a0[k];
        (c0[k] + x * c1[k]) + (x * x) * (c2[k] + x * c3[k])
    };
    let clamp = |a: f64| {
        let a = if a < umin { umin } else { a };
        if a > umax {
            umax
        } else {
            a
        }
    };
    if m <= 8 {
        let pos8: [f64; 8] = std::array::from_fn(|k| pos[k]);
        for i in 0..n {
            let a = clamp(alphas[i]);
            out[i] = eval(a, count_below(&pos8, a));
        }
    } else {
        for i in 0..n {
            let a = clamp(alphas[i]);
            out[i] = eval(a, pos.iter().map(|&p| (p < a) as usize).sum());
        }
    }
}

/// [`CornerFn::row`] for a band of at most seven lines (its coefficient
/// block `q`), in AVX2 registers: the first eight slots of the lines'
/// positions and of the pieces' cubics found in registers (the same
/// operations as the scalar row's) rather than stored and read back,
/// then the corners four at a time ([`four_corners`]) — the same bits.
///
/// # Safety
/// The CPU must have AVX2; `q` is a whole band block ([`ROWS`] ×
/// [`SLOTS`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn row_avx2(q: &[f64], b: f64, (umin, umax): (f64, f64), alphas: &[f64], out: &mut [f64]) {
    use std::arch::x86_64::*;
    let n = alphas.len().min(out.len());
    if n == 0 {
        return;
    }
    if n < 4 {
        let pad: [f64; 4] = std::array::from_fn(|i| alphas[i.min(n - 1)]);
        let mut o = [0.0; 4];
        // SAFETY: as this call's (four corners now).
        unsafe { row_avx2(q, b, (umin, umax), &pad, &mut o) };
        out[..n].copy_from_slice(&o[..n]);
        return;
    }
    let q = &q[..ROWS * SLOTS];
    let ld = |j: usize, at: usize| -> __m256d {
        // SAFETY: four f64 from slot 0 or 4 of row `j < ROWS` of sixteen
        // slots, inside `q`.
        unsafe { _mm256_loadu_pd(q.as_ptr().add(j * SLOTS + at)) }
    };
    let y = b - q[11 * SLOTS];
    let (y2, y3) = (y * y, y * y * y);
    let (bv, yv, y2v, y3v) = (splat(b), splat(y), splat(y2), splat(y3));
    let pos = [0, 4].map(|at| {
        _mm256_add_pd(
            ld(12, at),
            _mm256_mul_pd(_mm256_sub_pd(bv, ld(13, at)), ld(14, at)),
        )
    });
    let lines = [
        _mm256_permute4x64_pd::<0x00>(pos[0]),
        _mm256_permute4x64_pd::<0x55>(pos[0]),
        _mm256_permute4x64_pd::<0xaa>(pos[0]),
        _mm256_permute4x64_pd::<0xff>(pos[0]),
        _mm256_permute4x64_pd::<0x00>(pos[1]),
        _mm256_permute4x64_pd::<0x55>(pos[1]),
        _mm256_permute4x64_pd::<0xaa>(pos[1]),
        _mm256_permute4x64_pd::<0xff>(pos[1]),
    ];
    let int = |x: __m256d| _mm256_castpd_si256(x);
    let c0 = [0, 4].map(|at| {
        let near = _mm256_add_pd(ld(0, at), _mm256_mul_pd(yv, ld(1, at)));
        let far = _mm256_add_pd(_mm256_mul_pd(y2v, ld(2, at)), _mm256_mul_pd(y3v, ld(3, at)));
        int(_mm256_add_pd(near, far))
    });
    let c1 = [0, 4].map(|at| {
        let near = _mm256_add_pd(ld(4, at), _mm256_mul_pd(yv, ld(5, at)));
        int(_mm256_add_pd(near, _mm256_mul_pd(y2v, ld(6, at))))
    });
    let c2 = [0, 4].map(|at| int(_mm256_add_pd(ld(7, at), _mm256_mul_pd(yv, ld(8, at)))));
    let a0 = [0, 4].map(|at| int(ld(10, at)));
    let c3 = [0, 4].map(|at| int(ld(9, at)));
    let tables = [a0, c0, c1, c2, c3];
    let mut i = 0;
    while i < n {
        // The last four corners again when `n` is not a multiple of four
        // (each corner's value depends on its `α` alone).
        let at = i.min(n - 4);
        // SAFETY: `at + 4 <= n <= alphas.len(), out.len()`.
        let a = unsafe { _mm256_loadu_pd(alphas.as_ptr().add(at)) };
        let v = four_corners(a, &lines, &tables, (umin, umax));
        // SAFETY: as the load (`out` is as long).
        unsafe { _mm256_storeu_pd(out.as_mut_ptr().add(at), v) };
        i += 4;
    }
}

/// `x` in the four lanes of a register.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn splat(x: f64) -> std::arch::x86_64::__m256d {
    std::arch::x86_64::_mm256_set1_pd(x)
}

/// `Φ` at four corners `a` of a row ([`row_avx2`]): `lines` the
/// row's eight line positions (one per register), `tables` the eight
/// slots of `a0`, `c0`, `c1`, `c2`, `c3` (two registers each).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn four_corners(
    a: std::arch::x86_64::__m256d,
    lines: &[std::arch::x86_64::__m256d; 8],
    tables: &[[std::arch::x86_64::__m256i; 2]; 5],
    (umin, umax): (f64, f64),
) -> std::arch::x86_64::__m256d {
    use std::arch::x86_64::*;
    // `min(umax, max(umin, a))` with the scalar clamp's operand order.
    let a = _mm256_min_pd(_mm256_set1_pd(umax), _mm256_max_pd(_mm256_set1_pd(umin), a));
    // The piece: minus the sum of the all-ones lanes of `line < a`.
    let mut k = _mm256_setzero_si256();
    for l in lines {
        k = _mm256_sub_epi64(k, _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_LT_OQ>(*l, a)));
    }
    // Slot `k` is doubleword pair `(2k, 2k + 1)` of the register holding
    // slots `4⌊k/4⌋..`; the permutation reads doubleword indices mod 8.
    let twice = _mm256_slli_epi64::<1>(k);
    let idx = _mm256_or_si256(
        _mm256_or_si256(twice, _mm256_slli_epi64::<32>(twice)),
        _mm256_set1_epi64x(1 << 32),
    );
    let upper = _mm256_castsi256_pd(_mm256_cmpgt_epi64(k, _mm256_set1_epi64x(3)));
    let pick = |[lo, hi]: [__m256i; 2]| {
        let lo = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(lo, idx));
        let hi = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(hi, idx));
        _mm256_blendv_pd(lo, hi, upper)
    };
    let [a0, c0, c1, c2, c3] = tables.map(pick);
    let x = _mm256_sub_pd(a, a0);
    let near = _mm256_add_pd(c0, _mm256_mul_pd(x, c1));
    let far = _mm256_add_pd(c2, _mm256_mul_pd(x, c3));
    _mm256_add_pd(near, _mm256_mul_pd(_mm256_mul_pd(x, x), far))
}

/// `Φ` of a view, tabulated (see the module doc).
pub(super) struct CornerFn {
    /// The shadow's box.
    umin: f64,
    umax: f64,
    vmin: f64,
    vmax: f64,
    /// Band `k` spans heights `cuts[k]..cuts[k + 1]`.
    cuts: Vec<f64>,
    bands: Vec<Band>,
    /// Each band's block of its pieces' coefficients ([`ROWS`] rows of
    /// [`SLOTS`]): laid out so that a row's cubics are found for every
    /// piece at once.
    coef: Vec<f64>,
    /// The shadow's left and right outlines, upwards.
    left: [Stretch; STRETCHES],
    right: [Stretch; STRETCHES],
    /// The heights of a leftmost and of a rightmost vertex of the shadow.
    v_left: f64,
    v_right: f64,
}

/// The vertices of the edges' arrangement: the cube's and the proper
/// crossings of two edges.
fn arrangement_vertices(cube: &Cube, edges: &[[[f64; 2]; 2]]) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = cube.vert.to_vec();
    for (i, p) in edges.iter().enumerate() {
        for q in &edges[i + 1..] {
            let r = [p[1][0] - p[0][0], p[1][1] - p[0][1]];
            let s = [q[1][0] - q[0][0], q[1][1] - q[0][1]];
            let den = r[0] * s[1] - r[1] * s[0];
            if den.abs() < 1e-14 {
                continue; // parallel (or a point): no proper crossing
            }
            let w = [q[0][0] - p[0][0], q[0][1] - p[0][1]];
            let t = (w[0] * s[1] - w[1] * s[0]) / den;
            let z = (w[0] * r[1] - w[1] * r[0]) / den;
            if t > 1e-12 && t < 1.0 - 1e-12 && z > 1e-12 && z < 1.0 - 1e-12 {
                out.push([p[0][0] + t * r[0], p[0][1] + t * r[1]]);
            }
        }
    }
    out
}

/// The heights at which the pieces change: every vertex, and every
/// crossing of a vertical ray up from a vertex with an edge; sorted, the
/// ones closer than [`MERGE`] merged, from `vmin` to `vmax`.
fn band_cuts(verts: &[[f64; 2]], edges: &[[[f64; 2]; 2]], vmin: f64, vmax: f64) -> Vec<f64> {
    let mut ev: Vec<f64> = vec![vmin, vmax];
    ev.extend(verts.iter().map(|w| w[1]));
    for w in verts {
        for e in edges {
            let (lo, hi) = if e[0][0] <= e[1][0] {
                (e[0], e[1])
            } else {
                (e[1], e[0])
            };
            if lo[0] < w[0] && w[0] < hi[0] {
                let v = lo[1] + (w[0] - lo[0]) * (hi[1] - lo[1]) / (hi[0] - lo[0]);
                if v > w[1] {
                    ev.push(v);
                }
            }
        }
    }
    ev.retain(|v| *v >= vmin && *v <= vmax);
    ev.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = Vec::with_capacity(ev.len());
    for v in ev {
        match cuts.last() {
            Some(&l) if v - l <= MERGE => {}
            _ => cuts.push(v),
        }
    }
    // The last cut is vmax itself (a close cut before it is dropped).
    if let Some(l) = cuts.last_mut() {
        *l = vmax;
    }
    cuts
}

/// The lines crossing the band `[lo, hi]`, sorted along `u`, without
/// duplicates: the edges that span it and the vertical rays of the
/// vertices below it.
fn band_lines(verts: &[[f64; 2]], edges: &[[[f64; 2]; 2]], lo: f64, hi: f64) -> Vec<Line> {
    let mid = 0.5 * (lo + hi);
    let mut lines: Vec<Line> = Vec::new();
    for e in edges {
        let (p, q) = if e[0][1] <= e[1][1] {
            (e[0], e[1])
        } else {
            (e[1], e[0])
        };
        if p[1] < mid && mid < q[1] {
            lines.push(Line {
                u0: p[0],
                v0: p[1],
                q: (q[0] - p[0]) / (q[1] - p[1]),
            });
        }
    }
    for w in verts {
        if w[1] < mid {
            lines.push(Line {
                u0: w[0],
                v0: w[1],
                q: 0.0,
            });
        }
    }
    lines.sort_by(|a, b| a.at(mid).total_cmp(&b.at(mid)));
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        match out.last() {
            Some(k)
                if (l.at(lo) - k.at(lo)).abs() <= MERGE && (l.at(hi) - k.at(hi)).abs() <= MERGE => {
            }
            _ => out.push(l),
        }
    }
    out
}

/// Least squares for the ten coefficients of a cubic in `(x, y)` from
/// `pts` (`[x, y, value]`, at least ten, in coordinates of order one),
/// by Householder reflections.
fn fit_cubic(pts: &[[f64; 3]]) -> [f64; 10] {
    let m = pts.len();
    let mut a: Vec<[f64; 11]> = pts
        .iter()
        .map(|p| {
            let mut row = [0.0; 11];
            for (c, &(i, j)) in POWERS.iter().enumerate() {
                row[c] = p[0].powi(i) * p[1].powi(j);
            }
            row[10] = p[2];
            row
        })
        .collect();
    for c in 0..10 {
        let norm = (c..m).map(|r| a[r][c] * a[r][c]).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if a[c][c] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (c..m).map(|r| a[r][c]).collect();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv == 0.0 {
            continue;
        }
        // Reflect columns c.. of rows c.. (and the values): x −= 2 v (v·x) / v·v.
        let mut d = [0.0; 11];
        for (row, &vr) in a[c..].iter().zip(&v) {
            for (dk, x) in d[c..].iter_mut().zip(&row[c..]) {
                *dk += vr * x;
            }
        }
        for (row, &vr) in a[c..].iter_mut().zip(&v) {
            for (x, dk) in row[c..].iter_mut().zip(&d[c..]) {
                *x -= dk * 2.0 / vv * vr;
            }
        }
    }
    let mut x = [0.0; 10];
    for c in (0..10).rev() {
        let mut s = a[c][10];
        for k in c + 1..10 {
            s -= a[c][k] * x[k];
        }
        x[c] = if a[c][c] == 0.0 { 0.0 } else { s / a[c][c] };
    }
    x
}

/// The powers of the coefficients of [`Piece::c`].
const POWERS: [(i32, i32); 10] = [
    (0, 0),
    (0, 1),
    (0, 2),
    (0, 3),
    (1, 0),
    (1, 1),
    (1, 2),
    (2, 0),
    (2, 1),
    (3, 0),
];

/// The piece of band `[lo, hi]` between two lines (`None`: the shadow's
/// box), fitted and checked: `Err` when it misfits, `Ok(None)` when it is
/// too thin to sample (it then takes a neighbour's cubic: `Φ` is
/// continuous).
fn fit_piece(
    cube: &Cube,
    (lo, hi): (f64, f64),
    left: Option<Line>,
    right: Option<Line>,
    (umin, umax): (f64, f64),
) -> Result<Option<Piece>, ()> {
    let lb = |v: f64| left.map_or(umin, |l| l.at(v));
    let rb = |v: f64| right.map_or(umax, |l| l.at(v));
    let mid = 0.5 * (lo + hi);
    let at = |fa: f64, fb: f64| {
        let v = lo + fb * (hi - lo);
        [lb(v) + fa * (rb(v) - lb(v)), v]
    };
    let mut piece = Piece {
        a0: 0.5 * (lb(mid) + rb(mid)),
        b0: mid,
        c: [0.0; 10],
    };
    if (rb(lo) - lb(lo)).max(rb(hi) - lb(hi)) <= MERGE {
        return Ok(None);
    }
    let mut pts = Vec::with_capacity(16);
    for fb in NODES {
        for fa in NODES {
            let [a, b] = at(fa, fb);
            pts.push([a, b, cube.volume_below(a, b)]);
        }
    }
    let checks = CHECKS.map(|(fa, fb)| {
        let [a, b] = at(fa, fb);
        [a, b, cube.volume_below(a, b)]
    });
    if pts.iter().chain(&checks).all(|p| p[2] == 0.0) {
        return Ok(Some(piece));
    }
    let sx = pts
        .iter()
        .fold(0.0f64, |m, p| m.max((p[0] - piece.a0).abs()));
    let sy = 0.5 * (hi - lo);
    let scaled: Vec<[f64; 3]> = pts
        .iter()
        .map(|p| [(p[0] - piece.a0) / sx, (p[1] - piece.b0) / sy, p[2]])
        .collect();
    let c = fit_cubic(&scaled);
    for (k, &(i, j)) in POWERS.iter().enumerate() {
        piece.c[k] = c[k] / (sx.powi(i) * sy.powi(j));
    }
    let fits = checks
        .iter()
        .all(|p| (piece.eval(p[0], p[1]) - p[2]).abs() <= TOLERANCE);
    if fits {
        Ok(Some(piece))
    } else {
        Err(())
    }
}

/// The left and right outlines of the convex hull of `pts`, as `(v, u)`
/// points from the lowest to the highest (monotone chains).
fn outlines(pts: &[[f64; 2]]) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let mut p: Vec<[f64; 2]> = pts.iter().map(|w| [w[1], w[0]]).collect();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let chain = |keep_left: bool| {
        let mut h: Vec<[f64; 2]> = Vec::new();
        for &q in &p {
            while h.len() >= 2 {
                let c = cross(h[h.len() - 2], h[h.len() - 1], q);
                if (keep_left && c <= 0.0) || (!keep_left && c >= 0.0) {
                    h.pop();
                } else {
                    break;
                }
            }
            h.push(q);
        }
        h
    };
    // In (v, u) coordinates the chain turning left keeps the smallest u.
    (chain(true), chain(false))
}

/// A stretch of an outline: `u = u0 + (v − v0)·slope` up to height `v1`.
#[derive(Clone, Copy)]
struct Stretch {
    v0: f64,
    v1: f64,
    u0: f64,
    slope: f64,
}

/// Stretches per outline (a hexagon's side has three; the last is
/// repeated, reaching up to `∞`).
const STRETCHES: usize = 4;

/// The stretches of an outline (`(v, u)` points upwards), its flat ones
/// left out, the last reaching to `∞`.
fn stretches(o: &[[f64; 2]]) -> [Stretch; STRETCHES] {
    let real: Vec<Stretch> = o
        .windows(2)
        .filter(|w| w[1][0] > w[0][0])
        .map(|w| Stretch {
            v0: w[0][0],
            v1: w[1][0],
            u0: w[0][1],
            slope: (w[1][1] - w[0][1]) / (w[1][0] - w[0][0]),
        })
        .collect();
    let last = real.last().copied().unwrap_or(Stretch {
        v0: 0.0,
        v1: 0.0,
        u0: 0.0,
        slope: 0.0,
    });
    let mut out = [Stretch {
        v1: f64::INFINITY,
        ..last
    }; STRETCHES];
    for (o, s) in out.iter_mut().zip(&real) {
        *o = *s;
    }
    out[real.len().clamp(1, STRETCHES) - 1].v1 = f64::INFINITY;
    out
}

/// `u` on an outline at height `v` (inside its span): the stretch is the
/// number of stretches ending below `v`, counted without a branch.
#[inline(always)]
fn outline_at(o: &[Stretch; STRETCHES], v: f64) -> f64 {
    let k: usize = o[..STRETCHES - 1].iter().map(|s| (v > s.v1) as usize).sum();
    let s = &o[k];
    s.u0 + (v - s.v0) * s.slope
}

impl CornerFn {
    /// The table for `basis`; `None` when a piece misfits (the caller
    /// then sweeps faces).
    pub(super) fn new(basis: &Basis) -> Option<CornerFn> {
        let cube = Cube::new(basis);
        let edges = cube.edges();
        let umax = 0.5 * cube.xi.iter().map(|x| x[0].abs()).sum::<f64>();
        let vmax = 0.5 * cube.xi.iter().map(|x| x[1].abs()).sum::<f64>();
        let verts = arrangement_vertices(&cube, &edges);
        let cuts = band_cuts(&verts, &edges, -vmax, vmax);
        let (mut bands, mut coef) = (Vec::new(), Vec::new());
        for w in cuts.windows(2) {
            let ls = band_lines(&verts, &edges, w[0], w[1]);
            if ls.len() > MAX_LINES {
                return None;
            }
            bands.push(Band {
                lines: ls.len(),
                coef: coef.len(),
            });
            let mut fitted = Vec::with_capacity(ls.len() + 1);
            for k in 0..=ls.len() {
                let (l, r) = (k.checked_sub(1).map(|i| ls[i]), ls.get(k).copied());
                fitted.push(fit_piece(&cube, (w[0], w[1]), l, r, (-umax, umax)).ok()?);
            }
            let any = fitted.iter().flatten().next().copied()?;
            let mut last = any;
            let mut block = [[0.0; SLOTS]; ROWS];
            for (k, f) in fitted.into_iter().enumerate() {
                last = f.unwrap_or(last);
                for (j, &q) in last.c.iter().enumerate() {
                    block[j][k] = q;
                }
                block[10][k] = last.a0;
            }
            block[11][0] = 0.5 * (w[0] + w[1]);
            block[12] = [f64::INFINITY; SLOTS];
            for (k, l) in ls.iter().enumerate() {
                (block[12][k], block[13][k], block[14][k]) = (l.u0, l.v0, l.q);
            }
            coef.extend(block.iter().flatten());
        }
        let (left, right) = outlines(&cube.vert);
        let v_left = left
            .iter()
            .min_by(|a, b| a[1].total_cmp(&b[1]))
            .map_or(0.0, |w| w[0]);
        let v_right = right
            .iter()
            .max_by(|a, b| a[1].total_cmp(&b[1]))
            .map_or(0.0, |w| w[0]);
        Some(CornerFn {
            umin: -umax,
            umax,
            vmin: -vmax,
            vmax,
            cuts,
            bands,
            coef,
            left: stretches(&left),
            right: stretches(&right),
            v_left,
            v_right,
        })
    }

    /// `Φ(a, b)` for each `a` of `alphas` (increasing) at one height:
    /// the band of `b`, each of its pieces' cubic made one in `a` at this
    /// height (all slots at once), then for each `a` the piece it lies
    /// in: the number of the band's lines left of it, counted without a
    /// branch and without depending on the `a` before (a walk from the
    /// previous piece chains every column's loads, or mispredicts).
    #[inline(always)]
    pub(super) fn row(&self, b: f64, alphas: &[f64], st: &mut RowState, out: &mut [f64]) {
        self.row_with(b, alphas, st, out, true);
    }

    /// [`CornerFn::row`], on AVX2 registers only when `vector` is set and
    /// the CPU has them (the tests compare the two, bit for bit).
    #[inline(always)]
    fn row_with(&self, b: f64, alphas: &[f64], st: &mut RowState, out: &mut [f64], vector: bool) {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = vector;
        let n = alphas.len().min(out.len());
        if b <= self.vmin {
            out[..n].fill(0.0);
            return;
        }
        let b = b.min(self.vmax);
        let last = self.bands.len() - 1;
        // The band: the cuts at or below `b`, counted without a branch
        // (a row of a small cell often starts a new band).
        let k = if self.cuts.len() <= SLOTS {
            let below: usize = self.cuts.iter().map(|&c| (c <= b) as usize).sum();
            below.saturating_sub(1).min(last)
        } else {
            self.cuts
                .partition_point(|&c| c <= b)
                .saturating_sub(1)
                .min(last)
        };
        let bd = self.bands[k];
        let q = &self.coef[bd.coef..][..ROWS * SLOTS];
        #[cfg(target_arch = "x86_64")]
        if vector && bd.lines < 8 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above); `q` is a
            // whole block.
            unsafe { row_avx2(q, b, (self.umin, self.umax), &alphas[..n], &mut out[..n]) };
            return;
        }
        // Every piece of a band is centred on the band's middle height;
        // the cubics in `a − a0` at this height, for every slot at once.
        let y = b - q[11 * SLOTS];
        let (y2, y3) = (y * y, y * y * y);
        let row =
            |j: usize| -> &[f64; SLOTS] { q[j * SLOTS..][..SLOTS].try_into().expect("a row") };
        // The lines' positions at this height (∞ in the empty slots).
        let (lu, lv, lq) = (row(12), row(13), row(14));
        let pos = &mut st.pos;
        // (Eight slots hold most bands' lines and pieces: loops of fixed
        // length; the slots past a band's lines hold ∞.)
        let slots = if bd.lines < 8 { 8 } else { SLOTS };
        for k in 0..slots {
            pos[k] = lu[k] + (b - lv[k]) * lq[k];
        }
        let [c0, c1, c2] = &mut st.cubic;
        let (q0, q1, q2, q3, q4, q5, q6, q7, q8) = (
            row(0),
            row(1),
            row(2),
            row(3),
            row(4),
            row(5),
            row(6),
            row(7),
            row(8),
        );
        for k in 0..slots {
            c0[k] = (q0[k] + y * q1[k]) + (y2 * q2[k] + y3 * q3[k]);
            c1[k] = (q4[k] + y * q5[k]) + y2 * q6[k];
            c2[k] = q7[k] + y * q8[k];
        }
        corners(
            st,
            (row(10), row(9)),
            bd.lines,
            (self.umin, self.umax),
            &alphas[..n],
            &mut out[..n],
        );
    }

    /// `Φ(a, b)` at one point.
    #[cfg(test)]
    fn at(&self, a: f64, b: f64) -> f64 {
        let mut o = [0.0];
        self.row(b, &[a], &mut RowState::default(), &mut o);
        o[0]
    }

    /// The shadow's outline at height `b`: `(left, right)` (the box's
    /// sides beyond its heights).
    #[inline(always)]
    pub(super) fn outline(&self, b: f64) -> (f64, f64) {
        let b = b.clamp(self.vmin, self.vmax);
        (outline_at(&self.left, b), outline_at(&self.right, b))
    }

    /// The `u` extent of the shadow over the strip between heights `b0 <
    /// b1` with outlines `e0`, `e1` there ([`CornerFn::outline`]); `None`
    /// when the strip misses it or only touches it. The left outline is
    /// convex and lowest at a leftmost vertex, so over the strip it is
    /// lowest at an end or there (the right one likewise).
    #[inline(always)]
    pub(super) fn extent(
        &self,
        (b0, e0): (f64, (f64, f64)),
        (b1, e1): (f64, (f64, f64)),
    ) -> Option<(f64, f64)> {
        if b0.max(self.vmin) >= b1.min(self.vmax) {
            return None;
        }
        let lo = if b0 < self.v_left && self.v_left < b1 {
            self.umin
        } else {
            e0.0.min(e1.0)
        };
        let hi = if b0 < self.v_right && self.v_right < b1 {
            self.umax
        } else {
            e0.1.max(e1.1)
        };
        Some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few bases, axis-aligned and oblique ones among them, and some
    /// from a fixed pseudo-random stream.
    fn bases() -> Vec<Basis> {
        let mut out = vec![
            Basis::from_normal([1.0, 2.0, 3.0], None).unwrap(),
            Basis::from_normal([0.0, 0.0, 1.0], None).unwrap(),
            Basis::from_normal([1.0, 0.0, 0.0], Some([0.0, 0.0, 1.0])).unwrap(),
            Basis::from_normal([1.0, 1.0, 1.0], None).unwrap(),
            Basis::from_normal([0.3, -0.1, 0.05], None).unwrap(),
            Basis::from_normal([1.0, 1.0, 0.0], None).unwrap(),
            Basis::from_normal([1e-7, 0.0, 1.0], None).unwrap(),
            Basis::edge_on([0.1, 0.3, -0.9]).unwrap(),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for _ in 0..24 {
            let n = [next(), next(), next()];
            let north = [next(), next(), next()];
            if let Ok(b) = Basis::from_normal(n, Some(north)) {
                out.push(b);
            }
        }
        out
    }

    /// `Vol(cube ∩ {w·x ≤ t})` for `w` with no zero component: the
    /// alternating sum over the vertices of the truncated cubes.
    fn half_space(w: [f64; 3], t: f64) -> f64 {
        let mut s = 0.0;
        for v in 0..8usize {
            let bits: [f64; 3] = std::array::from_fn(|k| ((v >> k) & 1) as f64 - 0.5);
            let sign = if v.count_ones() % 2 == 0 { 1.0 } else { -1.0 };
            let d = t - (w[0] * bits[0] + w[1] * bits[1] + w[2] * bits[2]);
            s += sign * d.max(0.0).powi(3);
        }
        s / (6.0 * w[0] * w[1] * w[2])
    }

    #[test]
    fn the_exact_function_is_the_volume() {
        for b in bases() {
            let c = Cube::new(&b);
            let f = |a: f64, bb: f64| c.volume_below(a, bb);
            assert!((f(5.0, 5.0) - 1.0).abs() < 1e-14);
            assert_eq!(f(-5.0, 0.3), 0.0);
            for k in 0..40 {
                let a = -1.0 + k as f64 / 20.0;
                let bb = 0.9 - k as f64 / 25.0;
                // Point symmetry of the cube and inclusion-exclusion.
                let other = 1.0 - f(-a, 5.0) - f(5.0, -bb) + f(-a, -bb);
                assert!((f(a, bb) - other).abs() < 1e-14, "{b:?} {a} {bb}");
                if b.e1.iter().all(|x| x.abs() > 1e-3) {
                    let h = half_space(b.e1, a);
                    assert!(
                        (f(a, 5.0) - h).abs() < 1e-12,
                        "{b:?} {a}: {} {h}",
                        f(a, 5.0)
                    );
                }
            }
        }
    }

    #[test]
    fn the_table_is_the_exact_function() {
        let mut worst = 0.0f64;
        for b in bases() {
            let cf = CornerFn::new(&b).unwrap_or_else(|| panic!("no table for {b:?}"));
            let c = Cube::new(&b);
            for i in 0..=60 {
                for j in 0..=60 {
                    let (a, bb) = (-1.0 + i as f64 / 30.0, -1.0 + j as f64 / 30.0 + 1e-3);
                    let err = (cf.at(a, bb) - c.volume_below(a, bb)).abs();
                    worst = worst.max(err);
                    assert!(err < 1e-13, "{b:?} at {a} {bb}: {err}");
                }
            }
        }
        eprintln!("worst misfit {worst:e}");
    }

    #[test]
    fn extents_hold_the_shadow() {
        for b in bases() {
            let cf = CornerFn::new(&b).unwrap();
            let c = Cube::new(&b);
            for j in 0..40 {
                let (b0, b1) = (-1.0 + j as f64 / 20.0, -1.0 + (j + 1) as f64 / 20.0);
                let Some((lo, hi)) = cf.extent((b0, cf.outline(b0)), (b1, cf.outline(b1))) else {
                    // Then no volume lies in the strip.
                    let strip = c.volume_below(5.0, b1) - c.volume_below(5.0, b0);
                    assert!(strip.abs() < 1e-15);
                    continue;
                };
                // Nothing of the strip left of lo or right of hi, something
                // just inside each.
                let vol = |a0: f64, a1: f64| {
                    c.volume_below(a1, b1) - c.volume_below(a0, b1) - c.volume_below(a1, b0)
                        + c.volume_below(a0, b0)
                };
                // (1e-14: the values far right are sums of terms of ~2.)
                assert!(vol(-2.0, lo).abs() < 1e-14, "{b:?} {j}: {}", vol(-2.0, lo));
                assert!(vol(hi, 2.0).abs() < 1e-14, "{b:?} {j}: {}", vol(hi, 2.0));
                assert!(
                    vol(-2.0, lo + 1e-3) > 1e-12 && vol(hi - 1e-3, 2.0) > 1e-12,
                    "{b:?} {j}"
                );
            }
        }
    }

    /// The AVX2 rows give the scalar rows' bits: every orientation of
    /// [`bases`], heights below, across and above the shadow, rows of 1 to
    /// 40 corners (shorter than a register, and not a multiple of four)
    /// reaching past the shadow on both sides, both fed through the same
    /// row state. (On a CPU without AVX2 both are the scalar row.)
    #[test]
    fn vector_rows_are_the_scalar_rows_bit_for_bit() {
        let (mut st, mut vector, mut scalar) = (RowState::default(), [0.0; 40], [0.0; 40]);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        // Values inside the shadows compared, rows of the vector path.
        let (mut compared, mut short) = (0, 0);
        for basis in bases() {
            let cf = CornerFn::new(&basis).unwrap();
            for j in 0..200 {
                let b = -1.2 + 2.4 * j as f64 / 199.0 + 1e-3 * next();
                let n = 1 + (j % 40);
                let (a0, da) = (-1.3 + 0.5 * next(), (2.6 + next()) / n as f64);
                let alphas: Vec<f64> = (0..n).map(|i| a0 + i as f64 * da).collect();
                let band = cf.cuts.partition_point(|&c| c <= b.min(cf.vmax));
                let band = band.saturating_sub(1).min(cf.bands.len() - 1);
                short += (b > cf.vmin && cf.bands[band].lines < 8) as usize;
                cf.row_with(b, &alphas, &mut st, &mut vector[..n], true);
                cf.row_with(b, &alphas, &mut st, &mut scalar[..n], false);
                for i in 0..n {
                    assert_eq!(
                        vector[i].to_bits(),
                        scalar[i].to_bits(),
                        "{basis:?}: b {b}, a {}: {} against {}",
                        alphas[i],
                        vector[i],
                        scalar[i]
                    );
                    compared += (scalar[i] != 0.0) as usize;
                }
            }
        }
        assert!(
            compared > 50_000 && short > 1_500,
            "{compared} values, {short} rows"
        );
    }
}

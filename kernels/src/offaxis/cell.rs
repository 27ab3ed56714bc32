//! One cell's volume over each pixel's prism (and the slab), from the
//! integrals of `s` over its projected faces.
//!
//! Along `n` a convex cell is entered through the faces whose outward
//! normal `m` has `m·n < 0` and left through those with `m·n > 0`, so over
//! any region `R` of the image plane `Vol(cell ∩ prism(R)) = Σ_exit
//! ∫_{R∩F} s − Σ_entry ∫_{R∩F} s`, the integrals over the faces'
//! projections `F`, on which `s` is affine. Each face is a convex polygon
//! in `(u, v)` carrying `s` at its vertices; it is cut into pixel rows
//! and each row is swept along `u` ([`super::sweep`]: between two stops,
//! column edges or vertices, `∫ s dv` is quadratic in `u` and Simpson's
//! rule is exact on it). `s` is measured
//! from the cell's own centre, so every number is of the cell's size. A
//! cell that a slab plane `s = σ` cuts uses `(x)⁺ = max(x, 0)`: `chord ∩ {s
//! ≥ σ} = (s_out − σ)⁺ − (s_in − σ)⁺`, i.e. the same sums over the faces
//! clipped to `s ≥ σ` with `s − σ` in place of `s`; a slab is `{s ≥ −D/2}`
//! minus `{s > D/2}`. Faces parallel to `n` add nothing and are skipped.

use super::corner::{CornerFn, RowState, MAX_WIDTH};
use super::grid::{floor, Grid};
use super::poly::{Pair, Poly};
use super::sweep::row_integrals;
use crate::load::CellTable;
use crate::view::View;

/// A cell in view coordinates: its centre `(u, v, s)` from the view
/// centre and the image coordinates of the half-side steps along the box
/// axes.
pub(super) struct CellGeom {
    pub(super) c: [f64; 3],
    /// Half the cell's side.
    pub(super) half: f64,
    /// `(e1_d, e2_d, n_d)·half` for box axis `d`.
    pub(super) step: [[f64; 3]; 3],
}

/// Cell `k` of `t` seen in `view`.
#[inline(always)]
pub(super) fn geom(view: &View, t: &CellTable, k: usize) -> CellGeom {
    let b = t.units.boxlen;
    let x = t.centre_box(k);
    let d: [f64; 3] = std::array::from_fn(|a| x[a] * b - view.center[a]);
    let bs = view.basis;
    let dot = |e: [f64; 3]| d[0] * e[0] + d[1] * e[1] + d[2] * e[2];
    let half = 0.5 * t.dx_box(k) * b;
    CellGeom {
        c: [dot(bs.e1), dot(bs.e2), dot(bs.n)],
        half,
        step: std::array::from_fn(|a| [bs.e1[a] * half, bs.e2[a] * half, bs.n[a] * half]),
    }
}

/// The half-extents of the cell's shadow along `e1` and `e2`, widened by
/// a hair so that the rounding of a corner's coordinates cannot leave it.
fn reach(cg: &CellGeom) -> (f64, f64) {
    let l1 = |k: usize| cg.step[0][k].abs() + cg.step[1][k].abs() + cg.step[2][k].abs();
    (l1(0) * (1.0 + 1e-9), l1(1) * (1.0 + 1e-9))
}

/// The pixels `[i0, i1] × [j0, j1]` (inclusive) that the cell's shadow
/// can touch.
pub(super) fn shadow(cg: &CellGeom, g: &Grid) -> Option<[usize; 4]> {
    let (ru, rv) = reach(cg);
    let (i0, i1) = g.cols(cg.c[0] - ru, cg.c[0] + ru)?;
    let (j0, j1) = g.rows(cg.c[1] - rv, cg.c[1] + rv)?;
    Some([i0, i1, j0, j1])
}

/// Whether the (widened) shadow lies inside one pixel of the map: then
/// an uncut cell puts its whole volume there.
#[inline(always)]
fn in_one_pixel(cg: &CellGeom, g: &Grid) -> bool {
    let (ru, rv) = reach(cg);
    let col = |x: f64| floor((x - g.u0) / g.pw);
    let row = |y: f64| floor((y - g.v0) / g.ph);
    let (a, b) = (col(cg.c[0] - ru), col(cg.c[0] + ru));
    let (c, d) = (row(cg.c[1] - rv), row(cg.c[1] + rv));
    a == b && c == d && a >= 0.0 && a < g.n as f64 && c >= 0.0 && c < g.m as f64
}

/// Per-cell scratch: the volumes over a box of pixels (`w × h` from
/// column `i0`, row `j0`).
#[derive(Default)]
pub(super) struct Scratch {
    pub(super) i0: usize,
    pub(super) j0: usize,
    pub(super) w: usize,
    pub(super) h: usize,
    pub(super) vol: Vec<f64>,
    /// Polygons reused from cut to cut (never copied, never zeroed).
    work: Work,
    /// The corner path's columns (in cube sides) and two rows of `Φ`.
    alphas: Vec<f64>,
    below: Vec<f64>,
    above: Vec<f64>,
    /// Per pixel row: its lower height and the columns reached.
    spans: Vec<(f64, usize, usize)>,
    row: RowState,
}

/// The polygons of [`deposit`]: a face, the rest of it above the current
/// row, and the row's piece right of the current column.
#[derive(Default)]
struct Work {
    face: Poly,
    rows: Pair,
    cols: Pair,
}

/// The volumes being found: [`Scratch`] without its polygons.
struct Vols<'s> {
    i0: usize,
    j0: usize,
    w: usize,
    h: usize,
    vol: &'s mut [f64],
}

/// Adds `sign · ∫ t` of the polygon over each pixel of the scratch's rows
/// that it covers: cut into rows (one split per row edge), each row swept
/// along `u` column by column ([`row_integrals`]). The cuts start at the
/// scratch's first row, so the pieces (and their rounding) depend on the
/// rows asked for, not on anything else.
fn deposit(poly: &Poly, sign: f64, g: &Grid, rows: &mut Pair, cols: &mut Pair, s: &mut Vols) {
    let (vlo, vhi) = poly.bounds(1);
    let Some((j0, j1)) = g.rows(vlo, vhi) else {
        return;
    };
    let (j0, j1) = (j0.max(s.j0), j1.min(s.j0 + s.h - 1));
    if j0 > j1 {
        return;
    }
    poly.clip_into(1, g.v(j0), 1.0, rows.get_mut());
    for j in j0..=j1 {
        let row = cols.get_mut();
        rows.step(|a, rest| a.split_into(1, g.v(j + 1), row, rest));
        let at = (j - s.j0) * s.w;
        row_integrals(cols.get(), g, sign, s.i0, &mut s.vol[at..at + s.w]);
        if rows.get().n < 3 {
            break;
        }
    }
}

/// One slab term: `(reference s, clip to s ≥ reference?, sign)`.
type SlabTerm = (f64, bool, f64);

/// The slab terms of a cell and how many; `None` when the cell lies
/// outside the slab.
fn slab_terms(cg: &CellGeom, slab: Option<f64>) -> Option<([SlabTerm; 2], usize)> {
    let rs = cg.step[0][2].abs() + cg.step[1][2].abs() + cg.step[2][2].abs();
    let (smin, smax) = (cg.c[2] - rs, cg.c[2] + rs);
    let mut terms: [SlabTerm; 2] = [(0.0, false, 0.0); 2];
    let Some(h) = slab else {
        terms[0] = (cg.c[2], false, 1.0);
        return Some((terms, 1));
    };
    if smin > h || smax < -h {
        return None;
    }
    terms[0] = if smin >= -h {
        (cg.c[2], false, 1.0)
    } else {
        (-h, true, 1.0)
    };
    if smax > h {
        terms[1] = (h, true, -1.0);
        return Some((terms, 2));
    }
    Some((terms, 1))
}

/// Whether a cell's volumes come from the view's corner function: it
/// meets the slab and no slab plane cuts it, it is not wider than
/// [`MAX_WIDTH`] pixels, and its shadow is not inside one pixel (that
/// pixel takes its volume, [`cell_volumes`]).
#[inline(always)]
pub(super) fn by_corners(cg: &CellGeom, g: &Grid, slab: Option<f64>) -> bool {
    let uncut = matches!(slab_terms(cg, slab), Some((t, 1)) if !t[0].1);
    uncut && 2.0 * cg.half <= MAX_WIDTH * g.pw.min(g.ph) && !in_one_pixel(cg, g)
}

/// The volumes of an uncut cell over the pixels of its shadow (its box
/// `[i0, i1, j0, j1]`, [`shadow`]) in rows `rows` (inclusive), times `scale`, from the view's corner function
/// `Φ`, handed to `emit(row, first column, values)` a row at a time, for
/// the columns the shadow reaches in that row: with `α_i`, `β_j` the
/// pixel edges in cube sides from the cell's centre, pixel `(i, j)` holds
/// `L³ ((Φ(α_{i+1}, β_{j+1}) − Φ(α_i, β_{j+1})) − (Φ(α_{i+1}, β_j) −
/// Φ(α_i, β_j)))` (a rounding below zero is zero), good to ~1e-15·L³
/// (so a pixel holding 1e-5 of the cell to ~1e-10 of itself: where only
/// such slivers fill a pixel, at the corners of a box's silhouette, that
/// is its precision, against ~1e-12 for the face sweep). `Φ` is found only at
/// the corners of the pixels the shadow reaches, each from its own edges,
/// so a row's volumes do not depend on the rows asked for.
#[inline(always)]
pub(super) fn corner_rows(
    cg: &CellGeom,
    g: &Grid,
    cf: &CornerFn,
    ([i0, i1, j0, j1], rows, scale): ([usize; 4], (usize, usize), f64),
    s: &mut Scratch,
    mut emit: impl FnMut(usize, usize, &[f64]),
) {
    let (j0, j1) = (j0.max(rows.0), j1.min(rows.1));
    if j0 > j1 {
        return;
    }
    let side = 2.0 * cg.half;
    let inv = 1.0 / side;
    let factor = side * side * side * scale;
    let w = i1 - i0 + 1;
    let Scratch {
        alphas,
        below,
        above,
        vol,
        spans,
        row,
        ..
    } = s;
    alphas.clear();
    alphas.extend((i0..=i1 + 1).map(|i| (g.u(i) - cg.c[0]) * inv));
    for v in [&mut *below, &mut *above, &mut *vol] {
        v.resize(w + 1, 0.0);
    }
    // Each pixel row's heights and the columns its strip of the shadow
    // reaches (`first..end`; empty when none).
    spans.clear();
    let mut b0 = (g.v(j0) - cg.c[1]) * inv;
    let mut e0 = cf.outline(b0);
    for j in j0..=j1 {
        let b1 = (g.v(j + 1) - cg.c[1]) * inv;
        let e1 = cf.outline(b1);
        let (mut first, mut end) = (0, 0);
        if let Some((lo, hi)) = cf.extent((b0, e0), (b1, e1)) {
            // Counted without branches (the columns are sorted): those
            // ending at or left of `lo`, those starting left of `hi`.
            first = alphas[1..=w].iter().map(|&a| (a <= lo) as usize).sum();
            end = alphas[..w]
                .iter()
                .map(|&a| (a < hi) as usize)
                .sum::<usize>()
                .max(first);
        }
        spans.push((b0, first, end));
        (b0, e0) = (b1, e1);
    }
    spans.push((b0, 0, 0));
    // Row line `r` needs the corners of the reached pixels above and below.
    for r in 0..spans.len() {
        let (b, f1, e1) = spans[r];
        let (f0, e0) = r
            .checked_sub(1)
            .map_or((0, 0), |q| (spans[q].1, spans[q].2));
        let (f, e) = match (f0 < e0, f1 < e1) {
            (true, true) => (f0.min(f1), e0.max(e1)),
            (true, false) => (f0, e0),
            (false, true) => (f1, e1),
            (false, false) => (0, 0),
        };
        if f < e {
            cf.row(b, &alphas[f..=e], row, &mut above[f..=e]);
        }
        if f0 < e0 {
            let n = e0 - f0;
            let (up, down) = (&above[f0..=e0], &below[f0..=e0]);
            let out = &mut vol[..n];
            for i in 0..n {
                let x = ((up[i + 1] - up[i]) - (down[i + 1] - down[i])) * factor;
                out[i] = if x > 0.0 { x } else { 0.0 };
            }
            emit(j0 + r - 1, i0 + f0, out);
        }
        std::mem::swap(below, above);
    }
}

/// Volumes of one cell over the pixels of its shadow in rows `rows`
/// (inclusive), into `s` (resized and zeroed here), by sweeping its
/// faces. `false` when the cell adds nothing there.
pub(super) fn cell_volumes(
    cg: &CellGeom,
    g: &Grid,
    slab: Option<f64>,
    rows: (usize, usize),
    s: &mut Scratch,
) -> bool {
    let Some((terms, nt)) = slab_terms(cg, slab) else {
        return false;
    };
    let Some([i0, i1, j0, j1]) = shadow(cg, g) else {
        return false;
    };
    let (j0, j1) = (j0.max(rows.0), j1.min(rows.1));
    if j0 > j1 {
        return false;
    }
    s.i0 = i0;
    s.j0 = j0;
    s.w = i1 - i0 + 1;
    s.h = j1 - j0 + 1;
    s.vol.clear();
    s.vol.resize(s.w * s.h, 0.0);
    if nt == 1 && !terms[0].1 && in_one_pixel(cg, g) {
        // The whole cell in one pixel: its volume (the sum of the face
        // terms below, exactly).
        let side = 2.0 * cg.half;
        s.vol[0] = side * side * side;
        return true;
    }
    let Work { face, rows, cols } = &mut s.work;
    let mut v = Vols {
        i0: s.i0,
        j0: s.j0,
        w: s.w,
        h: s.h,
        vol: &mut s.vol,
    };
    for d in 0..3 {
        if cg.step[d][2] == 0.0 {
            continue; // parallel to n: no area
        }
        for side in [-1.0, 1.0] {
            face_poly(cg, d, side, face);
            for &(reference, clip, sign) in &terms[..nt] {
                // 0 for an uncut cell; else within the cell's extent.
                let shift = cg.c[2] - reference;
                let mut f = *face;
                for q in &mut f.p[..4] {
                    q[2] += shift;
                }
                if clip {
                    f = f.clip(2, 0.0, 1.0);
                }
                deposit(&f, side * sign, g, rows, cols, &mut v);
            }
        }
    }
    true
}

/// Face `(d, side)` projected: corners (−,−), (+,−), (+,+), (−,+) along
/// the other two axes `(a, b)`, with `s` from the cell's centre. Their
/// projection turns with the sign of `n_d`, the face's exit sign is
/// `side·sign(n_d)`, so the signed integral times `side` is the face's
/// term.
fn face_poly(cg: &CellGeom, d: usize, side: f64, face: &mut Poly) {
    let (a, b) = ((d + 1) % 3, (d + 2) % 3);
    face.n = 4;
    for (k, (sa, sb)) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
        .into_iter()
        .enumerate()
    {
        for x in 0..3 {
            let o = if x == 2 { 0.0 } else { cg.c[x] };
            face.p[k][x] = o + side * cg.step[d][x] + sa * cg.step[a][x] + sb * cg.step[b][x];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Basis;

    /// One cell alone: its volume over the whole map is its volume, for
    /// any orientation, pixel size and slab that holds it, and the rows
    /// asked for in pieces add up to the same.
    #[test]
    fn one_cell_volume_is_conserved() {
        for n in [[0.0, 0.0, 1.0], [1.0, 2.0, 3.0], [0.3, -0.1, 0.05]] {
            let view = View {
                center: [0.0; 3],
                basis: Basis::from_normal(n, None).unwrap(),
                width: [4.0, 4.0],
                depth: None,
                pixels: [37, 29],
            };
            let g = Grid::new(&view);
            let bs = view.basis;
            let half = 0.4;
            let cg = CellGeom {
                c: [0.1, -0.2, 0.05],
                half,
                step: std::array::from_fn(|a| [bs.e1[a] * half, bs.e2[a] * half, bs.n[a] * half]),
            };
            let mut s = Scratch::default();
            assert!(cell_volumes(&cg, &g, None, (0, usize::MAX), &mut s));
            let v: f64 = s.vol.iter().sum();
            assert!((v - 0.512).abs() < 1e-14, "{n:?}: {v}");
            let mut parts = 0.0;
            for r in (0..29).step_by(3) {
                if cell_volumes(&cg, &g, None, (r, r + 2), &mut s) {
                    parts += s.vol.iter().sum::<f64>();
                }
            }
            assert!(
                (parts - 0.512).abs() < 1e-14,
                "{n:?}: rows in threes {parts}"
            );
            // A slab through the middle keeps its share.
            assert!(cell_volumes(&cg, &g, Some(0.05), (0, usize::MAX), &mut s));
            let v: f64 = s.vol.iter().sum();
            assert!(v > 0.0 && v < 0.512, "{v}");
        }
    }

    /// The corner function's volumes are the face sweep's, pixel by
    /// pixel, for cells of every size up to the widest it takes, at any
    /// offset, orientation and window edge, asked for in pieces of rows;
    /// and a pixel the shadow misses gets nothing.
    #[test]
    fn corner_volumes_are_the_face_sweep_s() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut normals = vec![[1.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]];
        for _ in 0..12 {
            normals.push([next() - 0.5, next() - 0.5, next() - 0.5]);
        }
        let mut cells = 0;
        for n in normals {
            let Ok(basis) = Basis::from_normal(n, None) else {
                continue;
            };
            let cf = CornerFn::new(&basis).expect("a corner table");
            let view = View {
                center: [0.0; 3],
                basis,
                width: [3.0, 2.5],
                depth: None,
                pixels: [60, 50],
            };
            let g = Grid::new(&view);
            for k in 0..40 {
                // Sides from a fifth of a pixel to the widest taken.
                let half = 0.5 * g.pw * (0.2 + (MAX_WIDTH - 0.2) * next().powi(3));
                let c = [3.4 * (next() - 0.5), 2.9 * (next() - 0.5), next() - 0.5];
                let cg = CellGeom {
                    c,
                    half,
                    step: std::array::from_fn(|a| {
                        [basis.e1[a] * half, basis.e2[a] * half, basis.n[a] * half]
                    }),
                };
                if !by_corners(&cg, &g, None) {
                    continue;
                }
                let (mut faces, mut corners) = (Scratch::default(), Scratch::default());
                let rows = if k % 3 == 0 { (0, 20) } else { (0, usize::MAX) };
                if !cell_volumes(&cg, &g, None, rows, &mut faces) {
                    continue;
                }
                cells += 1;
                let mut got = vec![0.0; faces.w * faces.h];
                let (w, i0, j0) = (faces.w, faces.i0, faces.j0);
                let bx = shadow(&cg, &g).expect("a shadow on the map");
                corner_rows(&cg, &g, &cf, (bx, rows, 1.0), &mut corners, |j, i, v| {
                    let at = (j - j0) * w + (i - i0);
                    got[at..at + v.len()].copy_from_slice(v);
                });
                let cube = 8.0 * half * half * half;
                for (q, (a, b)) in got.iter().zip(&faces.vol).enumerate() {
                    let (i, j) = (i0 + q % w, j0 + q / w);
                    let side = 2.0 * half;
                    let phi = |u: f64, v: f64| {
                        super::super::corner::exact_phi(
                            &basis,
                            (u - c[0]) / side,
                            (v - c[1]) / side,
                        )
                    };
                    let direct = cube
                        * ((phi(g.u(i + 1), g.v(j + 1)) - phi(g.u(i), g.v(j + 1)))
                            - (phi(g.u(i + 1), g.v(j)) - phi(g.u(i), g.v(j))));
                    assert!(
                        (a - b).abs() <= 1e-12 * cube,
                        "{n:?} cell {k} pixel {q}: {a} vs {b} (cube {cube}) direct {direct} half {half} c {c:?} px {i},{j}"
                    );
                    if *b == 0.0 {
                        assert!(
                            *a <= 1e-13 * cube,
                            "{n:?} cell {k} pixel {q}: {a} off the shadow"
                        );
                    }
                }
            }
        }
        assert!(cells > 300, "{cells} cells compared");
    }
}

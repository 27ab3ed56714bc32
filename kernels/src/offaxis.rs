//! Exact projections along any line of sight.
//!
//! Definition: for a [`View`] and a variable `f`, pixel `P` (a rectangle
//! of the image plane, [`View::pixel_centre`]) gets
//! `Σ_cells f · Vol(cell ∩ prism(P) ∩ slab) / area(P)`, where `prism(P)`
//! is the infinite prism over `P` along `n` and the slab is `|s| ≤ D/2`
//! (`s` the coordinate along `n` from the centre; every cell when the
//! depth is unlimited). Weighted maps are `Σ w f Vol / Σ w Vol` over the
//! same volumes (`w` = ρ for mass, 1 for volume); a weighted pixel with no
//! weight is NaN. Cells smaller than a pixel are no special case.
//!
//! How the volumes are found: along `n` a convex cell is entered through
//! the faces whose outward normal `m` has `m·n < 0` and left through those
//! with `m·n > 0`, so over any region `R` of the image plane
//! `Vol(cell ∩ prism(R)) = Σ_exit ∫_{R∩F} s − Σ_entry ∫_{R∩F} s`, the
//! integrals over the faces' projections `F`, on which `s` is affine.
//! Each face is a convex polygon in `(u, v)` carrying `s` at its vertices;
//! clipping it to a pixel row and cutting the row at the pixel edges keeps
//! `s` affine on every piece, and `∫ s` over a piece is its area times the
//! mean of `s` at the corners of a fan of triangles. `s` is measured from
//! the cell's own centre, so every number is of the cell's size. A cell
//! that a slab plane `s = σ` cuts uses `(x)⁺ = max(x, 0)`:
//! `chord ∩ {s ≥ σ} = (s_out − σ)⁺ − (s_in − σ)⁺`, i.e. the same sums over
//! the faces clipped to `s ≥ σ` with `s − σ` in place of `s`; a slab is
//! `{s ≥ −D/2}` minus `{s > D/2}`. Faces parallel to `n` add nothing and
//! are skipped.
//!
//! Work and bits: as [`crate::project`], runs of cells of one CPU file
//! each go into a [`Partial`] over the pixels they touch, and the partials
//! are added in file order, so the maps depend neither on the thread count
//! nor on how files are shared out. Streaming reads a window of files at
//! a time: memory is the maps plus one file's cells and partials per
//! worker.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::CellTable;
use crate::project::{Maps, Partial, Weight};
use crate::select::Selection;
use crate::slice::load_vars;
use crate::units::Units;
use crate::view::View;
use amrkit_io::Snapshot;

/// What to project along a view.
#[derive(Clone, Debug)]
pub struct ViewSpec {
    /// The view.
    pub view: View,
    /// Variables (names in the table; derived ones when streaming).
    pub vars: Vec<String>,
    /// Weighting.
    pub weight: Weight,
}

/// A convex polygon in `(u, v)` with an affine attribute `t` at its
/// vertices (at most 12 vertices: a square face clipped by up to 4
/// lines has at most 8).
#[derive(Clone, Copy)]
struct Poly {
    n: usize,
    p: [[f64; 3]; 12],
}

impl Poly {
    const EMPTY: Poly = Poly {
        n: 0,
        p: [[0.0; 3]; 12],
    };

    /// The part where `p[axis]·sign ≥ at·sign` (`sign` ±1).
    #[inline]
    fn clip(&self, axis: usize, at: f64, sign: f64) -> Poly {
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
                // Strictly on both sides: the denominator is not zero.
                let f = (at - prev[axis]) / (cur[axis] - prev[axis]);
                let mut q = [0.0; 3];
                for d in 0..3 {
                    q[d] = prev[d] + f * (cur[d] - prev[d]);
                }
                q[axis] = at;
                out.p[out.n] = q;
                out.n += 1;
            }
            if cur_in {
                out.p[out.n] = cur;
                out.n += 1;
            }
            prev = cur;
            prev_in = cur_in;
        }
        out
    }

    /// `∫ t du dv` with the signed area of the vertex order.
    #[inline]
    fn integral(&self) -> f64 {
        if self.n < 3 {
            return 0.0;
        }
        let a = self.p[0];
        let mut sum = 0.0;
        for k in 1..self.n - 1 {
            let (b, c) = (self.p[k], self.p[k + 1]);
            let area2 = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
            sum += area2 * (a[2] + b[2] + c[2]);
        }
        sum / 6.0
    }

    fn bounds(&self, axis: usize) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for q in &self.p[..self.n] {
            lo = lo.min(q[axis]);
            hi = hi.max(q[axis]);
        }
        (lo, hi)
    }
}

/// The pixel grid of a view in image coordinates relative to its centre.
struct Grid {
    n: usize,
    m: usize,
    u0: f64,
    v0: f64,
    pw: f64,
    ph: f64,
}

impl Grid {
    fn new(view: &View) -> Grid {
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

    /// Left edge of column `i`.
    #[inline]
    fn u(&self, i: usize) -> f64 {
        self.u0 + i as f64 * self.pw
    }

    /// Bottom edge of row `j`.
    #[inline]
    fn v(&self, j: usize) -> f64 {
        self.v0 + j as f64 * self.ph
    }

    /// Columns `[a, b]` (inclusive) that `[lo, hi]` can touch; `None` off
    /// the map.
    fn cols(&self, lo: f64, hi: f64) -> Option<(usize, usize)> {
        span(lo, hi, self.u0, self.pw, self.n)
    }

    fn rows(&self, lo: f64, hi: f64) -> Option<(usize, usize)> {
        span(lo, hi, self.v0, self.ph, self.m)
    }
}

fn span(lo: f64, hi: f64, o: f64, p: f64, n: usize) -> Option<(usize, usize)> {
    let a = ((lo - o) / p).floor();
    let b = ((hi - o) / p).floor();
    if b < 0.0 || a >= n as f64 || a.is_nan() || b.is_nan() || a > b {
        return None;
    }
    Some((a.max(0.0) as usize, (b as usize).min(n - 1)))
}

/// Per-cell scratch: the volumes over a box of pixels.
struct Scratch {
    i0: usize,
    j0: usize,
    w: usize,
    h: usize,
    vol: Vec<f64>,
}

/// An affine attribute over the image plane: `t(x, y) = t + gu·(x − u) +
/// gv·(y − v)` (a face's `s`, from its centre and its edge vectors).
#[derive(Clone, Copy)]
struct Affine {
    u: f64,
    v: f64,
    t: f64,
    gu: f64,
    gv: f64,
    /// The sign of the face's projected vertex order (that of the signed
    /// areas of its pieces).
    orient: f64,
}

impl Affine {
    #[inline]
    fn at(&self, x: f64, y: f64) -> f64 {
        self.t + self.gu * (x - self.u) + self.gv * (y - self.v)
    }
}

/// The columns `[fa, fb)` whose whole cell of row strip `[v(j), v(j+1)]`
/// lies in the convex row polygon `row`: the u-span common to its edges on
/// the strip's two lines (empty when it does not reach both).
fn full_columns(row: &Poly, g: &Grid, j: usize) -> (usize, usize) {
    let (vb, vt) = (g.v(j), g.v(j + 1));
    let (mut bl, mut br, mut tl, mut tr) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for q in &row.p[..row.n] {
        if q[1] == vb {
            bl = bl.min(q[0]);
            br = br.max(q[0]);
        } else if q[1] == vt {
            tl = tl.min(q[0]);
            tr = tr.max(q[0]);
        }
    }
    let (ul, ur) = (bl.max(tl), br.min(tr));
    if ul.is_nan() || ur.is_nan() || ul >= ur {
        return (0, 0);
    }
    let fa = ((ul - g.u0) / g.pw).ceil().max(0.0);
    let fb = ((ur - g.u0) / g.pw).floor().min(g.n as f64);
    if fa < fb {
        (fa as usize, fb as usize)
    } else {
        (0, 0)
    }
}

/// Adds `sign · ∫ t` of the polygon over each pixel it covers. With the
/// face's affine `t` (`full`), the pixels the polygon covers whole take
/// `pixel area × t(pixel centre)` instead of being cut out one by one.
fn deposit(poly: &Poly, sign: f64, full: Option<Affine>, g: &Grid, s: &mut Scratch) {
    let (vlo, vhi) = poly.bounds(1);
    let Some((j0, j1)) = g.rows(vlo, vhi) else {
        return;
    };
    let inside = |s: &Scratch, i: usize, j: usize| {
        // (Inside the scratch box by construction of `shadow`.)
        j >= s.j0 && j < s.j0 + s.h && i >= s.i0 && i < s.i0 + s.w
    };
    let area = g.pw * g.ph;
    for j in j0..=j1 {
        let row = poly.clip(1, g.v(j), 1.0).clip(1, g.v(j + 1), -1.0);
        if row.n < 3 {
            continue;
        }
        let (ulo, uhi) = row.bounds(0);
        let Some((i0, i1)) = g.cols(ulo, uhi) else {
            continue;
        };
        let (fa, fb) = match full {
            Some(_) => {
                let (a, b) = full_columns(&row, g, j);
                (a.max(i0), b.min(i1 + 1))
            }
            None => (0, 0),
        };
        let mut rest = row.clip(0, g.u(i0), 1.0);
        let mut i = i0;
        while i <= i1 {
            if i == fa && fa < fb {
                if let Some(f) = full {
                    let y = g.v0 + (j as f64 + 0.5) * g.ph;
                    for ii in fa..fb {
                        if inside(s, ii, j) {
                            let x = g.u0 + (ii as f64 + 0.5) * g.pw;
                            s.vol[(j - s.j0) * s.w + (ii - s.i0)] +=
                                sign * f.orient * area * f.at(x, y);
                        }
                    }
                }
                rest = rest.clip(0, g.u(fb), 1.0);
                if rest.n < 3 {
                    break;
                }
                i = fb;
                continue;
            }
            let edge = g.u(i + 1);
            let piece = rest.clip(0, edge, -1.0);
            let v = piece.integral();
            if v != 0.0 && inside(s, i, j) {
                s.vol[(j - s.j0) * s.w + (i - s.i0)] += sign * v;
            }
            if i < i1 {
                rest = rest.clip(0, edge, 1.0);
                if rest.n < 3 {
                    break;
                }
            }
            i += 1;
        }
    }
}

/// A cell in view coordinates: its centre `(u, v, s)` from the view
/// centre and the image coordinates of the half-side steps along the box
/// axes.
struct CellGeom {
    c: [f64; 3],
    /// Half the cell's side.
    half: f64,
    /// `(e1_d, e2_d, n_d)·half` for box axis `d`.
    step: [[f64; 3]; 3],
}

/// The pixels `[i0, i1] × [j0, j1]` (inclusive) that the cell's shadow
/// can touch: its extent along `e1` and `e2`, widened by a hair so that
/// the rounding of a corner's coordinates cannot leave the box.
fn shadow(cg: &CellGeom, g: &Grid) -> Option<[usize; 4]> {
    let l1 = |k: usize| cg.step[0][k].abs() + cg.step[1][k].abs() + cg.step[2][k].abs();
    let (ru, rv) = (l1(0) * (1.0 + 1e-9), l1(1) * (1.0 + 1e-9));
    let (i0, i1) = g.cols(cg.c[0] - ru, cg.c[0] + ru)?;
    let (j0, j1) = g.rows(cg.c[1] - rv, cg.c[1] + rv)?;
    Some([i0, i1, j0, j1])
}

/// Whether the (widened) shadow lies inside one pixel of the map: then
/// an uncut cell puts its whole volume there.
fn in_one_pixel(cg: &CellGeom, g: &Grid) -> bool {
    let l1 = |k: usize| cg.step[0][k].abs() + cg.step[1][k].abs() + cg.step[2][k].abs();
    let (ru, rv) = (l1(0) * (1.0 + 1e-9), l1(1) * (1.0 + 1e-9));
    let col = |x: f64| ((x - g.u0) / g.pw).floor();
    let row = |y: f64| ((y - g.v0) / g.ph).floor();
    let (a, b) = (col(cg.c[0] - ru), col(cg.c[0] + ru));
    let (c, d) = (row(cg.c[1] - rv), row(cg.c[1] + rv));
    a == b && c == d && a >= 0.0 && a < g.n as f64 && c >= 0.0 && c < g.m as f64
}

/// Volumes of one cell over the pixels of its shadow, into `s` (resized
/// and zeroed here). `false` when the cell adds nothing.
fn cell_volumes(cg: &CellGeom, g: &Grid, slab: Option<f64>, s: &mut Scratch) -> bool {
    let rs = cg.step[0][2].abs() + cg.step[1][2].abs() + cg.step[2][2].abs();
    let (smin, smax) = (cg.c[2] - rs, cg.c[2] + rs);
    // The slab terms: (reference s, clip to s ≥ reference?, sign).
    let mut terms: [(f64, bool, f64); 2] = [(0.0, false, 0.0); 2];
    let mut nt;
    match slab {
        None => {
            terms[0] = (cg.c[2], false, 1.0);
            nt = 1;
        }
        Some(h) => {
            if smin > h || smax < -h {
                return false;
            }
            if smin >= -h {
                terms[0] = (cg.c[2], false, 1.0);
            } else {
                terms[0] = (-h, true, 1.0);
            }
            nt = 1;
            if smax > h {
                terms[1] = (h, true, -1.0);
                nt = 2;
            }
        }
    }
    let Some([i0, i1, j0, j1]) = shadow(cg, g) else {
        return false;
    };
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
    for d in 0..3 {
        if cg.step[d][2] == 0.0 {
            continue; // parallel to n: no area
        }
        let (a, b) = ((d + 1) % 3, (d + 2) % 3);
        for side in [-1.0, 1.0] {
            // Corners (−,−), (+,−), (+,+), (−,+) along (a, b): their
            // projection turns with the sign of n_d, the face's exit sign
            // is side·sign(n_d), so the signed integral times `side` is
            // the face's term.
            let mut face = Poly::EMPTY;
            face.n = 4;
            for (k, (sa, sb)) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
                .into_iter()
                .enumerate()
            {
                for x in 0..3 {
                    // Along n: from the cell's centre (numbers of its size).
                    let o = if x == 2 { 0.0 } else { cg.c[x] };
                    face.p[k][x] =
                        o + side * cg.step[d][x] + sa * cg.step[a][x] + sb * cg.step[b][x];
                }
            }
            for &(reference, clip, sign) in &terms[..nt] {
                let mut f = face;
                // 0 for an uncut cell; else within the cell's extent.
                let shift = cg.c[2] - reference;
                if shift != 0.0 {
                    for q in &mut f.p[..4] {
                        q[2] += shift;
                    }
                }
                if clip {
                    f = f.clip(2, 0.0, 1.0);
                }
                deposit(&f, side * sign, affine(cg, d, side, shift, g), g, s);
            }
        }
    }
    true
}

/// The affine `t` of face `(d, side)` (with `shift` added), when the face
/// is wide enough to cover a pixel whole (its projected area is at least
/// a pixel's: otherwise every piece is cut out).
fn affine(cg: &CellGeom, d: usize, side: f64, shift: f64, g: &Grid) -> Option<Affine> {
    let (a, b) = ((d + 1) % 3, (d + 2) % 3);
    let (ea, eb) = (cg.step[a].map(|x| 2.0 * x), cg.step[b].map(|x| 2.0 * x));
    let det = ea[0] * eb[1] - ea[1] * eb[0];
    if det.is_nan() || det.abs() < g.pw * g.ph {
        return None;
    }
    Some(Affine {
        u: cg.c[0] + side * cg.step[d][0],
        v: cg.c[1] + side * cg.step[d][1],
        t: side * cg.step[d][2] + shift,
        gu: (ea[2] * eb[1] - eb[2] * ea[1]) / det,
        gv: (eb[2] * ea[0] - ea[2] * eb[0]) / det,
        orient: det.signum(),
    })
}

fn geom(view: &View, t: &CellTable, k: usize) -> CellGeom {
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

/// The pixels `[i0, i1) × [j0, j1)` the shadows of cells `range` can
/// touch; `None` when none is on the map.
fn pixel_box(
    view: &View,
    g: &Grid,
    t: &CellTable,
    range: std::ops::Range<usize>,
) -> Option<[usize; 4]> {
    let (mut pi0, mut pi1, mut pj0, mut pj1) = (usize::MAX, 0, usize::MAX, 0);
    for k in range {
        if let Some([i0, i1, j0, j1]) = shadow(&geom(view, t, k), g) {
            pi0 = pi0.min(i0);
            pi1 = pi1.max(i1 + 1);
            pj0 = pj0.min(j0);
            pj1 = pj1.max(j1 + 1);
        }
    }
    (pi0 < pi1).then_some([pi0, pi1, pj0, pj1])
}

/// An empty partial over a pixel box.
fn zero_partial(b: [usize; 4], nvars: usize, weighted: bool) -> Partial {
    let (bw, bh) = (b[1] - b[0], b[3] - b[2]);
    Partial {
        i0: b[0],
        j0: b[2],
        nx: bw,
        ny: bh,
        acc: (0..nvars).map(|_| vec![0.0; bw * bh]).collect(),
        w: if weighted {
            vec![0.0; bw * bh]
        } else {
            Vec::new()
        },
    }
}

/// Adds `p` into `into` (whose box holds `p`'s), pixel by pixel.
fn add_partial(into: &mut Partial, p: &Partial) {
    if p.nx == 0 {
        return;
    }
    let (di, dj) = (p.i0 - into.i0, p.j0 - into.j0);
    let pairs = into
        .acc
        .iter_mut()
        .zip(&p.acc)
        .chain(std::iter::once((&mut into.w, &p.w)));
    for (dst, src) in pairs {
        if src.is_empty() {
            continue;
        }
        for j in 0..p.ny {
            let d = &mut dst[(dj + j) * into.nx + di..][..p.nx];
            for (x, y) in d.iter_mut().zip(&src[j * p.nx..][..p.nx]) {
                *x += y;
            }
        }
    }
}

/// The partial of one CPU file's cells `range`: its runs' partials (in
/// parallel on `exec`, a window at a time), added in run order into one
/// partial over the file's pixel box. Only this sum leaves the file, so
/// the memory of a projection is the maps plus one file partial per
/// worker, and the bits do not depend on how the runs were scheduled.
fn file_partial(
    spec: &ViewSpec,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    range: std::ops::Range<usize>,
    exec: &Exec,
) -> Result<Partial> {
    let g = Grid::new(&spec.view);
    let Some(b) = pixel_box(&spec.view, &g, t, range.clone()) else {
        return Ok(Partial::default());
    };
    let mut out = zero_partial(b, cols.len(), spec.weight != Weight::None);
    let runs = runs_in(t, &spec.view, range);
    for win in runs.chunks(8 * exec.threads()) {
        let parts = exec.par().min_chunk(1).map(win, |r| {
            if exec.cancelled() {
                return Partial::default();
            }
            view_partial(spec, t, cols, rho, r.clone())
        });
        exec.check()?;
        for p in &parts {
            add_partial(&mut out, p);
        }
    }
    Ok(out)
}

/// The partial of cells `range` of `t`.
fn view_partial(
    spec: &ViewSpec,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    range: std::ops::Range<usize>,
) -> Partial {
    let g = Grid::new(&spec.view);
    let slab = spec.view.depth.map(|d| d / 2.0);
    let area = g.pw * g.ph;
    let weighted = spec.weight != Weight::None;
    let Some([pi0, pi1, pj0, pj1]) = pixel_box(&spec.view, &g, t, range.clone()) else {
        return Partial::default();
    };
    let bw = pi1 - pi0;
    let mut p = zero_partial([pi0, pi1, pj0, pj1], cols.len(), weighted);
    let mut s = Scratch {
        i0: 0,
        j0: 0,
        w: 0,
        h: 0,
        vol: Vec::new(),
    };
    for k in range {
        let cg = geom(&spec.view, t, k);
        if !cell_volumes(&cg, &g, slab, &mut s) {
            continue;
        }
        let wk = rho.map_or(1.0, |r| r[k]);
        for jj in 0..s.h {
            let row = (s.j0 + jj - pj0) * bw + (s.i0 - pi0);
            for ii in 0..s.w {
                let vol = s.vol[jj * s.w + ii];
                if vol == 0.0 {
                    continue;
                }
                let wv = vol / area * wk;
                let q = row + ii;
                if weighted {
                    p.w[q] += wv;
                }
                for (m, col) in p.acc.iter_mut().zip(cols) {
                    m[q] += col[k] * wv;
                }
            }
        }
    }
    p
}

/// Deposition work of one run (cost units).
const RUN_COST: f64 = (1 << 17) as f64;

/// The runs of cells `range` (one CPU file's), of about [`RUN_COST`] of
/// work each: a cell costs a constant plus the pixels of its shadow. They
/// depend only on the file's cells and the view.
fn runs_in(
    t: &CellTable,
    view: &View,
    range: std::ops::Range<usize>,
) -> Vec<std::ops::Range<usize>> {
    let [pw, ph] = view.pixel_size();
    let b = t.units.boxlen;
    let bs = view.basis;
    let l1 = |e: [f64; 3]| e[0].abs() + e[1].abs() + e[2].abs();
    let cost: Vec<f64> = (0..64)
        .map(|l| {
            let h = 0.5f64.powi(l) * b;
            // Six faces over the shadow's edge pixels, one term for its
            // inside ones.
            let (a, c) = (
                (h * l1(bs.e1) / pw).ceil() + 1.0,
                (h * l1(bs.e2) / ph).ceil() + 1.0,
            );
            20.0 + 6.0 * (a + c) + a.min(view.pixels[0] as f64) * c.min(view.pixels[1] as f64)
        })
        .collect();
    let mut v = Vec::new();
    let mut start = range.start;
    let mut acc = 0.0;
    for k in range.clone() {
        acc += cost[t.level[k] as usize];
        if acc >= RUN_COST {
            v.push(start..k + 1);
            start = k + 1;
            acc = 0.0;
        }
    }
    if start < range.end {
        v.push(start..range.end);
    }
    v
}

fn check(spec: &ViewSpec, units: &Units) -> Result<()> {
    if spec.vars.is_empty() {
        return Err(KernelError::Invalid("a projection needs a variable".into()));
    }
    if units.ndim != 3 {
        return Err(KernelError::Invalid(format!(
            "projections along a view need a 3D output (this one is {}D: use --axis z)",
            units.ndim
        )));
    }
    spec.view.check(units)
}

/// The sums being folded: one map per variable and the weight map.
struct Sums {
    acc: Vec<Vec<f64>>,
    w: Vec<f64>,
}

impl Sums {
    fn new(spec: &ViewSpec) -> Sums {
        let n = spec.view.pixels[0] * spec.view.pixels[1];
        Sums {
            acc: (0..spec.vars.len()).map(|_| vec![0.0; n]).collect(),
            w: if spec.weight == Weight::None {
                Vec::new()
            } else {
                vec![0.0; n]
            },
        }
    }

    /// Adds `parts` in order (pixel by pixel, so the sums depend only on
    /// the sequence of partials), in parallel over the maps.
    fn add(&mut self, nx: usize, parts: &[Partial], exec: &Exec) {
        let nv = self.acc.len();
        let mut targets: Vec<(usize, &mut Vec<f64>)> = self
            .acc
            .iter_mut()
            .chain(std::iter::once(&mut self.w))
            .enumerate()
            .collect();
        exec.par()
            .min_chunk(1)
            .for_each_mut(&mut targets, |(a, map)| {
                if map.is_empty() {
                    return;
                }
                for p in parts.iter().filter(|p| p.nx > 0) {
                    let src = if *a < nv { &p.acc[*a] } else { &p.w };
                    for j in 0..p.ny {
                        let d = &mut map[(p.j0 + j) * nx + p.i0..][..p.nx];
                        for (x, y) in d.iter_mut().zip(&src[j * p.nx..][..p.nx]) {
                            *x += y;
                        }
                    }
                }
            });
    }

    fn finish(self, spec: &ViewSpec) -> Maps {
        let v = &spec.view;
        let Sums { mut acc, w } = self;
        if spec.weight != Weight::None {
            for m in acc.iter_mut() {
                for (x, &wt) in m.iter_mut().zip(&w) {
                    *x = if wt > 0.0 { *x / wt } else { f64::NAN };
                }
            }
        }
        let [pw, ph] = v.pixel_size();
        Maps {
            nx: v.pixels[0],
            ny: v.pixels[1],
            maps: spec.vars.iter().cloned().zip(acc).collect(),
            pixel_area: pw * ph,
            extent: [
                -v.width[0] / 2.0,
                v.width[0] / 2.0,
                -v.width[1] / 2.0,
                v.width[1] / 2.0,
            ],
        }
    }
}

type Inputs<'t> = (Vec<&'t [f64]>, Option<&'t [f64]>);

fn inputs<'t>(t: &'t CellTable, spec: &ViewSpec) -> Result<Inputs<'t>> {
    let cols = spec
        .vars
        .iter()
        .map(|v| t.column(v))
        .collect::<Result<_>>()?;
    let rho = match spec.weight {
        Weight::Mass => Some(t.column("density")?),
        Weight::None | Weight::Volume => None,
    };
    Ok((cols, rho))
}

/// The partials of a loaded table, one per CPU file ([`file_partial`]),
/// in table order.
pub fn view_partials(t: &CellTable, spec: &ViewSpec, exec: &Exec) -> Result<Vec<Partial>> {
    check(spec, &t.units)?;
    let (cols, rho) = inputs(t, spec)?;
    t.file_ranges()
        .into_iter()
        .map(|(_, r)| file_partial(spec, t, &cols, rho, r, exec))
        .collect()
}

/// Projects a loaded table along a view (every cell of the table that
/// meets the window and slab): the file partials added in file order.
pub fn project_view(t: &CellTable, spec: &ViewSpec, exec: &Exec) -> Result<Maps> {
    check(spec, &t.units)?;
    let (cols, rho) = inputs(t, spec)?;
    let files = t.file_ranges();
    exec.start("project", files.len() as u64);
    let mut sums = Sums::new(spec);
    for (_, r) in files {
        let p = file_partial(spec, t, &cols, rho, r, exec)?;
        sums.add(spec.view.pixels[0], std::slice::from_ref(&p), exec);
        exec.advance(1);
    }
    exec.finish();
    Ok(sums.finish(spec))
}

/// Projects straight from the files: the CPU files the view's box can
/// meet, a window of them at a time, each read by one task and cut into
/// the runs [`project_view`] would cut it into; the same bits as
/// [`project_view`] on the table of the same cells (without a region in
/// `sel`: those of [`View::selection`]). Without a region in
/// `sel`, only the cells near the view's box are read (the geometry
/// decides exactly); with one, the cells of that region, as every map
/// takes them. Variables may be derived ones.
pub fn project_view_streaming(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ViewSpec,
    exec: &Exec,
) -> Result<Maps> {
    let units = Units::from_info(&snap.info);
    check(spec, &units)?;
    let sel = match sel.region {
        Some(_) => *sel,
        None => spec
            .view
            .selection(&units, snap.info.levelmin, sel.lmax, None),
    };
    let mut cpus = spec.view.cpus(snap, None)?;
    let of_region = crate::load::cpus_for(snap, &sel)?;
    cpus.retain(|c| of_region.contains(c));
    let vars: Vec<&str> = spec.vars.iter().map(String::as_str).collect();
    let window = 2 * exec.threads();
    exec.start("project", cpus.len() as u64);
    let mut sums = Sums::new(spec);
    for win in cpus.chunks(window) {
        let parts: Vec<Result<Partial>> = exec.par().min_chunk(1).map(win, |&icpu| {
            let one = Exec {
                max_threads: Some(1),
                progress: None,
                ..*exec
            };
            exec.check()?;
            let t = load_vars(
                snap,
                Some(&[icpu]),
                &sel,
                &vars,
                spec.weight == Weight::Mass,
                &one,
            )?;
            let (cols, rho) = inputs(&t, spec)?;
            let p = file_partial(spec, &t, &cols, rho, 0..t.len(), &one)?;
            exec.advance(1);
            Ok(p)
        });
        let parts: Vec<Partial> = parts.into_iter().collect::<Result<Vec<_>>>()?;
        sums.add(spec.view.pixels[0], &parts, exec);
    }
    exec.finish();
    Ok(sums.finish(spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Basis;

    /// One cell alone: its volume over the whole map is its volume, for
    /// any orientation, pixel size and slab that holds it.
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
            let mut s = Scratch {
                i0: 0,
                j0: 0,
                w: 0,
                h: 0,
                vol: Vec::new(),
            };
            assert!(cell_volumes(&cg, &g, None, &mut s));
            let v: f64 = s.vol.iter().sum();
            assert!((v - 0.512).abs() < 1e-14, "{n:?}: {v}");
            // A slab through the middle keeps its share.
            assert!(cell_volumes(&cg, &g, Some(0.05), &mut s));
            let v: f64 = s.vol.iter().sum();
            assert!(v > 0.0 && v < 0.512, "{v}");
        }
    }
}

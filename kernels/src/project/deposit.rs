//! The deposit of a run of cells into its partial.
//!
//! Two passes over the run: the pixel box its footprints touch (so the
//! partial holds only those pixels), then each cell in order adds
//! `value · fx · (fy · dl·w)` to every pixel it overlaps. Most cells of a
//! map are no larger than a pixel, so they overlap one pixel per axis or
//! two: the one-pixel case is a branch of its own, and the footprints come
//! from per-level tables ([`super::spans`]). Per pixel the contributions
//! are added in cell order, as the definition's sums are, whatever box the
//! partial has: the box only decides which pixels hold zeros.

use super::geometry::{cell_size, ImageAxis};
use super::maps::Partial;
use super::recycle::Recycler;
use super::runs::stretches;
use super::spans::{LevelTables, Scratch, Spans};
use crate::load::CellTable;

/// The integer coordinates of the cells along the first image axis, the
/// second, and the line of sight.
fn coordinates(t: &CellTable, axes: [usize; 3]) -> [&[u32]; 3] {
    axes.map(|d| match d {
        0 => t.ix.as_slice(),
        1 => t.iy.as_slice(),
        _ => t.iz.as_slice(),
    })
}

/// The tables of levels a run does not have.
static NO_TABLES: LevelTables = LevelTables::NONE;

/// Finest level of the integer edges [`pixel_box`] compares.
const FINE: u32 = 40;

/// The pixels `[i0, i1) × [j0, j1)` the cells `range` can touch, from
/// their extents along the image axes (those of the pixels their
/// footprints span grow with the extents, so the box holds every
/// footprint; it may be larger when some cells lie outside the slab), and
/// the levels present (bit `l` for level `l`; `None` when some level is 64
/// or more). `None` when no cell overlaps the window. `stretches`: the
/// run's stretches of one level ([`stretches`]), relative to `range`.
fn pixel_box(
    sp: &Spans,
    t: &CellTable,
    range: std::ops::Range<usize>,
    stretches: &[(u8, std::ops::Range<usize>)],
) -> Option<([usize; 4], Option<u64>)> {
    let g = &sp.geom;
    let [pu, pv, _] = coordinates(t, g.axes);
    let (pu, pv) = (&pu[range.clone()], &pv[range]);
    let top = stretches.iter().map(|s| s.0).max().unwrap_or(0);
    let mut levels = 0u64;
    // Per stretch, the least and greatest coordinates along each axis: a
    // cell's extent grows with its coordinate, so the stretch's extents
    // are those of these two cells.
    let bounds: Vec<(u8, [[u32; 2]; 2])> = stretches
        .iter()
        .map(|(l, r)| (*l, [min_max(&pu[r.clone()]), min_max(&pv[r.clone()])]))
        .collect();
    // Cell extents along each axis as integers on the grid of level
    // `FINE`, `[pos·2^(FINE−l), (pos+1)·2^(FINE−l))` (exact in f64 as
    // products by powers of two below 2^53), when every level is at most
    // `FINE`; else as floats. The window along an axis the run does not
    // have.
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    if u32::from(top) <= FINE {
        let (mut a, mut b) = ([u64::MAX; 2], [0u64; 2]);
        for &(l, mm) in &bounds {
            let l = u32::from(l);
            levels |= 1 << l;
            let sh = FINE - l;
            for s in 0..2 {
                a[s] = a[s].min(u64::from(mm[s][0]) << sh);
                b[s] = b[s].max((u64::from(mm[s][1]) << sh) + (1u64 << sh));
            }
        }
        let fine = cell_size(FINE as u8);
        for s in 0..2 {
            if a[s] < b[s] {
                (lo[s], hi[s]) = (a[s] as f64 * fine, b[s] as f64 * fine);
            }
        }
    } else {
        for &(l, mm) in &bounds {
            let d = cell_size(l);
            for s in 0..2 {
                lo[s] = lo[s].min(mm[s][0] as f64 * d);
                hi[s] = hi[s].max(mm[s][1] as f64 * d + d);
            }
        }
    }
    // The pixels of those extents, as `ImageAxis::span` rounds.
    let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
    let pixels = |s: usize, axis: &ImageAxis| {
        let (lo, hi) = if axis.present {
            (lo[s], hi[s])
        } else {
            (axis.r0, axis.r1)
        };
        let (u0, u1) = (lo.max(axis.r0), hi.min(axis.r1));
        if u0 >= u1 || stretches.is_empty() {
            return None;
        }
        let i0 = ((u0 - axis.r0) / axis.pw) as usize;
        let i1 = ceil((u1 - axis.r0) / axis.pw).min(axis.n);
        (i0 < i1).then_some([i0, i1])
    };
    let [i0, i1] = pixels(0, &g.u)?;
    let [j0, j1] = pixels(1, &g.v)?;
    Some((
        [i0, i1, j0, j1],
        (u32::from(top) < 64 && u32::from(top) <= FINE).then_some(levels),
    ))
}

/// The least and the greatest of `x` (`[u32::MAX, 0]` when empty): two
/// plain reductions, which the compiler vectorises.
fn min_max(x: &[u32]) -> [u32; 2] {
    [
        x.iter().fold(u32::MAX, |a, &p| a.min(p)),
        x.iter().fold(0, |b, &p| b.max(p)),
    ]
}

/// Adds `val(fx · (fy · dlw))` to the pixels `dst[q0 + r·bw + c]` for every
/// row fraction `fy = fv[r] > 0` and column fraction `fx = fu[c] > 0`
/// (`checked`: some may be ≤ 0; else all are > 0, and the rows are plain
/// loops).
#[inline(always)]
fn add_rect(
    dst: &mut [f64],
    bw: usize,
    q0: usize,
    (fu, fv, checked): (&[f64], &[f64], bool),
    dlw: f64,
    val: impl Fn(f64) -> f64,
) {
    if !checked {
        if let ([fx], [fy]) = (fu, fv) {
            dst[q0] += val(fx * (fy * dlw));
            return;
        }
        for (r, &fy) in fv.iter().enumerate() {
            let fyd = fy * dlw;
            let row = &mut dst[q0 + r * bw..][..fu.len()];
            for (d, &fx) in row.iter_mut().zip(fu) {
                *d += val(fx * fyd);
            }
        }
        return;
    }
    if let ([fx], [fy]) = (fu, fv) {
        if *fx > 0.0 && *fy > 0.0 {
            dst[q0] += val(fx * (fy * dlw));
        }
        return;
    }
    for (r, &fy) in fv.iter().enumerate() {
        if fy <= 0.0 {
            continue;
        }
        let fyd = fy * dlw;
        let row = &mut dst[q0 + r * bw..][..fu.len()];
        for (d, &fx) in row.iter_mut().zip(fu) {
            if fx > 0.0 {
                *d += val(fx * fyd);
            }
        }
    }
}

/// The partial of cells `range` of a table: the pixel box they touch, then
/// the deposit of each cell in order (`cols` the variables, `rho` the
/// density when weighting by mass; `weighted`: fill the weight sums), its
/// arrays from `arrays`.
pub(super) fn cell_partial(
    arrays: &Recycler,
    sp: &Spans,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    weighted: bool,
    range: std::ops::Range<usize>,
) -> Partial {
    let stretches = stretches(&t.level[range.clone()]);
    let Some(([i0, i1, j0, j1], levels)) = pixel_box(sp, t, range.clone(), &stretches) else {
        return Partial::default();
    };
    let (bw, bh) = (i1 - i0, j1 - j0);
    let mut p = Partial {
        i0,
        j0,
        nx: bw,
        ny: bh,
        acc: (0..cols.len()).map(|_| arrays.zeros(bw * bh)).collect(),
        w: if weighted {
            arrays.zeros(bw * bh)
        } else {
            Vec::new()
        },
    };
    // The tables of the levels present, looked up once per run; when
    // every level has them, one tight pass per map.
    let tables = levels.and_then(|levels| {
        let mut tabs = [&NO_TABLES; 64];
        for (l, tab) in tabs.iter_mut().enumerate() {
            if levels >> l & 1 == 1 {
                *tab = sp.tables(l as u8)?;
            }
        }
        Some(tabs)
    });
    let Some(tabs) = tables else {
        deposit_any(sp, t, cols, rho, range, &mut p);
        return p;
    };
    let [pu, pv, ps] = coordinates(t, sp.geom.axes);
    let run = Run {
        stretches: &stretches,
        pos: [&pu[range.clone()], &pv[range.clone()], &ps[range.clone()]],
        rho: rho.map(|r| &r[range.clone()]),
        tabs: &tabs,
        corner: [i0, j0],
        width: bw,
    };
    if weighted {
        run.deposit(&mut p.w, None);
    }
    for (m, col) in p.acc.iter_mut().zip(cols) {
        run.deposit(m, Some(&col[range.clone()]));
    }
    p
}

/// A run of cells whose levels all have tables.
struct Run<'a> {
    /// The stretches of cells of one level, relative to the run.
    stretches: &'a [(u8, std::ops::Range<usize>)],
    /// Coordinates along the first image axis, the second, the line of
    /// sight.
    pos: [&'a [u32]; 3],
    rho: Option<&'a [f64]>,
    tabs: &'a [&'a LevelTables; 64],
    /// The partial's first column and row, and its width.
    corner: [usize; 2],
    width: usize,
}

impl<'a> Run<'a> {
    /// Adds each cell's `value · fx · (fy · dl·w)` to `dst` (the partial's
    /// box), `value` from `col` (1 for the weight sums), `w` the density
    /// when weighting by mass (else 1). Cells come level after level in a
    /// file, so the run is taken in stretches of one level, each with its
    /// tables at hand.
    fn deposit<'c>(&self, dst: &mut [f64], col: Option<&'c [f64]>)
    where
        'a: 'c,
    {
        for (l, r) in self.stretches {
            let tab = self.tabs[usize::from(l & 63)];
            let [pu, pv, ps] = self.pos.map(|p| &p[r.clone()]);
            // Every column of the stretch as long as `pu`, so that indexing
            // them by a cell of `pu` needs no check.
            let n = pu.len();
            let at = |c: &'c [f64]| &c[r.clone()][..n];
            let cells = Cells {
                pos: [pu, &pv[..n], &ps[..n]],
                dst: &mut *dst,
            };
            match (col.map(at), self.rho.map(at)) {
                (Some(c), None) => self.stretch(tab, cells, |_| 1.0, |i, w| c[i] * w),
                (Some(c), Some(rh)) => self.stretch(tab, cells, |i| rh[i], |i, w| c[i] * w),
                (None, None) => self.stretch(tab, cells, |_| 1.0, |_, w| w),
                (None, Some(rh)) => self.stretch(tab, cells, |i| rh[i], |_, w| w),
            }
        }
    }

    /// The deposit of a stretch of cells of the level of `tab`: `val(i,
    /// w)` added for cell `i` of the stretch and a footprint weight `w =
    /// fx · (fy · dl·rho(i))` (×1 is exact).
    #[inline(always)]
    fn stretch(
        &self,
        tab: &LevelTables,
        cells: Cells<'_, '_>,
        rho: impl Fn(usize) -> f64,
        val: impl Fn(usize, f64) -> f64,
    ) {
        let bw = self.width;
        let [c0, r0] = self.corner;
        let Cells {
            pos: [pu, pv, ps],
            dst,
        } = cells;
        if let Some(one) = tab.one_pixel() {
            // `add_rect`'s one-pixel case, for every cell.
            for i in 0..pu.len() {
                let Some(([u, v], [fx, fy], dl)) = one.get([pu[i], pv[i], ps[i]]) else {
                    continue;
                };
                let dlw = dl * rho(i);
                dst[(v - r0) * bw + (u - c0)] += val(i, fx * (fy * dlw));
            }
            return;
        }
        for i in 0..pu.len() {
            let Some(f) = tab.footprint([pu[i], pv[i], ps[i]]) else {
                continue;
            };
            let dlw = f.dl * rho(i);
            let q0 = (f.v.i0 - r0) * bw + (f.u.i0 - c0);
            let (fu, fv) = (f.u.f, f.v.f);
            // Rows of 2, 3 or 4 pixels (cells 2 or 4 pixels wide, or not
            // aligned with them) as rows of a known length.
            match fu.len() {
                2 if fv.len() > 1 => add_rows::<2>(dst, bw, q0, fu, fv, dlw, |w| val(i, w)),
                3 if fv.len() > 1 => add_rows::<3>(dst, bw, q0, fu, fv, dlw, |w| val(i, w)),
                4 if fv.len() > 1 => add_rows::<4>(dst, bw, q0, fu, fv, dlw, |w| val(i, w)),
                _ => add_rect(dst, bw, q0, (fu, fv, false), dlw, |w| val(i, w)),
            }
        }
    }
}

/// A stretch's coordinates (all of one length) and the partial's box it
/// is deposited into.
struct Cells<'s, 'd> {
    pos: [&'s [u32]; 3],
    dst: &'d mut [f64],
}

/// [`add_rect`] of fractions all > 0, `N` columns (`fu[..N]`): the same
/// sums, each row a loop of known length.
#[inline(always)]
fn add_rows<const N: usize>(
    dst: &mut [f64],
    bw: usize,
    q0: usize,
    fu: &[f64],
    fv: &[f64],
    dlw: f64,
    val: impl Fn(f64) -> f64,
) {
    let fu = &fu[..N];
    for (r, &fy) in fv.iter().enumerate() {
        let fyd = fy * dlw;
        let row = &mut dst[q0 + r * bw..][..N];
        for (d, &fx) in row.iter_mut().zip(fu) {
            *d += val(fx * fyd);
        }
    }
}

/// The deposit of cells `range` in order, each footprint from its level's
/// tables or evaluated (levels without tables).
fn deposit_any(
    sp: &Spans,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    range: std::ops::Range<usize>,
    p: &mut Partial,
) {
    let mut scratch = Scratch::default();
    let (bw, i0, j0) = (p.nx, p.i0, p.j0);
    let weighted = !p.w.is_empty();
    let [pu, pv, ps] = coordinates(t, sp.geom.axes);
    for k in range {
        let (l, pos) = (t.level[k], [pu[k], pv[k], ps[k]]);
        let f = match sp.tables(l) {
            Some(tb) => tb.footprint(pos),
            None => sp.evaluate(l, pos, &mut scratch),
        };
        let Some(f) = f else {
            continue;
        };
        // The weight per unit footprint: the path length, times ρ for
        // mass-weighted maps (×1 is exact).
        let dlw = f.dl * rho.map_or(1.0, |r| r[k]);
        let q0 = (f.v.i0 - j0) * bw + (f.u.i0 - i0);
        let fr = (f.u.f, f.v.f, f.checked);
        if weighted {
            add_rect(&mut p.w, bw, q0, fr, dlw, |w| w);
        }
        for (m, col) in p.acc.iter_mut().zip(cols) {
            let x = col[k];
            add_rect(m, bw, q0, fr, dlw, |w| x * w);
        }
    }
}

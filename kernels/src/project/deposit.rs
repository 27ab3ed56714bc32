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
use super::spans::{LevelTables, Scratch, Spans};
use crate::load::CellTable;

/// The integer coordinates of the cells along the first image axis, the
/// second, and the line of sight.
fn coordinates<'t>(t: &'t CellTable, axes: [usize; 3]) -> [&'t [u32]; 3] {
    axes.map(|d| match d {
        0 => t.ix.as_slice(),
        1 => t.iy.as_slice(),
        _ => t.iz.as_slice(),
    })
}

/// The pixels `[i0, i1) × [j0, j1)` the cells `range` can touch, from
/// their extents along the image axes (those of the pixels their
/// footprints span grow with the extents, so the box holds every
/// footprint; it may be larger when some cells lie outside the slab), and
/// the levels present (bit `l` for level `l`). `None` when no cell
/// overlaps the window.
fn pixel_box(
    sp: &Spans,
    t: &CellTable,
    range: std::ops::Range<usize>,
) -> Option<([usize; 4], u64)> {
    let g = &sp.geom;
    let [pu, pv, _] = coordinates(t, g.axes);
    let level = &t.level[range.clone()];
    let dx: [f64; 64] = std::array::from_fn(|l| cell_size(l as u8));
    let mut levels = 0u64;
    // Cell extents along each axis (the window along an axis the run
    // does not have).
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (s, (axis, pos)) in [(&g.u, pu), (&g.v, pv)].into_iter().enumerate() {
        if !axis.present {
            (lo[s], hi[s]) = (axis.r0, axis.r1);
            continue;
        }
        for (&l, &p) in level.iter().zip(&pos[range.clone()]) {
            levels |= 1u64.wrapping_shl(l as u32);
            let d = dx.get(l as usize).copied().unwrap_or_else(|| cell_size(l));
            let x = p as f64 * d;
            lo[s] = lo[s].min(x);
            hi[s] = hi[s].max(x + d);
        }
    }
    if levels == 0 {
        levels = level
            .iter()
            .fold(0, |m, &l| m | 1u64.wrapping_shl(l as u32));
    }
    // The pixels of those extents, as `ImageAxis::span` rounds.
    let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
    let pixels = |s: usize, axis: &ImageAxis| {
        let (u0, u1) = (lo[s].max(axis.r0), hi[s].min(axis.r1));
        if !(u0 < u1) {
            return None;
        }
        let i0 = ((u0 - axis.r0) / axis.pw) as usize;
        let i1 = ceil((u1 - axis.r0) / axis.pw).min(axis.n);
        (i0 < i1).then_some([i0, i1])
    };
    let [i0, i1] = pixels(0, &g.u)?;
    let [j0, j1] = pixels(1, &g.v)?;
    Some(([i0, i1, j0, j1], levels))
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
/// density when weighting by mass; `weighted`: fill the weight sums).
pub(super) fn cell_partial(
    sp: &Spans,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    weighted: bool,
    range: std::ops::Range<usize>,
) -> Partial {
    let Some(([i0, i1, j0, j1], levels)) = pixel_box(sp, t, range.clone()) else {
        return Partial::default();
    };
    // The tables of the levels present, looked up once per run.
    let tables: [Option<&LevelTables>; 64] =
        std::array::from_fn(|l| (levels >> l & 1 == 1).then(|| sp.tables(l as u8)).flatten());
    let mut scratch = Scratch::default();
    let (bw, bh) = (i1 - i0, j1 - j0);
    let mut p = Partial {
        i0,
        j0,
        nx: bw,
        ny: bh,
        // Separate zeroed allocations (not `vec![map; k]`, which would copy
        // the first array into the others page by page).
        acc: (0..cols.len()).map(|_| vec![0.0; bw * bh]).collect(),
        w: if weighted {
            vec![0.0; bw * bh]
        } else {
            Vec::new()
        },
    };
    let [pu, pv, ps] = coordinates(t, sp.geom.axes);
    for k in range {
        let (l, pos) = (t.level[k], [pu[k], pv[k], ps[k]]);
        let f = match tables.get(l as usize).copied().flatten() {
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
    p
}

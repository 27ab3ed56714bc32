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

use super::maps::Partial;
use super::spans::{Scratch, Spans};
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

/// The pixels `[i0, i1) × [j0, j1)` the footprints of cells `range` touch;
/// `None` when none touches the map.
fn pixel_box(
    sp: &Spans,
    t: &CellTable,
    range: std::ops::Range<usize>,
    scratch: &mut Scratch,
) -> Option<[usize; 4]> {
    let [pu, pv, ps] = coordinates(t, sp.geom.axes);
    let (level, pu, pv, ps) = (
        &t.level[range.clone()],
        &pu[range.clone()],
        &pv[range.clone()],
        &ps[range],
    );
    let [mut i0, mut i1, mut j0, mut j1] = [usize::MAX, 0, usize::MAX, 0];
    for k in 0..level.len() {
        if let Some(f) = sp.footprint(level[k], [pu[k], pv[k], ps[k]], scratch) {
            i0 = i0.min(f.u.i0);
            i1 = i1.max(f.u.i0 + f.u.f.len());
            j0 = j0.min(f.v.i0);
            j1 = j1.max(f.v.i0 + f.v.f.len());
        }
    }
    (i0 < i1).then_some([i0, i1, j0, j1])
}

/// Adds `val(fx · (fy · dlw))` to the pixels `dst[q0 + r·bw + c]` for every
/// row fraction `fy = fv[r] > 0` and column fraction `fx = fu[c] > 0`.
#[inline(always)]
fn add_rect(
    dst: &mut [f64],
    bw: usize,
    q0: usize,
    (fu, fv): (&[f64], &[f64]),
    dlw: f64,
    val: impl Fn(f64) -> f64,
) {
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
    let mut scratch = Scratch::default();
    let Some([i0, i1, j0, j1]) = pixel_box(sp, t, range.clone(), &mut scratch) else {
        return Partial::default();
    };
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
        let Some(f) = sp.footprint(t.level[k], [pu[k], pv[k], ps[k]], &mut scratch) else {
            continue;
        };
        // The weight per unit footprint: the path length, times ρ for
        // mass-weighted maps (×1 is exact).
        let dlw = f.dl * rho.map_or(1.0, |r| r[k]);
        let q0 = (f.v.i0 - j0) * bw + (f.u.i0 - i0);
        let fr = (f.u.f, f.v.f);
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

//! Adding cells into the maps in parallel without partial maps: the rows
//! of the image are cut into bands of [`BAND`] rows, one task per band,
//! and each task adds, in table order, every cell whose shadow reaches its
//! rows, into those rows only.
//!
//! Why bands: every pixel then receives its cells' volumes in table order
//! whatever the thread count, so the bits do not depend on it; no pixel is
//! written by two tasks, so there is nothing to merge (the earlier runs of
//! cells each filled a partial map over their pixel box, zeroed and added
//! back: a fifth of the time); and a cell that crosses a band edge is
//! just cut there (its rows are independent). Streaming adds the files of
//! each window in file order, so a pixel sees the same sequence as from
//! the loaded table.

use super::cell::{by_corners, cell_volumes, corner_rows, geom, shadow, Scratch};
use super::corner::CornerFn;
use super::grid::Grid;
use super::{Sums, ViewSpec};
use crate::error::Result;
use crate::exec::Exec;
use crate::load::CellTable;
use crate::project::Weight;

/// Rows per band (a constant: the cuts of a cell's faces start at a band's
/// first row, so the bits depend on it, never on the threads).
pub(super) const BAND: usize = 16;

/// Cells to add: a table with its variable columns, the weight column
/// (`ρ` for mass weighting) and each cell's shadow rows.
pub(super) struct Source<'t> {
    t: &'t CellTable,
    cols: Vec<&'t [f64]>,
    rho: Option<&'t [f64]>,
    rows: ShadowRows,
}

/// Each cell's shadow box (rows `(1, 0)` when off the map) and, per band of
/// [`BAND`] rows, the cells whose shadow reaches it, in table order (a
/// band's task visits only those: testing every cell's rows, in an order
/// unrelated to the image, mispredicted a branch per cell and band).
pub(super) struct ShadowRows {
    /// `[i0, i1, j0, j1]` ([`shadow`]).
    rows: Vec<[u32; 4]>,
    by_band: Vec<Vec<u32>>,
}

impl<'t> Source<'t> {
    pub(super) fn new(t: &'t CellTable, spec: &ViewSpec) -> Result<Source<'t>> {
        Source::with_rows(t, spec, shadow_rows(t, spec))
    }

    /// A source whose shadow rows ([`shadow_rows`]) are known.
    pub(super) fn with_rows(
        t: &'t CellTable,
        spec: &ViewSpec,
        rows: ShadowRows,
    ) -> Result<Source<'t>> {
        let (cols, rho) = crate::columns::weighted_columns(t, &spec.vars, spec.weight)?;
        Ok(Source { t, cols, rho, rows })
    }
}

/// The cells' shadow rows and the cells of each band.
pub(super) fn shadow_rows(t: &CellTable, spec: &ViewSpec) -> ShadowRows {
    let g = Grid::new(&spec.view);
    let mut by_band = vec![Vec::new(); g.m.div_ceil(BAND)];
    let rows = (0..t.len())
        .map(|k| match shadow(&geom(&spec.view, t, k), &g) {
            Some([i0, i1, j0, j1]) => {
                for b in by_band[j0 / BAND..=j1 / BAND].iter_mut() {
                    b.push(k as u32);
                }
                [i0, i1, j0, j1].map(|x| x as u32)
            }
            None => [0, 0, 1, 0],
        })
        .collect();
    ShadowRows { rows, by_band }
}

/// One band's rows of every map.
struct Band<'m> {
    j0: usize,
    j1: usize,
    acc: Vec<&'m mut [f64]>,
    w: &'m mut [f64],
}

/// Adds the cells of `srcs` (in order) into `sums`, in parallel over bands.
pub(super) fn add_cells(
    spec: &ViewSpec,
    srcs: &[Source],
    sums: &mut Sums,
    cf: Option<&CornerFn>,
    exec: &Exec,
) -> Result<()> {
    let [nx, ny] = spec.view.pixels;
    let mut accs: Vec<_> = sums
        .acc
        .iter_mut()
        .map(|m| m.chunks_mut(BAND * nx))
        .collect();
    let mut ws = sums.w.chunks_mut(BAND * nx);
    let mut bands: Vec<Band> = (0..ny.div_ceil(BAND))
        .map(|b| Band {
            j0: b * BAND,
            j1: ((b + 1) * BAND).min(ny),
            acc: accs
                .iter_mut()
                .map(|it| it.next().unwrap_or_default())
                .collect(),
            w: ws.next().unwrap_or_default(),
        })
        .collect();
    exec.par().min_chunk(1).for_each_mut(&mut bands, |band| {
        if !exec.cancelled() {
            add_band(spec, srcs, cf, band);
        }
    });
    exec.check()
}

/// The cells of `srcs` whose shadow reaches `band`'s rows, into them.
fn add_band(spec: &ViewSpec, srcs: &[Source], cf: Option<&CornerFn>, band: &mut Band) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { add_band_avx2(spec, srcs, cf, band) };
        return;
    }
    add_band_any(spec, srcs, cf, band);
}

/// [`add_band`] compiled for AVX2: the corner function's slot loops four
/// to a register (the baseline x86-64 build has two-wide vectors) and
/// three-operand instructions in place of register copies. The same
/// operations, so the same bits (no fused multiply-add: Rust never
/// contracts `a * b + c`); 6–8 % less CPU on the (1, 2, 3) views of
/// `gravity` and `sedov3d` (`benches/ab_project.py`, 11 rounds).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_band_avx2(spec: &ViewSpec, srcs: &[Source], cf: Option<&CornerFn>, band: &mut Band) {
    add_band_any(spec, srcs, cf, band);
}

/// [`add_band`] for any CPU (inlined into each compiled version, with the
/// cell and corner code it calls).
#[inline(always)]
fn add_band_any(spec: &ViewSpec, srcs: &[Source], cf: Option<&CornerFn>, band: &mut Band) {
    let g = Grid::new(&spec.view);
    let nx = g.n;
    let slab = spec.view.depth.map(|d| d / 2.0);
    let area = g.pw * g.ph;
    let weighted = spec.weight != Weight::None;
    let (b0, b1) = (band.j0 as u32, band.j1 as u32 - 1);
    let mut s = Scratch::default();
    let mut vals = Vec::new();
    for src in srcs {
        for &k in &src.rows.by_band[band.j0 / BAND] {
            let k = k as usize;
            let bx = src.rows.rows[k].map(|x| x as usize);
            let (r0, r1) = (bx[2] as u32, bx[3] as u32);
            let cg = geom(&spec.view, src.t, k);
            let rows = (r0.max(b0) as usize, r1.min(b1) as usize);
            let wk = src.rho.map_or(1.0, |r| r[k]);
            vals.clear();
            vals.extend(src.cols.iter().map(|c| c[k]));
            // Adds one row of a cell's weights (volume / area × ρ or 1).
            let mut add_row = |j: usize, i0: usize, wv: &[f64]| {
                let at = (j - band.j0) * nx + i0;
                if weighted {
                    for (x, &v) in band.w[at..at + wv.len()].iter_mut().zip(wv) {
                        *x += v;
                    }
                }
                for (m, &f) in band.acc.iter_mut().zip(&vals) {
                    let m = &mut m[at..at + wv.len()];
                    if f.is_finite() {
                        for (x, &v) in m.iter_mut().zip(wv) {
                            *x += f * v;
                        }
                    } else {
                        // ∞ or NaN times no volume adds nothing.
                        for (x, &v) in m.iter_mut().zip(wv) {
                            if v != 0.0 {
                                *x += f * v;
                            }
                        }
                    }
                }
            };
            if let Some(cf) = cf.filter(|_| by_corners(&cg, &g, slab)) {
                corner_rows(&cg, &g, cf, (bx, rows, wk / area), &mut s, add_row);
                continue;
            }
            if !cell_volumes(&cg, &g, slab, rows, &mut s) {
                continue;
            }
            for jj in 0..s.h {
                let row = &mut s.vol[jj * s.w..][..s.w];
                for v in row.iter_mut() {
                    *v = *v / area * wk;
                }
                add_row(s.j0 + jj, s.i0, row);
            }
        }
    }
}

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
//! The parts: `cell` finds one cell's volume over each pixel from its
//! projected faces (`poly` cuts them, `grid` says where the pixels
//! are); `bands` adds the cells into the maps, one task per band of
//! rows, each pixel in table order, so the maps depend neither on the
//! thread count nor on streaming. Streaming reads a window of files at a
//! time: memory is the maps plus the window's cells.

mod bands;
mod cell;
mod corner;
mod grid;
mod poly;
mod sweep;

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::CellTable;
use crate::project::{Maps, Weight};
use crate::select::Selection;
use crate::slice::load_vars;
use crate::units::Units;
use crate::view::View;
use amrkit_io::Snapshot;
use bands::{add_cells, shadow_rows, Source};
use corner::CornerFn;

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

/// Projects a loaded table along a view (every cell of the table that
/// meets the window and slab), each pixel's cells added in table order.
pub fn project_view(t: &CellTable, spec: &ViewSpec, exec: &Exec) -> Result<Maps> {
    check(spec, &t.units)?;
    exec.start("project", t.file_ranges().len() as u64);
    let mut sums = Sums::new(spec);
    let cf = CornerFn::new(&spec.view.basis);
    add_cells(spec, &[Source::new(t, spec)?], &mut sums, cf.as_ref(), exec)?;
    exec.advance(t.file_ranges().len() as u64);
    exec.finish();
    Ok(sums.finish(spec))
}

/// Projects straight from the files: the CPU files the view's box can
/// meet, a window of them at a time (each read by one task), added in
/// file order; the same bits as [`project_view`] on the table of the same
/// cells (without a region in `sel`: those of [`View::selection`]).
/// Without a region in `sel`, only the cells near the view's box are read
/// (the geometry decides exactly); with one, the cells of that region, as
/// every map takes them. Variables may be derived ones.
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
    // With a depth, the reader keeps only the cells that can meet the slab
    // (box units): those it leaves out add nothing (`cell_volumes` skips
    // every cell outside the slab), so the bits are those of every cell.
    let slab = spec.view.depth.map(|d| {
        let (n, c, b) = (spec.view.basis.n, spec.view.center, units.boxlen);
        amrkit_io::Slab {
            normal: n,
            offset: (n[0] * c[0] + n[1] * c[1] + n[2] * c[2]) / b,
            half: 0.5 * d / b,
        }
    });
    let window = 2 * exec.threads();
    exec.start("project", cpus.len() as u64);
    let mut sums = Sums::new(spec);
    // The previous window's tables, refilled by this window's files (their
    // memory reused, not faulted in again).
    let spares = std::sync::Mutex::new(Vec::new());
    let cf = CornerFn::new(&spec.view.basis);
    for win in cpus.chunks(window) {
        // Each file read, and its cells' shadow rows found, by one task
        // (no wait between the two for the window's other files).
        let loaded: Vec<Result<_>> = exec.par().min_chunk(1).map(win, |&icpu| {
            let one = Exec {
                max_threads: Some(1),
                progress: None,
                ..*exec
            };
            exec.check()?;
            let mass = spec.weight == Weight::Mass;
            let spare = spares.lock().map_or(None, |mut v| v.pop());
            let t = load_vars(snap, Some(&[icpu]), &sel, &vars, mass, &one, spare, slab)?;
            let rows = shadow_rows(&t, spec);
            Ok((t, rows))
        });
        let (tables, rows): (Vec<_>, Vec<_>) = loaded
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let srcs = tables
            .iter()
            .zip(rows)
            .map(|(t, r)| Source::with_rows(t, spec, r))
            .collect::<Result<Vec<_>>>()?;
        add_cells(spec, &srcs, &mut sums, cf.as_ref(), exec)?;
        drop(srcs);
        if let Ok(mut v) = spares.lock() {
            v.extend(tables);
        }
        exec.advance(win.len() as u64);
    }
    exec.finish();
    Ok(sums.finish(spec))
}

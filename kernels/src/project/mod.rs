//! Axis-aligned projections of cells and particles.
//!
//! Definition: over the prism `range` (a window along the image axes, a
//! slab along the line of sight), the map of `q` is, pixel by pixel,
//! `∫∫∫ q dV / (pixel area)` over the pixel's column of the prism, the
//! leaf field being constant in each cell; with a weight `w` (ρ, or 1 for
//! volume) it is `∫∫∫ w q dV / ∫∫∫ w dV`. So every cell is clipped by its
//! overlap with the pixel column, along all three axes: a cell covering
//! several pixels spreads over them, a cell smaller than a pixel lands in
//! its pixel with its footprint fraction, a cell straddling the window's
//! edge or the slab's faces adds only its part inside, and `Σ map · pixel
//! area` is the integral of the cells over the prism (the mass in it for
//! `density`, weight `none`) to rounding. The table must hold every cell
//! that overlaps the prism: load it with
//! [`Selection::with_overlapping_cells`](crate::Selection::with_overlapping_cells) (cells selected by their centre
//! would leave the edges under-filled); cells outside add nothing.
//!
//! Work is split into runs of cells of one CPU file each (of about equal
//! deposition work, cut by each file's own cells) or of a fixed number of
//! particles; each run fills a [`Partial`] over the pixels it touches and
//! the partials are added in run order, pixel by pixel. A result depends on
//! neither scheduling nor the thread count, nor on how the files are shared
//! out between processes that send their partials to one of them.
//!
//! Map layout: `map[j·nx + i]`, `i` along the first image axis, `j` along
//! the second; pixel `(i, j)` is centred at `((i+½)·w/nx, (j+½)·h/ny)` from
//! the range's corner. Image axes follow yt: along z they are (x, y), along
//! x (y, z), along y (z, x).

mod deposit;
mod geometry;
mod maps;
mod particles;
mod recycle;
mod runs;
mod spans;
mod spec;
mod streaming;
mod sums;
#[cfg(test)]
mod tests;

pub use maps::{Maps, Partial};
pub use particles::{project_particles, Deposit};
pub use spec::{ProjSpec, Weight};
pub use streaming::{project_cells_streaming, project_streaming};
pub use sums::fold_partials;

use crate::error::Result;
use crate::exec::Exec;
use crate::load::CellTable;
use deposit::cell_partial;
use geometry::Geometry;
use recycle::{Recycler, KEEP_PER_THREAD};
use runs::runs;
use spans::Spans;
use spec::check;
use sums::Sums;

/// Variable columns, and the density when weighting by mass.
pub(super) type Inputs<'t> = crate::columns::WeightedColumns<'t>;

/// The columns a projection reads from `t`: the variables, and the
/// density when the weight is mass.
pub(super) fn inputs<'t>(t: &'t CellTable, spec: &ProjSpec) -> Result<Inputs<'t>> {
    crate::columns::weighted_columns(t, &spec.vars, spec.weight)
}

/// The partials of a loaded table, one per run of cells of one CPU file,
/// in table order (the runs in parallel).
pub fn project_partials(t: &CellTable, spec: &ProjSpec, exec: &Exec) -> Result<Vec<Partial>> {
    check(spec)?;
    let (cols, rho) = inputs(t, spec)?;
    let sp = Spans::new(Geometry::new(spec, &t.units));
    let weighted = spec.weight != Weight::None;
    let runs = runs(t, spec);
    let parts = exec.par().min_chunk(1).map(&runs, |r| {
        if exec.cancelled() {
            return Partial::default();
        }
        cell_partial(&Recycler::new(0), &sp, t, &cols, rho, weighted, r.clone())
    });
    exec.check()?;
    Ok(parts)
}

/// Projects a loaded table (MERA's `projection`, yt's `proj` + `to_frb`):
/// the partials of [`project_partials`], made a window at a time (so that
/// few are alive at once) and folded in order.
pub fn project(t: &CellTable, spec: &ProjSpec, exec: &Exec) -> Result<Maps> {
    check(spec)?;
    let (cols, rho) = inputs(t, spec)?;
    let sp = Spans::new(Geometry::new(spec, &t.units));
    let weighted = spec.weight != Weight::None;
    let runs = runs(t, spec);
    let window = 8 * exec.threads();
    exec.start("project", runs.len() as u64);
    let mut sums = Sums::new(spec);
    let arrays = Recycler::new(KEEP_PER_THREAD * exec.threads());
    for win in runs.chunks(window) {
        let parts = exec.par().min_chunk(1).map(win, |r| {
            // Cancelled: the runs not started yet stay empty (and unused).
            if exec.cancelled() {
                return Partial::default();
            }
            let p = cell_partial(&arrays, &sp, t, &cols, rho, weighted, r.clone());
            exec.advance(1);
            p
        });
        exec.check()?;
        sums.add(spec.res[0], &parts, exec);
        arrays.keep(parts);
    }
    exec.finish();
    Ok(sums.finish(spec, t.units.boxlen))
}

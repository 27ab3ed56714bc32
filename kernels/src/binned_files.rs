//! Profiles and phase diagrams of an output reduced a CPU file at a time
//! (issue 30's bounded memory): each file is read with the columns the
//! request needs, binned into the block partials a table of every file
//! would give for its cells (blocks never span files), and dropped; the
//! partials are folded in file order, so the result is the same bits as
//! binning one table of every file, for any thread count, and on any split
//! of the files between processes.
//!
//! Both need one figure from the whole selection before a cell can be
//! binned, found by a cheaper first pass over the files:
//!
//! * a profile's default first edge `r0`, the smallest selected cell: the
//!   deepest level within `R`, from the amr files alone (positions and
//!   levels, no variable) — [`smallest_selected_cell`]; skipped when `r0`
//!   is given;
//! * a phase diagram's default ranges, the finite (positive, on a log
//!   axis) extrema of x and y: a pass reading x and y only (and what they
//!   are derived from) — [`phase_extent`]; skipped when both ranges are
//!   given.
//!
//! Minima and maxima are exact in any order, so the passes' figures do
//! not depend on the split either. Peak memory: one file's columns per
//! worker, plus the partials of a window of files (a phase diagram's
//! sparse bins) or of the blocks (a profile's, a few kB each).

use crate::binned_columns::BinnedColumns;
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::Components;
use crate::phase::{combine_extrema, extrema, phase_partials, Axis, PhasePartial, PhaseSpec};
use crate::profile::{
    deepest_selected, partials_of, ProfilePartial, ProfilePlan, ProfileSpec, Selected,
};
use crate::select::Selection;
use crate::sums::reduce_files_folding;
use crate::units::Units;
use amrkit_io::Snapshot;

/// The smallest leaf cell size (code units) among the cells of the files
/// of `sel` within the profile's radius of its centre — the default first
/// edge `r0` — read from the amr files only; `None` when no cell is
/// selected.
pub fn smallest_selected_cell(
    s: &Snapshot,
    sel: &Selection,
    spec: &ProfileSpec,
    exec: &Exec,
) -> Result<Option<f64>> {
    let geo = ProfilePlan::check(spec)?;
    let mut deepest: Option<u8> = None;
    reduce_files_folding(
        s,
        sel,
        &Components::default(),
        "profile r0",
        exec,
        |t, _| Ok(deepest_selected(t, &geo, spec.radius)),
        |d| {
            deepest = deepest.max(d);
            Ok(())
        },
    )?;
    let b = Units::from_info(&s.info).boxlen;
    Ok(deepest.map(|l| b / (1u64 << l) as f64))
}

/// The first edge of a profile: the spec's, or the smallest selected cell
/// of the files of `sel` (an empty selection is an error).
pub fn profile_r0(s: &Snapshot, sel: &Selection, spec: &ProfileSpec, exec: &Exec) -> Result<f64> {
    ProfilePlan::check(spec)?;
    match spec.rmin {
        Some(r0) => Ok(r0),
        None => {
            smallest_selected_cell(s, sel, spec, exec)?.ok_or_else(|| crate::profile::empty(spec))
        }
    }
}

/// The partials of a profile over the files of `sel`, handed to `each`
/// file by file in file order: per file, the [`ProfilePartial`]s of its
/// blocks of selected cells, as [`partials_of`] gives them for a table of
/// every file.
pub fn profile_partials_files(
    s: &Snapshot,
    sel: &Selection,
    plan: &ProfilePlan,
    b: &BinnedColumns,
    exec: &Exec,
    each: impl FnMut(Vec<ProfilePartial>) -> Result<()>,
) -> Result<()> {
    let names = b.names();
    reduce_files_folding(
        s,
        sel,
        &b.components(s)?,
        "profile",
        exec,
        |t, one| {
            b.add_to(t, one)?;
            let cells = Selected::of(t, &plan.geometry, plan.spec.radius, one);
            partials_of(t, plan, &cells, &names, one)
        },
        each,
    )
}

/// Per axis, its usable extrema (`None`: no usable value).
pub type Extrema = [Option<[f64; 2]>; 2];

/// The cells of the files of `sel` and the extrema that are a phase
/// diagram's default ranges (see [`extrema`]), from a pass reading the x
/// and y variables only (`xy`: their columns); `None` for the pass when
/// both ranges are given (nothing to find).
pub fn phase_extent(
    s: &Snapshot,
    sel: &Selection,
    spec: &PhaseSpec,
    xy: &BinnedColumns,
    exec: &Exec,
) -> Result<Option<(usize, Extrema)>> {
    if spec.x.range.is_some() && spec.y.range.is_some() {
        return Ok(None);
    }
    let (mut cells, mut ext) = (0usize, [None, None]);
    reduce_files_folding(
        s,
        sel,
        &xy.components(s)?,
        "phase ranges",
        exec,
        |t, one| {
            xy.add_to(t, one)?;
            Ok((t.len(), extrema(t, spec, one)?))
        },
        |(n, e)| {
            cells += n;
            ext = combine_extrema(ext, e);
            Ok(())
        },
    )?;
    Ok(Some((cells, ext)))
}

/// The partials of a phase diagram over the files of `sel`, handed to
/// `each` file by file in file order: per file, the [`PhasePartial`]s of
/// its blocks, as [`phase_partials`] gives them for a table of every file.
pub fn phase_partials_files(
    s: &Snapshot,
    sel: &Selection,
    spec: &PhaseSpec,
    axes: &[Axis; 2],
    b: &BinnedColumns,
    exec: &Exec,
    each: impl FnMut(Vec<PhasePartial>) -> Result<()>,
) -> Result<()> {
    reduce_files_folding(
        s,
        sel,
        &b.components(s)?,
        "phase",
        exec,
        |t, one| {
            b.add_to(t, one)?;
            phase_partials(t, spec, axes, one)
        },
        each,
    )
}

/// The error of a phase diagram whose selection holds no cell, found
/// after the binning when no first pass counted the cells (both ranges
/// given): `cells` is the diagram's binned, outside and dropped cells.
pub fn phase_cells_check(cells: f64) -> Result<()> {
    if cells == 0.0 {
        return Err(KernelError::Invalid(
            "empty selection: no cells to bin".into(),
        ));
    }
    Ok(())
}

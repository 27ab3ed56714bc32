//! Projections straight from the files, a CPU file per worker.

use super::deposit::cell_partial;
use super::geometry::Geometry;
use super::inputs;
use super::maps::{Maps, Partial};
use super::recycle::{Recycler, KEEP_PER_THREAD};
use super::runs::runs;
use super::spans::Spans;
use super::spec::{check, ProjSpec, Weight};
use super::sums::Sums;
use crate::error::Result;
use crate::exec::Exec;
use crate::load::{components, cpus_for, load_components_reusing, CellTable};
use crate::select::Selection;
use amrkit_io::Snapshot;
use amrkit_pool::pipeline::{Flow, OnError, Pipeline, Stage};

/// Projects straight from the files without building the table: a window
/// of CPU files at a time, each read by one worker and cut into the runs
/// [`project`](super::project) would cut it into; the partials are folded in file order,
/// so the maps are bit for bit those of [`project`](super::project) on the table loaded
/// with `sel.with_overlapping_cells(&snap.info)` (the cells a box region
/// overlaps; `spec.range` is the box itself). Memory: one CPU file's
/// selected cells per running worker plus the window's partials.
pub fn project_streaming(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let mut need: Vec<&str> = spec.vars.iter().map(String::as_str).collect();
    if spec.weight == Weight::Mass && !need.contains(&"density") {
        need.push("density");
    }
    let comps = components(snap, &need)?;
    project_files(snap, sel, spec, exec, |icpu, sel, one, spare| {
        load_components_reusing(snap, Some(&[icpu]), sel, &comps, one, spare)
    })
}

/// [`project_streaming`] of variables loaded or derived as
/// [`cells_for`](crate::columns::cells_for) makes them (`temperature`,
/// `mass`, …), one CPU file at a time: the maps are bit for bit those of
/// [`project`](super::project) on `cells_for(snap, &sel.with_overlapping_cells(..), ..)`
/// (the runs are cut per file, and a derived value is a function of its
/// own cell), in the memory of one file's cells per worker.
pub fn project_cells_streaming(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let vars: Vec<&str> = spec.vars.iter().map(String::as_str).collect();
    if vars.iter().all(|v| components(snap, &[v]).is_ok()) {
        // Every variable is in the files: tables reused file after file.
        return project_streaming(snap, sel, spec, exec);
    }
    project_files(snap, sel, spec, exec, |icpu, sel, one, _| {
        crate::columns::cells_for_on(snap, Some(&[icpu]), sel, &vars, spec.weight, one)
    })
}

/// The streaming projection over the files of
/// `sel.with_overlapping_cells`, each file's table made by `load(icpu,
/// sel, exec capped at one thread)`.
fn project_files<L>(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
    load: L,
) -> Result<Maps>
where
    L: Fn(usize, &Selection, &Exec, Option<CellTable>) -> Result<CellTable> + Sync,
{
    let sel = &sel.with_overlapping_cells(&snap.info);
    // Files are chosen once; each job then reads exactly its own.
    let cpus = cpus_for(snap, sel)?;
    let threads = exec.threads();
    exec.start("project", cpus.len() as u64);
    let mut sums = Sums::new(spec);
    let spares = std::sync::Mutex::new(Vec::new());
    let arrays = Recycler::new(KEEP_PER_THREAD * threads);
    // One set of footprint tables for every file (a table of other units,
    // which no load makes, gets its own).
    let shared = Spans::new(Geometry::new(spec, &crate::Units::from_info(&snap.info)));
    let one = Exec {
        max_threads: Some(1),
        progress: None,
        ..*exec
    };
    // The partials of one file, on this job's thread only, in the memory
    // of a table another file is done with.
    let file = |icpu: usize| -> Result<Vec<Partial>> {
        exec.check()?;
        let spare = spares.lock().map_or(None, |mut v| v.pop());
        let t = load(icpu, sel, &one, spare)?;
        let (cols, rho) = inputs(&t, spec)?;
        let own;
        let sp = if shared.geom.fits(&t.units) {
            &shared
        } else {
            own = Spans::new(Geometry::new(spec, &t.units));
            &own
        };
        let weighted = spec.weight != Weight::None;
        let parts = runs(&t, spec)
            .into_iter()
            .map(|r| cell_partial(&arrays, sp, &t, &cols, rho, weighted, r))
            .collect();
        if let Ok(mut v) = spares.lock() {
            v.push(t);
        }
        exec.advance(1);
        Ok(parts)
    };
    // Files are made `threads` at a time and folded in file order as soon
    // as each one and those before it are done (no wait for a whole
    // window); at most `2 × threads` are between the read and the fold.
    let source = cpus.iter().copied();
    let pipeline = match exec.pool {
        Some(pool) => Pipeline::on(pool, source),
        None => Pipeline::new(source),
    };
    let mut failed = None;
    let mut next = 0;
    pipeline
        .stage_with(Stage::new().workers(threads).max_threads(1), file)
        .ordered(true)
        .on_error(OnError::Stop)
        .max_in_flight(2 * threads)
        .for_each(|seq, parts| {
            debug_assert_eq!(seq, next, "files folded out of order");
            next += 1;
            match parts {
                Ok(parts) => {
                    sums.add(spec.res[0], &parts, exec);
                    arrays.keep(parts);
                    Flow::Continue
                }
                Err(e) => {
                    failed = Some(e);
                    Flow::Stop
                }
            }
        });
    if let Some(e) = failed {
        return Err(e);
    }
    // Cancelled (a file that saw it stopped the rest).
    exec.check()?;
    exec.finish();
    Ok(sums.finish(spec, snap.info.boxlen))
}
